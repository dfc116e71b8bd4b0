//! Markdown extraction with pulldown-cmark: headings, paragraphs, lists, image alt text and
//! links, with source line numbers from the parser's byte offsets.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use url::Url;

use super::{clean_text, line_of, resolve_href, Block, BlockKind, Document, Link, PageMeta};

/// Extract a Markdown document.
pub fn extract(source: &str, base_url: Option<&str>) -> Document {
    let base = base_url.and_then(|u| Url::parse(u).ok());
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_YAML_STYLE_METADATA_BLOCKS);
    opts.insert(Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS);
    let parser = Parser::new_ext(source, opts).into_offset_iter();

    let mut blocks: Vec<Block> = Vec::new();
    // The block being built: kind, text, line, links.
    let mut current: Option<Block> = None;
    let mut list_depth = 0usize;
    let mut list: Option<Block> = None;
    let mut item = String::new();
    let mut link_stack: Vec<(String, usize)> = Vec::new(); // (href, text start in buffer)
    let mut image_depth = 0usize;
    let mut alt = String::new();
    let mut figures: Vec<(String, usize)> = Vec::new();

    // Where inline text goes right now.
    fn buffer<'a>(
        current: &'a mut Option<Block>,
        list: &'a mut Option<Block>,
        item: &'a mut String,
    ) -> Option<&'a mut String> {
        if list.is_some() {
            Some(item)
        } else {
            current.as_mut().map(|b| &mut b.text)
        }
    }

    let mut in_metadata = false;
    let mut item_line = 1usize;
    for (event, range) in parser {
        let line = line_of(source, range.start);
        // Front matter (`---` YAML or `+++` TOML) is metadata, not text.
        match event {
            Event::Start(Tag::MetadataBlock(_)) => {
                in_metadata = true;
                continue;
            }
            Event::End(TagEnd::MetadataBlock(_)) => {
                in_metadata = false;
                continue;
            }
            _ if in_metadata => continue,
            _ => {}
        }
        if image_depth > 0 {
            match event {
                Event::Text(t) | Event::Code(t) => alt.push_str(&t),
                Event::End(TagEnd::Image) => {
                    image_depth -= 1;
                    if image_depth == 0 {
                        let a = clean_text(&alt);
                        if !a.is_empty() {
                            figures.push((a, line));
                        }
                        alt.clear();
                    }
                }
                Event::Start(Tag::Image { .. }) => image_depth += 1,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                let level = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    HeadingLevel::H4 => 4,
                    HeadingLevel::H5 => 5,
                    HeadingLevel::H6 => 6,
                };
                current = Some(Block::new(
                    BlockKind::Heading {
                        level,
                        anchor: id.map(|s| s.to_string()),
                    },
                    String::new(),
                    line,
                ));
            }
            Event::Start(Tag::Paragraph) | Event::Start(Tag::CodeBlock(_)) => {
                if list.is_none() {
                    current = Some(Block::new(BlockKind::Paragraph, String::new(), line));
                } else if !item.trim().is_empty() {
                    item.push(' ');
                }
            }
            Event::Start(Tag::BlockQuote(_)) | Event::Start(Tag::Table(_)) => {}
            Event::Start(Tag::TableRow) | Event::Start(Tag::TableHead) => {
                current = Some(Block::new(BlockKind::Paragraph, String::new(), line));
            }
            Event::End(TagEnd::TableCell) => {
                if let Some(b) = current.as_mut() {
                    b.text.push_str(" | ");
                }
            }
            Event::Start(Tag::List(_)) => {
                if list_depth == 0 {
                    list = Some(Block::new(BlockKind::List, String::new(), line));
                } else {
                    flush_item(&mut list, &mut item, list_depth, item_line);
                }
                list_depth += 1;
            }
            Event::Start(Tag::Item) => {
                flush_item(&mut list, &mut item, list_depth, item_line);
                item_line = line;
            }
            Event::End(TagEnd::Item) => flush_item(&mut list, &mut item, list_depth, item_line),
            Event::End(TagEnd::List(_)) => {
                flush_item(&mut list, &mut item, list_depth, item_line);
                list_depth = list_depth.saturating_sub(1);
                if list_depth == 0 {
                    if let Some(b) = list.take() {
                        if !b.text.is_empty() {
                            blocks.push(b);
                        }
                    }
                }
            }
            Event::Start(Tag::Image { .. }) => image_depth = 1,
            Event::Start(Tag::Link { dest_url, .. }) => {
                let start = buffer(&mut current, &mut list, &mut item).map_or(0, |b| b.len());
                link_stack.push((dest_url.to_string(), start));
            }
            Event::End(TagEnd::Link) => {
                if let Some((href, start)) = link_stack.pop() {
                    let text = buffer(&mut current, &mut list, &mut item)
                        .map(|b| clean_text(b.get(start..).unwrap_or_default()))
                        .unwrap_or_default();
                    let link = Link {
                        text,
                        url: resolve_href(base.as_ref(), &href),
                        href,
                    };
                    if let Some(l) = list.as_mut() {
                        l.links.push(link);
                    } else if let Some(b) = current.as_mut() {
                        b.links.push(link);
                    }
                }
            }
            Event::Text(t) | Event::Code(t) | Event::InlineHtml(t) | Event::Html(t) => {
                if let Some(b) = buffer(&mut current, &mut list, &mut item) {
                    b.push_str(&t);
                } else {
                    // Raw HTML blocks outside paragraphs become paragraphs of their own, when
                    // there is text between their tags (`<div>` alone has none).
                    let text = clean_text(&strip_tags(&t));
                    if !text.is_empty() {
                        let mut b = Block::new(BlockKind::Paragraph, text, line);
                        b.links = super::bare_links(&t, base.as_ref());
                        blocks.push(b);
                    }
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(b) = buffer(&mut current, &mut list, &mut item) {
                    b.push(' ');
                }
            }
            Event::End(TagEnd::Heading(_))
            | Event::End(TagEnd::Paragraph)
            | Event::End(TagEnd::CodeBlock)
            | Event::End(TagEnd::TableRow)
            | Event::End(TagEnd::TableHead) => {
                if list.is_none() {
                    if let Some(mut b) = current.take() {
                        b.text = clean_text(b.text.trim_end_matches(" | "));
                        if !b.text.is_empty() {
                            blocks.push(b);
                        }
                    }
                }
                for (text, l) in figures.drain(..) {
                    blocks.push(Block::new(BlockKind::Figure, text, l));
                }
            }
            _ => {}
        }
    }
    for (text, l) in figures.drain(..) {
        blocks.push(Block::new(BlockKind::Figure, text, l));
    }

    let title = blocks
        .iter()
        .find(|b| matches!(b.kind, BlockKind::Heading { level: 1, .. }))
        .map(|b| b.text.clone())
        .unwrap_or_default();
    Document {
        title,
        url: None,
        blocks,
        meta: PageMeta::default(),
        ..Document::default()
    }
}

fn flush_item(list: &mut Option<Block>, item: &mut String, depth: usize, line: usize) {
    let text = clean_text(item);
    item.clear();
    if text.is_empty() {
        return;
    }
    if let Some(l) = list.as_mut() {
        if !l.text.is_empty() {
            l.text.push('\n');
        }
        l.text.push_str(&"  ".repeat(depth.saturating_sub(1)));
        l.text.push_str(&text);
        l.item_lines.push(line);
    }
}

/// Remove HTML tags from a raw HTML snippet embedded in Markdown.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_paragraphs_and_lines() {
        let src =
            "# Guide\n\nIntro text\nwraps.\n\n## Heat {#heat}\n\nUse **heat** after 72 hours.\n";
        let doc = extract(src, None);
        assert_eq!(doc.title, "Guide");
        let got: Vec<_> = doc
            .blocks
            .iter()
            .map(|b| (b.kind.clone(), b.text.as_str(), b.line))
            .collect();
        assert_eq!(
            got,
            [
                (
                    BlockKind::Heading {
                        level: 1,
                        anchor: None
                    },
                    "Guide",
                    1
                ),
                (BlockKind::Paragraph, "Intro text wraps.", 3),
                (
                    BlockKind::Heading {
                        level: 2,
                        anchor: Some("heat".into())
                    },
                    "Heat",
                    6
                ),
                (BlockKind::Paragraph, "Use heat after 72 hours.", 8),
            ]
        );
    }

    #[test]
    fn lists_and_links() {
        let src = "Steps:\n\n- Ice first ([study](https://doi.org/10.1/a))\n- Then heat\n  - gently\n\n![a person stretching](img.png)\n";
        let doc = extract(src, Some("https://site.example/g"));
        assert_eq!(doc.blocks[1].kind, BlockKind::List);
        assert_eq!(doc.blocks[1].text, "Ice first (study)\nThen heat\n  gently");
        assert_eq!(doc.blocks[1].links.len(), 1);
        assert_eq!(doc.blocks[1].links[0].text, "study");
        assert_eq!(
            doc.blocks[1].links[0].url.as_deref(),
            Some("https://doi.org/10.1/a")
        );
        assert!(doc
            .blocks
            .iter()
            .any(|b| b.kind == BlockKind::Figure && b.text == "a person stretching"));
    }

    #[test]
    fn front_matter_is_not_text() {
        let doc = extract(
            "---\ntitle: Front\ntags: [a]\n---\n\n# Guide\n\nBody.\n",
            None,
        );
        assert_eq!(doc.title, "Guide");
        let texts: Vec<_> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["Guide", "Body."]);
        assert_eq!(doc.blocks[1].line, 8);
    }

    #[test]
    fn relative_links_resolve_against_base() {
        let doc = extract(
            "See [other](/blogs/x).",
            Some("https://site.example/blogs/g"),
        );
        assert_eq!(
            doc.blocks[0].links[0].url.as_deref(),
            Some("https://site.example/blogs/x")
        );
    }
}
