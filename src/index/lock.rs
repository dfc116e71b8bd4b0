//! The writers' lock: an exclusive lock on `index/.lock`, which records the holder's pid.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use super::{IndexDir, IndexError};
use crate::fsutil::LockedFile;

/// The writers' lock file in the index directory; holds the pid of the writer.
pub const LOCK_FILE: &str = ".lock";

/// The exclusive writer lock of an index directory; released when dropped (or when the
/// process dies, however it dies).
#[derive(Debug)]
pub struct IndexLock {
    _file: LockedFile,
}

impl IndexDir {
    /// Take the writers' lock, waiting up to `wait` for another writer to finish.
    pub fn lock(&self, wait: Duration) -> Result<IndexLock, IndexError> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(lock) = self.try_lock()? {
                return Ok(lock);
            }
            if Instant::now() >= deadline {
                return Err(IndexError::Busy {
                    dir: self.path.clone(),
                    pid: self.lock_holder(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Take the writers' lock if no other process holds it (`Ok(None)` when one does).
    /// `NotWritable` when the index directory cannot be written at all.
    pub fn try_lock(&self) -> Result<Option<IndexLock>, IndexError> {
        let not_writable = |cause: std::io::Error| IndexError::NotWritable {
            dir: self.path.clone(),
            cause,
        };
        // Only the index directory itself is created: a mistyped `--index /nonexistent/deep/idx`
        // must not make folders all the way down.
        match fs::create_dir(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let parent = self.path.parent().unwrap_or(Path::new(""));
                return Err(not_writable(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "its parent directory {} does not exist; create it first",
                        parent.display()
                    ),
                )));
            }
            Err(e) => return Err(not_writable(e)),
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.path.join(LOCK_FILE))
            .map_err(not_writable)?;
        let Some(mut locked) = LockedFile::try_lock(file).map_err(|e| self.io(e))? else {
            return Ok(None);
        };
        // Record who holds it, for the "another ingest is running (pid N)" message.
        let pid = std::process::id().to_string();
        let file = locked.file();
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(pid.as_bytes()));
        Ok(Some(IndexLock { _file: locked }))
    }

    /// The pid recorded by the process holding the lock, if it wrote one.
    pub fn lock_holder(&self) -> Option<u32> {
        let mut text = String::new();
        File::open(self.path.join(LOCK_FILE))
            .and_then(|mut f| f.read_to_string(&mut text))
            .ok()?;
        text.trim().parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_and_names_the_holder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path().join("index"));
        let held = dir.lock(Duration::from_millis(10)).unwrap();
        assert!(dir.try_lock().unwrap().is_none());
        let err = dir.lock(Duration::from_millis(120)).unwrap_err();
        let pid = std::process::id();
        assert!(
            matches!(err, IndexError::Busy { pid: Some(p), .. } if p == pid),
            "{err}"
        );
        assert!(err
            .to_string()
            .contains(&format!("another ingest is running (pid {pid})")));
        drop(held);
        assert!(dir.try_lock().unwrap().is_some());
    }
}
