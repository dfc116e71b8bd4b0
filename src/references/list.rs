//! Reading a CSL-JSON file (references.json) into a [`ReferenceList`], in file order, and the
//! errors that name the file, line and record ([`ReferenceError`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::record::Reference;

/// Errors raised while loading a CSL-JSON reference file.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// The file could not be read. The I/O error is part of the message, not a cause of it:
    /// the advice that follows it must close the line, as it always has.
    #[error(
        "cannot read reference file {}: {error} (check that the path exists and is a readable CSL-JSON file)",
        path.display()
    )]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file is not valid JSON.
    #[error("{}:{line}:{column}: invalid JSON: {message} (fix the syntax at that position)", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The JSON is valid but is not a usable CSL-JSON array of records.
    #[error("{}: record at index {index}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        index: usize,
        message: String,
    },
}

/// All references of a CSL-JSON file, in file order.
#[derive(Debug, Clone, Default)]
pub struct ReferenceList {
    pub refs: Vec<Reference>,
}

/// serde_json's Display appends " at line L column C"; we report the position ourselves.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg).to_string(),
        None => msg.to_string(),
    }
}

impl ReferenceList {
    /// Read and parse a CSL-JSON file.
    pub fn load(path: &Path) -> Result<ReferenceList, ReferenceError> {
        let text = std::fs::read_to_string(path).map_err(|error| ReferenceError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        Self::parse(&text, path)
    }

    /// Parse CSL-JSON text (a JSON array of records); `path` is used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<ReferenceList, ReferenceError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: Value = serde_json::from_str(text).map_err(|e| ReferenceError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })?;
        let invalid = |index: usize, message: String| ReferenceError::Invalid {
            path: path.to_path_buf(),
            index,
            message,
        };
        let Value::Array(items) = value else {
            return Err(invalid(
                0,
                "expected a JSON array of CSL-JSON records at the top level".to_string(),
            ));
        };
        let mut refs = Vec::with_capacity(items.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (index, item) in items.into_iter().enumerate() {
            let r = Reference::from_csl(item).map_err(|e| invalid(index, e.to_string()))?;
            if let Some(first) = seen.get(&r.id) {
                return Err(invalid(
                    index,
                    format!(
                        "duplicate id {:?} (first used by the record at index {first})",
                        r.id
                    ),
                ));
            }
            seen.insert(r.id.clone(), index);
            refs.push(r);
        }
        Ok(ReferenceList { refs })
    }

    /// Reference by id.
    pub fn get(&self, id: &str) -> Option<&Reference> {
        self.refs.iter().find(|r| r.id == id)
    }

    /// The selected references (empty `ids` = all, in file order; otherwise in the given
    /// order, unknown ids skipped, duplicates once).
    pub fn select(&self, ids: &[String]) -> Vec<&Reference> {
        if ids.is_empty() {
            return self.refs.iter().collect();
        }
        let mut seen = HashSet::new();
        ids.iter()
            .filter(|id| seen.insert(id.as_str()))
            .filter_map(|id| self.get(id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_json_reports_line_and_column() {
        let text = "[\n  {\"id\": \"a\",\n    \"title\": \"x\" \"oops\"}\n]";
        match ReferenceList::parse(text, Path::new("refs.json")) {
            Err(e @ ReferenceError::Parse { line, column, .. }) => {
                assert_eq!((line, column), (3, 18));
                let msg = e.to_string();
                assert!(msg.starts_with("refs.json:3:18: "), "{msg}");
                assert!(!msg.contains(" at line "), "{msg}");
            }
            other => panic!("expected parse error, got {other:?}"),
        }
    }

    #[test]
    fn invalid_structures() {
        let p = Path::new("refs.json");
        match ReferenceList::parse(r#"[{"id": "a"}, {"id": "b"}, {"id": "a"}]"#, p) {
            Err(e @ ReferenceError::Invalid { index: 2, .. }) => {
                let msg = e.to_string();
                assert!(msg.contains("duplicate id \"a\""), "{msg}");
                assert!(msg.contains("index 0"), "{msg}");
            }
            other => panic!("expected duplicate id error, got {other:?}"),
        }
        match ReferenceList::parse(r#"[{"id": "a"}, {"title": "no id"}]"#, p) {
            Err(ReferenceError::Invalid {
                index: 1, message, ..
            }) => {
                assert!(message.contains("\"id\""), "{message}");
            }
            other => panic!("expected missing id error, got {other:?}"),
        }
        assert!(matches!(
            ReferenceList::parse(r#"{"id": "a"}"#, p),
            Err(ReferenceError::Invalid { index: 0, .. })
        ));
        let empty = ReferenceList::parse("\u{feff}[]", p);
        assert!(empty.is_ok_and(|l| l.refs.is_empty()));
    }

    #[test]
    fn load_missing_file_is_io_error() {
        let path = Path::new("/nonexistent/citeseek/references.json");
        match ReferenceList::load(path) {
            Err(e @ ReferenceError::Io { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("/nonexistent/citeseek/references.json"),
                    "{msg}"
                );
                assert!(msg.contains("check"), "{msg}");
            }
            other => panic!("expected io error, got {other:?}"),
        }
    }

    #[test]
    fn wrong_typed_fields_are_errors_naming_record_and_field() {
        for (record, field, found) in [
            (r#"{"id": "a", "DOI": ["10.1/x"]}"#, "DOI", "an array"),
            (r#"{"id": "a", "doi": {"x": 1}}"#, "doi", "an object"),
            (r#"{"id": "a", "title": 42}"#, "title", "a number"),
            (r#"{"id": "a", "URL": 7}"#, "URL", "a number"),
            (r#"{"id": "a", "type": null}"#, "type", "null"),
            (
                r#"{"id": "a", "container-title": true}"#,
                "container-title",
                "a boolean",
            ),
            (r#"{"id": "a", "volume": [5]}"#, "volume", "an array"),
        ] {
            let text = format!("[{record}]");
            let msg = ReferenceList::parse(&text, Path::new("refs.json"))
                .unwrap_err()
                .to_string();
            assert!(
                msg.contains("record \"a\"")
                    && msg.contains(&format!("\"{field}\""))
                    && msg.contains(found)
                    && msg.contains("refs.json"),
                "{record}: {msg}"
            );
        }
        // Numbers are text where CSL writers use them.
        let ok = ReferenceList::parse(
            r#"[{"id": 1, "volume": 5, "issue": 2, "page": 10, "PMID": 123, "note": 1}]"#,
            Path::new("refs.json"),
        );
        assert!(ok.is_ok(), "{ok:?}");
    }
}
