//! Plain-text extraction: paragraphs split on blank lines; short title-like lines that precede
//! a paragraph are headings; runs of `-`, `*`, `•` or `1.` lines are lists; bare URLs are links.

use url::Url;

use super::{bare_links, clean_text, Block, BlockKind, Document, PageMeta};

/// Longest line, in words, that can still be a heading.
const MAX_HEADING_WORDS: usize = 14;

/// Extract a plain-text document.
pub fn extract(source: &str, base_url: Option<&str>) -> Document {
    let base = base_url.and_then(|u| Url::parse(u).ok());
    let raw = raw_blocks(source);

    let mut blocks = Vec::new();
    let mut title = String::new();
    for (i, (lines, line)) in raw.iter().enumerate() {
        let joined = lines.join("\n");
        let is_last = i + 1 == raw.len();
        if lines.len() == 1 && !is_last && looks_like_heading(lines[0]) {
            let text = clean_text(lines[0]);
            if title.is_empty() && blocks.is_empty() {
                title = text.clone();
                blocks.push(Block::new(
                    BlockKind::Heading {
                        level: 1,
                        anchor: None,
                    },
                    text,
                    *line,
                ));
            } else if text != title || blocks.len() > 1 {
                blocks.push(Block::new(
                    BlockKind::Heading {
                        level: 2,
                        anchor: None,
                    },
                    text,
                    *line,
                ));
            }
            continue;
        }
        let (kind, text) = if lines.len() > 1 && lines.iter().all(|l| list_marker(l).is_some()) {
            let items: Vec<String> = lines
                .iter()
                .map(|l| clean_text(&l[list_marker(l).unwrap_or(0)..]))
                .collect();
            (BlockKind::List, items.join("\n"))
        } else {
            (BlockKind::Paragraph, clean_text(&joined))
        };
        if text.is_empty() {
            continue;
        }
        let mut block = Block::new(kind.clone(), text, *line);
        if kind == BlockKind::List {
            block.item_lines = (0..lines.len()).map(|i| line + i).collect();
        }
        block.links = bare_links(&joined, base.as_ref());
        blocks.push(block);
    }
    Document {
        title,
        url: None,
        blocks,
        meta: PageMeta::default(),
        ..Document::default()
    }
}

/// Split into runs of non-blank lines, each with the 1-based line where it starts.
fn raw_blocks(source: &str) -> Vec<(Vec<&str>, usize)> {
    let mut out: Vec<(Vec<&str>, usize)> = Vec::new();
    let mut current: Option<(Vec<&str>, usize)> = None;
    for (i, line) in source.lines().enumerate() {
        if line.trim().is_empty() {
            if let Some(c) = current.take() {
                out.push(c);
            }
        } else {
            current
                .get_or_insert_with(|| (Vec::new(), i + 1))
                .0
                .push(line.trim_end());
        }
    }
    out.extend(current);
    out
}

/// Byte length of a list marker (`- `, `* `, `• `, `12. `, `3) `) at the start of a line.
fn list_marker(line: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    for bullet in ["- ", "* ", "• ", "– "] {
        if trimmed.starts_with(bullet) {
            return Some(indent + bullet.len());
        }
    }
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && digits < 4 {
        let rest = &trimmed[digits..];
        if rest.starts_with(". ") || rest.starts_with(") ") {
            return Some(indent + digits + 2);
        }
    }
    None
}

/// A heading is a short line that starts with a capital and has no sentence-ending
/// punctuation; a question counts when it is written in Title Case.
fn looks_like_heading(line: &str) -> bool {
    let t = line.trim();
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.is_empty() || words.len() > MAX_HEADING_WORDS || list_marker(line).is_some() {
        return false;
    }
    if !t
        .chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
    {
        return false;
    }
    let capitalised = words
        .iter()
        .filter(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        })
        .count();
    match t.chars().last() {
        Some('.' | ',' | ';' | ':' | '"' | '”') => false,
        Some('?' | '!') => capitalised * 2 > words.len(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_headings_and_title() {
        let src = "My Guide\n\nMy Guide\n\nWhy It Matters\n\nFirst paragraph\nwraps here.\n\nThe good news?\n\nWhat Are Spasms?\n\nA spasm is a contraction.\n";
        let doc = extract(src, None);
        assert_eq!(doc.title, "My Guide");
        let got: Vec<_> = doc
            .blocks
            .iter()
            .map(|b| (b.kind.clone(), b.text.as_str(), b.line))
            .collect();
        let h = |level| BlockKind::Heading {
            level,
            anchor: None,
        };
        assert_eq!(
            got,
            [
                (h(1), "My Guide", 1),
                (h(2), "Why It Matters", 5),
                (BlockKind::Paragraph, "First paragraph wraps here.", 7),
                (BlockKind::Paragraph, "The good news?", 10),
                (h(2), "What Are Spasms?", 12),
                (BlockKind::Paragraph, "A spasm is a contraction.", 14),
            ]
        );
    }

    #[test]
    fn lists_and_lowercase_lines() {
        let src = "Intro:\n\n  1. Apply ice\n  2. Then heat\n\nshowing the muscles of the back\n\nText after.\n";
        let doc = extract(src, None);
        assert_eq!(doc.blocks[1].kind, BlockKind::List);
        assert_eq!(doc.blocks[1].text, "Apply ice\nThen heat");
        assert_eq!(doc.blocks[2].kind, BlockKind::Paragraph);
    }

    #[test]
    fn bare_urls_become_links() {
        let doc = extract("Intro.\n\nRead https://doi.org/10.1/abc today.\n", None);
        assert_eq!(doc.blocks[1].links[0].href, "https://doi.org/10.1/abc");
    }

    #[test]
    fn last_line_is_never_a_heading() {
        let doc = extract("Para one.\n\nClosing Words", None);
        assert_eq!(doc.blocks[1].kind, BlockKind::Paragraph);
    }
}
