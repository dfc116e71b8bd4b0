//! HTTP fetching of reference landing pages: configuration, errors and the public API surface.
//!
//! The module fetches each reference's landing page (with hard limits on time, size, redirects
//! and schemes), keeps an HTML snapshot on disk so search works offline, extracts bibliographic
//! metadata (Highwire `citation_*`, Dublin Core, Open Graph) and turns it into CSL-JSON.
//!
//! Nothing here prints: progress goes through an optional `indicatif` bar on stderr, everything
//! else is returned as plain data ([`Report`], [`Outcome`], [`FetchError`]).
//!
//! Submodules:
//! - [`http`] — client construction, [`fetch_page`], [`content_negotiate_doi`];
//! - [`page`] — what a fetch gives back, [`FetchedPage`] and [`FetchResult`];
//! - [`meta`] — [`parse_meta`], [`is_usable`], [`csl_from_meta`], [`generate_id`];
//! - [`sanitize_terminal`] (from the crate's `sanitize` module);
//! - [`cache`] — [`FetchCache`] of HTTP validators;
//! - [`snapshot`] — [`write_snapshot`];
//! - [`batch`] — [`fetch_all`].

pub mod apply;
pub mod batch;
pub mod cache;
pub mod http;
pub mod meta;
pub mod page;
pub mod run;

pub mod snapshot;

#[cfg(test)]
mod testserver;

use std::time::Duration;

pub use crate::sanitize::sanitize_terminal;
pub use batch::{fetch_all, Outcome, Report, Target};
pub use cache::{CacheEntry, FetchCache};
pub use http::{build_client, content_negotiate_doi, fetch_page};
pub use meta::{csl_from_meta, generate_id, is_usable, parse_meta, PageMeta};
pub use page::{FetchResult, FetchedPage};
pub use snapshot::{write_snapshot, SnapshotDecision};

/// Re-export of the HTTP client type taken by [`fetch_page`] and [`content_negotiate_doi`].
///
/// Build it with [`build_client`] so the redirect policy and timeouts of a [`FetchConfig`]
/// are applied.
pub use reqwest::blocking::Client;

/// The default `User-Agent` sent with every request.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "citeseek/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/citeseek/citeseek)"
);

/// Knobs for fetching. [`FetchConfig::default`] gives the production values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// Maximum time to establish a TCP/TLS connection (default 10 s).
    pub connect_timeout: Duration,
    /// Maximum time for one request, from connecting to the last body byte (default 30 s).
    pub total_timeout: Duration,
    /// Maximum body size in bytes; larger bodies fail with [`FetchError::TooLarge`] (default 10 MiB).
    pub max_body: u64,
    /// Maximum number of redirects followed (default 5).
    pub max_redirects: usize,
    /// Number of fetches running at once in [`fetch_all`] (default 4; 0 is treated as 1).
    pub parallel: usize,
    /// Minimum delay between two requests to the same host in [`fetch_all`] (default 500 ms).
    pub host_delay: Duration,
    /// Extra attempts after a 429, a 503 or a connection reset (default 3).
    pub retries: u32,
    /// First backoff delay between retries; doubles on each retry (default 1 s).
    pub retry_backoff: Duration,
    /// Upper bound on an honoured `Retry-After` delay (default 30 s).
    pub max_retry_after: Duration,
    /// `User-Agent` header value (default [`DEFAULT_USER_AGENT`]).
    pub user_agent: String,
    /// Base URL used by [`content_negotiate_doi`] (default `https://doi.org/`).
    pub doi_resolver: String,
    /// Honour `HTTP(S)_PROXY` environment variables (default true; tests turn it off).
    pub use_system_proxy: bool,
    /// Never touch the network: [`fetch_all`] skips every target.
    pub offline: bool,
    /// `--force`: in [`fetch_all`], replace snapshots even when the new page looks worse
    /// (not usable, or less than half the size). Empty pages are never written.
    pub force: bool,
    /// Show an `indicatif` progress bar on stderr in [`fetch_all`] (only for more than 3 targets).
    pub progress: bool,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_body: 10 * 1024 * 1024,
            max_redirects: 5,
            parallel: 4,
            host_delay: Duration::from_millis(500),
            retries: 3,
            retry_backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(30),
            user_agent: DEFAULT_USER_AGENT.to_string(),
            doi_resolver: "https://doi.org/".to_string(),
            use_system_proxy: true,
            offline: false,
            force: false,
            progress: false,
        }
    }
}

/// Why a fetch did not produce a usable page. Every message names the URL and says what to do.
///
/// Strings that come from a server (URLs from `Location`, content types, reasons) are passed
/// through [`sanitize_terminal`] before they are stored here, so printing an error is safe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL could not be parsed.
    #[error("invalid URL {url:?}: {reason}; fix the reference's URL or DOI")]
    InvalidUrl {
        /// The offending URL.
        url: String,
        /// What the parser said.
        reason: String,
    },
    /// The URL uses a scheme other than `http` or `https`; nothing was fetched.
    #[error("refusing to fetch {url}: only http:// and https:// URLs are fetched; give the reference a web URL or a DOI")]
    UnsupportedScheme {
        /// The offending URL.
        url: String,
    },
    /// A redirect pointed at a non-web scheme (for example `file:`) and was not followed.
    #[error("refusing redirect from {from} to {to}: only http:// and https:// targets are followed; check the reference URL in a browser")]
    RedirectRefused {
        /// The URL that answered with the redirect.
        from: String,
        /// Where it tried to send us.
        to: String,
    },
    /// More redirects than [`FetchConfig::max_redirects`] (or a redirect loop).
    #[error("too many redirects fetching {url} (redirect loop?); use the final URL of the page in the reference")]
    TooManyRedirects {
        /// The URL where the chain gave up.
        url: String,
    },
    /// The request did not finish within [`FetchConfig::total_timeout`].
    #[error("timed out after {after:?} fetching {url}; the server is too slow, try again later or raise the timeout")]
    Timeout {
        /// The requested URL.
        url: String,
        /// The limit that was hit.
        after: std::time::Duration,
    },
    /// No connection within [`FetchConfig::connect_timeout`].
    #[error("could not connect to {url} within {after:?}; check your network connection or try again later")]
    ConnectTimeout {
        /// The requested URL.
        url: String,
        /// The limit that was hit.
        after: std::time::Duration,
    },
    /// The body is larger than [`FetchConfig::max_body`].
    #[error("response from {url} is larger than {limit} bytes; it is not a landing page, point the reference at the article page instead")]
    TooLarge {
        /// The requested URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The server sent something that is not HTML (PDF, image, JSON...).
    #[error("{url} is not an HTML page (content type {content_type:?}); point the reference at the article's landing page")]
    NotHtml {
        /// The requested URL.
        url: String,
        /// The content type the server declared (or sniffed).
        content_type: String,
    },
    /// The server answered with an HTTP error status.
    #[error("{url} answered HTTP {status}; check the URL in a browser, fix the reference or try again later")]
    Http {
        /// The requested URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The server answered 200 with an empty body.
    #[error(
        "{url} returned an empty page; the existing snapshot (if any) was kept, try again later"
    )]
    EmptyBody {
        /// The requested URL.
        url: String,
    },
    /// Connection refused, DNS failure and similar: the host could not be reached.
    #[error("could not reach {url}: {message}; check your network connection (or use --offline)")]
    Network {
        /// The requested URL.
        url: String,
        /// What went wrong, for humans.
        message: String,
    },
    /// The connection broke during the exchange (reset, closed early) and retries ran out.
    #[error("connection to {url} broke: {message}; try again later")]
    ConnectionBroken {
        /// The requested URL.
        url: String,
        /// What went wrong, for humans.
        message: String,
    },
    /// The page or document was fetched but has nothing usable in it.
    #[error(
        "{url} has no usable content: {reason}; point the reference at the article's landing page"
    )]
    NotUsable {
        /// The requested URL.
        url: String,
        /// Why it is not usable.
        reason: String,
    },
    /// The DOI given to [`content_negotiate_doi`] is not a DOI.
    #[error("{doi:?} is not a DOI (expected something like 10.1000/xyz); fix the reference's DOI")]
    InvalidDoi {
        /// The rejected input.
        doi: String,
    },
    /// Writing a snapshot failed.
    #[error("could not write snapshot {path}: {message}; check that the directory exists and is writable")]
    Snapshot {
        /// The snapshot path.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// Any other client-side failure (for example, the HTTP client could not be built).
    #[error("could not fetch {url}: {message}")]
    Other {
        /// The requested URL (may be empty).
        url: String,
        /// What went wrong.
        message: String,
    },
}

impl FetchError {
    /// True for errors that suggest the network as a whole is down (refused connection, DNS
    /// failure, connect timeout), as opposed to one bad page.
    pub fn is_network_down(&self) -> bool {
        matches!(
            self,
            FetchError::Network { .. } | FetchError::ConnectTimeout { .. }
        )
    }
}
