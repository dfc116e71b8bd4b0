//! Search: query understanding (natural language, quoted phrases, `+must`, `-exclude`,
//! "a vs b" comparisons), BM25 ranking over passages with field boosts, re-ranking, and
//! highlighted snippets → [`Hit`]s.

use std::collections::HashSet;

use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TokenStream;
use tantivy::{Searcher, TantivyDocument, Term};

use crate::index::{analyzer, Fields, OpenIndex};
use crate::link::CitedPassage;
use crate::passage::Kind;

/// Field weights: a heading that names the topic counts more than a word in the body.
const SECTION_BOOST: f32 = 1.6;
const TITLE_BOOST: f32 = 0.6;
const ALT_BOOST: f32 = 0.4;
const PHRASE_BOOST: f32 = 1.5;
/// Extra weight for passages that mention both sides of "a vs b".
const COMPARE_BOOST: f32 = 2.0;
/// References are evidence: their passages rank below guide passages that match as well.
const REFERENCE_FACTOR: f32 = 0.6;
/// How many candidates to re-rank for each hit asked for.
const CANDIDATES_PER_HIT: usize = 8;
/// Longest snippet, in characters.
pub const SNIPPET_CHARS: usize = 240;
/// Longest query accepted, in characters; the rest is ignored.
const MAX_QUERY_CHARS: usize = 2000;

/// Errors in the query itself (the user can fix them).
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(
        "the query is empty: give some words to search for, e.g. citeseek search \"heat vs ice\""
    )]
    Empty,
    #[error(
        "the query has only very common words ({0}), which are not indexed: add a more specific word"
    )]
    OnlyStopWords(String),
    #[error("the query only excludes words: add a word to search for besides the -exclusions")]
    OnlyExclusions,
    #[error("search failed: {0}")]
    Engine(#[from] tantivy::TantivyError),
}

/// What to search for.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    pub limit: usize,
    pub kind: Option<Kind>,
    /// Only passages citing this reference (directly or through their section).
    pub cites: Option<String>,
}

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

/// A parsed query: words and phrases, each optional, required or excluded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedQuery {
    pub clauses: Vec<Clause>,
    /// Pairs of clause indices joined by `vs`, `versus` or `or`.
    pub compare: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurrence {
    Should,
    Must,
    MustNot,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// The words as typed (one word, or several for a quoted phrase).
    pub text: String,
    pub phrase: bool,
    pub occur: Occurrence,
}

/// Parse a query typed by a person. Never fails: unknown syntax is read as words.
pub fn parse_query(input: &str) -> ParsedQuery {
    let input: String = input
        .chars()
        .take(MAX_QUERY_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut clauses: Vec<Clause> = Vec::new();
    let mut compare = Vec::new();
    let mut pending_compare = false;
    let mut pending_not = false;
    let mut rest = input.as_str();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let mut occur = if pending_not {
            Occurrence::MustNot
        } else {
            Occurrence::Should
        };
        pending_not = false;
        if let Some(r) = rest.strip_prefix('+') {
            occur = Occurrence::Must;
            rest = r;
        } else if let Some(r) = rest.strip_prefix('-') {
            if r.starts_with(|c: char| c.is_alphanumeric() || c == '"') {
                occur = Occurrence::MustNot;
            }
            rest = r;
        }
        let (text, phrase, next) = if let Some(r) = rest.strip_prefix('"') {
            match r.find('"') {
                Some(end) => (&r[..end], true, &r[end + 1..]),
                // An unbalanced quote: the rest is plain words.
                None => (r, false, ""),
            }
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            (&rest[..end], false, &rest[end..])
        };
        rest = next;
        if !phrase {
            match text {
                "AND" | "&&" => continue,
                "NOT" => {
                    pending_not = true;
                    continue;
                }
                _ => {}
            }
            let lower = text.to_lowercase();
            let word = lower.trim_matches(|c: char| !c.is_alphanumeric());
            if matches!(word, "vs" | "versus" | "or") && occur == Occurrence::Should {
                pending_compare = !clauses.is_empty();
                continue;
            }
        }
        // `field:value` typos and other punctuation are plain words to the analyzer.
        let text = text.replace(':', " ");
        if text.trim().is_empty() {
            continue;
        }
        if phrase && text.split_whitespace().count() > 1 {
            clauses.push(Clause {
                text,
                phrase: true,
                occur,
            });
        } else {
            clauses.push(Clause {
                text,
                phrase: false,
                occur,
            });
        }
        if pending_compare {
            let right = clauses.len() - 1;
            if right > 0 {
                compare.push((right - 1, right));
            }
            pending_compare = false;
        }
    }
    ParsedQuery { clauses, compare }
}

/// Analyse text with the index's English analyzer: (position, token) pairs.
pub fn analyze(text: &str) -> Vec<(usize, String)> {
    thread_local! {
        // Building the analyzer (stop-word set, stemmer) costs more than analysing a passage.
        static ANALYZER: std::cell::RefCell<tantivy::tokenizer::TextAnalyzer> =
            std::cell::RefCell::new(analyzer());
    }
    ANALYZER.with(|a| {
        let mut a = a.borrow_mut();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push((t.position, t.text.clone()));
        }
        out
    })
}

/// The tantivy queries built from a parsed query.
pub struct BuiltQuery {
    /// The full query: scoring clauses, requirements, exclusions and filters.
    pub query: Box<dyn Query>,
    /// Positive scoring clauses only, for snippets.
    pub positive: Box<dyn Query>,
    /// Distinct analysed terms the user asked for (for coverage).
    pub terms: Vec<String>,
}

fn term_query(field: Field, token: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, token),
        IndexRecordOption::WithFreqs,
    ))
}

/// One token searched in every text field, with the field weights.
fn token_query(f: &Fields, token: &str) -> Box<dyn Query> {
    let weighted = [
        (f.body, 1.0),
        (f.section, SECTION_BOOST),
        (f.title, TITLE_BOOST),
        (f.alt, ALT_BOOST),
    ];
    Box::new(BooleanQuery::new(
        weighted
            .iter()
            .map(|&(field, boost)| {
                let q: Box<dyn Query> = Box::new(BoostQuery::new(term_query(field, token), boost));
                (Occur::Should, q)
            })
            .collect(),
    ))
}

/// A clause as a query: a word's tokens (any may match), or a phrase in body or headings.
fn clause_query(f: &Fields, clause: &Clause) -> Option<Box<dyn Query>> {
    let tokens = analyze(&clause.text);
    if tokens.is_empty() {
        return None;
    }
    if clause.phrase && tokens.len() > 1 {
        let first = tokens[0].0;
        let phrase = |field: Field| -> Box<dyn Query> {
            Box::new(PhraseQuery::new_with_offset(
                tokens
                    .iter()
                    .map(|(pos, t)| (pos - first, Term::from_field_text(field, t)))
                    .collect(),
            ))
        };
        let q: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
            (
                Occur::Should,
                Box::new(BoostQuery::new(phrase(f.body), PHRASE_BOOST)) as Box<dyn Query>,
            ),
            (
                Occur::Should,
                Box::new(BoostQuery::new(
                    phrase(f.section),
                    PHRASE_BOOST * SECTION_BOOST,
                )),
            ),
            (Occur::Should, phrase(f.alt)),
        ]));
        return Some(q);
    }
    if tokens.len() == 1 {
        return Some(token_query(f, &tokens[0].1));
    }
    // A word the analyzer splits ("cat-cow", "50-year-olds"): any part may match, and the
    // parts next to each other count extra.
    let first = tokens[0].0;
    let mut parts: Vec<(Occur, Box<dyn Query>)> = tokens
        .iter()
        .map(|(_, t)| (Occur::Should, token_query(f, t)))
        .collect();
    parts.push((
        Occur::Should,
        Box::new(PhraseQuery::new_with_offset(
            tokens
                .iter()
                .map(|(pos, t)| (pos - first, Term::from_field_text(f.body, t)))
                .collect(),
        )),
    ));
    Some(Box::new(BooleanQuery::new(parts)))
}

/// Build the tantivy query for a request.
pub fn build_query(f: &Fields, req: &SearchRequest) -> Result<BuiltQuery, QueryError> {
    let parsed = parse_query(&req.query);
    if parsed.clauses.is_empty() {
        return Err(QueryError::Empty);
    }
    let mut scoring: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut positive: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut built: Vec<Option<Box<dyn Query>>> = Vec::new();
    let mut terms: Vec<String> = Vec::new();
    let mut dropped: Vec<&str> = Vec::new();
    for clause in &parsed.clauses {
        let q = clause_query(f, clause);
        match (&q, clause.occur) {
            (None, Occurrence::MustNot) => {}
            (None, _) => dropped.push(clause.text.as_str()),
            (Some(q), Occurrence::MustNot) => scoring.push((Occur::MustNot, q.box_clone())),
            (Some(q), occur) => {
                let o = if occur == Occurrence::Must {
                    Occur::Must
                } else {
                    Occur::Should
                };
                scoring.push((o, q.box_clone()));
                positive.push((Occur::Should, q.box_clone()));
                for (_, t) in analyze(&clause.text) {
                    if !terms.contains(&t) {
                        terms.push(t);
                    }
                }
            }
        }
        built.push(q);
    }
    if positive.is_empty() {
        return Err(if !dropped.is_empty() {
            QueryError::OnlyStopWords(dropped.join(" "))
        } else {
            QueryError::OnlyExclusions
        });
    }
    for &(a, b) in &parsed.compare {
        if let (Some(Some(qa)), Some(Some(qb))) = (built.get(a), built.get(b)) {
            let both: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                (Occur::Must, qa.box_clone()),
                (Occur::Must, qb.box_clone()),
            ]));
            scoring.push((
                Occur::Should,
                Box::new(BoostQuery::new(both, COMPARE_BOOST)),
            ));
        }
    }
    let mut filters: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(kind) = req.kind {
        filters.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(term_query(f.kind, kind.as_str()), 0.0)),
        ));
    }
    if let Some(id) = &req.cites {
        let either: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
            (Occur::Should, term_query(f.cites, id)),
            (Occur::Should, term_query(f.section_cites, id)),
        ]));
        filters.push((Occur::Must, Box::new(ConstScoreQuery::new(either, 0.0))));
    }
    let scoring_query: Box<dyn Query> = Box::new(BooleanQuery::new(scoring));
    let query: Box<dyn Query> = if filters.is_empty() {
        scoring_query
    } else {
        filters.push((Occur::Must, scoring_query));
        Box::new(BooleanQuery::new(filters))
    };
    Ok(BuiltQuery {
        query,
        positive: Box::new(BooleanQuery::new(positive)),
        terms,
    })
}

/// Run a search and return ranked, highlighted hits.
pub fn search(index: &OpenIndex, req: &SearchRequest) -> Result<Vec<Hit>, QueryError> {
    let built = build_query(&index.fields, req)?;
    let searcher = index.reader.searcher();
    let limit = req.limit.max(1);
    let candidates = ranked_candidates(
        &searcher,
        &index.fields,
        &built,
        limit * CANDIDATES_PER_HIT + 20,
    )?;
    let mut snippets = SnippetGenerator::create(&searcher, &*built.positive, index.fields.body)?;
    snippets.set_max_num_chars(SNIPPET_CHARS);
    Ok(candidates
        .into_iter()
        .take(limit)
        .enumerate()
        .map(|(i, (score, passage))| {
            let (snippet, highlights) = make_snippet(&snippets, &passage.passage.text);
            Hit {
                rank: i + 1,
                score,
                passage,
                snippet,
                highlights,
            }
        })
        .collect())
}

/// Top passages for a built query, re-ranked: references weigh less than guide text, and
/// passages that cover more of the query's words rank higher.
pub fn ranked_candidates(
    searcher: &Searcher,
    fields: &Fields,
    built: &BuiltQuery,
    n: usize,
) -> Result<Vec<(f32, CitedPassage)>, QueryError> {
    let top = searcher.search(
        &*built.query,
        &TopDocs::with_limit(n.max(1)).order_by_score(),
    )?;
    let mut out = Vec::with_capacity(top.len());
    for (score, addr) in top {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let Some(data) = doc
            .get_first(fields.data)
            .and_then(|v| v.as_str().map(str::to_string))
        else {
            continue;
        };
        let Ok(passage) = serde_json::from_str::<CitedPassage>(&data) else {
            continue;
        };
        let mut s = score;
        if passage.passage.kind == Kind::Reference {
            s *= REFERENCE_FACTOR;
        }
        s *= coverage_factor(&passage, &built.terms);
        out.push((s, passage));
    }
    out.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.passage.id.cmp(&b.1.passage.id))
    });
    Ok(out)
}

/// 1.0 when the passage has every query term, less when it has fewer.
fn coverage_factor(p: &CitedPassage, terms: &[String]) -> f32 {
    if terms.len() < 2 {
        return 1.0;
    }
    let mut have: HashSet<String> = HashSet::new();
    for text in [&p.passage.text, &p.passage.title, &p.passage.alt]
        .into_iter()
        .chain(p.passage.section.iter())
    {
        have.extend(analyze(text).into_iter().map(|(_, t)| t));
    }
    let matched = terms.iter().filter(|t| have.contains(*t)).count();
    0.5 + 0.5 * (matched as f32 / terms.len() as f32)
}

/// A snippet of the passage text with character-offset highlights.
///
/// A passage that fits in [`SNIPPET_CHARS`] is shown whole; a longer one shows the best
/// fragment widened to whole words, with `…` where text was cut. When no term matched the body
/// (the match was in a heading), the snippet is the start of the text.
pub fn make_snippet(generator: &SnippetGenerator, text: &str) -> (String, Vec<(usize, usize)>) {
    let snippet = generator.snippet(text);
    let range = snippet.fragment_range();
    if snippet.fragment().trim().is_empty() || range.end > text.len() {
        return (truncate_chars(text, SNIPPET_CHARS), Vec::new());
    }
    let (start, end) = if text.chars().count() <= SNIPPET_CHARS {
        (0, text.len())
    } else {
        widen_to_words(text, range.start, range.end)
    };
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < text.len() { "…" } else { "" };
    let body = &text[start..end];
    let shown = format!("{prefix}{}{suffix}", body);
    let base = prefix.chars().count();
    let to_chars = |byte: usize| base + text.get(start..byte).map_or(0, |s| s.chars().count());
    let highlights = snippet
        .highlighted()
        .iter()
        .map(|r| (range.start + r.start, range.start + r.end))
        .filter(|&(a, b)| a >= start && b <= end)
        .map(|(a, b)| (to_chars(a), to_chars(b)))
        .collect();
    (shown, highlights)
}

/// Widen a byte range of `text` so it starts and ends on word boundaries, ending at the close
/// of a sentence when one is near.
fn widen_to_words(text: &str, mut start: usize, mut end: usize) -> (usize, usize) {
    while start > 0 && !text[..start].ends_with(char::is_whitespace) {
        start = text[..start]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i);
    }
    let rest = &text[end..];
    let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    end += word_end;
    if let Some(stop) = text[end..]
        .char_indices()
        .take(40)
        .find(|&(_, c)| matches!(c, '.' | '!' | '?'))
    {
        end += stop.0 + 1;
    }
    (start, end)
}

/// The first `max` characters of `text`, cut at a word boundary, with an ellipsis when cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(i) if i > max / 2 => &cut[..i],
        _ => &cut[..],
    };
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(text: &str, phrase: bool, occur: Occurrence) -> Clause {
        Clause {
            text: text.into(),
            phrase,
            occur,
        }
    }

    #[test]
    fn parses_words_phrases_must_and_exclude() {
        let q = parse_query(r#"+heat "blood flow" -ice cat-cow"#);
        assert_eq!(
            q.clauses,
            [
                clause("heat", false, Occurrence::Must),
                clause("blood flow", true, Occurrence::Should),
                clause("ice", false, Occurrence::MustNot),
                clause("cat-cow", false, Occurrence::Should),
            ]
        );
    }

    #[test]
    fn vs_and_or_mark_comparisons() {
        let q = parse_query("heat vs ice");
        assert_eq!(q.clauses.len(), 2);
        assert_eq!(q.compare, [(0, 1)]);
        let q = parse_query("ice or heat for a back spasm");
        assert_eq!(q.compare, [(0, 1)]);
        assert!(parse_query("vs ice").compare.is_empty());
    }

    #[test]
    fn odd_input_never_fails_to_parse() {
        for s in [
            "\"unbalanced",
            "AND",
            "title:",
            "+",
            "-",
            "🔥🔥",
            "NOT",
            "\"\"",
            "a\u{0}b",
        ] {
            let _ = parse_query(s);
        }
        let long = "word ".repeat(2000);
        assert!(parse_query(&long).clauses.len() <= MAX_QUERY_CHARS / 5 + 1);
        assert_eq!(parse_query("title:heat").clauses[0].text, "title heat");
        assert_eq!(
            parse_query("NOT ice heat").clauses[0].occur,
            Occurrence::MustNot
        );
    }

    #[test]
    fn truncates_at_word_boundary() {
        assert_eq!(truncate_chars("short", 10), "short");
        assert_eq!(truncate_chars("one two three four", 10), "one two…");
    }
}
