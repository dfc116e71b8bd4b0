//! The tantivy index: schema, English analysis (registered on every open), the index directory
//! with its marker and generations, full writes with an atomic swap, and opening for search.
//!
//! Layout of an index directory:
//! ```text
//! index/
//!   citeseek-index.json   marker + manifest: schema version, current generation, corpus, stats
//!   gen-<millis>-<pid>/   one tantivy index and the references it was built with
//! ```
//! A write builds a new generation beside the current one and then replaces the marker with an
//! atomic rename, so a reader sees the old index or the new one, never a mix.

use std::fs;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument};

use crate::link::CitedPassage;
use crate::references::ReferenceList;

/// Version of citeseek's index layout and analysis. Bump it whenever the schema, the analyzer
/// or the stored data changes: an index of another version is rebuilt, never misread.
pub const SCHEMA_VERSION: u32 = 2;
/// The marker file that says a directory is a citeseek index.
pub const MARKER: &str = "citeseek-index.json";
/// Name of the English analyzer in tantivy's tokenizer manager.
pub const ANALYZER: &str = "citeseek_en";
/// File in a generation holding the references (CSL-JSON) the index was built with.
pub const REFERENCES_FILE: &str = "references.json";
/// Files a fresh checkout may have in `index/` that are not an index.
const PLACEHOLDERS: &[&str] = &["README.md", ".gitkeep", ".gitignore", ".lock"];

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
}

/// Build the schema: analysed text fields, exact-match filter fields, one stored JSON blob.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", STRING),
        doc: b.add_text_field("doc", STRING),
        cites: b.add_text_field("cites", STRING),
        section_cites: b.add_text_field("section_cites", STRING),
        title: b.add_text_field("title", text.clone()),
        section: b.add_text_field("section", text.clone()),
        body: b.add_text_field("body", text.clone()),
        alt: b.add_text_field("alt", text),
        data: b.add_text_field("data", STORED),
    };
    (b.build(), fields)
}

/// The English analyzer: words, lower-cased, accents folded, stop words dropped, stemmed.
pub fn analyzer() -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter);
    match StopWordFilter::new(Language::English) {
        Some(stop) => builder
            .filter(stop)
            .filter(Stemmer::new(Language::English))
            .build(),
        None => builder.filter(Stemmer::new(Language::English)).build(),
    }
}

/// Register citeseek's analyzers; tantivy needs this on every open, not only on create.
pub fn register_analyzers(index: &Index) {
    index.tokenizers().register(ANALYZER, analyzer());
}

/// Counts recorded with an index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub documents: usize,
    pub passages: usize,
    pub references: usize,
    pub citations: usize,
}

/// One indexed source file (the manifest incremental ingest compares against).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the corpus root, with `/` separators.
    pub path: String,
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: u128,
    /// BLAKE3 hash of the content.
    pub hash: String,
    pub passages: Vec<String>,
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
    #[serde(default)]
    pub files: Vec<FileEntry>,
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
}

impl OpenIndex {
    /// The references the index was built with.
    pub fn references(&self) -> Result<ReferenceList, IndexError> {
        let path = self.generation_dir.join(REFERENCES_FILE);
        ReferenceList::load(&path).map_err(|e| IndexError::Corrupt {
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
            if !PLACEHOLDERS.contains(&name.as_ref()) && !is_generation_name(&name) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Open the current generation for searching.
    pub fn open(&self) -> Result<OpenIndex, IndexError> {
        let marker = self.read_marker()?.ok_or_else(|| IndexError::Missing {
            dir: self.path.clone(),
        })?;
        if marker.schema_version != SCHEMA_VERSION {
            return Err(IndexError::SchemaMismatch {
                dir: self.path.clone(),
                found: marker.schema_version,
                expected: SCHEMA_VERSION,
            });
        }
        if !is_generation_name(&marker.generation) {
            return Err(IndexError::Corrupt {
                dir: self.path.clone(),
                detail: format!(
                    "{MARKER} names an invalid generation `{}`",
                    marker.generation
                ),
            });
        }
        let generation_dir = self.path.join(&marker.generation);
        let corrupt = |detail: String| IndexError::Corrupt {
            dir: self.path.clone(),
            detail,
        };
        let index = Index::open_in_dir(&generation_dir)
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
            .map_err(|e| corrupt(format!("cannot read segments: {e}")))?;
        Ok(OpenIndex {
            index,
            reader,
            fields,
            marker,
            generation_dir,
        })
    }

    /// Write a complete new index and make it current with an atomic rename of the marker.
    ///
    /// With `force`, a directory holding files citeseek did not write is used anyway (those
    /// files are left alone); without it such a directory is refused.
    pub fn write_full(
        &self,
        passages: &[CitedPassage],
        refs: &ReferenceList,
        mut marker: Marker,
        force: bool,
    ) -> Result<Marker, IndexError> {
        let previous = match self.read_marker() {
            Ok(m) => m,
            Err(IndexError::Foreign { .. }) if force => None,
            Err(IndexError::Corrupt { .. }) if force => None,
            Err(e) => return Err(e),
        };
        fs::create_dir_all(&self.path).map_err(|e| self.io(e))?;
        let generation = format!(
            "gen-{}-{}",
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis()),
            std::process::id()
        );
        let dir = self.path.join(&generation);
        fs::create_dir_all(&dir).map_err(|e| self.io(e))?;
        let tantivy_err = |source| IndexError::Tantivy {
            dir: dir.clone(),
            source,
        };

        let (schema, fields) = schema();
        let index = Index::create_in_dir(&dir, schema).map_err(tantivy_err)?;
        register_analyzers(&index);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let budget = 50_000_000 * threads;
        let mut writer = index
            .writer_with_num_threads::<TantivyDocument>(threads, budget)
            .map_err(tantivy_err)?;
        for p in passages {
            writer
                .add_document(to_document(&fields, p))
                .map_err(tantivy_err)?;
        }
        writer.commit().map_err(tantivy_err)?;
        writer.wait_merging_threads().map_err(tantivy_err)?;

        write_atomic(&dir.join(REFERENCES_FILE), refs.to_csl_json(&[]).as_bytes())
            .map_err(|e| self.io(e))?;

        marker.tool = "citeseek".into();
        marker.schema_version = SCHEMA_VERSION;
        marker.generation = generation.clone();
        marker.built_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let json = serde_json::to_vec_pretty(&marker).map_err(|e| self.io(e.into()))?;
        write_atomic(&self.marker_path(), &json).map_err(|e| self.io(e))?;

        // The new generation is live; older ones of ours can go. Readers that still have one
        // open keep their memory maps on Unix.
        let _ = previous;
        self.remove_stale_generations(&generation);
        Ok(marker)
    }

    /// Delete generation directories other than `keep` (only `gen-*` entries, which are ours).
    fn remove_stale_generations(&self, keep: &str) {
        let Ok(entries) = fs::read_dir(&self.path) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if is_generation_name(&name) && name != keep {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
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

fn to_document(f: &Fields, cp: &CitedPassage) -> TantivyDocument {
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
    doc
}

pub use crate::fsutil::write_atomic;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_names() {
        assert!(is_generation_name("gen-1700000000000-42"));
        assert!(!is_generation_name("gen-abc-1"));
        assert!(!is_generation_name("gen-1"));
        assert!(!is_generation_name("../x"));
        assert!(!is_generation_name("gen-1-2-3"));
    }

    #[test]
    fn analyzer_stems_and_drops_stop_words() {
        let mut a = analyzer();
        let mut stream = a.token_stream("The Muscles are Relaxing in the heat");
        let mut out = Vec::new();
        while let Some(t) = tantivy::tokenizer::TokenStream::next(&mut stream) {
            out.push(t.text.clone());
        }
        assert_eq!(out, ["muscl", "relax", "heat"]);
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
    fn garbage_marker_is_reported_as_corrupt() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path());
        fs::write(tmp.path().join(MARKER), "not json").unwrap();
        let err = dir.open().err().unwrap();
        assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("citeseek ingest --full"));
    }
}
