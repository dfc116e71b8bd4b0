//! Building a request's query ([`build_query`]): each clause analysed once, question words
//! weighed less, synonyms added, typos corrected, filters attached.

use tantivy::query::{BooleanQuery, Occur};
use tantivy::Searcher;

use super::caches::SearchCaches;
use super::correct::{correctable, correction, Dictionaries};
use super::expand::expand;
use super::lookup::TermLookups;
use super::plan::{clause_plan, term_query, BuiltQuery, Plan};
use super::query::{parse_query, Occurrence};
use super::question::{question_words, QUESTION_WEIGHT};
use super::request::SearchRequest;
use super::snippet::truncate_chars;
use super::synonyms::Synonyms;
use super::understand::{Correction, Understanding};
use super::words::Word;
use super::QueryError;
use crate::index::Fields;
/// Build the query for a request: each clause analysed once into the form
/// [`super::ranked_addresses`] scores, question words weighed less, the synonyms of its words and
/// phrases added, and words no passage has replaced by their nearest index word.
pub fn build_query<'a>(
    searcher: &Searcher,
    f: &Fields,
    req: &SearchRequest,
    synonyms: &Synonyms,
    caches: &'a SearchCaches,
) -> Result<BuiltQuery<'a>, QueryError> {
    let parsed = parse_query(&req.query);
    if parsed.clauses.is_empty() {
        return Err(QueryError::Empty);
    }
    let mut asks = question_words(&req.query, &parsed);
    let mut analyzer = caches.take_analyzer();
    let analysed: Vec<Vec<Word>> = parsed
        .clauses
        .iter()
        .map(|c| analyzer.first_forms(&c.text))
        .collect();
    caches.put_analyzer(analyzer);
    // Question words are never all a query searches for.
    if !(0..asks.len()).any(|i| {
        !asks[i] && parsed.clauses[i].occur != Occurrence::MustNot && !analysed[i].is_empty()
    }) {
        asks.fill(false);
    }
    let mut terms: Vec<String> = Vec::new();
    let mut dropped: Vec<&str> = Vec::new();
    let mut plan = Plan {
        clauses: Vec::new(),
        compare: Vec::new(),
        filters: Vec::new(),
    };
    // Clause index in `parsed` → index in `plan.clauses`.
    let mut plan_index: Vec<Option<usize>> = Vec::new();
    for (i, clause) in parsed.clauses.iter().enumerate() {
        let tokens: Vec<(usize, String)> = analysed[i]
            .iter()
            .map(|w| (w.position, w.text.clone()))
            .collect();
        let weight = if asks[i] { QUESTION_WEIGHT } else { 1.0 };
        let Some(pc) = clause_plan(f, clause, &tokens, weight) else {
            if clause.occur != Occurrence::MustNot {
                dropped.push(clause.text.as_str());
            }
            plan_index.push(None);
            continue;
        };
        if clause.occur != Occurrence::MustNot && !asks[i] {
            for (_, t) in tokens {
                if !terms.contains(&t) {
                    terms.push(t);
                }
            }
        }
        plan_index.push(Some(plan.clauses.len()));
        plan.clauses.push(pc);
    }
    if !plan.clauses.iter().any(|c| c.occur != Occurrence::MustNot) {
        return Err(if !dropped.is_empty() {
            QueryError::OnlyStopWords(truncate_chars(&dropped.join(" "), 60))
        } else {
            QueryError::OnlyExclusions
        });
    }
    for &(a, b) in &parsed.compare {
        if let (Some(Some(pa)), Some(Some(pb))) = (plan_index.get(a), plan_index.get(b)) {
            let positive = |i: usize| plan.clauses[i].occur != Occurrence::MustNot;
            if positive(*pa) && positive(*pb) {
                plan.compare.push((*pa, *pb));
            }
        }
    }
    // Clauses whose words may be expanded or corrected: searched for, not question words.
    let open: Vec<bool> = (0..parsed.clauses.len())
        .map(|i| parsed.clauses[i].occur != Occurrence::MustNot && !asks[i])
        .zip(&plan_index)
        .map(|(o, p)| o && p.is_some())
        .collect();
    let mut built = BuiltQuery {
        caches,
        body: f.body,
        alternatives: vec![Vec::new(); terms.len()],
        terms,
        understood: Understanding::default(),
        plan,
        lookups: TermLookups::default(),
    };
    let expanded = expand(
        &mut built,
        f,
        synonyms,
        &parsed,
        &analysed,
        &plan_index,
        &open,
    );
    let mut dictionaries: Option<Dictionaries> = None;
    for (i, clause) in parsed.clauses.iter().enumerate() {
        let (Some(pi), true) = (plan_index[i], open[i] && !expanded[i] && !clause.phrase) else {
            continue;
        };
        for w in analysed[i].iter().filter(|w| correctable(&w.text)) {
            let dictionaries = match &mut dictionaries {
                Some(d) => d,
                None => dictionaries.insert(Dictionaries::of(searcher, f, caches)?),
            };
            let Some(fix) = correction(dictionaries, &mut built.lookups, f, &w.text)? else {
                continue;
            };
            built.correct(pi, &w.text, &fix);
            built.understood.corrected.push(Correction {
                from: clause.text[w.from..w.to].to_string(),
                to: fix.clone(),
                term: fix,
            });
        }
    }
    if let Some(kind) = req.kind {
        built.plan.filters.push(term_query(f.kind, kind.as_str()));
    }
    if let Some(id) = &req.cites {
        built.plan.filters.push(Box::new(BooleanQuery::new(vec![
            (Occur::Should, term_query(f.cites, id)),
            (Occur::Should, term_query(f.section_cites, id)),
        ])));
    }
    Ok(built)
}
