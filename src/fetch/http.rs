//! One HTTP exchange done safely: client setup, scheme and redirect policy, timeouts, size caps,
//! retries with backoff, content-type checks, charset decoding, conditional requests and DOI
//! content negotiation.

use std::error::Error as StdError;
use std::io::Read;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};
use reqwest::header::{self, HeaderMap, HeaderValue};
use url::Url;

use super::cache::CacheEntry;
use super::page::{FetchResult, FetchedPage};
use super::{FetchConfig, FetchError};
use crate::references::clean_doi;
use crate::sanitize::{clean_line, sanitize_terminal};

/// Builds the HTTP client for `cfg`: user agent, connect and total timeouts, and a redirect
/// policy that follows at most [`FetchConfig::max_redirects`] redirects and only to `http`/`https`.
pub fn build_client(cfg: &FetchConfig) -> Result<Client, FetchError> {
    let max = cfg.max_redirects;
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        let to = attempt.url().clone();
        if !matches!(to.scheme(), "http" | "https") {
            let from = attempt
                .previous()
                .last()
                .map(|u| u.to_string())
                .unwrap_or_default();
            return attempt.error(RedirectDenied::Scheme {
                from,
                to: to.to_string(),
            });
        }
        if attempt.previous().len() > max {
            return attempt.error(RedirectDenied::TooMany {
                url: to.to_string(),
            });
        }
        attempt.follow()
    });
    let mut builder = Client::builder()
        .user_agent(cfg.user_agent.clone())
        .connect_timeout(cfg.connect_timeout)
        .timeout(cfg.total_timeout)
        .redirect(policy);
    if !cfg.use_system_proxy {
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| FetchError::Other {
        url: String::new(),
        message: format!("cannot build HTTP client: {}", root_message(&e)),
    })
}

/// Fetches one landing page.
///
/// Only `http`/`https` URLs are fetched (others fail before any I/O). With `validators`, the
/// request carries `If-None-Match`/`If-Modified-Since` and a 304 gives
/// [`FetchResult::NotModified`]. 429 and 503 responses and broken connections are retried up to
/// [`FetchConfig::retries`] times (honouring `Retry-After` seconds up to
/// [`FetchConfig::max_retry_after`]); other errors are not retried. Bodies are read in chunks
/// and abandoned past [`FetchConfig::max_body`]; non-HTML content types are refused; the body is
/// decoded using the `Content-Type` charset, else `<meta charset>`, else UTF-8.
///
/// Use a client from [`build_client`] so redirects are policed.
pub fn fetch_page(
    client: &Client,
    url: &str,
    validators: Option<&CacheEntry>,
    cfg: &FetchConfig,
) -> Result<FetchResult, FetchError> {
    let parsed = check_url(url)?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::ACCEPT,
        HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"),
    );
    if let Some(v) = validators {
        if let Some(etag) = v
            .etag
            .as_deref()
            .and_then(|s| HeaderValue::from_str(s).ok())
        {
            headers.insert(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = v
            .last_modified
            .as_deref()
            .and_then(|s| HeaderValue::from_str(s).ok())
        {
            headers.insert(header::IF_MODIFIED_SINCE, lm);
        }
    }
    let conditional = headers.contains_key(header::IF_NONE_MATCH)
        || headers.contains_key(header::IF_MODIFIED_SINCE);
    let raw = request(client, &parsed, headers, cfg, BodyKind::Html)?;
    if raw.status == 304 {
        if conditional {
            return Ok(FetchResult::NotModified);
        }
        return Err(FetchError::Http {
            url: clean_line(url),
            status: 304,
        });
    }
    let html = decode_html(&raw.body, raw.content_type.as_deref());
    if html.trim().is_empty() {
        return Err(FetchError::EmptyBody {
            url: clean_line(url),
        });
    }
    Ok(FetchResult::Fetched(FetchedPage {
        url: raw.final_url,
        status: raw.status,
        html,
        etag: header_string(&raw.headers, header::ETAG),
        last_modified: header_string(&raw.headers, header::LAST_MODIFIED),
    }))
}

/// Asks a DOI resolver for CSL-JSON (`Accept: application/vnd.citationstyles.csl+json`).
///
/// The resolver base URL is [`FetchConfig::doi_resolver`] (default `https://doi.org/`). The
/// DOI is read by [`clean_doi`]: it may carry a `doi:` or `https://doi.org/` prefix, and its
/// case is kept. The same limits as [`fetch_page`]
/// apply; the answer must be a JSON object.
pub fn content_negotiate_doi(
    client: &Client,
    doi: &str,
    cfg: &FetchConfig,
) -> Result<serde_json::Value, FetchError> {
    let doi = clean_doi(doi).ok_or_else(|| FetchError::InvalidDoi {
        doi: clean_line(doi),
    })?;
    let mut base = cfg.doi_resolver.clone();
    if !base.ends_with('/') {
        base.push('/');
    }
    let url = format!(
        "{base}{}",
        percent_encoding::utf8_percent_encode(&doi, DOI_SET)
    );
    let parsed = check_url(&url)?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::ACCEPT,
        HeaderValue::from_static("application/vnd.citationstyles.csl+json"),
    );
    let raw = request(client, &parsed, headers, cfg, BodyKind::Json)?;
    if raw.status == 304 {
        return Err(FetchError::Http {
            url: clean_line(&url),
            status: 304,
        });
    }
    match serde_json::from_slice::<serde_json::Value>(&raw.body) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(FetchError::NotUsable {
            url: clean_line(&url),
            reason: "the CSL-JSON answer is not a JSON object".into(),
        }),
        Err(e) => Err(FetchError::NotUsable {
            url: clean_line(&url),
            reason: format!("the answer is not valid JSON ({e})"),
        }),
    }
}

/// Characters escaped when a DOI is put into a URL path (`/` is kept).
const DOI_SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'^')
    .add(b'|')
    .add(b'\\');

/// Parses `url` and refuses anything but `http`/`https`, before any I/O.
pub(crate) fn check_url(url: &str) -> Result<Url, FetchError> {
    let parsed = Url::parse(url.trim()).map_err(|e| FetchError::InvalidUrl {
        url: clean_line(url),
        reason: e.to_string(),
    })?;
    match parsed.scheme() {
        "http" | "https" if parsed.host().is_some() => Ok(parsed),
        "http" | "https" => Err(FetchError::InvalidUrl {
            url: clean_line(url),
            reason: "no host".into(),
        }),
        _ => Err(FetchError::UnsupportedScheme {
            url: clean_line(url),
        }),
    }
}

/// Why the redirect policy stopped a chain (carried inside the reqwest error).
#[derive(Debug)]
enum RedirectDenied {
    Scheme { from: String, to: String },
    TooMany { url: String },
}

impl std::fmt::Display for RedirectDenied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RedirectDenied::Scheme { from, to } => write!(f, "redirect from {from} to {to}"),
            RedirectDenied::TooMany { url } => write!(f, "too many redirects at {url}"),
        }
    }
}

impl StdError for RedirectDenied {}

/// What kind of body a request expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Html,
    Json,
}

/// A response body read within limits.
#[derive(Debug)]
struct Raw {
    final_url: String,
    status: u16,
    headers: HeaderMap,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// The outcome of one attempt, before retry decisions.
enum Attempt {
    Done(Raw),
    /// 429/503: retry after the given server-requested delay (if any).
    RetryStatus(u16, Option<Duration>),
    /// Broken connection: retry with backoff.
    RetryBroken(FetchError),
}

/// Sends the request, retrying 429/503 and broken connections with backoff.
fn request(
    client: &Client,
    url: &Url,
    headers: HeaderMap,
    cfg: &FetchConfig,
    kind: BodyKind,
) -> Result<Raw, FetchError> {
    let mut attempt = 0u32;
    loop {
        let (err, server_delay) = match attempt_once(client, url, headers.clone(), cfg, kind)? {
            Attempt::Done(raw) => return Ok(raw),
            Attempt::RetryStatus(status, delay) => (
                FetchError::Http {
                    url: clean_line(url.as_str()),
                    status,
                },
                delay,
            ),
            Attempt::RetryBroken(e) => (e, None),
        };
        if attempt >= cfg.retries {
            return Err(err);
        }
        let backoff = cfg
            .retry_backoff
            .saturating_mul(2u32.saturating_pow(attempt.min(16)));
        let delay = server_delay.unwrap_or(backoff).min(cfg.max_retry_after);
        std::thread::sleep(delay);
        attempt += 1;
    }
}

fn attempt_once(
    client: &Client,
    url: &Url,
    headers: HeaderMap,
    cfg: &FetchConfig,
    kind: BodyKind,
) -> Result<Attempt, FetchError> {
    let start = Instant::now();
    let shown = clean_line(url.as_str());
    let mut resp = match client
        .get(url.clone())
        .headers(headers)
        .timeout(cfg.total_timeout)
        .send()
    {
        Ok(r) => r,
        Err(e) => return classify(&e, &shown, cfg).map(Attempt::RetryBroken),
    };
    let status = resp.status().as_u16();
    if status == 429 || status == 503 {
        return Ok(Attempt::RetryStatus(status, retry_after(resp.headers())));
    }
    if status == 304 {
        return Ok(Attempt::Done(Raw {
            final_url: resp.url().to_string(),
            status,
            headers: resp.headers().clone(),
            content_type: None,
            body: Vec::new(),
        }));
    }
    if (300..400).contains(&status) {
        // reqwest hands back redirects it will not follow (e.g. to `file:`) unfollowed.
        let target = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| resp.url().join(l.trim()).ok());
        if let Some(to) = target.filter(|u| !matches!(u.scheme(), "http" | "https")) {
            return Err(FetchError::RedirectRefused {
                from: clean_line(resp.url().as_str()),
                to: clean_line(to.as_str()),
            });
        }
    }
    if !(200..300).contains(&status) {
        return Err(FetchError::Http { url: shown, status });
    }
    let content_type = header_string(resp.headers(), header::CONTENT_TYPE);
    let essence = content_type
        .as_deref()
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let must_sniff = match kind {
        BodyKind::Html => match essence.as_str() {
            "text/html" | "application/xhtml+xml" => false,
            "" | "application/octet-stream" => true,
            _ => {
                return Err(FetchError::NotHtml {
                    url: shown,
                    content_type: clean_line(content_type.as_deref().unwrap_or("")),
                })
            }
        },
        BodyKind::Json => {
            if !(essence.is_empty() || essence.contains("json")) {
                return Err(FetchError::NotUsable {
                    url: shown,
                    reason: format!(
                        "expected CSL-JSON but got content type {:?}",
                        clean_line(&essence)
                    ),
                });
            }
            false
        }
    };
    if let Some(len) = resp.content_length() {
        if len > cfg.max_body {
            return Err(FetchError::TooLarge {
                url: shown,
                limit: cfg.max_body,
            });
        }
    }
    let body = match read_capped(&mut resp, &shown, cfg, start) {
        Ok(b) => b,
        Err(ReadFail::Fatal(e)) => return Err(e),
        Err(ReadFail::Broken(e)) => return Ok(Attempt::RetryBroken(e)),
    };
    if must_sniff && !looks_like_html(&body) {
        return Err(FetchError::NotHtml {
            url: shown,
            content_type: if essence.is_empty() {
                "(none; body does not look like HTML)".into()
            } else {
                clean_line(&essence)
            },
        });
    }
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FetchError::EmptyBody { url: shown });
    }
    Ok(Attempt::Done(Raw {
        final_url: resp.url().to_string(),
        status,
        headers: resp.headers().clone(),
        content_type,
        body,
    }))
}

enum ReadFail {
    Fatal(FetchError),
    Broken(FetchError),
}

/// Reads the body in chunks, giving up past `max_body` bytes or past the total deadline.
fn read_capped(
    resp: &mut Response,
    shown: &str,
    cfg: &FetchConfig,
    start: Instant,
) -> Result<Vec<u8>, ReadFail> {
    let timeout = || {
        ReadFail::Fatal(FetchError::Timeout {
            url: shown.to_string(),
            after: cfg.total_timeout,
        })
    };
    let mut body = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        if start.elapsed() >= cfg.total_timeout {
            return Err(timeout());
        }
        match resp.read(&mut chunk) {
            Ok(0) => return Ok(body),
            Ok(n) => {
                let n = n.min(chunk.len());
                body.extend_from_slice(&chunk[..n]);
                if body.len() as u64 > cfg.max_body {
                    return Err(ReadFail::Fatal(FetchError::TooLarge {
                        url: shown.to_string(),
                        limit: cfg.max_body,
                    }));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let timed_out = start.elapsed() >= cfg.total_timeout
                    || e.kind() == std::io::ErrorKind::TimedOut
                    || e.get_ref()
                        .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
                        .is_some_and(|re| re.is_timeout());
                if timed_out {
                    return Err(timeout());
                }
                return Err(ReadFail::Broken(FetchError::ConnectionBroken {
                    url: shown.to_string(),
                    message: clean_line(&root_message(&e)),
                }));
            }
        }
    }
}

/// Maps a send error: fatal errors are returned as `Err`, broken connections as `Ok` (retryable).
fn classify(e: &reqwest::Error, shown: &str, cfg: &FetchConfig) -> Result<FetchError, FetchError> {
    // The redirect policy's verdict travels inside reqwest's error, somewhere down its chain.
    let denied = std::iter::successors(e.source(), |&s| s.source())
        .find_map(|s| s.downcast_ref::<RedirectDenied>());
    if let Some(denied) = denied {
        return Err(match denied {
            RedirectDenied::Scheme { from, to } => FetchError::RedirectRefused {
                from: clean_line(from),
                to: clean_line(to),
            },
            RedirectDenied::TooMany { url } => FetchError::TooManyRedirects {
                url: clean_line(url),
            },
        });
    }
    let message = clean_line(&root_message(e));
    if e.is_timeout() {
        if e.is_connect() {
            return Err(FetchError::ConnectTimeout {
                url: shown.to_string(),
                after: cfg.connect_timeout,
            });
        }
        return Err(FetchError::Timeout {
            url: shown.to_string(),
            after: cfg.total_timeout,
        });
    }
    if e.is_connect() {
        return Err(FetchError::Network {
            url: shown.to_string(),
            message,
        });
    }
    if e.is_builder() || e.is_redirect() {
        return Err(FetchError::Other {
            url: shown.to_string(),
            message,
        });
    }
    Ok(FetchError::ConnectionBroken {
        url: shown.to_string(),
        message,
    })
}

/// The innermost message of an error chain, the most specific one ("Connection refused (os
/// error 111)"): the one detail a [`FetchError`] carries, beside the URL it names itself
/// (reqwest's outer messages repeat that URL).
fn root_message(e: &(dyn StdError + 'static)) -> String {
    std::iter::successors(Some(e), |&s| s.source())
        .last()
        .map_or_else(String::new, ToString::to_string)
}

/// `Retry-After` in seconds (HTTP dates are not parsed and fall back to backoff).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A header as a string, only when it is visible ASCII and of sane length.
fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    let v = headers.get(name)?.to_str().ok()?.trim();
    (!v.is_empty() && v.len() <= 1024).then(|| sanitize_terminal(v))
}

/// True if a body of unknown type starts like an HTML document.
fn looks_like_html(body: &[u8]) -> bool {
    let head = &body[..body.len().min(2048)];
    if head.contains(&0) {
        return false;
    }
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let t = text.trim_start_matches('\u{feff}').trim_start();
    t.starts_with('<')
        && [
            "<html",
            "<!doctype html",
            "<head",
            "<body",
            "<meta",
            "<title",
        ]
        .iter()
        .any(|m| t.contains(m))
}

fn meta_charset_regex() -> Option<&'static regex::bytes::Regex> {
    static RE: OnceLock<Option<regex::bytes::Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        regex::bytes::Regex::new(r#"(?i-u)<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#).ok()
    })
    .as_ref()
}

/// Decodes an HTML body: BOM, else `Content-Type` charset, else `<meta charset>` /
/// `http-equiv` in the first 4 KiB, else UTF-8. Invalid bytes become U+FFFD.
pub(crate) fn decode_html(body: &[u8], content_type: Option<&str>) -> String {
    let from_header = content_type.and_then(charset_param).and_then(|label| {
        encoding_rs::Encoding::for_label(label.trim().trim_matches(['"', '\'']).as_bytes())
    });
    let encoding = from_header
        .or_else(|| declared_charset(body))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(body);
    text.into_owned()
}

/// The encoding an HTML page declares with `<meta charset>` or `http-equiv` in its first
/// 4 KiB, if any.
pub(crate) fn declared_charset(body: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &body[..body.len().min(4096)];
    meta_charset_regex()?
        .captures(head)
        .and_then(|c| c.get(1))
        .and_then(|m| encoding_rs::Encoding::for_label(m.as_bytes()))
        .map(|enc| {
            // HTML: a <meta> claiming UTF-16 can only be read as ASCII, i.e. UTF-8.
            if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                encoding_rs::UTF_8
            } else {
                enc
            }
        })
}

fn charset_param(ct: &str) -> Option<&str> {
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::testserver::{respond, test_config, TestServer};
    use std::io::Write;
    use std::sync::atomic::Ordering;

    const MALANGA: &str = include_str!("../../corpus/references/malanga2015.html");

    /// A 200 answer with the malanga2015 landing page.
    fn respond_malanga(s: &mut std::net::TcpStream) {
        respond(
            s,
            "200 OK",
            &[("Content-Type", "text/html")],
            MALANGA.as_bytes(),
        )
    }

    fn client(cfg: &FetchConfig) -> Client {
        match build_client(cfg) {
            Ok(c) => c,
            Err(e) => panic!("client: {e}"),
        }
    }

    fn page(r: Result<FetchResult, FetchError>) -> FetchedPage {
        match r {
            Ok(FetchResult::Fetched(p)) => p,
            other => panic!("expected a page, got {other:?}"),
        }
    }

    #[test]
    fn refuses_non_web_schemes_before_io() {
        let cfg = test_config();
        let c = client(&cfg);
        for url in [
            "file:///etc/passwd",
            "ftp://example.org/x",
            "data:text/html,<p>hi",
        ] {
            assert!(
                matches!(
                    fetch_page(&c, url, None, &cfg),
                    Err(FetchError::UnsupportedScheme { .. })
                ),
                "{url}"
            );
        }
        assert!(matches!(
            fetch_page(&c, "not a url", None, &cfg),
            Err(FetchError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn fetches_fixture_and_sends_user_agent() {
        let srv = TestServer::start(|_, _, s| respond_malanga(s));
        let cfg = test_config();
        let p = page(fetch_page(&client(&cfg), &srv.url("/a"), None, &cfg));
        assert_eq!(p.status, 200);
        assert_eq!(p.html, MALANGA);
        assert!(p.url.ends_with("/a"));
        let head = srv.request(0);
        assert!(head.contains(&format!("user-agent: {}", crate::fetch::DEFAULT_USER_AGENT)));
    }

    #[test]
    fn redirect_to_file_scheme_is_refused() {
        let srv = TestServer::start(|_, _, s| {
            respond(s, "302 Found", &[("Location", "file:///etc/passwd")], b"")
        });
        let cfg = test_config();
        match fetch_page(&client(&cfg), &srv.url("/r"), None, &cfg) {
            Err(FetchError::RedirectRefused { to, .. }) => assert_eq!(to, "file:///etc/passwd"),
            other => panic!("{other:?}"),
        }
        assert_eq!(srv.hits(), 1);
    }

    #[test]
    fn redirect_loop_fails_with_too_many_redirects() {
        let srv =
            TestServer::start(|_, _, s| respond(s, "302 Found", &[("Location", "/loop")], b""));
        let cfg = test_config();
        let r = fetch_page(&client(&cfg), &srv.url("/loop"), None, &cfg);
        assert!(
            matches!(r, Err(FetchError::TooManyRedirects { .. })),
            "{r:?}"
        );
        // The original request plus exactly max_redirects (5) followed redirects.
        assert_eq!(srv.hits(), 6);
    }

    #[test]
    fn five_redirects_are_followed() {
        let srv = TestServer::start(|n, _, s| {
            if n < 5 {
                let loc = format!("/hop{}", n + 1);
                respond(s, "301 Moved", &[("Location", loc.as_str())], b"")
            } else {
                respond_malanga(s)
            }
        });
        let cfg = test_config();
        let p = page(fetch_page(&client(&cfg), &srv.url("/hop0"), None, &cfg));
        assert!(p.url.ends_with("/hop5"), "{}", p.url);
    }

    #[test]
    fn trickling_server_cannot_hold_fetch_past_total_timeout() {
        let srv = TestServer::start(|_, _, s| {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n",
            );
            for _ in 0..30 {
                if s.write_all(b"<").and_then(|_| s.flush()).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
        let mut cfg = test_config();
        cfg.total_timeout = Duration::from_millis(1500);
        let start = Instant::now();
        let r = fetch_page(&client(&cfg), &srv.url("/slow"), None, &cfg);
        let took = start.elapsed();
        assert!(matches!(r, Err(FetchError::Timeout { .. })), "{r:?}");
        assert!(took < Duration::from_secs(4), "took {took:?}");
        assert_eq!(srv.hits(), 1, "timeouts are not retried");
    }

    #[test]
    fn silent_server_times_out_before_headers() {
        let srv = TestServer::start(|_, _, _s| std::thread::sleep(Duration::from_secs(5)));
        let mut cfg = test_config();
        cfg.total_timeout = Duration::from_millis(800);
        let start = Instant::now();
        let r = fetch_page(&client(&cfg), &srv.url("/silent"), None, &cfg);
        assert!(matches!(r, Err(FetchError::Timeout { .. })), "{r:?}");
        assert!(start.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn declared_content_length_over_cap_is_refused_early() {
        let srv = TestServer::start(|_, _, s| {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 52428800\r\nConnection: close\r\n\r\n<html>",
            );
        });
        let mut cfg = test_config();
        cfg.max_body = 1024 * 1024;
        let r = fetch_page(&client(&cfg), &srv.url("/big"), None, &cfg);
        assert!(
            matches!(r, Err(FetchError::TooLarge { limit, .. }) if limit == 1024 * 1024),
            "{r:?}"
        );
    }

    #[test]
    fn streamed_50_mib_body_without_length_is_cut_at_cap() {
        let srv = TestServer::start(|_, _, s| {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n",
            );
            let chunk = [b'a'; 64 * 1024];
            for _ in 0..800 {
                // 800 * 64 KiB = 50 MiB, written lazily; stops when the client hangs up.
                if s.write_all(&chunk).is_err() {
                    return;
                }
            }
        });
        let mut cfg = test_config();
        cfg.max_body = 1024 * 1024;
        let start = Instant::now();
        let r = fetch_page(&client(&cfg), &srv.url("/stream"), None, &cfg);
        assert!(matches!(r, Err(FetchError::TooLarge { .. })), "{r:?}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn non_html_content_types_are_refused() {
        for ct in [
            "application/pdf",
            "image/png",
            "application/json",
            "text/plain",
        ] {
            let srv = TestServer::start(move |_, _, s| {
                respond(s, "200 OK", &[("Content-Type", ct)], b"%PDF-1.7 binary")
            });
            let cfg = test_config();
            match fetch_page(&client(&cfg), &srv.url("/doc"), None, &cfg) {
                Err(FetchError::NotHtml { content_type, .. }) => assert_eq!(content_type, ct),
                other => panic!("{ct}: {other:?}"),
            }
        }
    }

    #[test]
    fn missing_content_type_is_sniffed() {
        let srv = TestServer::start(|n, _, s| {
            let body: &[u8] = if n == 0 {
                MALANGA.as_bytes()
            } else {
                b"%PDF-1.4\0\0"
            };
            respond(s, "200 OK", &[], body)
        });
        let cfg = test_config();
        let c = client(&cfg);
        page(fetch_page(&c, &srv.url("/1"), None, &cfg));
        let r = fetch_page(&c, &srv.url("/2"), None, &cfg);
        assert!(matches!(r, Err(FetchError::NotHtml { .. })), "{r:?}");
    }

    #[test]
    fn latin1_from_header_and_meta_and_broken_bytes() {
        let latin1: &[u8] =
            b"<html><head><title>Caf\xe9</title></head><body><p>R\xe9sum\xe9</p></body></html>";
        let meta: &[u8] = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\"><title>Caf\xe9</title></head></html>";
        let broken: &[u8] = b"<html><title>\xff\xfe\xc3(\xe9</title></html>";
        let srv = TestServer::start(move |n, _, s| match n {
            0 => respond(
                s,
                "200 OK",
                &[("Content-Type", "text/html; charset=iso-8859-1")],
                latin1,
            ),
            1 => respond(s, "200 OK", &[("Content-Type", "text/html")], meta),
            2 => respond(
                s,
                "200 OK",
                &[("Content-Type", "text/html; charset=\"bogus-charset\"")],
                broken,
            ),
            _ => respond(
                s,
                "200 OK",
                &[("Content-Type", "text/html; charset=utf-8")],
                latin1,
            ),
        });
        let cfg = test_config();
        let c = client(&cfg);
        let p = page(fetch_page(&c, &srv.url("/0"), None, &cfg));
        assert!(
            p.html.contains("Café") && p.html.contains("Résumé"),
            "{}",
            p.html
        );
        let p = page(fetch_page(&c, &srv.url("/1"), None, &cfg));
        assert!(p.html.contains("<title>Café</title>"), "{}", p.html);
        let p = page(fetch_page(&c, &srv.url("/2"), None, &cfg));
        assert!(p.html.contains('\u{fffd}'));
        // Wrong charset in the header: replacement characters, no panic.
        let p = page(fetch_page(&c, &srv.url("/3"), None, &cfg));
        assert!(p.html.contains("Caf\u{fffd}"));
    }

    #[test]
    fn decode_html_prefers_bom_and_handles_meta_utf16_claim() {
        assert_eq!(
            decode_html(
                b"\xef\xbb\xbfcaf\xc3\xa9",
                Some("text/html; charset=latin1")
            ),
            "café"
        );
        assert_eq!(
            decode_html(b"<meta charset=utf-16><p>ok", None),
            "<meta charset=utf-16><p>ok"
        );
        assert_eq!(
            decode_html(b"<meta charset='windows-1252'>\x93q\x94", None),
            "<meta charset='windows-1252'>\u{201c}q\u{201d}"
        );
    }

    #[test]
    fn retries_503_honouring_bounded_retry_after() {
        let srv = TestServer::start(|n, _, s| {
            if n == 0 {
                respond(
                    s,
                    "503 Service Unavailable",
                    &[("Retry-After", "120")],
                    b"busy",
                )
            } else {
                respond_malanga(s)
            }
        });
        let mut cfg = test_config();
        cfg.max_retry_after = Duration::from_millis(200);
        let start = Instant::now();
        page(fetch_page(&client(&cfg), &srv.url("/busy"), None, &cfg));
        let took = start.elapsed();
        assert_eq!(srv.hits(), 2);
        assert!(took >= Duration::from_millis(200), "waited {took:?}");
        assert!(
            took < Duration::from_secs(3),
            "Retry-After 120 must be capped: {took:?}"
        );
    }

    #[test]
    fn persistent_429_gives_up_after_retries() {
        let srv = TestServer::start(|_, _, s| respond(s, "429 Too Many Requests", &[], b""));
        let mut cfg = test_config();
        cfg.retries = 2;
        let r = fetch_page(&client(&cfg), &srv.url("/x"), None, &cfg);
        assert!(
            matches!(r, Err(FetchError::Http { status: 429, .. })),
            "{r:?}"
        );
        assert_eq!(srv.hits(), 3);
    }

    #[test]
    fn connection_reset_is_retried() {
        let srv = TestServer::start(|n, _, s| {
            if n == 0 {
                // Close the connection without answering.
                let _ = s.shutdown(std::net::Shutdown::Both);
            } else {
                respond_malanga(s)
            }
        });
        let cfg = test_config();
        page(fetch_page(&client(&cfg), &srv.url("/flaky"), None, &cfg));
        assert_eq!(srv.hits(), 2);
    }

    #[test]
    fn no_retry_for_404_or_500() {
        for status in ["404 Not Found", "500 Internal Server Error"] {
            let srv = TestServer::start(move |n, _, s| {
                if n == 0 {
                    respond(s, status, &[("Content-Type", "text/html")], b"<p>error</p>")
                } else {
                    respond_malanga(s)
                }
            });
            let cfg = test_config();
            let r = fetch_page(&client(&cfg), &srv.url("/gone"), None, &cfg);
            let code: u16 = status[..3].parse().unwrap_or(0);
            assert!(
                matches!(r, Err(FetchError::Http { status, .. }) if status == code),
                "{r:?}"
            );
            assert_eq!(srv.hits(), 1, "{status} must not be retried");
        }
    }

    #[test]
    fn empty_200_is_an_error() {
        let srv = TestServer::start(|_, _, s| {
            respond(s, "200 OK", &[("Content-Type", "text/html")], b"  \n ")
        });
        let cfg = test_config();
        let r = fetch_page(&client(&cfg), &srv.url("/empty"), None, &cfg);
        assert!(matches!(r, Err(FetchError::EmptyBody { .. })), "{r:?}");
    }

    #[test]
    fn etag_round_trip_gives_not_modified() {
        let srv = TestServer::start(|_, head, s| {
            if head.contains("if-none-match: \"v1\"") {
                respond(s, "304 Not Modified", &[("ETag", "\"v1\"")], b"")
            } else {
                respond(
                    s,
                    "200 OK",
                    &[
                        ("Content-Type", "text/html"),
                        ("ETag", "\"v1\""),
                        ("Last-Modified", "Tue, 28 Apr 2015 10:00:00 GMT"),
                    ],
                    MALANGA.as_bytes(),
                )
            }
        });
        let cfg = test_config();
        let c = client(&cfg);
        let p = page(fetch_page(&c, &srv.url("/e"), None, &cfg));
        assert_eq!(p.etag.as_deref(), Some("\"v1\""));
        let entry = CacheEntry::from_page(&p);
        let r = fetch_page(&c, &srv.url("/e"), Some(&entry), &cfg);
        assert_eq!(r, Ok(FetchResult::NotModified));
        let second = srv.request(1);
        assert!(second.contains("if-none-match: \"v1\""), "{second}");
        assert!(
            second.contains("if-modified-since: tue, 28 apr 2015 10:00:00 gmt"),
            "{second}"
        );
        assert_eq!(srv.hits(), 2);
    }

    #[test]
    fn garbage_validators_are_ignored_not_fatal() {
        let srv = TestServer::start(|_, _, s| respond_malanga(s));
        let cfg = test_config();
        let entry = CacheEntry {
            etag: Some("bad\nvalue".into()),
            last_modified: Some("\u{0}".into()),
            fetched_at: 0,
        };
        page(fetch_page(
            &client(&cfg),
            &srv.url("/g"),
            Some(&entry),
            &cfg,
        ));
        assert!(!srv.request(0).contains("if-none-match"));
    }

    #[test]
    fn connection_refused_is_a_network_error_without_retries() {
        let port = crate::fetch::testserver::closed_port();
        let cfg = test_config();
        let start = Instant::now();
        let r = fetch_page(
            &client(&cfg),
            &format!("http://127.0.0.1:{port}/"),
            None,
            &cfg,
        );
        assert!(matches!(&r, Err(e) if e.is_network_down()), "{r:?}");
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn doi_content_negotiation_sends_csl_accept() {
        let srv = TestServer::start(|_, head, s| {
            if head.starts_with("get /10.1080/00325481.2015.992719 ") {
                respond(
                    s,
                    "200 OK",
                    &[("Content-Type", "application/vnd.citationstyles.csl+json")],
                    br#"{"DOI":"10.1080/00325481.2015.992719","title":"Mechanisms"}"#,
                )
            } else {
                respond(s, "404 Not Found", &[], b"")
            }
        });
        let mut cfg = test_config();
        cfg.doi_resolver = srv.url("");
        let c = client(&cfg);
        let v = content_negotiate_doi(&c, "doi:10.1080/00325481.2015.992719", &cfg);
        assert_eq!(
            v,
            Ok(serde_json::json!({"DOI":"10.1080/00325481.2015.992719","title":"Mechanisms"}))
        );
        assert!(srv
            .request(0)
            .contains("accept: application/vnd.citationstyles.csl+json"));
        assert!(matches!(
            content_negotiate_doi(&c, "not-a-doi", &cfg),
            Err(FetchError::InvalidDoi { .. })
        ));
        assert!(matches!(
            content_negotiate_doi(&c, "10.1/missing", &cfg),
            Err(FetchError::Http { status: 404, .. })
        ));
        assert_eq!(srv.hits.load(Ordering::SeqCst), 2);
    }
}
