//! Claim → references: ranks the references most likely behind a claim, each with its evidence
//! (guide passages that make the claim and cite it, the guide's References-section description
//! of it, and the reference's own passages), and refuses to answer below a score floor.

use std::collections::BTreeMap;

use tantivy::snippet::SnippetGenerator;
use tantivy::DocAddress;

use crate::hybrid::{self, RankMode, SemanticQuery};
use crate::index::{IndexError, OpenIndex};
use crate::link::{is_references_section, CitedPassage, Scope};
use crate::passage::Kind;
use crate::references::{CitationStyle, Reference};
use crate::search::{self, QueryError, SearchRequest, SNIPPET_CHARS};
use crate::synonyms::Synonyms;

/// How many passages to consider for a claim.
const CANDIDATES: usize = 60;
/// Weight of a guide passage that cites the reference through its section, not itself.
const SECTION_WEIGHT: f32 = 0.5;
/// Weight of the reference's description in the guide's References section.
const DESCRIPTION_WEIGHT: f32 = 0.8;
/// Weights of a reference's best, second and third pieces of evidence in its score.
const EVIDENCE_WEIGHTS: [f32; 3] = [1.0, 0.5, 0.25];
/// Below this share of the claim's (IDF-weighted) words, a passage does not support the claim.
pub const COVERAGE_FLOOR: f32 = 0.6;
/// At or above this cosine with the claim, a passage supports it whatever words it uses.
pub const COSINE_FLOOR: f32 = 0.6;
/// Evidence passages shown per reference, per role.
const EVIDENCE_PER_ROLE: usize = 2;

/// Words that ask for a source rather than describe the claim ("which study says …").
const META_WORDS: &[&str] = &[
    "which",
    "what",
    "who",
    "whose",
    "where",
    "does",
    "did",
    "is",
    "are",
    "study",
    "studies",
    "paper",
    "papers",
    "research",
    "researchers",
    "source",
    "sources",
    "reference",
    "references",
    "evidence",
    "say",
    "says",
    "said",
    "show",
    "shows",
    "showed",
    "shown",
    "claim",
    "claims",
    "cite",
    "cites",
    "according",
    "article",
    "found",
    "finds",
    "find",
    "suggest",
    "suggests",
    "support",
    "supports",
    "backs",
];

/// Errors in a `cite` request.
#[derive(Debug, thiserror::Error)]
pub enum CiteError {
    #[error(
        "the claim is empty: give the sentence to check, e.g. citeseek cite \"heat increases blood flow\""
    )]
    EmptyClaim,
    #[error(
        "the claim has no searchable word ({0}): very common words, single letters, \
         punctuation and emoji are not indexed; give the claim itself, e.g. citeseek cite \
         \"heat increases blood flow\""
    )]
    OnlyCommonWords(String),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("cite failed")]
    Engine(#[from] tantivy::TantivyError),
}

/// What to cite.
#[derive(Debug, Clone)]
pub struct CiteRequest {
    pub claim: String,
    /// Most references to return.
    pub limit: usize,
    pub style: CitationStyle,
    /// Rank the evidence by meaning too; lexical when `None`.
    pub semantic: Option<SemanticQuery>,
}

/// Why a passage is evidence for a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// A guide passage that makes the claim and cites the reference.
    Claim,
    /// The guide's References-section paragraph describing the reference.
    Description,
    /// The reference's own text.
    Source,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Claim => "claim",
            Role::Description => "description",
            Role::Source => "source",
        }
    }
}

/// One passage supporting a reference.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub role: Role,
    pub score: f32,
    /// Share of the claim's weighted words the passage contains (0–1).
    pub coverage: f32,
    /// Cosine of the passage's vector with the claim's (when ranked by meaning too).
    pub cosine: Option<f32>,
    pub passage: CitedPassage,
    pub snippet: String,
    pub highlights: Vec<(usize, usize)>,
}

/// A reference behind the claim.
#[derive(Debug, Clone)]
pub struct CitedReference {
    pub rank: usize,
    pub score: f32,
    pub reference: Reference,
    /// The formatted citation in the requested style.
    pub citation: String,
    pub evidence: Vec<Evidence>,
}

/// The answer to `cite`.
#[derive(Debug, Clone)]
pub struct CiteResult {
    pub claim: String,
    pub references: Vec<CitedReference>,
    /// How the evidence was ranked.
    pub mode: RankMode,
}

/// The claim as a search query: query syntax neutralised (a pasted sentence is not a query)
/// and words that only ask for a source ("which study says") removed.
pub fn claim_query(claim: &str) -> String {
    let words: Vec<String> = claim
        .split_whitespace()
        .map(|w| {
            w.chars()
                .map(|c| if matches!(c, '"' | ':') { ' ' } else { c })
                .collect::<String>()
                .trim()
                .trim_start_matches(['+', '-'])
                .to_string()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let kept: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| {
            let bare = w
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            !META_WORDS.contains(&bare.as_str())
        })
        .collect();
    if kept.is_empty() {
        words.join(" ")
    } else {
        kept.join(" ")
    }
}

/// Rank the references behind a claim.
pub fn cite(
    index: &OpenIndex,
    req: &CiteRequest,
    synonyms: &Synonyms,
) -> Result<CiteResult, CiteError> {
    if req.claim.trim().is_empty() {
        return Err(CiteError::EmptyClaim);
    }
    let refs = index.references()?;
    let search_req = SearchRequest {
        query: claim_query(&req.claim),
        limit: CANDIDATES,
        kind: None,
        cites: None,
        semantic: None,
    };
    let (mode, semantic) = SemanticQuery::resolve(req.semantic.as_ref(), index.vectors.as_ref());
    let searcher = index.reader.searcher();
    let built = match search::build_query(
        &searcher,
        &index.fields,
        &search_req,
        synonyms,
        &index.caches,
    ) {
        Ok(b) => b,
        Err(QueryError::Empty | QueryError::OnlyExclusions) => return Err(CiteError::EmptyClaim),
        Err(QueryError::OnlyStopWords(words)) => return Err(CiteError::OnlyCommonWords(words)),
        Err(e) => return Err(e.into()),
    };
    let ranked = hybrid::rank(&searcher, &index.fields, &built, mode, semantic, CANDIDATES)?;
    // Each candidate's share of the claim's weighted words, from the postings the query
    // looked up (the passages' text is not analysed again).
    let addrs: Vec<DocAddress> = ranked.iter().map(|r| r.addr).collect();
    let coverages = built.coverage(&searcher, &index.fields, &addrs)?;
    let mut candidates = Vec::with_capacity(ranked.len());
    for (r, coverage) in ranked.into_iter().zip(coverages) {
        let p = search::stored_passage(&searcher, &index.fields, r.addr)?;
        candidates.push((r.score, r.cosine, coverage, p));
    }
    let mut snippets =
        SnippetGenerator::create(&searcher, &*built.snippet_query(), index.fields.body)?;
    snippets.set_max_num_chars(SNIPPET_CHARS);

    // Reference id -> its evidence.
    let mut found: BTreeMap<String, Vec<Evidence>> = BTreeMap::new();
    for (score, cosine, coverage, passage) in candidates {
        let p = &passage.passage;
        let mut add = |id: &str, role: Role, weight: f32| {
            if refs.get(id).is_none() {
                return;
            }
            let (snippet, highlights) = search::make_snippet(&snippets, &p.text);
            found.entry(id.to_string()).or_default().push(Evidence {
                role,
                score: score * weight,
                coverage,
                cosine,
                passage: passage.clone(),
                snippet,
                highlights,
            });
        };
        match p.kind {
            Kind::Reference => add(&p.doc, Role::Source, 1.0),
            Kind::Guide if is_references_section(&p.section) => {
                for c in passage
                    .citations
                    .iter()
                    .filter(|c| c.scope == Scope::Passage)
                {
                    add(&c.id, Role::Description, DESCRIPTION_WEIGHT);
                }
            }
            Kind::Guide => {
                for c in &passage.citations {
                    let w = if c.scope == Scope::Passage {
                        1.0
                    } else {
                        SECTION_WEIGHT
                    };
                    add(&c.id, Role::Claim, w);
                }
            }
        }
    }

    let mut ranked: Vec<CitedReference> = Vec::new();
    for (id, mut evidence) in found {
        let Some(reference) = refs.get(&id) else {
            continue;
        };
        // Only passages that carry enough of the claim, in words or in meaning, count as
        // support.
        evidence.retain(|e| {
            e.coverage >= COVERAGE_FLOOR || e.cosine.is_some_and(|c| c >= COSINE_FLOOR)
        });
        if evidence.is_empty() {
            continue;
        }
        evidence.sort_by(|a, b| b.score.total_cmp(&a.score));
        let score: f32 = evidence
            .iter()
            .zip(EVIDENCE_WEIGHTS)
            .map(|(e, w)| e.score * w)
            .sum();
        evidence.sort_by(|a, b| a.role.cmp(&b.role).then(b.score.total_cmp(&a.score)));
        let mut per_role: BTreeMap<Role, usize> = BTreeMap::new();
        evidence.retain(|e| {
            let n = per_role.entry(e.role).or_insert(0);
            *n += 1;
            *n <= EVIDENCE_PER_ROLE
        });
        ranked.push(CitedReference {
            rank: 0,
            score,
            reference: reference.clone(),
            citation: reference.format(req.style),
            evidence,
        });
    }
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.reference.id.cmp(&b.reference.id))
    });
    ranked.truncate(req.limit.max(1));
    for (i, r) in ranked.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    Ok(CiteResult {
        claim: req.claim.clone(),
        references: ranked,
        mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_query_drops_question_words_and_query_syntax() {
        assert_eq!(
            claim_query("which study says electrolytes prevent cramps?"),
            "electrolytes prevent cramps?"
        );
        assert_eq!(
            claim_query("\"36% of 50-year-olds\" -had +disc"),
            "36% of 50-year-olds had disc"
        );
        // Only meta words: keep them rather than search for nothing.
        assert_eq!(claim_query("which study"), "which study");
        assert_eq!(claim_query("  "), "");
    }
}
