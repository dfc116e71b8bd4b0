//! Questions: which words of a query that asks something ("how long should I ice my back?")
//! only make it a question, and so weigh less.

use super::query::{Clause, Occurrence, ParsedQuery};

/// Weight of a question word ("how", "should", …) in a query that asks a question.
pub(crate) const QUESTION_WEIGHT: f32 = 0.2;

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
/// [`QUESTION_WORDS`], or one of [`AFTER_HOW`] right after "how". ([`super::build_query`] weighs
/// none less when they are all the query searches for.)
pub(crate) fn question_words(query: &str, parsed: &ParsedQuery) -> Vec<bool> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passage::Kind;
    use crate::search::query::parse_query;
    use crate::search::test_index::{index_of, plain, request};

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
}
