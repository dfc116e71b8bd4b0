//! The corpus's synonym file (`<corpus>/synonyms.txt`): groups of words and phrases that mean
//! the same to a reader ("ice pack, cold pack, cold compress"), read when a query runs, so an
//! edit takes effect on the next search without a rebuild. Matching works on analysed tokens,
//! so "MRIs" meets the entry "MRI" and "chiropractic" meets "Chiropractic".

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use super::words::Analyzer;

/// The file name inside the corpus directory.
pub const FILE_NAME: &str = "synonyms.txt";

/// A synonym file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot read the synonym file {}: {error} (fix or delete it; it is one group of \
     comma-separated synonyms a line, `#` starts a comment)",
    .path.display()
)]
pub struct SynonymsError {
    pub path: PathBuf,
    /// Part of the message, before its advice; not a `#[source]`, so the chain prints it once.
    pub error: std::io::Error,
}

/// One word or phrase of a group: as written in the file, and as the analyzer sees it
/// (`(position, token)`, the first form at each position).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub text: String,
    pub tokens: Vec<(usize, String)>,
}

/// Groups of synonyms; empty when the corpus has no synonym file.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    groups: Vec<Vec<Entry>>,
}

/// Where a run of query tokens matched an entry: `len` tokens from `start`, in `group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub start: usize,
    pub len: usize,
    pub group: usize,
}

/// A file's size and modification time (`None`: no file).
type Stamp = Option<(u64, SystemTime)>;

/// The synonym file of a long-running process (`serve`): parsed again only when its size or
/// modification time changes, so each request pays a `stat`, not a parse.
#[derive(Debug)]
pub struct SynonymsCache {
    corpus: PathBuf,
    /// The file's stamp when it was last read, and what it held.
    current: Mutex<Option<(Stamp, Arc<Synonyms>)>>,
}

impl SynonymsCache {
    pub fn new(corpus: &Path) -> SynonymsCache {
        SynonymsCache {
            corpus: corpus.to_path_buf(),
            current: Mutex::new(None),
        }
    }

    /// The synonyms as the file is now.
    pub fn get(&self) -> Result<Arc<Synonyms>, SynonymsError> {
        let stamp: Stamp = std::fs::metadata(self.corpus.join(FILE_NAME))
            .ok()
            .and_then(|m| Some((m.len(), m.modified().ok()?)));
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, synonyms)) = current.as_ref() {
            if *seen == stamp {
                return Ok(Arc::clone(synonyms));
            }
        }
        let synonyms = Arc::new(Synonyms::load(&self.corpus)?);
        *current = Some((stamp, Arc::clone(&synonyms)));
        Ok(synonyms)
    }
}

impl Synonyms {
    /// The synonyms of the corpus at `corpus`: none when it has no synonym file.
    pub fn load(corpus: &Path) -> Result<Synonyms, SynonymsError> {
        let path = corpus.join(FILE_NAME);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Synonyms::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Synonyms::default()),
            Err(error) => Err(SynonymsError { path, error }),
        }
    }

    /// Parse the file's text: one group a line, entries separated by commas, `#` to the end of
    /// the line a comment. Entries the analyzer leaves nothing of (stop words) and groups of
    /// fewer than two entries are ignored.
    pub fn parse(text: &str) -> Synonyms {
        let mut groups = Vec::new();
        let mut analyzer = Analyzer::default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let mut group: Vec<Entry> = Vec::new();
            for part in line.split(',') {
                let text = part.split_whitespace().collect::<Vec<_>>().join(" ");
                let tokens = analyzer.query_words(&text);
                if tokens.is_empty() || group.iter().any(|e| e.tokens == tokens) {
                    continue;
                }
                group.push(Entry { text, tokens });
            }
            if group.len() >= 2 {
                groups.push(group);
            }
        }
        Synonyms { groups }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The entries of a group.
    pub fn group(&self, group: usize) -> &[Entry] {
        self.groups.get(group).map_or(&[], Vec::as_slice)
    }

    /// Entries found in `tokens`, left to right, the longest at each place, not overlapping.
    pub fn find(&self, tokens: &[&str]) -> Vec<Match> {
        let mut out = Vec::new();
        let mut start = 0;
        while start < tokens.len() {
            let mut best: Option<Match> = None;
            for (group, entries) in self.groups.iter().enumerate() {
                for e in entries {
                    let len = e.tokens.len();
                    let fits = tokens
                        .get(start..start + len)
                        .is_some_and(|run| run.iter().zip(&e.tokens).all(|(a, b)| *a == b.1));
                    if fits && best.is_none_or(|b| len > b.len) {
                        best = Some(Match { start, len, group });
                    }
                }
            }
            match best {
                Some(m) => {
                    out.push(m);
                    start += m.len;
                }
                None => start += 1,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_reads_the_file_again_only_when_it_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = SynonymsCache::new(tmp.path());
        assert!(cache.get().unwrap().is_empty(), "no file: no synonyms");
        let file = tmp.path().join(FILE_NAME);
        std::fs::write(&file, "ice, cold pack\n").unwrap();
        let first = cache.get().unwrap();
        assert!(!first.is_empty());
        // Unchanged: the same parse is handed out.
        assert!(Arc::ptr_eq(&first, &cache.get().unwrap()));
        // Changed (another size): read again.
        std::fs::write(&file, "# nothing left\n").unwrap();
        assert!(cache.get().unwrap().is_empty());
        std::fs::remove_file(&file).unwrap();
        assert!(cache.get().unwrap().is_empty());
    }

    #[test]
    fn parses_groups_comments_and_skips_useless_entries() {
        let s = Synonyms::parse(
            "# a comment\n\
             ice pack, Cold  Pack , cold compress   # trailing comment\n\
             \n\
             alone\n\
             the, and, spasm, cramps, Spasms\n",
        );
        assert_eq!(s.groups.len(), 2);
        assert_eq!(
            s.group(0)[1],
            Entry {
                text: "Cold Pack".into(),
                tokens: vec![(0, "cold".into()), (1, "pack".into())]
            }
        );
        // Stop words leave nothing; "Spasms" is "spasm" again.
        let texts: Vec<&str> = s.group(1).iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["spasm", "cramps"]);
        assert!(s.group(7).is_empty());
        assert!(Synonyms::parse("").is_empty());
    }

    #[test]
    fn finds_the_longest_entries_left_to_right() {
        let s = Synonyms::parse("ice, cold pack, cold compress\nMRI, magnetic resonance imaging");
        let tokens = ["cold", "pack", "and", "mri", "cold"];
        assert_eq!(
            s.find(&tokens),
            [
                Match {
                    start: 0,
                    len: 2,
                    group: 0
                },
                Match {
                    start: 3,
                    len: 1,
                    group: 1
                }
            ]
        );
        // "MRIs" is analysed to "mri" first.
        assert_eq!(
            crate::search::words::query_words("MRIs"),
            [(0, "mri".to_string())]
        );
        assert!(s.find(&["heat"]).is_empty());
    }

    #[test]
    fn a_missing_file_is_no_synonyms_and_a_bad_one_names_itself() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(Synonyms::load(tmp.path()).unwrap().is_empty());
        std::fs::write(tmp.path().join(FILE_NAME), b"ice, cold\xff pack\n").unwrap();
        let e = Synonyms::load(tmp.path()).unwrap_err().to_string();
        assert!(
            e.contains("synonyms.txt") && e.contains("fix or delete"),
            "{e}"
        );
        std::fs::write(tmp.path().join(FILE_NAME), "ice, cold pack\n").unwrap();
        assert_eq!(Synonyms::load(tmp.path()).unwrap().group(0).len(), 2);
    }
}
