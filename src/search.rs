//! Search: query understanding (natural language, quoted phrases, `+must`, `-exclude`,
//! "a vs b" comparisons), DFR (In_expB2) ranking over passages with field boosts, re-ranking, and
//! highlighted snippets → [`Hit`]s.

use std::cell::RefCell;
use std::sync::Arc;

use rayon::prelude::*;
use tantivy::collector::TopDocs;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::TermInfo;
use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::query::{EnableScoring, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{
    DocAddress, DocId, DocSet, InvertedIndexReader, Searcher, SegmentReader, TantivyDocument, Term,
    TERMINATED,
};

use crate::analysis::analyzer;
use crate::index::{Fields, OpenIndex};
use crate::lexicon::{Lexicon, SegmentTerms};
use crate::link::CitedPassage;
use crate::passage::Kind;
use crate::synonyms::Synonyms;

/// The DFR model's length normalisation ("normalisation 2", Terrier's default `c`): a term
/// frequency `tf` in a field of length `len` counts as `tf · log2(1 + c · avg_len / len)`.
pub const DFR_C: f32 = 1.0;
/// Field weights: a heading that names the topic counts more than a word in the body.
const BODY_BOOST: f32 = 1.0;
const SECTION_BOOST: f32 = 1.6;
const TITLE_BOOST: f32 = 0.6;
const ALT_BOOST: f32 = 0.4;
const PHRASE_BOOST: f32 = 1.5;
/// Extra weight for passages that mention both sides of "a vs b".
const COMPARE_BOOST: f32 = 2.0;
/// References are evidence: their passages rank below guide passages that match as well.
const REFERENCE_FACTOR: f32 = 0.45;
/// The coverage factor of a passage with none of the query's terms (it has all: 1.0); in
/// between, it grows with the share of the query's IDF mass the passage has.
const COVERAGE_FLOOR: f32 = 0.3;
/// Weight of an index word standing in for a query word with no exact match (a typo's
/// correction): below the word itself, had it been typed right.
const CORRECTION_WEIGHT: f32 = 0.5;
/// Weight of a synonym from the corpus's synonym file, relative to the word it expands.
const SYNONYM_WEIGHT: f32 = 0.5;
/// Weight of a question word ("how", "should", …) in a query that asks a question.
const QUESTION_WEIGHT: f32 = 0.2;
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
        "the query has no searchable word ({0}): very common words, single letters, \
         punctuation and emoji are not indexed; add a more specific word"
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
    /// Rank by meaning too (hybrid or semantic); lexical when `None`.
    pub semantic: Option<crate::hybrid::SemanticQuery>,
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

/// The warning for a query longer than [`MAX_QUERY_CHARS`], whose rest is not searched.
pub fn cut_query_note(query: &str) -> Option<String> {
    let chars = query.chars().count();
    (chars > MAX_QUERY_CHARS).then(|| {
        format!(
            "the query is {chars} characters long; only its first {MAX_QUERY_CHARS} are searched"
        )
    })
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
    analyze_words(text)
        .into_iter()
        .map(|w| (w.position, w.text))
        .collect()
}

/// An analysed word: its position, its token, and the bytes of the text it came from.
#[derive(Debug, Clone)]
struct Word {
    position: usize,
    text: String,
    from: usize,
    to: usize,
}

fn analyze_words(text: &str) -> Vec<Word> {
    thread_local! {
        // Building the analyzer (its stop-word set) costs more than analysing a query.
        static ANALYZER: RefCell<TextAnalyzer> = RefCell::new(analyzer());
    }
    ANALYZER.with_borrow_mut(|a| {
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(Word {
                position: t.position,
                text: t.text.clone(),
                from: t.offset_from,
                to: t.offset_to,
            });
        }
        out
    })
}

/// The analysed words of a query's text: the first form at each position (where the analyzer
/// gives two, as for "MRIs", the index has both and the first, the singular, finds both).
pub fn query_words(text: &str) -> Vec<(usize, String)> {
    first_forms(analyze_words(text))
        .into_iter()
        .map(|w| (w.position, w.text))
        .collect()
}

fn first_forms(mut words: Vec<Word>) -> Vec<Word> {
    words.dedup_by_key(|w| w.position);
    words
}

/// A parsed and analysed query, ready for [`ranked_addresses`].
pub struct BuiltQuery {
    body: Field,
    /// Distinct analysed terms the user asked for (for coverage; question words are not).
    pub terms: Vec<String>,
    /// For each of `terms`, the token sequences of its synonyms (each counts as the term).
    pub alternatives: Vec<Vec<Vec<String>>>,
    /// Corrections and expansions made to the query.
    pub understood: Understanding,
    plan: Plan,
}

impl BuiltQuery {
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

impl BuiltQuery {
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
        let text_fields = [fields.body, fields.section, fields.title, fields.alt];
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

/// A query as citeseek's own scorer runs it: DFR In_expB2 (see [`in_exp_b2_weight`]) summed
/// over the text fields with their weights, phrase scores from tantivy, the clause logic of a
/// boolean query, and filters.
struct Plan {
    clauses: Vec<PlanClause>,
    /// Pairs of clause indices (into `clauses`) both of which matching earns [`COMPARE_BOOST`].
    compare: Vec<(usize, usize)>,
    /// Queries a hit must match (kind, cites); their scores are ignored.
    filters: Vec<Box<dyn Query>>,
}

struct PlanClause {
    occur: Occurrence,
    /// Analysed tokens, each scored in every text field; a clause matches if any does.
    tokens: Vec<PlanToken>,
    /// Phrase queries (with their boosts) that score and match for the clause.
    phrases: Vec<Box<dyn Query>>,
    /// How many of `phrases`, from the first, are the query's own; synonyms' follow.
    own_phrases: usize,
}

/// A token a clause scores.
struct PlanToken {
    text: String,
    /// Its weight: 1 for a word of the query, less for a question word, a typo's correction
    /// or a synonym.
    weight: f32,
    /// The query term (one of [`BuiltQuery::terms`]) a passage with this token has, for
    /// coverage, when the token is not a term itself (a synonym).
    covers: Option<String>,
}

impl PlanToken {
    fn new(text: &str, weight: f32, covers: Option<&str>) -> PlanToken {
        PlanToken {
            text: text.to_string(),
            weight,
            covers: covers.map(str::to_string),
        }
    }
}

fn term_query(field: Field, token: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, token),
        IndexRecordOption::WithFreqs,
    ))
}

/// A phrase of at least two `(position, token)` pairs in `field`, positions relative to the
/// first.
fn phrase_query(field: Field, tokens: &[(usize, String)]) -> Box<dyn Query> {
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
fn clause_plan(
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

/// Words that make a query a question when it starts with one.
const QUESTION_STARTS: &[&str] = &[
    "how", "what", "when", "why", "where", "which", "who", "whom", "whose", "should", "shall",
    "can", "could", "would", "do", "does", "did", "is", "are", "am", "was", "were",
];
/// Words a question weighs less: the interrogative and auxiliary words above, and the asker.
const QUESTION_WORDS: &[&str] = &["i", "me", "my", "we", "our", "you", "your"];
/// Words that belong to a "how" before them ("how long", "how much").
const AFTER_HOW: &[&str] = &["long", "much", "many", "often", "soon"];

/// For each clause, whether it is a question word of a question (a query that ends with `?`
/// or starts with a word of [`QUESTION_STARTS`]): a plain word of [`QUESTION_STARTS`] or
/// [`QUESTION_WORDS`], or one of [`AFTER_HOW`] right after "how". ([`build_query`] weighs
/// none less when they are all the query searches for.)
fn question_words(query: &str, parsed: &ParsedQuery) -> Vec<bool> {
    let bare = |c: &Clause| {
        c.text
            .trim_matches(|ch: char| !ch.is_alphanumeric())
            .to_lowercase()
    };
    let mut out = vec![false; parsed.clauses.len()];
    let asks = query.trim_end().ends_with('?')
        || parsed
            .clauses
            .first()
            .is_some_and(|c| QUESTION_STARTS.contains(&bare(c).as_str()));
    if !asks {
        return out;
    }
    let words: Vec<String> = parsed.clauses.iter().map(bare).collect();
    for (i, c) in parsed.clauses.iter().enumerate() {
        let w = words[i].as_str();
        let after_how = i > 0 && words[i - 1] == "how" && AFTER_HOW.contains(&w);
        out[i] = c.occur == Occurrence::Should
            && !c.phrase
            && (QUESTION_STARTS.contains(&w) || QUESTION_WORDS.contains(&w) || after_how);
    }
    out
}

/// Build the query for a request: each clause analysed once into the form
/// [`ranked_addresses`] scores, question words weighed less, the synonyms of its words and
/// phrases added, and words no passage has replaced by their nearest index word.
pub fn build_query(
    searcher: &Searcher,
    f: &Fields,
    req: &SearchRequest,
    synonyms: &Synonyms,
    lexicon: &Lexicon,
) -> Result<BuiltQuery, QueryError> {
    let parsed = parse_query(&req.query);
    if parsed.clauses.is_empty() {
        return Err(QueryError::Empty);
    }
    let mut asks = question_words(&req.query, &parsed);
    let analysed: Vec<Vec<Word>> = parsed
        .clauses
        .iter()
        .map(|c| first_forms(analyze_words(&c.text)))
        .collect();
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
        body: f.body,
        alternatives: vec![Vec::new(); terms.len()],
        terms,
        understood: Understanding::default(),
        plan,
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
                None => dictionaries.insert(Dictionaries::of(searcher, f, lexicon)?),
            };
            let Some(fix) = correction(dictionaries, f, &w.text)? else {
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

/// Add the synonyms of the query's words and phrases: a word (or quoted phrase, or split
/// word) that is an entry of the synonym file gets the other entries of its group as
/// alternatives at [`SYNONYM_WEIGHT`]; a run of plain words that is one ("cold compress")
/// gets a clause of its own with them. Returns which clauses were expanded.
fn expand(
    built: &mut BuiltQuery,
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
        let others: Vec<&crate::synonyms::Entry> = synonyms
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

impl BuiltQuery {
    /// Search the index word `fix` instead of `typo` in plan clause `clause`, at
    /// [`CORRECTION_WEIGHT`], and count it for coverage in the typo's place.
    fn correct(&mut self, clause: usize, typo: &str, fix: &str) {
        if let Some(pc) = self.plan.clauses.get_mut(clause) {
            for t in pc.tokens.iter_mut().filter(|t| t.text == typo) {
                t.text = fix.to_string();
                t.weight *= CORRECTION_WEIGHT;
            }
        }
        if let Some(k) = self.terms.iter().position(|t| t == typo) {
            if self.terms.iter().any(|t| t == fix) {
                self.terms.remove(k);
                self.alternatives.remove(k);
            } else {
                self.terms[k] = fix.to_string();
            }
        }
    }
}

/// The index term to search instead of `token` when no passage has it in any text field: the
/// term of the passage text within edit distance 1 (tokens of 5 to 8 characters) or 2 (9 or
/// more) that starts with the same letter, nearer first, then the one most passages have,
/// found with tantivy's Levenshtein automaton over each segment's term dictionary (an FST).
/// `None` for numbers, tokens of 4 characters or fewer, and tokens the index has.
fn correction(
    dictionaries: &mut Dictionaries,
    f: &Fields,
    token: &str,
) -> Result<Option<String>, QueryError> {
    if !correctable(token) {
        return Ok(None);
    }
    for segment in &dictionaries.segments {
        let grouped = segment.grouped.as_ref();
        if grouped.is_some_and(|g| g.contains(token)) {
            return Ok(None);
        }
        for (field, index) in &segment.fields {
            if grouped.is_some() && *field == f.body {
                continue;
            }
            let term = Term::from_field_text(*field, token);
            if index
                .get_term_info(&term)
                .map_err(tantivy::TantivyError::from)?
                .is_some()
            {
                return Ok(None);
            }
        }
    }
    let len = token.chars().count();
    let max_distance = if len >= 9 { 2 } else { 1 };
    // The first letter is taken to be right, as spelling correctors usually do: the search
    // then walks one letter's part of the dictionary, not all of it.
    let first = token.chars().next().map_or(0, char::len_utf8);
    let from = token.as_bytes()[..first].to_vec();
    let mut to = from.clone();
    if let Some(last) = to.last_mut() {
        *last = last.saturating_add(1);
    }
    // One walk at the largest distance, of the passage text's dictionary (headings and titles
    // seldom have a word the text lacks); each candidate's own distance ranks it.
    let mut automaton = None;
    let mut found: std::collections::BTreeMap<String, u64> = Default::default();
    let lexicon = dictionaries.lexicon;
    for segment in &mut dictionaries.segments {
        let Some((_, index)) = segment.fields.iter().find(|(field, _)| *field == f.body) else {
            continue;
        };
        if segment.grouped.is_none() {
            segment.grouped = lexicon
                .walked(segment.id, index)
                .map_err(tantivy::TantivyError::from)?;
        }
        // The same candidates, from the segment's terms grouped by first letter and length.
        if let Some(grouped) = &segment.grouped {
            grouped.near(token, usize::from(max_distance), &mut |term, df| {
                *found.entry(term.to_string()).or_default() += u64::from(df);
            });
            continue;
        }
        let automaton = match &automaton {
            Some(a) => a,
            None => automaton.insert(
                FuzzyTermQuery::new(Term::from_field_text(f.body, token), max_distance, true)
                    .automaton()?,
            ),
        };
        let mut terms = index
            .terms()
            .search(automaton)
            .ge(&from)
            .lt(&to)
            .into_stream()
            .map_err(tantivy::TantivyError::from)?;
        while terms.advance() {
            if let Ok(t) = std::str::from_utf8(terms.key()) {
                *found.entry(t.to_string()).or_default() += u64::from(terms.value().doc_freq);
            }
        }
    }
    // The nearest (transpositions count one edit, as in the automaton), then the one most
    // passages have, then the first in order.
    let best = found
        .into_iter()
        .map(|(term, df)| {
            (
                strsim::osa_distance(token, &term),
                std::cmp::Reverse(df),
                term,
            )
        })
        .min();
    Ok(best.map(|(_, _, term)| term))
}

/// Whether a query token may be corrected: more than 4 characters, no digit.
fn correctable(token: &str) -> bool {
    token.chars().nth(4).is_some() && !token.chars().any(char::is_numeric)
}

/// The text fields' term dictionaries of each segment, looked up once per query, with the
/// segment's grouped passage text terms when the index has built them.
struct Dictionaries<'a> {
    segments: Vec<SegmentDictionaries>,
    lexicon: &'a Lexicon,
}

struct SegmentDictionaries {
    id: tantivy::index::SegmentId,
    fields: Vec<(Field, Arc<InvertedIndexReader>)>,
    grouped: Option<Arc<SegmentTerms>>,
}

impl<'a> Dictionaries<'a> {
    fn of(
        searcher: &Searcher,
        f: &Fields,
        lexicon: &'a Lexicon,
    ) -> Result<Dictionaries<'a>, QueryError> {
        let mut segments = Vec::new();
        for segment in searcher.segment_readers() {
            let mut fields = Vec::new();
            for field in [f.body, f.section, f.title, f.alt] {
                if let Some(index) = field_index(segment, field)? {
                    fields.push((field, index));
                }
            }
            segments.push(SegmentDictionaries {
                id: segment.segment_id(),
                fields,
                grouped: lexicon.grouped(segment.segment_id()),
            });
        }
        Ok(Dictionaries { segments, lexicon })
    }
}

/// Hits and what was made of the query.
#[derive(Debug, Clone)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    pub understood: Understanding,
    /// How the hits were ranked (lexical when the index has no vectors of the query's model).
    pub mode: crate::hybrid::RankMode,
}

/// Run a search and return ranked, highlighted hits, and what was made of the query.
pub fn search(
    index: &OpenIndex,
    req: &SearchRequest,
    synonyms: &Synonyms,
) -> Result<SearchResults, QueryError> {
    let searcher = index.reader.searcher();
    let mut built = build_query(&searcher, &index.fields, req, synonyms, &index.lexicon)?;
    let limit = req.limit.max(1);
    let (mode, ranked) = ranked_by_mode(index, &searcher, &built, req, limit)?;
    let candidates = read_passages(&searcher, &index.fields, &ranked)?;
    let hits = highlighted(index, &searcher, &built, candidates, 1)?;
    let understood = understood(&searcher, &index.fields, req, &mut built)?;
    Ok(SearchResults {
        hits,
        understood,
        mode,
    })
}

/// The best `limit` passages in the request's mode, and the mode used: lexical without a
/// semantic query, or when the index has no vectors of its model.
fn ranked_by_mode(
    index: &OpenIndex,
    searcher: &Searcher,
    built: &BuiltQuery,
    req: &SearchRequest,
    limit: usize,
) -> Result<(crate::hybrid::RankMode, Vec<(f32, DocAddress)>), QueryError> {
    use crate::hybrid::{self, SemanticQuery};
    match SemanticQuery::resolve(req.semantic.as_ref(), index.vectors.as_ref()) {
        (mode, Some(semantic)) => {
            let ranked = hybrid::rank(searcher, &index.fields, built, mode, Some(semantic), limit)?;
            Ok((
                mode,
                ranked.into_iter().map(|r| (r.score, r.addr)).collect(),
            ))
        }
        (mode, None) => Ok((
            mode,
            ranked_addresses(searcher, &index.fields, built, limit)?,
        )),
    }
}

/// A page of hits and how many passages match in all.
#[derive(Debug, Clone)]
pub struct Page {
    /// Ranks `offset + 1` on, at most `limit`.
    pub hits: Vec<Hit>,
    /// Passages matching the query and its filters.
    pub total: usize,
    /// What was made of the query (corrections, expansions), as [`search`] reports it.
    pub understood: Understanding,
    /// How the hits were ranked.
    pub mode: crate::hybrid::RankMode,
}

/// [`search`] from the `offset`-th hit on, with the number of matching passages.
///
/// Every matching passage is ranked (the count must be exact), but only the page's stored
/// passages are read and highlighted.
pub fn search_page(
    index: &OpenIndex,
    req: &SearchRequest,
    offset: usize,
    synonyms: &Synonyms,
) -> Result<Page, QueryError> {
    let searcher = index.reader.searcher();
    let mut built = build_query(&searcher, &index.fields, req, synonyms, &index.lexicon)?;
    let all = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
    let (mode, ranked) = ranked_by_mode(index, &searcher, &built, req, all)?;
    let total = ranked.len();
    let window: Vec<(f32, DocAddress)> = ranked
        .into_iter()
        .skip(offset)
        .take(req.limit.max(1))
        .collect();
    let candidates = read_passages(&searcher, &index.fields, &window)?;
    let hits = highlighted(index, &searcher, &built, candidates, offset + 1)?;
    let understood = understood(&searcher, &index.fields, req, &mut built)?;
    Ok(Page {
        hits,
        total,
        understood,
        mode,
    })
}

/// Ranked passages with their snippets and highlights, numbered from `first_rank`.
fn highlighted(
    index: &OpenIndex,
    searcher: &Searcher,
    built: &BuiltQuery,
    candidates: Vec<(f32, CitedPassage)>,
    first_rank: usize,
) -> Result<Vec<Hit>, QueryError> {
    let mut snippets =
        SnippetGenerator::create(searcher, &*built.snippet_query(), index.fields.body)?;
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

/// What was made of the query, with each correction spelled as the corpus spells it and the
/// "did you mean" suggestion.
fn understood(
    searcher: &Searcher,
    fields: &Fields,
    req: &SearchRequest,
    built: &mut BuiltQuery,
) -> Result<Understanding, QueryError> {
    let mut understood = std::mem::take(&mut built.understood);
    for c in &mut understood.corrected {
        c.to = spelled(searcher, fields, &c.term)?;
    }
    understood.suggestion = suggestion(&req.query, &understood.corrected);
    Ok(understood)
}

/// How the corpus spells the index term `term`: among the words of the first passages with it
/// whose token it is, the term itself if it is one, else the shortest (lower-cased); the term
/// when there is none.
fn spelled(searcher: &Searcher, fields: &Fields, term: &str) -> Result<String, QueryError> {
    let query = TermQuery::new(
        Term::from_field_text(fields.body, term),
        IndexRecordOption::Basic,
    );
    let top = searcher.search(&query, &TopDocs::with_limit(10).order_by_score())?;
    let mut best: Option<String> = None;
    for (_, addr) in top {
        let Some(p) = stored_passage(searcher, fields, addr)? else {
            continue;
        };
        let text = &p.passage.text;
        for w in analyze_words(text).into_iter().filter(|w| w.text == term) {
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

/// The ranking `search`, `cite` and `eval` share: the best passages for a built query as
/// `(score, address)`, best first, at most `limit`.
///
/// Every matching passage is scored, not only a top slice:
/// * the DFR In_expB2 score ([`in_exp_b2_weight`], [`tf_normalisation`]) of each query word
///   in each text field, with the field weights, summed (a word the query repeats counts again, as in
///   a boolean query);
/// * phrase scores (quoted phrases, split words such as "cat-cow") from tantivy;
/// * [`COMPARE_BOOST`] for passages that match both sides of "a vs b";
/// * times [`REFERENCE_FACTOR`] for reference passages (guide text ranks first);
/// * times the coverage factor: from [`COVERAGE_FLOOR`] for a passage with none of the
///   query's words to 1.0 for one with all, by the share of the query's IDF mass it has (a
///   passage with the rare words of a long claim beats one repeating its common words).
///
/// Hits follow boolean-query rules: every `+required` clause and filter, no `-excluded` one,
/// and otherwise at least one matching clause. Scores accumulate in one array per segment,
/// read straight from the postings: no stored documents and no re-analysis, so benchmark
/// runs are fast. The segments of a large index are scored in parallel, each keeping its own
/// best `limit`, and merged.
pub fn ranked_addresses(
    searcher: &Searcher,
    fields: &Fields,
    built: &BuiltQuery,
    limit: usize,
) -> Result<Vec<(f32, DocAddress)>, QueryError> {
    rank(searcher, fields, built, limit, PARALLEL_MIN_PASSAGES)
}

/// [`ranked_addresses`], scoring the segments in parallel when the index has at least
/// `parallel_from` passages (and more than one segment).
fn rank(
    searcher: &Searcher,
    fields: &Fields,
    built: &BuiltQuery,
    limit: usize,
    parallel_from: usize,
) -> Result<Vec<(f32, DocAddress)>, QueryError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let plan = &built.plan;
    let segments = searcher.segment_readers();
    let num_docs = searcher.num_docs().max(1) as f32;
    let idf = |df: u64| (1.0 + (num_docs - df as f32 + 0.5) / (df as f32 + 0.5)).ln();

    // Text fields some passage uses: (field, weight, average length), and each segment's
    // inverted index of each. They are looked up once: tantivy does not cache the index of a
    // field a segment has no terms for, and builds a fresh empty dictionary on every call.
    let mut text_fields: Vec<(Field, f32, f32)> = Vec::new();
    let mut readers: Vec<Vec<Option<Arc<InvertedIndexReader>>>> = vec![Vec::new(); segments.len()];
    for (field, boost) in [
        (fields.body, BODY_BOOST),
        (fields.section, SECTION_BOOST),
        (fields.title, TITLE_BOOST),
        (fields.alt, ALT_BOOST),
    ] {
        let per_segment: Vec<Option<Arc<InvertedIndexReader>>> = segments
            .iter()
            .map(|s| field_index(s, field))
            .collect::<Result<_, _>>()?;
        let total: u64 = per_segment
            .iter()
            .flatten()
            .map(|r| r.total_num_tokens())
            .sum();
        if total > 0 {
            text_fields.push((field, boost, total as f32 / num_docs));
            for (r, reader) in readers.iter_mut().zip(per_segment) {
                r.push(reader);
            }
        }
    }

    // Clauses whose matches must be known per passage, and those whose scores must.
    let has_must = plan.clauses.iter().any(|c| c.occur == Occurrence::Must);
    let compared: Vec<bool> = (0..plan.clauses.len())
        .map(|i| plan.compare.iter().any(|&(a, b)| a == i || b == i))
        .collect();
    let tracked: Vec<bool> = plan
        .clauses
        .iter()
        .zip(&compared)
        .map(|(c, &cmp)| c.occur != Occurrence::Should || cmp)
        .collect();

    // Distinct scored tokens, with the clauses using them.
    let mut tokens: Vec<ScoredToken> = Vec::new();
    for (c, clause) in plan.clauses.iter().enumerate() {
        for t in &clause.tokens {
            let i = match tokens.iter().position(|x| x.text == t.text) {
                Some(i) => i,
                None => {
                    let bit = |term: &str| built.terms.iter().position(|x| x == term);
                    tokens.push(ScoredToken {
                        text: t.text.as_str(),
                        weight: 0.0,
                        tracked: Vec::new(),
                        cover_bit: bit(&t.text).or_else(|| t.covers.as_deref().and_then(bit)),
                    });
                    tokens.len() - 1
                }
            };
            if clause.occur != Occurrence::MustNot {
                tokens[i].weight += t.weight;
            }
            if tracked[c] && !tokens[i].tracked.contains(&c) {
                tokens[i].tracked.push(c);
            }
        }
    }
    // Tokens that count as one term (a word and its synonyms) are scored one after another,
    // so a passage's coverage counts the term once (see `score_segment`).
    tokens.sort_by_key(|t| t.cover_bit);
    // Term infos per segment, token and field (one dictionary lookup each), and the document
    // frequencies over all segments.
    let mut infos: Vec<Vec<Vec<Option<TermInfo>>>> = Vec::with_capacity(segments.len());
    let mut df = vec![vec![0u64; text_fields.len()]; tokens.len()];
    for segment_readers in &readers {
        let mut per_token = Vec::with_capacity(tokens.len());
        for (j, token) in tokens.iter().enumerate() {
            let mut per_field = Vec::with_capacity(text_fields.len());
            for (i, &(field, _, _)) in text_fields.iter().enumerate() {
                let info = match &segment_readers[i] {
                    Some(reader) => reader
                        .get_term_info(&Term::from_field_text(field, token.text))
                        .map_err(tantivy::TantivyError::from)?,
                    None => None,
                };
                df[j][i] += info.as_ref().map_or(0, |t| u64::from(t.doc_freq));
                per_field.push(info);
            }
            per_token.push(per_field);
        }
        infos.push(per_token);
    }
    // Coverage: the body IDF of each query term.
    let body = text_fields.iter().position(|f| f.0 == fields.body);
    let mut cover_idf = Vec::with_capacity(built.terms.len());
    for t in &built.terms {
        let d = match (tokens.iter().position(|x| x.text == *t), body) {
            (Some(j), Some(b)) => df[j][b],
            _ => searcher.doc_freq(&Term::from_field_text(fields.body, t))?,
        };
        cover_idf.push(idf(d));
    }
    let cover_total: f32 = cover_idf.iter().sum();
    let use_coverage = built.terms.len() >= 2 && cover_total > 0.0;

    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let phrase_weights: Vec<Vec<Box<dyn Weight>>> = plan
        .clauses
        .iter()
        .map(|c| c.phrases.iter().map(|q| q.weight(scoring)).collect())
        .collect::<Result<_, _>>()?;
    let filter_weights: Vec<Box<dyn Weight>> = plan
        .filters
        .iter()
        .map(|q| q.weight(EnableScoring::disabled_from_searcher(searcher)))
        .collect::<Result<_, _>>()?;

    // The length part of each text field, for each of tantivy's 256 encoded lengths.
    let tfn_of: Vec<[f32; 256]> = text_fields
        .iter()
        .map(|&(_, _, avg_len)| tf_normalisation(avg_len))
        .collect();
    // The model weighs a term by its collection frequency (occurrences in all passages, not
    // only the number of passages that have it), which tantivy does not store: one pass over
    // the query terms' postings counts it (per segment, on all cores for a large index).
    let total_docs: usize = segments.iter().map(|s| s.max_doc() as usize).sum();
    let parallel = segments.len() > 1 && total_docs >= parallel_from;
    let count = |ord: usize| -> Result<Vec<Vec<u64>>, QueryError> {
        let mut cf = vec![vec![0u64; text_fields.len()]; tokens.len()];
        for (j, per_field) in cf.iter_mut().enumerate() {
            for (i, total) in per_field.iter_mut().enumerate() {
                let (Some(info), Some(reader)) = (&infos[ord][j][i], &readers[ord][i]) else {
                    continue;
                };
                let mut postings = reader
                    .read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)
                    .map_err(tantivy::TantivyError::from)?;
                while !postings.docs().is_empty() {
                    *total += postings.freqs().iter().map(|&f| u64::from(f)).sum::<u64>();
                    postings.advance();
                }
            }
        }
        Ok(cf)
    };
    let per_segment_cf: Vec<Vec<Vec<u64>>> = if parallel {
        (0..segments.len())
            .into_par_iter()
            .map(count)
            .collect::<Result<_, _>>()?
    } else {
        (0..segments.len()).map(count).collect::<Result<_, _>>()?
    };
    let term_weights: Vec<Vec<f32>> = (0..tokens.len())
        .map(|j| {
            (0..text_fields.len())
                .map(|i| {
                    let cf: u64 = per_segment_cf.iter().map(|s| s[j][i]).sum();
                    in_exp_b2_weight(num_docs, df[j][i], cf) * text_fields[i].1
                })
                .collect()
        })
        .collect();
    let prepared = Prepared {
        plan,
        kind: fields.kind,
        limit,
        keep_at_most: limit.saturating_mul(2).max(64),
        has_must,
        text_fields,
        readers,
        infos,
        tokens,
        term_weights,
        once_of: tfn_of
            .iter()
            .map(|table| table.map(|tfn| tfn / (tfn + 1.0)))
            .collect(),
        tfn_of,
        cover_idf,
        use_coverage,
        coverage_scale: (1.0 - COVERAGE_FLOOR) / cover_total.max(f32::MIN_POSITIVE),
        tracked,
        compared,
        phrase_weights,
        filter_weights,
    };
    // A large index's segments are scored on all cores; a small one's on this thread alone
    // (`eval`'s single-segment index included: its speed is measured on one thread).
    let per_segment: Vec<Vec<(f32, DocAddress)>> = if parallel {
        segments
            .par_iter()
            .enumerate()
            .map(|(ord, segment)| score_segment(&prepared, ord, segment))
            .collect::<Result<_, _>>()?
    } else {
        segments
            .iter()
            .enumerate()
            .map(|(ord, segment)| score_segment(&prepared, ord, segment))
            .collect::<Result<_, _>>()?
    };
    let mut out: Vec<(f32, DocAddress)> = per_segment.into_iter().flatten().collect();
    if out.len() > limit {
        out.select_nth_unstable_by(limit - 1, best_first);
        out.truncate(limit);
    }
    out.sort_by(best_first);
    Ok(out)
}

/// What scoring one segment needs from [`ranked_addresses`]: the query's plan, tokens and
/// term infos per segment, field weights and length norms, coverage and clause bookkeeping.
struct Prepared<'a> {
    plan: &'a Plan,
    kind: Field,
    limit: usize,
    keep_at_most: usize,
    has_must: bool,
    /// Text fields some passage uses: (field, weight, average length).
    text_fields: Vec<(Field, f32, f32)>,
    /// `[segment][field]`: the segment's inverted index of the field.
    readers: Vec<Vec<Option<Arc<InvertedIndexReader>>>>,
    /// `[segment][token][field]`.
    infos: Vec<Vec<Vec<Option<TermInfo>>>>,
    tokens: Vec<ScoredToken<'a>>,
    /// `[token][field]`: the In_expB2 weight × field weight.
    term_weights: Vec<Vec<f32>>,
    /// The length normalisation of each text field, for each of tantivy's 256 encoded lengths.
    tfn_of: Vec<[f32; 256]>,
    /// `tfn / (tfn + 1)` for a term frequency of one, likewise.
    once_of: Vec<[f32; 256]>,
    cover_idf: Vec<f32>,
    use_coverage: bool,
    coverage_scale: f32,
    /// Clauses whose matches must be known per passage, and those whose scores must.
    tracked: Vec<bool>,
    compared: Vec<bool>,
    phrase_weights: Vec<Vec<Box<dyn Weight>>>,
    filter_weights: Vec<Box<dyn Weight>>,
}

/// Best first; equal scores in index order, so runs are repeatable.
fn best_first(a: &(f32, DocAddress), b: &(f32, DocAddress)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1))
}

/// One segment's best `limit` passages: every posting of every query word scored into
/// per-passage arrays, then the clause logic, filters, reference factor and coverage.
fn score_segment(
    p: &Prepared,
    ord: usize,
    segment: &SegmentReader,
) -> Result<Vec<(f32, DocAddress)>, QueryError> {
    let mut threshold = f32::NEG_INFINITY;
    let mut out: Vec<(f32, DocAddress)> = Vec::with_capacity(p.keep_at_most);
    // Per-passage arrays are reused from query to query (a fresh million-entry allocation per
    // query costs more in page faults than the scoring itself), one set per thread.
    let max_doc = segment.max_doc() as usize;
    if max_doc == 0 {
        return Ok(out);
    }
    let mut scratch = SCRATCH.with(|c| c.take());
    let Scratch {
        acc,
        matched,
        clause_score,
        allowed,
        hit,
    } = &mut scratch;
    // Each passage's score and coverage (the IDF sum of the query terms it has, each counted
    // once: the last word that added to it is remembered, and a word's fields are scored
    // together), side by side, so that scoring a posting touches one cache line.
    let acc = zeroed(acc, max_doc, Acc::default());
    matched.resize_with(p.tracked.len().max(matched.len()), Vec::new);
    clause_score.resize_with(p.compared.len().max(clause_score.len()), Vec::new);
    let matched: Vec<&mut [bool]> = matched
        .iter_mut()
        .zip(&p.tracked)
        .map(|(v, &t)| zeroed(v, if t { max_doc } else { 0 }, false))
        .collect();
    let mut matched = matched;
    let clause_score: Vec<&mut [f32]> = clause_score
        .iter_mut()
        .zip(&p.compared)
        .map(|(v, &t)| zeroed(v, if t { max_doc } else { 0 }, 0f32))
        .collect();
    let mut clause_score = clause_score;

    for (j, token) in p.tokens.iter().enumerate() {
        let cover_bit = token.cover_bit.filter(|_| p.use_coverage);
        // The term a passage last covered: tokens of one term come one after another, and
        // terms are fewer than `MAX_QUERY_CHARS`, so their numbers fit.
        let mark = cover_bit.map_or(0, |b| u32::try_from(b + 1).unwrap_or(u32::MAX));
        for (i, &(field, _, _)) in p.text_fields.iter().enumerate() {
            let Some(info) = &p.infos[ord][j][i] else {
                continue;
            };
            let Some(reader) = &p.readers[ord][i] else {
                continue;
            };
            let mut postings = reader
                .read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)
                .map_err(tantivy::TantivyError::from)?;
            let norms = segment.get_fieldnorms_reader(field)?;
            let w = p.term_weights[j][i];
            let (table, once) = (&p.tfn_of[i], &p.once_of[i]);
            while !postings.docs().is_empty() {
                for (&doc, &tf) in postings.docs().iter().zip(postings.freqs()) {
                    let d = doc as usize;
                    let id = usize::from(norms.fieldnorm_id(doc));
                    // Most words occur once in a passage: their saturation is a table lookup.
                    let saturation = if tf == 1 {
                        once[id]
                    } else {
                        let tfn = tf as f32 * table[id];
                        tfn / (tfn + 1.0)
                    };
                    let s = w * saturation;
                    let a = &mut acc[d];
                    a.score += token.weight * s;
                    if let Some(bit) = cover_bit {
                        if a.last_word != mark {
                            a.last_word = mark;
                            a.covered += p.cover_idf[bit];
                        }
                    }
                    for &c in &token.tracked {
                        matched[c][d] = true;
                        if p.compared[c] {
                            clause_score[c][d] += s;
                        }
                    }
                }
                postings.advance();
            }
        }
    }
    for (c, weights) in p.phrase_weights.iter().enumerate() {
        let positive = p.plan.clauses[c].occur != Occurrence::MustNot;
        for weight in weights {
            let mut scorer = weight.scorer(segment, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                let d = doc as usize;
                if positive {
                    let s = scorer.score();
                    acc[d].score += s;
                    if p.compared[c] {
                        clause_score[c][d] += s;
                    }
                }
                if p.tracked[c] {
                    matched[c][d] = true;
                }
                doc = scorer.advance();
            }
        }
    }
    for &(a, b) in &p.plan.compare {
        for d in 0..max_doc {
            if matched[a][d] && matched[b][d] {
                acc[d].score += COMPARE_BOOST * (clause_score[a][d] + clause_score[b][d]);
            }
        }
    }

    // Which passages are hits: every filter and required clause, no excluded one.
    let restricted = !p.filter_weights.is_empty()
        || p.plan.clauses.iter().any(|c| c.occur != Occurrence::Should)
        || segment.alive_bitset().is_some();
    let allowed = zeroed(allowed, if restricted { max_doc } else { 0 }, true);
    for weight in &p.filter_weights {
        let hit = zeroed(hit, max_doc, false);
        let mut scorer = weight.scorer(segment, 1.0)?;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            hit[doc as usize] = true;
            doc = scorer.advance();
        }
        for (a, h) in allowed.iter_mut().zip(hit.iter()) {
            *a &= *h;
        }
    }
    for (c, clause) in p.plan.clauses.iter().enumerate() {
        let required = match clause.occur {
            Occurrence::Must => true,
            Occurrence::MustNot => false,
            Occurrence::Should => continue,
        };
        for (a, &m) in allowed.iter_mut().zip(matched[c].iter()) {
            *a &= m == required;
        }
    }
    if let Some(alive) = segment.alive_bitset() {
        for (d, a) in allowed.iter_mut().enumerate() {
            *a &= !alive.is_deleted(d as DocId);
        }
    }
    // Reference passages score less (one factor for all when all passages are of one
    // kind).
    let references = reference_bits(segment, p.kind)?;
    let all_factor = match references {
        ReferenceBits::All => REFERENCE_FACTOR,
        _ => 1.0,
    };
    let reference = match &references {
        ReferenceBits::Some(bits) => Some(bits),
        _ => None,
    };

    // Passages in runs of `RUN`: once the cut-off is known, a run whose best score cannot
    // reach it is passed over whole (most are).
    const RUN: usize = 64;
    let mut keep = |s: f32, d: usize, threshold: &mut f32| {
        out.push((s, DocAddress::new(ord as u32, d as DocId)));
        // Keep the best `p.limit` now and then; later passages must beat the worst of them.
        if out.len() >= p.keep_at_most {
            out.select_nth_unstable_by(p.limit - 1, best_first);
            out.truncate(p.limit);
            *threshold = out[p.limit - 1].0;
        }
    };
    if !restricted && !p.has_must {
        // The common case (no required, excluded or filtered clause): each run's final scores
        // in one branch-free pass, then only runs that can enter.
        let mut finals = [0f32; RUN];
        for (r, run) in acc.chunks(RUN).enumerate() {
            let mut best = 0f32;
            for (k, (f, a)) in finals.iter_mut().zip(run).enumerate() {
                let kind_factor = match reference {
                    Some(bits) if bits.contains((r * RUN + k) as DocId) => REFERENCE_FACTOR,
                    _ => 1.0,
                };
                let coverage = if p.use_coverage {
                    COVERAGE_FLOOR + a.covered * p.coverage_scale
                } else {
                    1.0
                };
                *f = a.score * all_factor * kind_factor * coverage;
                best = if *f > best { *f } else { best };
            }
            if best <= 0.0 || best < threshold {
                continue;
            }
            for (k, &s) in finals[..run.len()].iter().enumerate() {
                // A hit must score on some clause.
                if s > 0.0 && s >= threshold {
                    keep(s, r * RUN + k, &mut threshold);
                }
            }
        }
        SCRATCH.with(|c| c.replace(scratch));
        return Ok(out);
    }
    // Otherwise the other factors are at most one: a run's best raw score bounds it.
    for (r, run) in acc.chunks(RUN).enumerate() {
        let best = run
            .iter()
            .fold(0f32, |m, a| if a.score > m { a.score } else { m });
        if best * all_factor * (1.0 + 1e-6) < threshold {
            continue;
        }
        for (k, a) in run.iter().enumerate() {
            let (sum, covered) = (a.score, a.covered);
            let d = r * RUN + k;
            // Without required clauses a hit must score on some clause.
            if (!p.has_must && sum <= 0.0) || (restricted && !allowed[d]) {
                continue;
            }
            let mut s = sum * all_factor;
            if s * (1.0 + 1e-6) < threshold {
                continue;
            }
            if reference.is_some_and(|r| r.contains(d as DocId)) {
                s *= REFERENCE_FACTOR;
            }
            if p.use_coverage {
                s *= COVERAGE_FLOOR + covered * p.coverage_scale;
            }
            if s < threshold {
                continue;
            }
            keep(s, d, &mut threshold);
        }
    }
    SCRATCH.with(|c| c.replace(scratch));
    Ok(out)
}

/// The term weight of DFR In_expB2 (Amati and van Rijsbergen; Terrier's `In_expB2`) for a
/// term in `df` of `num_docs` passages with `cf` occurrences in all: the informative content of
/// the term under the expected document frequency `n_e = N · (1 − (1 − 1/N)^F)`,
/// `log2((N + 1) / (n_e + 0.5))`, times the first normalisation's Bernoulli factor
/// `(F + 1) / df`. A passage's score for the term is this weight times `tfn / (tfn + 1)`, with
/// `tfn` from [`tf_normalisation`]. Terms that come in bursts (many occurrences in the
/// passages that have them) weigh more than terms of the same document frequency spread thin.
fn in_exp_b2_weight(num_docs: f32, df: u64, cf: u64) -> f32 {
    let n = f64::from(num_docs.max(1.0));
    let df = df.max(1) as f64;
    let cf = (cf as f64).max(df);
    let expected_df = n * (1.0 - (1.0 - 1.0 / n).powf(cf));
    ((cf + 1.0) / df * ((n + 1.0) / (expected_df + 0.5)).log2()) as f32
}

/// DFR normalisation 2 for a field of average length `avg_len`: for each of tantivy's 256
/// encoded field lengths, the factor `log2(1 + c · avg_len / len)` that turns a term frequency
/// into a length-normalised one (with `c` = [`DFR_C`]). Remembered per thread for the last
/// few average lengths (a table costs 256 logarithms, a fair share of a short query).
fn tf_normalisation(avg_len: f32) -> [f32; 256] {
    thread_local! {
        static TABLES: RefCell<Vec<(u32, [f32; 256])>> = const { RefCell::new(Vec::new()) };
    }
    TABLES.with_borrow_mut(|cache| {
        if let Some((_, t)) = cache.iter().find(|(k, _)| *k == avg_len.to_bits()) {
            return *t;
        }
        let mut t = [0f32; 256];
        for (id, n) in t.iter_mut().enumerate() {
            let len = (FieldNormReader::id_to_fieldnorm(id as u8) as f32).max(1.0);
            *n = (DFR_C * avg_len / len).ln_1p() / std::f32::consts::LN_2;
        }
        if cache.len() >= 8 {
            cache.remove(0);
        }
        cache.push((avg_len.to_bits(), t));
        t
    })
}

/// A segment's inverted index of `field`, or `None` when the segment has no terms in it.
///
/// tantivy caches the index of a field only when it has terms, and builds a fresh empty
/// dictionary (a megabyte of allocations) on every lookup of a field without any; which
/// segments lack which field is remembered here for the life of the process.
fn field_index(
    segment: &tantivy::SegmentReader,
    field: Field,
) -> tantivy::Result<Option<Arc<InvertedIndexReader>>> {
    type Key = (tantivy::index::SegmentId, Field);
    static EMPTY: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<Key>>> =
        std::sync::OnceLock::new();
    let empty = EMPTY.get_or_init(Default::default);
    let key = (segment.segment_id(), field);
    if empty.lock().map(|e| e.contains(&key)).unwrap_or(false) {
        return Ok(None);
    }
    let reader = segment.inverted_index(field)?;
    if reader.terms().num_terms() == 0 {
        if let Ok(mut e) = empty.lock() {
            e.insert(key);
        }
        return Ok(None);
    }
    Ok(Some(reader))
}

/// Per-passage arrays of [`ranked_addresses`], kept between queries on the same thread.
#[derive(Default)]
struct Scratch {
    acc: Vec<Acc>,

    matched: Vec<Vec<bool>>,
    clause_score: Vec<Vec<f32>>,
    allowed: Vec<bool>,
    hit: Vec<bool>,
}

/// One passage's running totals in [`score_segment`].
#[derive(Clone, Copy, Default)]
struct Acc {
    score: f32,
    covered: f32,
    last_word: u32,
}

/// Which passages of a segment are reference passages.
pub enum ReferenceBits {
    None,
    All,
    Some(Arc<DocBits>),
}

impl ReferenceBits {
    /// Whether passage `d` of the segment is a reference passage.
    pub fn contains(&self, d: DocId) -> bool {
        match self {
            ReferenceBits::None => false,
            ReferenceBits::All => true,
            ReferenceBits::Some(bits) => bits.contains(d),
        }
    }
}

/// A set of passages of one segment, one bit each.
pub struct DocBits(Vec<u64>);

impl DocBits {
    fn contains(&self, d: DocId) -> bool {
        self.0
            .get(d as usize / 64)
            .is_some_and(|w| w & (1u64 << (d % 64)) != 0)
    }
}

/// The reference passages of a segment, read from its `kind` postings once per process.
pub fn reference_bits(segment: &SegmentReader, kind: Field) -> Result<ReferenceBits, QueryError> {
    type Cache = std::collections::HashMap<tantivy::index::SegmentId, Arc<DocBits>>;
    static CACHE: std::sync::OnceLock<std::sync::Mutex<Cache>> = std::sync::OnceLock::new();
    let kinds = segment.inverted_index(kind)?;
    let term = Term::from_field_text(kind, Kind::Reference.as_str());
    let Some(info) = kinds
        .get_term_info(&term)
        .map_err(tantivy::TantivyError::from)?
    else {
        return Ok(ReferenceBits::None);
    };
    if info.doc_freq >= segment.max_doc() {
        return Ok(ReferenceBits::All);
    }
    let cache = CACHE.get_or_init(Default::default);
    let id = segment.segment_id();
    if let Some(bits) = cache.lock().ok().and_then(|c| c.get(&id).cloned()) {
        return Ok(ReferenceBits::Some(bits));
    }
    let mut bits = vec![0u64; (segment.max_doc() as usize).div_ceil(64)];
    let mut postings = kinds
        .read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)
        .map_err(tantivy::TantivyError::from)?;
    while !postings.docs().is_empty() {
        for &doc in postings.docs() {
            if let Some(w) = bits.get_mut(doc as usize / 64) {
                *w |= 1u64 << (doc % 64);
            }
        }
        postings.advance();
    }
    let bits = Arc::new(DocBits(bits));
    if let Ok(mut c) = cache.lock() {
        // Segments come and go as the index is updated; a long `watch` must not hoard them.
        if c.len() >= 256 {
            c.clear();
        }
        c.insert(id, bits.clone());
    }
    Ok(ReferenceBits::Some(bits))
}

/// Indexes of at least this many passages in several segments are scored on all cores.
const PARALLEL_MIN_PASSAGES: usize = 100_000;

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// `v` as `n` copies of `value`, reusing its allocation.
fn zeroed<T: Copy>(v: &mut Vec<T>, n: usize, value: T) -> &mut [T] {
    v.clear();
    v.resize(n, value);
    v.as_mut_slice()
}

/// A distinct analysed token of a query, as the scorer uses it.
struct ScoredToken<'a> {
    text: &'a str,
    /// How many non-excluded clauses score it.
    weight: f32,
    /// Clauses (indices into the plan) that contain it and whose matches are tracked.
    tracked: Vec<usize>,
    /// Its position in [`BuiltQuery::terms`], for coverage.
    cover_bit: Option<usize>,
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

/// The stored passages at ranked addresses, in order (a passage that cannot be read is left
/// out).
fn read_passages(
    searcher: &Searcher,
    fields: &Fields,
    top: &[(f32, DocAddress)],
) -> Result<Vec<(f32, CitedPassage)>, QueryError> {
    // Each stored passage costs a block decompression: in a large index several are read at
    // once (in a small one, starting the thread pool would cost more).
    let read =
        |&(score, addr): &(f32, DocAddress)| -> Result<Option<(f32, CitedPassage)>, QueryError> {
            Ok(stored_passage(searcher, fields, addr)?.map(|p| (score, p)))
        };
    let large = searcher.num_docs() as usize >= PARALLEL_MIN_PASSAGES;
    let read: Vec<Option<(f32, CitedPassage)>> = if large && top.len() > 1 {
        top.par_iter().map(read).collect::<Result<_, _>>()?
    } else {
        top.iter().map(read).collect::<Result<_, _>>()?
    };
    Ok(read.into_iter().flatten().collect())
}

/// The stored passage at `addr` (`None` if its data does not parse).
pub fn stored_passage(
    searcher: &Searcher,
    fields: &Fields,
    addr: DocAddress,
) -> Result<Option<CitedPassage>, QueryError> {
    let doc: TantivyDocument = searcher.doc(addr)?;
    Ok(doc
        .get_first(fields.data)
        .and_then(|v| v.as_str())
        .and_then(|data| serde_json::from_str::<CitedPassage>(data).ok()))
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

    /// A small index of passages `(id, kind, title, body)`.
    fn index_of(passages: &[(&str, Kind, &str, &str)]) -> (tempfile::TempDir, OpenIndex) {
        use crate::index::{IndexDir, Marker, Stats};
        use crate::passage::Passage;
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path().join("index"));
        let cited: Vec<CitedPassage> = passages
            .iter()
            .map(|&(id, kind, title, text)| CitedPassage {
                passage: Passage {
                    id: id.into(),
                    kind,
                    doc: id.into(),
                    title: title.into(),
                    section: Vec::new(),
                    text: text.into(),
                    alt: String::new(),
                    path: "t".into(),
                    line: 1,
                    url: None,
                    links: Vec::new(),
                },
                citations: Vec::new(),
                unlisted: Vec::new(),
            })
            .collect();
        let marker = Marker {
            tool: "citeseek".into(),
            schema_version: crate::index::SCHEMA_VERSION,
            generation: String::new(),
            corpus: tmp.path().into(),
            built_unix_ms: 0,
            stats: Stats::default(),
            files: Vec::new(),
            reference_ids: Vec::new(),
            vectors: None,
            blocks: Default::default(),
        };
        let lock = dir.lock(std::time::Duration::from_secs(10)).unwrap();
        let write = dir.begin_full(&lock, false, 0).unwrap();
        write.add_all(&cited).unwrap();
        write
            .finish(
                &dir,
                &lock,
                &Default::default(),
                marker,
                &Default::default(),
            )
            .unwrap();
        let open = dir.open().unwrap();
        (tmp, open)
    }

    /// The query for `req` without synonyms.
    fn plain(index: &OpenIndex, req: &SearchRequest) -> BuiltQuery {
        build_query(
            &index.reader.searcher(),
            &index.fields,
            req,
            &Synonyms::default(),
            &index.lexicon,
        )
        .unwrap()
    }

    fn ids(index: &OpenIndex, query: &str, kind: Option<Kind>) -> Vec<String> {
        let req = SearchRequest {
            query: query.into(),
            limit: 10,
            kind,
            cites: None,
            semantic: None,
        };
        let built = plain(index, &req);
        ranked_candidates(&index.reader.searcher(), &index.fields, &built, 10)
            .unwrap()
            .into_iter()
            .map(|(_, p)| p.passage.id)
            .collect()
    }

    #[test]
    fn scorer_follows_boolean_rules_and_coverage() {
        let (_tmp, index) = index_of(&[
            ("a", Kind::Guide, "Heat", "Heat relaxes a back spasm."),
            ("b", Kind::Guide, "Ice", "Ice numbs pain and swelling."),
            (
                "c",
                Kind::Guide,
                "Trial",
                "Heat and ice compared in a trial of back pain.",
            ),
            ("d", Kind::Reference, "Study", "A study of heat."),
            ("e", Kind::Guide, "Other", "Nothing relevant here."),
        ]);
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        // Any word may match; having both words beats having one of them.
        let both = ids(&index, "heat ice", None);
        let rank = |id: &str| both.iter().position(|x| x == id);
        assert!(rank("c") < rank("a"), "{both:?}");
        assert_eq!(sorted(both.clone()), ["a", "b", "c", "d"]);
        // Required and excluded words; references rank below equal guide text.
        assert_eq!(ids(&index, "+heat ice", None), ["c", "a", "d"]);
        assert_eq!(ids(&index, "heat -ice", None), ["a", "d"]);
        // Filters.
        assert_eq!(
            sorted(ids(&index, "heat ice", Some(Kind::Guide))),
            ["a", "b", "c"]
        );
        assert_eq!(ids(&index, "heat ice", Some(Kind::Reference)), ["d"]);
        // Phrases need the words in order.
        assert_eq!(ids(&index, "\"back spasm\"", None), ["a"]);
        assert!(ids(&index, "\"spasm back\"", None).is_empty());
        // Nothing matching is no hit, not an error.
        assert!(ids(&index, "walrus", None).is_empty());
    }

    #[test]
    fn ranked_addresses_respects_the_limit_and_orders_by_score() {
        let (_tmp, index) = index_of(&[
            ("a", Kind::Guide, "Heat", "heat"),
            ("b", Kind::Guide, "Heat heat", "heat heat heat"),
            ("c", Kind::Guide, "Cold", "cold"),
        ]);
        let req = SearchRequest {
            query: "heat".into(),
            limit: 1,
            kind: None,
            cites: None,
            semantic: None,
        };
        let built = plain(&index, &req);
        let searcher = index.reader.searcher();
        let all = ranked_addresses(&searcher, &index.fields, &built, 10).unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[0].0 >= all[1].0);
        let one = ranked_addresses(&searcher, &index.fields, &built, 1).unwrap();
        assert_eq!(one, all[..1]);
        assert!(ranked_addresses(&searcher, &index.fields, &built, 0)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn in_exp_b2_weighs_rare_and_bursty_terms_more() {
        let n = 1000.0;
        // Rarer terms weigh more.
        assert!(in_exp_b2_weight(n, 10, 10) > in_exp_b2_weight(n, 100, 100));
        // At the same document frequency, a term repeated within its passages weighs more.
        assert!(in_exp_b2_weight(n, 10, 40) > in_exp_b2_weight(n, 10, 10));
        // A term in every passage still weighs something, and nothing is NaN or infinite.
        for (df, cf) in [(1000, 1000), (1000, 50_000), (1, 1), (0, 0)] {
            let w = in_exp_b2_weight(n, df, cf);
            assert!(w.is_finite() && w > 0.0, "df {df} cf {cf}: {w}");
        }
        assert!(in_exp_b2_weight(0.0, 0, 0).is_finite());
    }

    #[test]
    fn tf_normalisation_favours_short_fields() {
        let t = tf_normalisation(20.0);
        let at = |len: u32| t[usize::from(FieldNormReader::fieldnorm_to_id(len))];
        // At the average length the factor is log2(1 + c).
        assert!((at(20) - (1.0 + DFR_C).log2()).abs() < 1e-6);
        assert!(at(5) > at(20) && at(20) > at(200));
        assert!(t.iter().all(|v| v.is_finite() && *v > 0.0));
        // A cached table is the same table.
        assert_eq!(tf_normalisation(20.0), t);
    }

    fn request(query: &str, limit: usize) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            limit,
            kind: None,
            cites: None,
            semantic: None,
        }
    }

    #[test]
    fn parallel_and_sequential_scoring_agree_across_segments() {
        let (_tmp, index) = index_of(&[
            ("a", Kind::Guide, "Heat", "Heat therapy eases a back spasm."),
            (
                "b",
                Kind::Reference,
                "Ice",
                "Ice and heat compared for back pain.",
            ),
            (
                "c",
                Kind::Guide,
                "Stretching",
                "Gentle stretching after a spasm.",
            ),
        ]);
        // A second segment, with both kinds of passage in it.
        let more = index_of(&[
            (
                "d",
                Kind::Guide,
                "Heat or ice",
                "Use heat for a spasm, ice for a fresh injury.",
            ),
            (
                "e",
                Kind::Reference,
                "Heat wraps",
                "Heat wraps reduced back pain and spasm.",
            ),
            ("f", Kind::Guide, "Rest", "Short rest, then walking."),
        ]);
        let searcher = more.1.reader.searcher();
        // Opened for searching, the index is read-only: write through a writable handle.
        let writable = tantivy::Index::open_in_dir(&index.generation_dir).unwrap();
        crate::analysis::register_analyzers(&writable);
        let mut writer = writable.writer::<TantivyDocument>(15_000_000).unwrap();
        for segment in searcher.segment_readers() {
            for d in 0..segment.max_doc() {
                let doc: TantivyDocument = searcher.doc(DocAddress::new(0, d)).unwrap();
                let data = doc.get_first(index.fields.data).unwrap().as_str().unwrap();
                let cp: CitedPassage = serde_json::from_str(data).unwrap();
                writer
                    .add_document(crate::index::to_document(&index.fields, &cp))
                    .unwrap();
            }
        }
        writer.commit().unwrap();
        index.reader.reload().unwrap();
        let searcher = index.reader.searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        for query in [
            "heat",
            "heat ice spasm",
            "\"back spasm\"",
            "heat -ice",
            "+heat spasm",
        ] {
            for limit in [1, 2, 4, 10] {
                let built = plain(&index, &request(query, limit));
                let one = rank(&searcher, &index.fields, &built, limit, usize::MAX).unwrap();
                let all = rank(&searcher, &index.fields, &built, limit, 0).unwrap();
                assert!(!one.is_empty(), "{query}");
                assert_eq!(one, all, "{query} (limit {limit})");
            }
        }
        // Both segments answer.
        let built = plain(&index, &request("heat", 10));
        let hits = rank(&searcher, &index.fields, &built, 10, 0).unwrap();
        assert!(hits.iter().any(|h| h.1.segment_ord == 0));
        assert!(hits.iter().any(|h| h.1.segment_ord == 1));
    }

    #[test]
    fn question_words_count_only_in_questions_and_never_alone() {
        let flags = |q: &str| question_words(q, &parse_query(q));
        assert_eq!(
            flags("how long should I ice my back"),
            [true, true, true, true, false, true, false]
        );
        // A question mark makes a question too; "long" without "how" is a word.
        assert_eq!(flags("ice for long?"), [false, false, false]);
        assert_eq!(flags("is \"heat pad\" +better"), [true, false, false]);
        assert!(flags("how to ice my back")[0]);
        // Not a question: nothing is weighed less.
        assert_eq!(flags("ice my back"), [false, false, false]);
        // Nothing but question words: they are what the query searches for, at full weight.
        let (_tmp, index) = index_of(&[("a", Kind::Guide, "How", "How long it lasts.")]);
        for q in ["how long", "what is it -ice"] {
            let built = plain(&index, &request(q, 1));
            assert!(!built.terms.is_empty(), "{q}");
            assert!(built
                .plan
                .clauses
                .iter()
                .all(|c| c.tokens.iter().all(|t| t.weight == 1.0)));
        }
    }

    #[test]
    fn corrections_follow_the_length_and_distance_rules() {
        let (_tmp, index) = index_of(&[
            ("a", Kind::Guide, "Cream", "Menthol cream, chiropractors."),
            ("b", Kind::Guide, "Menthol", "Menthol again, and menthols."),
            ("c", Kind::Guide, "Numbers", "Code 12345 and the word spam."),
        ]);
        let searcher = index.reader.searcher();
        let lexicon = Lexicon::default();
        // Walking the dictionaries, then (after as many walks) with the grouped terms.
        for _ in 0..2 {
            let mut dictionaries = Dictionaries::of(&searcher, &index.fields, &lexicon).unwrap();
            let mut fix = |t: &str| correction(&mut dictionaries, &index.fields, t).unwrap();
            // One edit for 5 to 8 characters, two for 9 or more; the nearer wins.
            assert_eq!(fix("menthl").as_deref(), Some("menthol"));
            assert_eq!(fix("mentho").as_deref(), Some("menthol"));
            assert_eq!(fix("mnthl"), None);
            assert_eq!(fix("chiropract").as_deref(), Some("chiropractor"));
            // Words the index has, numbers and short words are never corrected.
            assert_eq!(fix("menthol"), None);
            assert_eq!(fix("12346"), None);
            assert_eq!(fix("spum"), None);
            assert_eq!(fix("walrus"), None);
            for _ in 0..crate::lexicon::GROUP_AFTER_WALKS {
                assert_eq!(fix("walrus"), None);
            }
        }
        let segment = searcher.segment_reader(0).segment_id();
        assert!(lexicon.grouped(segment).is_some());
    }

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

    #[test]
    fn synonyms_rank_and_cover_like_the_word_at_less_weight() {
        let (_tmp, index) = index_of(&[
            ("a", Kind::Guide, "Care", "A chiropractor for the back."),
            ("b", Kind::Guide, "Back", "Back, back and lower back."),
            ("c", Kind::Guide, "Care", "Chiropractic care for the back."),
        ]);
        let synonyms = Synonyms::parse("chiropractor, chiropractic, spinal manipulation");
        let searcher = index.reader.searcher();
        let run = |q: &str, s: &Synonyms| {
            let built =
                build_query(&searcher, &index.fields, &request(q, 10), s, &index.lexicon).unwrap();
            let top = ranked_candidates(&searcher, &index.fields, &built, 10).unwrap();
            (built, top)
        };
        let (built, top) = run("chiropractic back", &synonyms);
        let order: Vec<&str> = top.iter().map(|(_, p)| p.passage.id.as_str()).collect();
        // The word itself first, its synonym next, then the passage with neither.
        assert_eq!(order, ["c", "a", "b"]);
        assert_eq!(built.understood.expanded.len(), 1);
        assert_eq!(
            built.alternatives[0],
            [
                vec!["chiropractor".to_string()],
                vec!["spinal".into(), "manipul".into()]
            ]
        );
        // Without the synonym, the passage with more of "back" comes before it.
        let (_, without) = run("chiropractic back", &Synonyms::default());
        let order: Vec<&str> = without.iter().map(|(_, p)| p.passage.id.as_str()).collect();
        assert_eq!(order, ["c", "b", "a"]);
    }

    #[test]
    fn truncates_at_word_boundary() {
        assert_eq!(truncate_chars("short", 10), "short");
        assert_eq!(truncate_chars("one two three four", 10), "one two…");
    }

    #[test]
    fn an_over_long_query_is_named_not_cut_silently() {
        assert_eq!(cut_query_note(&"a".repeat(MAX_QUERY_CHARS)), None);
        let note = cut_query_note(&"é".repeat(MAX_QUERY_CHARS + 1)).unwrap();
        assert!(
            note.contains("2001 characters") && note.contains("first 2000"),
            "{note}"
        );
    }
}
