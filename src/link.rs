//! Citation linking: resolves each passage's links to references (by DOI, PubMed id, PMC id or
//! normalised URL), classifies the links that do not resolve (related reading or unlisted
//! sources), finds author–year mentions and quoted titles in text without links, and gives
//! every passage the citations that back it.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::extract::Link;
use crate::passage::{Kind, Passage};
use crate::references::{Reference, ReferenceList, ReferenceMatcher};

/// How a citation reaches a passage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The passage itself links to the reference (or is the reference's own text).
    Passage,
    /// Another passage of the same section links to it; this passage has no link of its own.
    Section,
}

/// A citation as shown with a hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    pub id: String,
    pub label: String,
    pub url: Option<String>,
    pub doi: Option<String>,
    pub scope: Scope,
}

/// What a link points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkClass {
    /// A reference in references.json.
    Reference(String),
    /// Another page of the same site: further reading, not evidence.
    Related,
    /// An external page missing from references.json: cited, but unlisted.
    Unlisted,
    /// Not a web link (mailto:, tel:, javascript:, …).
    Other,
}

/// A passage with its citations and classified links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitedPassage {
    #[serde(flatten)]
    pub passage: Passage,
    pub citations: Vec<Citation>,
    /// External links that cite a source missing from references.json.
    #[serde(default)]
    pub unlisted: Vec<Link>,
}

impl CitedPassage {
    /// Ids of the references this passage cites directly.
    pub fn direct_ids(&self) -> impl Iterator<Item = &str> {
        self.citations
            .iter()
            .filter(|c| c.scope == Scope::Passage)
            .map(|c| c.id.as_str())
    }
}

/// Classify one link. `site` is the host of the document's own URL.
pub fn classify(link: &Link, matcher: &ReferenceMatcher, site: Option<&str>) -> LinkClass {
    let Some(url) = link.url.as_deref() else {
        return LinkClass::Other;
    };
    if let Some(id) = matcher.resolve(url) {
        return LinkClass::Reference(id.to_string());
    }
    let Ok(parsed) = Url::parse(url) else {
        return LinkClass::Other;
    };
    match parsed.scheme() {
        "http" | "https" => {}
        "file" => return LinkClass::Related,
        _ => return LinkClass::Other,
    }
    let host = parsed.host_str().map(strip_www);
    match (host, site.map(strip_www)) {
        (Some(h), Some(s)) if h.eq_ignore_ascii_case(s) => LinkClass::Related,
        _ => LinkClass::Unlisted,
    }
}

fn strip_www(h: &str) -> &str {
    h.strip_prefix("www.").unwrap_or(h)
}

/// Everything needed to link passages to a reference list, built once per ingest: the
/// identifier matcher, each reference's citation label, and lookup tables that find author–year
/// mentions and quoted titles in time linear in the text (not in the number of references).
pub struct Linker<'a> {
    refs: &'a ReferenceList,
    matcher: ReferenceMatcher,
    citations: HashMap<&'a str, Citation>,
    /// First word of a reference's first-author name → references.
    by_name: HashMap<&'a str, Vec<usize>>,
    /// Whether some name in `by_name` starts without a capital ("van", "de"): when none does,
    /// only capitalised words need looking up.
    lowercase_names: bool,
    /// Hash of the first four normalised words of a title (or main title), see
    /// [`window_key`] → (reference, normalised title).
    by_title: HashMap<u64, Vec<(usize, String)>>,
}

impl<'a> Linker<'a> {
    pub fn new(refs: &'a ReferenceList) -> Linker<'a> {
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::default();
        let mut by_title: HashMap<u64, Vec<(usize, String)>> = HashMap::default();
        let mut citations = HashMap::default();
        for (i, r) in refs.refs.iter().enumerate() {
            citations.insert(
                r.id.as_str(),
                Citation {
                    id: r.id.clone(),
                    label: r.short_label(),
                    url: r.url.clone().or_else(|| r.link()),
                    doi: r.display_doi(),
                    scope: Scope::Passage,
                },
            );
            if let Some(first) = r.surname().and_then(|n| n.split_whitespace().next()) {
                by_name.entry(first).or_default().push(i);
            }
            let main = r.title.split_once(':').map(|(m, _)| m);
            for t in std::iter::once(r.title.as_str()).chain(main) {
                let normalized = normalized_words(t);
                if let Some(first) = word_hashes(t).get(..MIN_TITLE_WORDS) {
                    let list = by_title.entry(window_key(first)).or_default();
                    if !list.iter().any(|(j, n)| *j == i && *n == normalized) {
                        list.push((i, normalized));
                    }
                }
            }
        }
        let lowercase_names = by_name
            .keys()
            .any(|name| !name.starts_with(char::is_uppercase));
        Linker {
            refs,
            matcher: ReferenceMatcher::new(refs),
            citations,
            by_name,
            lowercase_names,
            by_title,
        }
    }

    fn citation(&self, id: &str, scope: Scope) -> Citation {
        match self.citations.get(id) {
            Some(c) => Citation { scope, ..c.clone() },
            None => Citation {
                id: id.to_string(),
                label: id.to_string(),
                url: None,
                doi: None,
                scope,
            },
        }
    }

    /// References a text mentions without a link: by first-author name followed by the year
    /// ("Lau, W. Y., et al. (2019)", "Malanga et al., 2015", "Cleveland Clinic (2022)"), by an
    /// organisation's full name when the record has no year, or by quoting the title.
    pub fn mentions(&self, text: &str) -> Vec<String> {
        let mut candidates: Vec<usize> = Vec::new();
        // One pass over the words: names are looked up as written, and each word's hash is
        // kept for the titles.
        let hashes = word_hashes_with(text, |w| {
            if !self.lowercase_names && !w.starts_with(char::is_uppercase) {
                return;
            }
            if let Some(list) = self.by_name.get(w) {
                candidates.extend(
                    list.iter()
                        .filter(|&&i| author_year_mentioned(text, &self.refs.refs[i])),
                );
            }
        });
        if !self.by_title.is_empty() {
            // Each run of four neighbouring words is looked up by a hash of their hashes; only
            // a passage with a hit gets the normalised text the whole title is checked in.
            let hits: Vec<&(usize, String)> = hashes
                .windows(MIN_TITLE_WORDS)
                .filter_map(|run| self.by_title.get(&window_key(run)))
                .flatten()
                .collect();
            if !hits.is_empty() {
                let normalized = normalized_words(text);
                candidates.extend(
                    hits.into_iter()
                        .filter(|(_, title)| normalized.contains(title.as_str()))
                        .map(|(i, _)| *i),
                );
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|i| self.refs.refs[i].id.clone())
            .collect()
    }

    /// Give each passage its citations.
    ///
    /// A guide passage cites the references it links to; a passage with no citation of its own
    /// inherits those of its section (scope `section`), so a hit on "ice or heat" still shows
    /// the study its section relies on. A reference's own passages cite that reference.
    /// Section citations are computed within `passages`: pass whole documents.
    pub fn link(&self, passages: Vec<Passage>) -> Vec<CitedPassage> {
        let mut out: Vec<CitedPassage> = Vec::with_capacity(passages.len());
        // (doc, section path) -> references cited directly in that section, in first-seen order.
        let mut by_section: BTreeMap<(String, Vec<String>), Vec<String>> = BTreeMap::new();
        for p in passages {
            let mut ids: Vec<String> = Vec::new();
            let mut unlisted = Vec::new();
            if p.kind == Kind::Reference {
                ids.push(p.doc.clone());
            }
            let site = p
                .url
                .as_deref()
                .and_then(|u| Url::parse(u).ok())
                .and_then(|u| u.host_str().map(str::to_string));
            for link in &p.links {
                match classify(link, &self.matcher, site.as_deref()) {
                    LinkClass::Reference(id) if !ids.contains(&id) => ids.push(id),
                    LinkClass::Unlisted if p.kind == Kind::Guide => unlisted.push(link.clone()),
                    _ => {}
                }
            }
            if p.kind == Kind::Guide {
                // Text without links still cites: "Brinjikji, W., et al. (2015)", a quoted
                // title. A References-section paragraph with a resolving link is about that
                // reference only.
                let linked = !ids.is_empty();
                if !(linked && is_references_section(&p.section)) {
                    for id in self.mentions(&p.text) {
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                }
                let entry = by_section
                    .entry((p.doc.clone(), p.section.clone()))
                    .or_default();
                for id in &ids {
                    if !entry.contains(id) {
                        entry.push(id.clone());
                    }
                }
            }
            let citations = ids
                .iter()
                .map(|id| self.citation(id, Scope::Passage))
                .collect();
            out.push(CitedPassage {
                passage: p,
                citations,
                unlisted,
            });
        }
        for cp in &mut out {
            if cp.passage.kind != Kind::Guide || !cp.citations.is_empty() {
                continue;
            }
            let key = (cp.passage.doc.clone(), cp.passage.section.clone());
            if let Some(ids) = by_section.get(&key) {
                cp.citations = ids
                    .iter()
                    .map(|id| self.citation(id, Scope::Section))
                    .collect();
            }
        }
        out
    }
}

/// Give each passage its citations (see [`Linker::link`]).
pub fn link_passages(passages: Vec<Passage>, refs: &ReferenceList) -> Vec<CitedPassage> {
    Linker::new(refs).link(passages)
}

/// Whether a heading path is (inside) the guide's own reference list.
pub fn is_references_section(section: &[String]) -> bool {
    section.first().is_some_and(|h| {
        let h = h.trim().to_lowercase();
        matches!(
            h.as_str(),
            "references"
                | "sources"
                | "bibliography"
                | "works cited"
                | "citations"
                | "further reading and references"
        )
    })
}

/// Words of a text, lower-cased and joined by single spaces, with a space on each side, so a
/// title can be found with `contains`.
fn normalized_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// A hash of each word of `text`, lower-cased as [`normalized_words`] lower-cases it.
fn word_hashes(text: &str) -> Vec<u64> {
    word_hashes_with(text, |_| {})
}

/// [`word_hashes`], calling `each` with every word (a run of letters and digits) as written.
fn word_hashes_with(text: &str, mut each: impl FnMut(&str)) -> Vec<u64> {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let feed = |h: u64, c: char| (h.rotate_left(5) ^ u64::from(c)).wrapping_mul(K);
    let mut out = Vec::new();
    // The current word's start and hash.
    let mut word: Option<(usize, u64)> = None;
    for (i, c) in text.char_indices() {
        if c.is_ascii_alphanumeric() {
            let (start, h) = word.unwrap_or((i, 0));
            word = Some((start, feed(h, c.to_ascii_lowercase())));
        } else if c.is_alphanumeric() {
            let (start, h) = word.unwrap_or((i, 0));
            word = Some((start, c.to_lowercase().fold(h, feed)));
        } else if let Some((start, h)) = word.take() {
            each(&text[start..i]);
            out.push(h);
        }
    }
    if let Some((start, h)) = word {
        each(&text[start..]);
        out.push(h);
    }
    out
}

/// One key for a run of word hashes, different for the same words in another order.
fn window_key(run: &[u64]) -> u64 {
    run.iter().fold(0u64, |acc, &h| {
        (acc.rotate_left(17) ^ h).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    })
}

/// Fewest words a title (or its main title before a colon) needs to be recognised in text;
/// shorter titles ("Back Spasms") are too common to be evidence of a citation.
const MIN_TITLE_WORDS: usize = 4;
/// How far after an author's name the year may follow: "Brinjikji, W., et al. (2015)".
const YEAR_WINDOW_CHARS: usize = 40;

/// References a text mentions without a link (see [`Linker::mentions`]).
pub fn mentions(text: &str, refs: &ReferenceList) -> Vec<String> {
    Linker::new(refs).mentions(text)
}

fn author_year_mentioned(text: &str, r: &Reference) -> bool {
    let Some(name) = r
        .surname()
        .map(str::trim)
        .filter(|n| n.chars().count() >= 2)
    else {
        return false;
    };
    let organisation = r.authors.first().is_some_and(|a| a.family.is_none());
    for (start, _) in text.match_indices(name) {
        let end = start + name.len();
        let before_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = text[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if !(before_ok && after_ok) {
            continue;
        }
        match r.year {
            Some(year) => {
                let window: String = text[end..].chars().take(YEAR_WINDOW_CHARS).collect();
                if contains_number(&window, &year.to_string()) {
                    return true;
                }
            }
            // An organisation named in full ("American Osteopathic Association") is specific
            // enough on its own; a bare surname without a year is not.
            None if organisation && name.split_whitespace().count() >= 2 => return true,
            None => {}
        }
    }
    false
}

/// Whether `number` occurs in `text` as a whole number (not inside a longer one).
fn contains_number(text: &str, number: &str) -> bool {
    text.match_indices(number).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + number.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_words_are_lower_case_and_single_spaced() {
        assert_eq!(
            normalized_words("Lau, W. Y. (2019): Ärger—β-blockers "),
            " lau w y 2019 ärger β blockers "
        );
        assert_eq!(normalized_words(""), " ");
        assert_eq!(normalized_words("…"), " ");
    }
    use crate::passage::Passage;
    use std::path::Path;

    const REFS: &str = r#"[
      {"id": "brinjikji2015", "type": "article-journal",
       "title": "Systematic Literature Review of Imaging Features of Spinal Degeneration in Asymptomatic Populations",
       "author": [{"family": "Brinjikji", "given": "W."}, {"family": "Luetmer", "given": "P. H."}],
       "issued": {"date-parts": [[2015, 4]]}, "DOI": "10.3174/ajnr.A4173",
       "URL": "https://www.ajnr.org/content/36/4/811"},
      {"id": "lau2019", "type": "article-journal",
       "title": "Water intake after dehydration makes muscles more susceptible to cramp but electrolytes reverse that effect",
       "author": [{"family": "Lau", "given": "Wing Yin"}], "issued": {"date-parts": [[2019]]},
       "DOI": "10.1136/bmjsem-2018-000478", "URL": "https://bmjopensem.bmj.com/content/5/1/e000478"},
      {"id": "clevelandclinic2022", "type": "webpage", "title": "Back Spasms",
       "author": [{"literal": "Cleveland Clinic"}], "issued": {"date-parts": [[2022]]},
       "URL": "https://my.clevelandclinic.org/health/diseases/22881-back-spasms"},
      {"id": "aoa-yoga", "type": "webpage", "title": "The Benefits of Yoga",
       "author": [{"literal": "American Osteopathic Association"}],
       "URL": "https://osteopathic.org/what-is-osteopathic-medicine/benefits-of-yoga/"}
    ]"#;

    fn refs() -> ReferenceList {
        parse_refs(REFS)
    }

    fn parse_refs(csl: &str) -> ReferenceList {
        match ReferenceList::parse(csl, Path::new("test.json")) {
            Ok(r) => r,
            Err(e) => panic!("fixture does not parse: {e}"),
        }
    }

    fn link(href: &str) -> Link {
        Link {
            text: "anchor".into(),
            href: href.into(),
            url: Some(href.into()),
        }
    }

    fn guide(section: &str, n: usize, text: &str, links: Vec<Link>) -> Passage {
        Passage {
            id: format!("g#{}/{n}", section.to_lowercase()),
            kind: Kind::Guide,
            doc: "g".into(),
            title: "Guide".into(),
            section: vec![section.into()],
            text: text.into(),
            alt: String::new(),
            path: "guide/g.html".into(),
            line: n,
            url: Some("https://example.com/blogs/news/g".into()),
            links,
        }
    }

    #[test]
    fn classifies_unresolved_links_by_site() {
        let list = refs();
        let m = ReferenceMatcher::new(&list);
        let site = Some("example.com");
        assert_eq!(
            classify(&link("http://dx.doi.org/10.3174/AJNR.A4173"), &m, site),
            LinkClass::Reference("brinjikji2015".into())
        );
        assert_eq!(
            classify(&link("https://www.example.com/blogs/news/other"), &m, site),
            LinkClass::Related
        );
        assert_eq!(
            classify(&link("https://unknown.org/study"), &m, site),
            LinkClass::Unlisted
        );
        assert_eq!(classify(&link("mailto:a@b.c"), &m, site), LinkClass::Other);
        let no_url = Link {
            text: "x".into(),
            href: "#top".into(),
            url: None,
        };
        assert_eq!(classify(&no_url, &m, site), LinkClass::Other);
    }

    #[test]
    fn unlisted_links_are_kept_and_related_reading_is_not_a_citation() {
        let p = guide(
            "Tips",
            1,
            "Read our guide and a study.",
            vec![
                link("https://example.com/blogs/news/muscle-tension"),
                link("https://journal.example.org/article/42"),
            ],
        );
        let out = link_passages(vec![p], &refs());
        assert!(out[0].citations.is_empty());
        assert_eq!(out[0].unlisted.len(), 1);
        assert_eq!(
            out[0].unlisted[0].url.as_deref(),
            Some("https://journal.example.org/article/42")
        );
    }

    #[test]
    fn author_year_mentions_cite_without_links() {
        let list = refs();
        assert_eq!(
            mentions(
                "Our discussion is based on the landmark study by Brinjikji, W., et al. (2015) in AJNR.",
                &list
            ),
            ["brinjikji2015"]
        );
        assert_eq!(mentions("as Lau et al., 2019 showed", &list), ["lau2019"]);
        assert_eq!(
            mentions("The Cleveland Clinic (2022) offers an overview.", &list),
            ["clevelandclinic2022"]
        );
        // Wrong year, a name inside another word, a bare surname: no citation.
        assert!(mentions("Brinjikji (2016) and Laughlin 2019", &list).is_empty());
        assert!(mentions("Lau said so.", &list).is_empty());
        assert!(mentions("Brinjikji, 20155", &list).is_empty());
        // An organisation named in full needs no year when the record has none.
        assert_eq!(
            mentions(
                "Research from the American Osteopathic Association highlights yoga.",
                &list
            ),
            ["aoa-yoga"]
        );
    }

    #[test]
    fn lower_case_name_particles_are_still_looked_up() {
        let csl = r#"[{"id": "vdberg2020", "type": "article-journal", "title": "Hamstrings",
            "author": [{"family": "van der Berg", "given": "A."}],
            "issued": {"date-parts": [[2020]]}}]"#;
        let list = parse_refs(csl);
        assert_eq!(
            mentions("as van der Berg et al. (2020) found", &list),
            ["vdberg2020"]
        );
        assert!(mentions("as van der Berg et al. (2021) found", &list).is_empty());
    }

    #[test]
    fn titles_match_across_case_and_punctuation_but_only_whole() {
        let csl = r#"[{"id": "froid2021", "type": "article-journal",
            "title": "ÉFFETS du Froid sur les muscles: une revue",
            "issued": {"date-parts": [[2021]]}}]"#;
        let list = parse_refs(csl);
        assert_eq!(
            mentions("Voir « éffets du froid — sur les Muscles » (2021).", &list),
            ["froid2021"]
        );
        // The first four words alone are not the title.
        assert!(mentions("Éffets du froid sur le dos.", &list).is_empty());
    }

    #[test]
    fn quoted_titles_cite_but_short_titles_do_not() {
        let list = refs();
        assert_eq!(
            mentions(
                "See \"Water intake after dehydration makes muscles more susceptible to cramp but electrolytes reverse that effect\".",
                &list
            ),
            ["lau2019"]
        );
        // "Back Spasms" is a two-word title: far too common to count as a citation.
        assert!(mentions("Back spasms are common.", &list).is_empty());
    }

    #[test]
    fn references_section_paragraphs_link_by_author_and_year() {
        let passages = vec![
            guide(
                "References",
                1,
                "Our discussion of spinal degeneration is based on Brinjikji, W., et al. (2015).",
                Vec::new(),
            ),
            guide(
                "References",
                2,
                "Hydration research from Lau, W. Y., et al. (2019): the study (also see Brinjikji, W., et al. (2015)).",
                vec![link("https://bmjopensem.bmj.com/content/5/1/e000478")],
            ),
        ];
        let out = link_passages(passages, &refs());
        let ids = |i: usize| out[i].direct_ids().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(ids(0), ["brinjikji2015"]);
        // A paragraph with a resolving link describes that reference only.
        assert_eq!(ids(1), ["lau2019"]);
        assert!(is_references_section(&["References".to_string()]));
        assert!(!is_references_section(&["Conclusion".to_string()]));
    }

    #[test]
    fn body_passages_without_links_inherit_section_citations() {
        let passages = vec![
            guide("Heat", 1, "Heat increases blood flow.", Vec::new()),
            guide(
                "Heat",
                2,
                "Research confirms it.",
                vec![link("https://doi.org/10.3174/ajnr.a4173")],
            ),
        ];
        let out = link_passages(passages, &refs());
        assert_eq!(out[0].citations[0].scope, Scope::Section);
        assert_eq!(out[1].citations[0].scope, Scope::Passage);
    }
}
