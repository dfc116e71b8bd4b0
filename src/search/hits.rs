//! Hits: ranked addresses turned into passages read from the index (one decoding each), with
//! their snippets and ranks.

use rayon::prelude::*;
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Searcher};

use super::plan::BuiltQuery;
use super::score::{ranked_addresses, PARALLEL_MIN_PASSAGES};
use super::snippet::{make_snippet, SNIPPET_CHARS};
use super::stored::stored_passage;
use super::QueryError;
use crate::index::Fields;
use crate::link::CitedPassage;

/// One ranked passage.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rank: usize,
    pub score: f32,
    pub passage: CitedPassage,
    pub snippet: String,
    /// Character ranges of matched terms in `snippet`.
    pub highlights: Vec<(usize, usize)>,
}

/// Top passages for a built query, ranked by [`ranked_addresses`], with their stored data.
pub fn ranked_candidates(
    searcher: &Searcher,
    fields: &Fields,
    built: &BuiltQuery,
    n: usize,
) -> Result<Vec<(f32, CitedPassage)>, QueryError> {
    let top = ranked_addresses(searcher, fields, built, n)?;
    read_passages(searcher, fields, &top)
}

/// The stored passages at ranked addresses, in order.
pub(crate) fn read_passages(
    searcher: &Searcher,
    fields: &Fields,
    top: &[(f32, DocAddress)],
) -> Result<Vec<(f32, CitedPassage)>, QueryError> {
    // Each stored passage costs a block decompression: in a large index several are read at
    // once (in a small one, starting the thread pool would cost more).
    let read = |&(score, addr): &(f32, DocAddress)| -> Result<(f32, CitedPassage), QueryError> {
        Ok((score, stored_passage(searcher, fields, addr)?))
    };
    let large = searcher.num_docs() as usize >= PARALLEL_MIN_PASSAGES;
    if large && top.len() > 1 {
        top.par_iter().map(read).collect()
    } else {
        top.iter().map(read).collect()
    }
}

/// Ranked passages with their snippets and highlights, numbered from `first_rank`.
pub(crate) fn highlighted(
    fields: &Fields,
    searcher: &Searcher,
    built: &BuiltQuery,
    candidates: Vec<(f32, CitedPassage)>,
    first_rank: usize,
) -> Result<Vec<Hit>, QueryError> {
    let mut snippets = SnippetGenerator::create(searcher, &*built.snippet_query(), fields.body)?;
    snippets.set_max_num_chars(SNIPPET_CHARS);
    Ok(candidates
        .into_iter()
        .enumerate()
        .map(|(i, (score, passage))| {
            let (snippet, highlights) = make_snippet(&snippets, &passage.passage.text);
            Hit {
                rank: first_rank + i,
                score,
                passage,
                snippet,
                highlights,
            }
        })
        .collect())
}
