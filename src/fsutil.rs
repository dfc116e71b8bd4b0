//! Filesystem helpers shared by the stages that write files: atomic replacement.

use std::io::{self, Write};
use std::path::Path;

/// Write a file atomically: a temporary file in the same directory, synced, then renamed over
/// `path`. Readers see the old content or the new one, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".citeseek-tmp-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
