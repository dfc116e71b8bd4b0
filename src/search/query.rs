//! The query language: words, quoted phrases, `+required` and `-excluded` clauses, `NOT`,
//! and "a vs b" comparisons, parsed from what a person typed (never failing).

/// Longest query accepted, in characters; the rest is ignored.
const MAX_QUERY_CHARS: usize = 2000;

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
    fn an_over_long_query_is_named_not_cut_silently() {
        assert_eq!(cut_query_note(&"a".repeat(MAX_QUERY_CHARS)), None);
        let note = cut_query_note(&"é".repeat(MAX_QUERY_CHARS + 1)).unwrap();
        assert!(
            note.contains("2001 characters") && note.contains("first 2000"),
            "{note}"
        );
    }
}
