//! Citation linking: resolves each passage's links to references (by DOI, PubMed id, PMC id or
//! normalised URL) and gives every passage the citations that back it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::extract::Link;
use crate::passage::{Kind, Passage};
use crate::references::{ReferenceList, ReferenceMatcher};

/// How a citation reaches a passage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The passage itself links to the reference (or is the reference's own text).
    Passage,
    /// Another passage of the same section links to it; this passage has no link of its own.
    Section,
}

/// A citation as shown with a hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    pub id: String,
    pub label: String,
    pub url: Option<String>,
    pub doi: Option<String>,
    pub scope: Scope,
}

/// What a link points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkClass {
    /// A reference in references.json.
    Reference(String),
    /// Another page of the same site: further reading, not evidence.
    Related,
    /// An external page missing from references.json: cited, but unlisted.
    Unlisted,
    /// Not a web link (mailto:, tel:, javascript:, …).
    Other,
}

/// A passage with its citations and classified links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitedPassage {
    #[serde(flatten)]
    pub passage: Passage,
    pub citations: Vec<Citation>,
    /// External links that cite a source missing from references.json.
    #[serde(default)]
    pub unlisted: Vec<Link>,
}

impl CitedPassage {
    /// Ids of the references this passage cites directly.
    pub fn direct_ids(&self) -> impl Iterator<Item = &str> {
        self.citations
            .iter()
            .filter(|c| c.scope == Scope::Passage)
            .map(|c| c.id.as_str())
    }
}

/// Classify one link. `site` is the host of the document's own URL.
pub fn classify(link: &Link, matcher: &ReferenceMatcher, site: Option<&str>) -> LinkClass {
    let Some(url) = link.url.as_deref() else {
        return LinkClass::Other;
    };
    if let Some(id) = matcher.resolve(url) {
        return LinkClass::Reference(id.to_string());
    }
    let Ok(parsed) = Url::parse(url) else {
        return LinkClass::Other;
    };
    match parsed.scheme() {
        "http" | "https" => {}
        "file" => return LinkClass::Related,
        _ => return LinkClass::Other,
    }
    let host = parsed.host_str().map(strip_www);
    match (host, site.map(strip_www)) {
        (Some(h), Some(s)) if h.eq_ignore_ascii_case(s) => LinkClass::Related,
        _ => LinkClass::Unlisted,
    }
}

fn strip_www(h: &str) -> &str {
    h.strip_prefix("www.").unwrap_or(h)
}

/// Give each passage its citations.
///
/// A guide passage cites the references it links to; a passage with no citation of its own
/// inherits those of its section (scope `section`), so a hit on "ice or heat" still shows the
/// study its section relies on. A reference's own passages cite that reference.
pub fn link_passages(passages: Vec<Passage>, refs: &ReferenceList) -> Vec<CitedPassage> {
    let matcher = ReferenceMatcher::new(refs);
    let citation = |id: &str, scope: Scope| -> Citation {
        match refs.get(id) {
            Some(r) => Citation {
                id: r.id.clone(),
                label: r.short_label(),
                url: r.url.clone().or_else(|| r.link()),
                doi: r.display_doi(),
                scope,
            },
            None => Citation {
                id: id.to_string(),
                label: id.to_string(),
                url: None,
                doi: None,
                scope,
            },
        }
    };

    let mut out: Vec<CitedPassage> = Vec::with_capacity(passages.len());
    // (doc, section path) -> references cited directly in that section, in first-seen order.
    let mut by_section: BTreeMap<(String, Vec<String>), Vec<String>> = BTreeMap::new();
    for p in passages {
        let mut ids: Vec<String> = Vec::new();
        let mut unlisted = Vec::new();
        if p.kind == Kind::Reference {
            ids.push(p.doc.clone());
        }
        let site = p
            .url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_string));
        for link in &p.links {
            match classify(link, &matcher, site.as_deref()) {
                LinkClass::Reference(id) if !ids.contains(&id) => ids.push(id),
                LinkClass::Unlisted if p.kind == Kind::Guide => unlisted.push(link.clone()),
                _ => {}
            }
        }
        if p.kind == Kind::Guide {
            let entry = by_section
                .entry((p.doc.clone(), p.section.clone()))
                .or_default();
            for id in &ids {
                if !entry.contains(id) {
                    entry.push(id.clone());
                }
            }
        }
        let citations = ids.iter().map(|id| citation(id, Scope::Passage)).collect();
        out.push(CitedPassage {
            passage: p,
            citations,
            unlisted,
        });
    }
    for cp in &mut out {
        if cp.passage.kind != Kind::Guide || !cp.citations.is_empty() {
            continue;
        }
        let key = (cp.passage.doc.clone(), cp.passage.section.clone());
        if let Some(ids) = by_section.get(&key) {
            cp.citations = ids.iter().map(|id| citation(id, Scope::Section)).collect();
        }
    }
    out
}
