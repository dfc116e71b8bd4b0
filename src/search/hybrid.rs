//! Ranking by words, by meaning, or both: the lexical ranking's candidates re-scored with the
//! cosine of their stored vectors to the query's, fused by per-query min–max normalisation,
//! plus the passages nearest in meaning that share no word with the query.
//!
//! Hybrid: the lexical top [`LEXICAL_CANDIDATES`] (all of them, if fewer match) and the
//! [`SEMANTIC_CANDIDATES`] passages nearest the query vector (when they pass the query's
//! filters and exclusions, and the query has no `+required` word) are pooled; each score is
//! scaled to 0–1 over the pool (a passage outside the lexical list has lexical 0), and the
//! fused score is `(1 − w) · lexical + w · cosine` with `w` = [`DENSE_WEIGHT`]. The lexical
//! part keeps the guide-over-reference factor, "a vs b" and the field weights; the semantic part
//! takes [`REFERENCE_PENALTY`] off a reference passage's cosine before scaling.

use std::collections::{HashMap, HashSet};

use tantivy::{DocAddress, Searcher};

use super::caches::{ReferenceBits, SearchCaches};
use super::plan::BuiltQuery;
use super::query::{parse_query, Occurrence};
use super::score::ranked_addresses;
use super::QueryError;
use crate::index::Fields;
use crate::vectors::source::KEY_FIELD;
use crate::vectors::VectorFile;

/// Lexical candidates re-scored in hybrid mode.
pub const LEXICAL_CANDIDATES: usize = 100;
/// Nearest passages by meaning added to them.
pub const SEMANTIC_CANDIDATES: usize = 100;
/// Weight of the (scaled) cosine in the fused score; chosen by 5-fold cross-validation over
/// SciFact's training claims (see `benches/cv_hybrid.py` and the README).
pub const DENSE_WEIGHT: f32 = 0.7;
/// Taken off a reference passage's cosine before scaling: as in lexical ranking, the guide
/// answers first and its references back it.
pub const REFERENCE_PENALTY: f32 = 0.05;

/// How to rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RankMode {
    /// Words only (the only mode without a model).
    #[default]
    Lexical,
    /// Meaning only: cosine of passage and query vectors.
    Semantic,
    /// Both, fused.
    Hybrid,
}

impl RankMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RankMode::Lexical => "lexical",
            RankMode::Semantic => "semantic",
            RankMode::Hybrid => "hybrid",
        }
    }
}

/// What a search needs to rank by meaning: the mode, the query's vector and the model that
/// made it (the index's vectors must be that model's).
#[derive(Debug, Clone, PartialEq)]
pub struct SemanticQuery {
    pub mode: RankMode,
    pub vector: std::sync::Arc<[f32]>,
    /// The model's fingerprint ([`crate::embed::ModelInfo::identity`]).
    pub model: String,
    /// Weight of the cosine in hybrid mode.
    pub weight: f32,
}

impl SemanticQuery {
    /// The mode a request with `query` ranks in over `vectors`, and what ranking by meaning
    /// needs: lexical without a query vector, or when the index has no vectors of its model.
    pub fn resolve<'a>(
        query: Option<&'a SemanticQuery>,
        vectors: Option<&'a VectorFile>,
    ) -> (RankMode, Option<Semantic<'a>>) {
        match query.and_then(|q| q.with(vectors).map(|s| (q.mode, s))) {
            Some((mode, s)) => (mode, Some(s)),
            None => (RankMode::Lexical, None),
        }
    }

    /// The index's vectors as this query can use them: same model, same dimension.
    pub fn with<'a>(&'a self, vectors: Option<&'a VectorFile>) -> Option<Semantic<'a>> {
        let v = vectors?;
        (v.header.model == self.model && v.header.dim == self.vector.len()).then_some(Semantic {
            vectors: v,
            query: &self.vector,
            weight: self.weight,
        })
    }
}

/// The text of a query to embed: its words and phrases without the query syntax (quotes,
/// `+`), and without the `-excluded` words.
pub fn embedding_query(query: &str) -> String {
    let parsed = parse_query(query);
    let words: Vec<&str> = parsed
        .clauses
        .iter()
        .filter(|c| c.occur != Occurrence::MustNot)
        .map(|c| c.text.as_str())
        .collect();
    if words.is_empty() {
        query.trim().to_string()
    } else {
        words.join(" ")
    }
}

/// The query's vector and the index's passage vectors.
#[derive(Clone, Copy)]
pub struct Semantic<'a> {
    pub vectors: &'a VectorFile,
    pub query: &'a [f32],
    /// Weight of the cosine in hybrid mode.
    pub weight: f32,
}

/// One ranked passage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    pub score: f32,
    pub addr: DocAddress,
    /// Cosine of the passage's vector with the query's (ranked with a model only).
    pub cosine: Option<f32>,
}

/// The best `limit` passages for `built` in `mode` (lexical when `semantic` is `None`).
pub fn rank(
    searcher: &Searcher,
    fields: &Fields,
    built: &BuiltQuery,
    mode: RankMode,
    semantic: Option<Semantic>,
    limit: usize,
) -> Result<Vec<Ranked>, QueryError> {
    let sem = match (mode, semantic) {
        (RankMode::Lexical, _) | (_, None) => {
            return Ok(ranked_addresses(searcher, fields, built, limit)?
                .into_iter()
                .map(|(score, addr)| Ranked {
                    score,
                    addr,
                    cosine: None,
                })
                .collect())
        }
        (_, Some(s)) => s,
    };
    if limit == 0 {
        return Ok(Vec::new());
    }
    let keys = KeyReader::new(searcher)?;
    let references = ReferenceKinds::new(searcher, fields, built.caches)?;

    // Passages by meaning alone: the nearest vectors' passages that the query allows.
    let by_meaning = |k: usize, required: bool| -> Result<Vec<(DocAddress, f32)>, QueryError> {
        let nearest = sem.vectors.nearest(sem.query, k);
        let cos: HashMap<u64, f32> = nearest.iter().map(|&(c, key)| (key, c)).collect();
        let addrs = keys.addresses_of(&cos.keys().copied().collect())?;
        let allowed = built.allows(searcher, fields, &addrs, required)?;
        Ok(addrs
            .into_iter()
            .zip(allowed)
            .filter(|(_, ok)| *ok)
            .filter_map(|(addr, _)| Some((addr, *cos.get(&keys.key(addr)?)?)))
            .collect())
    };

    if mode == RankMode::Semantic {
        let mut out: Vec<Ranked> = by_meaning(limit.max(SEMANTIC_CANDIDATES), true)?
            .into_iter()
            .map(|(addr, c)| Ranked {
                score: c,
                addr,
                cosine: Some(c),
            })
            .collect();
        out.sort_by(best_first);
        out.truncate(limit);
        return Ok(out);
    }

    let lexical = ranked_addresses(searcher, fields, built, limit.max(LEXICAL_CANDIDATES))?;
    let mut pool: Vec<(DocAddress, Option<f32>, Option<f32>)> = lexical
        .iter()
        .map(|&(score, addr)| {
            let cos = keys
                .key(addr)
                .and_then(|k| sem.vectors.similarity(k, sem.query));
            (addr, Some(score), cos)
        })
        .collect();
    if !built.has_required() {
        let seen: HashSet<DocAddress> = pool.iter().map(|p| p.0).collect();
        for (addr, c) in by_meaning(SEMANTIC_CANDIDATES, false)? {
            if !seen.contains(&addr) {
                pool.push((addr, None, Some(c)));
            }
        }
    }
    let adjusted = |addr: DocAddress, c: f32| {
        if references.is_reference(addr) {
            c - REFERENCE_PENALTY
        } else {
            c
        }
    };
    let (lex_min, lex_max) = range(pool.iter().filter_map(|p| p.1));
    let (cos_min, cos_max) = range(pool.iter().filter_map(|p| p.2.map(|c| adjusted(p.0, c))));
    let scale = |x: f32, lo: f32, hi: f32| if hi > lo { (x - lo) / (hi - lo) } else { 1.0 };
    let w = sem.weight.clamp(0.0, 1.0);
    let mut out: Vec<Ranked> = pool
        .into_iter()
        .map(|(addr, lex, cos)| {
            let l = lex.map_or(0.0, |s| scale(s, lex_min, lex_max));
            let c = cos.map_or(0.0, |c| scale(adjusted(addr, c), cos_min, cos_max));
            Ranked {
                score: (1.0 - w) * l + w * c,
                addr,
                cosine: cos,
            }
        })
        .collect();
    out.sort_by(best_first);
    out.truncate(limit);
    Ok(out)
}

/// Lowest and highest of `xs` (0, 0 for none).
fn range(xs: impl Iterator<Item = f32>) -> (f32, f32) {
    let (lo, hi) = xs.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 0.0)
    }
}

/// Best first; equal scores in index order, so runs are repeatable.
fn best_first(a: &Ranked, b: &Ranked) -> std::cmp::Ordering {
    b.score
        .total_cmp(&a.score)
        .then_with(|| a.addr.cmp(&b.addr))
}

/// Each segment's vector-key column.
struct KeyReader<'a> {
    searcher: &'a Searcher,
    columns: Vec<tantivy::columnar::Column<u64>>,
}

impl<'a> KeyReader<'a> {
    fn new(searcher: &'a Searcher) -> Result<KeyReader<'a>, QueryError> {
        let columns = searcher
            .segment_readers()
            .iter()
            .map(|s| s.fast_fields().u64(KEY_FIELD))
            .collect::<Result<_, _>>()?;
        Ok(KeyReader { searcher, columns })
    }

    fn key(&self, addr: DocAddress) -> Option<u64> {
        self.columns
            .get(addr.segment_ord as usize)?
            .first(addr.doc_id)
    }

    /// The live passages whose key is one of `keys` (a scan of the key columns).
    fn addresses_of(&self, keys: &HashSet<u64>) -> Result<Vec<DocAddress>, QueryError> {
        let mut out = Vec::new();
        if keys.is_empty() {
            return Ok(out);
        }
        for (ord, segment) in self.searcher.segment_readers().iter().enumerate() {
            let column = &self.columns[ord];
            for doc in segment.doc_ids_alive() {
                if column.first(doc).is_some_and(|k| keys.contains(&k)) {
                    out.push(DocAddress::new(ord as u32, doc));
                }
            }
        }
        Ok(out)
    }
}

/// Which passages are a reference's own (the rest are the guide's).
struct ReferenceKinds(Vec<ReferenceBits>);

impl ReferenceKinds {
    fn new(
        searcher: &Searcher,
        fields: &Fields,
        caches: &SearchCaches,
    ) -> Result<ReferenceKinds, QueryError> {
        searcher
            .segment_readers()
            .iter()
            .map(|s| caches.reference_bits(s, fields.kind))
            .collect::<Result<_, _>>()
            .map(ReferenceKinds)
    }

    fn is_reference(&self, addr: DocAddress) -> bool {
        self.0
            .get(addr.segment_ord as usize)
            .is_some_and(|bits| bits.contains(addr.doc_id))
    }
}
