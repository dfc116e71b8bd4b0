//! Text rules shared by the citation styles: sentence case that keeps acronyms and the
//! record's own proper names, and the closing full stop.

/// Append a full stop unless the text already ends with terminal punctuation.
pub(super) fn end_sentence(s: &str) -> String {
    let t = s.trim_end();
    if t.ends_with(['.', '?', '!']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

/// A simple capitalised word part: `Word` (one upper-case letter followed by lower-case letters).
fn is_simple_capitalised(part: &str) -> bool {
    let mut chars = part.chars();
    match chars.next() {
        Some(c) if c.is_uppercase() => chars.all(|c| c.is_lowercase()),
        _ => false,
    }
}

/// Does the title look like Title Case (every longer word capitalised)?
fn looks_title_case(title: &str) -> bool {
    let words: Vec<&str> = title
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().count() >= 4 && w.chars().all(char::is_alphabetic))
        .collect();
    words.len() >= 2
        && words
            .iter()
            .all(|w| w.chars().next().is_some_and(char::is_uppercase))
}

fn capitalise_first(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut done = false;
    for c in word.chars() {
        if !done && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            done = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// APA sentence case. The first word and the first word after `:`, `.`, `?`, `!` or a dash are
/// capitalised; all-caps words (acronyms) and mixed-case words (`McLean`, `mRNA`, `F1000Research`)
/// are kept. Other words are lower-cased only when the title is written in Title Case; a title
/// already in sentence case keeps its proper nouns. (Proper nouns in Title Case titles cannot be
/// told apart from ordinary words and are lower-cased.)
pub fn sentence_case(title: &str) -> String {
    let title_case = looks_title_case(title);
    let mut out = String::with_capacity(title.len());
    let mut capitalise_next = true;
    for (i, word) in title.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let converted: Vec<String> = word
            .split('-')
            .enumerate()
            .map(|(j, part)| {
                let core = part.trim_matches(|c: char| !c.is_alphanumeric());
                let lower_ok = title_case
                    && is_simple_capitalised(core)
                    && (core.chars().count() > 1 || core == "A");
                if capitalise_next && j == 0 {
                    capitalise_first(part)
                } else if lower_ok {
                    part.to_lowercase()
                } else {
                    part.to_string()
                }
            })
            .collect();
        out.push_str(&converted.join("-"));
        if word.chars().any(char::is_alphanumeric) {
            capitalise_next = false;
        }
        if word.ends_with([':', '.', '?', '!', '—', '–']) || word == "-" {
            capitalise_next = true;
        }
    }
    out
}

pub(super) fn is_connector(w: &str) -> bool {
    matches!(w, "of" | "the" | "and" | "for" | "&")
}

/// Put proper names back in their own capitalisation after sentence casing lowered them.
///
/// Matches are found character by character in the title itself, never at offsets taken from
/// a lower-cased copy: case mapping can change a text's length (`İ` lower-cases to two
/// characters, `ẞ` to a shorter one), so such offsets need not be character boundaries.
pub(super) fn restore_names(title: &str, names: &[String]) -> String {
    let mut out = title.to_string();
    for name in names {
        if name.is_empty() {
            continue;
        }
        let mut from = 0;
        while let Some((at, end)) = find_ignoring_case(&out, name, from) {
            out.replace_range(at..end, name);
            from = at + name.len();
        }
    }
    out
}

/// The byte range of the first match of `needle` in `hay` at or after byte `from` (a character
/// boundary), comparing characters by their lower-case forms.
fn find_ignoring_case(hay: &str, needle: &str, from: usize) -> Option<(usize, usize)> {
    let same = |a: char, b: char| a == b || a.to_lowercase().eq(b.to_lowercase());
    let rest = hay.get(from..)?;
    for (i, _) in rest.char_indices() {
        let mut hay_chars = rest[i..].char_indices();
        let mut end = i;
        let matched = needle.chars().all(|n| match hay_chars.next() {
            Some((j, h)) if same(h, n) => {
                end = i + j + h.len_utf8();
                true
            }
            _ => false,
        });
        if matched {
            return Some((from + i, from + end));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_case_rules() {
        assert_eq!(
            sentence_case("Effects of MRI Use: A Review of NSAIDs and Low-Back Pain"),
            "Effects of MRI use: A review of NSAIDs and low-back pain"
        );
        assert_eq!(
            sentence_case("mechanisms of pain in Italy: a review"),
            "Mechanisms of pain in Italy: A review"
        );
        assert_eq!(
            sentence_case("Vitamin D and the McLean Scale"),
            "Vitamin D and the McLean scale"
        );
        assert_eq!(sentence_case(""), "");
    }
}
