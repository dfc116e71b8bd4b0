//! Search: query understanding (natural language, quoted phrases, `+must`, `-exclude`,
//! "a vs b" comparisons), DFR (In_expB2) ranking over passages with field boosts, re-ranking, and
//! highlighted snippets → [`Hit`]s.
//!
//! Data flows one way, from the bottom of this list up:
//! * [`query`] parses what was typed; [`words`] analyses text as the index does;
//!   [`synonyms`] reads the corpus's synonym file; [`lexicon`] groups a segment's terms for
//!   typo correction; [`stored`] decodes a stored passage; [`dfr`] holds the model's formulas;
//! * [`caches`] is what an opened index remembers between queries ([`SearchCaches`]),
//!   among them [`frequencies`], its fields' collection frequencies;
//! * [`plan`] is the query in the scorer's form, which [`build`] makes from a [`request`],
//!   weighing [`question`] words less, [`expand`]ing synonyms and [`correct`]ing typos (whose
//!   dictionary `lookup`s the scorer reuses), and [`understand`] reports;
//! * [`score`] ranks passages by words; [`hybrid`] fuses that with meaning;
//! * [`hits`] reads the ranked passages with their [`snippet`]s; this module runs it all.

pub mod build;
pub mod caches;
pub mod correct;
pub mod coverage;
pub mod dfr;
pub mod error;
pub mod expand;
pub mod frequencies;
pub mod hits;
pub mod hybrid;
pub mod lexicon;
mod lookup;
pub mod plan;
pub mod query;
pub mod question;
pub mod request;
pub mod score;
mod scratch;
pub mod snippet;
pub mod stored;
pub mod synonyms;
#[cfg(test)]
mod test_index;
pub mod understand;
pub mod words;

use tantivy::{DocAddress, Searcher};

pub use build::build_query;
pub use caches::{DocBits, ReferenceBits, SearchCaches};
pub use dfr::DFR_C;
pub use error::QueryError;
pub use hits::{ranked_candidates, Hit};
pub use plan::BuiltQuery;
pub use query::{cut_query_note, parse_query, Clause, Occurrence, ParsedQuery};
pub use request::SearchRequest;
pub use score::ranked_addresses;
pub use snippet::{make_snippet, truncate_chars, SNIPPET_CHARS};
pub use stored::{stored_passage, StoredPassageError};
pub use understand::{Correction, Expansion, Understanding};
pub use words::{analyze, query_words};

use crate::index::OpenIndex;
use hits::{highlighted, read_passages};
use hybrid::{RankMode, SemanticQuery};
use synonyms::Synonyms;

/// Hits and what was made of the query.
#[derive(Debug, Clone)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    pub understood: Understanding,
    /// How the hits were ranked (lexical when the index has no vectors of the query's model).
    pub mode: RankMode,
}

/// Run a search and return ranked, highlighted hits, and what was made of the query.
pub fn search(
    index: &OpenIndex,
    req: &SearchRequest,
    synonyms: &Synonyms,
) -> Result<SearchResults, QueryError> {
    let searcher = index.reader.searcher();
    let built = build_query(&searcher, &index.fields, req, synonyms, &index.caches)?;
    let limit = req.limit.max(1);
    let (mode, ranked) = ranked_by_mode(index, &searcher, &built, req, limit)?;
    let (hits, understood) = answer(index, &searcher, built, &req.query, &ranked, 1)?;
    Ok(SearchResults {
        hits,
        understood,
        mode,
    })
}

/// The best `limit` passages in the request's mode, and the mode used: lexical without a
/// semantic query, or when the index has no vectors of its model.
fn ranked_by_mode(
    index: &OpenIndex,
    searcher: &Searcher,
    built: &BuiltQuery,
    req: &SearchRequest,
    limit: usize,
) -> Result<(RankMode, Vec<(f32, DocAddress)>), QueryError> {
    match SemanticQuery::resolve(req.semantic.as_ref(), index.vectors.as_ref()) {
        (mode, Some(semantic)) => {
            let ranked = hybrid::rank(searcher, &index.fields, built, mode, Some(semantic), limit)?;
            Ok((
                mode,
                ranked.into_iter().map(|r| (r.score, r.addr)).collect(),
            ))
        }
        (mode, None) => Ok((
            mode,
            ranked_addresses(searcher, &index.fields, built, limit)?,
        )),
    }
}

/// A page of hits and how many passages match in all.
#[derive(Debug, Clone)]
pub struct Page {
    /// Ranks `offset + 1` on, at most `limit`.
    pub hits: Vec<Hit>,
    /// Passages matching the query and its filters.
    pub total: usize,
    /// What was made of the query (corrections, expansions), as [`search`] reports it.
    pub understood: Understanding,
    /// How the hits were ranked.
    pub mode: RankMode,
}

/// [`search`] from the `offset`-th hit on, with the number of matching passages.
///
/// Every matching passage is ranked (the count must be exact), but only the page's stored
/// passages are read and highlighted.
pub fn search_page(
    index: &OpenIndex,
    req: &SearchRequest,
    offset: usize,
    synonyms: &Synonyms,
) -> Result<Page, QueryError> {
    let searcher = index.reader.searcher();
    let built = build_query(&searcher, &index.fields, req, synonyms, &index.caches)?;
    let all = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
    let (mode, ranked) = ranked_by_mode(index, &searcher, &built, req, all)?;
    let total = ranked.len();
    let window: Vec<(f32, DocAddress)> = ranked
        .into_iter()
        .skip(offset)
        .take(req.limit.max(1))
        .collect();
    let (hits, understood) = answer(index, &searcher, built, &req.query, &window, offset + 1)?;
    Ok(Page {
        hits,
        total,
        understood,
        mode,
    })
}

/// The hits at `ranked` (read, highlighted, numbered from `first_rank`) and what was made of
/// `query`, as [`search`] and [`search_page`] report them.
fn answer(
    index: &OpenIndex,
    searcher: &Searcher,
    built: BuiltQuery,
    query: &str,
    ranked: &[(f32, DocAddress)],
    first_rank: usize,
) -> Result<(Vec<Hit>, Understanding), QueryError> {
    let candidates = read_passages(searcher, &index.fields, ranked)?;
    let hits = highlighted(&index.fields, searcher, &built, candidates, first_rank)?;
    let understood = understand::reported(
        searcher,
        &index.fields,
        &index.caches,
        query,
        built.understood,
    )?;
    Ok((hits, understood))
}
