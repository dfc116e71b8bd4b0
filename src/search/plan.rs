//! A query in the form citeseek's scorer runs it ([`BuiltQuery`], [`Plan`]): clauses of
//! weighted tokens and phrase queries, "a vs b" pairs and filters, with the field weights;
//! and what a passage found by meaning alone must satisfy ([`BuiltQuery::allows`]).

use tantivy::query::{BooleanQuery, BoostQuery, EnableScoring, Occur, PhraseQuery, Query};
use tantivy::query::{Scorer, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Searcher, Term};

use super::caches::SearchCaches;
use super::lookup::TermLookups;
use super::query::{Clause, Occurrence};
use super::understand::Understanding;
use super::QueryError;
use crate::index::Fields;

/// Field weights: a heading that names the topic counts more than a word in the body.
pub(crate) const BODY_BOOST: f32 = 1.0;
pub(crate) const SECTION_BOOST: f32 = 1.6;
pub(crate) const TITLE_BOOST: f32 = 0.6;
pub(crate) const ALT_BOOST: f32 = 0.4;
const PHRASE_BOOST: f32 = 1.5;

/// A parsed and analysed query, ready for [`super::ranked_addresses`], with the caches of the
/// index it was built for.
pub struct BuiltQuery<'a> {
    pub(crate) caches: &'a SearchCaches,
    pub(crate) body: Field,
    /// Distinct analysed terms the user asked for (for coverage; question words are not).
    pub terms: Vec<String>,
    /// For each of `terms`, the token sequences of its synonyms (each counts as the term).
    pub alternatives: Vec<Vec<Vec<String>>>,
    /// Corrections and expansions made to the query.
    pub understood: Understanding,
    pub(crate) plan: Plan,
    /// Term infos typo correction looked up, for the scorer to reuse.
    pub(crate) lookups: TermLookups,
}

impl BuiltQuery<'_> {
    /// The positive words and phrases in the body field, for snippets and highlights.
    pub fn snippet_query(&self) -> Box<dyn Query> {
        let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for c in self.plan.clauses.iter() {
            if c.occur == Occurrence::MustNot {
                continue;
            }
            for t in &c.tokens {
                parts.push((Occur::Should, term_query(self.body, &t.text)));
            }
            // Not the synonyms' phrases: the snippet generator would highlight their words
            // wherever they stand alone ("hot" for "hot pack").
            for p in &c.phrases[..c.own_phrases] {
                parts.push((Occur::Should, p.box_clone()));
            }
        }
        Box::new(BooleanQuery::new(parts))
    }
}

impl BuiltQuery<'_> {
    /// Whether the query has `+required` words or phrases.
    pub fn has_required(&self) -> bool {
        self.plan
            .clauses
            .iter()
            .any(|c| c.occur == Occurrence::Must)
    }

    /// For each of `addrs`, whether the passage there passes the query's filters (`--kind`,
    /// `--cites`) and has none of its `-excluded` words, and (with `required`) all of its
    /// `+required` ones: what a passage found by meaning alone must satisfy.
    pub fn allows(
        &self,
        searcher: &Searcher,
        fields: &Fields,
        addrs: &[DocAddress],
        required: bool,
    ) -> Result<Vec<bool>, QueryError> {
        let text_fields = fields.text();
        let clause_query = |c: &PlanClause| -> Box<dyn Query> {
            let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for t in &c.tokens {
                for &f in &text_fields {
                    any.push((Occur::Should, term_query(f, &t.text)));
                }
            }
            for p in &c.phrases {
                any.push((Occur::Should, p.box_clone()));
            }
            Box::new(BooleanQuery::new(any))
        };
        let mut parts: Vec<(Occur, Box<dyn Query>)> = self
            .plan
            .filters
            .iter()
            .map(|f| (Occur::Must, f.box_clone()))
            .collect();
        for c in &self.plan.clauses {
            match c.occur {
                Occurrence::MustNot => parts.push((Occur::MustNot, clause_query(c))),
                Occurrence::Must if required => parts.push((Occur::Must, clause_query(c))),
                _ => {}
            }
        }
        if parts.is_empty() {
            return Ok(vec![true; addrs.len()]);
        }
        if !parts.iter().any(|(o, _)| *o == Occur::Must) {
            parts.push((Occur::Must, Box::new(tantivy::query::AllQuery)));
        }
        let weight =
            BooleanQuery::new(parts).weight(EnableScoring::disabled_from_searcher(searcher))?;
        let mut order: Vec<usize> = (0..addrs.len()).collect();
        order.sort_by_key(|&i| addrs[i]);
        let mut out = vec![false; addrs.len()];
        let mut current: Option<(u32, Box<dyn Scorer>)> = None;
        for i in order {
            let addr = addrs[i];
            if current
                .as_ref()
                .is_none_or(|(seg, _)| *seg != addr.segment_ord)
            {
                let segment = searcher.segment_reader(addr.segment_ord);
                current = Some((addr.segment_ord, weight.scorer(segment, 1.0)?));
            }
            if let Some((_, scorer)) = current.as_mut() {
                let at = if scorer.doc() < addr.doc_id {
                    scorer.seek(addr.doc_id)
                } else {
                    scorer.doc()
                };
                out[i] = at == addr.doc_id;
            }
        }
        Ok(out)
    }
}
/// A query as citeseek's own scorer runs it: DFR In_expB2 (see [`super::dfr`]) summed
/// over the text fields with their weights, phrase scores from tantivy, the clause logic of a
/// boolean query, and filters.
pub(crate) struct Plan {
    pub clauses: Vec<PlanClause>,
    /// Pairs of clause indices (into `clauses`) both of which matching earns the comparison
    /// boost.
    pub compare: Vec<(usize, usize)>,
    /// Queries a hit must match (kind, cites); their scores are ignored.
    pub filters: Vec<Box<dyn Query>>,
}

pub(crate) struct PlanClause {
    pub occur: Occurrence,
    /// Analysed tokens, each scored in every text field; a clause matches if any does.
    pub tokens: Vec<PlanToken>,
    /// Phrase queries (with their boosts) that score and match for the clause.
    pub phrases: Vec<Box<dyn Query>>,
    /// How many of `phrases`, from the first, are the query's own; synonyms' follow.
    pub own_phrases: usize,
}

/// A token a clause scores.
pub(crate) struct PlanToken {
    pub text: String,
    /// Its weight: 1 for a word of the query, less for a question word, a typo's correction
    /// or a synonym.
    pub weight: f32,
    /// The query term (one of [`BuiltQuery::terms`]) a passage with this token has, for
    /// coverage, when the token is not a term itself (a synonym).
    pub covers: Option<String>,
}

impl PlanToken {
    pub fn new(text: &str, weight: f32, covers: Option<&str>) -> PlanToken {
        PlanToken {
            text: text.to_string(),
            weight,
            covers: covers.map(str::to_string),
        }
    }
}

pub(crate) fn term_query(field: Field, token: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, token),
        IndexRecordOption::WithFreqs,
    ))
}

/// A phrase of at least two `(position, token)` pairs in `field`, positions relative to the
/// first.
pub(crate) fn phrase_query(field: Field, tokens: &[(usize, String)]) -> Box<dyn Query> {
    let first = tokens.first().map_or(0, |t| t.0);
    Box::new(PhraseQuery::new_with_offset(
        tokens
            .iter()
            .map(|(pos, t)| (pos - first, Term::from_field_text(field, t)))
            .collect(),
    ))
}

/// A clause in the scorer's form: a word's tokens (any may match; the parts of a split word
/// such as "cat-cow" next to each other count extra), or a phrase in body, headings or alt.
/// `weight` is the tokens' weight.
pub(crate) fn clause_plan(
    f: &Fields,
    clause: &Clause,
    tokens: &[(usize, String)],
    weight: f32,
) -> Option<PlanClause> {
    if tokens.is_empty() {
        return None;
    }
    let words: Vec<PlanToken> = tokens
        .iter()
        .map(|(_, t)| PlanToken::new(t, weight, None))
        .collect();
    let plan = if clause.phrase && tokens.len() > 1 {
        PlanClause {
            occur: clause.occur,
            tokens: Vec::new(),
            phrases: vec![
                Box::new(BoostQuery::new(phrase_query(f.body, tokens), PHRASE_BOOST)),
                Box::new(BoostQuery::new(
                    phrase_query(f.section, tokens),
                    PHRASE_BOOST * SECTION_BOOST,
                )),
                phrase_query(f.alt, tokens),
            ],
            own_phrases: 3,
        }
    } else if tokens.len() == 1 {
        PlanClause {
            occur: clause.occur,
            tokens: words,
            phrases: Vec::new(),
            own_phrases: 0,
        }
    } else {
        PlanClause {
            occur: clause.occur,
            tokens: words,
            phrases: vec![phrase_query(f.body, tokens)],
            own_phrases: 1,
        }
    };
    Some(plan)
}
