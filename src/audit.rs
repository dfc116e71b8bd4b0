//! The citation audit: uncited claims (sentences stating a statistic or a health effect in a
//! passage with no citation), unlisted sources, unused references and dangling links (references
//! whose page snapshot is missing), all read from the index's [`Catalog`].

use std::path::Path;

use crate::corpus::CorpusError;
use crate::link::{is_references_section, CitedPassage, Scope};
use crate::passage::Kind;
use crate::references::Reference;
use crate::refs::{Catalog, UnlistedSource};

/// An audit needs a guide: a publishing gate pointed at the wrong directory must not pass as
/// clean. `corpus` is the directory named in the error.
pub fn check_auditable(catalog: &Catalog, corpus: &Path) -> Result<(), CorpusError> {
    if !catalog
        .passages
        .iter()
        .any(|p| p.passage.kind == Kind::Guide)
    {
        return Err(CorpusError::NoGuide {
            dir: corpus.to_path_buf(),
        });
    }
    Ok(())
}

/// A sentence that states a fact but cites nothing.
#[derive(Debug, Clone)]
pub struct UncitedClaim<'a> {
    pub passage: &'a CitedPassage,
    pub sentence: String,
    /// What makes it a claim: "percentage", "N of M", "duration", "research", "effect".
    pub reasons: Vec<&'static str>,
    /// References cited elsewhere in its section (a hint where the source may be).
    pub section_cites: Vec<String>,
}

/// A reference no guide passage (outside the References section) cites.
#[derive(Debug, Clone)]
pub struct UnusedReference<'a> {
    pub reference: &'a Reference,
    /// Whether the References section lists it all the same.
    pub described: bool,
}

/// A reference whose page snapshot is missing from the corpus.
#[derive(Debug, Clone)]
pub struct DanglingLink<'a> {
    pub reference: &'a Reference,
    /// Guide passages that cite it.
    pub citing: usize,
}

/// Everything the audit found.
#[derive(Debug, Clone)]
pub struct AuditReport<'a> {
    pub uncited: Vec<UncitedClaim<'a>>,
    pub unlisted: Vec<UnlistedSource<'a>>,
    pub unused: Vec<UnusedReference<'a>>,
    pub dangling: Vec<DanglingLink<'a>>,
}

impl AuditReport<'_> {
    pub fn is_clean(&self) -> bool {
        self.uncited.is_empty()
            && self.unlisted.is_empty()
            && self.unused.is_empty()
            && self.dangling.is_empty()
    }
}

/// Audit the guide passages and references of a catalogue.
pub fn audit(catalog: &Catalog) -> AuditReport<'_> {
    let mut uncited = Vec::new();
    for p in catalog.guide() {
        if is_references_section(&p.passage.section) {
            continue;
        }
        let cited = p.citations.iter().any(|c| c.scope == Scope::Passage) || !p.unlisted.is_empty();
        if cited {
            continue;
        }
        for sentence in sentences(&p.passage.text) {
            let reasons = claim_reasons(&sentence);
            if reasons.is_empty() {
                continue;
            }
            uncited.push(UncitedClaim {
                passage: p,
                sentence,
                reasons,
                section_cites: p
                    .citations
                    .iter()
                    .filter(|c| c.scope == Scope::Section)
                    .map(|c| c.id.clone())
                    .collect(),
            });
        }
    }
    let entries = catalog.entries();
    let unused = entries
        .iter()
        .filter(|e| e.citing == 0)
        .map(|e| UnusedReference {
            reference: e.reference,
            described: e.described,
        })
        .collect();
    let dangling = entries
        .iter()
        .filter(|e| !e.snapshot)
        .map(|e| DanglingLink {
            reference: e.reference,
            citing: e.citing,
        })
        .collect();
    AuditReport {
        uncited,
        unlisted: catalog.unlisted(),
        unused,
        dangling,
    }
}

/// Split text into sentences at `.`, `!` or `?` followed by a space and a capital, digit or
/// quote, and at line breaks (list items). Abbreviations like "e.g." stay inside.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let mut start = 0;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if matches!(c, '.' | '!' | '?')
                && chars.get(i + 1).is_some_and(|n| n.is_whitespace())
                && chars
                    .get(i + 2)
                    .is_some_and(|n| n.is_uppercase() || n.is_ascii_digit() || *n == '"')
                && !is_abbreviation(&chars[start..i])
            {
                push_sentence(&mut out, &chars[start..=i]);
                start = i + 1;
            }
            i += 1;
        }
        push_sentence(&mut out, &chars[start.min(chars.len())..]);
    }
    out
}

fn push_sentence(out: &mut Vec<String>, chars: &[char]) {
    let s: String = chars.iter().collect();
    let s = s.trim().trim_start_matches(['•', '-', '*']).trim();
    if !s.is_empty() {
        out.push(s.to_string());
    }
}

fn is_abbreviation(before: &[char]) -> bool {
    let word: String = before
        .iter()
        .rev()
        .take_while(|c| !c.is_whitespace())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let w = word.to_lowercase();
    matches!(
        w.as_str(),
        "e.g" | "i.e" | "dr" | "mr" | "mrs" | "ms" | "vs" | "etc" | "al" | "st" | "no" | "fig"
    ) || (w.len() == 1 && w.chars().all(char::is_alphabetic))
}

/// Units that make a number a duration.
const DURATION_UNITS: &[&str] = &[
    "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks",
    "month", "months", "year", "years",
];
/// Phrases that appeal to research.
const RESEARCH_WORDS: &[&str] = &[
    "study",
    "studies",
    "research",
    "researchers",
    "evidence",
    "trial",
    "trials",
    "scientists",
    "proven",
    "clinically",
    "statistics",
    "survey",
];
/// Verbs that state a health effect.
const EFFECT_WORDS: &[&str] = &[
    "reduce",
    "reduces",
    "reducing",
    "reduced",
    "increase",
    "increases",
    "increasing",
    "increased",
    "improve",
    "improves",
    "improving",
    "lowers",
    "lowering",
    "raises",
    "prevent",
    "prevents",
    "preventing",
    "cause",
    "causes",
    "causing",
    "relieve",
    "relieves",
    "decrease",
    "decreases",
    "worsen",
    "worsens",
    "restores",
    "cures",
    "cure",
    "heal",
    "heals",
    "leads",
    "constricts",
    "disrupting",
    "disrupts",
];
/// First words of instructions ("Hold for 30 seconds") whose durations are not claims.
const IMPERATIVES: &[&str] = &[
    "apply",
    "hold",
    "repeat",
    "lie",
    "lying",
    "start",
    "use",
    "try",
    "switch",
    "sip",
    "aim",
    "give",
    "lift",
    "tighten",
    "inhale",
    "exhale",
    "flow",
    "incorporate",
    "take",
    "keep",
    "protect",
    "look",
    "consider",
    "stop",
    "listen",
    "sit",
    "bend",
    "avoid",
    "do",
    "go",
    "contact",
    "read",
    "see",
    "check",
    "for",
    "after",
    "from",
    "on",
    "improve",
    "manage",
    "strengthen",
    "stay",
];
/// Openings that make the rest of a sentence advice, like an imperative ("The key is to start
/// slowly…").
const ADVICE_OPENINGS: &[&[&str]] = &[
    &["the", "key", "is", "to"],
    &["the", "trick", "is", "to"],
    &["the", "goal", "is", "to"],
    &["it's", "important", "to"],
    &["it", "is", "important", "to"],
    &["make", "sure", "to"],
    &["be", "sure", "to"],
    &["remember", "to"],
];
/// Openings of sentences about the document itself ("This guide has provided a roadmap…"),
/// which summarise what it says rather than claim anything new.
const SELF_REFERENCES: &[&[&str]] = &[
    &["this", "guide"],
    &["this", "article"],
    &["this", "post"],
    &["this", "page"],
    &["in", "this", "guide"],
    &["in", "this", "article"],
    &["we've", "covered"],
    &["we", "have", "covered"],
];
/// Words before "cause(s)" that make it a noun ("identify the root cause of…"); a noun cause
/// is a claim only when the sentence says what it is ("The primary cause is…").
const NOUN_MARKERS: &[&str] = &[
    "the",
    "a",
    "root",
    "underlying",
    "its",
    "their",
    "primary",
    "main",
    "common",
    "other",
    "possible",
    "likely",
];
/// Verbs after a noun "cause(s)" that state what the cause is.
const COPULAS: &[&str] = &["is", "are", "was", "were", "include", "includes"];
const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "half",
];

/// Why a sentence reads as a factual claim that needs a source (empty: it does not).
pub fn claim_reasons(sentence: &str) -> Vec<&'static str> {
    let lower = sentence.to_lowercase().replace('’', "'");
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '%' || c == '-' || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .collect();
    if SELF_REFERENCES.iter().any(|o| words.starts_with(o)) {
        return Vec::new();
    }
    let is_number =
        |w: &str| w.chars().next().is_some_and(|c| c.is_ascii_digit()) || NUMBER_WORDS.contains(&w);
    let mut reasons = Vec::new();
    if words
        .iter()
        .any(|w| (w.ends_with('%') && w.len() > 1) || *w == "percent")
    {
        reasons.push("percentage");
    }
    if words.windows(3).any(|w| {
        is_number(w[0]) && matches!(w[1], "of" | "in") && (is_number(w[2]) || w[2] == "every")
    }) || words
        .windows(4)
        .any(|w| is_number(w[0]) && w[1] == "out" && w[2] == "of" && is_number(w[3]))
    {
        reasons.push("N of M");
    }
    let imperative = words.first().is_some_and(|w| IMPERATIVES.contains(w))
        || ADVICE_OPENINGS.iter().any(|o| words.starts_with(o));
    if !imperative
        && words.windows(2).any(|w| {
            (is_number(w[0]) || w[0] == "few" || w[0] == "several")
                && DURATION_UNITS.contains(&w[1])
        })
    {
        reasons.push("duration");
    }
    if words.iter().any(|w| RESEARCH_WORDS.contains(w)) {
        reasons.push("research");
    }
    // An effect verb, not a capitalised word of a title ("Lower Back Pain 101: Causes &
    // Relief"); in an instruction only as its purpose ("Apply ice … to reduce swelling").
    let original: Vec<&str> = sentence
        .split(|c: char| !(c.is_alphanumeric() || c == '%' || c == '-' || c == '\'' || c == '’'))
        .map(|w| w.trim_matches(['\'', '’']))
        .filter(|w| !w.is_empty())
        .collect();
    let noun_cause = |i: usize| {
        matches!(words[i], "cause" | "causes")
            && i > 0
            && NOUN_MARKERS.contains(&words[i - 1])
            && !words.get(i + 1).is_some_and(|n| COPULAS.contains(n))
    };
    let effect = words.iter().enumerate().any(|(i, w)| {
        EFFECT_WORDS.contains(w)
            && !noun_cause(i)
            && (i == 0
                || !original
                    .get(i)
                    .is_some_and(|o| o.starts_with(char::is_uppercase)))
            && (!imperative || (i > 0 && words[i - 1] == "to"))
    });
    if effect && !sentence.trim_end().ends_with('?') {
        reasons.push("effect");
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sentences_but_not_abbreviations() {
        assert_eq!(
            sentences("With around 80% of Americans affected. A spasm hurts! E.g. this stays, e.g. Here too.\n• Pain lasting over a week."),
            [
                "With around 80% of Americans affected.",
                "A spasm hurts!",
                "E.g. this stays, e.g. Here too.",
                "Pain lasting over a week."
            ]
        );
        assert!(sentences("").is_empty());
    }

    #[test]
    fn statistics_and_effects_are_claims() {
        let r = claim_reasons(
            "With around 80% of Americans experiencing back pain at some point in their lives, spasms are a common culprit.",
        );
        assert_eq!(r, ["percentage"]);
        assert!(claim_reasons("One in five adults has it.").contains(&"N of M"));
        assert!(claim_reasons("3 out of 4 runners cramp.").contains(&"N of M"));
        assert!(claim_reasons("Chronic spasms last for more than 12 weeks.").contains(&"duration"));
        assert!(claim_reasons("Studies show that stretching helps.").contains(&"research"));
        assert!(claim_reasons("Heat increases blood flow.").contains(&"effect"));
    }

    #[test]
    fn instructions_and_plain_sentences_are_not_claims() {
        assert!(claim_reasons("Hold for 30-60 seconds, breathing deeply.").is_empty());
        assert!(claim_reasons("Listen to your body.").is_empty());
        assert!(claim_reasons("You deserve to move through life without pain.").is_empty());
        assert!(claim_reasons("So what causes these unwelcome visitors?").is_empty());
        assert!(
            claim_reasons("Our guide on Lower Back Pain 101: Causes & Relief helps.").is_empty()
        );
        assert!(
            claim_reasons("Tighten your abdominal muscles to press your lower back.").is_empty()
        );
        assert_eq!(
            claim_reasons("Apply ice packs for the first 48-72 hours to reduce inflammation"),
            ["effect"]
        );
        assert!(claim_reasons(
            "The key is to start slowly and listen to your body, avoiding any position that worsens the pain."
        )
        .is_empty());
        assert_eq!(
            claim_reasons("The key is to rest, which is proven to help."),
            ["research"]
        );
        assert!(claim_reasons(
            "This guide has provided a roadmap to back spasm relief, covering causes, immediate solutions, and long-term prevention."
        )
        .is_empty());
        assert!(claim_reasons("We’ve covered how spasms reduce mobility.").is_empty());
        assert!(claim_reasons(
            "If at-home efforts aren't enough, professional support can identify the root cause of chronic spasms."
        )
        .is_empty());
    }

    #[test]
    fn a_noun_cause_is_a_claim_when_the_sentence_says_what_it_is() {
        assert_eq!(
            claim_reasons("The primary cause is muscle strain from lifting."),
            ["effect"]
        );
        assert_eq!(
            claim_reasons("Other common causes include poor posture."),
            ["effect"]
        );
        assert_eq!(claim_reasons("Stress can cause spasms."), ["effect"]);
    }
}
