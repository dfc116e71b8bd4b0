//! Repetition across a site's pages as a chrome signal: a block found on many pages of one
//! site (a "related articles" list, a newsletter box, a disclaimer) is page chrome even when
//! nothing in its markup says so.
//!
//! This is the one part of extraction that depends on other pages, so it runs at ingest, after
//! each page is extracted on its own:
//! 1. Every block of a page whose article was found by scoring ([`Document::scored`]: no
//!    explicit `<main>`/`<article>`/`role=main`) is fingerprinted: the hash of its lower-cased
//!    words, for blocks of at least [`MIN_WORDS`] words (shorter ones, "Share", "Read more",
//!    "Symptoms", are too common to be evidence, and Readability already weighs them).
//! 2. Per site (the host of the page's canonical URL, or of the reference's URL; a page with
//!    no host, a local file, has no site), the number of pages holding each fingerprint is
//!    counted ([`SiteCounts`]). A fingerprint on at least [`MIN_PAGES`] pages and
//!    [`MIN_SHARE`] of the site's scored pages is repeated.
//! 3. Repeated blocks are left out of those pages ([`remove_repeated`]), with a heading whose
//!    whole section went that way, or that is repeated itself right over a repeated block (a
//!    box's title); the title never is, nor another heading with text kept under it.
//!
//! Pages with an explicit root are neither counted nor changed: the guide's own text, inside
//! its `<main>`/`<article>`, is never removed for being repeated. The fingerprints of every
//! page are kept with the index ([`SitePages`], `blocks.tsv` in a generation), so an
//! incremental update knows the counts without reading the corpus again, and re-extracts the
//! unchanged pages whose blocks crossed the threshold either way.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};

use super::{BlockKind, Document, Removed};

/// Fewest words a block needs to be fingerprinted.
pub const MIN_WORDS: usize = 4;
/// Fewest pages of a site a block must be on to be repeated.
pub const MIN_PAGES: usize = 3;
/// Smallest share of a site's (scored) pages a block must be on to be repeated: chrome sits
/// on most pages of a site, a section's chrome on a good part of them; text shared by fewer
/// is as likely a quotation, and is kept.
pub const MIN_SHARE: f64 = 0.25;

/// The site of a page: the host of its URL, without a leading `www.`; `None` for a URL with
/// no host (a local file).
pub fn site_of(url: Option<&str>) -> Option<String> {
    let url = url::Url::parse(url?).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
    .filter(|h| !h.is_empty())
}

/// The fingerprint of a block's text: the first 8 bytes of the BLAKE3 hash of its lower-cased
/// alphanumeric words joined by spaces (stable from version to version: it is stored); `None`
/// below [`MIN_WORDS`] words.
pub fn fingerprint(text: &str) -> Option<u64> {
    let mut norm = String::with_capacity(text.len());
    let mut words = 0;
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if words > 0 {
            norm.push(' ');
        }
        norm.extend(w.chars().flat_map(char::to_lowercase));
        words += 1;
    }
    if words < MIN_WORDS {
        return None;
    }
    let hash = blake3::hash(norm.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    Some(u64::from_le_bytes(first))
}

/// A page's fingerprints (sorted, each once) and its site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageBlocks {
    pub site: String,
    pub prints: Vec<u64>,
}

/// The fingerprints a page adds to its site's counts: `None` for a page with an explicit
/// root, without a site, or without a block long enough.
pub fn page_blocks(doc: &Document) -> Option<PageBlocks> {
    if !doc.scored {
        return None;
    }
    let site = site_of(doc.url.as_deref())?;
    let mut prints: Vec<u64> = doc
        .blocks
        .iter()
        .filter_map(|b| fingerprint(&b.text))
        .collect();
    prints.sort_unstable();
    prints.dedup();
    (!prints.is_empty()).then_some(PageBlocks { site, prints })
}

/// The fingerprints of every counted page of a corpus, by corpus-relative path: what an
/// index keeps ([`SitePages::to_text`]) to count them again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SitePages {
    pub pages: BTreeMap<String, PageBlocks>,
}

/// The first line of the stored form: what its columns are.
const HEADER: &str = "# citeseek site blocks: path, site, fingerprints (hex, space-separated) \
    of the blocks of pages without an explicit article root (tab-separated)";

impl SitePages {
    /// One line a page: `path<TAB>site<TAB>hex hex…`, `path` escaped with `escape`.
    pub fn to_text(&self, escape: impl Fn(&str) -> String) -> String {
        let mut out = String::with_capacity(64 + self.pages.len() * 96);
        out.push_str(HEADER);
        out.push('\n');
        for (path, page) in &self.pages {
            out.push_str(&escape(path));
            out.push('\t');
            out.push_str(&escape(&page.site));
            out.push('\t');
            for (i, p) in page.prints.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&format!("{p:016x}"));
            }
            out.push('\n');
        }
        out
    }

    /// The inverse of [`SitePages::to_text`]; `Err` names the first malformed line.
    pub fn parse(text: &str, unescape: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut pages = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || format!("line {}: not a site-blocks line", n + 1);
            let mut parts = line.split('\t');
            let (Some(path), Some(site), Some(prints), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            let (Some(path), Some(site)) = (unescape(path), unescape(site)) else {
                return Err(bad());
            };
            let mut prints = prints
                .split(' ')
                .filter(|p| !p.is_empty())
                .map(|p| u64::from_str_radix(p, 16))
                .collect::<Result<Vec<u64>, _>>()
                .map_err(|_| bad())?;
            prints.sort_unstable();
            prints.dedup();
            pages.insert(path, PageBlocks { site, prints });
        }
        Ok(SitePages { pages })
    }
}

/// How many of a site's counted pages hold each fingerprint.
#[derive(Debug, Clone, Default)]
pub struct SiteCounts {
    sites: FxHashMap<String, Site>,
}

#[derive(Debug, Clone, Default)]
struct Site {
    pages: usize,
    prints: FxHashMap<u64, usize>,
}

impl SiteCounts {
    /// The counts of these pages.
    pub fn of(pages: &SitePages) -> SiteCounts {
        let mut counts = SiteCounts::default();
        for page in pages.pages.values() {
            counts.add(page);
        }
        counts
    }

    pub fn add(&mut self, page: &PageBlocks) {
        let site = self.sites.entry(page.site.clone()).or_default();
        site.pages += 1;
        for p in &page.prints {
            *site.prints.entry(*p).or_insert(0) += 1;
        }
    }

    pub fn remove(&mut self, page: &PageBlocks) {
        let Some(site) = self.sites.get_mut(&page.site) else {
            return;
        };
        site.pages = site.pages.saturating_sub(1);
        for p in &page.prints {
            if let Some(n) = site.prints.get_mut(p) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    site.prints.remove(p);
                }
            }
        }
        if site.pages == 0 {
            self.sites.remove(&page.site);
        }
    }

    /// Fewest pages of `site` a block must be on to be repeated.
    fn threshold(site: &Site) -> usize {
        MIN_PAGES.max((site.pages as f64 * MIN_SHARE).ceil() as usize)
    }

    /// On how many pages of `site` the block is, when that makes it repeated.
    pub fn repeated(&self, site: &str, print: u64) -> Option<usize> {
        let s = self.sites.get(site)?;
        let n = *s.prints.get(&print)?;
        (n >= Self::threshold(s)).then_some(n)
    }

    /// The fingerprints of `site` that are repeated in one of `self` and `other` but not in
    /// both: the pages holding one of them extract differently.
    pub fn flipped(&self, other: &SiteCounts, site: &str) -> FxHashSet<u64> {
        let empty = FxHashMap::default();
        let mine = self.sites.get(site).map_or(&empty, |s| &s.prints);
        let theirs = other.sites.get(site).map_or(&empty, |s| &s.prints);
        mine.keys()
            .chain(theirs.keys())
            .copied()
            .filter(|&p| self.repeated(site, p).is_some() != other.repeated(site, p).is_some())
            .collect()
    }
}

/// Leave out of a scored page the blocks repeated on its site, the headings whose whole
/// section went with them, and a repeated heading right over a repeated block (the title of
/// a repeated box); never the title, nor another heading with a block kept under it. With
/// `explain`, they are listed in [`Document::removed`] as `repeated on N pages of SITE`.
/// Returns how many blocks were left out.
pub fn remove_repeated(doc: &mut Document, counts: &SiteCounts, explain: bool) -> usize {
    if !doc.scored {
        return 0;
    }
    let Some(site) = site_of(doc.url.as_deref()) else {
        return 0;
    };
    let repeated: Vec<Option<usize>> = doc
        .blocks
        .iter()
        .map(|b| fingerprint(&b.text).and_then(|p| counts.repeated(&site, p)))
        .collect();
    if repeated.iter().all(Option::is_none) {
        return 0;
    }
    let mut drop: Vec<bool> = doc
        .blocks
        .iter()
        .zip(&repeated)
        .map(|(b, r)| r.is_some() && !matches!(b.kind, BlockKind::Heading { .. }))
        .collect();
    // Headings, innermost first so that a section emptied of its subsections goes too.
    let mut by_level: Vec<usize> = (0..doc.blocks.len())
        .filter(|&i| matches!(doc.blocks[i].kind, BlockKind::Heading { .. }))
        .collect();
    let level = |i: usize| match doc.blocks[i].kind {
        BlockKind::Heading { level, .. } => level,
        _ => u8::MAX,
    };
    by_level.sort_by_key(|&i| std::cmp::Reverse(level(i)));
    let mut why: Vec<Option<usize>> = repeated.clone();
    for i in by_level {
        let b = &doc.blocks[i];
        if level(i) == 1 && b.text == doc.title {
            continue;
        }
        let end = (i + 1..doc.blocks.len())
            .find(|&j| level(j) <= level(i))
            .unwrap_or(doc.blocks.len());
        let section = i + 1..end;
        // A repeated heading over a repeated block is the title of a repeated box (a
        // newsletter sign-up): what follows the box is not under it.
        let heads_a_box = repeated[i].is_some()
            && doc
                .blocks
                .get(i + 1)
                .is_some_and(|b| !matches!(b.kind, BlockKind::Heading { .. }))
            && drop.get(i + 1) == Some(&true);
        let kept_under = section.clone().any(|j| !drop[j]);
        if kept_under && !heads_a_box {
            continue;
        }
        let dropped_under = section.clone().find(|&j| drop[j]);
        if let Some(n) = repeated[i].or_else(|| dropped_under.and_then(|j| why[j])) {
            drop[i] = true;
            why[i] = Some(n);
        }
    }
    let mut left_out = 0;
    let mut removed = Vec::new();
    let mut i = 0;
    doc.blocks.retain(|b| {
        let d = drop[i];
        if d {
            left_out += 1;
            if explain {
                let n = why[i].unwrap_or(0);
                removed.push(Removed {
                    reason: format!("repeated on {n} pages of {site}"),
                    text: b.text.clone(),
                    line: b.line,
                });
            }
        }
        i += 1;
        !d
    });
    if explain {
        doc.removed.extend(removed);
        doc.removed.sort_by_key(|r| r.line);
    }
    left_out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Block;

    fn page(url: &str, texts: &[&str]) -> Document {
        Document {
            title: "T".into(),
            url: Some(url.into()),
            scored: true,
            blocks: texts
                .iter()
                .enumerate()
                .map(|(i, t)| match t.strip_prefix("## ") {
                    Some(h) => Block::new(
                        BlockKind::Heading {
                            level: 2,
                            anchor: None,
                        },
                        h.into(),
                        i + 1,
                    ),
                    None => Block::new(BlockKind::Paragraph, t.to_string(), i + 1),
                })
                .collect(),
            ..Document::default()
        }
    }

    const BOX: &str = "Get our weekly letter with tips on sleep.";

    #[test]
    fn fingerprints_ignore_case_punctuation_and_short_blocks() {
        assert_eq!(
            fingerprint("Get our weekly letter!"),
            fingerprint("get  our WEEKLY letter")
        );
        assert_ne!(fingerprint("a b c d"), fingerprint("a b c e"));
        assert_eq!(fingerprint("Read more here"), None);
        assert_eq!(
            site_of(Some("https://WWW.Example.com/a")).as_deref(),
            Some("example.com")
        );
        assert_eq!(site_of(Some("file:///tmp/a.html")), None);
        assert_eq!(site_of(None), None);
    }

    #[test]
    fn a_block_on_enough_pages_of_a_site_is_left_out_with_its_heading() {
        let docs: Vec<Document> = (0..4)
            .map(|i| {
                let unique = format!("Page {i} has words of its own here.");
                page(
                    &format!("https://example.com/p{i}"),
                    &[&unique, "## Related", BOX],
                )
            })
            .collect();
        let mut pages = SitePages::default();
        for (i, d) in docs.iter().enumerate() {
            pages
                .pages
                .insert(format!("p{i}"), page_blocks(d).expect("counted"));
        }
        // Another site's pages do not count for this one.
        let mut other = page("https://other.example/x", &[BOX]);
        pages
            .pages
            .insert("x".into(), page_blocks(&other).expect("counted"));
        let counts = SiteCounts::of(&pages);
        let mut d = docs[0].clone();
        assert_eq!(remove_repeated(&mut d, &counts, true), 2);
        let texts: Vec<_> = d.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["Page 0 has words of its own here."]);
        assert_eq!(d.removed[0].reason, "repeated on 4 pages of example.com");
        assert_eq!(d.removed.len(), 2);
        assert_eq!(remove_repeated(&mut other, &counts, false), 0);

        // Two pages: under the threshold, kept.
        let mut two = SitePages::default();
        for (i, d) in docs.iter().enumerate().take(2) {
            two.pages
                .insert(format!("p{i}"), page_blocks(d).expect("counted"));
        }
        let mut d = docs[0].clone();
        assert_eq!(remove_repeated(&mut d, &SiteCounts::of(&two), false), 0);
        let flipped = SiteCounts::of(&two).flipped(&counts, "example.com");
        assert_eq!(flipped.len(), 1);
        assert!(flipped.contains(&fingerprint(BOX).expect("long enough")));
    }

    #[test]
    fn pages_with_an_explicit_root_are_neither_counted_nor_changed() {
        let mut d = page("https://example.com/a", &[BOX]);
        d.scored = false;
        assert_eq!(page_blocks(&d), None);
        let mut pages = SitePages::default();
        for i in 0..5 {
            let p = page(&format!("https://example.com/{i}"), &[BOX]);
            pages.pages.insert(i.to_string(), page_blocks(&p).unwrap());
        }
        assert_eq!(remove_repeated(&mut d, &SiteCounts::of(&pages), false), 0);
        assert_eq!(d.blocks.len(), 1);
    }

    #[test]
    fn the_share_of_a_large_site_raises_the_threshold() {
        let mut pages = SitePages::default();
        for i in 0..20 {
            let text = if i < 4 {
                BOX
            } else {
                "Something else entirely, page by page."
            };
            let own = format!("Unique text number {i} of this page.");
            let p = page(&format!("https://example.com/{i}"), &[text, &own]);
            pages.pages.insert(i.to_string(), page_blocks(&p).unwrap());
        }
        let counts = SiteCounts::of(&pages);
        let print = fingerprint(BOX).unwrap();
        // 4 of 20 pages is under a quarter; 16 of 20 is over.
        assert_eq!(counts.repeated("example.com", print), None);
        let other = fingerprint("Something else entirely, page by page.").unwrap();
        assert_eq!(counts.repeated("example.com", other), Some(16));
    }

    #[test]
    fn the_stored_form_round_trips() {
        let mut pages = SitePages::default();
        pages.pages.insert(
            "guide/a\tb.html".into(),
            PageBlocks {
                site: "example.com".into(),
                prints: vec![1, u64::MAX, 0xabc],
            },
        );
        let esc = |s: &str| s.replace('\t', "%09");
        let unesc = |s: &str| Some(s.replace("%09", "\t"));
        let text = pages.to_text(esc);
        let mut back = SitePages::parse(&text, unesc).expect("parses");
        back.pages
            .values_mut()
            .for_each(|p| p.prints.sort_unstable());
        let mut want = pages.clone();
        want.pages
            .values_mut()
            .for_each(|p| p.prints.sort_unstable());
        assert_eq!(back, want);
        assert!(SitePages::parse("a\tb\tzz\n", unesc).is_err());
        assert!(SitePages::parse("a\tb\n", unesc).is_err());
    }
}
