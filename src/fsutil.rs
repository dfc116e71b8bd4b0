//! Filesystem helpers shared by the stages that write files: atomic replacement, file locks.

use std::io::{self, Write};
use std::path::Path;

/// Write a file atomically: a temporary file in the same directory, synced, then renamed over
/// `path`. Readers see the old content or the new one, never a part.
///
/// The file keeps the permissions it had (a new file is readable by all, `0644`); a file that
/// is read-only is not replaced but reported as a permission error.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let permissions = match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().readonly() => {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} is read-only; make it writable to update it",
                    path.display()
                ),
            ))
        }
        Ok(meta) => Some(meta.permissions()),
        Err(_) => default_permissions(),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".citeseek-tmp-")
        .tempfile_in(dir)?;
    if let Some(p) = permissions {
        tmp.as_file().set_permissions(p)?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Permissions of a new file: readable by all (a temporary file would be private).
#[cfg(unix)]
fn default_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<std::fs::Permissions> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn keeps_permissions_and_refuses_read_only_files() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.json");
        write_atomic(&new, b"1").unwrap();
        assert_eq!(
            std::fs::metadata(&new).unwrap().permissions().mode() & 0o777,
            0o644
        );
        std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&new, b"2").unwrap();
        assert_eq!(
            std::fs::metadata(&new).unwrap().permissions().mode() & 0o777,
            0o640
        );
        std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o444)).unwrap();
        let err = write_atomic(&new, b"3").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(std::fs::read(&new).unwrap(), b"2");
    }
}

/// A file held under an exclusive advisory lock (`flock`) until this is dropped.
///
/// Dropping unlocks explicitly: closing the file alone is not enough while a child process that
/// another thread is starting still holds a copy of the descriptor (between its fork and its
/// exec), which kept the lock alive and made the next writer find it busy.
#[derive(Debug)]
pub struct LockedFile {
    file: std::fs::File,
}

impl LockedFile {
    /// Lock `file` if no other process holds its lock (`Ok(None)` when one does).
    pub fn try_lock(file: std::fs::File) -> io::Result<Option<LockedFile>> {
        Ok(fs4::fs_std::FileExt::try_lock_exclusive(&file)?.then_some(LockedFile { file }))
    }

    /// The locked file.
    pub fn file(&mut self) -> &mut std::fs::File {
        &mut self.file
    }
}

impl Drop for LockedFile {
    fn drop(&mut self) {
        let _ = fs4::fs_std::FileExt::unlock(&self.file);
    }
}
