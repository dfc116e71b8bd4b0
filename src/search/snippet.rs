//! Snippets: the part of a passage's text shown for a hit, with character-offset highlights
//! of the matched words, and the word-boundary truncation the other outputs share.

use tantivy::snippet::SnippetGenerator;

/// Longest snippet, in characters.
pub const SNIPPET_CHARS: usize = 240;

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

    #[test]
    fn truncates_at_word_boundary() {
        assert_eq!(truncate_chars("short", 10), "short");
        assert_eq!(truncate_chars("one two three four", 10), "one two…");
    }
}
