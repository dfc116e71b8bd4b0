//! HTML extraction with scraper: the article's content only (page chrome left out, found with
//! class/id hints and Readability's scoring), with headings, paragraphs, lists, image alt text,
//! links and source line numbers.

use rustc_hash::FxHashMap;

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use super::{clean_text, resolve_href, Block, BlockKind, Document, Link, PageMeta, Removed};

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
    extract_page(source, base_url, false)
}

/// [`extract`]; with `explain`, [`Document::removed`] also lists the chrome left out.
///
/// How the article is found:
/// 1. An explicit `<main>`, `role=main` or single `<article>` bounds it: nothing outside it
///    is kept. Without one, the whole `<body>` is the candidate.
/// 2. Inside an explicit root, containers whose class or id names chrome (comment, share,
///    related, promo, sidebar, newsletter…) are left out, unless one holds half of the
///    root's text or more (then the hint is a layout name and it is kept).
/// 3. Without an explicit root, or when the root holds a hinted container or much link
///    text, Readability's scoring (the `dom_smoothie` crate) picks the article, and the
///    blocks of our own walk whose words belong to it are kept ([`keep_article`]). When it
///    finds no article, or our blocks do not cover it, nothing more is left out and
///    `unsure` says why. In an explicit root, what follows the article's last block up to
///    the first heading or chrome-like block stays (Readability drops an article's closing
///    list). A page without an explicit root is [`Document::scored`]: at ingest, blocks
///    repeated on many pages of its site are left out too (`super::repeat`).
pub fn extract_page(source: &str, base_url: Option<&str>, explain: bool) -> Document {
    // A hostile page nested thousands of levels deep would make the parser (and our walk)
    // run for minutes or overflow the stack: nesting past MAX_DEPTH is flattened. The tags it
    // removes are blanked in place, so byte offsets, and with them line numbers, stay.
    let source = depth_guard(source);
    // Readability's scoring is slow on such nesting (seconds a page): a flattened page is kept
    // whole instead.
    let flattened = matches!(source, std::borrow::Cow::Owned(_));
    let source = source.as_ref();
    let html = Html::parse_document(source);
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
    // Only an explaining walk starts above the root.
    let body = if explain {
        pick(&html, "body").first().copied()
    } else {
        None
    };
    let walk = |explain: bool| {
        let mut walker = Walker {
            lines: &lines,
            base: link_base.as_ref(),
            blocks: Vec::new(),
            pending: Inline::default(),
            last_line: 1,
            explain,
            removing: None,
            removed: Vec::new(),
            root: root.as_ref().map(|r| r.element.id()),
            root_element: root.as_ref().map(|r| r.element),
            root_text: None,
            // Readability weighs class and id itself; the hints are for explicit roots.
            hints: root.as_ref().is_some_and(|r| r.marked_by != BODY),
            hinted: 0,
        };
        if let Some(root) = &root {
            // Explaining walks the whole body, so that what lies outside the root is listed.
            let start = match body {
                Some(body) if explain && body.id() != root.element.id() => {
                    walker.removing = Some(format!("outside {}", root.marked_by));
                    body
                }
                _ => root.element,
            };
            walker.last_line = walker.line(start);
            walker.container(start);
            walker.flush();
        }
        walker
    };
    // The kept blocks always come from the walk of the root alone, so that explaining can
    // never change them; explaining walks again for what was left out.
    let walker = walk(false);
    let hinted = walker.hinted;
    let mut blocks = walker.blocks;
    let mut removed = if explain {
        walk(true).removed
    } else {
        Vec::new()
    };
    blocks.retain(|b| !b.text.is_empty());

    // An explicit root is taken as it is when nothing in it looks like chrome; otherwise (and
    // always without one) Readability's article decides which of its blocks are kept.
    let explicit = root.as_ref().is_some_and(|r| r.marked_by != BODY);
    let trusted = explicit && hinted == 0 && link_density(&blocks) <= MAX_TRUSTED_LINK_DENSITY;
    let mut unsure = None;
    if !trusted && !blocks.is_empty() {
        let kept_all = format!(
            "kept everything in {}",
            root.as_ref().map_or(BODY, |r| r.marked_by)
        );
        let outcome = if flattened {
            Err(format!("the page nests elements past {MAX_DEPTH} levels"))
        } else {
            article_of(source)
        }
        .and_then(|article| keep_article(&mut blocks, &mut removed, &article, explicit));
        if let Err(why) = outcome {
            unsure = Some(format!(
                "main-content detection is unsure: {why}; {kept_all}"
            ));
        }
    }
    removed.retain(|r| !r.text.is_empty());
    removed.sort_by_key(|r| r.line);

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
        removed,
        unsure,
        scored: !explicit,
    }
}

/// How the candidate root was chosen, for `outside …` reasons.
const BODY: &str = "<body>";

/// The element holding the article, and what marked it (`<main>`, `<article>`, `<body>`).
struct Root<'a> {
    element: ElementRef<'a>,
    marked_by: &'static str,
}

fn pick<'a>(html: &'a Html, sel: &str) -> Vec<ElementRef<'a>> {
    Selector::parse(sel)
        .map(|s| html.select(&s).filter(|e| !is_dropped(e)).collect())
        .unwrap_or_default()
}

/// The element holding the article: `<main>`/`<article>` when present, else `<body>`.
fn content_root(html: &Html) -> Option<Root<'_>> {
    let mains = pick(html, "main, [role=main]");
    if let Some(main) = mains.first() {
        let articles: Vec<_> = Selector::parse("article")
            .map(|s| main.select(&s).collect())
            .unwrap_or_default();
        return Some(if articles.len() == 1 {
            Root {
                element: articles[0],
                marked_by: "<article>",
            }
        } else {
            Root {
                element: *main,
                marked_by: if main.value().name() == "main" {
                    "<main>"
                } else {
                    "role=main"
                },
            }
        });
    }
    let articles = pick(html, "article");
    if articles.len() == 1 {
        return Some(Root {
            element: articles[0],
            marked_by: "<article>",
        });
    }
    // Several top-level articles (or none): the body holds them all.
    Some(Root {
        element: pick(html, "body")
            .first()
            .copied()
            .unwrap_or(html.root_element()),
        marked_by: BODY,
    })
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

/// Block elements that belong to a table's own structure.
const TABLE_PARTS: &[&str] = &["tr", "td", "th", "tbody", "thead", "tfoot", "caption"];

/// Dropped elements that hold no readable text: not listed among the removed blocks.
const SILENT: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "head", "title", "meta", "link", "iframe",
    "object", "embed", "canvas", "select", "input", "textarea", "button",
];

/// Why an element [`is_dropped`]: its tag, role, hidden state or class/id.
fn drop_reason(el: &ElementRef) -> String {
    let e = el.value();
    if DROPPED.contains(&e.name()) {
        return format!("<{}>", e.name());
    }
    if let Some(role) = e.attr("role") {
        let role = role.trim().to_ascii_lowercase();
        if DROPPED_ROLES.contains(&role.as_str()) {
            return format!("role={role}");
        }
    }
    let marker = [e.attr("class"), e.attr("id")]
        .into_iter()
        .flatten()
        .find_map(|v| {
            let v = v.to_ascii_lowercase();
            CHROME_MARKERS.iter().find(|m| v.contains(*m)).copied()
        });
    match marker {
        Some(m) => format!("class/id \"{m}\""),
        None => "hidden".to_string(),
    }
}

/// Words that, inside a class or id, mark a container of page chrome rather than article:
/// comment threads, share bars, related-article lists, promotions, sidebars, newsletter and
/// sign-up boxes, bylines and tag lists, pagination. Matched anywhere in the attribute.
const CHROME_HINTS: &[&str] = &[
    "comment",
    "disqus",
    "share",
    "sharing",
    "social",
    "related",
    "promo",
    "sidebar",
    "footer",
    "newsletter",
    "subscri",
    "signup",
    "sign-up",
    "advert",
    "sponsor",
    "breadcrumb",
    "pagination",
    "pager",
    "popup",
    "modal",
    "outbrain",
    "taboola",
    "recommend",
    "popular",
    "trending",
    "read-more",
    "readmore",
    "more-stories",
    "author-bio",
    "byline",
    "masthead",
    "navbar",
    "toolbar",
    "menu",
    "skip-link",
];

/// Hints matched only as a whole word of the attribute (`ad`, not `head` or `loading`).
const CHROME_WORDS: &[&str] = &["ad", "ads", "tags", "nav"];

/// The chrome hint in an element's class or id, if any.
fn chrome_hint(el: &ElementRef) -> Option<&'static str> {
    let e = el.value();
    for v in [e.attr("class"), e.attr("id")].into_iter().flatten() {
        if v.is_empty() {
            continue;
        }
        let v = v.to_ascii_lowercase();
        if let Some(h) = CHROME_HINTS.iter().find(|h| v.contains(*h)) {
            return Some(h);
        }
        let words = v.split(|c: char| !c.is_ascii_alphanumeric());
        for w in words {
            if let Some(h) = CHROME_WORDS.iter().find(|h| **h == w) {
                return Some(h);
            }
        }
    }
    None
}

/// Characters of text under `el` (whitespace included; scripts and styles too, which is
/// close enough for comparing containers).
fn text_len(el: ElementRef) -> usize {
    el.descendants()
        .filter_map(|n| n.value().as_text().map(|t| t.len()))
        .sum()
}

/// Most link text an explicit root may have and still be taken as it is, without detection.
const MAX_TRUSTED_LINK_DENSITY: f64 = 0.25;

/// Share of the blocks' text that is link anchor text.
fn link_density(blocks: &[Block]) -> f64 {
    let text: usize = blocks.iter().map(|b| b.text.len()).sum();
    let links: usize = blocks
        .iter()
        .flat_map(|b| &b.links)
        .map(|l| l.text.len())
        .sum();
    if text == 0 {
        0.0
    } else {
        links as f64 / text as f64
    }
}

/// The article Readability finds on a page: its title and the word n-grams of its text.
struct Article {
    title: Vec<u64>,
    /// Words of the alt text of the article's images.
    figures: rustc_hash::FxHashSet<u64>,
    /// Hashes of every 1- to 4-gram of the article's words.
    grams: rustc_hash::FxHashSet<u64>,
    words: usize,
}

/// Lower-cased alphanumeric words of `text`, hashed.
fn word_hashes(text: &str) -> Vec<u64> {
    use std::hash::{Hash, Hasher};
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut h = rustc_hash::FxHasher::default();
            for c in w.chars().flat_map(char::to_lowercase) {
                c.hash(&mut h);
            }
            h.finish()
        })
        .collect()
}

/// The hash of one n-gram of word hashes.
fn gram(words: &[u64]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    words.len().hash(&mut h);
    words.hash(&mut h);
    h.finish()
}

/// Fewest words an article must have for detection to trust it.
const MIN_ARTICLE_WORDS: usize = 25;

/// Run Readability (dom_smoothie) on the page.
fn article_of(source: &str) -> Result<Article, String> {
    let mut readability = dom_smoothie::Readability::new(source, None, None)
        .map_err(|e| format!("the page could not be scored ({e})"))?;
    let found = readability
        .parse()
        .map_err(|e| format!("no article found ({e})"))?;
    let words = word_hashes(&found.text_content);
    if words.len() < MIN_ARTICLE_WORDS {
        return Err(format!("the article found has only {} words", words.len()));
    }
    let mut grams = rustc_hash::FxHashSet::default();
    for n in 1..=4 {
        grams.extend(words.windows(n).map(gram));
    }
    // The alt text of the article's images is not in its text; our figure blocks hold it.
    let mut figures = rustc_hash::FxHashSet::default();
    let content = Html::parse_fragment(&found.content);
    for img in content
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| e.value().name() == "img")
    {
        if let Some(alt) = alt_text(&img) {
            figures.extend(word_hashes(&alt));
        }
    }
    Ok(Article {
        figures,
        title: word_hashes(&found.title),
        grams,
        words: words.len(),
    })
}

/// Whether a block looks like page chrome by itself: mostly link text, or a few words that
/// end no sentence ("Share", "Related posts", "3 comments").
fn chrome_like(block: &Block) -> bool {
    let links: usize = block.links.iter().map(|l| l.text.len()).sum();
    if links * 2 >= block.text.len() {
        return true;
    }
    let words = block.text.split_whitespace().count();
    words < 10 && !block.text.trim_end().ends_with(['.', '!', '?', ':', ';'])
}

/// Shortest share of a block's 4-grams found in the article for the block to belong to it.
const IN_ARTICLE: f64 = 0.5;

/// Whether a block's text belongs to the article.
fn in_article(block: &Block, article: &Article) -> bool {
    let words = word_hashes(&block.text);
    if words.is_empty() {
        return false;
    }
    if words.len() < 4 {
        return article.grams.contains(&gram(&words));
    }
    let windows = words.windows(4);
    let total = windows.len();
    let found = windows.filter(|w| article.grams.contains(&gram(w))).count();
    found as f64 >= IN_ARTICLE * total as f64
}

/// Keep the blocks whose text belongs to the article; the others go to `removed`. The
/// heading that is the article's title stays; a figure stays when its alt text is that of an
/// image of the article (or its caption is in the text). In an `explicit` root, the blocks
/// after the article's last one stay up to the first heading or chrome-like block: the
/// root's content is the article's, and Readability drops short closing lists. When the kept
/// blocks do not cover half of the article's words, the blocks are left as they were and the
/// reason is returned.
fn keep_article(
    blocks: &mut Vec<Block>,
    removed: &mut Vec<Removed>,
    article: &Article,
    explicit: bool,
) -> Result<(), String> {
    let mut keep: Vec<bool> = blocks
        .iter()
        .map(|b| {
            matches!(b.kind, BlockKind::Heading { .. })
                && !article.title.is_empty()
                && word_hashes(&b.text) == article.title
                || in_article(b, article)
        })
        .collect();
    // A gap in the article (a block between two blocks of it, that does not look like
    // chrome itself) belongs to it: Readability also drops short lists and link-bearing
    // paragraphs of real articles.
    let text_at: Vec<usize> = (0..blocks.len())
        .filter(|&i| blocks[i].kind != BlockKind::Figure)
        .collect();
    for w in text_at.windows(3) {
        let (before, here, after) = (w[0], w[1], w[2]);
        if !keep[here] && keep[before] && keep[after] && !chrome_like(&blocks[here]) {
            keep[here] = true;
        }
    }
    // The end of an explicit root's article: Readability also drops its closing list.
    let last = text_at.iter().rev().find(|&&i| keep[i]).copied();
    if let (true, Some(last)) = (explicit, last) {
        for (i, b) in blocks.iter().enumerate().skip(last + 1) {
            match b.kind {
                BlockKind::Figure => continue,
                BlockKind::Heading { .. } => break,
                _ if chrome_like(b) => break,
                _ => keep[i] = true,
            }
        }
    }
    // A figure is kept when its alt text is that of an image of the article.
    for (i, b) in blocks.iter().enumerate() {
        if b.kind == BlockKind::Figure {
            let words = word_hashes(&b.text);
            let found = words.iter().filter(|w| article.figures.contains(w)).count();
            keep[i] = found * 2 > words.len() || in_article(b, article);
        }
    }
    let covered: usize = blocks
        .iter()
        .zip(&keep)
        .filter(|(b, k)| **k && b.kind != BlockKind::Figure)
        .map(|(b, _)| word_hashes(&b.text).len())
        .sum();
    if covered * 2 < article.words {
        return Err(format!(
            "the blocks hold only {covered} of the article's {} words",
            article.words
        ));
    }
    let mut keep = keep.into_iter();
    blocks.retain(|b| {
        let k = keep.next().unwrap_or(true);
        if !k {
            removed.push(Removed {
                reason: "outside the article (text and link density)".to_string(),
                text: b.text.clone(),
                line: b.line,
            });
        }
        k
    });
    Ok(())
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
    /// Walk left-out elements too, recording their blocks in `removed`.
    explain: bool,
    /// While walking a left-out element: why it is left out.
    removing: Option<String>,
    removed: Vec<Removed>,
    /// The element holding the article (its blocks are kept even inside a left-out walk).
    root: Option<NodeId>,
    /// Characters of text in the root: a chrome hint on a container holding most of it is
    /// wrong.
    root_text: Option<usize>,
    root_element: Option<ElementRef<'a>>,
    /// Leave out containers with a chrome hint in their class or id.
    hints: bool,
    /// Containers with a chrome hint met in the root (left out or not).
    hinted: usize,
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
                    if Some(child.id()) == self.root {
                        let outside = self.removing.take();
                        self.walk_as(child, None);
                        self.removing = outside;
                        continue;
                    }
                    if is_dropped(&child) && child.value().name() != "header" {
                        if self.explain && !SILENT.contains(&child.value().name()) {
                            self.walk_as(child, Some(drop_reason(&child)));
                        }
                        continue;
                    }
                    if self.hints && self.removing.is_none() {
                        if let Some(hint) = chrome_hint(&child) {
                            self.hinted += 1;
                            // A container holding most of the article is not chrome.
                            if text_len(child) * 2 < self.root_text() {
                                if self.explain {
                                    self.walk_as(child, Some(format!("class/id \"{hint}\"")));
                                }
                                continue;
                            }
                        }
                    }
                    self.element(child);
                }
                _ => {}
            }
        }
    }

    /// Characters of text in the root, counted the first time a hint asks.
    fn root_text(&mut self) -> usize {
        let root = self.root_element;
        *self
            .root_text
            .get_or_insert_with(|| root.map_or(0, text_len))
    }

    /// Walk `el` as its own blocks, kept (`reason` None) or recorded as removed.
    fn walk_as(&mut self, el: ElementRef, reason: Option<String>) {
        self.flush();
        let outer = std::mem::replace(&mut self.removing, reason);
        if self.removing.is_some() && !self.explain {
            self.removing = outer;
            return;
        }
        self.element(el);
        self.flush();
        self.removing = outer;
    }

    /// Add a block: to the kept ones, or to the removed ones while walking chrome.
    fn push(&mut self, block: Block) {
        match &self.removing {
            None => self.blocks.push(block),
            Some(reason) => self.removed.push(Removed {
                reason: reason.clone(),
                text: block.text,
                line: block.line,
            }),
        }
    }

    fn element(&mut self, el: ElementRef) {
        let name = el.value().name();
        match name {
            "header" if self.removing.is_some() => {
                // Left out anyway (a site header outside the root): list all of it.
                self.flush();
                self.container(el);
                self.flush();
            }
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
        self.push(block);
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
            self.push(block);
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
            self.push(block);
        }
    }

    /// A data table becomes one paragraph a row, its cells joined with ` | `; a layout table
    /// (a cell holding block content: paragraphs, lists, headings, another table) is walked cell by cell
    /// as containers. Rows of nested tables belong to those tables only.
    fn table(&mut self, el: ElementRef) {
        let rows: Vec<ElementRef> = el
            .child_elements()
            .flat_map(|c| match c.value().name() {
                "tr" => vec![c],
                "thead" | "tbody" | "tfoot" => c
                    .child_elements()
                    .filter(|r| r.value().name() == "tr")
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        let layout = rows.iter().any(|tr| {
            tr.child_elements().any(|cell| {
                cell.descendants().filter_map(ElementRef::wrap).any(|d| {
                    let name = d.value().name();
                    BLOCK_TAGS.contains(&name) && !TABLE_PARTS.contains(&name)
                })
            })
        });
        for tr in rows {
            if layout {
                for cell in tr.child_elements() {
                    if !is_dropped(&cell) {
                        self.flush();
                        self.line(cell);
                        self.container(cell);
                        self.flush();
                    }
                }
                continue;
            }
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
            self.push(block);
        }
        self.push_figures(inline.figures, line);
    }

    fn push_figures(&mut self, figures: Vec<String>, line: usize) {
        if !figures.is_empty() {
            self.push(Block::new(BlockKind::Figure, figures.join(" "), line));
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

/// Flattens `html` where element nesting (approximated with a stack of open tags) passes
/// [`MAX_DEPTH`]: start tags deeper than that, and their end tags, are replaced by spaces
/// (newlines inside a tag are kept), so their text stays, one level below the limit, at the
/// same byte offsets. The HTML parser is quadratic in nesting depth, so a hostile page of a
/// million nested `<div>`s would otherwise hang it; real pages nest a few dozen levels.
pub fn depth_guard(html: &str) -> std::borrow::Cow<'_, str> {
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
    // Open elements past the limit whose tags were blanked, innermost last.
    let mut flattened: Vec<&[u8]> = Vec::new();
    // Byte ranges of the tags to blank.
    let mut blank: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while let Some(off) = b.get(i..).and_then(|r| r.iter().position(|&c| c == b'<')) {
        i += off;
        if lower_at(i, b"<!--") {
            match find_from(i + 4, b"-->") {
                Some(end) => i = end + 3,
                None => break,
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
            None => break,
        };
        if closing {
            if flattened
                .last()
                .is_some_and(|s| s.eq_ignore_ascii_case(name))
            {
                flattened.pop();
                blank.push((i, tag_end + 1));
            } else if let Some(pos) = stack.iter().rposition(|s| s.eq_ignore_ascii_case(name)) {
                stack.truncate(pos);
                flattened.clear();
            }
            i = tag_end + 1;
            continue;
        }
        if name.eq_ignore_ascii_case(b"plaintext") {
            break;
        }
        if RAW_TEXT
            .iter()
            .any(|t| name.eq_ignore_ascii_case(t.as_bytes()))
        {
            let mut close = b"</".to_vec();
            close.extend(name.iter().map(u8::to_ascii_lowercase));
            match find_from(tag_end + 1, &close) {
                Some(end) => i = end + close.len(),
                None => break,
            }
            continue;
        }
        let self_closing = tag_end > 0 && b[tag_end - 1] == b'/';
        let nests = !NOT_NESTING
            .iter()
            .any(|n| n.as_bytes().eq_ignore_ascii_case(name));
        if nests && !self_closing {
            if stack.len() >= MAX_DEPTH {
                flattened.push(name);
                blank.push((i, tag_end + 1));
            } else {
                stack.push(name);
            }
        }
        i = tag_end + 1;
    }
    if blank.is_empty() {
        return std::borrow::Cow::Borrowed(html);
    }
    // Each range runs from a '<' to a '>': ASCII bytes, so blanking whole ranges keeps the
    // text valid UTF-8.
    let mut bytes = html.as_bytes().to_vec();
    for (from, to) in blank {
        for b in &mut bytes[from..to] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }
    std::borrow::Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|_| html.to_string()))
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
        let flat = depth_guard(&deep);
        // Flattened, not cut: the same bytes but the tags past the limit.
        assert_eq!(flat.len(), deep.len());
        assert!(flat.contains("before") && flat.contains("<p>x</p>"));
        assert_eq!(flat.matches("<div>").count(), MAX_DEPTH - 1);
        // An unclosed comment or script: the page is left to the parser as it is.
        let open = format!("<body><script>{many}");
        assert_eq!(depth_guard(&open), open);
    }

    #[test]
    fn chrome_hints_match_words_in_class_and_id() {
        let hint = |attrs: &str| {
            let html = Html::parse_fragment(&format!("<div {attrs}>x</div>"));
            let sel = Selector::parse("div").expect("selector");
            let div = html.select(&sel).next().expect("div");
            chrome_hint(&div)
        };
        assert_eq!(hint(r#"class="comment-list""#), Some("comment"));
        assert_eq!(hint(r#"id="related-posts""#), Some("related"));
        assert_eq!(hint(r#"class="top ad-slot""#), Some("ad"));
        assert_eq!(hint(r#"class="Newsletter-Box""#), Some("newsletter"));
        // Whole words only for the short ones: no "ad" in "head" or "loading".
        assert_eq!(hint(r#"class="entry-head loading""#), None);
        assert_eq!(hint(r#"class="article-body""#), None);
        assert_eq!(hint(""), None);
    }

    #[test]
    fn chrome_inside_main_is_left_out_with_its_reason() {
        let src = r#"<main><h1>T</h1><p>Article text that is long enough to be the article.</p>
<div class="share-buttons"><a href="/s">Share</a></div>
<section id="comments"><p>First!</p></section></main>"#;
        let doc = extract_page(src, None, true);
        assert_eq!(
            texts(&doc),
            ["T", "Article text that is long enough to be the article."]
        );
        let removed: Vec<_> = doc
            .removed
            .iter()
            .map(|r| (r.reason.as_str(), r.text.as_str(), r.line))
            .collect();
        assert_eq!(
            removed,
            [
                ("class/id \"share\"", "Share", 2),
                ("class/id \"comment\"", "First!", 3)
            ]
        );
        // Explaining changes what is listed, never what is kept.
        assert_eq!(texts(&extract(src, None)), texts(&doc));
        assert!(extract(src, None).removed.is_empty());
    }

    #[test]
    fn a_hint_on_the_container_of_most_of_the_article_is_ignored() {
        let src = r#"<main><div class="layout-with-sidebar"><h1>T</h1>
<p>The whole article sits in a container whose class mentions a sidebar.</p></div>
<div class="sidebar"><p>Links</p></div></main>"#;
        let doc = extract(src, None);
        assert_eq!(
            texts(&doc),
            [
                "T",
                "The whole article sits in a container whose class mentions a sidebar."
            ]
        );
    }

    #[test]
    fn nested_layout_tables_are_read_once() {
        let src = "<body><table><tr><td><p>Outer cell text.</p><table><tr><td>a</td><td>b</td></tr></table></td></tr></table></body>";
        let doc = extract(src, None);
        assert_eq!(texts(&doc), ["Outer cell text.", "a | b"]);
        let data = "<body><table><tr><th>Dose</th><th>Effect</th></tr><tr><td>1 g</td><td>none</td></tr></table></body>";
        assert_eq!(texts(&extract(data, None)), ["Dose | Effect", "1 g | none"]);
    }

    #[test]
    fn chrome_like_blocks_are_link_lists_and_short_labels() {
        let mut links = Block::new(BlockKind::Paragraph, "Home About Contact".into(), 1);
        links.links.push(Link {
            text: "Home About Contact".into(),
            href: "/".into(),
            url: None,
        });
        assert!(chrome_like(&links));
        assert!(chrome_like(&Block::new(
            BlockKind::Paragraph,
            "Related posts".into(),
            1
        )));
        assert!(!chrome_like(&Block::new(
            BlockKind::Paragraph,
            "Ice first.".into(),
            1
        )));
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

    #[test]
    fn text_nested_past_the_depth_limit_is_kept_on_its_line() {
        let open = "<div>\n".repeat(MAX_DEPTH + 100);
        let close = "</div>".repeat(MAX_DEPTH + 100);
        let page = format!(
            "<html><body><main><p>Before the deep part.</p>{open}<p>Deep inside: ice \
             first.</p>{close}<p>After the deep part.</p></main></body></html>"
        );
        let doc = extract(&page, None);
        let texts: Vec<(&str, usize)> = doc
            .blocks
            .iter()
            .map(|b| (b.text.as_str(), b.line))
            .collect();
        let deep_line = MAX_DEPTH + 100 + 1;
        assert!(
            texts.contains(&("Deep inside: ice first.", deep_line)),
            "{texts:?}"
        );
        assert!(
            texts.iter().any(|(t, _)| *t == "After the deep part."),
            "{texts:?}"
        );
    }
}
