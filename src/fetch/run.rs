//! The `fetch` and `add` commands as library calls: fetch a corpus's references into
//! snapshots (with the validator cache and metadata comparison), or add one new reference.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::apply::{self, ApplyError, MetaComparison};
use super::{
    build_client, content_negotiate_doi, csl_from_meta, fetch_all, fetch_page, generate_id,
    is_usable, parse_meta, write_snapshot, FetchCache, FetchConfig, FetchError, FetchResult,
    Outcome, PageMeta, SnapshotDecision,
};
use crate::config::{AddOptions, FetchOptions};
use crate::references::{
    names_doi, normalize_doi, CitationStyle, Reference, ReferenceError, ReferenceList,
    ReferenceMatcher,
};

/// File in `references/` that keeps ETag / Last-Modified per URL.
pub const CACHE_FILE: &str = ".fetch-cache.json";

/// Errors of `fetch` and `add`.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    References(#[from] ReferenceError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("corpus directory {} not found: pass --corpus DIR or set CITESEEK_CORPUS", .0.display())]
    NoCorpus(PathBuf),
    #[error("{0:?} is neither a URL (https://…) nor a DOI (10.xxxx/…): give the study's landing page or its DOI")]
    NotUrlOrDoi(String),
    #[error("`add` needs the network to read the study's page; run it without --offline")]
    Offline,
    #[error("an id {0:?} already exists in references.json: choose another with --id")]
    IdTaken(String),
    #[error("neither the page nor DOI content negotiation gave a title for {0}: add the record to references.json by hand")]
    NoMetadata(String),
}

/// One reference's fetch, with what its page says about the record.
#[derive(Debug, Clone)]
pub struct FetchRow {
    pub id: String,
    pub url: Option<String>,
    pub outcome: Outcome,
    pub comparison: Option<MetaComparison>,
    /// Fields written into references.json (with `--update-metadata`).
    pub updated: Vec<String>,
}

/// The result of `citeseek fetch`.
#[derive(Debug, Clone)]
pub struct FetchRun {
    pub rows: Vec<FetchRow>,
    /// The network looked down; the rest was skipped.
    pub offline_fallback: bool,
}

impl FetchRun {
    pub fn failed(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed { .. }))
            .count()
    }
}

/// Build the fetcher's configuration from the command's options.
pub fn config(opts: &FetchOptions, progress: bool) -> FetchConfig {
    FetchConfig {
        connect_timeout: opts.connect_timeout,
        total_timeout: opts.timeout,
        max_body: opts.max_size,
        offline: opts.offline,
        force: opts.force,
        progress,
        doi_resolver: opts.doi_resolver.clone(),
        ..FetchConfig::default()
    }
}

/// Fetch the references of the corpus at `corpus_dir` (all, or `opts.ids`).
pub fn fetch_corpus(
    corpus_dir: &Path,
    opts: &FetchOptions,
    progress: bool,
) -> Result<FetchRun, RunError> {
    if !corpus_dir.is_dir() {
        return Err(RunError::NoCorpus(corpus_dir.to_path_buf()));
    }
    let refs_path = corpus_dir.join("references.json");
    if !refs_path.is_file() {
        return Err(ApplyError::NoReferenceFile(refs_path).into());
    }
    let refs = ReferenceList::load(&refs_path)?;
    let (targets, nothing) = apply::plan(&refs, &opts.ids, &refs_path)?;
    let snapshots = corpus_dir.join("references");
    if !opts.offline {
        std::fs::create_dir_all(&snapshots).map_err(|source| ApplyError::Io {
            path: snapshots.clone(),
            source,
        })?;
    }
    let cache_path = snapshots.join(CACHE_FILE);
    let mut cache = FetchCache::load(&cache_path);
    let cfg = config(opts, progress);
    let report = fetch_all(&targets, &snapshots, &mut cache, &cfg);
    let answered = report
        .rows
        .iter()
        .any(|(_, o)| matches!(o, Outcome::Fetched { .. } | Outcome::Unchanged));
    if answered {
        cache.save(&cache_path).map_err(|source| ApplyError::Io {
            path: cache_path.clone(),
            source,
        })?;
    }

    let mut rows = Vec::new();
    let mut updates: Vec<(String, Value)> = Vec::new();
    for (id, outcome) in report.rows {
        // With the network down, the fetches already under way failed for the same reason:
        // they are offline skips too, reported once, not one error per reference.
        let outcome = match outcome {
            Outcome::Failed { error } if report.offline_fallback && error.is_network_down() => {
                Outcome::Skipped {
                    reason: "offline".into(),
                }
            }
            other => other,
        };
        let record = refs.get(&id);
        let comparison = match (&outcome, record) {
            (Outcome::Fetched { meta, .. }, Some(r)) => {
                if opts.update_metadata {
                    updates.push((id.clone(), csl_from_meta(meta, &id)));
                }
                Some(apply::compare(r, meta))
            }
            _ => None,
        };
        let url = targets.iter().find(|t| t.id == id).map(|t| t.url.clone());
        rows.push(FetchRow {
            id,
            url,
            outcome,
            comparison,
            updated: Vec::new(),
        });
    }
    for id in nothing {
        rows.push(FetchRow {
            id,
            url: None,
            outcome: Outcome::Skipped {
                reason: "no URL or DOI in references.json".into(),
            },
            comparison: None,
            updated: Vec::new(),
        });
    }
    if !updates.is_empty() {
        for (id, fields) in apply::update_metadata(&refs_path, &updates)? {
            if let Some(row) = rows.iter_mut().find(|r| r.id == id) {
                row.updated = fields;
            }
        }
    }
    Ok(FetchRun {
        rows,
        offline_fallback: report.offline_fallback,
    })
}

/// A reference added by `citeseek add`.
#[derive(Debug, Clone)]
pub struct Added {
    pub id: String,
    pub record: Value,
    /// APA citation of the new record.
    pub citation: String,
    pub snapshot: Option<(PathBuf, SnapshotDecision)>,
    /// Where the metadata came from: "page" or "doi".
    pub source: &'static str,
}

/// What the user gave `add`.
enum Input {
    Doi(String),
    Url(String),
}

fn classify_input(input: &str) -> Option<Input> {
    let t = input.trim();
    if names_doi(t) {
        // The lower-cased key: `add` asks the resolver for `https://doi.org/<key>`.
        return normalize_doi(t).map(Input::Doi);
    }
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return url::Url::parse(t).ok().map(|u| Input::Url(u.to_string()));
    }
    None
}

/// Add one reference: fetch its page (or negotiate CSL-JSON for a DOI), append the record to
/// references.json and save the snapshot.
pub fn add_reference(corpus_dir: &Path, opts: &AddOptions) -> Result<Added, RunError> {
    if !corpus_dir.is_dir() {
        return Err(RunError::NoCorpus(corpus_dir.to_path_buf()));
    }
    let input =
        classify_input(&opts.input).ok_or_else(|| RunError::NotUrlOrDoi(opts.input.clone()))?;
    if opts.fetch.offline {
        return Err(RunError::Offline);
    }
    let refs_path = corpus_dir.join("references.json");
    let refs = if refs_path.is_file() {
        ReferenceList::load(&refs_path)?
    } else {
        ReferenceList::default()
    };
    let (url, doi) = match &input {
        Input::Doi(d) => (format!("https://doi.org/{d}"), Some(d.clone())),
        Input::Url(u) => (u.clone(), None),
    };
    let matcher = ReferenceMatcher::new(&refs);
    if let Some(id) = matcher.resolve(&url) {
        return Err(ApplyError::Duplicate {
            input: opts.input.clone(),
            id: id.to_string(),
        }
        .into());
    }
    if let Some(id) = &opts.id {
        if !apply::valid_id(id) {
            return Err(ApplyError::InvalidId(id.clone()).into());
        }
        if refs.get(id).is_some() {
            return Err(RunError::IdTaken(id.clone()));
        }
    }

    let cfg = config(&opts.fetch, false);
    let client = build_client(&cfg)?;
    let page = match fetch_page(&client, &url, None, &cfg) {
        Ok(FetchResult::Fetched(page)) => Some(page),
        Ok(FetchResult::NotModified) => None,
        Err(e) if doi.is_none() => return Err(e.into()),
        Err(_) => None,
    };
    let meta = page.as_ref().map(|p| parse_meta(&p.html));
    let existing = apply::existing_ids(&refs);
    let page_meta = meta.as_ref().filter(|m| m.title.is_some());

    let (mut record, source, id_meta) = match page_meta {
        Some(m) => (csl_from_meta(m, ""), "page", m.clone()),
        None => {
            let Some(d) = &doi else {
                return Err(RunError::NoMetadata(url));
            };
            let record = content_negotiate_doi(&client, d, &cfg)?;
            let m = meta_from_csl(&record);
            if m.title.is_none() {
                return Err(RunError::NoMetadata(url));
            }
            (record, "doi", m)
        }
    };
    let id = opts
        .id
        .clone()
        .unwrap_or_else(|| generate_id(&id_meta, &existing));
    if let Some(obj) = record.as_object_mut() {
        // The id goes first, as in the rest of the file.
        let mut ordered = serde_json::Map::new();
        ordered.insert("id".into(), Value::String(id.clone()));
        for (k, v) in obj.iter() {
            if k != "id" {
                ordered.insert(k.clone(), v.clone());
            }
        }
        if !ordered.contains_key("URL") && doi.is_none() {
            ordered.insert("URL".into(), Value::String(url.clone()));
        }
        *obj = ordered;
    }
    let reference = Reference::from_csl(record.clone()).map_err(|e| ReferenceError::Invalid {
        path: refs_path.clone(),
        index: refs.refs.len(),
        message: e.to_string(),
    })?;
    // The page may name the study by a DOI or URL already in the list.
    let known = reference
        .display_doi()
        .map(|d| format!("https://doi.org/{d}"))
        .into_iter()
        .chain(reference.url.clone())
        .chain(
            reference
                .pmid
                .as_ref()
                .map(|p| format!("https://pubmed.ncbi.nlm.nih.gov/{p}/")),
        )
        .find_map(|u| matcher.resolve(&u).map(str::to_string));
    if let Some(existing) = known {
        return Err(ApplyError::Duplicate {
            input: opts.input.clone(),
            id: existing,
        }
        .into());
    }

    let mut snapshot = None;
    if let (Some(p), Some(m)) = (&page, &meta) {
        if is_usable(m) {
            let snapshots = corpus_dir.join("references");
            std::fs::create_dir_all(&snapshots).map_err(|source| ApplyError::Io {
                path: snapshots.clone(),
                source,
            })?;
            let path = snapshots.join(format!("{id}.html"));
            let decision = write_snapshot(&path, p, false).map_err(|source| ApplyError::Io {
                path: path.clone(),
                source,
            })?;
            snapshot = Some((path, decision));
        }
    }
    apply::append_record(&refs_path, record.clone())?;
    Ok(Added {
        id,
        citation: reference.format(CitationStyle::Apa),
        record,
        snapshot,
        source,
    })
}

/// The parts of a CSL record that id generation needs.
fn meta_from_csl(record: &Value) -> PageMeta {
    let text = |k: &str| record.get(k).and_then(Value::as_str).map(str::to_string);
    let authors = record
        .get("author")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|n| {
                    let family = n.get("family").and_then(Value::as_str);
                    let given = n.get("given").and_then(Value::as_str);
                    let literal = n.get("literal").and_then(Value::as_str);
                    match (family, given, literal) {
                        (Some(f), Some(g), _) => Some(format!("{f}, {g}")),
                        (Some(f), None, _) => Some(f.to_string()),
                        (None, _, Some(l)) => Some(l.to_string()),
                        _ => None,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let year = ["issued", "published-print", "published-online"]
        .iter()
        .find_map(|k| record.get(*k)?.get("date-parts")?.get(0)?.get(0)?.as_i64())
        .and_then(|y| i32::try_from(y).ok());
    PageMeta {
        title: text("title"),
        authors,
        year,
        doi: text("DOI"),
        ..PageMeta::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_a_doi_or_a_url() {
        assert!(
            matches!(classify_input("10.1080/00325481.2015.992719"), Some(Input::Doi(d)) if d == "10.1080/00325481.2015.992719")
        );
        assert!(matches!(
            classify_input("https://doi.org/10.1/ABC"),
            Some(Input::Doi(_))
        ));
        assert!(matches!(classify_input("doi:10.1/x"), Some(Input::Doi(_))));
        assert!(matches!(
            classify_input("https://example.org/study"),
            Some(Input::Url(_))
        ));
        assert!(classify_input("file:///etc/passwd").is_none());
        assert!(classify_input("not a thing").is_none());
    }

    #[test]
    fn meta_from_negotiated_csl() {
        let m = meta_from_csl(
            &serde_json::json!({"title": "T", "author": [{"family": "Smith", "given": "J"}], "issued": {"date-parts": [[2020, 2]]}}),
        );
        assert_eq!(m.authors, ["Smith, J"]);
        assert_eq!(m.year, Some(2020));
        assert_eq!(generate_id(&m, &Default::default()), "smith2020");
    }
}
