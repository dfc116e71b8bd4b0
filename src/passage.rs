//! Passage splitting: a [`Document`] becomes passages (one per paragraph or list, long ones
//! split at sentence boundaries) with heading paths, stable ids, lines and anchor URLs.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use crate::extract::{Block, BlockKind, Document, Link};

/// Passages longer than this many words are split at sentence boundaries.
pub const MAX_WORDS: usize = 120;

/// Whether a passage comes from a guide or from a reference's own page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Guide,
    Reference,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Guide => "guide",
            Kind::Reference => "reference",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Kind, String> {
        match s {
            "guide" => Ok(Kind::Guide),
            "reference" => Ok(Kind::Reference),
            other => Err(format!(
                "unknown kind `{other}`: use `guide` or `reference`"
            )),
        }
    }
}

/// A searchable unit of text with everything needed to show and cite it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// `<doc>#<heading-slug>/<n>`: unchanged when another section of the document is edited.
    pub id: String,
    pub kind: Kind,
    /// Guide file stem, or reference id.
    pub doc: String,
    pub title: String,
    /// Heading path, outermost first, without the document title.
    pub section: Vec<String>,
    pub text: String,
    /// Alt text of the section's images attached to this passage (searchable, not shown).
    pub alt: String,
    /// Source path as given to the splitter (relative to the working directory when possible).
    pub path: String,
    /// 1-based line of the passage's first block.
    pub line: usize,
    /// Document URL with the nearest heading's `#id`, when known.
    pub url: Option<String>,
    /// Links that sit in this passage.
    pub links: Vec<Link>,
}

/// Identity of the document a passage comes from.
pub struct DocInfo<'a> {
    pub id: &'a str,
    pub kind: Kind,
    pub path: &'a str,
}

/// Split a document into passages.
pub fn split(doc: &Document, info: &DocInfo) -> Vec<Passage> {
    let mut sp = Splitter {
        doc,
        info,
        out: Vec::new(),
        headings: Vec::new(),
        slugs_used: HashMap::new(),
        counter: 0,
        pending_alt: Vec::new(),
        section_start: 0,
    };
    let mut title_seen = false;
    let blocks = &doc.blocks;
    let mut i = 0;
    while i < blocks.len() {
        let block = &blocks[i];
        match &block.kind {
            BlockKind::Heading { level, anchor } => {
                sp.flush_alt(block.line);
                if *level == 1 && !title_seen && block.text == doc.title {
                    // The title starts the document's heading hierarchy afresh.
                    title_seen = true;
                    sp.headings.clear();
                    sp.counter = sp.out.iter().filter(|p| p.section.is_empty()).count();
                    sp.section_start = sp.out.len();
                } else {
                    sp.heading(*level, &block.text, anchor.as_ref());
                }
            }
            BlockKind::Figure => {
                // A figure illustrates the text before it, or the section's first text.
                sp.pending_alt.push(block.text.clone());
                if sp.out.len() > sp.section_start {
                    sp.flush_alt(block.line);
                }
            }
            BlockKind::Paragraph | BlockKind::List => {
                // A paragraph that introduces a list ("…the following:") goes with it.
                let mut group: Vec<&Block> = vec![block];
                if block.kind == BlockKind::Paragraph && block.text.ends_with(':') {
                    if let Some(next) = blocks.get(i + 1).filter(|n| n.kind == BlockKind::List) {
                        group.push(next);
                        i += 1;
                    }
                }
                for chunk in chunk_group(&group) {
                    sp.text(chunk);
                }
            }
        }
        i += 1;
    }
    sp.flush_alt(0);
    sp.out
}

/// A heading on the current path: level, text, slug for ids, `id` anchor.
struct Heading {
    level: u8,
    text: String,
    slug: String,
    anchor: Option<String>,
}

/// The state of one document's split.
struct Splitter<'a> {
    doc: &'a Document,
    info: &'a DocInfo<'a>,
    out: Vec<Passage>,
    headings: Vec<Heading>,
    slugs_used: HashMap<String, usize>,
    /// Passages so far under the current heading (the `<n>` of ids).
    counter: usize,
    pending_alt: Vec<String>,
    /// Index in `out` of the current section's first passage.
    section_start: usize,
}

impl Splitter<'_> {
    fn heading(&mut self, level: u8, text: &str, anchor: Option<&String>) {
        while self.headings.last().is_some_and(|h| h.level >= level) {
            self.headings.pop();
        }
        let base = anchor.cloned().unwrap_or_else(|| slugify(text));
        let base = if base.is_empty() {
            "section".to_string()
        } else {
            base
        };
        let n = self.slugs_used.entry(base.clone()).or_insert(0);
        *n += 1;
        let slug = if *n == 1 { base } else { format!("{base}-{n}") };
        self.headings.push(Heading {
            level,
            text: text.to_string(),
            slug,
            anchor: anchor.cloned(),
        });
        self.counter = 0;
        self.section_start = self.out.len();
    }

    fn text(&mut self, chunk: Chunk) {
        let mut p = self.new_passage(chunk.line);
        p.text = chunk.text;
        p.links = chunk.links;
        if !self.pending_alt.is_empty() && self.out.len() == self.section_start {
            // A figure before the section's first text illustrates that text.
            p.alt = self.pending_alt.join(" ");
            self.pending_alt.clear();
        }
        self.out.push(p);
    }

    /// Attach pending figure alt text to the section's latest passage, or make it a passage of
    /// its own when the section has no text.
    fn flush_alt(&mut self, line: usize) {
        if self.pending_alt.is_empty() {
            return;
        }
        let alt = self.pending_alt.join(" ");
        self.pending_alt.clear();
        if self.out.len() > self.section_start {
            if let Some(last) = self.out.last_mut() {
                if !last.alt.is_empty() {
                    last.alt.push(' ');
                }
                last.alt.push_str(&alt);
                return;
            }
        }
        let mut p = self.new_passage(line.max(1));
        p.text = alt;
        self.out.push(p);
    }

    fn new_passage(&mut self, line: usize) -> Passage {
        self.counter += 1;
        let nearest = self.headings.last();
        let slug = nearest.map_or("top", |h| h.slug.as_str());
        let url = self
            .doc
            .url
            .as_ref()
            .map(|u| match nearest.and_then(|h| h.anchor.as_ref()) {
                Some(anchor) => {
                    let base = u.split('#').next().unwrap_or(u);
                    format!("{base}#{anchor}")
                }
                None => u.clone(),
            });
        Passage {
            id: format!("{}#{}/{}", self.info.id, slug, self.counter),
            kind: self.info.kind,
            doc: self.info.id.to_string(),
            title: self.doc.title.clone(),
            section: self.headings.iter().map(|h| h.text.clone()).collect(),
            text: String::new(),
            alt: String::new(),
            path: self.info.path.to_string(),
            line,
            url,
            links: Vec::new(),
        }
    }
}

struct Chunk {
    text: String,
    line: usize,
    links: Vec<Link>,
}

/// Turn a paragraph (or an intro paragraph plus its list) into one or more chunks of at most
/// [`MAX_WORDS`] words, cutting only between sentences or list items.
fn chunk_group(group: &[&Block]) -> Vec<Chunk> {
    let line = group.first().map_or(1, |b| b.line);
    let links: Vec<Link> = group.iter().flat_map(|b| b.links.iter().cloned()).collect();
    let text = group
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    if word_count(&text) <= MAX_WORDS {
        return vec![Chunk { text, line, links }];
    }
    // Units: sentences of paragraphs, items of lists.
    // Units: sentences of paragraphs (joined by spaces), items of lists (one per line).
    let mut units: Vec<(String, char, usize)> = Vec::new();
    for b in group {
        match b.kind {
            BlockKind::List => units.extend(
                b.text
                    .lines()
                    .enumerate()
                    .map(|(i, l)| (l.to_string(), '\n', b.line_of_item(i))),
            ),
            _ => units.extend(
                b.text
                    .split_sentence_bounds()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| (s.to_string(), ' ', b.line)),
            ),
        }
    }
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut current = String::new();
    let mut current_line = line;
    let mut words = 0;
    for (unit, sep, unit_line) in units {
        let w = word_count(&unit);
        if words > 0 && words + w > MAX_WORDS {
            chunks.push(Chunk {
                text: std::mem::take(&mut current),
                line: current_line,
                links: Vec::new(),
            });
            words = 0;
        }
        if current.is_empty() {
            // A chunk starts where its first item (or its paragraph) starts.
            current_line = unit_line;
        } else {
            current.push(sep);
        }
        current.push_str(&unit);
        words += w;
    }
    if !current.is_empty() {
        chunks.push(Chunk {
            text: current,
            line: current_line,
            links: Vec::new(),
        });
    }
    // Each link goes to the chunk that contains its anchor text.
    for link in links {
        let at = chunks
            .iter()
            .position(|c| !link.text.is_empty() && c.text.contains(&link.text))
            .unwrap_or(0);
        if let Some(c) = chunks.get_mut(at) {
            c.links.push(link);
        }
    }
    chunks
}

fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// A URL-safe slug: lower-case ASCII letters and digits joined by single hyphens.
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else if c != '\'' && c != '’' {
            dash = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{self, Format};

    fn split_html(src: &str) -> Vec<Passage> {
        let doc = extract::extract(Format::Html, src, Some("https://site.example/g"), "g");
        split(
            &doc,
            &DocInfo {
                id: "g",
                kind: Kind::Guide,
                path: "corpus/guide/g.html",
            },
        )
    }

    #[test]
    fn heading_paths_ids_and_urls() {
        let ps = split_html(
            "<link rel=\"canonical\" href=\"https://site.example/g\"><article><h1>Guide</h1><p>Intro.</p><h2 id=\"care\">Care</h2><p>One.</p><h3>Heat &amp; Ice</h3><p>Two.</p><p>Three.</p><h2>Next</h2><p>Four.</p></article>",
        );
        let got: Vec<_> = ps
            .iter()
            .map(|p| {
                (
                    p.id.as_str(),
                    p.section.join(" > "),
                    p.url.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("g#top/1", String::new(), "https://site.example/g"),
                ("g#care/1", "Care".into(), "https://site.example/g#care"),
                (
                    "g#heat-ice/1",
                    "Care > Heat & Ice".into(),
                    "https://site.example/g"
                ),
                (
                    "g#heat-ice/2",
                    "Care > Heat & Ice".into(),
                    "https://site.example/g"
                ),
                ("g#next/1", "Next".into(), "https://site.example/g"),
            ]
        );
        assert!(ps.iter().all(|p| p.title == "Guide"));
    }

    #[test]
    fn ids_are_stable_when_another_section_changes() {
        let a = split_html("<h1>G</h1><h2>A</h2><p>x.</p><h2>B</h2><p>y.</p><p>z.</p>");
        let b = split_html("<h1>G</h1><h2>A</h2><p>x.</p><p>new paragraph.</p><p>more.</p><h2>B</h2><p>y.</p><p>z.</p>");
        let ids = |ps: &[Passage]| -> Vec<(String, String)> {
            ps.iter()
                .filter(|p| p.section == ["B"])
                .map(|p| (p.id.clone(), p.text.clone()))
                .collect()
        };
        assert_eq!(ids(&a), ids(&b));
    }

    #[test]
    fn intro_paragraph_groups_with_its_list() {
        let ps = split_html("<h1>G</h1><p>See a doctor if:</p><ul><li>Fever</li><li>Numbness</li></ul><p>After.</p>");
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].text, "See a doctor if:\nFever\nNumbness");
    }

    #[test]
    fn long_paragraphs_split_at_sentences_and_keep_links() {
        let sentence = "This sentence has exactly ten words in it right now. ";
        let mut body = sentence.repeat(20);
        body.push_str("See <a href=\"https://doi.org/10.1/x\">the study</a>.");
        let ps = split_html(&format!("<h1>G</h1><p>{body}</p>"));
        assert!(ps.len() >= 2, "{} passages", ps.len());
        for p in &ps {
            assert!(word_count(&p.text) <= MAX_WORDS, "{}", word_count(&p.text));
            assert!(p.text.ends_with('.'));
        }
        let with_link: Vec<_> = ps.iter().filter(|p| !p.links.is_empty()).collect();
        assert_eq!(with_link.len(), 1);
        assert!(with_link[0].text.contains("the study"));
        assert_eq!(ps[0].id, "g#top/1");
        assert_eq!(ps[1].id, "g#top/2");
    }

    #[test]
    fn chunks_of_a_long_list_start_at_their_own_item_line() {
        let items: String = (1..=60)
            .map(|i| format!("<li>item {i} has exactly five words</li>\n"))
            .collect();
        let ps = split_html(&format!("<h1>G</h1>\n<ul>\n{items}</ul>"));
        assert!(ps.len() >= 2);
        assert_eq!(ps[0].line, 3);
        let first_item: usize = ps[1]
            .text
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(ps[1].line, 2 + first_item);
    }

    #[test]
    fn figure_alt_text_joins_its_section() {
        let ps = split_html("<h1>G</h1><h2>S</h2><p>Stretch.</p><figure><img alt=\"cat-cow pose\"></figure><h2>T</h2><figure><img alt=\"lonely figure\"></figure>");
        assert_eq!(ps[0].alt, "cat-cow pose");
        assert_eq!(ps[1].text, "lonely figure");
        assert_eq!(ps[1].section, ["T"]);
    }

    #[test]
    fn the_title_starts_the_heading_path_afresh() {
        let ps = split_html(
            "<article><h2>Kicker</h2><p>Before.</p><h1>Title</h1><p>After.</p></article>",
        );
        assert_eq!(ps[0].section, ["Kicker"]);
        assert_eq!(ps[1].section, Vec::<String>::new());
        assert_eq!(ps[1].id, "g#top/1");
    }

    #[test]
    fn duplicate_headings_get_distinct_slugs() {
        let ps = split_html("<h1>G</h1><h2>Summary</h2><p>a.</p><h2>Summary</h2><p>b.</p>");
        assert_eq!(ps[0].id, "g#summary/1");
        assert_eq!(ps[1].id, "g#summary-2/1");
    }

    #[test]
    fn slugify_examples() {
        assert_eq!(
            slugify("Red Flag Symptoms You Shouldn't Ignore"),
            "red-flag-symptoms-you-shouldnt-ignore"
        );
        assert_eq!(
            slugify("  Heat & Ice: 48–72 hours "),
            "heat-ice-48-72-hours"
        );
        assert_eq!(slugify("???"), "");
    }
}
