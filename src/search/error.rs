//! What a search can fail on: the query itself (the user can fix it), a stored passage that
//! does not decode, or the engine.

use super::stored::StoredPassageError;

/// Errors in the query itself (the user can fix them), and failures reading the index.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(
        "the query is empty: give some words to search for, e.g. citeseek search \"heat vs ice\""
    )]
    Empty,
    #[error(
        "the query has no searchable word ({0}): very common words, single letters, \
         punctuation and emoji are not indexed; add a more specific word"
    )]
    OnlyStopWords(String),
    #[error("the query only excludes words: add a word to search for besides the -exclusions")]
    OnlyExclusions,
    #[error(transparent)]
    Stored(#[from] StoredPassageError),
    #[error("search failed")]
    Engine(#[from] tantivy::TantivyError),
}
