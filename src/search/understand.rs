//! What citeseek made of a query beyond its words — typos corrected, synonyms added — and how
//! it is told: each correction spelled as the corpus spells it, and the "did you mean" query.

use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{Searcher, Term};

use super::caches::SearchCaches;
use super::stored::stored_passage;
use super::words::Analyzer;
use super::QueryError;
use crate::index::Fields;

/// What citeseek made of a query beyond its words: typos corrected, synonyms added.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Understanding {
    /// Query words with no exact match, and the index words searched instead.
    pub corrected: Vec<Correction>,
    /// The query with the corrections made, when there were any.
    pub suggestion: Option<String>,
    /// Query words and phrases searched with their synonyms too.
    pub expanded: Vec<Expansion>,
}

/// A query word with no exact match in the index, and the word searched instead.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    /// The word as typed.
    pub from: String,
    /// The word shown for it: an indexed word whose stem is `term`.
    pub to: String,
    /// The index term (a stem) that was searched.
    pub term: String,
}

/// A word or phrase of the query and the synonyms it was also searched with.
#[derive(Debug, Clone, PartialEq)]
pub struct Expansion {
    pub from: String,
    pub to: Vec<String>,
}

/// `understood` as it is reported for `query`: each correction spelled as the corpus spells it,
/// and the "did you mean" suggestion.
pub(crate) fn reported(
    searcher: &Searcher,
    fields: &Fields,
    caches: &SearchCaches,
    query: &str,
    mut understood: Understanding,
) -> Result<Understanding, QueryError> {
    for c in &mut understood.corrected {
        let mut analyzer = caches.take_analyzer();
        c.to = spelled(searcher, fields, &mut analyzer, &c.term)?;
        caches.put_analyzer(analyzer);
    }
    understood.suggestion = suggestion(query, &understood.corrected);
    Ok(understood)
}
/// How the corpus spells the index term `term`: among the words of the first passages with it
/// whose token it is, the term itself if it is one, else the shortest (lower-cased); the term
/// when there is none.
fn spelled(
    searcher: &Searcher,
    fields: &Fields,
    analyzer: &mut Analyzer,
    term: &str,
) -> Result<String, QueryError> {
    let query = TermQuery::new(
        Term::from_field_text(fields.body, term),
        IndexRecordOption::Basic,
    );
    let top = searcher.search(&query, &TopDocs::with_limit(10).order_by_score())?;
    let mut best: Option<String> = None;
    for (_, addr) in top {
        let p = stored_passage(searcher, fields, addr)?;
        let text = &p.passage.text;
        for w in analyzer.words(text).into_iter().filter(|w| w.text == term) {
            let word = text[w.from..w.to].to_lowercase();
            if word == term {
                return Ok(word);
            }
            if best.as_ref().is_none_or(|b| word.len() < b.len()) {
                best = Some(word);
            }
        }
    }
    Ok(best.unwrap_or_else(|| term.to_string()))
}

/// The query with each corrected word replaced, in order; `None` without corrections.
fn suggestion(query: &str, corrected: &[Correction]) -> Option<String> {
    if corrected.is_empty() {
        return None;
    }
    let mut out = String::new();
    let mut rest = query;
    for c in corrected {
        if let Some(i) = rest.find(&c.from) {
            out.push_str(&rest[..i]);
            out.push_str(&c.to);
            rest = &rest[i + c.from.len()..];
        }
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_replace_the_corrected_words_in_order() {
        let c = |from: &str, to: &str| Correction {
            from: from.into(),
            to: to.into(),
            term: to.into(),
        };
        assert_eq!(suggestion("menthl cream", &[]), None);
        assert_eq!(
            suggestion(
                "menthl cream for strech",
                &[c("menthl", "menthol"), c("strech", "stretch")]
            )
            .as_deref(),
            Some("menthol cream for stretch")
        );
    }
}
