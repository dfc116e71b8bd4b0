//! `citeseek serve`'s API answers that the CLI has no command for: a page of search hits with
//! their segments, one passage, the server's health, and the error body.

use std::path::Path;

use serde::Serialize;

use super::search::{segments, SearchOut};
use super::shared::{CitationOut, SourceOut};
use crate::link::CitedPassage;

/// `GET /api/v1/search`: the object of `search --json`, with every hit's `segments`, the
/// number of matching passages and the time the search took.
#[derive(Debug, Serialize)]
pub struct ApiSearchOut {
    #[serde(flatten)]
    pub search: SearchOut,
    /// Passages matching the query and filters, of which `hits` is the page from `offset`.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub took_ms: f64,
}

impl ApiSearchOut {
    pub fn new(search: SearchOut, total: usize, offset: usize, limit: usize) -> ApiSearchOut {
        let mut search = search;
        for hit in &mut search.hits {
            hit.segments = Some(segments(&hit.snippet, &hit.highlights));
        }
        ApiSearchOut {
            search,
            total,
            offset,
            limit,
            took_ms: 0.0,
        }
    }
}

/// `GET /api/v1/passages/{id}`: one stored passage with its citations.
#[derive(Debug, Serialize)]
pub struct PassageOut {
    pub passage_id: String,
    pub kind: &'static str,
    pub doc: String,
    pub title: String,
    pub section: Vec<String>,
    pub text: String,
    pub source: SourceOut,
    pub citations: Vec<CitationOut>,
}

impl PassageOut {
    pub fn new(p: &CitedPassage, corpus: &Path) -> PassageOut {
        PassageOut {
            passage_id: p.passage.id.clone(),
            kind: p.passage.kind.as_str(),
            doc: p.passage.doc.clone(),
            title: p.passage.title.clone(),
            section: p.passage.section.clone(),
            text: p.passage.text.clone(),
            source: SourceOut::of(p, corpus),
            citations: p.citations.iter().map(CitationOut::from).collect(),
        }
    }
}

/// `GET /api/v1/health`: the generation being served and what it holds.
#[derive(Debug, Serialize)]
pub struct HealthOut {
    pub status: &'static str,
    pub version: &'static str,
    pub generation: String,
    pub passages: u64,
    pub references: usize,
}

/// The body of an API error: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize)]
pub struct ApiErrorBody {
    pub code: String,
    pub message: String,
}

/// An API error response.
#[derive(Debug, Serialize)]
pub struct ApiErrorOut {
    pub error: ApiErrorBody,
}
