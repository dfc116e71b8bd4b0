//! CSL-JSON reference records, identifiers (DOI, PMID, PMCID, normalised URL) and citation formatting.
//!
//! This module owns:
//! * loading a CSL-JSON array of reference records ([`ReferenceList`]), keeping each raw record
//!   for lossless re-export;
//! * identifier normalisation ([`normalize_doi`], [`normalize_url`]) and extraction of
//!   DOI/PMID/PMCID keys from study links ([`link_keys`]);
//! * matching links found in guides to reference ids ([`ReferenceMatcher`]);
//! * plain-text citations (APA 7, Vancouver) and BibTeX / RIS / CSL-JSON export.
//!
//! Everything here is panic-free on arbitrary input.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Errors raised while loading a CSL-JSON reference file.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// The file could not be read.
    #[error(
        "cannot read reference file {}: {source} (check that the path exists and is a readable CSL-JSON file)",
        path.display()
    )]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
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

// ---------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------

/// A CSL name: a person (`family`, `given`) or an institution (`literal`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Name {
    pub family: Option<String>,
    pub given: Option<String>,
    pub literal: Option<String>,
}

impl Name {
    /// Family name (with its non-dropping particle) or the literal name.
    fn primary(&self) -> Option<&str> {
        self.family.as_deref().or(self.literal.as_deref())
    }

    /// APA form: `Family, G. I.`; literal names unchanged.
    fn apa(&self) -> String {
        match (&self.family, &self.literal) {
            (Some(family), _) => {
                let initials = initials(self.given.as_deref().unwrap_or(""), true);
                if initials.is_empty() {
                    family.clone()
                } else {
                    format!("{family}, {initials}")
                }
            }
            (None, Some(lit)) => lit.clone(),
            (None, None) => self.given.clone().unwrap_or_default(),
        }
    }

    /// Vancouver form: `Family GI`; literal names unchanged.
    fn vancouver(&self) -> String {
        match (&self.family, &self.literal) {
            (Some(family), _) => {
                let initials = initials(self.given.as_deref().unwrap_or(""), false);
                if initials.is_empty() {
                    family.clone()
                } else {
                    format!("{family} {initials}")
                }
            }
            (None, Some(lit)) => lit.clone(),
            (None, None) => self.given.clone().unwrap_or_default(),
        }
    }

    /// BibTeX / RIS form: `Family, Given`; literal names unchanged.
    fn inverted(&self) -> String {
        match (&self.family, &self.given, &self.literal) {
            (Some(f), Some(g), _) => format!("{f}, {g}"),
            (Some(f), None, _) => f.clone(),
            (None, _, Some(l)) => l.clone(),
            (None, Some(g), None) => g.clone(),
            (None, None, None) => String::new(),
        }
    }
}

/// Initials of given names. APA: `"Gerard A."` -> `"G. A."`, `"Jean-Paul"` -> `"J.-P."`.
/// Vancouver: `"Gerard A."` -> `"GA"`, `"Jean-Paul"` -> `"JP"`.
fn initials(given: &str, apa: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    for token in given.split(|c: char| c.is_whitespace() || c == '.') {
        if token.is_empty() {
            continue;
        }
        let hyphen_parts: Vec<String> = token
            .split('-')
            .filter_map(|p| p.chars().find(|c| c.is_alphanumeric()))
            .map(|c| c.to_uppercase().collect::<String>())
            .collect();
        if hyphen_parts.is_empty() {
            continue;
        }
        if apa {
            let joined: Vec<String> = hyphen_parts.iter().map(|i| format!("{i}.")).collect();
            parts.push(joined.join("-"));
        } else {
            parts.push(hyphen_parts.concat());
        }
    }
    if apa {
        parts.join(" ")
    } else {
        parts.concat()
    }
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

fn normalize_pmid(s: &str) -> Option<String> {
    let t = s.trim();
    let t = strip_prefix_ci(t, "pmid:").unwrap_or(t).trim();
    (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.to_string())
}

fn normalize_pmcid(s: &str) -> Option<String> {
    let t = s.trim();
    let digits = strip_prefix_ci(t, "pmc").unwrap_or(t).trim();
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("PMC{digits}"))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
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

    /// Multi-word proper names the record itself spells out (organisation authors, container,
    /// publisher), e.g. "American College of Physicians": sentence case must not lower them.
    pub fn proper_names(&self) -> Vec<String> {
        let mut sources: Vec<&str> = self
            .authors
            .iter()
            .filter_map(|a| a.literal.as_deref())
            .collect();
        sources.extend(self.container.as_deref());
        sources.extend(self.publisher.as_deref());
        let mut out = Vec::new();
        for s in sources {
            let words: Vec<&str> = s.split_whitespace().collect();
            let mut run: Vec<&str> = Vec::new();
            // Every stretch of a run that starts and ends on a capitalised word and holds two
            // or more of them: "American College of Physicians" inside a longer name.
            let mut flush = |run: &mut Vec<&str>| {
                let capital = |w: &str| !is_connector(w);
                for i in 0..run.len() {
                    for j in i + 1..run.len() {
                        if capital(run[i]) && capital(run[j]) {
                            out.push(run[i..=j].join(" "));
                        }
                    }
                }
                run.clear();
            };
            for w in words {
                let capital = w.chars().next().is_some_and(char::is_uppercase);
                if capital || (!run.is_empty() && is_connector(w)) {
                    run.push(w);
                } else {
                    flush(&mut run);
                }
            }
            flush(&mut run);
        }
        out.sort_by_key(|n| std::cmp::Reverse(n.len()));
        out.dedup();
        out
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

    fn is_article(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "article-journal" | "article" | "article-magazine" | "article-newspaper" | "review"
        )
    }

    fn is_web(&self) -> bool {
        matches!(self.kind.as_str(), "webpage" | "post-weblog" | "post")
    }

    /// Plain-text citation in the given style.
    pub fn format(&self, style: CitationStyle) -> String {
        match style {
            CitationStyle::Apa => self.format_apa(),
            CitationStyle::Vancouver => self.format_vancouver(),
        }
    }

    fn format_apa(&self) -> String {
        let names: Vec<String> = self
            .authors
            .iter()
            .map(Name::apa)
            .filter(|n| !n.is_empty())
            .collect();
        let authors = match names.len() {
            0 | 1 => names.concat(),
            2..=20 => match names.split_last() {
                Some((last, rest)) => format!("{}, & {}", rest.join(", "), last),
                None => String::new(),
            },
            _ => {
                let head = names.get(..19).unwrap_or(&names).join(", ");
                let last = names.last().cloned().unwrap_or_default();
                format!("{head}, . . . {last}")
            }
        };
        let year = self
            .year
            .map_or_else(|| "n.d.".to_string(), |y| y.to_string());
        let title = restore_names(&sentence_case(&self.title), &self.proper_names());
        let mut out = String::new();
        if authors.is_empty() {
            // APA: with no author, the title moves to the author position.
            if !title.is_empty() {
                out.push_str(&end_sentence(&title));
                out.push(' ');
            }
            let _ = write!(out, "({year}).");
        } else {
            out.push_str(&end_sentence(&authors));
            let _ = write!(out, " ({year}).");
            if !title.is_empty() {
                out.push(' ');
                out.push_str(&end_sentence(&title));
            }
        }
        if self.is_article() {
            let mut source = self.container.clone().unwrap_or_default();
            let mut vol = self.volume.clone().unwrap_or_default();
            if let Some(issue) = &self.issue {
                let _ = write!(vol, "({issue})");
            }
            for part in [vol, self.page.as_deref().map(en_dash).unwrap_or_default()] {
                if part.is_empty() {
                    continue;
                }
                if !source.is_empty() {
                    source.push_str(", ");
                }
                source.push_str(&part);
            }
            if !source.is_empty() {
                out.push(' ');
                out.push_str(&end_sentence(&source));
            }
        } else {
            let author_lit = self.authors.first().and_then(|a| a.literal.as_deref());
            let mut seen: Vec<&str> = author_lit.into_iter().collect();
            for site in [self.container.as_deref(), self.publisher.as_deref()]
                .into_iter()
                .flatten()
            {
                if seen.iter().any(|s| s.eq_ignore_ascii_case(site)) {
                    continue;
                }
                seen.push(site);
                out.push(' ');
                out.push_str(&end_sentence(site));
                if self.is_web() {
                    break; // one site name is enough for a webpage
                }
            }
        }
        if let Some(link) = self.link() {
            out.push(' ');
            out.push_str(&link);
        }
        out
    }

    fn format_vancouver(&self) -> String {
        let names: Vec<String> = self
            .authors
            .iter()
            .map(Name::vancouver)
            .filter(|n| !n.is_empty())
            .collect();
        let mut authors = names.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
        if names.len() > 6 {
            authors.push_str(", et al");
        }
        let mut out = String::new();
        if !authors.is_empty() {
            out.push_str(&end_sentence(&authors));
        }
        let title = self.title.trim();
        if !title.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            if self.is_web() {
                let _ = write!(out, "{} [Internet].", title.trim_end_matches('.'));
            } else {
                out.push_str(&end_sentence(title));
            }
        }
        let year = self.year.map(|y| y.to_string());
        if self.is_article() {
            let journal = self.container_short.as_ref().or(self.container.as_ref());
            if let Some(j) = journal {
                out.push(' ');
                out.push_str(&end_sentence(j));
            }
            let mut src = year.unwrap_or_default();
            if self.volume.is_some() || self.issue.is_some() {
                src.push(';');
                src.push_str(self.volume.as_deref().unwrap_or(""));
                if let Some(i) = &self.issue {
                    let _ = write!(src, "({i})");
                }
            }
            if let Some(p) = &self.page {
                let _ = write!(src, ":{}", vancouver_pages(p));
            }
            if !src.is_empty() {
                out.push(' ');
                out.push_str(&src);
                out.push('.');
            }
        } else {
            let publisher = self.publisher.as_ref().or(self.container.as_ref());
            let date = year.unwrap_or_else(|| "[date unknown]".to_string());
            out.push(' ');
            match publisher {
                Some(p) => {
                    let _ = write!(out, "{p}; {date}.");
                }
                None => {
                    let _ = write!(out, "{date}.");
                }
            }
        }
        if let Some(doi) = self.display_doi() {
            let _ = write!(out, " doi:{doi}");
        } else if let Some(url) = &self.url {
            let _ = write!(out, " Available from: {url}");
        }
        out.trim().to_string()
    }
}

/// Append a full stop unless the text already ends with terminal punctuation.
fn end_sentence(s: &str) -> String {
    let t = s.trim_end();
    if t.ends_with(['.', '?', '!']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

/// Page range with an en dash: `811-816` -> `811–816`.
fn en_dash(pages: &str) -> String {
    pages.replace("--", "–").replace('-', "–")
}

/// Split a page range into first and last page (`811-816`, `811–816`, `811--816`).
fn split_pages(pages: &str) -> (String, Option<String>) {
    let p = pages.replace("--", "-").replace(['–', '—'], "-");
    match p.split_once('-') {
        Some((a, b)) if !b.trim().is_empty() => (a.trim().to_string(), Some(b.trim().to_string())),
        Some((a, _)) => (a.trim().to_string(), None),
        None => (p.trim().to_string(), None),
    }
}

/// Vancouver elides repeated leading digits of the last page: `811-816` -> `811-6`.
fn vancouver_pages(pages: &str) -> String {
    let (first, last) = split_pages(pages);
    let Some(last) = last else {
        return first;
    };
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if numeric(&first) && numeric(&last) && first.len() == last.len() {
        let common = first
            .bytes()
            .zip(last.bytes())
            .take_while(|(a, b)| a == b)
            .count()
            .min(last.len().saturating_sub(1));
        let tail = last.get(common..).unwrap_or(&last);
        return format!("{first}-{tail}");
    }
    format!("{first}-{last}")
}

/// A simple capitalised word part: `Word` (one upper-case letter followed by lower-case letters).
fn is_simple_capitalised(part: &str) -> bool {
    let mut chars = part.chars();
    match chars.next() {
        Some(c) if c.is_uppercase() => chars.all(|c| c.is_lowercase()),
        _ => false,
    }
}

/// Does the title look like Title Case (every longer word capitalised)?
fn looks_title_case(title: &str) -> bool {
    let words: Vec<&str> = title
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().count() >= 4 && w.chars().all(char::is_alphabetic))
        .collect();
    words.len() >= 2
        && words
            .iter()
            .all(|w| w.chars().next().is_some_and(char::is_uppercase))
}

fn capitalise_first(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut done = false;
    for c in word.chars() {
        if !done && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            done = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// APA sentence case. The first word and the first word after `:`, `.`, `?`, `!` or a dash are
/// capitalised; all-caps words (acronyms) and mixed-case words (`McLean`, `mRNA`, `F1000Research`)
/// are kept. Other words are lower-cased only when the title is written in Title Case; a title
/// already in sentence case keeps its proper nouns. (Proper nouns in Title Case titles cannot be
/// told apart from ordinary words and are lower-cased.)
pub fn sentence_case(title: &str) -> String {
    let title_case = looks_title_case(title);
    let mut out = String::with_capacity(title.len());
    let mut capitalise_next = true;
    for (i, word) in title.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let converted: Vec<String> = word
            .split('-')
            .enumerate()
            .map(|(j, part)| {
                let core = part.trim_matches(|c: char| !c.is_alphanumeric());
                let lower_ok = title_case
                    && is_simple_capitalised(core)
                    && (core.chars().count() > 1 || core == "A");
                if capitalise_next && j == 0 {
                    capitalise_first(part)
                } else if lower_ok {
                    part.to_lowercase()
                } else {
                    part.to_string()
                }
            })
            .collect();
        out.push_str(&converted.join("-"));
        if word.chars().any(char::is_alphanumeric) {
            capitalise_next = false;
        }
        if word.ends_with([':', '.', '?', '!', '—', '–']) || word == "-" {
            capitalise_next = true;
        }
    }
    out
}

fn is_connector(w: &str) -> bool {
    matches!(w, "of" | "the" | "and" | "for" | "&")
}

/// Put proper names back in their own capitalisation after sentence casing lowered them.
///
/// Matches are found character by character in the title itself, never at offsets taken from
/// a lower-cased copy: case mapping can change a text's length (`İ` lower-cases to two
/// characters, `ẞ` to a shorter one), so such offsets need not be character boundaries.
fn restore_names(title: &str, names: &[String]) -> String {
    let mut out = title.to_string();
    for name in names {
        if name.is_empty() {
            continue;
        }
        let mut from = 0;
        while let Some((at, end)) = find_ignoring_case(&out, name, from) {
            out.replace_range(at..end, name);
            from = at + name.len();
        }
    }
    out
}

/// The byte range of the first match of `needle` in `hay` at or after byte `from` (a character
/// boundary), comparing characters by their lower-case forms.
fn find_ignoring_case(hay: &str, needle: &str, from: usize) -> Option<(usize, usize)> {
    let same = |a: char, b: char| a == b || a.to_lowercase().eq(b.to_lowercase());
    let rest = hay.get(from..)?;
    for (i, _) in rest.char_indices() {
        let mut hay_chars = rest[i..].char_indices();
        let mut end = i;
        let matched = needle.chars().all(|n| match hay_chars.next() {
            Some((j, h)) if same(h, n) => {
                end = i + j + h.len_utf8();
                true
            }
            _ => false,
        });
        if matched {
            return Some((from + i, from + end));
        }
    }
    None
}

/// Citation styles for [`Reference::format`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CitationStyle {
    #[default]
    Apa,
    Vancouver,
}

// ---------------------------------------------------------------------------
// Reference list
// ---------------------------------------------------------------------------

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
        let text = std::fs::read_to_string(path).map_err(|source| ReferenceError::Io {
            path: path.to_path_buf(),
            source,
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

    /// Pretty-printed JSON array of the raw CSL records.
    pub fn to_csl_json(&self, ids: &[String]) -> String {
        let records: Vec<&Value> = self.select(ids).into_iter().map(|r| &r.csl).collect();
        serde_json::to_string_pretty(&records).unwrap_or_else(|_| "[]".to_string())
    }

    /// BibTeX entries keyed by reference id.
    pub fn to_bibtex(&self, ids: &[String]) -> String {
        let mut out = String::new();
        for r in self.select(ids) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&bibtex_entry(r));
        }
        out
    }

    /// RIS records.
    pub fn to_ris(&self, ids: &[String]) -> String {
        let mut out = String::new();
        for r in self.select(ids) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&ris_record(r));
        }
        out
    }
}

// ---------------------------------------------------------------------------
// BibTeX / RIS
// ---------------------------------------------------------------------------

/// Escape LaTeX special characters in a BibTeX text field.
fn bibtex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '{' | '}' | '&' | '%' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\textbackslash{}"),
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            _ => out.push(c),
        }
    }
    out
}

/// URL / DOI fields are read verbatim by biblatex and `\url`; only braces, and a backslash
/// (which escapes the brace closing the field), would break the entry.
fn bibtex_verbatim(s: &str) -> String {
    s.replace('\\', "%5C")
        .replace('{', "%7B")
        .replace('}', "%7D")
}

/// BibTeX keys may not contain whitespace or `,{}()"#%'=\~`.
fn bibtex_key(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_whitespace() || ",{}()\"#%'=\\~".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect()
}

fn bibtex_entry(r: &Reference) -> String {
    let entry_type = match r.kind.as_str() {
        "article-journal" | "article" | "article-magazine" | "article-newspaper" | "review" => {
            "article"
        }
        "book" => "book",
        "chapter" => "incollection",
        "paper-conference" => "inproceedings",
        "report" => "techreport",
        "thesis" => "phdthesis",
        _ => "misc",
    };
    // Classic BibTeX styles know no @online: a web page is @misc with its address in
    // `howpublished`, and where it was published and when it was read in `note`.
    let web = matches!(r.kind.as_str(), "webpage" | "post-weblog" | "post");
    let mut fields: Vec<(&str, String)> = Vec::new();
    if !r.authors.is_empty() {
        let names: Vec<String> = r
            .authors
            .iter()
            .map(|n| match (&n.family, &n.literal) {
                (None, Some(lit)) => format!("{{{}}}", bibtex_escape(lit)),
                _ => bibtex_escape(&n.inverted()),
            })
            .collect();
        fields.push(("author", names.join(" and ")));
    }
    if !r.title.is_empty() {
        // Double braces keep the title's capitalisation.
        fields.push(("title", format!("{{{}}}", bibtex_escape(&r.title))));
    }
    if let Some(c) = r.container.as_ref().filter(|_| !web) {
        let key = match entry_type {
            "article" => "journal",
            "incollection" | "inproceedings" => "booktitle",
            _ => "howpublished",
        };
        fields.push((key, bibtex_escape(c)));
    }
    if let Some(u) = r.url.as_ref().filter(|_| web) {
        fields.push(("howpublished", format!("\\url{{{}}}", bibtex_verbatim(u))));
    }
    if let Some(y) = r.year {
        fields.push(("year", y.to_string()));
    }
    for (key, v) in [
        ("volume", &r.volume),
        ("number", &r.issue),
        ("publisher", &r.publisher),
    ] {
        if web && key == "publisher" {
            continue;
        }
        if let Some(v) = v {
            let key = if key == "publisher" && entry_type == "techreport" {
                "institution"
            } else {
                key
            };
            fields.push((key, bibtex_escape(v)));
        }
    }
    if let Some(p) = &r.page {
        let (first, last) = split_pages(p);
        let pages = match last {
            Some(l) => format!("{first}--{l}"),
            None => first,
        };
        fields.push(("pages", bibtex_escape(&pages)));
    }
    if let Some(d) = r.display_doi() {
        fields.push(("doi", bibtex_verbatim(&d)));
    }
    if let Some(u) = r.url.as_ref().filter(|_| !web) {
        fields.push(("url", bibtex_verbatim(u)));
    }
    if let Some(p) = &r.pmid {
        fields.push(("pmid", p.clone()));
    }
    if let Some(p) = &r.pmcid {
        fields.push(("pmcid", p.clone()));
    }
    let mut note: Vec<String> = Vec::new();
    if web {
        // The site and its publisher, then when the page was read: BibTeX's `note`.
        note.extend(
            r.container
                .iter()
                .chain(&r.publisher)
                .map(|s| bibtex_escape(s)),
        );
        if let Some(date) = accessed_date(&r.csl) {
            note.push(format!("Accessed {date}"));
        }
    }
    note.extend(r.note.iter().map(|n| bibtex_escape(n)));
    if !note.is_empty() {
        let joined: Vec<String> = note
            .iter()
            .map(|n| n.trim_end_matches('.').to_string())
            .collect();
        fields.push(("note", format!("{}.", joined.join(". "))));
    }
    let mut out = format!("@{entry_type}{{{},\n", bibtex_key(&r.id));
    for (key, value) in &fields {
        let _ = writeln!(out, "  {key} = {{{value}}},");
    }
    out.push_str("}\n");
    out
}

/// The CSL `accessed` date as `YYYY-MM-DD` (or `YYYY-MM`, `YYYY`), or its raw text.
fn accessed_date(csl: &Value) -> Option<String> {
    let accessed = csl.get("accessed")?;
    let parts = accessed.get("date-parts").and_then(|dp| dp.get(0));
    if let Some(parts) = parts.and_then(Value::as_array) {
        let nums: Vec<i64> = parts
            .iter()
            .map_while(|p| match p {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .take(3)
            .collect();
        if let Some((year, rest)) = nums.split_first() {
            let mut out = format!("{year:04}");
            for n in rest {
                out.push_str(&format!("-{n:02}"));
            }
            return Some(out);
        }
    }
    ["raw", "literal"]
        .iter()
        .find_map(|k| accessed.get(*k).and_then(Value::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn ris_record(r: &Reference) -> String {
    let ty = match r.kind.as_str() {
        "article-journal" | "article" | "review" => "JOUR",
        "article-magazine" => "MGZN",
        "article-newspaper" => "NEWS",
        "book" => "BOOK",
        "chapter" => "CHAP",
        "paper-conference" => "CONF",
        "report" => "RPRT",
        "thesis" => "THES",
        "webpage" | "post-weblog" | "post" => "ELEC",
        _ => "GEN",
    };
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut lines: Vec<(&str, String)> = vec![("TY", ty.to_string())];
    for a in &r.authors {
        let name = a.inverted();
        if !name.is_empty() {
            lines.push(("AU", name));
        }
    }
    if !r.title.is_empty() {
        lines.push(("TI", r.title.clone()));
    }
    if let Some(c) = &r.container {
        lines.push(("T2", c.clone()));
    }
    if let Some(c) = &r.container_short {
        lines.push(("JO", c.clone()));
    }
    if let Some(y) = r.year {
        lines.push(("PY", y.to_string()));
    }
    if let Some(v) = &r.volume {
        lines.push(("VL", v.clone()));
    }
    if let Some(i) = &r.issue {
        lines.push(("IS", i.clone()));
    }
    if let Some(p) = &r.page {
        let (first, last) = split_pages(p);
        lines.push(("SP", first));
        if let Some(l) = last {
            lines.push(("EP", l));
        }
    }
    if let Some(p) = &r.publisher {
        lines.push(("PB", p.clone()));
    }
    if let Some(d) = r.display_doi() {
        lines.push(("DO", d));
    }
    if let Some(u) = &r.url {
        lines.push(("UR", u.clone()));
    }
    if let Some(p) = &r.pmid {
        lines.push(("AN", p.clone()));
    }
    if let Some(a) = &r.abstract_text {
        lines.push(("AB", a.clone()));
    }
    if let Some(n) = &r.note {
        lines.push(("N1", n.clone()));
    }
    let mut out = String::new();
    for (tag, value) in lines {
        // One line a tag, whatever the record holds (a page range with a newline, say).
        let _ = writeln!(out, "{tag}  - {}", one_line(&value));
    }
    out.push_str("ER  - \n");
    out
}

// ---------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Strip trailing punctuation that is not part of the DOI (unbalanced closing brackets too).
fn trim_doi_tail(mut s: &str) -> &str {
    loop {
        let before = s;
        s = s.trim_end_matches(['.', ',', ';', ':', '\'', '"', '>', '!', '?']);
        for (open, close) in [('(', ')'), ('[', ']'), ('{', '}')] {
            if s.ends_with(close) && s.matches(close).count() > s.matches(open).count() {
                s = s.get(..s.len() - close.len_utf8()).unwrap_or(s);
            }
        }
        if s == before {
            return s;
        }
    }
}

/// DOI with prefixes removed and the original case kept.
fn clean_doi(s: &str) -> Option<String> {
    let mut t = s.trim().to_string();
    if t.contains('%') {
        t = percent_decode(&t);
    }
    let mut rest = t.trim().trim_start_matches(['(', '[', '{', '<', '"', '\'']);
    if let Some(r) = strip_prefix_ci(rest, "doi:") {
        rest = r.trim_start();
    }
    let lower = rest.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let url = Url::parse(rest).ok()?;
        let host = url.host_str()?.to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host);
        if host != "doi.org" && host != "dx.doi.org" {
            return None;
        }
        let path = percent_decode(url.path());
        return clean_doi(path.trim_start_matches('/'));
    }
    for prefix in ["www.doi.org/", "dx.doi.org/", "doi.org/"] {
        if let Some(r) = strip_prefix_ci(rest, prefix) {
            rest = r;
            break;
        }
    }
    let rest = trim_doi_tail(rest);
    let (prefix, suffix) = rest.split_once('/')?;
    let registrant = prefix.strip_prefix("10.")?;
    let valid_prefix = !registrant.is_empty()
        && registrant
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !valid_prefix || suffix.is_empty() || rest.chars().any(char::is_whitespace) {
        return None;
    }
    Some(rest.to_string())
}

/// Normalise a DOI: accepts `10.x/y`, `doi:10.x/y`, `https://doi.org/10.x/y`,
/// `http://dx.doi.org/10.x/y` and percent-encoded forms; trims trailing punctuation;
/// returns the lower-cased DOI without prefix.
pub fn normalize_doi(s: &str) -> Option<String> {
    clean_doi(s).map(|d| d.to_lowercase())
}

const FILE_EXTENSIONS: &[&str] = &[
    "html", "htm", "php", "asp", "aspx", "jsp", "cgi", "pdf", "xml", "json", "txt", "md", "png",
    "jpg", "jpeg", "gif", "svg", "css", "js",
];

/// `example.org/path` without a scheme (as produced by [`normalize_url`]).
fn looks_like_bare_host(s: &str) -> bool {
    let authority = s.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.split(':').next().unwrap_or("");
    let Some((_, tld)) = host.rsplit_once('.') else {
        return false;
    };
    !host.starts_with('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && !FILE_EXTENSIONS.contains(&tld.to_ascii_lowercase().as_str())
}

/// Parse an http(s) URL; also accepts protocol-relative `//host/..` and bare `host.tld/..`.
fn parse_web_url(s: &str) -> Option<Url> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if t.starts_with("//") {
        return Url::parse(&format!("https:{t}")).ok();
    }
    match Url::parse(t) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
        Ok(u) if u.scheme().contains('.') && looks_like_bare_host(t) => {
            Url::parse(&format!("https://{t}")).ok()
        }
        Ok(_) => None,
        Err(url::ParseError::RelativeUrlWithoutBase) if looks_like_bare_host(t) => {
            Url::parse(&format!("https://{t}")).ok()
        }
        Err(_) => None,
    }
    .filter(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// Upper-case percent-escapes and decode escaped unreserved characters (RFC 3986 §6.2.2).
fn normalize_percent(s: &str) -> String {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let hex = |c: u8| (c as char).to_digit(16);
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                let byte = (h * 16 + l) as u8;
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    out.push(byte);
                } else {
                    out.push(b'%');
                    out.push(b[i + 1].to_ascii_uppercase());
                    out.push(b[i + 2].to_ascii_uppercase());
                }
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_tracking_param(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_") || k == "fbclid" || k == "gclid"
}

/// Host without a leading `www.`, lower-cased.
fn bare_host(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(host.strip_prefix("www.").unwrap_or(&host).to_string())
}

/// Normalise an http(s) URL into a scheme-less comparison key, e.g.
/// `http://www.Example.org:443/a/b/?utm_source=x&id=3#top` -> `example.org/a/b?id=3`.
///
/// Scheme, userinfo, `www.`, default ports (80, 443), fragment, tracking parameters
/// (`utm_*`, `fbclid`, `gclid`) and trailing slashes are dropped; other query parameters are
/// kept in order; percent-escapes are upper-cased. Non-http(s) URLs give `None`.
pub fn normalize_url(s: &str) -> Option<String> {
    let url = parse_web_url(s)?;
    let mut out = bare_host(&url)?;
    if let Some(port) = url.port() {
        if port != 80 && port != 443 {
            let _ = write!(out, ":{port}");
        }
    }
    let path = normalize_percent(url.path());
    out.push_str(path.trim_end_matches('/'));
    if let Some(query) = url.query() {
        let kept: Vec<String> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| !is_tracking_param(p.split('=').next().unwrap_or("")))
            .map(normalize_percent)
            .collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    Some(out)
}

/// Identifier keys extracted from one link.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LinkKeys {
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub pmcid: Option<String>,
    pub url: Option<String>,
}

/// Extract DOI, PMID, PMCID and the normalised URL from a link.
///
/// * DOI: `doi.org` / `dx.doi.org` links, any path containing `/doi/` (also `/doi/abs/`,
///   `/doi/full/`, `/doi/pdf/`, `/doi/epdf/`), a `doi=` query parameter, `doi:` strings.
/// * PMID: `pubmed.ncbi.nlm.nih.gov/<digits>`, `ncbi.nlm.nih.gov/pubmed/<digits>`,
///   `europepmc.org/article/MED/<digits>`.
/// * PMCID: `pmc.ncbi.nlm.nih.gov/articles/PMC<digits>`,
///   `ncbi.nlm.nih.gov/pmc/articles/PMC<digits>`, `europepmc.org/article/PMC/PMC<digits>`.
pub fn link_keys(url: &str) -> LinkKeys {
    let mut keys = LinkKeys::default();
    let trimmed = url.trim();
    if strip_prefix_ci(trimmed, "doi:").is_some() || trimmed.starts_with("10.") {
        keys.doi = normalize_doi(trimmed);
        return keys;
    }
    let Some(parsed) = parse_web_url(trimmed) else {
        return keys;
    };
    keys.url = normalize_url(trimmed);
    let Some(host) = bare_host(&parsed) else {
        return keys;
    };
    let segments: Vec<String> = parsed
        .path_segments()
        .map(|segs| segs.filter(|s| !s.is_empty()).map(percent_decode).collect())
        .unwrap_or_default();
    let seg = |i: usize| segments.get(i).map(String::as_str);
    let seg_is = |i: usize, want: &str| seg(i).is_some_and(|s| s.eq_ignore_ascii_case(want));

    // DOI
    if host == "doi.org" || host == "dx.doi.org" {
        keys.doi = normalize_doi(&segments.join("/"));
    } else if let Some(pos) = segments.iter().position(|s| s.eq_ignore_ascii_case("doi")) {
        let mut rest = segments.get(pos + 1..).unwrap_or(&[]);
        if let Some((first, tail)) = rest.split_first() {
            let views = ["abs", "full", "pdf", "epdf", "pdfdirect", "reader", "book"];
            if views.iter().any(|v| first.eq_ignore_ascii_case(v)) {
                rest = tail;
            }
        }
        keys.doi = normalize_doi(&rest.join("/"));
    }
    if keys.doi.is_none() {
        keys.doi = parsed
            .query_pairs()
            .find(|(k, _)| k.eq_ignore_ascii_case("doi"))
            .and_then(|(_, v)| normalize_doi(&v));
    }

    // PMID / PMCID
    let digits_only = |s: Option<&str>| s.and_then(normalize_pmid);
    match host.as_str() {
        "pubmed.ncbi.nlm.nih.gov" if segments.len() == 1 => keys.pmid = digits_only(seg(0)),
        "ncbi.nlm.nih.gov" if seg_is(0, "pubmed") && segments.len() == 2 => {
            keys.pmid = digits_only(seg(1));
        }
        "pmc.ncbi.nlm.nih.gov" if seg_is(0, "articles") => keys.pmcid = pmcid_strict(seg(1)),
        "ncbi.nlm.nih.gov" if seg_is(0, "pmc") && seg_is(1, "articles") => {
            keys.pmcid = pmcid_strict(seg(2));
        }
        "europepmc.org" if seg_is(0, "article") || seg_is(0, "abstract") => {
            if seg_is(1, "MED") {
                keys.pmid = digits_only(seg(2));
            } else if seg_is(1, "PMC") {
                keys.pmcid = seg(2).and_then(normalize_pmcid);
            }
        }
        "europepmc.org" if seg_is(0, "articles") => keys.pmcid = pmcid_strict(seg(1)),
        _ => {}
    }
    keys
}

/// `PMC<digits>` (prefix required).
fn pmcid_strict(s: Option<&str>) -> Option<String> {
    let s = s?;
    strip_prefix_ci(s, "pmc")?;
    normalize_pmcid(s)
}

// ---------------------------------------------------------------------------
// Matcher
// ---------------------------------------------------------------------------

/// Resolves study links to reference ids with O(1) lookups.
#[derive(Debug, Clone, Default)]
pub struct ReferenceMatcher {
    by_doi: HashMap<String, String>,
    by_pmid: HashMap<String, String>,
    by_pmcid: HashMap<String, String>,
    by_url: HashMap<String, String>,
}

impl ReferenceMatcher {
    /// Index every reference's DOI, PMID, PMCID and the [`link_keys`] of its URL.
    /// When two references share a key, the first one in the list wins.
    pub fn new(list: &ReferenceList) -> Self {
        let mut m = ReferenceMatcher::default();
        let add = |map: &mut HashMap<String, String>, key: Option<String>, id: &str| {
            if let Some(k) = key {
                map.entry(k).or_insert_with(|| id.to_string());
            }
        };
        for r in &list.refs {
            add(&mut m.by_doi, r.doi.clone(), &r.id);
            add(&mut m.by_pmid, r.pmid.clone(), &r.id);
            add(&mut m.by_pmcid, r.pmcid.clone(), &r.id);
            if let Some(url) = &r.url {
                let k = link_keys(url);
                add(&mut m.by_doi, k.doi, &r.id);
                add(&mut m.by_pmid, k.pmid, &r.id);
                add(&mut m.by_pmcid, k.pmcid, &r.id);
                add(&mut m.by_url, k.url, &r.id);
            }
        }
        m
    }

    /// Reference id for a link; identifiers are tried in the order DOI, PMID, PMCID,
    /// normalised URL.
    pub fn resolve(&self, url: &str) -> Option<&str> {
        let k = link_keys(url);
        fn hit<'m>(map: &'m HashMap<String, String>, key: &Option<String>) -> Option<&'m str> {
            key.as_ref().and_then(|k| map.get(k)).map(String::as_str)
        }
        hit(&self.by_doi, &k.doi)
            .or_else(|| hit(&self.by_pmid, &k.pmid))
            .or_else(|| hit(&self.by_pmcid, &k.pmcid))
            .or_else(|| hit(&self.by_url, &k.url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Literal copy of /work/shared/seed/references.json.
    const SEED: &str = r#"
[
  {
    "id": "allegri2016",
    "type": "article-journal",
    "title": "Mechanisms of low back pain: a guide for diagnosis and therapy",
    "author": [
      {"family": "Allegri", "given": "Massimo"}, {"family": "Montella", "given": "Silvana"},
      {"family": "Salici", "given": "Fabiana"}, {"family": "Valente", "given": "Adriana"},
      {"family": "Marchesini", "given": "Maurizio"}, {"family": "Compagnone", "given": "Christian"},
      {"family": "Baciarello", "given": "Marco"}, {"family": "Manferdini", "given": "Maria Elena"},
      {"family": "Fanelli", "given": "Guido"}
    ],
    "container-title": "F1000Research",
    "volume": "5",
    "page": "1530",
    "issued": {"date-parts": [[2016, 6, 28]]},
    "DOI": "10.12688/f1000research.8105.1",
    "PMID": "27408698",
    "PMCID": "PMC4926733",
    "URL": "https://pmc.ncbi.nlm.nih.gov/articles/PMC4926733/"
  },
  {
    "id": "brinjikji2015",
    "type": "article-journal",
    "title": "Systematic Literature Review of Imaging Features of Spinal Degeneration in Asymptomatic Populations",
    "author": [
      {"family": "Brinjikji", "given": "W."}, {"family": "Luetmer", "given": "P. H."},
      {"family": "Comstock", "given": "B."}, {"family": "Bresnahan", "given": "B. W."},
      {"family": "Chen", "given": "L. E."}, {"family": "Deyo", "given": "R. A."},
      {"family": "Halabi", "given": "S."}, {"family": "Turner", "given": "J. A."},
      {"family": "Avins", "given": "A. L."}, {"family": "James", "given": "K."},
      {"family": "Wald", "given": "J. T."}, {"family": "Kallmes", "given": "D. F."},
      {"family": "Jarvik", "given": "J. G."}
    ],
    "container-title": "American Journal of Neuroradiology",
    "container-title-short": "AJNR Am J Neuroradiol",
    "volume": "36",
    "issue": "4",
    "page": "811-816",
    "issued": {"date-parts": [[2015, 4]]},
    "DOI": "10.3174/ajnr.A4173",
    "PMID": "25430861",
    "URL": "https://www.ajnr.org/content/36/4/811"
  },
  {
    "id": "clevelandclinic2022",
    "type": "webpage",
    "title": "Back Spasms",
    "author": [{"literal": "Cleveland Clinic"}],
    "container-title": "Cleveland Clinic Health Library",
    "issued": {"date-parts": [[2022]]},
    "URL": "https://my.clevelandclinic.org/health/diseases/22881-back-spasms"
  },
  {
    "id": "lau2019",
    "type": "article-journal",
    "title": "Water intake after dehydration makes muscles more susceptible to cramp but electrolytes reverse that effect",
    "author": [
      {"family": "Lau", "given": "Wing Yin"}, {"family": "Kato", "given": "Hiroyuki"},
      {"family": "Nosaka", "given": "Kazunori"}
    ],
    "container-title": "BMJ Open Sport & Exercise Medicine",
    "container-title-short": "BMJ Open Sport Exerc Med",
    "volume": "5",
    "issue": "1",
    "page": "e000478",
    "issued": {"date-parts": [[2019, 3, 5]]},
    "DOI": "10.1136/bmjsem-2018-000478",
    "PMID": "30899546",
    "URL": "https://bmjopensem.bmj.com/content/5/1/e000478"
  },
  {
    "id": "malanga2015",
    "type": "article-journal",
    "title": "Mechanisms and efficacy of heat and cold therapies for musculoskeletal injury",
    "author": [
      {"family": "Malanga", "given": "Gerard A."}, {"family": "Yan", "given": "Ning"},
      {"family": "Stark", "given": "Jill"}
    ],
    "container-title": "Postgraduate Medicine",
    "container-title-short": "Postgrad Med",
    "volume": "127",
    "issue": "1",
    "page": "57-65",
    "issued": {"date-parts": [[2015, 1]]},
    "DOI": "10.1080/00325481.2015.992719",
    "PMID": "25526231",
    "URL": "https://doi.org/10.1080/00325481.2015.992719"
  },
  {
    "id": "ninds2020",
    "type": "webpage",
    "title": "Low Back Pain Fact Sheet",
    "author": [{"literal": "National Institute of Neurological Disorders and Stroke"}],
    "publisher": "National Institutes of Health",
    "issued": {"date-parts": [[2020]]},
    "URL": "https://www.ninds.nih.gov/health-information/patient-caregiver-education/fact-sheets/low-back-pain-fact-sheet"
  },
  {
    "id": "qaseem2017",
    "type": "article-journal",
    "title": "Noninvasive Treatments for Acute, Subacute, and Chronic Low Back Pain: A Clinical Practice Guideline From the American College of Physicians",
    "author": [
      {"family": "Qaseem", "given": "Amir"}, {"family": "Wilt", "given": "Timothy J."},
      {"family": "McLean", "given": "Robert M."}, {"family": "Forciea", "given": "Mary Ann"},
      {"literal": "Clinical Guidelines Committee of the American College of Physicians"}
    ],
    "container-title": "Annals of Internal Medicine",
    "container-title-short": "Ann Intern Med",
    "volume": "166",
    "issue": "7",
    "page": "514-530",
    "issued": {"date-parts": [[2017, 4, 4]]},
    "DOI": "10.7326/M16-2367",
    "PMID": "28192789",
    "URL": "https://www.acpjournals.org/doi/10.7326/M16-2367"
  },
  {
    "id": "aoa-yoga",
    "type": "webpage",
    "title": "The Benefits of Yoga",
    "author": [{"literal": "American Osteopathic Association"}],
    "URL": "https://osteopathic.org/what-is-osteopathic-medicine/benefits-of-yoga/",
    "note": "Linked from the guide's body text; not listed in the guide's References section."
  }
]
"#;

    fn seed() -> ReferenceList {
        match ReferenceList::parse(SEED, Path::new("references.json")) {
            Ok(list) => list,
            Err(e) => panic!("seed must parse: {e}"),
        }
    }

    fn get<'a>(list: &'a ReferenceList, id: &str) -> &'a Reference {
        list.get(id)
            .unwrap_or_else(|| panic!("missing reference {id}"))
    }

    fn s(x: &str) -> Option<String> {
        Some(x.to_string())
    }

    // ----- identifiers -----

    #[test]
    fn doi_normalisation_shapes() {
        let want = s("10.1080/00325481.2015.992719");
        for input in [
            "10.1080/00325481.2015.992719",
            "doi:10.1080/00325481.2015.992719",
            "DOI: 10.1080/00325481.2015.992719",
            "https://doi.org/10.1080/00325481.2015.992719",
            "http://doi.org/10.1080/00325481.2015.992719",
            "http://dx.doi.org/10.1080/00325481.2015.992719",
            "doi.org/10.1080/00325481.2015.992719",
            "10.1080%2F00325481.2015.992719",
            "https://doi.org/10.1080%2F00325481.2015.992719",
            "10.1080/00325481.2015.992719.",
            "(10.1080/00325481.2015.992719),",
            "  10.1080/00325481.2015.992719;  ",
        ] {
            assert_eq!(normalize_doi(input), want, "input {input:?}");
        }
        assert_eq!(normalize_doi("10.3174/ajnr.A4173"), s("10.3174/ajnr.a4173"));
        // Balanced parentheses are part of the DOI.
        assert_eq!(
            normalize_doi("10.1016/S0140-6736(20)30183-5"),
            s("10.1016/s0140-6736(20)30183-5")
        );
        assert_eq!(normalize_doi("10.1000/abc(1)"), s("10.1000/abc(1)"));
        for bad in [
            "",
            "doi:",
            "11.1000/x",
            "10.abc/x",
            "10.1000/",
            "10.1000",
            "not a doi",
        ] {
            assert_eq!(normalize_doi(bad), None, "input {bad:?}");
        }
        assert_eq!(normalize_doi("https://example.org/10.1000/x"), None);
    }

    #[test]
    fn url_normalisation() {
        let cases = [
            (
                "http://bmjopensem.bmj.com/content/5/1/e000478",
                "bmjopensem.bmj.com/content/5/1/e000478",
            ),
            (
                "https://bmjopensem.bmj.com/content/5/1/e000478/",
                "bmjopensem.bmj.com/content/5/1/e000478",
            ),
            (
                "https://WWW.AJNR.org/content/36/4/811",
                "ajnr.org/content/36/4/811",
            ),
            ("https://example.org:443/a", "example.org/a"),
            ("http://example.org:80/a", "example.org/a"),
            ("http://example.org:8080/a/", "example.org:8080/a"),
            ("https://example.org/", "example.org"),
            ("https://example.org", "example.org"),
            ("https://example.org/a#section-2", "example.org/a"),
            (
                "https://example.org/a?utm_source=x&id=3&UTM_Medium=y&b=2#frag",
                "example.org/a?id=3&b=2",
            ),
            (
                "https://example.org/a?fbclid=abc&gclid=def",
                "example.org/a",
            ),
            ("https://example.org/a%2fb%7Ec", "example.org/a%2Fb~c"),
            ("https://user:pw@example.org/a", "example.org/a"),
            ("//example.org/a/", "example.org/a"),
            // Normalised keys normalise to themselves.
            (
                "bmjopensem.bmj.com/content/5/1/e000478",
                "bmjopensem.bmj.com/content/5/1/e000478",
            ),
            ("example.org:8080/a", "example.org:8080/a"),
        ];
        for (input, want) in cases {
            assert_eq!(
                normalize_url(input).as_deref(),
                Some(want),
                "input {input:?}"
            );
        }
        assert_eq!(
            normalize_url("http://x.org/p?q=1"),
            normalize_url("https://www.x.org/p/?q=1#top")
        );
        for bad in [
            "mailto:someone@example.org",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://example.org/x",
            "tel:+15551234",
            "/blogs/news/muscle-tension",
            "page.html",
            "#top",
            "",
            "   ",
            "https://",
        ] {
            assert_eq!(normalize_url(bad), None, "input {bad:?}");
        }
    }

    #[test]
    fn link_keys_doi_forms() {
        let doi = |u: &str| link_keys(u).doi;
        assert_eq!(
            doi("https://doi.org/10.3174/ajnr.A4173"),
            s("10.3174/ajnr.a4173")
        );
        assert_eq!(
            doi("http://doi.org/10.3174/ajnr.A4173/"),
            s("10.3174/ajnr.a4173")
        );
        assert_eq!(
            doi("http://dx.doi.org/10.3174/ajnr.A4173"),
            s("10.3174/ajnr.a4173")
        );
        assert_eq!(
            doi("https://doi.org/10.1080%2F00325481.2015.992719"),
            s("10.1080/00325481.2015.992719")
        );
        assert_eq!(
            doi("https://www.acpjournals.org/doi/10.7326/M16-2367"),
            s("10.7326/m16-2367")
        );
        for view in ["abs", "full", "pdf", "epdf"] {
            let u = format!(
                "https://www.tandfonline.com/doi/{view}/10.1080/00325481.2015.992719?scroll=top"
            );
            assert_eq!(doi(&u), s("10.1080/00325481.2015.992719"), "{u}");
        }
        assert_eq!(
            doi("https://example.org/search?doi=10.1000%2Fxyz"),
            s("10.1000/xyz")
        );
        assert_eq!(doi("doi:10.1000/XYZ"), s("10.1000/xyz"));
        assert_eq!(doi("https://www.ajnr.org/content/36/4/811"), None);
        let k = link_keys("https://doi.org/10.3174/ajnr.A4173");
        assert_eq!(k.url.as_deref(), Some("doi.org/10.3174/ajnr.A4173"));
    }

    #[test]
    fn link_keys_pubmed_and_pmc() {
        let pmid = |u: &str| link_keys(u).pmid;
        let pmcid = |u: &str| link_keys(u).pmcid;
        assert_eq!(
            pmid("https://pubmed.ncbi.nlm.nih.gov/25526231/"),
            s("25526231")
        );
        assert_eq!(
            pmid("https://pubmed.ncbi.nlm.nih.gov/25526231"),
            s("25526231")
        );
        assert_eq!(
            pmid("http://pubmed.ncbi.nlm.nih.gov/25526231/?from=x#a"),
            s("25526231")
        );
        assert_eq!(
            pmid("https://www.ncbi.nlm.nih.gov/pubmed/25526231"),
            s("25526231")
        );
        assert_eq!(
            pmid("http://ncbi.nlm.nih.gov/pubmed/25526231/"),
            s("25526231")
        );
        assert_eq!(
            pmid("https://europepmc.org/article/MED/25526231"),
            s("25526231")
        );
        assert_eq!(
            pmid("https://pubmed.ncbi.nlm.nih.gov/?term=back+pain"),
            None
        );
        assert_eq!(pmid("https://pubmed.ncbi.nlm.nih.gov/abc/"), None);
        assert_eq!(pmid("https://example.org/pubmed/25526231"), None);

        assert_eq!(
            pmcid("https://pmc.ncbi.nlm.nih.gov/articles/PMC4926733/"),
            s("PMC4926733")
        );
        assert_eq!(
            pmcid("https://pmc.ncbi.nlm.nih.gov/articles/PMC4926733"),
            s("PMC4926733")
        );
        assert_eq!(
            pmcid("pmc.ncbi.nlm.nih.gov/articles/PMC4926733/"),
            s("PMC4926733")
        );
        assert_eq!(
            pmcid("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4926733/"),
            s("PMC4926733")
        );
        assert_eq!(
            pmcid("https://www.ncbi.nlm.nih.gov/pmc/articles/pmc4926733"),
            s("PMC4926733")
        );
        assert_eq!(
            pmcid("https://europepmc.org/article/PMC/PMC4926733"),
            s("PMC4926733")
        );
        assert_eq!(
            pmcid("https://pmc.ncbi.nlm.nih.gov/articles/4926733/"),
            None
        );

        let none = LinkKeys::default();
        assert_eq!(link_keys("mailto:x@y.org"), none);
        assert_eq!(link_keys("javascript:void(0)"), none);
        assert_eq!(link_keys("/blogs/news"), none);
        assert_eq!(link_keys(""), none);
    }

    // ----- records and loading -----

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

    // ----- matcher -----

    #[test]
    fn matcher_resolves_every_study_link_in_the_guide() {
        let list = seed();
        let m = ReferenceMatcher::new(&list);
        let cases = [
            ("http://bmjopensem.bmj.com/content/5/1/e000478", "lau2019"),
            ("https://bmjopensem.bmj.com/content/5/1/e000478", "lau2019"),
            ("https://pubmed.ncbi.nlm.nih.gov/25526231/", "malanga2015"),
            ("https://doi.org/10.1080/00325481.2015.992719", "malanga2015"),
            (
                "https://osteopathic.org/what-is-osteopathic-medicine/benefits-of-yoga/",
                "aoa-yoga",
            ),
            ("https://doi.org/10.3174/ajnr.A4173", "brinjikji2015"),
            ("https://www.ajnr.org/content/36/4/811", "brinjikji2015"),
            (
                "https://my.clevelandclinic.org/health/diseases/22881-back-spasms/",
                "clevelandclinic2022",
            ),
            (
                "https://my.clevelandclinic.org/health/diseases/22881-back-spasms",
                "clevelandclinic2022",
            ),
            ("https://pmc.ncbi.nlm.nih.gov/articles/PMC4926733/", "allegri2016"),
            (
                "https://www.ninds.nih.gov/health-information/patient-caregiver-education/fact-sheets/low-back-pain-fact-sheet",
                "ninds2020",
            ),
            ("https://www.acpjournals.org/doi/10.7326/M16-2367", "qaseem2017"),
            // Other shapes of the same studies.
            ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4926733", "allegri2016"),
            ("https://pubmed.ncbi.nlm.nih.gov/27408698", "allegri2016"),
            ("https://www.ncbi.nlm.nih.gov/pubmed/28192789/", "qaseem2017"),
            ("https://doi.org/10.7326/m16-2367", "qaseem2017"),
            (
                "https://www.tandfonline.com/doi/full/10.1080/00325481.2015.992719?utm_source=x",
                "malanga2015",
            ),
            ("https://doi.org/10.1136%2Fbmjsem-2018-000478", "lau2019"),
            ("https://my.clevelandclinic.org/health/diseases/22881-back-spasms?utm_medium=email#causes", "clevelandclinic2022"),
        ];
        for (href, id) in cases {
            assert_eq!(m.resolve(href), Some(id), "href {href}");
        }
        for other in [
            "/blogs/news/muscle-tension",
            "/",
            "/policies/privacy-policy",
            "https://neuropasil.com/blogs/news/a-massive-list-of-back-spasm-relief",
            "https://my.clevelandclinic.org/health/diseases/22881",
            "https://pubmed.ncbi.nlm.nih.gov/99999999/",
            "mailto:info@example.org",
        ] {
            assert_eq!(m.resolve(other), None, "href {other}");
        }
    }

    #[test]
    fn matcher_first_reference_wins_on_shared_keys() {
        let text = r#"[{"id": "a", "DOI": "10.1000/X"}, {"id": "b", "DOI": "10.1000/x"}]"#;
        let list = match ReferenceList::parse(text, Path::new("t.json")) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        let m = ReferenceMatcher::new(&list);
        assert_eq!(m.resolve("https://doi.org/10.1000/x"), Some("a"));
    }

    // ----- labels and citations -----

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
    fn apa_journal_articles() {
        let list = seed();
        assert_eq!(
            get(&list, "brinjikji2015").format(CitationStyle::Apa),
            "Brinjikji, W., Luetmer, P. H., Comstock, B., Bresnahan, B. W., Chen, L. E., Deyo, R. A., Halabi, S., Turner, J. A., Avins, A. L., James, K., Wald, J. T., Kallmes, D. F., & Jarvik, J. G. (2015). Systematic literature review of imaging features of spinal degeneration in asymptomatic populations. American Journal of Neuroradiology, 36(4), 811–816. https://doi.org/10.3174/ajnr.A4173"
        );
        assert_eq!(
            get(&list, "malanga2015").format(CitationStyle::default()),
            "Malanga, G. A., Yan, N., & Stark, J. (2015). Mechanisms and efficacy of heat and cold therapies for musculoskeletal injury. Postgraduate Medicine, 127(1), 57–65. https://doi.org/10.1080/00325481.2015.992719"
        );
        assert_eq!(
            get(&list, "allegri2016").format(CitationStyle::Apa),
            "Allegri, M., Montella, S., Salici, F., Valente, A., Marchesini, M., Compagnone, C., Baciarello, M., Manferdini, M. E., & Fanelli, G. (2016). Mechanisms of low back pain: A guide for diagnosis and therapy. F1000Research, 5, 1530. https://doi.org/10.12688/f1000research.8105.1"
        );
        let q = get(&list, "qaseem2017").format(CitationStyle::Apa);
        assert!(
            q.starts_with("Qaseem, A., Wilt, T. J., McLean, R. M., Forciea, M. A., & Clinical Guidelines Committee of the American College of Physicians. (2017). Noninvasive treatments for acute, subacute, and chronic low back pain: A clinical practice guideline from the American College of Physicians."),
            "{q}"
        );
        assert!(
            q.ends_with(
                "Annals of Internal Medicine, 166(7), 514–530. https://doi.org/10.7326/M16-2367"
            ),
            "{q}"
        );
        let lau = get(&list, "lau2019").format(CitationStyle::Apa);
        assert!(
            lau.starts_with("Lau, W. Y., Kato, H., & Nosaka, K. (2019). Water intake"),
            "{lau}"
        );
    }

    #[test]
    fn apa_webpages() {
        let list = seed();
        assert_eq!(
            get(&list, "clevelandclinic2022").format(CitationStyle::Apa),
            "Cleveland Clinic. (2022). Back spasms. Cleveland Clinic Health Library. https://my.clevelandclinic.org/health/diseases/22881-back-spasms"
        );
        assert_eq!(
            get(&list, "ninds2020").format(CitationStyle::Apa),
            "National Institute of Neurological Disorders and Stroke. (2020). Low back pain fact sheet. National Institutes of Health. https://www.ninds.nih.gov/health-information/patient-caregiver-education/fact-sheets/low-back-pain-fact-sheet"
        );
        assert_eq!(
            get(&list, "aoa-yoga").format(CitationStyle::Apa),
            "American Osteopathic Association. (n.d.). The benefits of yoga. https://osteopathic.org/what-is-osteopathic-medicine/benefits-of-yoga/"
        );
    }

    #[test]
    fn vancouver_citations() {
        let list = seed();
        assert_eq!(
            get(&list, "brinjikji2015").format(CitationStyle::Vancouver),
            "Brinjikji W, Luetmer PH, Comstock B, Bresnahan BW, Chen LE, Deyo RA, et al. Systematic Literature Review of Imaging Features of Spinal Degeneration in Asymptomatic Populations. AJNR Am J Neuroradiol. 2015;36(4):811-6. doi:10.3174/ajnr.A4173"
        );
        assert_eq!(
            get(&list, "malanga2015").format(CitationStyle::Vancouver),
            "Malanga GA, Yan N, Stark J. Mechanisms and efficacy of heat and cold therapies for musculoskeletal injury. Postgrad Med. 2015;127(1):57-65. doi:10.1080/00325481.2015.992719"
        );
        assert_eq!(
            get(&list, "allegri2016").format(CitationStyle::Vancouver),
            "Allegri M, Montella S, Salici F, Valente A, Marchesini M, Compagnone C, et al. Mechanisms of low back pain: a guide for diagnosis and therapy. F1000Research. 2016;5:1530. doi:10.12688/f1000research.8105.1"
        );
        let q = get(&list, "qaseem2017").format(CitationStyle::Vancouver);
        assert!(q.contains("Ann Intern Med. 2017;166(7):514-30."), "{q}");
        assert_eq!(
            get(&list, "clevelandclinic2022").format(CitationStyle::Vancouver),
            "Cleveland Clinic. Back Spasms [Internet]. Cleveland Clinic Health Library; 2022. Available from: https://my.clevelandclinic.org/health/diseases/22881-back-spasms"
        );
        assert_eq!(
            get(&list, "aoa-yoga").format(CitationStyle::Vancouver),
            "American Osteopathic Association. The Benefits of Yoga [Internet]. [date unknown]. Available from: https://osteopathic.org/what-is-osteopathic-medicine/benefits-of-yoga/"
        );
    }

    #[test]
    fn sentence_case_rules() {
        assert_eq!(
            sentence_case("Effects of MRI Use: A Review of NSAIDs and Low-Back Pain"),
            "Effects of MRI use: A review of NSAIDs and low-back pain"
        );
        assert_eq!(
            sentence_case("mechanisms of pain in Italy: a review"),
            "Mechanisms of pain in Italy: A review"
        );
        assert_eq!(
            sentence_case("Vitamin D and the McLean Scale"),
            "Vitamin D and the McLean scale"
        );
        assert_eq!(sentence_case(""), "");
    }

    #[test]
    fn page_helpers() {
        assert_eq!(vancouver_pages("811-816"), "811-6");
        assert_eq!(vancouver_pages("514-530"), "514-30");
        assert_eq!(vancouver_pages("57-65"), "57-65");
        assert_eq!(vancouver_pages("100-100"), "100-0");
        assert_eq!(vancouver_pages("e000478"), "e000478");
        assert_eq!(vancouver_pages("1530–1540"), "1530-40");
        assert_eq!(en_dash("811-816"), "811–816");
        assert_eq!(initials("Jean-Paul", true), "J.-P.");
        assert_eq!(initials("Jean-Paul", false), "JP");
        assert_eq!(initials("P.H.", true), "P. H.");
    }

    // ----- exports -----

    #[test]
    fn csl_json_round_trip() {
        let list = seed();
        let export = list.to_csl_json(&[]);
        let again = match ReferenceList::parse(&export, Path::new("export.json")) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(again.refs.len(), list.refs.len());
        for (a, b) in list.refs.iter().zip(&again.refs) {
            assert_eq!(a.csl, b.csl);
            assert_eq!(a.id, b.id);
        }
        let subset = list.to_csl_json(&["lau2019".to_string(), "nope".to_string()]);
        let sub = match ReferenceList::parse(&subset, Path::new("sub.json")) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(sub.refs.len(), 1);
        assert_eq!(sub.refs[0].csl, get(&list, "lau2019").csl);
    }

    #[test]
    fn bibtex_web_pages_are_misc_with_url_and_access_date() {
        let text = r#"[{"id": "site", "type": "webpage", "title": "Back 100%",
            "author": [{"literal": "A & B"}], "container-title": "Health Library",
            "publisher": "Clinic", "URL": "https://example.org/a_b?x={y}",
            "accessed": {"date-parts": [[2024, 5, 1]]}, "note": "Seen."},
            {"id": "raw", "type": "post", "title": "T", "URL": "https://e.org/",
            "accessed": {"raw": "last spring"}}]"#;
        let list = ReferenceList::parse(text, Path::new("r.json")).unwrap();
        let bib = list.to_bibtex(&[]);
        assert!(bib.starts_with("@misc{site,\n"), "{bib}");
        assert!(
            bib.contains("  howpublished = {\\url{https://example.org/a_b?x=%7By%7D}},\n"),
            "{bib}"
        );
        assert!(
            bib.contains("  note = {Health Library. Clinic. Accessed 2024-05-01. Seen.},\n"),
            "{bib}"
        );
        assert!(!bib.contains("  url = "), "{bib}");
        assert!(!bib.contains("publisher"), "{bib}");
        assert!(bib.contains("  title = {{Back 100\\%}},"), "{bib}");
        assert!(bib.contains("@misc{raw,\n"), "{bib}");
        assert!(bib.contains("  note = {Accessed last spring.},\n"), "{bib}");
    }

    #[test]
    fn bibtex_export() {
        let list = seed();
        let bib = list.to_bibtex(&["brinjikji2015".to_string()]);
        assert!(bib.starts_with("@article{brinjikji2015,\n"), "{bib}");
        assert!(
            bib.contains("  author = {Brinjikji, W. and Luetmer, P. H. and "),
            "{bib}"
        );
        assert!(
            bib.contains("  title = {{Systematic Literature Review of Imaging Features"),
            "{bib}"
        );
        assert!(
            bib.contains("  journal = {American Journal of Neuroradiology},\n"),
            "{bib}"
        );
        assert!(bib.contains("  year = {2015},\n"), "{bib}");
        assert!(bib.contains("  volume = {36},\n  number = {4},\n"), "{bib}");
        assert!(bib.contains("  pages = {811--816},\n"), "{bib}");
        assert!(bib.contains("  doi = {10.3174/ajnr.A4173},\n"), "{bib}");
        assert!(bib.trim_end().ends_with('}'));

        let all = list.to_bibtex(&[]);
        assert_eq!(all.matches("\n@").count() + 1, 8);
        assert!(all.contains("@misc{clevelandclinic2022,"), "{all}");
        assert!(!all.contains("@online"), "{all}");
        assert!(
            all.contains(
                "  howpublished = {\\url{https://my.clevelandclinic.org/health/diseases/22881-back-spasms}},\n"
            ),
            "{all}"
        );
        assert!(
            all.contains("  note = {Cleveland Clinic Health Library.},\n"),
            "{all}"
        );
        assert!(all.contains("  author = {{Cleveland Clinic}},"), "{all}");
        assert!(
            all.contains("  journal = {BMJ Open Sport \\& Exercise Medicine},"),
            "{all}"
        );
        assert!(all.contains("@misc{aoa-yoga,"), "{all}");
        assert!(all.contains("guide's References section.},"), "{all}");

        assert_eq!(bibtex_escape("{}&%$#_"), "\\{\\}\\&\\%\\$\\#\\_");
        assert_eq!(
            bibtex_escape("a\\b~c^d"),
            "a\\textbackslash{}b\\textasciitilde{}c\\textasciicircum{}d"
        );
        assert_eq!(bibtex_key("a b,c"), "a_b_c");
    }

    #[test]
    fn ris_export() {
        let list = seed();
        let ris = list.to_ris(&["brinjikji2015".to_string()]);
        let lines: Vec<&str> = ris.lines().collect();
        assert_eq!(lines.first(), Some(&"TY  - JOUR"));
        assert_eq!(lines.last(), Some(&"ER  - "));
        for want in [
            "AU  - Brinjikji, W.",
            "AU  - Jarvik, J. G.",
            "TI  - Systematic Literature Review of Imaging Features of Spinal Degeneration in Asymptomatic Populations",
            "T2  - American Journal of Neuroradiology",
            "JO  - AJNR Am J Neuroradiol",
            "PY  - 2015",
            "VL  - 36",
            "IS  - 4",
            "SP  - 811",
            "EP  - 816",
            "DO  - 10.3174/ajnr.A4173",
            "UR  - https://www.ajnr.org/content/36/4/811",
        ] {
            assert!(lines.contains(&want), "missing {want:?} in\n{ris}");
        }
        assert_eq!(lines.iter().filter(|l| l.starts_with("AU  - ")).count(), 13);
        let web = list.to_ris(&["clevelandclinic2022".to_string()]);
        assert!(
            web.starts_with("TY  - ELEC\nAU  - Cleveland Clinic\n"),
            "{web}"
        );
        assert!(!web.contains("SP  - "));
        let all = list.to_ris(&[]);
        assert_eq!(all.matches("ER  - ").count(), 8);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for junk in [
            "",
            "%",
            "%%",
            "%zz",
            "10.",
            "10./",
            "doi:%E0%A4%A",
            "https://doi.org/",
            "http://[::1]/x",
            "https://xn--nxasmq6b.com/%",
            "https://a.b/doi/",
            "https://a.b/doi/abs/",
            "é/ü",
            "\u{0}",
        ] {
            let _ = normalize_doi(junk);
            let _ = normalize_url(junk);
            let _ = link_keys(junk);
        }
        let r = Reference::from_csl(
            serde_json::json!({"id": "x", "issued": {"date-parts": [[]]}, "page": "-"}),
        );
        let r = match r {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        let _ = r.format(CitationStyle::Apa);
        let _ = r.format(CitationStyle::Vancouver);
        let _ = r.short_label();
    }

    #[test]
    fn apa_survives_case_mapping_that_changes_lengths() {
        // `İ` lower-cases to two characters and `ẞ` to a shorter one: offsets taken from a
        // lower-cased title once fell inside a character here and panicked.
        let r = Reference::from_csl(serde_json::json!({
            "id": "x", "type": "article-journal", "title": "İ American Collegeé ẞ",
            "container-title": "American College"
        }))
        .unwrap();
        let apa = r.format(CitationStyle::Apa);
        assert!(apa.contains("American College"), "{apa}");
        assert!(apa.starts_with("İ American Collegeé ẞ"), "{apa}");
        assert_eq!(
            restore_names("the american college of x", &["American College".into()]),
            "the American College of x"
        );
        assert_eq!(restore_names("ﬁ café", &["Café".into()]), "ﬁ Café");
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
