//! Damage checks: segment checksums, and tantivy's panics on damaged files turned into errors.

use tantivy::Index;

use super::{IndexDir, IndexError, OpenIndex};

impl IndexDir {
    /// Check that a generation opens, its segments read and their checksums match (before
    /// building on it, or calling it up to date).
    pub fn check_generation(&self, generation: &str) -> Result<(), IndexError> {
        let (index, ..) = self.open_parts(generation)?;
        let damaged = damaged_files(&index).map_err(|e| IndexError::Corrupt {
            dir: self.path.clone(),
            detail: format!("cannot verify {generation}: {e}"),
        })?;
        if damaged.is_empty() {
            Ok(())
        } else {
            Err(IndexError::Corrupt {
                dir: self.path.clone(),
                detail: format!("damaged files in {generation}: {}", damaged.join(", ")),
            })
        }
    }
}

impl OpenIndex {
    /// The error to report for a failure while reading this index (a tantivy error, or a
    /// panic from inside tantivy): [`IndexError::Corrupt`] naming the damaged files when the
    /// checksums find some, else naming the failure. Either way it says to rebuild.
    pub fn damaged(&self, failure: &str) -> IndexError {
        let detail = match damaged_files(&self.index) {
            Ok(files) if !files.is_empty() => format!("damaged files: {}", files.join(", ")),
            Ok(_) => format!("reading it failed: {failure}"),
            Err(e) => format!("reading it failed: {failure}; its checksums cannot be read: {e}"),
        };
        IndexError::Corrupt {
            dir: self.generation_dir.clone(),
            detail,
        }
    }
}

/// The segment files of `index` whose checksums do not match, sorted.
fn damaged_files(index: &Index) -> tantivy::Result<Vec<String>> {
    let mut files: Vec<String> = index
        .validate_checksum()?
        .into_iter()
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    Ok(files)
}

/// Run `f`, turning a panic inside it into an error with the panic's message. The panic is not
/// printed (the caller reports it); used around reading the index, where tantivy panics on
/// some damaged segments instead of returning an error.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_caught_with_its_message() {
        assert_eq!(catch_panic(|| 7), Ok(7));
        let err = catch_panic(|| -> u8 { panic!("index out of bounds: {}", 3) }).unwrap_err();
        assert_eq!(err, "index out of bounds: 3");
    }
}
