//! Extraction: turns one source file (HTML, Markdown or plain text) into a [`Document`] of blocks.
//!
//! Every extractor produces the same shape: a title, an optional canonical URL, and an ordered
//! list of blocks (headings, paragraphs, lists, figure alt text), each with its 1-based source
//! line and the links it contains. Splitting into passages happens later, in `passage`.

pub mod html;
pub mod markdown;
pub mod repeat;
pub mod text;

use std::path::Path;

/// The format of a source file, decided by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Html,
    Markdown,
    Text,
}

impl Format {
    /// The format for a path's extension, or `None` for files citeseek does not read.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?;
        let is = |e: &str| ext.eq_ignore_ascii_case(e);
        if is("html") || is("htm") {
            Some(Format::Html)
        } else if is("md") || is("markdown") {
            Some(Format::Markdown)
        } else if is("txt") {
            Some(Format::Text)
        } else {
            None
        }
    }
}

/// A link found in a block: its anchor text, the raw `href`, and the absolute URL it resolves to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Link {
    pub text: String,
    pub href: String,
    /// Absolute URL (relative links resolved against the canonical or document URL).
    pub url: Option<String>,
}

/// What a block is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockKind {
    /// A heading `h1`–`h6`, with the `id` attribute that makes it addressable.
    Heading {
        level: u8,
        anchor: Option<String>,
    },
    Paragraph,
    /// A list; `text` holds one item per line.
    List,
    /// Alt text of a content image.
    Figure,
}

/// One unit of content in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    pub text: String,
    /// 1-based line of the block's start in the source file.
    pub line: usize,
    pub links: Vec<Link>,
    /// For a list: the 1-based source line of each line of `text` (each item).
    pub item_lines: Vec<usize>,
}

impl Block {
    pub fn new(kind: BlockKind, text: String, line: usize) -> Block {
        Block {
            kind,
            text,
            line,
            links: Vec::new(),
            item_lines: Vec::new(),
        }
    }

    /// The source line of line `i` of the text (a list item), or the block's line.
    pub fn line_of_item(&self, i: usize) -> usize {
        self.item_lines.get(i).copied().unwrap_or(self.line)
    }
}

/// Bibliographic `citation_*` (Highwire) metadata of a page, when present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    pub title: Option<String>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
}

/// A block of page text extraction left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// Why it was left out, e.g. `class/id "comment"` or `outside the article`.
    pub reason: String,
    pub text: String,
    /// 1-based line of the block's start in the source file.
    pub line: usize,
}

/// A source file after extraction.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The document title: the first `h1`, else `<title>`, else the file stem.
    pub title: String,
    /// Canonical URL of the document, when the document names one.
    pub url: Option<String>,
    pub blocks: Vec<Block>,
    pub meta: PageMeta,
    /// Text blocks left out as page chrome (navigation, comments, share bars…), in page order.
    pub removed: Vec<Removed>,
    /// Set when main-content detection was unsure and kept the whole page: says why.
    pub unsure: Option<String>,
    /// An HTML page whose article was found by scoring its body (it has no explicit
    /// `<main>`/`<article>`/`role=main`): only such a page's blocks count, and may be left
    /// out, as repeated across its site's pages ([`repeat`]).
    pub scored: bool,
}

impl Document {
    /// All links of the document, in order.
    pub fn links(&self) -> impl Iterator<Item = &Link> {
        self.blocks.iter().flat_map(|b| b.links.iter())
    }

    /// The heading path of every block, outermost first and without the document title (as
    /// passages have it); a heading's path ends with the heading itself.
    pub fn sections(&self) -> Vec<Vec<String>> {
        let mut path: Vec<(u8, &str)> = Vec::new();
        let mut title_seen = false;
        self.blocks
            .iter()
            .map(|b| {
                if let BlockKind::Heading { level, .. } = b.kind {
                    if level == 1 && !title_seen && b.text == self.title {
                        title_seen = true;
                        path.clear();
                    } else {
                        while path.last().is_some_and(|(l, _)| *l >= level) {
                            path.pop();
                        }
                        path.push((level, &b.text));
                    }
                }
                path.iter().map(|(_, t)| t.to_string()).collect()
            })
            .collect()
    }
}

/// Extract a document from source text in the given format.
///
/// `base_url` is where the document lives, used to resolve relative links when the document
/// does not name a canonical URL itself. `fallback_title` is used when the content
/// has no title of its own.
pub fn extract(
    format: Format,
    source: &str,
    base_url: Option<&str>,
    fallback_title: &str,
) -> Document {
    extract_with(format, source, base_url, fallback_title, false)
}

/// [`extract`], also listing in [`Document::removed`] the page chrome left out, with the
/// reason (`citeseek extract --verbose`). The kept blocks are the same.
pub fn extract_explained(
    format: Format,
    source: &str,
    base_url: Option<&str>,
    fallback_title: &str,
) -> Document {
    extract_with(format, source, base_url, fallback_title, true)
}

fn extract_with(
    format: Format,
    source: &str,
    base_url: Option<&str>,
    fallback_title: &str,
    explain: bool,
) -> Document {
    // A UTF-8 byte-order mark is not text: before a Markdown `# Title` it would make the
    // heading a paragraph.
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut doc = match format {
        Format::Html => html::extract_page(source, base_url, explain),
        Format::Markdown => markdown::extract(source, base_url),
        Format::Text => text::extract(source, base_url),
    };
    if doc.title.trim().is_empty() {
        doc.title = fallback_title.to_string();
    }
    doc
}

/// Collapse runs of whitespace into single spaces, drop control characters, and trim.
pub fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        // Runs of printable ASCII, most of any text, are copied whole.
        if b.is_ascii_graphic() {
            let start = i;
            while bytes.get(i).is_some_and(u8::is_ascii_graphic) {
                i += 1;
            }
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push_str(&s[start..i]);
            continue;
        }
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        i += c.len_utf8();
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else if c.is_control() || is_invisible(c) {
            continue;
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Zero-width and bidi-control characters that only hide or reorder text.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

/// Resolve `href` against `base`, returning an absolute URL string.
pub fn resolve_href(base: Option<&url::Url>, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    match url::Url::parse(href) {
        Ok(u) => Some(u.to_string()),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            base.and_then(|b| b.join(href).ok()).map(|u| u.to_string())
        }
        Err(_) => None,
    }
}

/// 1-based line number of a byte offset in `source`.
pub fn line_of(source: &str, offset: usize) -> usize {
    let end = offset.min(source.len());
    source.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Find bare `http(s)://` URLs in plain text, as links whose anchor text is the URL.
pub fn bare_links(text: &str, base: Option<&url::Url>) -> Vec<Link> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r#"https?://[^\s<>"'()\[\]]+"#).expect("static regex is valid")
    });
    re.find_iter(text)
        .map(|m| {
            let href = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
            Link {
                text: href.to_string(),
                href: href.to_string(),
                url: resolve_href(base, href),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_collapses_whitespace_and_drops_controls() {
        assert_eq!(clean_text("  a\n\t b\u{7}c\u{1b}[0m "), "a bc[0m");
        assert_eq!(clean_text("x\u{200B}y"), "xy");
        assert_eq!(
            clean_text("\u{a0}Ärger\u{2003}über  \u{7f}β-blockers\r\n\u{b}x\u{c}"),
            "Ärger über β-blockers x"
        );
        assert_eq!(clean_text(" \t\n "), "");
    }

    #[test]
    fn sections_follow_the_heading_hierarchy_without_the_title() {
        let h = |level, text: &str| {
            Block::new(
                BlockKind::Heading {
                    level,
                    anchor: None,
                },
                text.into(),
                1,
            )
        };
        let p = |text: &str| Block::new(BlockKind::Paragraph, text.into(), 1);
        let doc = Document {
            title: "T".into(),
            blocks: vec![
                h(1, "T"),
                p("intro"),
                h(2, "A"),
                h(3, "A1"),
                p("x"),
                h(2, "B"),
                p("y"),
            ],
            ..Document::default()
        };
        let paths: Vec<String> = doc.sections().iter().map(|s| s.join("/")).collect();
        assert_eq!(paths, ["", "", "A", "A/A1", "A/A1", "B", "B"]);
    }

    #[test]
    fn format_by_extension() {
        assert_eq!(Format::from_path(Path::new("a/b.HTM")), Some(Format::Html));
        assert_eq!(Format::from_path(Path::new("b.md")), Some(Format::Markdown));
        assert_eq!(Format::from_path(Path::new("b.txt")), Some(Format::Text));
        assert_eq!(Format::from_path(Path::new("b.pdf")), None);
        assert_eq!(Format::from_path(Path::new("README")), None);
    }

    #[test]
    fn resolves_relative_links_against_base() {
        let base = url::Url::parse("https://example.com/blogs/news/a").ok();
        assert_eq!(
            resolve_href(base.as_ref(), "/blogs/news/b").as_deref(),
            Some("https://example.com/blogs/news/b")
        );
        assert_eq!(resolve_href(None, "/x"), None);
        assert_eq!(
            resolve_href(None, "https://doi.org/10.1/x").as_deref(),
            Some("https://doi.org/10.1/x")
        );
    }

    #[test]
    fn finds_bare_links_without_trailing_punctuation() {
        let links = bare_links("See https://doi.org/10.1/abc. And (http://x.org/y)", None);
        let urls: Vec<_> = links.iter().map(|l| l.href.as_str()).collect();
        assert_eq!(urls, ["https://doi.org/10.1/abc", "http://x.org/y"]);
    }

    #[test]
    fn a_byte_order_mark_does_not_hide_a_markdown_title() {
        let doc = extract(
            Format::Markdown,
            "\u{feff}# Heat or ice\n\nUse ice first.\n",
            None,
            "stem",
        );
        assert_eq!(doc.title, "Heat or ice");
        assert!(matches!(
            doc.blocks[0].kind,
            BlockKind::Heading { level: 1, .. }
        ));
        assert!(doc.blocks.iter().all(|b| !b.text.contains('\u{feff}')));
    }
}
