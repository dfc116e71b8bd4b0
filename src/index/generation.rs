//! Generations: creating one, publishing it (references, checksums, fsync, then an atomic
//! swap of the marker), and removing the ones that are no longer current.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use tantivy::Index;

use super::manifest::{BLOCKS_FILE, MANIFEST_FILE, PASSAGES_FILE, STAT_FILE};
use super::stored::Committed;
use super::{write_atomic, Fields, IndexDir, IndexError, IndexLock, Marker, SCHEMA_VERSION};
use crate::references::ReferenceList;
use crate::vectors::build as vector_stage;

/// File in a generation holding the references (CSL-JSON) the index was built with.
pub const REFERENCES_FILE: &str = "references.json";

/// Prefix of the temporary files `write_atomic` renames into place (ours to clean up).
pub(super) const TMP_PREFIX: &str = ".citeseek-tmp-";

/// File citeseek writes into every generation directory the moment it creates it: only
/// directories holding it (or the one the marker names) are ever deleted as ours.
pub const GENERATION_PROOF: &str = ".citeseek-generation";

/// What [`GENERATION_PROOF`] holds.
const GENERATION_PROOF_TEXT: &str = "created by citeseek; removed with its generation\n";

impl IndexDir {
    /// Create an empty, uniquely named generation directory, after removing the ones killed
    /// writers left behind (we hold the lock, so no other process is writing one).
    pub(super) fn new_generation(
        &self,
        _lock: &IndexLock,
    ) -> Result<(String, PathBuf), IndexError> {
        let current = self.read_marker().ok().flatten().map(|m| m.generation);
        self.remove_stale_generations(current.as_deref(), None);
        let mut millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        loop {
            let generation = format!("gen-{millis}-{}", std::process::id());
            let dir = self.path.join(&generation);
            match fs::create_dir(&dir) {
                Ok(()) => {
                    if let Err(e) = fs::write(dir.join(GENERATION_PROOF), GENERATION_PROOF_TEXT) {
                        let _ = fs::remove_dir_all(&dir);
                        return Err(self.io(e));
                    }
                    return Ok((generation, dir));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => millis += 1,
                Err(e) => return Err(self.io(e)),
            }
        }
    }

    /// Finish a generation: its references, everything synced to disk, then the marker swapped
    /// in with an atomic rename, and the previous generation removed.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn publish(
        &self,
        lock: &IndexLock,
        generation: &str,
        dir: &Path,
        committed: (&Index, &Fields),
        refs: &ReferenceList,
        mut marker: Marker,
        vectors: &vector_stage::Job,
    ) -> Result<Marker, IndexError> {
        // The passage vectors, reusing the current generation's: part of the generation, so
        // a writer killed while embedding leaves the current one as it was.
        let current = self
            .read_marker()
            .ok()
            .flatten()
            .map(|m| self.path.join(m.generation));
        let (index, fields) = committed;
        let source = Committed { index, fields };
        marker.vectors = vector_stage::update(&source, dir, current.as_deref(), vectors)?;
        write_atomic(&dir.join(REFERENCES_FILE), refs.to_csl_json(&[]).as_bytes())
            .map_err(|e| self.io(e))?;
        self.write_manifest(lock, dir, &marker)?;
        readable_by_all(dir).map_err(|e| self.io(e))?;
        // tantivy syncs every file it writes when it commits, write_atomic syncs the
        // references, and hard-linked files were synced with the generation they came from;
        // what is left is the directory itself (its new names), before the marker points at it.
        sync_dir(dir).map_err(|e| self.io(e))?;
        // What was written must read back: its checksums, before the marker points at it.
        self.check_generation(generation)?;
        let previous = self.read_marker().ok().flatten().map(|m| m.generation);

        marker.tool = "citeseek".into();
        marker.schema_version = SCHEMA_VERSION;
        marker.generation = generation.to_string();
        marker.built_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let json = serde_json::to_vec(&marker).map_err(|e| self.io(e.into()))?;
        write_atomic(&self.marker_path(), &json).map_err(|e| self.io(e))?;
        sync_dir(&self.path).map_err(|e| self.io(e))?;

        // The new generation is live; older ones of ours can go (the one the old marker named
        // is ours whether or not it has its proof file). Readers that still have one open keep
        // their memory maps on Unix; one that read the old marker retries.
        self.remove_stale_generations(Some(generation), previous.as_deref());
        Ok(marker)
    }

    /// Rewrite the manifest and the marker (same generation): new file times after a touch,
    /// no index work.
    pub fn write_marker(&self, lock: &IndexLock, marker: &Marker) -> Result<(), IndexError> {
        let dir = self.path.join(&marker.generation);
        self.write_manifest(lock, &dir, marker)?;
        sync_dir(&dir).map_err(|e| self.io(e))?;
        let json = serde_json::to_vec(marker).map_err(|e| self.io(e.into()))?;
        write_atomic(&self.marker_path(), &json).map_err(|e| self.io(e))?;
        sync_dir(&self.path).map_err(|e| self.io(e))
    }

    /// Delete generation directories other than `keep`: only `gen-*` entries citeseek can
    /// prove it created (they hold [`GENERATION_PROOF`]), and `previous`, the one the marker
    /// named until now. Callers hold the lock, so none of them is being written.
    fn remove_stale_generations(&self, keep: Option<&str>, previous: Option<&str>) {
        let Ok(entries) = fs::read_dir(&self.path) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if is_generation_name(&name)
                && Some(name.as_ref()) != keep
                && (Some(name.as_ref()) == previous || is_ours(&entry.path()))
            {
                let _ = fs::remove_dir_all(entry.path());
            } else if name.starts_with(TMP_PREFIX) {
                // A marker write that was killed before its rename.
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Fill `to` with the files of generation `from`: hard links to tantivy's immutable segment
/// files, copies of the files that get rewritten (meta.json, .managed.json, references).
pub(super) fn copy_generation(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if (name_str.starts_with(".tantivy-") && name_str.ends_with(".lock"))
            || name_str == MANIFEST_FILE
            || name_str == STAT_FILE
            || name_str == PASSAGES_FILE
            || name_str == BLOCKS_FILE
            || name_str == GENERATION_PROOF
        {
            // Locks are per index; the manifest files are written anew by `publish`.
            continue;
        }
        let target = to.join(&name);
        let rewritten = matches!(
            name_str.as_ref(),
            "meta.json" | ".managed.json" | REFERENCES_FILE
        );
        if rewritten {
            // Rewritten (and synced) by the commit or by `publish`.
            fs::copy(entry.path(), &target)?;
        } else if fs::hard_link(entry.path(), &target).is_err() {
            // A filesystem without hard links: a copy, synced like tantivy's own files.
            fs::copy(entry.path(), &target)?;
            File::open(&target)?.sync_all()?;
        }
    }
    Ok(())
}

/// fsync a directory, so the names in it (renames, new files) are on disk.
pub(super) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Whether `name` is a generation directory name citeseek creates (`gen-<digits>-<digits>`).
pub(super) fn is_generation_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("gen-") else {
        return false;
    };
    let mut parts = rest.split('-');
    let ok =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// Make every file of a generation readable by all, like the files `write_atomic` writes:
/// tantivy writes `meta.json` and `.managed.json` private (mode 0600), which would keep
/// other users from searching an index they may read.
fn readable_by_all(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            let mode = meta.permissions().mode();
            if meta.is_file() && mode & 0o044 != 0o044 {
                fs::set_permissions(entry.path(), fs::Permissions::from_mode(mode | 0o644))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Whether a generation directory is one citeseek created: it holds [`GENERATION_PROOF`]. A
/// writer killed between creating the directory and finishing the proof leaves it empty, or
/// with the start of the proof: that is ours too (and holds nothing anyone could lose).
pub(super) fn is_ours(dir: &Path) -> bool {
    match fs::read_to_string(dir.join(GENERATION_PROOF)) {
        Ok(t) => GENERATION_PROOF_TEXT.starts_with(&t),
        Err(_) => fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn generation_names() {
        assert!(is_generation_name("gen-1700000000000-42"));
        assert!(!is_generation_name("gen-abc-1"));
        assert!(!is_generation_name("gen-1"));
        assert!(!is_generation_name("../x"));
        assert!(!is_generation_name("gen-1-2-3"));
    }

    #[test]
    fn only_generations_citeseek_made_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path());
        let lock = dir.lock(Duration::from_millis(10)).unwrap();
        // A user's folder that only looks like a generation, and one a killed writer left.
        fs::create_dir_all(tmp.path().join("gen-123-456")).unwrap();
        fs::write(tmp.path().join("gen-123-456/notes.txt"), "mine").unwrap();
        let (left, _) = dir.new_generation(&lock).unwrap();
        assert!(is_ours(&tmp.path().join(&left)));
        // Without a marker, the look-alike makes the directory foreign; ours does not.
        assert!(matches!(dir.read_marker(), Err(IndexError::Foreign { .. })));
        // Names are made of the time in milliseconds: the next one must not reuse it.
        std::thread::sleep(Duration::from_millis(5));
        let (next, _) = dir.new_generation(&lock).unwrap();
        assert!(
            !tmp.path().join(&left).exists(),
            "a killed writer's generation stays"
        );
        assert!(tmp.path().join(&next).exists());
        assert_eq!(
            fs::read_to_string(tmp.path().join("gen-123-456/notes.txt")).unwrap(),
            "mine"
        );
        fs::remove_dir_all(tmp.path().join("gen-123-456")).unwrap();
        assert!(matches!(dir.read_marker(), Ok(None)));
    }

    #[test]
    fn generations_a_writer_was_killed_in_the_middle_of_creating_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::new(tmp.path());
        let lock = dir.lock(Duration::from_millis(10)).unwrap();
        // Killed after creating the directory, and while writing the proof.
        fs::create_dir_all(tmp.path().join("gen-1-1")).unwrap();
        fs::create_dir_all(tmp.path().join("gen-2-2")).unwrap();
        fs::write(
            tmp.path().join("gen-2-2").join(GENERATION_PROOF),
            "created by",
        )
        .unwrap();
        // Neither makes the directory foreign, and the next generation removes both.
        assert!(matches!(dir.read_marker(), Ok(None)));
        let (next, _) = dir.new_generation(&lock).unwrap();
        assert!(!tmp.path().join("gen-1-1").exists());
        assert!(!tmp.path().join("gen-2-2").exists());
        assert!(tmp.path().join(next).exists());
    }
}
