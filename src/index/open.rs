//! Opening the current generation for searching, retrying when a writer swaps it meanwhile.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, ReloadPolicy};

use super::damage::catch_panic;
use super::error::chain;
use super::generation::{is_generation_name, REFERENCES_FILE};
use super::readonly::ReadOnlyDirectory;
use super::{schema, Fields, IndexDir, IndexError, Marker, MARKER, SCHEMA_VERSION};
use crate::analysis::register_analyzers;
use crate::references::ReferenceList;
use crate::vectors::VectorFile;

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
    /// The references the index was built with.
    pub fn references(&self) -> Result<ReferenceList, IndexError> {
        let path = self.generation_dir.join(REFERENCES_FILE);
        ReferenceList::parse(&self.references_json, &path).map_err(|e| IndexError::Corrupt {
            dir: self.generation_dir.clone(),
            detail: chain(e),
        })
    }
}

impl IndexDir {
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
            detail: chain(e),
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

    pub(super) fn open_parts(
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
}
