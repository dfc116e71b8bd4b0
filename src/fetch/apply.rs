//! Applying fetches to a corpus: which URL each reference is fetched from, what a fetched
//! page's metadata adds to or contradicts in references.json, and the careful rewrite of
//! references.json (missing fields filled, existing values kept, a `.bak` copy left beside it).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{csl_from_meta, PageMeta, Target};
use crate::references::{normalize_doi, Reference, ReferenceList};

/// Errors in planning or applying a fetch that the user can fix.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("no reference with id {0:?} in {1}: run `citeseek refs` to list the ids")]
    UnknownId(String, PathBuf),
    #[error("{} is missing: create it (a JSON array of CSL-JSON records, `[]` when empty)", .0.display())]
    NoReferenceFile(PathBuf),
    #[error("{} must be a JSON array of CSL-JSON records", .0.display())]
    NotAnArray(PathBuf),
    #[error("{input} is already in references.json as {id}")]
    Duplicate { input: String, id: String },
    #[error("invalid id {0:?}: use letters, digits, '-', '_' or '.' (e.g. smith2020)")]
    InvalidId(String),
    #[error("cannot update {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse {}", .path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// The URL a reference is fetched from: its `URL`, else `https://doi.org/<DOI>`.
pub fn target_url(r: &Reference) -> Option<String> {
    r.url
        .clone()
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .or_else(|| r.display_doi().map(|d| format!("https://doi.org/{d}")))
}

/// Targets for the given ids (all references when `ids` is empty), and the ids that have
/// nothing to fetch.
pub fn plan(
    refs: &ReferenceList,
    ids: &[String],
    file: &Path,
) -> Result<(Vec<Target>, Vec<String>), ApplyError> {
    for id in ids {
        if refs.get(id).is_none() {
            return Err(ApplyError::UnknownId(id.clone(), file.to_path_buf()));
        }
    }
    let mut targets = Vec::new();
    let mut nothing = Vec::new();
    for r in refs.select(ids) {
        match target_url(r) {
            Some(url) => targets.push(Target {
                id: r.id.clone(),
                url,
            }),
            None => nothing.push(r.id.clone()),
        }
    }
    Ok((targets, nothing))
}

/// How a page's metadata compares with the record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetaComparison {
    /// CSL fields the page gives.
    pub found: Vec<String>,
    /// Fields the record lacks and the page has.
    pub missing: Vec<String>,
    /// Fields where record and page disagree: (field, record value, page value).
    pub differs: Vec<(String, String, String)>,
}

/// Compare a fetched page's metadata with the reference record.
pub fn compare(record: &Reference, meta: &PageMeta) -> MetaComparison {
    let page = csl_from_meta(meta, &record.id);
    let mut out = MetaComparison::default();
    let Some(page) = page.as_object() else {
        return out;
    };
    let rec = record.csl.as_object();
    for (key, value) in page {
        if matches!(key.as_str(), "id" | "type") {
            continue;
        }
        out.found.push(key.clone());
        match rec.and_then(|r| get_ci(r, key)) {
            None => out.missing.push(key.clone()),
            Some(existing) => {
                if !same_value(key, existing, value) {
                    out.differs
                        .push((key.clone(), short(existing), short(value)));
                }
            }
        }
    }
    out
}

fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Values equal for citation purposes: DOIs case-insensitively, pages ignoring dash style,
/// titles ignoring case and punctuation, dates by year, authors by family names.
fn same_value(key: &str, a: &Value, b: &Value) -> bool {
    let text = |v: &Value| -> String {
        match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    let fold = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    match key {
        "DOI" => normalize_doi(&text(a)) == normalize_doi(&text(b)),
        "issued" => year_of(a) == year_of(b),
        "author" => families(a) == families(b),
        "URL" => {
            crate::references::normalize_url(&text(a)) == crate::references::normalize_url(&text(b))
        }
        _ => fold(&text(a)) == fold(&text(b)),
    }
}

fn year_of(v: &Value) -> Option<i64> {
    v.get("date-parts")?.get(0)?.get(0)?.as_i64()
}

fn families(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.get("family").or_else(|| n.get("literal")))
                .filter_map(Value::as_str)
                .map(str::to_lowercase)
                .collect()
        })
        .unwrap_or_default()
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::search::truncate_chars(&s, 80)
}

/// Read references.json as a raw JSON array, preserving member order.
pub fn read_raw(path: &Path) -> Result<Vec<Value>, ApplyError> {
    let text = fs::read_to_string(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ApplyError::NoReferenceFile(path.to_path_buf())
        } else {
            ApplyError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    match serde_json::from_str(&text) {
        Ok(Value::Array(a)) => Ok(a),
        Ok(_) => Err(ApplyError::NotAnArray(path.to_path_buf())),
        Err(source) => Err(ApplyError::Json {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Write references.json (pretty, two-space indent, member order kept), after copying the
/// current file to `references.json.bak`. The write is atomic.
pub fn write_raw(path: &Path, records: &[Value]) -> Result<(), ApplyError> {
    let io = |source| ApplyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut text = serde_json::to_string_pretty(records).map_err(|e| io(e.into()))?;
    text.push('\n');
    if path.exists() {
        let mut bak = path.as_os_str().to_owned();
        bak.push(".bak");
        fs::copy(path, PathBuf::from(bak)).map_err(io)?;
    }
    crate::index::write_atomic(path, text.as_bytes()).map_err(io)
}

/// Fill the fields a record lacks from a page's CSL record. Existing values are never changed.
/// Returns the fields added.
pub fn fill_missing(record: &mut Value, page: &Value) -> Vec<String> {
    let (Some(rec), Some(page)) = (record.as_object_mut(), page.as_object()) else {
        return Vec::new();
    };
    let mut added = Vec::new();
    for (key, value) in page {
        if matches!(key.as_str(), "id" | "type") {
            continue;
        }
        if !rec.keys().any(|k| k.eq_ignore_ascii_case(key)) {
            rec.insert(key.clone(), value.clone());
            added.push(key.clone());
        }
    }
    added
}

/// Apply metadata updates `(id, page CSL)` to references.json; returns `(id, fields added)`
/// for the records that changed. The file is only rewritten when something was added.
pub fn update_metadata(
    path: &Path,
    updates: &[(String, Value)],
) -> Result<Vec<(String, Vec<String>)>, ApplyError> {
    let mut records = read_raw(path)?;
    let mut changed = Vec::new();
    for (id, page) in updates {
        if let Some(rec) = records
            .iter_mut()
            .find(|r| r.get("id").and_then(Value::as_str) == Some(id.as_str()))
        {
            let added = fill_missing(rec, page);
            if !added.is_empty() {
                changed.push((id.clone(), added));
            }
        }
    }
    if !changed.is_empty() {
        write_raw(path, &records)?;
    }
    Ok(changed)
}

/// Whether an id is safe as a snapshot file name and a BibTeX key.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The ids already used in references.json.
pub fn existing_ids(refs: &ReferenceList) -> HashSet<String> {
    refs.refs.iter().map(|r| r.id.clone()).collect()
}

/// Append a new record to references.json (keeping a `.bak`).
pub fn append_record(path: &Path, record: Value) -> Result<(), ApplyError> {
    let mut records = if path.exists() {
        read_raw(path)?
    } else {
        Vec::new()
    };
    records.push(record);
    write_raw(path, &records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reference(v: Value) -> Reference {
        Reference::from_csl(v).unwrap()
    }

    #[test]
    fn target_prefers_url_then_doi() {
        let r =
            reference(json!({"id": "a", "title": "T", "URL": "https://x.org/a", "DOI": "10.1/A"}));
        assert_eq!(target_url(&r).as_deref(), Some("https://x.org/a"));
        let r = reference(json!({"id": "a", "title": "T", "DOI": "10.1/A"}));
        assert_eq!(target_url(&r).as_deref(), Some("https://doi.org/10.1/A"));
        let r = reference(json!({"id": "a", "title": "T", "URL": "ftp://x.org/a"}));
        assert_eq!(target_url(&r), None);
    }

    #[test]
    fn fill_missing_keeps_existing_values_and_order() {
        let mut rec = json!({"id": "a", "title": "Mine", "volume": "5"});
        let page = json!({"id": "a", "type": "article-journal", "title": "Theirs", "issue": "2", "DOI": "10.1/x"});
        let added = fill_missing(&mut rec, &page);
        assert_eq!(added, ["issue", "DOI"]);
        assert_eq!(rec["title"], "Mine");
        let keys: Vec<&String> = rec.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "title", "volume", "issue", "DOI"]);
    }

    #[test]
    fn compare_reports_missing_and_differing_fields() {
        let r = reference(
            json!({"id": "m", "type": "article-journal", "title": "Heat and cold",
            "page": "57-65", "DOI": "10.1080/ABC", "issued": {"date-parts": [[2015, 1]]}}),
        );
        let meta = PageMeta {
            title: Some("Heat and Cold".into()),
            doi: Some("10.1080/abc".into()),
            first_page: Some("57".into()),
            last_page: Some("66".into()),
            volume: Some("127".into()),
            year: Some(2015),
            date: Some("2015/1/5".into()),
            ..PageMeta::default()
        };
        let c = compare(&r, &meta);
        assert!(c.missing.contains(&"volume".to_string()), "{c:?}");
        assert_eq!(c.differs.len(), 1, "{c:?}");
        assert_eq!(c.differs[0].0, "page");
    }

    #[test]
    fn update_metadata_writes_a_backup_and_only_adds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("references.json");
        let original = "[\n  {\"id\": \"a\", \"title\": \"T\"}\n]\n";
        fs::write(&path, original).unwrap();
        let changed = update_metadata(
            &path,
            &[("a".into(), json!({"id": "a", "title": "X", "volume": "3"}))],
        )
        .unwrap();
        assert_eq!(changed, [("a".to_string(), vec!["volume".to_string()])]);
        let bak = fs::read_to_string(dir.path().join("references.json.bak")).unwrap();
        assert_eq!(bak, original);
        let now: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(now, json!([{"id": "a", "title": "T", "volume": "3"}]));
        // Nothing new: the file is not rewritten.
        let before = fs::read_to_string(&path).unwrap();
        assert!(
            update_metadata(&path, &[("a".into(), json!({"volume": "9"}))])
                .unwrap()
                .is_empty()
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), before);
    }

    #[test]
    fn ids_are_checked() {
        assert!(valid_id("smith2020b"));
        assert!(!valid_id("../etc"));
        assert!(!valid_id(".hidden"));
        assert!(!valid_id(""));
    }
}
