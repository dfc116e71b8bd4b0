//! Corpus discovery: finds the guide files under `<corpus>/guide/`, the reference list
//! `<corpus>/references.json`, and each reference's page snapshot `<corpus>/references/<id>.html`.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use crate::extract::Format;

/// Errors that stop discovery.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error(
        "corpus directory {} not found: pass --corpus DIR or set CITESEEK_CORPUS to a folder \
         with guide/ and references.json",
        .0.display()
    )]
    Missing(PathBuf),
    #[error("{} is not a directory: pass --corpus DIR with a folder holding guide/ and references.json", .0.display())]
    NotADirectory(PathBuf),
    #[error(
        "there is no guide to audit: {} has no guide files under guide/ (pass --corpus DIR \
         with the guides to check)",
        .dir.display()
    )]
    NoGuide { dir: PathBuf },
    #[error("cannot read {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One guide file to index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Full path (corpus root joined with `rel`).
    pub path: PathBuf,
    /// Path relative to the corpus root, `/`-separated: `guide/back-spasm-relief.html`.
    pub rel: String,
    pub format: Format,
    /// Document id: the file stem, or the path below `guide/` without extension when two
    /// files share a stem.
    pub doc_id: String,
}

/// What a corpus directory holds.
#[derive(Debug, Clone)]
pub struct Corpus {
    pub root: PathBuf,
    pub guides: Vec<SourceFile>,
    /// `<root>/references.json`, when present.
    pub references: Option<PathBuf>,
    /// `<root>/references/`
    pub snapshots: PathBuf,
    /// Entries of `guide/` that could not be read (dangling links, link loops), as warnings.
    pub skipped: Vec<String>,
}

impl Corpus {
    /// The snapshot file of a reference, when it exists.
    pub fn snapshot(&self, id: &str) -> Option<PathBuf> {
        let p = self.snapshots.join(format!("{id}.html"));
        p.is_file().then_some(p)
    }
}

/// Discover the files of a corpus directory. Files are returned in a stable (sorted) order.
pub fn discover(root: &Path) -> Result<Corpus, CorpusError> {
    check_root(root)?;
    let guide_dir = root.join("guide");
    let mut guides = Vec::new();
    let mut skipped = Vec::new();
    if guide_dir.is_dir() {
        for entry in walkdir::WalkDir::new(&guide_dir)
            .follow_links(true)
            .sort_by(|a, b| last_name(a.path()).cmp(last_name(b.path())))
        {
            // A dangling link or a link loop is reported and skipped, like an unreadable file.
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e
                        .path()
                        .map_or_else(|| guide_dir.clone(), Path::to_path_buf);
                    let reason = if e.loop_ancestor().is_some() {
                        "a link loop".to_string()
                    } else {
                        e.io_error()
                            .map_or_else(|| e.to_string(), ToString::to_string)
                    };
                    skipped.push(format!("skipped {}: {reason}", path.display()));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let Some(format) = Format::from_path(entry.path()) else {
                continue;
            };
            let rel = rel_path(root, entry.path());
            guides.push(SourceFile {
                path: entry.path().to_path_buf(),
                rel,
                format,
                doc_id: String::new(),
            });
        }
    }
    assign_doc_ids(&mut guides);
    let refs = root.join("references.json");
    Ok(Corpus {
        root: root.to_path_buf(),
        guides,
        references: refs.is_file().then_some(refs),
        snapshots: root.join("references"),
        skipped,
    })
}

/// Check that a corpus directory exists and is a directory.
pub fn check_root(root: &Path) -> Result<(), CorpusError> {
    if !root.exists() {
        return Err(CorpusError::Missing(root.to_path_buf()));
    }
    if !root.is_dir() {
        return Err(CorpusError::NotADirectory(root.to_path_buf()));
    }
    Ok(())
}

/// The bytes of a walked path's last component: what walkdir's `sort_by_file_name` compares,
/// found by looking back for the separator instead of taking the path apart at every
/// comparison (a measurable part of checking a 100,000-file corpus for changes).
fn last_name(path: &Path) -> &[u8] {
    let bytes = path.as_os_str().as_encoded_bytes();
    match bytes
        .iter()
        .rposition(|&c| std::path::is_separator(char::from(c)))
    {
        Some(i) => &bytes[i + 1..],
        None => bytes,
    }
}

/// `path` relative to `root`, with `/` separators.
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let text = rel.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' && !text.starts_with('/') && !text.contains("//") {
        // The common case, without splitting the path into components.
        return text.trim_start_matches("./").to_string();
    }
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Document ids from each file's own path: the path below `guide/` without its extension
/// (`back-spasm-relief`, `sub/a`). Two files that would get the same id (`a.html` and `a.md`)
/// both keep their extension (`a.html`, `a.md`), so ids never collide.
fn assign_doc_ids(files: &mut [SourceFile]) {
    fn stripped(rel: &str) -> &str {
        let rel = rel.strip_prefix("guide/").unwrap_or(rel);
        match rel.rsplit_once('.') {
            Some((stem, _)) if !stem.is_empty() && !stem.ends_with('/') => stem,
            _ => rel,
        }
    }
    let mut counts: FxHashMap<&str, usize> = FxHashMap::default();
    for f in files.iter() {
        *counts.entry(stripped(&f.rel)).or_default() += 1;
    }
    let ids: Vec<String> = files
        .iter()
        .map(|f| {
            let id = stripped(&f.rel);
            if counts.get(id).copied().unwrap_or(0) > 1 {
                f.rel.strip_prefix("guide/").unwrap_or(&f.rel).to_string()
            } else {
                id.to_string()
            }
        })
        .collect();
    for (f, id) in files.iter_mut().zip(ids) {
        f.doc_id = id;
    }
}

impl Corpus {
    /// Give guides whose id is also a reference id (`guide/malanga2015.html` beside the
    /// reference `malanga2015`) their path as id, `guide/malanga2015`, so passage ids of a
    /// guide and of a reference never collide.
    pub fn reserve_ids<S: AsRef<str>>(&mut self, reference_ids: &[S]) {
        let taken: std::collections::HashSet<&str> =
            reference_ids.iter().map(AsRef::as_ref).collect();
        for g in &mut self.guides {
            if taken.contains(g.doc_id.as_str()) {
                g.doc_id = format!("guide/{}", g.doc_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn discovers_guides_recursively_with_unique_ids() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::create_dir_all(root.join("guide/sub")).unwrap();
        fs::write(root.join("guide/a.html"), "<p>a</p>").unwrap();
        fs::write(root.join("guide/b.md"), "b").unwrap();
        fs::write(root.join("guide/sub/a.txt"), "a").unwrap();
        fs::write(root.join("guide/notes.pdf"), "x").unwrap();
        fs::write(root.join("guide/.hidden.md"), "x").unwrap();
        fs::write(root.join("references.json"), "[]").unwrap();
        let c = discover(root).unwrap();
        let got: Vec<_> = c
            .guides
            .iter()
            .map(|g| (g.rel.as_str(), g.doc_id.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("guide/a.html", "a"),
                ("guide/b.md", "b"),
                ("guide/sub/a.txt", "sub/a")
            ]
        );
        assert!(c.references.is_some());
        // Same stem in one folder: both keep their extension; the nested file is unaffected.
        fs::write(root.join("guide/a.md"), "a").unwrap();
        let mut c = discover(root).unwrap();
        let got: Vec<_> = c.guides.iter().map(|g| g.doc_id.as_str()).collect();
        assert_eq!(got, ["a.html", "a.md", "b", "sub/a"]);
        c.reserve_ids(&["b"]);
        assert_eq!(c.guides[2].doc_id, "guide/b");
    }

    #[test]
    fn dangling_links_are_skipped_with_a_warning() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::create_dir_all(root.join("guide")).unwrap();
        fs::write(root.join("guide/ok.md"), "# ok").unwrap();
        std::os::unix::fs::symlink(root.join("nowhere"), root.join("guide/broken.md")).unwrap();
        std::os::unix::fs::symlink(root.join("guide"), root.join("guide/loop")).unwrap();
        let c = discover(root).unwrap();
        assert_eq!(c.guides.len(), 1);
        assert_eq!(c.skipped.len(), 2, "{:?}", c.skipped);
    }

    #[test]
    fn nested_directories_are_sorted_and_every_link_loop_is_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for dir in ["guide/b/deep", "guide/a", "guide/c", "guide/a-b"] {
            fs::create_dir_all(root.join(dir)).unwrap();
        }
        for file in [
            "guide/z.md",
            "guide/b/deep/y.md",
            "guide/b/x.md",
            "guide/a/w.md",
            "guide/a-b/v.md",
            "guide/a.md",
            "guide/0.md",
        ] {
            fs::write(root.join(file), "# t").unwrap();
        }
        // Links back to guide/ and to the corpus root, from below it.
        std::os::unix::fs::symlink(root.join("guide"), root.join("guide/a/up")).unwrap();
        std::os::unix::fs::symlink(root, root.join("guide/b/deep/top")).unwrap();
        // A link to a sibling directory is no loop: its files are listed under the link too
        // (and its link back to guide/ is skipped there as well).
        std::os::unix::fs::symlink(root.join("guide/a"), root.join("guide/c/same")).unwrap();
        let c = discover(root).unwrap();
        let rels: Vec<_> = c.guides.iter().map(|g| g.rel.as_str()).collect();
        assert_eq!(
            rels,
            [
                "guide/0.md",
                "guide/a/w.md",
                "guide/a-b/v.md",
                "guide/a.md",
                "guide/b/deep/y.md",
                "guide/b/x.md",
                "guide/c/same/w.md",
                "guide/z.md"
            ]
        );
        assert_eq!(c.skipped.len(), 3, "{:?}", c.skipped);
        assert!(
            c.skipped.iter().all(|s| s.ends_with("a link loop")),
            "{:?}",
            c.skipped
        );
    }

    #[test]
    fn missing_corpus_is_a_clear_error() {
        let err = discover(Path::new("/nonexistent/corpus")).unwrap_err();
        assert!(err.to_string().contains("--corpus"), "{err}");
    }
}
