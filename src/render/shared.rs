//! Output types and conversions several commands share: where a passage comes from, a
//! citation, a reference's link, a rounded score.

use std::path::Path;

use serde::Serialize;

use crate::link::{Citation, CitedPassage, Scope};
use crate::references::Reference;

/// Where a passage comes from.
#[derive(Debug, Serialize)]
pub struct SourceOut {
    pub path: String,
    pub line: usize,
    pub url: Option<String>,
}

impl SourceOut {
    /// The source of `p`, its path under the corpus directory as the user named it.
    pub(super) fn of(p: &CitedPassage, corpus: &Path) -> SourceOut {
        SourceOut {
            path: display_path(corpus, &p.passage.path),
            line: p.passage.line,
            url: p.passage.url.clone(),
        }
    }
}

/// A citation as printed.
#[derive(Debug, Serialize)]
pub struct CitationOut {
    pub id: String,
    pub label: String,
    pub url: Option<String>,
    pub doi: Option<String>,
    /// `passage` when the passage links to it, `section` when its section does.
    pub scope: Scope,
}

impl From<&Citation> for CitationOut {
    fn from(c: &Citation) -> CitationOut {
        CitationOut {
            id: c.id.clone(),
            label: c.label.clone(),
            url: c.url.clone(),
            doi: c.doi.clone(),
            scope: c.scope,
        }
    }
}

/// A corpus-relative path joined to the corpus directory as the user named it.
pub fn display_path(corpus: &Path, rel: &str) -> String {
    let joined = corpus.join(rel);
    let s = joined.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// A reference's page: its URL, else the link its DOI, PMID or PMCID gives.
pub(super) fn reference_url(r: &Reference) -> Option<String> {
    r.url.clone().or_else(|| r.link())
}

/// A score to three decimals, as the JSON contract gives it.
pub(super) fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_path_joins_corpus_dir() {
        assert_eq!(
            display_path(Path::new("corpus"), "guide/a.html"),
            "corpus/guide/a.html"
        );
        assert_eq!(
            display_path(Path::new("./corpus"), "guide/a.html"),
            "corpus/guide/a.html"
        );
    }
}
