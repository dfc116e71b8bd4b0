//! The tantivy index: schema, English analysis (registered on every open), the index directory
//! with its marker and generations, full writes with an atomic swap, and opening for search.
//!
//! Layout of an index directory:
//! ```text
//! index/
//!   citeseek-index.json   marker: schema version, current generation, corpus, stats
//!   gen-<millis>-<pid>/   one tantivy index, the references it was built with, its manifest
//!                         (manifest.tsv: files and hashes; passages.tsv: their passage
//!                         ids) and files.tsv (the sizes and times the freshness check
//!                         compares), and blocks.tsv (the fingerprints of the blocks
//!                         of pages without an explicit article root, for the per-site
//!                         repetition counts: see `extract::repeat`)
//! ```
//! Every write — a full rebuild or an incremental update — builds a new generation beside the
//! current one (an incremental update starts from hard links to the current generation's
//! immutable segment files, then deletes and adds passages in one tantivy commit), syncs it to
//! disk, and only then replaces the marker with an atomic rename. A reader therefore sees the
//! old index or the new one, never a mix, and a writer killed at any moment leaves the old
//! marker pointing at the old, untouched generation.
//!
//! Writers hold an exclusive lock on `index/.lock` (which records their pid) for the whole
//! write, so at most one process writes an index directory; while holding it they remove
//! generations left behind by killed writers. Readers take no lock: a reader that read the old
//! marker just before its generation was removed reads the marker again.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fs4::fs_std::FileExt;

use serde::{Deserialize, Serialize};
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::indexer::UserOperation;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STORED,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::analysis::{register_analyzers, ANALYZER, REPEATED_ANALYZER};
use crate::link::CitedPassage;
use crate::passage::Kind;
use crate::references::ReferenceList;
use crate::vectors::build::{self as vector_stage, BuildError, VectorsInfo};
use crate::vectors::VectorFile;

/// Version of citeseek's index layout and analysis. Bump it whenever the schema, the analyzer
/// or the stored data changes: an index of another version is rebuilt, never misread.
pub const SCHEMA_VERSION: u32 = 12;
/// The marker file that says a directory is a citeseek index.
pub const MARKER: &str = "citeseek-index.json";
/// File in a generation holding the references (CSL-JSON) the index was built with.
pub const REFERENCES_FILE: &str = "references.json";
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
/// Files a fresh checkout may have in `index/` that are not an index.
const PLACEHOLDERS: &[&str] = &["README.md", ".gitkeep", ".gitignore", LOCK_FILE];
/// Prefix of the temporary files `write_atomic` renames into place (ours to clean up).
const TMP_PREFIX: &str = ".citeseek-tmp-";
/// The writers' lock file in the index directory; holds the pid of the writer.
pub const LOCK_FILE: &str = ".lock";
/// File citeseek writes into every generation directory the moment it creates it: only
/// directories holding it (or the one the marker names) are ever deleted as ours.
pub const GENERATION_PROOF: &str = ".citeseek-generation";
/// What [`GENERATION_PROOF`] holds.
const GENERATION_PROOF_TEXT: &str = "created by citeseek; removed with its generation\n";

/// Errors a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("no index in {}: run `citeseek ingest` to build it", .dir.display())]
    Missing { dir: PathBuf },
    #[error(
        "the index in {} was built by another citeseek version (index schema {found}, this \
         version reads {expected}): run `citeseek ingest --full` to rebuild it",
        .dir.display()
    )]
    SchemaMismatch {
        dir: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error(
        "{} is not a citeseek index (it has files but no {MARKER}); citeseek will not touch \
         them: pass another --index directory, or run `citeseek ingest --full` to build an \
         index beside them",
        .dir.display()
    )]
    Foreign { dir: PathBuf },
    #[error("the index in {} is damaged ({detail}): run `citeseek ingest --full` to rebuild it", .dir.display())]
    Corrupt { dir: PathBuf, detail: String },
    #[error("cannot write the index in {}: {source}", .dir.display())]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "another ingest is running{} on the index in {}: wait for it to finish and try again",
        .pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
        .dir.display()
    )]
    Busy { dir: PathBuf, pid: Option<u32> },
    #[error("cannot write to the index directory {} ({source}): pass a writable --index directory", .dir.display())]
    NotWritable {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no space left on device while writing {}: free some space and run the ingest again \
         (the previous index is unchanged and keeps answering)",
        .dir.display()
    )]
    NoSpace { dir: PathBuf },
    #[error(transparent)]
    Vectors(#[from] BuildError),
    #[error("tantivy failed on the index in {}: {source}", .dir.display())]
    Tantivy {
        dir: PathBuf,
        #[source]
        source: tantivy::TantivyError,
    },
}

/// The fields of the passage schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub kind: Field,
    pub doc: Field,
    /// References the passage cites itself.
    pub cites: Field,
    /// References the passage's section cites.
    pub section_cites: Field,
    pub title: Field,
    pub section: Field,
    pub body: Field,
    pub alt: Field,
    /// The whole [`CitedPassage`] as JSON, for display.
    pub data: Field,
    /// The key of the passage's vector ([`crate::vectors::passage_key`]), a fast field.
    pub vector_key: Field,
}

/// Build the schema: analysed text fields, exact-match filter fields, one stored JSON blob.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let with_positions = IndexRecordOption::WithFreqsAndPositions;
    let analysed = |analyzer, record| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(record),
        )
    };
    // Exact-match filters: one untokenized term, never scored, so no field norms (a byte a
    // passage each).
    let exact = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    let fields = Fields {
        // Stored only: nothing looks a passage up by its id, and indexing a term unique to
        // every passage made a large share of the term dictionary.
        id: b.add_text_field("id", STORED),
        kind: b.add_text_field("kind", exact.clone()),
        doc: b.add_text_field("doc", exact.clone()),
        cites: b.add_text_field("cites", exact.clone()),
        section_cites: b.add_text_field("section_cites", exact),
        // Titles are scored word by word, never as phrases: no positions. Title, heading path
        // and alt text repeat from passage to passage, and their analyzer replays them.
        title: b.add_text_field(
            "title",
            analysed(REPEATED_ANALYZER, IndexRecordOption::WithFreqs),
        ),
        section: b.add_text_field("section", analysed(REPEATED_ANALYZER, with_positions)),
        body: b.add_text_field("body", analysed(ANALYZER, with_positions)),
        alt: b.add_text_field("alt", analysed(REPEATED_ANALYZER, with_positions)),
        data: b.add_text_field("data", STORED),
        vector_key: b.add_u64_field(
            vector_stage::KEY_FIELD,
            NumericOptions::default().set_fast(),
        ),
    };
    (b.build(), fields)
}

/// Index settings: the stored passages (JSON, much of it repeated from passage to passage:
/// titles, heading paths, URLs, citation labels) compress with zstd in 32 KiB blocks.
///
/// Showing a hit decompresses its whole block. At 942,226 passages, 256 KiB blocks cost about
/// a millisecond a query more than 64 KiB ones, for a store about 9% smaller; 32 KiB blocks
/// took the median query from 4.80 to 4.20 ms (three alternating runs each), for a store 6%
/// larger than with 64 KiB.
///
/// Level 2 rather than 3: tantivy starts each block with a fresh zstd context, and level 3's
/// larger match tables cost more to clear per 32 KiB block than they save. A 2,000-page build
/// runs 4.2% fewer instructions (7.26 vs 7.58 G under callgrind) for a store 1.5% larger.
pub fn index_settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_compression: tantivy::store::Compressor::Zstd(tantivy::store::ZstdCompressor {
            compression_level: Some(2),
        }),
        docstore_blocksize: 32 * 1024,
        ..tantivy::IndexSettings::default()
    }
}

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

/// One indexed source file (the manifest incremental ingest compares against).
#[derive(Debug, Clone, PartialEq, Eq)]
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
fn escape_field(s: &str) -> std::borrow::Cow<'_, str> {
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

/// The marker file's content: proof the directory is ours, and what it holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Marker {
    pub tool: String,
    pub schema_version: u32,
    pub generation: String,
    /// Absolute corpus directory the index was built from.
    pub corpus: PathBuf,
    pub built_unix_ms: u128,
    pub stats: Stats,
    /// The manifest; kept in the generation ([`MANIFEST_FILE`]) so the marker stays small.
    /// Empty after [`IndexDir::read_marker`]; [`IndexDir::load_manifest`] fills it.
    #[serde(skip)]
    pub files: Vec<FileEntry>,
    /// Ids in references.json when the index was built (which snapshot files matter).
    #[serde(default)]
    pub reference_ids: Vec<String>,
    /// What the generation's vector file holds; `None` without one.
    #[serde(default)]
    pub vectors: Option<VectorsInfo>,
    /// The block fingerprints of the pages counted for repetition across a site; kept in the
    /// generation ([`BLOCKS_FILE`]) and filled, like `files`, by [`IndexDir::load_manifest`].
    #[serde(skip)]
    pub blocks: crate::extract::repeat::SitePages,
}

/// The exclusive writer lock of an index directory; released when dropped (or when the
/// process dies, however it dies).
#[derive(Debug)]
pub struct IndexLock {
    _file: File,
}

/// Passages to delete in an incremental update: every passage of kind `kind` and doc `doc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocKey {
    pub kind: Kind,
    pub doc: String,
}

/// An index directory on disk.
#[derive(Debug, Clone)]
pub struct IndexDir {
    pub path: PathBuf,
}

/// An index opened for searching.
pub struct OpenIndex {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub marker: Marker,
    pub generation_dir: PathBuf,
    /// The generation's references (CSL-JSON text), read when it was opened: a writer may
    /// remove the generation's directory while this reader still uses it.
    references_json: String,
    /// The generation's passage vectors, when it has them (memory-mapped).
    pub vectors: Option<VectorFile>,
    /// What searching it remembers between queries: which segments lack which field, their
    /// reference passages, their terms grouped for typo correction, normalisation tables.
    pub caches: crate::search::SearchCaches,
}

impl OpenIndex {
    /// The error to report for a failure while reading this index (a tantivy error, or a
    /// panic from inside tantivy): [`IndexError::Corrupt`] naming the damaged files when the
    /// checksums find some, else naming the failure. Either way it says to rebuild.
    pub fn damaged(&self, failure: &str) -> IndexError {
        let detail = match damaged_files(&self.index) {
            Ok(files) if !files.is_empty() => format!("damaged files: {}", files.join(", ")),
            Ok(_) => format!("reading it failed: {failure}"),
            Err(e) => format!("reading it failed: {failure}; its checksums cannot be read: {e}"),
        };
        IndexError::Corrupt {
            dir: self.generation_dir.clone(),
            detail,
        }
    }

    /// The references the index was built with.
    pub fn references(&self) -> Result<ReferenceList, IndexError> {
        let path = self.generation_dir.join(REFERENCES_FILE);
        ReferenceList::parse(&self.references_json, &path).map_err(|e| IndexError::Corrupt {
            dir: self.generation_dir.clone(),
            detail: e.to_string(),
        })
    }
}

impl IndexDir {
    pub fn new(path: impl Into<PathBuf>) -> IndexDir {
        IndexDir { path: path.into() }
    }

    fn marker_path(&self) -> PathBuf {
        self.path.join(MARKER)
    }

    fn io(&self, source: std::io::Error) -> IndexError {
        IndexError::Io {
            dir: self.path.clone(),
            source,
        }
    }

    /// Read the marker. `Ok(None)` when the directory holds no index (absent, empty, or only
    /// placeholder files); `Foreign` when it holds files citeseek did not write.
    pub fn read_marker(&self) -> Result<Option<Marker>, IndexError> {
        let text = match fs::read_to_string(self.marker_path()) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return if self.has_foreign_files()? {
                    Err(IndexError::Foreign {
                        dir: self.path.clone(),
                    })
                } else {
                    Ok(None)
                };
            }
            Err(e) => return Err(self.io(e)),
        };
        let marker: Marker = serde_json::from_str(&text).map_err(|e| IndexError::Corrupt {
            dir: self.path.clone(),
            detail: format!("{MARKER} is not valid: {e}"),
        })?;
        if marker.tool != "citeseek" {
            return Err(IndexError::Foreign {
                dir: self.path.clone(),
            });
        }
        Ok(Some(marker))
    }

    /// Whether the directory has entries other than placeholders and citeseek generations.
    fn has_foreign_files(&self) -> Result<bool, IndexError> {
        let entries = match fs::read_dir(&self.path) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(self.io(e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| self.io(e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let ours = PLACEHOLDERS.contains(&name.as_ref())
                || name.starts_with(TMP_PREFIX)
                || (is_generation_name(&name) && is_ours(&entry.path()));
            if !ours {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Open the current generation for searching.
    ///
    /// A writer may swap in a new generation and remove the old one between our reading of the
    /// marker and our opening of its generation; when opening fails and the marker has moved
    /// on, try again with the new one.
    ///
    /// tantivy panics on some damaged files instead of returning an error: such a panic is
    /// reported as [`IndexError::Corrupt`].
    pub fn open(&self) -> Result<OpenIndex, IndexError> {
        let mut attempt = 0;
        loop {
            let opened = catch_panic(|| self.open_once()).unwrap_or_else(|panic| {
                Err((
                    IndexError::Corrupt {
                        dir: self.path.clone(),
                        detail: format!("opening it failed: {panic}"),
                    },
                    None,
                ))
            });
            let (err, tried) = match opened {
                Ok(index) => return Ok(index),
                Err(e) => e,
            };
            let moved = match (&tried, self.read_marker()) {
                (Some(g), Ok(Some(now))) => &now.generation != g,
                _ => false,
            };
            if !moved || attempt >= 5 {
                return Err(err);
            }
            attempt += 1;
            std::thread::sleep(Duration::from_millis(10 * attempt));
        }
    }

    /// Check that a generation opens, its segments read and their checksums match (before
    /// building on it, or calling it up to date).
    pub fn check_generation(&self, generation: &str) -> Result<(), IndexError> {
        let (index, ..) = self.open_parts(generation)?;
        let damaged = damaged_files(&index).map_err(|e| IndexError::Corrupt {
            dir: self.path.clone(),
            detail: format!("cannot verify {generation}: {e}"),
        })?;
        if damaged.is_empty() {
            Ok(())
        } else {
            Err(IndexError::Corrupt {
                dir: self.path.clone(),
                detail: format!("damaged files in {generation}: {}", damaged.join(", ")),
            })
        }
    }

    /// One attempt at [`IndexDir::open`]; a failure says which generation it tried.
    fn open_once(&self) -> Result<OpenIndex, (IndexError, Option<String>)> {
        let marker = self.read_marker().map_err(|e| (e, None))?.ok_or_else(|| {
            (
                IndexError::Missing {
                    dir: self.path.clone(),
                },
                None,
            )
        })?;
        let generation = marker.generation.clone();
        self.open_generation(marker)
            .map_err(|e| (e, Some(generation)))
    }

    fn open_generation(&self, marker: Marker) -> Result<OpenIndex, IndexError> {
        if marker.schema_version != SCHEMA_VERSION {
            return Err(IndexError::SchemaMismatch {
                dir: self.path.clone(),
                found: marker.schema_version,
                expected: SCHEMA_VERSION,
            });
        }
        let (index, reader, fields, generation_dir) = self.open_parts(&marker.generation)?;
        let path = generation_dir.join(REFERENCES_FILE);
        let references_json = fs::read_to_string(&path).map_err(|e| IndexError::Corrupt {
            dir: self.path.clone(),
            detail: format!("cannot read {}: {e}", path.display()),
        })?;
        let vectors = VectorFile::open_in(&generation_dir).map_err(|e| IndexError::Corrupt {
            dir: self.path.clone(),
            detail: e.to_string(),
        })?;
        Ok(OpenIndex {
            index,
            reader,
            fields,
            marker,
            generation_dir,
            references_json,
            vectors,
            caches: Default::default(),
        })
    }

    fn open_parts(
        &self,
        generation: &str,
    ) -> Result<(Index, IndexReader, Fields, PathBuf), IndexError> {
        if !is_generation_name(generation) {
            return Err(IndexError::Corrupt {
                dir: self.path.clone(),
                detail: format!("{MARKER} names an invalid generation `{generation}`"),
            });
        }
        let generation_dir = self.path.join(generation);
        let corrupt = |detail: String| IndexError::Corrupt {
            dir: self.path.clone(),
            detail,
        };
        // Read-only: no lock file is created and nothing is written, so an index another user
        // owns (or one made immutable) still answers.
        let index = MmapDirectory::open(&generation_dir)
            .map_err(tantivy::TantivyError::from)
            .and_then(|d| Index::open(ReadOnlyDirectory(d)))
            .map_err(|e| corrupt(format!("cannot open {}: {e}", generation_dir.display())))?;
        register_analyzers(&index);
        let (expected, fields) = schema();
        if index.schema() != expected {
            return Err(corrupt(
                "the tantivy schema differs from this version's".into(),
            ));
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| {
                corrupt(format!(
                    "cannot read the segments in {}: {e}",
                    generation_dir.display()
                ))
            })?;
        Ok((index, reader, fields, generation_dir))
    }

    /// Take the writers' lock, waiting up to `wait` for another writer to finish.
    pub fn lock(&self, wait: Duration) -> Result<IndexLock, IndexError> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(lock) = self.try_lock()? {
                return Ok(lock);
            }
            if Instant::now() >= deadline {
                return Err(IndexError::Busy {
                    dir: self.path.clone(),
                    pid: self.lock_holder(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Take the writers' lock if no other process holds it (`Ok(None)` when one does).
    /// `NotWritable` when the index directory cannot be written at all.
    pub fn try_lock(&self) -> Result<Option<IndexLock>, IndexError> {
        let not_writable = |source: std::io::Error| IndexError::NotWritable {
            dir: self.path.clone(),
            source,
        };
        // Only the index directory itself is created: a mistyped `--index /nonexistent/deep/idx`
        // must not make folders all the way down.
        match fs::create_dir(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let parent = self.path.parent().unwrap_or(Path::new(""));
                return Err(not_writable(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "its parent directory {} does not exist; create it first",
                        parent.display()
                    ),
                )));
            }
            Err(e) => return Err(not_writable(e)),
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.path.join(LOCK_FILE))
            .map_err(not_writable)?;
        if !file.try_lock_exclusive().map_err(|e| self.io(e))? {
            return Ok(None);
        }
        // Record who holds it, for the "another ingest is running (pid N)" message.
        let pid = std::process::id().to_string();
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(pid.as_bytes()));
        Ok(Some(IndexLock { _file: file }))
    }

    /// The pid recorded by the process holding the lock, if it wrote one.
    pub fn lock_holder(&self) -> Option<u32> {
        let mut text = String::new();
        File::open(self.path.join(LOCK_FILE))
            .and_then(|mut f| f.read_to_string(&mut text))
            .ok()?;
        text.trim().parse().ok()
    }

    /// Start a complete new index in a new generation. Passages are added with
    /// [`FullWrite::add`] (from any number of threads); [`FullWrite::finish`] commits and makes
    /// it current with an atomic rename of the marker. Dropped unfinished, the generation is
    /// never used and the next writer removes it.
    ///
    /// With `force`, a directory holding files citeseek did not write (or a damaged index) is
    /// used anyway (foreign files are left alone); without it such a directory is refused.
    /// `source_bytes` is about how much the build will read (it sets the indexing threads).
    pub fn begin_full(
        &self,
        lock: &IndexLock,
        force: bool,
        source_bytes: u64,
    ) -> Result<FullWrite, IndexError> {
        match self.read_marker() {
            Ok(_) => {}
            Err(IndexError::Foreign { .. } | IndexError::Corrupt { .. }) if force => {}
            Err(e) => return Err(e),
        }
        let (generation, dir) = self.new_generation(lock)?;
        let tantivy_err = |source| IndexError::Tantivy {
            dir: dir.clone(),
            source,
        };
        let (schema, fields) = schema();
        let index = Index::builder()
            .schema(schema)
            .settings(index_settings())
            .create_in_dir(&dir)
            .map_err(tantivy_err)?;
        register_analyzers(&index);
        // Indexing threads beside the extraction threads; a budget that keeps peak memory
        // well under 1 GiB however large the corpus. A small build is merged into one segment
        // when it is finished: one thread writing one segment is quicker than two threads
        // writing two and merging them (5,183 pages: 0.70 vs 0.76 s; 20,000 pages: 7.7 vs
        // 8.9 s), while a large build keeps its segments and needs every core.
        let threads = if source_bytes < ONE_THREAD_BELOW_BYTES {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4))
        };
        let writer = index
            .writer_with_num_threads::<Queued>(threads, WRITER_BUDGET)
            .map_err(tantivy_err)?;
        Ok(FullWrite {
            generation,
            dir,
            writer,
            fields,
            gate: Arc::default(),
        })
    }

    /// Make a new generation from the current one: delete the passages of `deletes`, add
    /// `adds`, in one tantivy commit, then swap it in like a full write.
    ///
    /// The new generation starts as hard links to the current one's segment files (tantivy
    /// never modifies a segment file, and its own metadata files are copied), so the current
    /// generation is never written to and readers of it are undisturbed.
    #[allow(clippy::too_many_arguments)]
    pub fn write_incremental(
        &self,
        lock: &IndexLock,
        current_generation: &str,
        deletes: &[DocKey],
        adds: &[CitedPassage],
        refs: &ReferenceList,
        marker: Marker,
        vectors: &vector_stage::Job,
    ) -> Result<Marker, IndexError> {
        let from = self.path.join(current_generation);
        let (generation, dir) = self.new_generation(lock)?;
        copy_generation(&from, &dir).map_err(|e| self.io(e))?;
        let corrupt = |detail: String| IndexError::Corrupt {
            dir: self.path.clone(),
            detail,
        };
        let index = Index::open_in_dir(&dir)
            .map_err(|e| corrupt(format!("cannot open {}: {e}", from.display())))?;
        register_analyzers(&index);
        let fields = match schema() {
            (expected, fields) if index.schema() == expected => fields,
            _ => {
                return Err(corrupt(
                    "the tantivy schema differs from this version's".into(),
                ))
            }
        };
        let tantivy_err = |source| IndexError::Tantivy {
            dir: dir.clone(),
            source,
        };
        let mut writer = index
            .writer_with_num_threads::<TantivyDocument>(1, 15_000_000)
            .map_err(tantivy_err)?;
        for key in deletes {
            let query = BooleanQuery::new(vec![
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(fields.kind, key.kind.as_str()),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>,
                ),
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(fields.doc, &key.doc),
                        IndexRecordOption::Basic,
                    )),
                ),
            ]);
            writer.delete_query(Box::new(query)).map_err(tantivy_err)?;
        }
        for p in adds {
            writer
                .add_document(to_document(&fields, p))
                .map_err(tantivy_err)?;
        }
        writer.commit().map_err(tantivy_err)?;
        writer.wait_merging_threads().map_err(tantivy_err)?;
        self.publish(
            lock,
            &generation,
            &dir,
            (&index, &fields),
            refs,
            marker,
            vectors,
        )
    }

    /// Rewrite the manifest and the marker (same generation): new file times after a touch,
    /// no index work.
    pub fn write_marker(&self, lock: &IndexLock, marker: &Marker) -> Result<(), IndexError> {
        let dir = self.path.join(&marker.generation);
        self.write_manifest(lock, &dir, marker)?;
        sync_dir(&dir).map_err(|e| self.io(e))?;
        let json = serde_json::to_vec(marker).map_err(|e| self.io(e.into()))?;
        write_atomic(&self.marker_path(), &json).map_err(|e| self.io(e))?;
        sync_dir(&self.path).map_err(|e| self.io(e))
    }

    /// Write a generation's manifest, its stat lines and its pages' block fingerprints.
    fn write_manifest(
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

    /// Create an empty, uniquely named generation directory, after removing the ones killed
    /// writers left behind (we hold the lock, so no other process is writing one).
    fn new_generation(&self, _lock: &IndexLock) -> Result<(String, PathBuf), IndexError> {
        let current = self.read_marker().ok().flatten().map(|m| m.generation);
        self.remove_stale_generations(current.as_deref(), None);
        let mut millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        loop {
            let generation = format!("gen-{millis}-{}", std::process::id());
            let dir = self.path.join(&generation);
            match fs::create_dir(&dir) {
                Ok(()) => {
                    if let Err(e) = fs::write(dir.join(GENERATION_PROOF), GENERATION_PROOF_TEXT) {
                        let _ = fs::remove_dir_all(&dir);
                        return Err(self.io(e));
                    }
                    return Ok((generation, dir));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => millis += 1,
                Err(e) => return Err(self.io(e)),
            }
        }
    }

    /// Finish a generation: its references, everything synced to disk, then the marker swapped
    /// in with an atomic rename, and the previous generation removed.
    #[allow(clippy::too_many_arguments)]
    fn publish(
        &self,
        lock: &IndexLock,
        generation: &str,
        dir: &Path,
        committed: (&Index, &Fields),
        refs: &ReferenceList,
        mut marker: Marker,
        vectors: &vector_stage::Job,
    ) -> Result<Marker, IndexError> {
        // The passage vectors, reusing the current generation's: part of the generation, so
        // a writer killed while embedding leaves the current one as it was.
        let current = self
            .read_marker()
            .ok()
            .flatten()
            .map(|m| self.path.join(m.generation));
        marker.vectors =
            vector_stage::update(committed.0, committed.1, dir, current.as_deref(), vectors)?;
        write_atomic(&dir.join(REFERENCES_FILE), refs.to_csl_json(&[]).as_bytes())
            .map_err(|e| self.io(e))?;
        self.write_manifest(lock, dir, &marker)?;
        readable_by_all(dir).map_err(|e| self.io(e))?;
        // tantivy syncs every file it writes when it commits, write_atomic syncs the
        // references, and hard-linked files were synced with the generation they came from;
        // what is left is the directory itself (its new names), before the marker points at it.
        sync_dir(dir).map_err(|e| self.io(e))?;
        // What was written must read back: its checksums, before the marker points at it.
        self.check_generation(generation)?;
        let previous = self.read_marker().ok().flatten().map(|m| m.generation);

        marker.tool = "citeseek".into();
        marker.schema_version = SCHEMA_VERSION;
        marker.generation = generation.to_string();
        marker.built_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let json = serde_json::to_vec(&marker).map_err(|e| self.io(e.into()))?;
        write_atomic(&self.marker_path(), &json).map_err(|e| self.io(e))?;
        sync_dir(&self.path).map_err(|e| self.io(e))?;

        // The new generation is live; older ones of ours can go (the one the old marker named
        // is ours whether or not it has its proof file). Readers that still have one open keep
        // their memory maps on Unix; one that read the old marker retries.
        self.remove_stale_generations(Some(generation), previous.as_deref());
        Ok(marker)
    }

    /// Delete generation directories other than `keep`: only `gen-*` entries citeseek can
    /// prove it created (they hold [`GENERATION_PROOF`]), and `previous`, the one the marker
    /// named until now. Callers hold the lock, so none of them is being written.
    fn remove_stale_generations(&self, keep: Option<&str>, previous: Option<&str>) {
        let Ok(entries) = fs::read_dir(&self.path) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if is_generation_name(&name)
                && Some(name.as_ref()) != keep
                && (Some(name.as_ref()) == previous || is_ours(&entry.path()))
            {
                let _ = fs::remove_dir_all(entry.path());
            } else if name.starts_with(TMP_PREFIX) {
                // A marker write that was killed before its rename.
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Passages handed to tantivy's indexing threads at once: a guide page's worth.
const ADD_BATCH: usize = 16;

/// Passages that may wait for the indexing threads at once. tantivy's own queue bound counts
/// batches, not passages; this one keeps the memory of a build that extracts faster than it
/// indexes to a few tens of MB.
const QUEUED_PASSAGES: usize = 16_384;

/// How long an add waits for the queue to drain before going ahead anyway; draining half of it
/// takes well under a second.
const GATE_PATIENCE: Duration = Duration::from_secs(2);

/// Counts the passages handed to tantivy and not yet indexed; producers wait while it is full.
#[derive(Default)]
struct Gate {
    queued: Mutex<usize>,
    drained: Condvar,
}

impl Gate {
    /// Wait until `n` more passages fit, then count them in. A wait is given up after
    /// [`GATE_PATIENCE`]: indexing threads that stopped on an error never drain the queue, and
    /// the add that follows reports their error instead of hanging.
    fn enter(&self, n: usize) {
        let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
        while *queued > 0 && *queued + n > QUEUED_PASSAGES {
            let (guard, wait) = self
                .drained
                .wait_timeout(queued, GATE_PATIENCE)
                .unwrap_or_else(PoisonError::into_inner);
            queued = guard;
            if wait.timed_out() {
                break;
            }
        }
        *queued += n;
    }

    /// One passage was indexed. Waiting producers are woken when the queue is half drained,
    /// not for every passage.
    fn leave(&self) {
        let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
        *queued = queued.saturating_sub(1);
        if *queued == QUEUED_PASSAGES / 2 {
            self.drained.notify_all();
        }
    }
}

/// A passage's document on its way through tantivy's queue; dropping it once indexed lets it
/// out of the [`Gate`].
struct Queued {
    doc: TantivyDocument,
    gate: Arc<Gate>,
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.gate.leave();
    }
}

impl tantivy::Document for Queued {
    type Value<'a> = <TantivyDocument as tantivy::Document>::Value<'a>;
    type FieldsValuesIter<'a> = <TantivyDocument as tantivy::Document>::FieldsValuesIter<'a>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        self.doc.iter_fields_and_values()
    }
}

/// A full write in progress (see [`IndexDir::begin_full`]).
pub struct FullWrite {
    generation: String,
    dir: PathBuf,
    writer: tantivy::IndexWriter<Queued>,
    fields: Fields,
    gate: Arc<Gate>,
}

impl FullWrite {
    /// Add passages, handed to the indexing threads in batches of up to [`ADD_BATCH`] rather
    /// than one at a time (each hand-over may wake a thread). Safe to call from several threads
    /// at once.
    pub fn add_all(&self, passages: &[CitedPassage]) -> Result<(), IndexError> {
        for batch in passages.chunks(ADD_BATCH) {
            self.gate.enter(batch.len());
            let docs = batch.iter().map(|p| {
                UserOperation::Add(Queued {
                    doc: to_document(&self.fields, p),
                    gate: Arc::clone(&self.gate),
                })
            });
            self.writer
                .run(docs)
                .map_err(|source| IndexError::Tantivy {
                    dir: self.dir.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    /// Commit everything added and make this generation current.
    pub fn finish(
        mut self,
        index: &IndexDir,
        lock: &IndexLock,
        refs: &ReferenceList,
        marker: Marker,
        vectors: &vector_stage::Job,
    ) -> Result<Marker, IndexError> {
        let tantivy_err = |source| IndexError::Tantivy {
            dir: self.dir.clone(),
            source,
        };
        self.writer.commit().map_err(tantivy_err)?;
        // One segment per indexing thread is what a bulk build leaves. A query looks each of
        // its words up in every segment, and a CLI query runs once per process: for indexes
        // small enough to merge in moments, one segment answers faster.
        if marker.stats.passages < MERGE_BELOW_PASSAGES {
            let segments = self
                .writer
                .index()
                .searchable_segment_ids()
                .map_err(tantivy_err)?;
            if segments.len() > 1 {
                self.writer.merge(&segments).wait().map_err(tantivy_err)?;
            }
        }
        let committed = self.writer.index().clone();
        self.writer.wait_merging_threads().map_err(tantivy_err)?;
        index.publish(
            lock,
            &self.generation,
            &self.dir,
            (&committed, &self.fields),
            refs,
            marker,
            vectors,
        )
    }
}

/// Full builds of fewer passages than this are merged into one segment.
const MERGE_BELOW_PASSAGES: usize = 200_000;

/// Full builds reading less than this are indexed by one thread: about
/// [`MERGE_BELOW_PASSAGES`] passages of HTML (the 100,000-page benchmark site has 942,226
/// passages in 598 MB).
pub const ONE_THREAD_BELOW_BYTES: u64 = 128 << 20;

/// Memory the index writer of a full build may use, all its threads together.
const WRITER_BUDGET: usize = 192_000_000;

/// Fill `to` with the files of generation `from`: hard links to tantivy's immutable segment
/// files, copies of the files that get rewritten (meta.json, .managed.json, references).
fn copy_generation(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if (name_str.starts_with(".tantivy-") && name_str.ends_with(".lock"))
            || name_str == MANIFEST_FILE
            || name_str == STAT_FILE
            || name_str == PASSAGES_FILE
            || name_str == BLOCKS_FILE
            || name_str == GENERATION_PROOF
        {
            // Locks are per index; the manifest files are written anew by `publish`.
            continue;
        }
        let target = to.join(&name);
        let rewritten = matches!(
            name_str.as_ref(),
            "meta.json" | ".managed.json" | REFERENCES_FILE
        );
        if rewritten {
            // Rewritten (and synced) by the commit or by `publish`.
            fs::copy(entry.path(), &target)?;
        } else if fs::hard_link(entry.path(), &target).is_err() {
            // A filesystem without hard links: a copy, synced like tantivy's own files.
            fs::copy(entry.path(), &target)?;
            File::open(&target)?.sync_all()?;
        }
    }
    Ok(())
}

/// fsync a directory, so the names in it (renames, new files) are on disk.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Whether `name` is a generation directory name citeseek creates (`gen-<digits>-<digits>`).
fn is_generation_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("gen-") else {
        return false;
    };
    let mut parts = rest.split('-');
    let ok =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// Make every file of a generation readable by all, like the files `write_atomic` writes:
/// tantivy writes `meta.json` and `.managed.json` private (mode 0600), which would keep
/// other users from searching an index they may read.
fn readable_by_all(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            let mode = meta.permissions().mode();
            if meta.is_file() && mode & 0o044 != 0o044 {
                fs::set_permissions(entry.path(), fs::Permissions::from_mode(mode | 0o644))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Whether a generation directory is one citeseek created: it holds [`GENERATION_PROOF`]. A
/// writer killed between creating the directory and finishing the proof leaves it empty, or
/// with the start of the proof: that is ours too (and holds nothing anyone could lose).
fn is_ours(dir: &Path) -> bool {
    match fs::read_to_string(dir.join(GENERATION_PROOF)) {
        Ok(t) => GENERATION_PROOF_TEXT.starts_with(&t),
        Err(_) => fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none()),
    }
}

/// The segment files of `index` whose checksums do not match, sorted.
fn damaged_files(index: &Index) -> tantivy::Result<Vec<String>> {
    let mut files: Vec<String> = index
        .validate_checksum()?
        .into_iter()
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    Ok(files)
}

/// Whether a failed write ran out of disk space: an `ENOSPC` anywhere in its causes, or a
/// tantivy failure (its indexing threads hide the I/O error behind "an index writer was
/// killed") on a filesystem with less than a MiB left.
fn out_of_space(err: &IndexError, dir: &Path) -> bool {
    let full =
        |io: &io::Error| io.raw_os_error() == Some(28) || io.kind() == io::ErrorKind::StorageFull;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(c) = cause {
        let io = c
            .downcast_ref::<io::Error>()
            .or_else(|| match c.downcast_ref() {
                Some(tantivy::TantivyError::IoError(io)) => Some(io.as_ref()),
                _ => None,
            });
        // tantivy also quotes I/O errors in its own messages.
        if io.is_some_and(full) || c.to_string().contains("(os error 28)") {
            return true;
        }
        cause = c.source();
    }
    matches!(err, IndexError::Tantivy { .. })
        && fs4::available_space(dir).is_ok_and(|free| free < 1 << 20)
}

/// A write error as the user should read it: [`IndexError::NoSpace`] when the disk is full.
pub fn write_error(err: IndexError, dir: &Path) -> IndexError {
    match err {
        IndexError::NoSpace { .. } => err,
        _ if out_of_space(&err, dir) => IndexError::NoSpace {
            dir: dir.to_path_buf(),
        },
        _ => err,
    }
}

/// A generation opened for reading: tantivy's memory-mapped directory without its locks and
/// writes. tantivy's reader takes a lock file before it reads `meta.json`, which a reader of
/// an index it cannot write (another user's, or an immutable one) cannot create; citeseek's
/// writers never change a published generation, so readers need no lock.
#[derive(Debug, Clone)]
struct ReadOnlyDirectory(MmapDirectory);

fn read_only_error() -> Arc<io::Error> {
    Arc::new(io::Error::new(
        io::ErrorKind::PermissionDenied,
        "the index is opened read-only",
    ))
}

impl Directory for ReadOnlyDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError {
            io_error: read_only_error(),
            filepath: path.to_path_buf(),
        })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError {
            io_error: read_only_error(),
            filepath: path.to_path_buf(),
        })
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, _path: &Path, _data: &[u8]) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the index is opened read-only",
        ))
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, _callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}

/// The manifest file's text: a header, then one line a file.
fn manifest_text(files: &[FileEntry]) -> String {
    let mut manifest = String::with_capacity(files.len() * 160);
    manifest.push_str(MANIFEST_HEADER);
    manifest.push('\n');
    for f in files {
        push_manifest_line(&mut manifest, f);
    }
    manifest
}

/// The passages file's text: a file's path, then its passage ids, tab-separated.
fn passages_text(files: &[FileEntry]) -> String {
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
fn stat_text(files: &[FileEntry]) -> String {
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

pub(crate) fn to_document(f: &Fields, cp: &CitedPassage) -> TantivyDocument {
    let p = &cp.passage;
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, &p.id);
    doc.add_text(f.kind, p.kind.as_str());
    doc.add_text(f.doc, &p.doc);
    for c in &cp.citations {
        let field = match c.scope {
            crate::link::Scope::Passage => f.cites,
            crate::link::Scope::Section => f.section_cites,
        };
        doc.add_text(field, &c.id);
    }
    doc.add_text(f.title, &p.title);
    for h in &p.section {
        doc.add_text(f.section, h);
    }
    doc.add_text(f.body, &p.text);
    if !p.alt.is_empty() {
        doc.add_text(f.alt, &p.alt);
    }
    doc.add_text(
        f.data,
        serde_json::to_string(cp).unwrap_or_else(|_| String::from("{}")),
    );
    doc.add_u64(f.vector_key, crate::vectors::passage_key(cp));
    doc
}

pub use crate::fsutil::write_atomic;

/// Run `f`, turning a panic inside it into an error with the panic's message. The panic is not
/// printed (the caller reports it); used around reading the index, where tantivy panics on
/// some damaged segments instead of returning an error.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn gate_holds_producers_until_half_the_queue_is_indexed() {
        let gate = Arc::new(Gate::default());
        gate.enter(QUEUED_PASSAGES);
        let (tx, rx) = std::sync::mpsc::channel();
        let waiting = Arc::clone(&gate);
        let producer = std::thread::spawn(move || {
            waiting.enter(ADD_BATCH);
            tx.send(()).unwrap();
        });
        assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
        for _ in 0..QUEUED_PASSAGES / 2 - 1 {
            gate.leave();
        }
        assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
        gate.leave();
        rx.recv_timeout(GATE_PATIENCE / 2).unwrap();
        producer.join().unwrap();
        assert_eq!(
            *gate.queued.lock().unwrap(),
            QUEUED_PASSAGES / 2 + ADD_BATCH
        );
    }

    #[test]
    fn generation_names() {
        assert!(is_generation_name("gen-1700000000000-42"));
        assert!(!is_generation_name("gen-abc-1"));
        assert!(!is_generation_name("gen-1"));
        assert!(!is_generation_name("../x"));
        assert!(!is_generation_name("gen-1-2-3"));
    }

    #[test]
    fn empty_or_placeholder_directory_has_no_index() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path().join("index"));
        assert!(dir.read_marker().unwrap().is_none());
        fs::create_dir_all(&dir.path).unwrap();
        fs::write(dir.path.join("README.md"), "x").unwrap();
        assert!(dir.read_marker().unwrap().is_none());
        fs::write(dir.path.join("meta.json"), "{}").unwrap();
        assert!(matches!(dir.read_marker(), Err(IndexError::Foreign { .. })));
    }

    #[test]
    fn second_lock_is_refused_and_names_the_holder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path().join("index"));
        let held = dir.lock(Duration::from_millis(10)).unwrap();
        assert!(dir.try_lock().unwrap().is_none());
        let err = dir.lock(Duration::from_millis(120)).unwrap_err();
        let pid = std::process::id();
        assert!(
            matches!(err, IndexError::Busy { pid: Some(p), .. } if p == pid),
            "{err}"
        );
        assert!(err
            .to_string()
            .contains(&format!("another ingest is running (pid {pid})")));
        drop(held);
        assert!(dir.try_lock().unwrap().is_some());
    }

    #[test]
    fn garbage_marker_is_reported_as_corrupt() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path());
        fs::write(tmp.path().join(MARKER), "not json").unwrap();
        let err = dir.open().err().unwrap();
        assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("citeseek ingest --full"));
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
            tool: "citeseek".into(),
            schema_version: SCHEMA_VERSION,
            generation: generation.into(),
            corpus: PathBuf::from("/c"),
            built_unix_ms: 0,
            stats: Stats::default(),
            files: Vec::new(),
            reference_ids: Vec::new(),
            vectors: None,
            blocks: Default::default(),
        };
        dir.load_manifest(&mut marker).unwrap();
        for (read, written) in marker.files.iter_mut().zip(&files) {
            assert_eq!(read.path, written.path);
            assert_eq!(read.passages_mut(), &written.passages);
        }
        assert_eq!(marker.blocks, blocks);
    }

    #[test]
    fn only_generations_citeseek_made_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path());
        let lock = dir.lock(Duration::from_millis(10)).unwrap();
        // A user's folder that only looks like a generation, and one a killed writer left.
        fs::create_dir_all(tmp.path().join("gen-123-456")).unwrap();
        fs::write(tmp.path().join("gen-123-456/notes.txt"), "mine").unwrap();
        let (left, _) = dir.new_generation(&lock).unwrap();
        assert!(is_ours(&tmp.path().join(&left)));
        // Without a marker, the look-alike makes the directory foreign; ours does not.
        assert!(matches!(dir.read_marker(), Err(IndexError::Foreign { .. })));
        // Names are made of the time in milliseconds: the next one must not reuse it.
        std::thread::sleep(Duration::from_millis(5));
        let (next, _) = dir.new_generation(&lock).unwrap();
        assert!(
            !tmp.path().join(&left).exists(),
            "a killed writer's generation stays"
        );
        assert!(tmp.path().join(&next).exists());
        assert_eq!(
            fs::read_to_string(tmp.path().join("gen-123-456/notes.txt")).unwrap(),
            "mine"
        );
        fs::remove_dir_all(tmp.path().join("gen-123-456")).unwrap();
        assert!(matches!(dir.read_marker(), Ok(None)));
    }

    #[test]
    fn generations_a_writer_was_killed_in_the_middle_of_creating_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path());
        let lock = dir.lock(Duration::from_millis(10)).unwrap();
        // Killed after creating the directory, and while writing the proof.
        fs::create_dir_all(tmp.path().join("gen-1-1")).unwrap();
        fs::create_dir_all(tmp.path().join("gen-2-2")).unwrap();
        fs::write(
            tmp.path().join("gen-2-2").join(GENERATION_PROOF),
            "created by",
        )
        .unwrap();
        // Neither makes the directory foreign, and the next generation removes both.
        assert!(matches!(dir.read_marker(), Ok(None)));
        let (next, _) = dir.new_generation(&lock).unwrap();
        assert!(!tmp.path().join("gen-1-1").exists());
        assert!(!tmp.path().join("gen-2-2").exists());
        assert!(tmp.path().join(next).exists());
    }

    #[test]
    fn a_full_disk_is_named() {
        let dir = Path::new("/some/index");
        let enospc = IndexError::Io {
            dir: dir.into(),
            source: io::Error::from_raw_os_error(28),
        };
        let err = write_error(enospc, dir);
        assert!(matches!(err, IndexError::NoSpace { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("no space left on device while writing /some/index"),
            "{err}"
        );
        let other = IndexError::Io {
            dir: dir.into(),
            source: io::Error::from_raw_os_error(13),
        };
        assert!(matches!(write_error(other, dir), IndexError::Io { .. }));
    }

    #[test]
    fn a_panic_is_caught_with_its_message() {
        assert_eq!(catch_panic(|| 7), Ok(7));
        let err = catch_panic(|| -> u8 { panic!("index out of bounds: {}", 3) }).unwrap_err();
        assert_eq!(err, "index out of bounds: 3");
    }
}
