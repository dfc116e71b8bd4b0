//! Snapshot files of landing pages: atomic writes that never replace a good page with a worse one.

use std::io;
use std::path::Path;

use super::cache::atomic_write;
use super::meta::{is_usable, parse_meta};
use super::page::FetchedPage;

/// What [`write_snapshot`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotDecision {
    /// The snapshot was (re)written with this many bytes.
    Written {
        /// Size of the new snapshot in bytes.
        bytes: u64,
    },
    /// Nothing was written; the existing snapshot (if any) is untouched.
    KeptExisting {
        /// Why the new page was not written.
        reason: String,
    },
    /// The new page is byte-identical to the existing snapshot.
    Unchanged,
}

/// Writes `page.html` to `path` atomically (temporary file in the same directory + rename).
///
/// Never writes an empty page. Without `force`, also keeps the existing file when the new page
/// is not usable (no title or no main text, see [`is_usable`]) or is smaller than half of a
/// usable existing snapshot; with `force` those two checks are skipped.
pub fn write_snapshot(
    path: &Path,
    page: &FetchedPage,
    force: bool,
) -> io::Result<SnapshotDecision> {
    let new = page.html.as_bytes();
    if page.html.trim().is_empty() {
        return Ok(SnapshotDecision::KeptExisting {
            reason: "the new page is empty".into(),
        });
    }
    let old = match std::fs::read(path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if old.as_deref() == Some(new) {
        return Ok(SnapshotDecision::Unchanged);
    }
    if !force {
        if !is_usable(&parse_meta(&page.html)) {
            return Ok(SnapshotDecision::KeptExisting {
                reason: "the new page has no usable title or text (error or interstitial page?); use --force to store it anyway".into(),
            });
        }
        if let Some(old) = &old {
            let old_usable = is_usable(&parse_meta(&String::from_utf8_lossy(old)));
            if old_usable && (new.len() as u64) * 2 < old.len() as u64 {
                return Ok(SnapshotDecision::KeptExisting {
                    reason: format!(
                        "the new page ({} bytes) is less than half the size of the existing snapshot ({} bytes); use --force to replace it",
                        new.len(),
                        old.len()
                    ),
                });
            }
        }
    }
    atomic_write(path, new)?;
    Ok(SnapshotDecision::Written {
        bytes: new.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MALANGA: &str = include_str!("../../corpus/references/malanga2015.html");
    const CLEVELAND: &str = include_str!("../../corpus/references/clevelandclinic2022.html");

    fn page(html: &str) -> FetchedPage {
        FetchedPage {
            url: "http://127.0.0.1/x".into(),
            status: 200,
            html: html.into(),
            etag: None,
            last_modified: None,
        }
    }

    fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
        let d = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("tempdir: {e}"),
        };
        let p = d.path().join("malanga2015.html");
        if let Err(e) = std::fs::write(&p, MALANGA) {
            panic!("seed: {e}");
        }
        (d, p)
    }

    fn decision(r: io::Result<SnapshotDecision>) -> SnapshotDecision {
        match r {
            Ok(d) => d,
            Err(e) => panic!("io: {e}"),
        }
    }

    fn bytes(p: &Path) -> Vec<u8> {
        std::fs::read(p).unwrap_or_default()
    }

    #[test]
    fn bad_pages_never_replace_a_good_snapshot() {
        let (_d, p) = setup();
        let error_page =
            "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>";
        let tiny = "<html><head><title>Mechanisms</title></head><body><article><p>A much shorter page that is still technically readable text.</p></article></body></html>";
        for html in ["", "   \n", error_page, tiny] {
            let d = decision(write_snapshot(&p, &page(html), false));
            assert!(
                matches!(d, SnapshotDecision::KeptExisting { .. }),
                "{html:?}: {d:?}"
            );
            assert_eq!(bytes(&p), MALANGA.as_bytes(), "snapshot must be intact");
        }
        // Even with --force an empty page is never written.
        let d = decision(write_snapshot(&p, &page(""), true));
        assert!(matches!(d, SnapshotDecision::KeptExisting { .. }));
        assert_eq!(bytes(&p), MALANGA.as_bytes());
        // --force lets the user accept a smaller page.
        let d = decision(write_snapshot(&p, &page(tiny), true));
        assert_eq!(
            d,
            SnapshotDecision::Written {
                bytes: tiny.len() as u64
            }
        );
        assert_eq!(bytes(&p), tiny.as_bytes());
    }

    #[test]
    fn identical_page_is_unchanged_and_new_good_page_is_written() {
        let (d, p) = setup();
        assert_eq!(
            decision(write_snapshot(&p, &page(MALANGA), false)),
            SnapshotDecision::Unchanged
        );
        let fresh = d.path().join("cleveland.html");
        assert_eq!(
            decision(write_snapshot(&fresh, &page(CLEVELAND), false)),
            SnapshotDecision::Written {
                bytes: CLEVELAND.len() as u64
            }
        );
        assert_eq!(bytes(&fresh), CLEVELAND.as_bytes());
        let count = std::fs::read_dir(d.path()).map(|r| r.count()).unwrap_or(0);
        assert_eq!(count, 2, "no temp files left behind");
    }
}
