//! HTML extraction with scraper: the article's content only (no page chrome), with headings,
//! paragraphs, lists, image alt text, links and source line numbers.

use rustc_hash::FxHashMap;

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use super::{clean_text, resolve_href, Block, BlockKind, Document, Link, PageMeta};

/// Elements whose whole subtree is page chrome or not content.
const DROPPED: &[&str] = &[
    "nav", "header", "footer", "aside", "script", "style", "noscript", "form", "template",
    "iframe", "svg", "button", "select", "input", "textarea", "object", "embed", "canvas",
    "dialog", "head", "title", "meta", "link",
];

/// ARIA landmark roles that mark chrome rather than content.
const DROPPED_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "dialog",
    "alertdialog",
];

/// Words in a class or id that mark cookie banners and similar overlays.
const CHROME_MARKERS: &[&str] = &["cookie", "consent", "gdpr"];

/// Tags that start a block; text next to them is a paragraph of its own.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "figure",
    "table",
    "blockquote",
    "pre",
    "dl",
    "dt",
    "dd",
    "hr",
    "address",
    "details",
    "summary",
    "figcaption",
    "tr",
    "td",
    "th",
    "tbody",
    "thead",
    "tfoot",
    "caption",
    "header",
    "center",
];

/// Extract an HTML page. `base_url` is where the page lives (used to resolve relative links
/// when the page names no canonical URL); the document's own URL is its canonical URL.
pub fn extract(source: &str, base_url: Option<&str>) -> Document {
    // A hostile page nested thousands of levels deep would make the parser (and our walk)
    // run for minutes or overflow the stack: nesting past MAX_DEPTH is cut.
    let html = Html::parse_document(depth_guard(source));
    let lines = element_lines(&html, source);

    let head = head_of(&html);
    let meta = head.meta;
    let base = base_url.and_then(|u| Url::parse(u).ok());
    let canonical = head
        .canonical
        .and_then(|href| resolve_href(base.as_ref(), &href))
        .and_then(|u| Url::parse(&u).ok());
    let doc_url = canonical.clone().or_else(|| base.clone());
    // `<base href>` changes how relative links resolve, not what the page's URL is.
    let link_base = head
        .base
        .and_then(|href| resolve_href(doc_url.as_ref(), &href))
        .and_then(|u| Url::parse(&u).ok())
        .or_else(|| doc_url.clone());

    let root = content_root(&html);
    let mut walker = Walker {
        lines: &lines,
        base: link_base.as_ref(),
        blocks: Vec::new(),
        pending: Inline::default(),
        last_line: 1,
    };
    if let Some(root) = root {
        walker.last_line = walker.line(root);
        walker.container(root);
        walker.flush();
    }
    let mut blocks = walker.blocks;
    blocks.retain(|b| !b.text.is_empty());

    let title = blocks
        .iter()
        .find(|b| matches!(b.kind, BlockKind::Heading { level: 1, .. }))
        .map(|b| b.text.clone())
        .or_else(|| meta.title.clone())
        .or_else(|| first_text(&html, "title"))
        .unwrap_or_default();

    Document {
        title,
        url: canonical.map(|u| u.to_string()),
        blocks,
        meta,
        ..Document::default()
    }
}

/// The element holding the article: `<main>`/`<article>` when present, else `<body>`.
fn content_root(html: &Html) -> Option<ElementRef<'_>> {
    let pick = |sel: &str| -> Vec<ElementRef<'_>> {
        Selector::parse(sel)
            .map(|s| html.select(&s).filter(|e| !is_dropped(e)).collect())
            .unwrap_or_default()
    };
    let mains = pick("main, [role=main]");
    if let Some(main) = mains.first() {
        let articles: Vec<_> = Selector::parse("article")
            .map(|s| main.select(&s).collect())
            .unwrap_or_default();
        return Some(if articles.len() == 1 {
            articles[0]
        } else {
            *main
        });
    }
    let articles = pick("article");
    if articles.len() == 1 {
        return Some(articles[0]);
    }
    // Several top-level articles (or none): the body holds them all.
    pick("body").first().copied().or(Some(html.root_element()))
}

/// What a page says about itself: its canonical URL, its `<base href>`, its Highwire
/// `citation_*` tags. Each is taken from the first element of its kind, as a selector's first
/// match would be, in one walk over the page rather than one for each.
#[derive(Default)]
struct Head {
    canonical: Option<String>,
    base: Option<String>,
    meta: PageMeta,
}

fn head_of(html: &Html) -> Head {
    // `None` until the first element of the kind is seen; then what it held, if anything.
    let (mut canonical, mut base) = (None, None);
    let (mut title, mut doi, mut pmid) = (None, None, None);
    for el in html
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        let e = el.value();
        match e.name() {
            "link" if canonical.is_none() => {
                let rel = e.attr("rel").unwrap_or_default();
                if rel
                    .split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("canonical"))
                {
                    canonical = e.attr("href").map(non_empty_trimmed);
                }
            }
            "base" if base.is_none() => base = e.attr("href").map(non_empty_trimmed),
            "meta" => {
                let (Some(name), Some(content)) = (e.attr("name"), e.attr("content")) else {
                    continue;
                };
                let slot = if name.eq_ignore_ascii_case("citation_title") {
                    &mut title
                } else if name.eq_ignore_ascii_case("citation_doi") {
                    &mut doi
                } else if name.eq_ignore_ascii_case("citation_pmid") {
                    &mut pmid
                } else {
                    continue;
                };
                if slot.is_none() {
                    *slot = Some(Some(clean_text(content)).filter(|t| !t.is_empty()));
                }
            }
            _ => {}
        }
    }
    Head {
        canonical: canonical.flatten(),
        base: base.flatten(),
        meta: PageMeta {
            title: title.flatten(),
            doi: doi.flatten(),
            pmid: pmid.flatten(),
        },
    }
}

fn non_empty_trimmed(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn first_text(html: &Html, selector: &str) -> Option<String> {
    let sel = Selector::parse(selector).ok()?;
    html.select(&sel)
        .map(|e| clean_text(&e.text().collect::<String>()))
        .find(|t| !t.is_empty())
}

/// Whether an element and everything in it is chrome, hidden, or not text.
fn is_dropped(el: &ElementRef) -> bool {
    let e = el.value();
    let name = e.name();
    if DROPPED.contains(&name) {
        return true;
    }
    if e.attr("hidden").is_some() || e.attr("aria-hidden").is_some_and(|v| v.trim() == "true") {
        return true;
    }
    if let Some(style) = e.attr("style") {
        let style: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if style.contains("display:none") || style.contains("visibility:hidden") {
            return true;
        }
    }
    if let Some(role) = e.attr("role") {
        if DROPPED_ROLES.contains(&role.trim().to_ascii_lowercase().as_str()) {
            return true;
        }
    }
    let marked = |v: Option<&str>| {
        v.is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            CHROME_MARKERS.iter().any(|m| v.contains(m))
        })
    };
    marked(e.attr("class")) || marked(e.attr("id"))
}

/// Inline text being gathered for the next paragraph.
#[derive(Default)]
struct Inline {
    text: String,
    links: Vec<Link>,
    figures: Vec<String>,
    line: Option<usize>,
}

struct Walker<'a> {
    lines: &'a FxHashMap<NodeId, usize>,
    base: Option<&'a Url>,
    blocks: Vec<Block>,
    pending: Inline,
    /// Line of the nearest element seen so far, for text that has no element of its own.
    last_line: usize,
}

impl Walker<'_> {
    fn line(&mut self, el: ElementRef) -> usize {
        if let Some(&l) = self.lines.get(&el.id()) {
            self.last_line = l;
        }
        self.last_line
    }

    /// Walk a container element: block children become blocks, loose inline content is
    /// gathered into paragraphs.
    fn container(&mut self, el: ElementRef) {
        for child in el.children() {
            match child.value() {
                Node::Text(t) => {
                    if !t.trim().is_empty() && self.pending.line.is_none() {
                        self.pending.line = Some(self.last_line);
                    }
                    self.pending.text.push_str(t);
                }
                Node::Element(_) => {
                    let Some(child) = ElementRef::wrap(child) else {
                        continue;
                    };
                    if is_dropped(&child) && child.value().name() != "header" {
                        continue;
                    }
                    self.element(child);
                }
                _ => {}
            }
        }
    }

    fn element(&mut self, el: ElementRef) {
        let name = el.value().name();
        match name {
            "header" => {
                // Inside the article a header usually carries the title: keep its headings.
                self.flush();
                if let Ok(sel) = Selector::parse("h1, h2, h3, h4, h5, h6") {
                    for h in el.select(&sel) {
                        self.heading(h);
                    }
                }
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                self.heading(el);
            }
            "p" | "pre" | "dt" | "dd" | "address" | "summary" | "figcaption" | "caption" => {
                self.flush();
                let line = self.line(el);
                let mut inline = Inline {
                    line: Some(line),
                    ..Inline::default()
                };
                self.inline(el, &mut inline);
                self.emit_paragraph(inline);
            }
            "ul" | "ol" => {
                self.flush();
                self.list(el);
            }
            "img" => {
                self.line(el);
                if let Some(alt) = alt_text(&el) {
                    self.pending.figures.push(alt);
                }
            }
            "figure" => {
                self.flush();
                let line = self.line(el);
                self.figure(el, line);
            }
            "table" => {
                self.flush();
                self.table(el);
            }
            "br" | "hr" => {
                if name == "hr" {
                    self.flush();
                } else {
                    self.pending.text.push(' ');
                }
            }
            _ if BLOCK_TAGS.contains(&name) => {
                self.flush();
                self.line(el);
                self.container(el);
                self.flush();
            }
            _ => {
                // Inline element at container level (a, span, strong…): part of a paragraph.
                if self.pending.line.is_none() {
                    let line = self.line(el);
                    self.pending.line = Some(line);
                }
                let mut pending = std::mem::take(&mut self.pending);
                self.inline_element(el, &mut pending);
                self.pending = pending;
            }
        }
    }

    fn heading(&mut self, el: ElementRef) {
        let level = el.value().name().as_bytes().get(1).map_or(2, |b| b - b'0');
        let line = self.line(el);
        let mut inline = Inline::default();
        self.inline(el, &mut inline);
        let anchor = el
            .value()
            .attr("id")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let mut block = Block::new(
            BlockKind::Heading { level, anchor },
            clean_text(&inline.text),
            line,
        );
        block.links = inline.links;
        self.blocks.push(block);
        self.push_figures(inline.figures, line);
    }

    fn list(&mut self, el: ElementRef) {
        let line = self.line(el);
        let mut items: Vec<(String, usize)> = Vec::new();
        let mut links = Vec::new();
        let mut figures = Vec::new();
        self.list_items(el, 0, &mut items, &mut links, &mut figures);
        if !items.is_empty() {
            let text = items
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            let mut block = Block::new(BlockKind::List, text, line);
            block.item_lines = items.iter().map(|(_, l)| *l).collect();
            block.links = links;
            self.blocks.push(block);
        }
        self.push_figures(figures, line);
    }

    fn list_items(
        &mut self,
        list: ElementRef,
        depth: usize,
        items: &mut Vec<(String, usize)>,
        links: &mut Vec<Link>,
        figures: &mut Vec<String>,
    ) {
        for li in list.child_elements() {
            if is_dropped(&li) {
                continue;
            }
            let item_line = self.line(li);
            let mut inline = Inline::default();
            let mut nested = Vec::new();
            for child in li.children() {
                match child.value() {
                    Node::Text(t) => inline.text.push_str(t),
                    Node::Element(e) if matches!(e.name(), "ul" | "ol") => {
                        if let Some(n) = ElementRef::wrap(child) {
                            nested.push(n);
                        }
                    }
                    Node::Element(_) => {
                        if let Some(c) = ElementRef::wrap(child) {
                            if !is_dropped(&c) {
                                self.inline_element(c, &mut inline);
                            }
                        }
                    }
                    _ => {}
                }
            }
            let text = clean_text(&inline.text);
            if !text.is_empty() {
                items.push((format!("{}{}", "  ".repeat(depth), text), item_line));
            }
            links.append(&mut inline.links);
            figures.append(&mut inline.figures);
            for n in nested {
                self.list_items(n, depth + 1, items, links, figures);
            }
        }
    }

    fn figure(&mut self, el: ElementRef, line: usize) {
        let mut alts = Vec::new();
        let mut caption = Inline::default();
        for d in el.descendants().filter_map(ElementRef::wrap) {
            match d.value().name() {
                "img" => alts.extend(alt_text(&d)),
                "figcaption" => self.inline(d, &mut caption),
                _ => {}
            }
        }
        let caption_text = clean_text(&caption.text);
        if !caption_text.is_empty() {
            alts.push(caption_text);
        }
        if !alts.is_empty() {
            let mut block = Block::new(BlockKind::Figure, alts.join(" "), line);
            block.links = caption.links;
            self.blocks.push(block);
        }
    }

    fn table(&mut self, el: ElementRef) {
        let Ok(rows) = Selector::parse("tr") else {
            return;
        };
        for tr in el.select(&rows) {
            let line = self.line(tr);
            let mut inline = Inline {
                line: Some(line),
                ..Inline::default()
            };
            for cell in tr.child_elements() {
                if !inline.text.trim().is_empty() {
                    inline.text.push_str(" | ");
                }
                self.inline(cell, &mut inline);
            }
            self.emit_paragraph(inline);
        }
    }

    /// Gather the inline content of `el` (text, links, image alt text) into `out`.
    fn inline(&mut self, el: ElementRef, out: &mut Inline) {
        for child in el.children() {
            match child.value() {
                Node::Text(t) => out.text.push_str(t),
                Node::Element(_) => {
                    if let Some(c) = ElementRef::wrap(child) {
                        if !is_dropped(&c) {
                            self.inline_element(c, out);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn inline_element(&mut self, el: ElementRef, out: &mut Inline) {
        match el.value().name() {
            "br" => out.text.push(' '),
            "img" => out.figures.extend(alt_text(&el)),
            "a" => {
                let mut inner = Inline::default();
                self.inline(el, &mut inner);
                let text = clean_text(&inner.text);
                out.text.push_str(&inner.text);
                out.figures.append(&mut inner.figures);
                if let Some(href) = el.value().attr("href") {
                    let href = href.trim();
                    if !href.is_empty() && !href.starts_with('#') {
                        out.links.push(Link {
                            text,
                            href: href.to_string(),
                            url: resolve_href(self.base, href),
                        });
                    }
                }
                out.links.append(&mut inner.links);
            }
            name => {
                let block = BLOCK_TAGS.contains(&name);
                if block {
                    out.text.push(' ');
                }
                self.inline(el, out);
                if block {
                    out.text.push(' ');
                }
            }
        }
    }

    fn emit_paragraph(&mut self, inline: Inline) {
        let line = inline.line.unwrap_or(self.last_line);
        let text = clean_text(&inline.text);
        if !text.is_empty() {
            let mut block = Block::new(BlockKind::Paragraph, text, line);
            block.links = inline.links;
            self.blocks.push(block);
        }
        self.push_figures(inline.figures, line);
    }

    fn push_figures(&mut self, figures: Vec<String>, line: usize) {
        if !figures.is_empty() {
            self.blocks
                .push(Block::new(BlockKind::Figure, figures.join(" "), line));
        }
    }

    /// Emit the loose inline content gathered so far as a paragraph.
    fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        if !pending.text.trim().is_empty() || !pending.figures.is_empty() {
            self.emit_paragraph(pending);
        }
    }
}

/// The alt text of a content image (decorative images have none).
fn alt_text(img: &ElementRef) -> Option<String> {
    let e = img.value();
    if e.attr("role")
        .is_some_and(|r| r == "presentation" || r == "none")
    {
        return None;
    }
    e.attr("alt").map(clean_text).filter(|s| !s.is_empty())
}

/// Deepest element nesting the HTML parser is let see.
const MAX_DEPTH: usize = 512;

/// Elements that never hold children or are closed implicitly by the parser.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen", "p", "li", "td", "th", "tr", "dd", "dt", "option", "optgroup",
    "thead", "tbody", "tfoot", "colgroup", "rb", "rt", "rp", "frame", "basefont", "bgsound",
    "image",
];

/// Elements whose content is text up to their end tag, never markup.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "noembed", "noframes",
];

/// Cuts `html` where element nesting (approximated with a stack of open tags) passes
/// [`MAX_DEPTH`]. The HTML parser is quadratic in nesting depth, so a hostile page of a
/// million nested `<div>`s would otherwise hang it; real pages nest a few dozen levels.
pub fn depth_guard(html: &str) -> &str {
    let b = html.as_bytes();
    let lower_at = |i: usize, pat: &[u8]| {
        b.get(i..i + pat.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(pat))
    };
    // Every pattern starts with an ASCII punctuation byte: jump from one of those to the next
    // instead of comparing at every byte.
    let find_from = |from: usize, pat: &[u8]| -> Option<usize> {
        let first = *pat.first()?;
        let mut j = from;
        while let Some(off) = b.get(j..).and_then(|r| r.iter().position(|&c| c == first)) {
            j += off;
            if lower_at(j, pat) {
                return Some(j);
            }
            j += 1;
        }
        None
    };
    let mut stack: Vec<&[u8]> = Vec::new();
    let mut i = 0;
    while let Some(off) = b.get(i..).and_then(|r| r.iter().position(|&c| c == b'<')) {
        i += off;
        if lower_at(i, b"<!--") {
            match find_from(i + 4, b"-->") {
                Some(end) => i = end + 3,
                None => return html,
            }
            continue;
        }
        let closing = b.get(i + 1) == Some(&b'/');
        let name_start = i + 1 + usize::from(closing);
        let name_len = b
            .get(name_start..)
            .map(|r| r.iter().take_while(|c| c.is_ascii_alphanumeric()).count())
            .unwrap_or(0);
        if name_len == 0 {
            i += 1;
            continue;
        }
        let name = &b[name_start..name_start + name_len];
        let tag_end = match b
            .get(name_start..)
            .and_then(|r| r.iter().position(|&c| c == b'>'))
        {
            Some(p) => name_start + p,
            None => return html,
        };
        if closing {
            if let Some(pos) = stack.iter().rposition(|s| s.eq_ignore_ascii_case(name)) {
                stack.truncate(pos);
            }
            i = tag_end + 1;
            continue;
        }
        if name.eq_ignore_ascii_case(b"plaintext") {
            return html;
        }
        if RAW_TEXT
            .iter()
            .any(|t| name.eq_ignore_ascii_case(t.as_bytes()))
        {
            let mut close = b"</".to_vec();
            close.extend(name.iter().map(u8::to_ascii_lowercase));
            match find_from(tag_end + 1, &close) {
                Some(end) => i = end + close.len(),
                None => return html,
            }
            continue;
        }
        let self_closing = tag_end > 0 && b[tag_end - 1] == b'/';
        let nests = !NOT_NESTING
            .iter()
            .any(|n| n.as_bytes().eq_ignore_ascii_case(name));
        if nests && !self_closing {
            stack.push(name);
            if stack.len() > MAX_DEPTH {
                // `i` is at a '<', an ASCII byte, so it is a char boundary.
                return html.get(..i).unwrap_or("");
            }
        }
        i = tag_end + 1;
    }
    html
}

/// Map every element to the 1-based line of its start tag in `source`.
///
/// html5ever does not report positions through scraper, so the start tags are scanned in
/// source order and matched, per tag name, with the elements in document order. Elements the
/// parser invents (an implied `<tbody>`) simply take the line of the nearest element before.
fn element_lines(html: &Html, source: &str) -> FxHashMap<NodeId, usize> {
    let lower = source.to_ascii_lowercase();
    let mut tags: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (name, offset) in start_tags(source, &lower) {
        tags.entry(name).or_default().push(offset);
    }
    // Convert offsets to lines in one pass over the source.
    let mut all: Vec<(usize, &mut usize)> = tags
        .values_mut()
        .flat_map(|v| v.iter_mut())
        .map(|o| (*o, o))
        .collect();
    all.sort_by_key(|(o, _)| *o);
    let bytes = source.as_bytes();
    let (mut line, mut pos) = (1usize, 0usize);
    for (offset, slot) in all {
        line += bytes[pos..offset].iter().filter(|&&b| b == b'\n').count();
        pos = offset;
        *slot = line;
    }

    let mut seen: FxHashMap<&str, usize> = FxHashMap::default();
    let mut out = FxHashMap::default();
    for el in html
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        let name = el.value().name();
        let n = seen.entry(name).or_insert(0);
        if let Some(&l) = tags.get(name).and_then(|v| v.get(*n)) {
            out.insert(el.id(), l);
        }
        *n += 1;
    }
    out
}

/// Start tags in `source` as (lower-case name, byte offset), skipping comments, doctype, and
/// the raw contents of `<script>`, `<style>`, `<textarea>` and `<title>`. `lower` is `source`
/// in ASCII lower case; the names are slices of it.
fn start_tags<'a>(source: &str, lower: &'a str) -> Vec<(&'a str, usize)> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(rel) = memchr(b'<', &bytes[i..]) {
        let at = i + rel;
        let rest = &bytes[at + 1..];
        if rest.starts_with(b"!--") {
            i = lower[at..].find("-->").map_or(bytes.len(), |e| at + e + 3);
            continue;
        }
        let name_len = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        if name_len == 0 || !rest[0].is_ascii_alphabetic() {
            i = at + 1;
            continue;
        }
        let name = &lower[at + 1..at + 1 + name_len];
        i = at + 1 + name_len;
        if matches!(name, "script" | "style" | "textarea" | "title") {
            let close = format!("</{name}");
            i = lower[i..].find(&close).map_or(bytes.len(), |e| i + e);
        }
        out.push((name, at));
    }
    out
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(doc: &Document) -> Vec<String> {
        doc.blocks.iter().map(|b| b.text.clone()).collect()
    }

    #[test]
    fn keeps_article_and_drops_chrome() {
        let src = r#"<html><head><title>T – Site</title><script>var x = "<p>no</p>";</script></head>
<body><header><nav><a href="/">Home</a></nav></header>
<main><article><h1>Guide</h1>
<p>Real content.</p>
<div class="cookie-banner">We use cookies</div>
<p hidden>Hidden text</p><p style="display: none">Also hidden</p>
<aside>Newsletter</aside><form><p>Sign up</p></form>
</article></main><footer>Footer text</footer></body></html>"#;
        let doc = extract(src, None);
        assert_eq!(doc.title, "Guide");
        assert_eq!(texts(&doc), ["Guide", "Real content."]);
    }

    #[test]
    fn records_headings_with_levels_anchors_and_lines() {
        let src = "<main>\n<h1>Title</h1>\n<h2 id=\"a-b\">A &amp; B</h2>\n<p>One\ntwo.</p>\n<h3>C</h3>\n</main>";
        let doc = extract(src, None);
        let kinds: Vec<_> = doc
            .blocks
            .iter()
            .map(|b| (b.kind.clone(), b.line))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    BlockKind::Heading {
                        level: 1,
                        anchor: None
                    },
                    2
                ),
                (
                    BlockKind::Heading {
                        level: 2,
                        anchor: Some("a-b".into())
                    },
                    3
                ),
                (BlockKind::Paragraph, 4),
                (
                    BlockKind::Heading {
                        level: 3,
                        anchor: None
                    },
                    6
                ),
            ]
        );
        assert_eq!(doc.blocks[1].text, "A & B");
        assert_eq!(doc.blocks[2].text, "One two.");
    }

    #[test]
    fn lists_keep_one_item_per_line() {
        let src = "<article><p>Do this:</p><ol><li>First <b>step</b></li><li>Second<ul><li>inner</li></ul></li></ol></article>";
        let doc = extract(src, None);
        assert_eq!(doc.blocks[1].kind, BlockKind::List);
        assert_eq!(doc.blocks[1].text, "First step\nSecond\n  inner");
    }

    #[test]
    fn links_resolve_against_canonical_url() {
        let src = r#"<html><head><link rel="canonical" href="https://site.example/blogs/news/guide"></head>
<body><article><p>See <a href="/blogs/news/other">other guide</a> and <a href="https://doi.org/10.1/X">a study</a>.</p></article></body></html>"#;
        let doc = extract(src, Some("file:///tmp/guide.html"));
        assert_eq!(
            doc.url.as_deref(),
            Some("https://site.example/blogs/news/guide")
        );
        let links: Vec<_> = doc
            .links()
            .map(|l| (l.text.as_str(), l.url.as_deref()))
            .collect();
        assert_eq!(
            links,
            [
                ("other guide", Some("https://site.example/blogs/news/other")),
                ("a study", Some("https://doi.org/10.1/X")),
            ]
        );
        assert_eq!(doc.blocks[0].text, "See other guide and a study.");
    }

    #[test]
    fn the_first_tag_of_each_kind_names_the_page() {
        let src = r#"<html><head>
<link rel="stylesheet" href="/a.css"><link rel="alternate Canonical" href=" /first ">
<link rel="canonical" href="/second"><base target="_top"><base href="/b/"><base href="/c/">
<meta name="CITATION_DOI" content=" 10.1/A "><meta name="citation_doi" content="10.1/b">
<meta name="citation_pmid" content="  "><meta name="citation_pmid" content="123">
<meta name="citation_title"></head>
<body><meta name="citation_title" content="In the body"><p>x</p></body></html>"#;
        let head = head_of(&Html::parse_document(src));
        assert_eq!(head.canonical.as_deref(), Some("/first"));
        assert_eq!(head.base.as_deref(), Some("/b/"));
        // The first tag decides, even when what it holds is blank.
        assert_eq!(head.meta.doi.as_deref(), Some("10.1/A"));
        assert_eq!(head.meta.pmid, None);
        assert_eq!(head.meta.title.as_deref(), Some("In the body"));
        let head = head_of(&Html::parse_document(
            r#"<link rel="canonical" href=""><link rel="canonical" href="/later">"#,
        ));
        assert_eq!(head.canonical, None);
    }

    #[test]
    fn image_alt_text_becomes_a_figure_block() {
        let src = r#"<article><h2>S</h2><figure><img src="a.webp" alt="person stretching"></figure><p>Text <img alt="inline pic" src="x"> here.</p><img src="d.png" alt=""></article>"#;
        let doc = extract(src, None);
        let figs: Vec<_> = doc
            .blocks
            .iter()
            .filter(|b| b.kind == BlockKind::Figure)
            .map(|b| b.text.as_str())
            .collect();
        assert_eq!(figs, ["person stretching", "inline pic"]);
    }

    #[test]
    fn loose_text_in_divs_becomes_paragraphs() {
        let src = "<body><div>Loose <em>text</em> here<div>Inner block</div>tail</div></body>";
        let doc = extract(src, None);
        assert_eq!(texts(&doc), ["Loose text here", "Inner block", "tail"]);
    }

    #[test]
    fn title_falls_back_to_citation_title_then_title_tag() {
        let doc = extract(
            r#"<head><meta name="citation_title" content="Study X"><meta name="citation_doi" content="10.1/x"></head><body><p>x</p></body>"#,
            None,
        );
        assert_eq!(doc.title, "Study X");
        assert_eq!(doc.meta.doi.as_deref(), Some("10.1/x"));
        let doc = extract("<title>Page</title><p>x</p>", None);
        assert_eq!(doc.title, "Page");
    }

    #[test]
    fn garbage_input_does_not_panic() {
        for src in [
            "",
            "<",
            "<<<>>>",
            "<p",
            "</p></div>",
            "<!--",
            "<script>",
            "\u{0}\u{1b}[31m",
        ] {
            let _ = extract(src, Some("not a url"));
        }
    }

    #[test]
    fn deep_nesting_is_cut_not_a_stack_overflow() {
        // Test threads have small stacks: 20,000 nested elements must neither overflow them
        // nor take long.
        let deep = format!(
            "<body>{}deep text{}</body>",
            "<div>".repeat(20_000),
            "</div>".repeat(20_000)
        );
        let start = std::time::Instant::now();
        let doc = extract(&deep, None);
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
        assert!(doc.blocks.len() <= 1);
        let nested_p = format!(
            "<article><p>kept</p>{}x{}</article>",
            "<span>".repeat(5_000),
            "</span>".repeat(5_000)
        );
        assert_eq!(extract(&nested_p, None).blocks[0].text, "kept");
    }

    #[test]
    fn depth_guard_skips_raw_text_and_comments_but_cuts_deep_nesting() {
        let many = "<div>".repeat(MAX_DEPTH + 10);
        let page =
            format!("<body><SCRIPT>var s = '{many}';</Script><!-- {many} --><p>after</p></body>");
        assert_eq!(depth_guard(&page), page);
        let deep = format!("<body><p>before</p>{many}<p>x</p></body>");
        let cut = depth_guard(&deep);
        assert!(
            cut.len() < deep.len() && cut.contains("before"),
            "{}",
            cut.len()
        );
        // An unclosed comment or script: the page is left to the parser as it is.
        let open = format!("<body><script>{many}");
        assert_eq!(depth_guard(&open), open);
    }

    #[test]
    fn start_tags_skip_scripts_and_comments() {
        let src = "<p>a</p><!-- <p> --><script>if (a<b) {}</script>\n<P>";
        let lower = src.to_ascii_lowercase();
        let tags: Vec<_> = start_tags(src, &lower)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(tags, ["p", "script", "p"]);
    }
}
