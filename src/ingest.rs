//! The ingest pipeline: corpus files → documents → passages → cited passages → index.
//!
//! Reads only the corpus and writes only the index directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::corpus::{self, Corpus, SourceFile};
use crate::extract::{self, Format};
use crate::index::{FileEntry, IndexDir, Marker, Stats};
use crate::link::{self, CitedPassage};
use crate::passage::{self, DocInfo, Kind, Passage};
use crate::references::{Reference, ReferenceError, ReferenceList};

/// Errors that stop an ingest.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Corpus(#[from] corpus::CorpusError),
    #[error(transparent)]
    References(#[from] ReferenceError),
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
}

/// How to ingest.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Rebuild even over a damaged or foreign index directory (leaving foreign files alone).
    pub full: bool,
}

/// What an ingest did.
#[derive(Debug, Clone)]
pub struct IngestReport {
    pub stats: Stats,
    pub guides: usize,
    pub elapsed: Duration,
    /// Files that were skipped, with the reason (unreadable, not UTF-8, …).
    pub warnings: Vec<String>,
}

impl IngestReport {
    /// The one-line summary printed after an ingest.
    pub fn summary(&self) -> String {
        let s = &self.stats;
        format!(
            "indexed {} {} and {} {}: {} passages, {} citations in {:.2}s",
            self.guides,
            plural(self.guides, "guide", "guides"),
            s.references,
            plural(s.references, "reference", "references"),
            s.passages,
            s.citations,
            self.elapsed.as_secs_f64()
        )
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Everything extracted from a corpus, ready to index.
pub struct Extracted {
    pub passages: Vec<CitedPassage>,
    pub references: ReferenceList,
    pub files: Vec<FileEntry>,
    pub guides: usize,
    pub warnings: Vec<String>,
}

/// Extract, split and link a whole corpus.
pub fn extract_corpus(corpus: &Corpus) -> Result<Extracted, IngestError> {
    let references = match &corpus.references {
        Some(path) => ReferenceList::load(path)?,
        None => ReferenceList { refs: Vec::new() },
    };
    let mut warnings = Vec::new();
    let mut files = Vec::new();
    let mut passages: Vec<Passage> = Vec::new();
    let mut guides = 0;

    for file in &corpus.guides {
        match read_source(file) {
            Ok((text, entry)) => {
                passages.extend(guide_passages(file, &text));
                files.push(entry);
                guides += 1;
            }
            Err(reason) => warnings.push(format!("skipped {}: {reason}", file.path.display())),
        }
    }
    if let Some(path) = &corpus.references {
        if let Ok((_, entry)) = read_file(&corpus.root, path) {
            files.push(entry);
        }
    }
    for r in &references.refs {
        match corpus.snapshot(&r.id) {
            Some(path) => match read_file(&corpus.root, &path) {
                Ok((text, entry)) => {
                    passages.extend(reference_passages(r, &entry.path, &text));
                    files.push(entry);
                }
                Err(reason) => {
                    warnings.push(format!("skipped {}: {reason}", path.display()));
                    passages.extend(record_passage(r, corpus));
                }
            },
            None => passages.extend(record_passage(r, corpus)),
        }
    }

    let mut cited = link::link_passages(passages, &references);
    // Record each file's passage ids for the manifest.
    for entry in &mut files {
        entry.passages = cited
            .iter()
            .filter(|p| p.passage.path == entry.path)
            .map(|p| p.passage.id.clone())
            .collect();
    }
    cited.shrink_to_fit();
    Ok(Extracted {
        passages: cited,
        references,
        files,
        guides,
        warnings,
    })
}

/// Ingest a corpus into an index directory (a full rebuild, swapped in atomically).
pub fn ingest(
    corpus_dir: &Path,
    index: &IndexDir,
    opts: &IngestOptions,
) -> Result<IngestReport, IngestError> {
    let start = Instant::now();
    let corpus = corpus::discover(corpus_dir)?;
    let ex = extract_corpus(&corpus)?;
    let stats = Stats {
        documents: ex.guides + ex.references.refs.len(),
        passages: ex.passages.len(),
        references: ex.references.refs.len(),
        citations: ex
            .passages
            .iter()
            .filter(|p| p.passage.kind == Kind::Guide)
            .map(|p| p.direct_ids().count())
            .sum(),
    };
    let marker = Marker {
        tool: "citeseek".into(),
        schema_version: crate::index::SCHEMA_VERSION,
        generation: String::new(),
        corpus: fs::canonicalize(corpus_dir).unwrap_or_else(|_| corpus_dir.to_path_buf()),
        built_unix_ms: 0,
        stats: stats.clone(),
        files: ex.files,
    };
    index.write_full(&ex.passages, &ex.references, marker, opts.full)?;
    Ok(IngestReport {
        stats,
        guides: ex.guides,
        elapsed: start.elapsed(),
        warnings: ex.warnings,
    })
}

/// Read a guide file as UTF-8, with its manifest entry.
fn read_source(file: &SourceFile) -> Result<(String, FileEntry), String> {
    let root_len = file.path.to_string_lossy().len() - file.rel.len();
    let root = PathBuf::from(&file.path.to_string_lossy()[..root_len]);
    read_file(&root, &file.path)
}

fn read_file(root: &Path, path: &Path) -> Result<(String, FileEntry), String> {
    let bytes = fs::read(path).map_err(|e| format!("cannot read it ({e})"))?;
    let meta = fs::metadata(path).map_err(|e| format!("cannot stat it ({e})"))?;
    let hash = blake3::hash(&bytes).to_hex().to_string();
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "not valid UTF-8 (byte {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })?;
    let entry = FileEntry {
        path: corpus::rel_path(root, path),
        size: meta.len(),
        mtime_ns: meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos()),
        hash,
        passages: Vec::new(),
    };
    Ok((text, entry))
}

/// Passages of one guide file.
pub fn guide_passages(file: &SourceFile, text: &str) -> Vec<Passage> {
    let base = url::Url::from_file_path(&file.path)
        .ok()
        .map(|u| u.to_string());
    let stem = file
        .path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let doc = extract::extract(file.format, text, base.as_deref(), &stem);
    passage::split(
        &doc,
        &DocInfo {
            id: &file.doc_id,
            kind: Kind::Guide,
            path: &file.rel,
        },
    )
}

/// Passages of a reference's page snapshot.
pub fn reference_passages(r: &Reference, rel: &str, html: &str) -> Vec<Passage> {
    let base = r.link();
    let mut doc = extract::extract(Format::Html, html, base.as_deref(), &r.title);
    if doc.url.is_none() {
        doc.url = r.url.clone().or_else(|| r.link());
    }
    passage::split(
        &doc,
        &DocInfo {
            id: &r.id,
            kind: Kind::Reference,
            path: rel,
        },
    )
}

/// A single passage made from the reference record itself, for references with no snapshot.
fn record_passage(r: &Reference, corpus: &Corpus) -> Option<Passage> {
    let mut parts = vec![r.title.clone()];
    parts.extend(r.container.clone());
    parts.extend(r.abstract_text.clone());
    parts.extend(r.note.clone());
    let text = extract::clean_text(&parts.join(". "));
    if text.is_empty() {
        return None;
    }
    let (path, line) = match &corpus.references {
        Some(p) => (
            corpus::rel_path(&corpus.root, p),
            fs::read_to_string(p)
                .ok()
                .and_then(|t| record_line(&t, &r.id))
                .unwrap_or(1),
        ),
        None => ("references.json".to_string(), 1),
    };
    Some(Passage {
        id: format!("{}#record/1", r.id),
        kind: Kind::Reference,
        doc: r.id.clone(),
        title: r.title.clone(),
        section: Vec::new(),
        text,
        alt: String::new(),
        path,
        line,
        url: r.url.clone().or_else(|| r.link()),
        links: Vec::new(),
    })
}

/// Line of the `"id": "<id>"` member of a record in references.json.
fn record_line(text: &str, id: &str) -> Option<usize> {
    let needle = Value::String(id.to_string()).to_string();
    text.lines()
        .position(|l| l.contains("\"id\"") && l.contains(&needle))
        .map(|i| i + 1)
}

/// Seconds since the epoch, for logs.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
