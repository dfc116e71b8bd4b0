//! What to search for: the request `search`, `serve` and `eval` build from their input.

use super::hybrid::SemanticQuery;
use crate::passage::Kind;

/// What to search for.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    pub limit: usize,
    pub kind: Option<Kind>,
    /// Only passages citing this reference (directly or through their section).
    pub cites: Option<String>,
    /// Rank by meaning too (hybrid or semantic); lexical when `None`.
    pub semantic: Option<SemanticQuery>,
}
