//! Bibliographic metadata from landing-page HTML: extraction ([`parse_meta`]), usability,
//! CSL-JSON records ([`csl_from_meta`]) and citation ids ([`generate_id`]).

use std::collections::HashSet;
use std::sync::OnceLock;

use scraper::{Html, Selector};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::references::clean_doi;
use crate::sanitize::clean_line;

/// Bibliographic metadata and readable text of one landing page. All strings are
/// whitespace-collapsed and free of control characters (see [`super::sanitize_terminal`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageMeta {
    /// Title of the work.
    pub title: Option<String>,
    /// Authors as written in `citation_author`: usually "Family, Given"; organisations as is.
    pub authors: Vec<String>,
    /// Publication date as written on the page (e.g. "2015/1", "2015-04-28").
    pub date: Option<String>,
    /// Year parsed from [`PageMeta::date`].
    pub year: Option<i32>,
    /// Journal (container) title.
    pub journal: Option<String>,
    /// Journal volume.
    pub volume: Option<String>,
    /// Journal issue.
    pub issue: Option<String>,
    /// First page.
    pub first_page: Option<String>,
    /// Last page.
    pub last_page: Option<String>,
    /// DOI without prefix (e.g. "10.1080/00325481.2015.992719").
    pub doi: Option<String>,
    /// PubMed id (digits).
    pub pmid: Option<String>,
    /// Publisher.
    pub publisher: Option<String>,
    /// Canonical URL of the work (http/https only).
    pub url: Option<String>,
    /// Abstract or summary.
    pub abstract_text: Option<String>,
    /// Readable paragraphs of the page, with navigation, headers, footers, asides, scripts and
    /// styles removed.
    pub main_text: Vec<String>,
}

/// Extracts metadata: Highwire `citation_*` tags first, then Dublin Core (`DC.*`), PRISM and
/// Open Graph (`og:*`, `article:published_time`) as fallbacks, then `<title>` and
/// `<link rel=canonical>`. Main text comes from `<article>`, else `<main>`, else `<body>`.
/// Never panics, whatever the input.
pub fn parse_meta(html: &str) -> PageMeta {
    let doc = Html::parse_document(&crate::extract::html::depth_guard(html));
    let tags = MetaTags::collect(&doc);

    let title = tags
        .first(&["citation_title", "dc.title", "dcterms.title", "og:title"])
        .or_else(|| first_text(&doc, "title"));

    let mut authors = tags.all("citation_author");
    if authors.is_empty() {
        authors = tags
            .first(&["citation_authors"])
            .map(|s| {
                s.split(';')
                    .map(clean_line)
                    .filter(|a| !a.is_empty())
                    .collect()
            })
            .unwrap_or_default();
    }
    for fallback in ["dc.creator", "dcterms.creator", "author"] {
        if authors.is_empty() {
            authors = tags.all(fallback);
        }
    }

    let date = tags.first(&[
        "citation_publication_date",
        "citation_date",
        "citation_online_date",
        "citation_cover_date",
        "dc.date",
        "dc.date.issued",
        "dcterms.issued",
        "dcterms.date",
        "prism.publicationdate",
        "article:published_time",
    ]);
    let year = date.as_deref().and_then(parse_date).map(|(y, _, _)| y);

    let doi = tags
        .all("citation_doi")
        .into_iter()
        .chain(tags.all("prism.doi"))
        .chain(tags.all("dc.identifier"))
        .chain(tags.all("dcterms.identifier"))
        .find_map(|d| clean_doi(&d));

    let pmid = tags
        .first(&["citation_pmid"])
        .filter(|p| !p.is_empty() && p.len() <= 12 && p.chars().all(|c| c.is_ascii_digit()));

    let url = [
        "citation_public_url",
        "citation_abstract_html_url",
        "citation_fulltext_html_url",
        "og:url",
    ]
    .iter()
    .flat_map(|n| tags.all(n))
    .chain(canonical_link(&doc))
    .find(|u| is_web_url(u));

    let abstract_text = tags
        .first(&[
            "citation_abstract",
            "dc.description",
            "description",
            "og:description",
        ])
        .or_else(|| abstract_element(&doc));

    PageMeta {
        title,
        authors,
        date,
        year,
        journal: tags.first(&[
            "citation_journal_title",
            "prism.publicationname",
            "citation_conference_title",
        ]),
        volume: tags.first(&["citation_volume", "prism.volume"]),
        issue: tags.first(&["citation_issue", "prism.number"]),
        first_page: tags.first(&["citation_firstpage", "prism.startingpage"]),
        last_page: tags.first(&["citation_lastpage", "prism.endingpage"]),
        doi,
        pmid,
        publisher: tags.first(&["citation_publisher", "dc.publisher", "dcterms.publisher"]),
        url,
        abstract_text,
        main_text: main_text(html),
    }
}

/// Titles that mark an interstitial or error page rather than a work.
const JUNK_TITLES: &[&str] = &[
    "just a moment",
    "attention required",
    "access denied",
    "403 forbidden",
    "404 not found",
    "page not found",
    "not found",
    "service unavailable",
    "are you a robot",
    "captcha",
];

/// True when the page has a title (not an obvious error/interstitial title) and at least 40
/// characters of main text besides the title.
pub fn is_usable(meta: &PageMeta) -> bool {
    let Some(title) = meta
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return false;
    };
    let lower = title.to_lowercase();
    if JUNK_TITLES.iter().any(|j| {
        lower == *j || lower.starts_with(&format!("{j} ")) || lower.starts_with(&format!("{j}."))
    }) {
        return false;
    }
    let text: usize = meta
        .main_text
        .iter()
        .filter(|p| p.trim() != title)
        .map(|p| p.chars().count())
        .sum();
    text >= 40
}

/// Builds a CSL-JSON record: `id`, `type` ("article-journal" with a journal, else "webpage"),
/// `title`, `author` (`{family, given}` from "Family, Given"; organisations and single names as
/// `{literal}`), `container-title`, `volume`, `issue`, `page` ("first-last"), `issued`
/// (`date-parts`), `publisher`, `DOI`, `PMID`, `URL`. Absent fields are left out.
pub fn csl_from_meta(meta: &PageMeta, id: &str) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    let kind = if meta.journal.is_some() {
        "article-journal"
    } else {
        "webpage"
    };
    m.insert("type".into(), json!(kind));
    let mut put = |key: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            m.insert(key.into(), json!(v));
        }
    };
    put("title", &meta.title);
    put("container-title", &meta.journal);
    put("volume", &meta.volume);
    put("issue", &meta.issue);
    put("publisher", &meta.publisher);
    put("DOI", &meta.doi);
    put("PMID", &meta.pmid);
    put("URL", &meta.url);
    let page = match (&meta.first_page, &meta.last_page) {
        (Some(f), Some(l)) if f != l => Some(format!("{f}-{l}")),
        (Some(f), _) => Some(f.clone()),
        _ => None,
    };
    put("page", &page);
    let authors: Vec<Value> = meta.authors.iter().filter_map(|a| csl_name(a)).collect();
    if !authors.is_empty() {
        m.insert("author".into(), Value::Array(authors));
    }
    let parts = meta
        .date
        .as_deref()
        .and_then(parse_date)
        .map(|(y, mo, d)| {
            let mut p = vec![json!(y)];
            if let Some(mo) = mo {
                p.push(json!(mo));
                if let Some(d) = d {
                    p.push(json!(d));
                }
            }
            p
        })
        .or_else(|| meta.year.map(|y| vec![json!(y)]));
    if let Some(p) = parts {
        m.insert("issued".into(), json!({ "date-parts": [p] }));
    }
    Value::Object(m)
}

/// A CSL name object for one author string.
fn csl_name(author: &str) -> Option<Value> {
    let a = clean_line(author);
    if a.is_empty() {
        return None;
    }
    if let Some((family, given)) = a.split_once(',') {
        let (family, given) = (family.trim(), given.trim());
        return Some(match (family.is_empty(), given.is_empty()) {
            (false, false) => json!({"family": family, "given": given}),
            (false, true) => json!({"family": family}),
            (true, false) => json!({"literal": given}),
            (true, true) => return None,
        });
    }
    let words: Vec<&str> = a.split_whitespace().collect();
    if words.len() < 2 || is_organisation(&a) {
        return Some(json!({ "literal": a }));
    }
    let (family, given) = words.split_last().map(|(f, g)| (*f, g.join(" ")))?;
    Some(json!({"family": family, "given": given}))
}

/// Words that mark an author string as an organisation rather than a person.
const ORG_WORDS: &[&str] = &[
    "academy",
    "agency",
    "american",
    "association",
    "board",
    "center",
    "centre",
    "clinic",
    "college",
    "committee",
    "council",
    "department",
    "european",
    "federation",
    "foundation",
    "group",
    "health",
    "hospital",
    "institute",
    "institutes",
    "international",
    "ministry",
    "national",
    "network",
    "organisation",
    "organization",
    "service",
    "services",
    "society",
    "university",
    "world",
    "of",
    "for",
    "and",
    "the",
];

fn is_organisation(name: &str) -> bool {
    name.split_whitespace().any(|w| {
        ORG_WORDS.contains(
            &w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
                .as_str(),
        )
    })
}

/// Citation id "surnameYEAR" in lower-case ASCII (e.g. "malanga2015"), made unique against
/// `existing` with "b", "c", ... suffixes ("malanga2015b"). Organisations give their initials
/// when they have three or more words ("ninds2020"), else their words joined
/// ("clevelandclinic2022"). Without an author the first title word is used; without either,
/// "ref".
pub fn generate_id(meta: &PageMeta, existing: &HashSet<String>) -> String {
    let from_author = meta.authors.first().map(|a| id_stem(a)).unwrap_or_default();
    let stem = if from_author.is_empty() {
        meta.title
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(ascii_fold)
            .find(|w| !w.is_empty())
            .unwrap_or_default()
    } else {
        from_author
    };
    let stem = if stem.is_empty() {
        "ref".to_string()
    } else {
        stem
    };
    let base = match meta.year {
        Some(y) => format!("{stem}{y}"),
        None => stem,
    };
    if !existing.contains(&base) {
        return base;
    }
    for suffix in 'b'..='z' {
        let candidate = format!("{base}{suffix}");
        if !existing.contains(&candidate) {
            return candidate;
        }
    }
    let mut n = 27usize;
    loop {
        let candidate = format!("{base}-{n}");
        if !existing.contains(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

fn id_stem(author: &str) -> String {
    let a = clean_line(author);
    if let Some((family, given)) = a.split_once(',') {
        let f = ascii_fold(family);
        return if f.is_empty() { ascii_fold(given) } else { f };
    }
    let words: Vec<&str> = a.split_whitespace().collect();
    if is_organisation(&a) {
        if words.len() >= 3 {
            return words
                .iter()
                .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
                .filter_map(|w| ascii_fold(w).chars().next())
                .collect();
        }
        return words.iter().map(|w| ascii_fold(w)).collect();
    }
    words.last().map(|w| ascii_fold(w)).unwrap_or_default()
}

/// Lower-case ASCII letters and digits only; common accented Latin letters are transliterated.
fn ascii_fold(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        let mapped: &str = match c {
            'a'..='z' | '0'..='9' => {
                out.push(c);
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' => "c",
            'ð' | 'ď' | 'đ' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
            'ğ' => "g",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' => "i",
            'ł' | 'ľ' => "l",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
            'œ' => "oe",
            'ř' => "r",
            'ß' => "ss",
            'ś' | 'š' | 'ş' => "s",
            'ť' | 'ţ' => "t",
            'þ' => "th",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            _ => "",
        };
        out.push_str(mapped);
    }
    out
}

/// Parses dates such as "2015", "2015/1", "2015-04-28", "2019/03/05", "2015-04-28T10:00:00Z",
/// "2015 Jan 28", "28 April 2015", "April 28, 2015" into (year, month, day).
pub(crate) fn parse_date(s: &str) -> Option<(i32, Option<u32>, Option<u32>)> {
    let mut s = s.trim();
    if let Some(idx) = s.find(['T', 't']) {
        if idx >= 4 && s[..idx].chars().all(|c| c.is_ascii_digit() || c == '-') {
            s = &s[..idx];
        }
    }
    let tokens: Vec<&str> = s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let is_year = |t: &str| t.len() == 4 && t.chars().all(|c| c.is_ascii_digit());
    let year_idx = tokens.iter().position(|t| is_year(t))?;
    let year: i32 = tokens[year_idx]
        .parse()
        .ok()
        .filter(|y| (1000..=2999).contains(y))?;
    let num = |t: &str, max: u32| {
        t.parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n) && t.len() <= 2)
    };
    let month_of = |t: &str| num(t, 12).or_else(|| month_name(t));
    if year_idx == 0 {
        let month = tokens.get(1).and_then(|t| month_of(t));
        let day = month.and(tokens.get(2).and_then(|t| num(t, 31)));
        return Some((year, month, day));
    }
    let before = &tokens[..year_idx];
    let (month, day) = match before {
        [a, b] => match (month_name(a), month_name(b)) {
            (Some(m), None) => (Some(m), num(b, 31)),
            (None, Some(m)) => (Some(m), num(a, 31)),
            _ => match (num(a, 31), num(b, 31)) {
                (Some(d), Some(m)) if d > 12 && m <= 12 => (Some(m), Some(d)),
                (Some(m), Some(d)) if d > 12 && m <= 12 => (Some(m), Some(d)),
                _ => (None, None),
            },
        },
        [.., a] => (month_name(a), None),
        [] => (None, None),
    };
    Some((year, month, month.and(day)))
}

fn month_name(t: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let t = t.to_lowercase();
    if t.len() < 3 || !t.is_ascii() {
        return None;
    }
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    MONTHS
        .iter()
        .zip(full.iter())
        .position(|(abbr, full)| t == *abbr || t == *full || (t == "sept" && *abbr == "sep"))
        .map(|i| i as u32 + 1)
}

fn is_web_url(u: &str) -> bool {
    url::Url::parse(u)
        .map(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some())
        .unwrap_or(false)
}

/// `<meta>` tags keyed by lower-cased `name`/`property`, in document order.
struct MetaTags(Vec<(String, String)>);

impl MetaTags {
    fn collect(doc: &Html) -> MetaTags {
        let mut v = Vec::new();
        for el in doc.select(selector(Sel::Meta)) {
            let e = el.value();
            let Some(content) = e.attr("content") else {
                continue;
            };
            for key in [e.attr("name"), e.attr("property")].into_iter().flatten() {
                let content = clean_line(content);
                if !content.is_empty() {
                    v.push((key.trim().to_ascii_lowercase(), content));
                }
            }
        }
        MetaTags(v)
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn first(&self, names: &[&str]) -> Option<String> {
        names
            .iter()
            .find_map(|n| self.0.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()))
    }
}

#[derive(Clone, Copy)]
enum Sel {
    Meta,
    Title,
    Canonical,
    Abstract,
}

fn selector(which: Sel) -> &'static Selector {
    static SELS: OnceLock<Vec<Selector>> = OnceLock::new();
    let sels = SELS.get_or_init(|| {
        [
            "meta",
            "title",
            "link[rel~=canonical]",
            "#abstract, .abstract, #Abstract, .Abstract",
        ]
        .iter()
        // Constant selectors: parsing cannot fail at run time.
        .map(|s| Selector::parse(s).unwrap_or_else(|_| unreachable_selector(s)))
        .collect()
    });
    &sels[which as usize]
}

#[allow(clippy::panic)]
fn unreachable_selector(s: &str) -> Selector {
    panic!("invalid built-in selector {s}")
}

fn first_text(doc: &Html, which: &str) -> Option<String> {
    let sel = match which {
        "title" => selector(Sel::Title),
        _ => return None,
    };
    doc.select(sel)
        .map(|e| clean_line(&e.text().collect::<String>()))
        .find(|t| !t.is_empty())
}

fn canonical_link(doc: &Html) -> Option<String> {
    doc.select(selector(Sel::Canonical))
        .filter_map(|e| e.value().attr("href"))
        .map(clean_line)
        .find(|h| !h.is_empty())
}

fn abstract_element(doc: &Html) -> Option<String> {
    doc.select(selector(Sel::Abstract))
        .map(|e| clean_line(&e.text().collect::<Vec<_>>().join(" ")))
        .map(|t| t.strip_prefix("Abstract ").map(str::to_string).unwrap_or(t))
        .find(|t| !t.is_empty())
}

/// The page's readable text: its article (or main, or body) without chrome, one entry per
/// heading, paragraph or list, as ingest extracts it.
fn main_text(html: &str) -> Vec<String> {
    crate::extract::html::extract(html, None)
        .blocks
        .into_iter()
        .filter(|b| b.kind != crate::extract::BlockKind::Figure)
        .map(|b| b.text)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MALANGA: &str = include_str!("../../corpus/references/malanga2015.html");
    const CLEVELAND: &str = include_str!("../../corpus/references/clevelandclinic2022.html");

    #[test]
    fn malanga_fixture_gives_exact_csl_record() {
        let meta = parse_meta(MALANGA);
        let id = generate_id(&meta, &HashSet::new());
        assert_eq!(id, "malanga2015");
        let expected = json!({"id":"malanga2015","type":"article-journal","title":"Mechanisms and efficacy of heat and cold therapies for musculoskeletal injury","author":[{"family":"Malanga","given":"Gerard A."},{"family":"Yan","given":"Ning"},{"family":"Stark","given":"Jill"}],"container-title":"Postgraduate Medicine","volume":"127","issue":"1","page":"57-65","issued":{"date-parts":[[2015,1]]},"DOI":"10.1080/00325481.2015.992719","PMID":"25526231","URL":"https://doi.org/10.1080/00325481.2015.992719"});
        assert_eq!(csl_from_meta(&meta, &id), expected);
    }

    #[test]
    fn malanga_main_text_drops_chrome() {
        let meta = parse_meta(MALANGA);
        assert!(is_usable(&meta));
        assert_eq!(meta.year, Some(2015));
        assert_eq!(meta.date.as_deref(), Some("2015/1"));
        let text = meta.main_text.join("\n");
        assert!(text.contains("Cold therapy lowers pain"));
        assert!(!text.contains("Home"), "nav leaked: {text}");
        assert!(!text.contains("Page snapshot"), "footer leaked");
        assert!(!text.contains("analytics"), "script leaked");
        assert!(!text.contains("font-family"), "style leaked");
        assert_eq!(
            meta.main_text.first().map(String::as_str),
            meta.title.as_deref()
        );
    }

    #[test]
    fn organisation_author_is_literal_and_webpage_type() {
        let meta = parse_meta(CLEVELAND);
        let id = generate_id(&meta, &HashSet::new());
        assert_eq!(id, "clevelandclinic2022");
        let csl = csl_from_meta(&meta, &id);
        assert_eq!(csl["type"], "webpage");
        assert_eq!(csl["author"], json!([{"literal": "Cleveland Clinic"}]));
        assert_eq!(csl["issued"], json!({"date-parts": [[2022]]}));
        assert_eq!(
            csl["URL"],
            "https://my.clevelandclinic.org/health/diseases/22881-back-spasms"
        );
    }

    #[test]
    fn dublin_core_and_open_graph_fallbacks() {
        let html = r#"<html><head>
            <meta name="DC.title" content="DC Title">
            <meta name="DC.creator" content="Müller, Jörg">
            <meta name="DC.creator" content="Smith, Ann">
            <meta name="DC.date" content="2019/03/05">
            <meta name="DC.identifier" content="urn:isbn:123">
            <meta name="DC.identifier" content="doi:10.1000/xyz.1">
            <meta property="og:title" content="OG Title">
            <meta property="og:url" content="https://example.org/paper">
            <meta name="description" content="A short summary.">
            </head><body><main><p>Body text that is long enough to count as main text here.</p></main></body></html>"#;
        let m = parse_meta(html);
        assert_eq!(m.title.as_deref(), Some("DC Title"));
        assert_eq!(m.authors, vec!["Müller, Jörg", "Smith, Ann"]);
        assert_eq!(m.doi.as_deref(), Some("10.1000/xyz.1"));
        assert_eq!(m.url.as_deref(), Some("https://example.org/paper"));
        assert_eq!(m.abstract_text.as_deref(), Some("A short summary."));
        assert_eq!(generate_id(&m, &HashSet::new()), "muller2019");
        let csl = csl_from_meta(&m, "x");
        assert_eq!(csl["issued"], json!({"date-parts": [[2019, 3, 5]]}));

        let og = r#"<head><title> Fallback </title><meta property="og:title" content="OG Only">
            <meta property="article:published_time" content="2015-04-28T10:00:00Z"></head>"#;
        let m = parse_meta(og);
        assert_eq!(m.title.as_deref(), Some("OG Only"));
        assert_eq!(m.year, Some(2015));
        assert_eq!(
            parse_meta("<title> Only\n title </title>").title.as_deref(),
            Some("Only title")
        );
    }

    #[test]
    fn abstract_from_element_and_article_preferred_over_body() {
        let html = r#"<body><div class="abstract"><h2>Abstract</h2><p>We studied heat.</p></div>
            <aside>Related links</aside><article><p>Article paragraph one.</p></article></body>"#;
        let m = parse_meta(html);
        assert_eq!(m.abstract_text.as_deref(), Some("We studied heat."));
        assert_eq!(m.main_text, vec!["Article paragraph one."]);
    }

    #[test]
    fn server_text_is_sanitised() {
        let html = "<head><meta name=\"citation_title\" content=\"Evil\x1b]0;pwned\x07 \x1b[31mtitle\"></head>";
        assert_eq!(parse_meta(html).title.as_deref(), Some("Evil title"));
    }

    #[test]
    fn parse_date_formats() {
        assert_eq!(parse_date("2015/1"), Some((2015, Some(1), None)));
        assert_eq!(parse_date("2015-04-28"), Some((2015, Some(4), Some(28))));
        assert_eq!(parse_date("2019/03/05"), Some((2019, Some(3), Some(5))));
        assert_eq!(
            parse_date("2015-04-28T10:00:00+02:00"),
            Some((2015, Some(4), Some(28)))
        );
        assert_eq!(parse_date("2015 Jan 28"), Some((2015, Some(1), Some(28))));
        assert_eq!(parse_date("28 April 2015"), Some((2015, Some(4), Some(28))));
        assert_eq!(
            parse_date("April 28, 2015"),
            Some((2015, Some(4), Some(28)))
        );
        assert_eq!(parse_date("Spring 2015"), Some((2015, None, None)));
        assert_eq!(parse_date("2015/13/40"), Some((2015, None, None)));
        assert_eq!(parse_date("n.d."), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn ids_are_deduplicated_and_fall_back_to_title() {
        let meta = parse_meta(MALANGA);
        let mut existing: HashSet<String> = ["malanga2015".to_string()].into();
        assert_eq!(generate_id(&meta, &existing), "malanga2015b");
        existing.insert("malanga2015b".into());
        assert_eq!(generate_id(&meta, &existing), "malanga2015c");
        let anon = PageMeta {
            title: Some("Éclairs & health".into()),
            year: Some(2020),
            ..PageMeta::default()
        };
        assert_eq!(generate_id(&anon, &HashSet::new()), "eclairs2020");
        assert_eq!(generate_id(&PageMeta::default(), &HashSet::new()), "ref");
        let org = PageMeta {
            authors: vec!["National Institute of Neurological Disorders and Stroke".into()],
            year: Some(2020),
            ..PageMeta::default()
        };
        assert_eq!(generate_id(&org, &HashSet::new()), "ninds2020");
    }

    #[test]
    fn author_name_forms() {
        assert_eq!(
            csl_name("Malanga, Gerard A."),
            Some(json!({"family":"Malanga","given":"Gerard A."}))
        );
        assert_eq!(csl_name("Plato"), Some(json!({"literal":"Plato"})));
        assert_eq!(
            csl_name("Gerard Malanga"),
            Some(json!({"family":"Malanga","given":"Gerard"}))
        );
        assert_eq!(csl_name(" , "), None);
    }

    #[test]
    fn usability() {
        assert!(!is_usable(&parse_meta("")));
        assert!(!is_usable(&parse_meta("<title>Just a moment...</title><p>Checking your browser before accessing the site, please wait.</p>")));
        assert!(!is_usable(&parse_meta("<title>T</title><body><nav>lots of navigation text, lots and lots of it here</nav></body>")));
        assert!(is_usable(&parse_meta(CLEVELAND)));
    }

    #[test]
    fn hostile_input_never_panics() {
        // A million nested <div>s would take the HTML parser hours (quadratic); the depth
        // guard flattens it so parsing stays fast, and keeps its text.
        // (What bounds the time is the nesting the parser is given: asserted on the guard's
        // output, not on a clock, which a loaded machine makes meaningless.)
        let deep = "<div>".repeat(1_000_000) + "deep text";
        let guarded = crate::extract::html::depth_guard(&deep);
        assert!(guarded.matches("<div>").count() <= 512);
        let m = parse_meta(&deep);
        assert_eq!(m.main_text, vec!["deep text"]);
        let ok = "<div>".repeat(100) + "deep text";
        assert_eq!(parse_meta(&ok).main_text, vec!["deep text"]);
        // Stray closing tags do not fool the guard.
        let tricky = "<div></span>".repeat(100_000);
        let guarded = crate::extract::html::depth_guard(&tricky);
        assert!(guarded.matches("<div>").count() <= 512);
        let _ = parse_meta(&tricky);
        assert_eq!(crate::extract::html::depth_guard(MALANGA), MALANGA);
        for s in [
            "<meta name=citation_title>",
            "<meta content=x>",
            "\u{0}\u{fffd}<<>>",
            "<meta name=\"citation_publication_date\" content=\"99999999999999999999/99\">",
        ] {
            let m = parse_meta(s);
            let _ = csl_from_meta(&m, "x");
            let _ = generate_id(&m, &HashSet::new());
        }
    }
}
