//! Identifiers, the one place they are parsed: DOIs (as written, and as a lower-cased
//! comparison key), PMIDs, PMCIDs, web URLs as comparison keys, and the identifier keys of a
//! study link ([`link_keys`]). The fetcher uses these too.

use std::fmt::Write as _;

use url::Url;

/// A PMID: digits, with an optional `PMID:` prefix.
pub(crate) fn normalize_pmid(s: &str) -> Option<String> {
    let t = s.trim();
    let t = strip_prefix_ci(t, "pmid:").unwrap_or(t).trim();
    (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.to_string())
}

/// A PMCID as `PMC<digits>`, the `PMC` prefix optional in the input.
pub(crate) fn normalize_pmcid(s: &str) -> Option<String> {
    let t = s.trim();
    let digits = strip_prefix_ci(t, "pmc").unwrap_or(t).trim();
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("PMC{digits}"))
}

/// `s` without `prefix`, compared ignoring ASCII case.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Strip trailing punctuation that is not part of the DOI (unbalanced closing brackets too).
fn trim_doi_tail(mut s: &str) -> &str {
    loop {
        let before = s;
        s = s.trim_end_matches(['.', ',', ';', ':', '\'', '"', '>', '!', '?']);
        for (open, close) in [('(', ')'), ('[', ']'), ('{', '}')] {
            if s.ends_with(close) && s.matches(close).count() > s.matches(open).count() {
                s = s.get(..s.len() - close.len_utf8()).unwrap_or(s);
            }
        }
        if s == before {
            return s;
        }
    }
}

/// The hosts of the DOI resolver, whose paths are DOIs (a leading `www.` is dropped first).
const RESOLVER_HOSTS: [&str; 2] = ["doi.org", "dx.doi.org"];

fn is_resolver_host(host: &str) -> bool {
    RESOLVER_HOSTS.contains(&host)
}

/// `10.…` or `doi:…`: a DOI written without a resolver link.
fn is_bare_doi(s: &str) -> bool {
    s.starts_with("10.") || strip_prefix_ci(s, "doi:").is_some()
}

/// Whether `s` is given as a DOI rather than as a web page: `10.…`, `doi:…`, or a link on the
/// resolver, `http(s)://doi.org/…` or `http(s)://dx.doi.org/…` (any case). `add` asks this of
/// its input; [`normalize_doi`] then says whether the DOI is a valid one.
pub fn names_doi(s: &str) -> bool {
    let t = s.trim();
    let on_resolver = ["https://", "http://"]
        .iter()
        .filter_map(|scheme| strip_prefix_ci(t, scheme))
        .any(|rest| {
            RESOLVER_HOSTS
                .iter()
                .any(|host| strip_prefix_ci(rest, host).is_some_and(|path| path.starts_with('/')))
        });
    is_bare_doi(t) || on_resolver
}

/// A DOI with its `doi:` or resolver prefix removed and its case kept, as it is shown
/// (citations, exports) and sent (DOI content negotiation); `None` unless it is a DOI.
///
/// Accepts `10.x/y`, `doi:10.x/y` and `DOI: 10.x/y`, `http(s)://(www.|dx.)doi.org/10.x/y` in
/// any case, `doi.org/10.x/y`, percent-encoded forms, and surrounding brackets or quotes;
/// trims trailing punctuation that is not part of the DOI (unbalanced closing brackets too).
/// The registrant must be digits (`10.1000`, `10.1000.5`) and the suffix not empty.
pub fn clean_doi(s: &str) -> Option<String> {
    let mut t = s.trim().to_string();
    if t.contains('%') {
        t = percent_decode(&t);
    }
    let mut rest = t.trim().trim_start_matches(['(', '[', '{', '<', '"', '\'']);
    if let Some(r) = strip_prefix_ci(rest, "doi:") {
        rest = r.trim_start();
    }
    let lower = rest.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let url = Url::parse(rest).ok()?;
        if !is_resolver_host(&bare_host(&url)?) {
            return None;
        }
        let path = percent_decode(url.path());
        return clean_doi(path.trim_start_matches('/'));
    }
    for prefix in ["www.doi.org/", "dx.doi.org/", "doi.org/"] {
        if let Some(r) = strip_prefix_ci(rest, prefix) {
            rest = r;
            break;
        }
    }
    let rest = trim_doi_tail(rest);
    let (prefix, suffix) = rest.split_once('/')?;
    let registrant = prefix.strip_prefix("10.")?;
    let valid_prefix = !registrant.is_empty()
        && registrant
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !valid_prefix || suffix.is_empty() || rest.chars().any(char::is_whitespace) {
        return None;
    }
    Some(rest.to_string())
}

/// A DOI as a comparison key: [`clean_doi`], lower-cased (DOIs are case-insensitive, so
/// `10.3174/ajnr.A4173` and `10.3174/AJNR.a4173` are one work). Accepts what `clean_doi`
/// accepts: `10.x/y`, `doi:10.x/y`, `https://doi.org/10.x/y`, `http://dx.doi.org/10.x/y`,
/// percent-encoded forms, trailing punctuation.
pub fn normalize_doi(s: &str) -> Option<String> {
    clean_doi(s).map(|d| d.to_lowercase())
}

const FILE_EXTENSIONS: &[&str] = &[
    "html", "htm", "php", "asp", "aspx", "jsp", "cgi", "pdf", "xml", "json", "txt", "md", "png",
    "jpg", "jpeg", "gif", "svg", "css", "js",
];

/// `example.org/path` without a scheme (as produced by [`normalize_url`]).
fn looks_like_bare_host(s: &str) -> bool {
    let authority = s.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.split(':').next().unwrap_or("");
    let Some((_, tld)) = host.rsplit_once('.') else {
        return false;
    };
    !host.starts_with('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && !FILE_EXTENSIONS.contains(&tld.to_ascii_lowercase().as_str())
}

/// Parse an http(s) URL; also accepts protocol-relative `//host/..` and bare `host.tld/..`.
fn parse_web_url(s: &str) -> Option<Url> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if t.starts_with("//") {
        return Url::parse(&format!("https:{t}")).ok();
    }
    match Url::parse(t) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
        Ok(u) if u.scheme().contains('.') && looks_like_bare_host(t) => {
            Url::parse(&format!("https://{t}")).ok()
        }
        Ok(_) => None,
        Err(url::ParseError::RelativeUrlWithoutBase) if looks_like_bare_host(t) => {
            Url::parse(&format!("https://{t}")).ok()
        }
        Err(_) => None,
    }
    .filter(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// Upper-case percent-escapes and decode escaped unreserved characters (RFC 3986 §6.2.2).
fn normalize_percent(s: &str) -> String {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let hex = |c: u8| (c as char).to_digit(16);
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                let byte = (h * 16 + l) as u8;
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    out.push(byte);
                } else {
                    out.push(b'%');
                    out.push(b[i + 1].to_ascii_uppercase());
                    out.push(b[i + 2].to_ascii_uppercase());
                }
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_tracking_param(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_") || k == "fbclid" || k == "gclid"
}

/// Host without a leading `www.`, lower-cased.
fn bare_host(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(host.strip_prefix("www.").unwrap_or(&host).to_string())
}

/// Normalise an http(s) URL into a scheme-less comparison key, e.g.
/// `http://www.Example.org:443/a/b/?utm_source=x&id=3#top` -> `example.org/a/b?id=3`.
///
/// Scheme, userinfo, `www.`, default ports (80, 443), fragment, tracking parameters
/// (`utm_*`, `fbclid`, `gclid`) and trailing slashes are dropped; other query parameters are
/// kept in order; percent-escapes are upper-cased. Non-http(s) URLs give `None`.
pub fn normalize_url(s: &str) -> Option<String> {
    let url = parse_web_url(s)?;
    let mut out = bare_host(&url)?;
    if let Some(port) = url.port() {
        if port != 80 && port != 443 {
            let _ = write!(out, ":{port}");
        }
    }
    let path = normalize_percent(url.path());
    out.push_str(path.trim_end_matches('/'));
    if let Some(query) = url.query() {
        let kept: Vec<String> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| !is_tracking_param(p.split('=').next().unwrap_or("")))
            .map(normalize_percent)
            .collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    Some(out)
}

/// Identifier keys extracted from one link.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LinkKeys {
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub pmcid: Option<String>,
    pub url: Option<String>,
}

/// Extract DOI, PMID, PMCID and the normalised URL from a link.
///
/// * DOI: `doi.org` / `dx.doi.org` links, any path containing `/doi/` (also `/doi/abs/`,
///   `/doi/full/`, `/doi/pdf/`, `/doi/epdf/`), a `doi=` query parameter, `doi:` strings.
/// * PMID: `pubmed.ncbi.nlm.nih.gov/<digits>`, `ncbi.nlm.nih.gov/pubmed/<digits>`,
///   `europepmc.org/article/MED/<digits>`.
/// * PMCID: `pmc.ncbi.nlm.nih.gov/articles/PMC<digits>`,
///   `ncbi.nlm.nih.gov/pmc/articles/PMC<digits>`, `europepmc.org/article/PMC/PMC<digits>`.
pub fn link_keys(url: &str) -> LinkKeys {
    let mut keys = LinkKeys::default();
    let trimmed = url.trim();
    if is_bare_doi(trimmed) {
        keys.doi = normalize_doi(trimmed);
        return keys;
    }
    let Some(parsed) = parse_web_url(trimmed) else {
        return keys;
    };
    keys.url = normalize_url(trimmed);
    let Some(host) = bare_host(&parsed) else {
        return keys;
    };
    let segments: Vec<String> = parsed
        .path_segments()
        .map(|segs| segs.filter(|s| !s.is_empty()).map(percent_decode).collect())
        .unwrap_or_default();
    let seg = |i: usize| segments.get(i).map(String::as_str);
    let seg_is = |i: usize, want: &str| seg(i).is_some_and(|s| s.eq_ignore_ascii_case(want));

    // DOI
    if is_resolver_host(&host) {
        keys.doi = normalize_doi(&segments.join("/"));
    } else if let Some(pos) = segments.iter().position(|s| s.eq_ignore_ascii_case("doi")) {
        let mut rest = segments.get(pos + 1..).unwrap_or(&[]);
        if let Some((first, tail)) = rest.split_first() {
            let views = ["abs", "full", "pdf", "epdf", "pdfdirect", "reader", "book"];
            if views.iter().any(|v| first.eq_ignore_ascii_case(v)) {
                rest = tail;
            }
        }
        keys.doi = normalize_doi(&rest.join("/"));
    }
    if keys.doi.is_none() {
        keys.doi = parsed
            .query_pairs()
            .find(|(k, _)| k.eq_ignore_ascii_case("doi"))
            .and_then(|(_, v)| normalize_doi(&v));
    }

    // PMID / PMCID
    let digits_only = |s: Option<&str>| s.and_then(normalize_pmid);
    match host.as_str() {
        "pubmed.ncbi.nlm.nih.gov" if segments.len() == 1 => keys.pmid = digits_only(seg(0)),
        "ncbi.nlm.nih.gov" if seg_is(0, "pubmed") && segments.len() == 2 => {
            keys.pmid = digits_only(seg(1));
        }
        "pmc.ncbi.nlm.nih.gov" if seg_is(0, "articles") => keys.pmcid = pmcid_strict(seg(1)),
        "ncbi.nlm.nih.gov" if seg_is(0, "pmc") && seg_is(1, "articles") => {
            keys.pmcid = pmcid_strict(seg(2));
        }
        "europepmc.org" if seg_is(0, "article") || seg_is(0, "abstract") => {
            if seg_is(1, "MED") {
                keys.pmid = digits_only(seg(2));
            } else if seg_is(1, "PMC") {
                keys.pmcid = seg(2).and_then(normalize_pmcid);
            }
        }
        "europepmc.org" if seg_is(0, "articles") => keys.pmcid = pmcid_strict(seg(1)),
        _ => {}
    }
    keys
}

/// `PMC<digits>` (prefix required).
fn pmcid_strict(s: Option<&str>) -> Option<String> {
    let s = s?;
    strip_prefix_ci(s, "pmc")?;
    normalize_pmcid(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::references::testdata::s;

    #[test]
    fn doi_normalisation_shapes() {
        let want = s("10.1080/00325481.2015.992719");
        for input in [
            "10.1080/00325481.2015.992719",
            "doi:10.1080/00325481.2015.992719",
            "DOI: 10.1080/00325481.2015.992719",
            "https://doi.org/10.1080/00325481.2015.992719",
            "http://doi.org/10.1080/00325481.2015.992719",
            "http://dx.doi.org/10.1080/00325481.2015.992719",
            "doi.org/10.1080/00325481.2015.992719",
            "10.1080%2F00325481.2015.992719",
            "https://doi.org/10.1080%2F00325481.2015.992719",
            "10.1080/00325481.2015.992719.",
            "(10.1080/00325481.2015.992719),",
            "  10.1080/00325481.2015.992719;  ",
        ] {
            assert_eq!(normalize_doi(input), want, "input {input:?}");
        }
        assert_eq!(normalize_doi("10.3174/ajnr.A4173"), s("10.3174/ajnr.a4173"));
        // Balanced parentheses are part of the DOI.
        assert_eq!(
            normalize_doi("10.1016/S0140-6736(20)30183-5"),
            s("10.1016/s0140-6736(20)30183-5")
        );
        assert_eq!(normalize_doi("10.1000/abc(1)"), s("10.1000/abc(1)"));
        for bad in [
            "",
            "doi:",
            "11.1000/x",
            "10.abc/x",
            "10.1000/",
            "10.1000",
            "not a doi",
        ] {
            assert_eq!(normalize_doi(bad), None, "input {bad:?}");
        }
        assert_eq!(normalize_doi("https://example.org/10.1000/x"), None);
    }

    #[test]
    fn url_normalisation() {
        let cases = [
            (
                "http://bmjopensem.bmj.com/content/5/1/e000478",
                "bmjopensem.bmj.com/content/5/1/e000478",
            ),
            (
                "https://bmjopensem.bmj.com/content/5/1/e000478/",
                "bmjopensem.bmj.com/content/5/1/e000478",
            ),
            (
                "https://WWW.AJNR.org/content/36/4/811",
                "ajnr.org/content/36/4/811",
            ),
            ("https://example.org:443/a", "example.org/a"),
            ("http://example.org:80/a", "example.org/a"),
            ("http://example.org:8080/a/", "example.org:8080/a"),
            ("https://example.org/", "example.org"),
            ("https://example.org", "example.org"),
            ("https://example.org/a#section-2", "example.org/a"),
            (
                "https://example.org/a?utm_source=x&id=3&UTM_Medium=y&b=2#frag",
                "example.org/a?id=3&b=2",
            ),
            (
                "https://example.org/a?fbclid=abc&gclid=def",
                "example.org/a",
            ),
            ("https://example.org/a%2fb%7Ec", "example.org/a%2Fb~c"),
            ("https://user:pw@example.org/a", "example.org/a"),
            ("//example.org/a/", "example.org/a"),
            // Normalised keys normalise to themselves.
            (
                "bmjopensem.bmj.com/content/5/1/e000478",
                "bmjopensem.bmj.com/content/5/1/e000478",
            ),
            ("example.org:8080/a", "example.org:8080/a"),
        ];
        for (input, want) in cases {
            assert_eq!(
                normalize_url(input).as_deref(),
                Some(want),
                "input {input:?}"
            );
        }
        assert_eq!(
            normalize_url("http://x.org/p?q=1"),
            normalize_url("https://www.x.org/p/?q=1#top")
        );
        for bad in [
            "mailto:someone@example.org",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://example.org/x",
            "tel:+15551234",
            "/blogs/news/muscle-tension",
            "page.html",
            "#top",
            "",
            "   ",
            "https://",
        ] {
            assert_eq!(normalize_url(bad), None, "input {bad:?}");
        }
    }

    #[test]
    fn link_keys_doi_forms() {
        let doi = |u: &str| link_keys(u).doi;
        assert_eq!(
            doi("https://doi.org/10.3174/ajnr.A4173"),
            s("10.3174/ajnr.a4173")
        );
        assert_eq!(
            doi("http://doi.org/10.3174/ajnr.A4173/"),
            s("10.3174/ajnr.a4173")
        );
        assert_eq!(
            doi("http://dx.doi.org/10.3174/ajnr.A4173"),
            s("10.3174/ajnr.a4173")
        );
        assert_eq!(
            doi("https://doi.org/10.1080%2F00325481.2015.992719"),
            s("10.1080/00325481.2015.992719")
        );
        assert_eq!(
            doi("https://www.acpjournals.org/doi/10.7326/M16-2367"),
            s("10.7326/m16-2367")
        );
        for view in ["abs", "full", "pdf", "epdf"] {
            let u = format!(
                "https://www.tandfonline.com/doi/{view}/10.1080/00325481.2015.992719?scroll=top"
            );
            assert_eq!(doi(&u), s("10.1080/00325481.2015.992719"), "{u}");
        }
        assert_eq!(
            doi("https://example.org/search?doi=10.1000%2Fxyz"),
            s("10.1000/xyz")
        );
        assert_eq!(doi("doi:10.1000/XYZ"), s("10.1000/xyz"));
        assert_eq!(doi("https://www.ajnr.org/content/36/4/811"), None);
        let k = link_keys("https://doi.org/10.3174/ajnr.A4173");
        assert_eq!(k.url.as_deref(), Some("doi.org/10.3174/ajnr.A4173"));
    }

    #[test]
    fn link_keys_pubmed_and_pmc() {
        let pmid = |u: &str| link_keys(u).pmid;
        let pmcid = |u: &str| link_keys(u).pmcid;
        assert_eq!(
            pmid("https://pubmed.ncbi.nlm.nih.gov/25526231/"),
            s("25526231")
        );
        assert_eq!(
            pmid("https://pubmed.ncbi.nlm.nih.gov/25526231"),
            s("25526231")
        );
        assert_eq!(
            pmid("http://pubmed.ncbi.nlm.nih.gov/25526231/?from=x#a"),
            s("25526231")
        );
        assert_eq!(
            pmid("https://www.ncbi.nlm.nih.gov/pubmed/25526231"),
            s("25526231")
        );
        assert_eq!(
            pmid("http://ncbi.nlm.nih.gov/pubmed/25526231/"),
            s("25526231")
        );
        assert_eq!(
            pmid("https://europepmc.org/article/MED/25526231"),
            s("25526231")
        );
        assert_eq!(
            pmid("https://pubmed.ncbi.nlm.nih.gov/?term=back+pain"),
            None
        );
        assert_eq!(pmid("https://pubmed.ncbi.nlm.nih.gov/abc/"), None);
        assert_eq!(pmid("https://example.org/pubmed/25526231"), None);

        assert_eq!(
            pmcid("https://pmc.ncbi.nlm.nih.gov/articles/PMC4926733/"),
            s("PMC4926733")
        );
        assert_eq!(
            pmcid("https://pmc.ncbi.nlm.nih.gov/articles/PMC4926733"),
            s("PMC4926733")
        );
        assert_eq!(
            pmcid("pmc.ncbi.nlm.nih.gov/articles/PMC4926733/"),
            s("PMC4926733")
        );
        assert_eq!(
            pmcid("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4926733/"),
            s("PMC4926733")
        );
        assert_eq!(
            pmcid("https://www.ncbi.nlm.nih.gov/pmc/articles/pmc4926733"),
            s("PMC4926733")
        );
        assert_eq!(
            pmcid("https://europepmc.org/article/PMC/PMC4926733"),
            s("PMC4926733")
        );
        assert_eq!(
            pmcid("https://pmc.ncbi.nlm.nih.gov/articles/4926733/"),
            None
        );

        let none = LinkKeys::default();
        assert_eq!(link_keys("mailto:x@y.org"), none);
        assert_eq!(link_keys("javascript:void(0)"), none);
        assert_eq!(link_keys("/blogs/news"), none);
        assert_eq!(link_keys(""), none);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for junk in [
            "",
            "%",
            "%%",
            "%zz",
            "10.",
            "10./",
            "doi:%E0%A4%A",
            "https://doi.org/",
            "http://[::1]/x",
            "https://xn--nxasmq6b.com/%",
            "https://a.b/doi/",
            "https://a.b/doi/abs/",
            "é/ü",
            "\u{0}",
        ] {
            let _ = normalize_doi(junk);
            let _ = normalize_url(junk);
            let _ = link_keys(junk);
        }
    }

    /// The DOI inputs of the three former parsers (citation records, the fetcher's content
    /// negotiation and page metadata, `add`'s input) now go through one: the shown form keeps
    /// the case and the key is the same text lower-cased, whichever caller asks.
    #[test]
    fn former_call_sites_agree() {
        for (input, shown) in [
            // Records (references.json) and study links.
            ("10.3174/ajnr.A4173", "10.3174/ajnr.A4173"),
            ("https://doi.org/10.7326/M16-2367", "10.7326/M16-2367"),
            // Content negotiation (`fetch::http`) and page metadata (`fetch::meta`).
            (
                "doi:10.1080/00325481.2015.992719",
                "10.1080/00325481.2015.992719",
            ),
            ("10.1/missing", "10.1/missing"),
            ("doi:10.1000/xyz.1", "10.1000/xyz.1"),
            ("http://dx.doi.org/10.1000/Xyz", "10.1000/Xyz"),
            // `add`'s input (`fetch::run`).
            ("https://doi.org/10.1/ABC", "10.1/ABC"),
            ("doi:10.1/x", "10.1/x"),
            // Where the parsers disagreed: prefix case, `www.`, percent-encoding, a trailing
            // full stop. The fetcher's parser kept `10.1000%2Fx` and `10.1000/x.` as they came
            // and refused upper-case or `www.` resolver links and `Doi:`.
            ("HTTPS://DOI.ORG/10.1000/X", "10.1000/X"),
            ("Doi: 10.1000/X", "10.1000/X"),
            ("https://www.doi.org/10.1000/X", "10.1000/X"),
            ("10.1000%2FX", "10.1000/X"),
            ("10.1000/X.", "10.1000/X"),
        ] {
            assert_eq!(clean_doi(input), s(shown), "shown form of {input:?}");
            assert_eq!(
                normalize_doi(input),
                Some(shown.to_lowercase()),
                "key of {input:?}"
            );
            assert_eq!(
                link_keys(input).doi,
                normalize_doi(input),
                "link key of {input:?}"
            );
        }
        // What none of them takes: no `10.` registrant of digits, no suffix, another host.
        for bad in [
            "not-a-doi",
            "10.abc/x",
            "10./x",
            "10.1000/",
            "https://example.org/10.1/x",
        ] {
            assert_eq!(clean_doi(bad), None, "{bad:?}");
            assert_eq!(normalize_doi(bad), None, "{bad:?}");
        }
    }

    /// `add` takes its input as a DOI when it is written as one; anything else is a web page.
    #[test]
    fn names_doi_tells_dois_from_pages() {
        for doi in [
            "10.1080/00325481.2015.992719",
            " doi:10.1/x",
            "DOI:10.1/x",
            "https://doi.org/10.1/ABC",
            "HTTP://DX.DOI.ORG/10.1/x",
            "10.not/a-valid-one",
        ] {
            assert!(names_doi(doi), "{doi:?}");
        }
        for page in [
            "https://example.org/study",
            "https://doi.org.example.com/10.1/x",
            "https://www.doi.org/10.1/x",
            "doi.org/10.1/x",
            "file:///etc/passwd",
            "not a thing",
            "",
        ] {
            assert!(!names_doi(page), "{page:?}");
        }
    }
}
