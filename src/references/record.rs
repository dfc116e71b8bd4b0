//! One CSL-JSON record as a [`Reference`]: its fields, author [`Name`]s, the checks a record
//! must pass ([`RecordError`], [`is_safe_id`]) and what is read straight off it (labels, links).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ids::{clean_doi, normalize_doi, normalize_pmcid, normalize_pmid};

/// A CSL name: a person (`family`, `given`) or an institution (`literal`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Name {
    pub family: Option<String>,
    pub given: Option<String>,
    pub literal: Option<String>,
}

/// One bibliographic record, read from CSL-JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reference {
    pub id: String,
    /// CSL `type`, e.g. `article-journal`, `webpage`.
    pub kind: String,
    pub title: String,
    pub authors: Vec<Name>,
    pub year: Option<i32>,
    pub container: Option<String>,
    pub container_short: Option<String>,
    pub volume: Option<String>,
    pub issue: Option<String>,
    pub page: Option<String>,
    pub publisher: Option<String>,
    /// Normalised DOI: lower-case, without `doi:` / resolver prefix.
    pub doi: Option<String>,
    pub pmid: Option<String>,
    /// Upper-case PMCID with prefix, e.g. `PMC4926733`.
    pub pmcid: Option<String>,
    pub url: Option<String>,
    pub note: Option<String>,
    pub abstract_text: Option<String>,
    /// The record exactly as read, for lossless CSL-JSON export.
    pub csl: Value,
}

impl Name {
    /// Family name (with its non-dropping particle) or the literal name.
    fn primary(&self) -> Option<&str> {
        self.family.as_deref().or(self.literal.as_deref())
    }

    /// BibTeX / RIS form: `Family, Given`; literal names unchanged.
    pub(crate) fn inverted(&self) -> String {
        match (&self.family, &self.given, &self.literal) {
            (Some(f), Some(g), _) => format!("{f}, {g}"),
            (Some(f), None, _) => f.clone(),
            (None, _, Some(l)) => l.clone(),
            (None, Some(g), None) => g.clone(),
            (None, None, None) => String::new(),
        }
    }
}

/// A string-ish field: non-empty trimmed string, or a number rendered as text.
fn text_field(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Case-insensitive key lookup (CSL-JSON writers disagree on `DOI` vs `doi`).
fn text_field_ci(obj: &Map<String, Value>, key: &str) -> Option<String> {
    text_field(obj, key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(k, _)| text_field(obj, k))
    })
}

fn parse_name(v: &Value) -> Option<Name> {
    let obj = v.as_object()?;
    let family = text_field(obj, "family");
    let ndp = text_field(obj, "non-dropping-particle");
    let family = match (ndp, family) {
        (Some(p), Some(f)) => Some(format!("{p} {f}")),
        (None, f) => f,
        (Some(_), None) => None,
    };
    let given = text_field(obj, "given");
    let given = match (given, text_field(obj, "dropping-particle")) {
        (Some(g), Some(p)) => Some(format!("{g} {p}")),
        (g, _) => g,
    };
    let literal = text_field(obj, "literal");
    if family.is_none() && given.is_none() && literal.is_none() {
        return None;
    }
    Some(Name {
        family,
        given,
        literal,
    })
}

/// First run of exactly four ASCII digits in `s`.
fn first_year_in(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 4 {
                return s.get(start..i)?.parse().ok();
            }
        } else {
            i += 1;
        }
    }
    None
}

fn parse_year(issued: &Value) -> Option<i32> {
    match issued {
        Value::Object(obj) => {
            let from_parts = obj
                .get("date-parts")
                .and_then(|dp| dp.get(0))
                .and_then(|first| first.get(0))
                .and_then(|y| match y {
                    Value::Number(n) => n.as_i64().and_then(|y| i32::try_from(y).ok()),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                });
            from_parts
                .or_else(|| {
                    obj.get("raw")
                        .and_then(Value::as_str)
                        .and_then(first_year_in)
                })
                .or_else(|| {
                    obj.get("literal")
                        .and_then(Value::as_str)
                        .and_then(first_year_in)
                })
        }
        Value::String(s) => first_year_in(s),
        Value::Number(n) => n.as_i64().and_then(|y| i32::try_from(y).ok()),
        _ => None,
    }
}

/// Why one CSL-JSON record cannot be a reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("record is not a JSON object")]
    NotAnObject,
    #[error("record has no \"id\"")]
    NoId,
    #[error("record {0:?}: \"author\" must be an array")]
    AuthorNotArray(String),
    #[error(
        "record id {0:?} cannot be a file name (its snapshot is references/<id>.html): an id \
         must not be empty, start with '.', hold '/', '\\' or control characters, or be longer \
         than 200 bytes"
    )]
    UnsafeId(String),
    #[error("record {id:?}: {field:?} must be {expected}, not {found}")]
    FieldType {
        id: String,
        field: String,
        expected: &'static str,
        found: &'static str,
    },
}

/// Whether a record id is safe as the file name of its snapshot, `references/<id>.html`.
pub fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && !id.starts_with('.')
        && !id.chars().any(|c| c == '/' || c == '\\' || c.is_control())
}

/// The record fields read as text: their names (matched ignoring ASCII case when the flag is
/// set, as CSL-JSON writers disagree on `DOI` vs `doi`) and whether a number is text too.
const TEXT_FIELDS: &[(&str, bool, bool)] = &[
    ("type", false, false),
    ("title", false, false),
    ("container-title", false, false),
    ("container-title-short", false, false),
    ("journalAbbreviation", false, false),
    ("volume", false, true),
    ("issue", false, true),
    ("page", false, true),
    ("publisher", false, false),
    ("note", false, true),
    ("abstract", false, false),
    ("DOI", true, false),
    ("PMID", true, true),
    ("PMCID", true, true),
    ("URL", true, false),
];

/// The JSON type of a value, for error messages.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Refuse a record whose text fields hold another JSON type: a DOI given as an array or a
/// title as a number would otherwise be dropped without a word and change its citations.
fn check_field_types(id: &str, obj: &Map<String, Value>) -> Result<(), RecordError> {
    for (key, value) in obj {
        let Some(&(_, _, number_ok)) = TEXT_FIELDS
            .iter()
            .find(|(name, ci, _)| key == name || (*ci && key.eq_ignore_ascii_case(name)))
        else {
            continue;
        };
        let ok = match value {
            Value::String(_) => true,
            Value::Number(_) => number_ok,
            _ => false,
        };
        if !ok {
            return Err(RecordError::FieldType {
                id: id.to_string(),
                field: key.clone(),
                expected: if number_ok {
                    "a string or a number"
                } else {
                    "a string"
                },
                found: json_type(value),
            });
        }
    }
    Ok(())
}

impl Reference {
    /// Build a reference from one CSL-JSON record. The record must be an object with a
    /// non-empty `id` that is safe as a file name ([`is_safe_id`]); everything else is
    /// optional, but the text fields it reads must hold text ([`RecordError::FieldType`]).
    pub fn from_csl(value: Value) -> Result<Reference, RecordError> {
        let obj = value.as_object().ok_or(RecordError::NotAnObject)?;
        let id = text_field(obj, "id").ok_or(RecordError::NoId)?;
        if !is_safe_id(&id) {
            return Err(RecordError::UnsafeId(id));
        }
        check_field_types(&id, obj)?;
        let kind = text_field(obj, "type").unwrap_or_else(|| "document".to_string());
        let title = text_field(obj, "title").unwrap_or_default();
        let authors = match obj.get("author") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.iter().filter_map(parse_name).collect(),
            Some(_) => return Err(RecordError::AuthorNotArray(id)),
        };
        let year = obj.get("issued").and_then(parse_year);
        let container_short = text_field(obj, "container-title-short")
            .or_else(|| text_field(obj, "journalAbbreviation"));
        let doi = text_field_ci(obj, "DOI").and_then(|d| normalize_doi(&d));
        let pmid = text_field_ci(obj, "PMID").and_then(|p| normalize_pmid(&p));
        let pmcid = text_field_ci(obj, "PMCID").and_then(|p| normalize_pmcid(&p));
        Ok(Reference {
            id,
            kind,
            title,
            authors,
            year,
            container: text_field(obj, "container-title"),
            container_short,
            volume: text_field(obj, "volume"),
            issue: text_field(obj, "issue"),
            page: text_field(obj, "page"),
            publisher: text_field(obj, "publisher"),
            doi,
            pmid,
            pmcid,
            url: text_field_ci(obj, "URL"),
            note: text_field(obj, "note"),
            abstract_text: text_field(obj, "abstract"),
            csl: value,
        })
    }

    /// Short in-text label: `"Smith, 2015"`, `"Smith & Jones, 2015"`, `"Smith et al., 2015"`,
    /// `"Cleveland Clinic, 2022"`, `"… , n.d."` when the year is unknown.
    pub fn short_label(&self) -> String {
        let year = self
            .year
            .map_or_else(|| "n.d.".to_string(), |y| y.to_string());
        let names: Vec<&str> = self.authors.iter().filter_map(Name::primary).collect();
        let who = match names.as_slice() {
            [] => self
                .publisher
                .clone()
                .or_else(|| self.container.clone())
                .unwrap_or_else(|| {
                    if self.title.is_empty() {
                        self.id.clone()
                    } else {
                        self.title.clone()
                    }
                }),
            [one] => (*one).to_string(),
            [a, b] => format!("{a} & {b}"),
            [a, ..] => format!("{a} et al."),
        };
        format!("{who}, {year}")
    }

    /// First author's family name (or literal name).
    pub fn surname(&self) -> Option<&str> {
        self.authors.first().and_then(Name::primary)
    }

    /// The DOI as written in the record (prefix stripped, original case kept), for display.
    pub fn display_doi(&self) -> Option<String> {
        self.csl
            .as_object()
            .and_then(|o| text_field_ci(o, "DOI"))
            .and_then(|d| clean_doi(&d))
            .or_else(|| self.doi.clone())
    }

    /// Preferred link: `https://doi.org/<doi>` when there is a DOI, else the URL.
    pub fn link(&self) -> Option<String> {
        self.display_doi()
            .map(|d| format!("https://doi.org/{d}"))
            .or_else(|| self.url.clone())
    }

    /// A journal, magazine or newspaper article (or a review).
    pub(crate) fn is_article(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "article-journal" | "article" | "article-magazine" | "article-newspaper" | "review"
        )
    }

    /// A web page or a post.
    pub(crate) fn is_web(&self) -> bool {
        matches!(self.kind.as_str(), "webpage" | "post-weblog" | "post")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::references::testdata::{get, seed};
    use crate::references::ReferenceList;
    use std::path::Path;

    #[test]
    fn parses_seed_fields() {
        let list = seed();
        assert_eq!(list.refs.len(), 8);
        let b = get(&list, "brinjikji2015");
        assert_eq!(b.kind, "article-journal");
        assert_eq!(b.authors.len(), 13);
        assert_eq!(b.year, Some(2015));
        assert_eq!(b.doi.as_deref(), Some("10.3174/ajnr.a4173"));
        assert_eq!(b.display_doi().as_deref(), Some("10.3174/ajnr.A4173"));
        assert_eq!(b.container_short.as_deref(), Some("AJNR Am J Neuroradiol"));
        assert_eq!(b.surname(), Some("Brinjikji"));
        let a = get(&list, "allegri2016");
        assert_eq!(a.pmcid.as_deref(), Some("PMC4926733"));
        assert_eq!(a.pmid.as_deref(), Some("27408698"));
        let yoga = get(&list, "aoa-yoga");
        assert_eq!(yoga.year, None);
        assert_eq!(yoga.surname(), Some("American Osteopathic Association"));
        assert!(yoga
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("Linked")));
        assert_eq!(
            get(&list, "clevelandclinic2022").link().as_deref(),
            Some("https://my.clevelandclinic.org/health/diseases/22881-back-spasms")
        );
        assert_eq!(
            b.link().as_deref(),
            Some("https://doi.org/10.3174/ajnr.A4173")
        );
    }

    #[test]
    fn from_csl_is_lenient_but_needs_id() {
        let r = Reference::from_csl(serde_json::json!({
            "id": 42, "title": "T", "volume": 5, "issued": {"raw": "March 2019"},
            "doi": "https://doi.org/10.1000/ABC", "PMCID": "123",
            "author": [{"family": "Gogh", "non-dropping-particle": "van", "given": "Vincent"}, 7]
        }));
        let r = match r {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(r.id, "42");
        assert_eq!(r.kind, "document");
        assert_eq!(r.volume.as_deref(), Some("5"));
        assert_eq!(r.year, Some(2019));
        assert_eq!(r.doi.as_deref(), Some("10.1000/abc"));
        assert_eq!(r.pmcid.as_deref(), Some("PMC123"));
        assert_eq!(r.surname(), Some("van Gogh"));
        assert_eq!(r.authors.len(), 1);
        let err = |v| Reference::from_csl(v).err();
        assert_eq!(
            err(serde_json::json!({"title": "x"})),
            Some(RecordError::NoId)
        );
        assert_eq!(err(serde_json::json!({"id": ""})), Some(RecordError::NoId));
        assert_eq!(
            err(serde_json::json!([1, 2])),
            Some(RecordError::NotAnObject)
        );
        assert_eq!(
            err(serde_json::json!({"id": "a", "author": "Smith"})),
            Some(RecordError::AuthorNotArray("a".into()))
        );
    }

    #[test]
    fn short_labels_for_all_seed_records() {
        let list = seed();
        let cases = [
            ("allegri2016", "Allegri et al., 2016"),
            ("brinjikji2015", "Brinjikji et al., 2015"),
            ("clevelandclinic2022", "Cleveland Clinic, 2022"),
            ("lau2019", "Lau et al., 2019"),
            ("malanga2015", "Malanga et al., 2015"),
            (
                "ninds2020",
                "National Institute of Neurological Disorders and Stroke, 2020",
            ),
            ("qaseem2017", "Qaseem et al., 2017"),
            ("aoa-yoga", "American Osteopathic Association, n.d."),
        ];
        for (id, want) in cases {
            assert_eq!(get(&list, id).short_label(), want);
        }
        let two = r#"[{"id": "x", "issued": {"date-parts": [[2015]]},
            "author": [{"family": "Smith", "given": "A"}, {"family": "Jones", "given": "B"}]},
            {"id": "y", "issued": {"date-parts": [["2015"]]}, "author": [{"family": "Smith"}]},
            {"id": "z", "title": "Untitled work"}]"#;
        let list = match ReferenceList::parse(two, Path::new("t.json")) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(get(&list, "x").short_label(), "Smith & Jones, 2015");
        assert_eq!(get(&list, "y").short_label(), "Smith, 2015");
        assert_eq!(get(&list, "z").short_label(), "Untitled work, n.d.");
    }

    #[test]
    fn ids_that_are_not_safe_file_names_are_refused() {
        for id in [
            "../../outside",
            "a/b",
            "..",
            ".hidden",
            "a\\b",
            "a\u{0}b",
            "x\ny",
        ] {
            let err = Reference::from_csl(serde_json::json!({"id": id, "title": "T"}));
            assert_eq!(
                err.err(),
                Some(RecordError::UnsafeId(id.trim().to_string())),
                "{id:?}"
            );
        }
        let long = "a".repeat(201);
        assert!(Reference::from_csl(serde_json::json!({"id": long})).is_err());
        for id in ["smith2020", "doi:10.1-x", "Müller-2019.b", "42"] {
            assert!(
                Reference::from_csl(serde_json::json!({"id": id})).is_ok(),
                "{id:?}"
            );
        }
        let msg = ReferenceList::parse(r#"[{"id": "../../outside"}]"#, Path::new("r.json"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("../../outside") && msg.contains("file name"),
            "{msg}"
        );
    }
}
