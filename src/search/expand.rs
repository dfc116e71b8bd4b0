//! Synonym expansion: the query's words and phrases that are entries of the corpus's synonym
//! file ([`super::synonyms`]) searched with the other entries of their group too.

use tantivy::query::BoostQuery;

use super::plan::{phrase_query, BuiltQuery, PlanClause, PlanToken};
use super::query::{Occurrence, ParsedQuery};
use super::synonyms::{Entry, Synonyms};
use super::understand::Expansion;
use super::words::Word;
use crate::index::Fields;

/// Weight of a synonym from the corpus's synonym file, relative to the word it expands.
const SYNONYM_WEIGHT: f32 = 0.5;

/// Add the synonyms of the query's words and phrases: a word (or quoted phrase, or split
/// word) that is an entry of the synonym file gets the other entries of its group as
/// alternatives at [`SYNONYM_WEIGHT`]; a run of plain words that is one ("cold compress")
/// gets a clause of its own with them. Returns which clauses were expanded.
pub(crate) fn expand(
    built: &mut BuiltQuery<'_>,
    f: &Fields,
    synonyms: &Synonyms,
    parsed: &ParsedQuery,
    analysed: &[Vec<Word>],
    plan_index: &[Option<usize>],
    open: &[bool],
) -> Vec<bool> {
    let mut expanded = vec![false; parsed.clauses.len()];
    if synonyms.is_empty() {
        return expanded;
    }
    // (clauses, group) for each entry found in the query.
    let mut found: Vec<(Vec<usize>, usize)> = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    for i in 0..=parsed.clauses.len() {
        let one_word = i < parsed.clauses.len()
            && open[i]
            && !parsed.clauses[i].phrase
            && analysed[i].len() == 1;
        if one_word {
            run.push(i);
            continue;
        }
        let tokens: Vec<&str> = run.iter().map(|&c| analysed[c][0].text.as_str()).collect();
        for m in synonyms.find(&tokens) {
            found.push((run[m.start..m.start + m.len].to_vec(), m.group));
        }
        run.clear();
        if i < parsed.clauses.len() && open[i] && analysed[i].len() > 1 {
            let tokens: Vec<&str> = analysed[i].iter().map(|w| w.text.as_str()).collect();
            if let Some(m) = synonyms.find(&tokens).first() {
                if m.start == 0 && m.len == tokens.len() {
                    found.push((vec![i], m.group));
                }
            }
        }
    }
    for (clauses, group) in found {
        let matched: Vec<&str> = clauses
            .iter()
            .flat_map(|&c| analysed[c].iter().map(|w| w.text.as_str()))
            .collect();
        if matched.is_empty() {
            continue;
        }
        // Entries that contain the matched words ("ice pack" for "ice") would only count
        // again for passages that have them: they are left out.
        let others: Vec<&Entry> = synonyms
            .group(group)
            .iter()
            .filter(|e| {
                let words: Vec<&str> = e.tokens.iter().map(|(_, t)| t.as_str()).collect();
                !words
                    .windows(matched.len())
                    .any(|w| w == matched.as_slice())
            })
            .collect();
        if others.is_empty() {
            continue;
        }
        // A one-word match's synonyms count as that word for coverage.
        let covers = match matched.as_slice() {
            [word] => Some(*word),
            _ => None,
        };
        let mut extra = PlanClause {
            occur: Occurrence::Should,
            tokens: Vec::new(),
            phrases: Vec::new(),
            own_phrases: 0,
        };
        for e in &others {
            match e.tokens.as_slice() {
                [(_, word)] => extra
                    .tokens
                    .push(PlanToken::new(word, SYNONYM_WEIGHT, covers)),
                // In the body only: a heading's phrase ("Hot and Cold Therapy") would reach
                // every passage of its section, and make each of them match "ice".
                tokens => extra.phrases.push(Box::new(BoostQuery::new(
                    phrase_query(f.body, tokens),
                    SYNONYM_WEIGHT,
                ))),
            }
        }
        match clauses.as_slice() {
            [c] => {
                let Some(pc) = plan_index[*c].and_then(|p| built.plan.clauses.get_mut(p)) else {
                    continue;
                };
                pc.tokens.extend(extra.tokens);
                pc.phrases.extend(extra.phrases);
            }
            _ => built.plan.clauses.push(extra),
        }
        for t in &matched {
            if let Some(k) = built.terms.iter().position(|x| x == t) {
                built.alternatives[k].extend(
                    others
                        .iter()
                        .map(|e| e.tokens.iter().map(|(_, t)| t.clone()).collect()),
                );
            }
        }
        for &c in &clauses {
            expanded[c] = true;
        }
        built.understood.expanded.push(Expansion {
            from: clauses
                .iter()
                .map(|&c| parsed.clauses[c].text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            to: others.iter().map(|e| e.text.clone()).collect(),
        });
    }
    expanded
}
