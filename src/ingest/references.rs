//! references.json as one ingest run reads it: read once, and shared by the reference list,
//! its manifest entry, the change check and the line of each record (found by a line
//! scanner). It lives as long as the run, so a later run reads the file as it is then.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use super::plan::stat;
use super::source::file_of;
use crate::corpus::{self, Corpus};
use crate::index::FileEntry;
use crate::references::{ReferenceError, ReferenceList};

/// The corpus's references.json, read at most once.
pub(super) struct References {
    root: PathBuf,
    /// The file, when the corpus has one.
    path: Option<PathBuf>,
    read: OnceLock<Read>,
    /// The line of each record's id, scanned once: a corpus with thousands of references asks
    /// for every one of them.
    lines: OnceLock<HashMap<String, usize>>,
}

/// The file's bytes and its size and time, taken together.
struct Read {
    bytes: io::Result<Vec<u8>>,
    stat: Option<(u64, u128)>,
}

impl References {
    pub(super) fn new(corpus: &Corpus) -> References {
        References {
            root: corpus.root.clone(),
            path: corpus.references.clone(),
            read: OnceLock::new(),
            lines: OnceLock::new(),
        }
    }

    /// The file's bytes and stat, read on first use; `None` without a references.json.
    fn read(&self) -> Option<(&Path, &Read)> {
        let path = self.path.as_deref()?;
        let read = self.read.get_or_init(|| {
            let bytes = fs::read(path);
            Read {
                bytes,
                stat: stat(path),
            }
        });
        Some((path, read))
    }

    /// Corpus-relative path of the file, when there is one.
    pub(super) fn rel(&self) -> Option<String> {
        self.path
            .as_deref()
            .map(|p| corpus::rel_path(&self.root, p))
    }

    /// The reference list (empty without a references.json).
    pub(super) fn list(&self) -> Result<ReferenceList, ReferenceError> {
        let Some((path, read)) = self.read() else {
            return Ok(ReferenceList { refs: Vec::new() });
        };
        let text = match &read.bytes {
            Ok(bytes) => std::str::from_utf8(bytes).ok(),
            Err(_) => None,
        };
        match text {
            Some(text) => ReferenceList::parse(text, path),
            // Unreadable, or not UTF-8: the error as loading the list reports it (reading the
            // file a second time only when the first read failed).
            None => ReferenceList::load(path),
        }
    }

    /// The file's manifest entry, when it can be read as text.
    pub(super) fn entry(&self) -> Option<FileEntry> {
        let (path, read) = self.read()?;
        let bytes = read.bytes.as_ref().ok()?.clone();
        file_of(&self.root, path, Ok(bytes), read.stat)
            .ok()
            .map(|(_, entry)| entry)
    }

    /// The BLAKE3 hash of the file's content, when it can be read.
    pub(super) fn hash(&self) -> Option<String> {
        let (_, read) = self.read()?;
        let bytes = read.bytes.as_ref().ok()?;
        Some(blake3::hash(bytes).to_hex().to_string())
    }

    /// Corpus-relative path and line of the record `id` (line 1 when it cannot be found).
    pub(super) fn record_place(&self, id: &str) -> (String, usize) {
        let Some(rel) = self.rel() else {
            return ("references.json".to_string(), 1);
        };
        let lines = self.lines.get_or_init(|| {
            let text = self
                .read()
                .and_then(|(_, read)| read.bytes.as_ref().ok())
                .and_then(|bytes| std::str::from_utf8(bytes).ok());
            text.map(record_lines).unwrap_or_default()
        });
        (rel, lines.get(id).copied().unwrap_or(1))
    }
}

/// The line of each record id in references.json text: the first line an id is on.
fn record_lines(text: &str) -> HashMap<String, usize> {
    let mut lines = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(id) = id_on_line(line) {
            lines.entry(id).or_insert(i + 1);
        }
    }
    lines
}

/// The id of a record whose `"id": "…"` member is on this line.
fn id_on_line(line: &str) -> Option<String> {
    let at = line.find("\"id\"")?;
    let rest = line[at + 4..].trim_start().strip_prefix(':')?.trim_start();
    let mut de = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
    match de.next() {
        Some(Ok(Value::String(id))) => Some(id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scanner_finds_an_id_member_wherever_it_is_on_its_line() {
        assert_eq!(
            id_on_line(r#"  "id": "nadler2002","#),
            Some("nadler2002".into())
        );
        assert_eq!(
            id_on_line(r#"{"id" :"a\"b", "title": "x"}"#),
            Some("a\"b".into())
        );
        assert_eq!(
            id_on_line(r#"  {"type": "article", "id": "x1"}"#),
            Some("x1".into())
        );
        // Not an id member, or not a string.
        assert_eq!(id_on_line(r#"  "title": "the id of it","#), None);
        assert_eq!(id_on_line(r#"  "id": 42,"#), None);
        assert_eq!(id_on_line(r#"  "id""#), None);
        assert_eq!(id_on_line(r#"  "id": "unterminated"#), None);
    }

    #[test]
    fn each_record_gets_the_first_line_its_id_is_on() {
        let text = "[\n  {\n    \"id\": \"a\",\n    \"title\": \"A\"\n  },\n  {\"id\": \"b\"},\n  \
                    {\"id\": \"a\"}\n]\n";
        let lines = record_lines(text);
        assert_eq!(lines.get("a"), Some(&3));
        assert_eq!(lines.get("b"), Some(&6));
        assert_eq!(lines.len(), 2);
    }

    fn corpus_with(references: Option<&[u8]>) -> (tempfile::TempDir, Corpus) {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("guide")).unwrap();
        if let Some(bytes) = references {
            std::fs::write(tmp.path().join("references.json"), bytes).unwrap();
        }
        let corpus = corpus::discover(tmp.path()).unwrap();
        (tmp, corpus)
    }

    #[test]
    fn one_read_serves_the_list_the_entry_the_hash_and_the_lines() {
        let json = b"[\n  {\"id\": \"x\", \"type\": \"article\", \"title\": \"X\"}\n]\n";
        let (tmp, corpus) = corpus_with(Some(json));
        let refs = References::new(&corpus);
        assert_eq!(refs.list().unwrap().refs.len(), 1);
        // Read once: the file going away does not change what the run saw.
        std::fs::remove_file(tmp.path().join("references.json")).unwrap();
        let entry = refs.entry().unwrap();
        assert_eq!(entry.path, "references.json");
        assert_eq!(entry.size, json.len() as u64);
        assert!(!entry.skipped);
        let hash = blake3::hash(json).to_hex().to_string();
        assert_eq!(refs.hash(), Some(hash.clone()));
        assert_eq!(entry.hash, hash);
        assert_eq!(refs.record_place("x"), ("references.json".into(), 2));
        assert_eq!(refs.record_place("y"), ("references.json".into(), 1));
    }

    #[test]
    fn without_a_file_the_list_is_empty_and_unreadable_text_is_an_error() {
        let (_tmp, corpus) = corpus_with(None);
        let refs = References::new(&corpus);
        assert!(refs.list().unwrap().refs.is_empty());
        assert_eq!(refs.entry(), None);
        assert_eq!(refs.record_place("x"), ("references.json".into(), 1));
        let (tmp, corpus) = corpus_with(Some(b"[\xff]"));
        let err = References::new(&corpus).list().unwrap_err();
        assert!(matches!(err, ReferenceError::Io { .. }), "{err}");
        assert!(err.to_string().contains("valid UTF-8"), "{err}");
        let path = tmp.path().join("references.json");
        assert_eq!(
            err.to_string(),
            ReferenceList::load(&path).unwrap_err().to_string()
        );
    }
}
