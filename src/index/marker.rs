//! The marker file (`citeseek-index.json`): proof a directory is a citeseek index, and which
//! generation is current.

use std::fs;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::generation::{is_generation_name, is_ours, TMP_PREFIX};
use super::lock::LOCK_FILE;
use super::{FileEntry, IndexDir, IndexError, Stats};
use crate::vectors::build::VectorsInfo;

/// The marker file that says a directory is a citeseek index.
pub const MARKER: &str = "citeseek-index.json";

/// Files a fresh checkout may have in `index/` that are not an index.
const PLACEHOLDERS: &[&str] = &["README.md", ".gitkeep", ".gitignore", LOCK_FILE];

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

impl Marker {
    /// The marker of a new index of `corpus`, written by this version of citeseek (its
    /// [`super::SCHEMA_VERSION`]), with nothing recorded yet: the writer fills in the rest.
    pub fn new(corpus: PathBuf) -> Marker {
        Marker {
            tool: "citeseek".into(),
            schema_version: super::SCHEMA_VERSION,
            generation: String::new(),
            corpus,
            built_unix_ms: 0,
            stats: Stats::default(),
            files: Vec::new(),
            reference_ids: Vec::new(),
            vectors: None,
            blocks: Default::default(),
        }
    }
}

impl IndexDir {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
