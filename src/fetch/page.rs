//! What one fetch gives back: a decoded page with its validators ([`FetchedPage`]), or word
//! that the stored snapshot is still current ([`FetchResult`]).

/// A page fetched with status 2xx, decoded to UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedPage {
    /// The final URL after redirects.
    pub url: String,
    /// The HTTP status (2xx).
    pub status: u16,
    /// The decoded HTML (UTF-8; undecodable bytes become U+FFFD).
    pub html: String,
    /// The `ETag` response header, if any.
    pub etag: Option<String>,
    /// The `Last-Modified` response header, if any.
    pub last_modified: Option<String>,
}

/// The result of a successful [`fetch_page`](super::fetch_page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchResult {
    /// A fresh page.
    Fetched(FetchedPage),
    /// The server answered 304 to our conditional request: the stored snapshot is current.
    NotModified,
}
