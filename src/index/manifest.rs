//! The manifest of a generation and its file formats: `manifest.tsv` (files, sizes, times,
//! hashes), `passages.tsv` (their passage ids), `files.tsv` (the stat lines the freshness
//! check reads) and `blocks.tsv` (the pages' block fingerprints), and the stats of an index.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{write_atomic, IndexDir, IndexError, IndexLock, Marker};

/// File in a generation holding the manifest: every indexed file with its hash and passage ids
/// (read by ingest only).
pub const MANIFEST_FILE: &str = "manifest.tsv";

/// The first line of [`MANIFEST_FILE`]: what its columns are.
const MANIFEST_HEADER: &str = "# citeseek manifest: size, mtime_ns, blake3, citations, \
    text_bytes, skipped, doc, path (tab-separated; %, tab, CR and LF in doc and path written as %25, \
    %09, %0D, %0A)";

/// File in a generation with one line per indexed file, `size<TAB>mtime_ns<TAB>doc<TAB>path`:
/// all the freshness check before a search reads.
pub const STAT_FILE: &str = "files.tsv";

/// File in a generation with the passage ids of each indexed file, one file a line:
/// `path<TAB>id<TAB>id…` (plain text: a large corpus has a million of them).
pub const PASSAGES_FILE: &str = "passages.tsv";

/// File in a generation with the block fingerprints of each page the per-site repetition
/// counts are made of ([`crate::extract::repeat::SitePages`]; read by ingest only).
pub const BLOCKS_FILE: &str = "blocks.tsv";

/// Counts recorded with an index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub documents: usize,
    pub passages: usize,
    pub references: usize,
    pub citations: usize,
    /// Bytes of passage text extracted from the corpus (what the index is measured against).
    #[serde(default)]
    pub text_bytes: u64,
}

/// One indexed source file (the manifest incremental ingest compares against). Its default is
/// a file of no passages, not skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileEntry {
    /// Path relative to the corpus root, with `/` separators.
    pub path: String,
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: u128,
    /// BLAKE3 hash of the content.
    pub hash: String,
    /// Ids of the file's passages (kept in [`PASSAGES_FILE`], beside the manifest). Empty while
    /// `passages_raw` holds them unsplit: use [`FileEntry::passage_count`] and
    /// [`FileEntry::passages_mut`].
    pub passages: Vec<String>,
    /// The ids as read from [`PASSAGES_FILE`], tab-separated and not yet split: most files of
    /// an incremental update never need theirs, and are written back as they were read.
    pub passages_raw: Option<RawIds>,
    /// Document id of the file's passages (guide: file stem; snapshot: reference id).
    pub doc: String,
    /// Citations its passages make directly (for the stats of incremental updates).
    pub citations: usize,
    /// Bytes of text in its passages.
    pub text_bytes: u64,
    /// The file could not be read or decoded: it has no passages, is not counted as indexed,
    /// and is tried again only when its size or modification time changes.
    pub skipped: bool,
}

/// A file's passage ids as one tab-separated string, with how many there are (counted once,
/// when read: the stats of an update sum them over every file, several times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawIds {
    pub text: String,
    pub count: usize,
}

impl RawIds {
    pub fn new(text: &str) -> RawIds {
        let count = text
            .as_bytes()
            .split(|&b| b == b'\t')
            .filter(|id| !id.is_empty())
            .count();
        RawIds {
            text: text.to_string(),
            count,
        }
    }
}

impl FileEntry {
    /// How many passages the file has.
    pub fn passage_count(&self) -> usize {
        match &self.passages_raw {
            Some(raw) => raw.count,
            None => self.passages.len(),
        }
    }

    /// The passage ids, split out of their raw form first when needed.
    pub fn passages_mut(&mut self) -> &mut Vec<String> {
        if let Some(raw) = self.passages_raw.take() {
            self.passages = raw
                .text
                .split('\t')
                .filter(|id| !id.is_empty())
                .map(|id| unescape_field(id).unwrap_or_else(|| id.to_string()))
                .collect();
        }
        &mut self.passages
    }
}

/// The stat-only view of an indexed file: what the freshness check compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatEntry {
    pub path: String,
    pub size: u64,
    pub mtime_ns: u128,
    pub doc: String,
}

impl From<&FileEntry> for StatEntry {
    fn from(f: &FileEntry) -> StatEntry {
        StatEntry {
            path: f.path.clone(),
            size: f.size,
            mtime_ns: f.mtime_ns,
            doc: f.doc.clone(),
        }
    }
}

/// `s` with `%`, tab, CR and LF written as `%25`, `%09`, `%0D`, `%0A` (a manifest field).
pub(super) fn escape_field(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['%', '\t', '\r', '\n']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\t' => out.push_str("%09"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The inverse of [`escape_field`]; `None` for an escape it never writes.
fn unescape_field(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let c = match rest.get(i + 1..i + 3)? {
            "25" => '%',
            "09" => '\t',
            "0D" => '\r',
            "0A" => '\n',
            _ => return None,
        };
        out.push(c);
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// Append `f` to `out` as one line of [`MANIFEST_FILE`].
fn push_manifest_line(out: &mut String, f: &FileEntry) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        f.size,
        f.mtime_ns,
        escape_field(&f.hash),
        f.citations,
        f.text_bytes,
        u8::from(f.skipped),
        escape_field(&f.doc),
        escape_field(&f.path)
    );
}

/// One line of [`MANIFEST_FILE`], or `None` when it is malformed.
fn parse_manifest_line(line: &str) -> Option<FileEntry> {
    let mut parts = line.split('\t');
    let entry = FileEntry {
        size: parts.next()?.parse().ok()?,
        mtime_ns: parts.next()?.parse().ok()?,
        hash: unescape_field(parts.next()?)?,
        citations: parts.next()?.parse().ok()?,
        text_bytes: parts.next()?.parse().ok()?,
        skipped: match parts.next()? {
            "0" => false,
            "1" => true,
            _ => return None,
        },
        doc: unescape_field(parts.next()?)?,
        path: unescape_field(parts.next()?)?,
        passages: Vec::new(),
        passages_raw: None,
    };
    parts.next().is_none().then_some(entry)
}

impl IndexDir {
    /// Write a generation's manifest, its stat lines and its pages' block fingerprints.
    pub(super) fn write_manifest(
        &self,
        _lock: &IndexLock,
        dir: &Path,
        marker: &Marker,
    ) -> Result<(), IndexError> {
        let files = &marker.files;
        // Tab-separated rather than JSON: an update of a 100,000-file corpus reads and writes
        // it whole, and this form takes a fraction of the time to parse. The three files are
        // made and written side by side, each on its own core when there is one.
        let write = |name: &str, text: String| {
            write_atomic(&dir.join(name), text.as_bytes()).map_err(|e| self.io(e))
        };
        let (manifest, (ids, stats)) = rayon::join(
            || write(MANIFEST_FILE, manifest_text(files)),
            || {
                rayon::join(
                    || write(PASSAGES_FILE, passages_text(files)),
                    || write(STAT_FILE, stat_text(files)),
                )
            },
        );
        let blocks = marker.blocks.to_text(|f| escape_field(f).into_owned());
        manifest.and(ids).and(stats).and(write(BLOCKS_FILE, blocks))
    }

    /// Fill `marker.files` from its generation's manifest.
    pub fn load_manifest(&self, marker: &mut Marker) -> Result<(), IndexError> {
        let path = self.path.join(&marker.generation).join(MANIFEST_FILE);
        let corrupt = |detail: String| IndexError::Corrupt {
            dir: self.path.clone(),
            detail,
        };
        let text = fs::read_to_string(&path)
            .map_err(|e| corrupt(format!("cannot read {}: {e}", path.display())))?;
        let mut files: Vec<FileEntry> = Vec::with_capacity(text.len() / 128);
        for (n, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = parse_manifest_line(line).ok_or_else(|| {
                corrupt(format!(
                    "{}:{}: not a manifest line: {:?}",
                    path.display(),
                    n + 1,
                    line.chars().take(80).collect::<String>()
                ))
            })?;
            files.push(entry);
        }
        let ids_path = self.path.join(&marker.generation).join(PASSAGES_FILE);
        let ids = fs::read_to_string(&ids_path)
            .map_err(|e| corrupt(format!("cannot read {}: {e}", ids_path.display())))?;
        let by_path: rustc_hash::FxHashMap<&str, usize> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.as_str(), i))
            .collect();
        let mut lines: Vec<(usize, &str)> = Vec::with_capacity(files.len());
        for line in ids.lines() {
            let (path, rest) = line.split_once('\t').unwrap_or((line, ""));
            let Some(path) = unescape_field(path) else {
                continue;
            };
            if let Some(&i) = by_path.get(path.as_str()) {
                lines.push((i, rest));
            }
        }
        for (i, rest) in lines {
            files[i].passages_raw = Some(RawIds::new(rest));
        }
        let blocks_path = self.path.join(&marker.generation).join(BLOCKS_FILE);
        let blocks = fs::read_to_string(&blocks_path)
            .map_err(|e| corrupt(format!("cannot read {}: {e}", blocks_path.display())))?;
        marker.blocks = crate::extract::repeat::SitePages::parse(&blocks, unescape_field)
            .map_err(|e| corrupt(format!("{}: {e}", blocks_path.display())))?;
        marker.files = files;
        Ok(())
    }

    /// The stat lines of a generation: what the freshness check compares, without the
    /// manifest's hashes and passage ids.
    pub fn stat_entries(&self, generation: &str) -> Result<Vec<StatEntry>, IndexError> {
        let path = self.path.join(generation).join(STAT_FILE);
        let text = fs::read_to_string(&path).map_err(|e| IndexError::Corrupt {
            dir: self.path.clone(),
            detail: format!("cannot read {}: {e}", path.display()),
        })?;
        let mut out = Vec::with_capacity(text.len() / 64);
        for line in text.lines() {
            let mut parts = line.splitn(4, '\t');
            let (Some(size), Some(mtime), Some(doc), Some(p)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let (Ok(size), Ok(mtime_ns), Some(path), Some(doc)) = (
                size.parse(),
                mtime.parse(),
                unescape_field(p),
                unescape_field(doc),
            ) else {
                continue;
            };
            out.push(StatEntry {
                path,
                size,
                mtime_ns,
                doc,
            });
        }
        Ok(out)
    }
}

/// The manifest file's text: a header, then one line a file.
pub(super) fn manifest_text(files: &[FileEntry]) -> String {
    let mut manifest = String::with_capacity(files.len() * 160);
    manifest.push_str(MANIFEST_HEADER);
    manifest.push('\n');
    for f in files {
        push_manifest_line(&mut manifest, f);
    }
    manifest
}

/// The passages file's text: a file's path, then its passage ids, tab-separated.
pub(super) fn passages_text(files: &[FileEntry]) -> String {
    let mut ids = String::with_capacity(files.iter().map(|f| f.passage_count() * 24).sum());
    for f in files {
        ids.push_str(&escape_field(&f.path));
        if let Some(raw) = &f.passages_raw {
            // Read from the previous generation and untouched: written back as it was.
            if !raw.text.is_empty() {
                ids.push('\t');
                ids.push_str(&raw.text);
            }
            ids.push('\n');
            continue;
        }
        for id in &f.passages {
            ids.push('\t');
            // Ids hold a file's name, tabs and newlines included: escaped, like the paths.
            ids.push_str(&escape_field(id));
        }
        ids.push('\n');
    }
    ids
}

/// The stat file's text: size, time, doc id and path of each file, for the freshness check.
pub(super) fn stat_text(files: &[FileEntry]) -> String {
    use std::fmt::Write as _;
    let mut tsv = String::with_capacity(files.len() * 64);
    for f in files {
        // File names may hold tabs and newlines: escaped like the manifest's.
        let _ = writeln!(
            tsv,
            "{}\t{}\t{}\t{}",
            f.size,
            f.mtime_ns,
            escape_field(&f.doc),
            escape_field(&f.path)
        );
    }
    tsv
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn manifest_lines_round_trip_any_path() {
        for (doc, path) in [
            ("back-spasm", "guide/back-spasm.html"),
            ("a%b", "guide/a%b\tc\nd\re.html"),
            ("100%", "guide/100%25.md"),
        ] {
            let entry = FileEntry {
                path: path.into(),
                size: 42,
                mtime_ns: 1_795_925_877_252_818_753,
                hash: "ef88".into(),
                passages: Vec::new(),
                passages_raw: None,
                doc: doc.into(),
                citations: 3,
                text_bytes: 1234,
                skipped: path.contains('\t'),
            };
            let mut line = String::new();
            push_manifest_line(&mut line, &entry);
            let line = line.strip_suffix('\n').expect("one line");
            assert!(
                !line.contains('\n') && line.split('\t').count() == 8,
                "{line:?}"
            );
            assert_eq!(parse_manifest_line(line), Some(entry));
        }
        // Malformed lines are refused, not half-read.
        for bad in [
            "",
            "1\t2\tab\t3\t4\t0\tdoc",
            "x\t2\tab\t3\t4\t0\tdoc\tpath",
            "1\t2\tab\t3\t4\t0\tdoc\tpath\textra",
            "1\t2\tab\t3\t4\t0\tdoc\tbad%zz",
            "1\t2\tab\t3\t4\t2\tdoc\tpath",
        ] {
            assert_eq!(parse_manifest_line(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn stat_and_passage_files_round_trip_tabs_and_newlines_in_names() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path());
        let generation = "gen-1-1";
        fs::create_dir_all(tmp.path().join(generation)).unwrap();
        let files: Vec<FileEntry> = ["guide/a\tb.md", "guide/c\nd.md", "guide/100%.md"]
            .iter()
            .map(|path| FileEntry {
                path: path.to_string(),
                size: 3,
                mtime_ns: 4,
                hash: "ab".into(),
                passages: vec![format!("{path}#x/1")],
                passages_raw: None,
                doc: path.trim_start_matches("guide/").to_string(),
                citations: 0,
                text_bytes: 5,
                skipped: false,
            })
            .collect();
        let g = tmp.path().join(generation);
        fs::write(g.join(STAT_FILE), stat_text(&files)).unwrap();
        fs::write(g.join(PASSAGES_FILE), passages_text(&files)).unwrap();
        fs::write(g.join(MANIFEST_FILE), manifest_text(&files)).unwrap();
        let mut blocks = crate::extract::repeat::SitePages::default();
        blocks.pages.insert(
            "guide/a\tb.md".into(),
            crate::extract::repeat::PageBlocks {
                site: "example.com".into(),
                prints: vec![7, 9],
            },
        );
        let blocks_text = blocks.to_text(|f| escape_field(f).into_owned());
        fs::write(g.join(BLOCKS_FILE), blocks_text).unwrap();
        let stats = dir.stat_entries(generation).unwrap();
        let expected: Vec<StatEntry> = files.iter().map(StatEntry::from).collect();
        assert_eq!(stats, expected);
        let mut marker = Marker {
            generation: generation.into(),
            ..Marker::new(PathBuf::from("/c"))
        };
        dir.load_manifest(&mut marker).unwrap();
        for (read, written) in marker.files.iter_mut().zip(&files) {
            assert_eq!(read.path, written.path);
            assert_eq!(read.passages_mut(), &written.passages);
        }
        assert_eq!(marker.blocks, blocks);
    }
}
