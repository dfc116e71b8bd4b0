//! The on-disk cache of HTTP validators (`ETag`, `Last-Modified`) per URL, stored as JSON.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::page::FetchedPage;

/// Validators remembered for one URL, sent back as `If-None-Match` / `If-Modified-Since`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// The `ETag` the server sent.
    #[serde(default)]
    pub etag: Option<String>,
    /// The `Last-Modified` date the server sent (kept verbatim).
    #[serde(default)]
    pub last_modified: Option<String>,
    /// When the page was fetched, in seconds since the Unix epoch.
    #[serde(default)]
    pub fetched_at: u64,
}

impl CacheEntry {
    /// The validators of a freshly fetched page, stamped with the current time.
    pub fn from_page(page: &FetchedPage) -> CacheEntry {
        CacheEntry {
            etag: page.etag.clone(),
            last_modified: page.last_modified.clone(),
            fetched_at: now_secs(),
        }
    }
}

/// Seconds since the Unix epoch (0 if the clock is before 1970).
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// URL → [`CacheEntry`], typically stored at `<corpus>/references/.fetch-cache.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchCache {
    entries: BTreeMap<String, CacheEntry>,
}

impl FetchCache {
    /// An empty cache.
    pub fn new() -> FetchCache {
        FetchCache::default()
    }

    /// Loads the cache; a missing, unreadable or corrupt file gives an empty cache (the cost is
    /// only one unconditional fetch per URL), never an error.
    pub fn load(path: &Path) -> FetchCache {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<FetchCache>(&bytes).ok())
            .unwrap_or_default()
    }

    /// Saves the cache atomically: a temporary file in the same directory, then a rename.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        atomic_write(path, &json)
    }

    /// The validators stored for `url`.
    pub fn get(&self, url: &str) -> Option<&CacheEntry> {
        self.entries.get(url)
    }

    /// Stores (or replaces) the validators for `url`.
    pub fn insert(&mut self, url: impl Into<String>, entry: CacheEntry) {
        self.entries.insert(url.into(), entry);
    }

    /// Forgets `url`.
    pub fn remove(&mut self, url: &str) -> Option<CacheEntry> {
        self.entries.remove(url)
    }

    /// Number of URLs in the cache.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the cache holds no URL.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

pub(crate) use crate::fsutil::write_atomic as atomic_write;

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("tempdir: {e}"),
        }
    }

    #[test]
    fn missing_or_garbage_file_loads_empty() {
        let d = dir();
        let p = d.path().join(".fetch-cache.json");
        assert!(FetchCache::load(&p).is_empty());
        std::fs::write(&p, b"\xff{not json").ok();
        assert!(FetchCache::load(&p).is_empty());
        std::fs::write(&p, b"[1,2,3]").ok();
        assert!(FetchCache::load(&p).is_empty());
    }

    #[test]
    fn save_then_load_round_trips_without_leftover_temp_files() {
        let d = dir();
        let p = d.path().join(".fetch-cache.json");
        let mut c = FetchCache::new();
        c.insert(
            "https://example.org/a",
            CacheEntry {
                etag: Some("\"abc\"".into()),
                last_modified: None,
                fetched_at: 42,
            },
        );
        assert!(c.save(&p).is_ok());
        assert!(c.save(&p).is_ok());
        let back = FetchCache::load(&p);
        assert_eq!(back, c);
        assert_eq!(
            back.get("https://example.org/a")
                .and_then(|e| e.etag.clone()),
            Some("\"abc\"".into())
        );
        let names: Vec<_> = std::fs::read_dir(d.path())
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
