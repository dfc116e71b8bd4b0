//! The errors of the index layer, and the one that names a full disk.
//!
//! A message never repeats the text of its source: the error printer adds the chain.

use std::io;
use std::path::{Path, PathBuf};

use super::MARKER;
use crate::vectors::build::BuildError;

/// Errors a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("no index in {}: run `citeseek ingest` to build it", .dir.display())]
    Missing { dir: PathBuf },
    #[error(
        "the index in {} was built by another citeseek version (index schema {found}, this \
         version reads {expected}): run `citeseek ingest --full` to rebuild it",
        .dir.display()
    )]
    SchemaMismatch {
        dir: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error(
        "{} is not a citeseek index (it has files but no {MARKER}); citeseek will not touch \
         them: pass another --index directory, or run `citeseek ingest --full` to build an \
         index beside them",
        .dir.display()
    )]
    Foreign { dir: PathBuf },
    #[error("the index in {} is damaged ({detail}): run `citeseek ingest --full` to rebuild it", .dir.display())]
    Corrupt { dir: PathBuf, detail: String },
    #[error("cannot write the index in {}", .dir.display())]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "another ingest is running{} on the index in {}: wait for it to finish and try again",
        .pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
        .dir.display()
    )]
    Busy { dir: PathBuf, pid: Option<u32> },
    /// The cause is quoted in the middle of the message, so it is not also a source.
    #[error("cannot write to the index directory {} ({cause}): pass a writable --index directory", .dir.display())]
    NotWritable { dir: PathBuf, cause: std::io::Error },
    #[error(
        "no space left on device while writing {}: free some space and run the ingest again \
         (the previous index is unchanged and keeps answering)",
        .dir.display()
    )]
    NoSpace { dir: PathBuf },
    #[error(transparent)]
    Vectors(#[from] BuildError),
    #[error("tantivy failed on the index in {}", .dir.display())]
    Tantivy {
        dir: PathBuf,
        #[source]
        source: tantivy::TantivyError,
    },
}

/// Whether a failed write ran out of disk space: an `ENOSPC` anywhere in its causes, or a
/// tantivy failure (its indexing threads hide the I/O error behind "an index writer was
/// killed") on a filesystem with less than a MiB left.
fn out_of_space(err: &IndexError, dir: &Path) -> bool {
    let full =
        |io: &io::Error| io.raw_os_error() == Some(28) || io.kind() == io::ErrorKind::StorageFull;
    let chain = std::iter::successors(Some(err as &(dyn std::error::Error + 'static)), |c| {
        c.source()
    });
    for c in chain {
        let io = c
            .downcast_ref::<io::Error>()
            .or_else(|| match c.downcast_ref() {
                Some(tantivy::TantivyError::IoError(io)) => Some(io.as_ref()),
                _ => None,
            });
        // tantivy also quotes I/O errors in its own messages.
        if io.is_some_and(full) || c.to_string().contains("(os error 28)") {
            return true;
        }
    }
    matches!(err, IndexError::Tantivy { .. })
        && fs4::available_space(dir).is_ok_and(|free| free < 1 << 20)
}

/// An error and its causes as one line, `a: b: c`, for the detail of another error's message.
pub(super) fn chain(e: impl std::error::Error + Send + Sync + 'static) -> String {
    format!("{:#}", anyhow::Error::new(e))
}

/// A write error as the user should read it: [`IndexError::NoSpace`] when the disk is full.
pub fn write_error(err: IndexError, dir: &Path) -> IndexError {
    match err {
        IndexError::NoSpace { .. } => err,
        _ if out_of_space(&err, dir) => IndexError::NoSpace {
            dir: dir.to_path_buf(),
        },
        _ => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_named() {
        let dir = Path::new("/some/index");
        let enospc = IndexError::Io {
            dir: dir.into(),
            source: io::Error::from_raw_os_error(28),
        };
        let err = write_error(enospc, dir);
        assert!(matches!(err, IndexError::NoSpace { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("no space left on device while writing /some/index"),
            "{err}"
        );
        let other = IndexError::Io {
            dir: dir.into(),
            source: io::Error::from_raw_os_error(13),
        };
        assert!(matches!(write_error(other, dir), IndexError::Io { .. }));
    }
}
