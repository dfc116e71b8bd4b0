//! Test harness: runs the real `citeseek` binary against the bundled corpus or a temporary one,
//! always with a temporary index directory.
#![allow(dead_code)]

pub mod gen;
pub mod http;
pub mod rebuild;
pub mod schema;
pub mod server;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// The bundled corpus in the repository.
pub fn repo_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A temporary working area with its own corpus (optionally) and index directories.
pub struct TestEnv {
    pub dir: TempDir,
    pub corpus: PathBuf,
    pub index: PathBuf,
}

impl TestEnv {
    /// The bundled corpus (read-only use) with a fresh temporary index.
    pub fn bundled() -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = dir.path().join("index");
        TestEnv {
            corpus: repo_corpus(),
            index,
            dir,
        }
    }

    /// A copy of the bundled corpus that the test may change.
    pub fn copied() -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        let corpus = dir.path().join("corpus");
        copy_dir(&repo_corpus(), &corpus);
        let index = dir.path().join("index");
        TestEnv { corpus, index, dir }
    }

    /// An empty corpus (guide/ and references/ folders, no references.json).
    pub fn empty() -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        let corpus = dir.path().join("corpus");
        fs::create_dir_all(corpus.join("guide")).expect("mkdir");
        fs::create_dir_all(corpus.join("references")).expect("mkdir");
        let index = dir.path().join("index");
        TestEnv { corpus, index, dir }
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.corpus.join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, content).expect("write");
    }

    /// `citeseek --corpus C --index I <args>`, run in the temporary directory.
    pub fn cmd(&self, args: &[&str]) -> Command {
        Command::from_std(self.process(args))
    }

    /// [`TestEnv::cmd`] as a plain process, for a server that keeps running.
    pub fn process(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_citeseek"));
        cmd.current_dir(self.dir.path())
            .env_remove("CITESEEK_CORPUS")
            .env_remove("CITESEEK_INDEX")
            // A model installed on this machine must not change what the tests see.
            .env_remove("CITESEEK_MODEL")
            .env_remove("CITESEEK_MODE")
            .env("CITESEEK_CACHE_DIR", "/nonexistent/citeseek-test-cache")
            .env("NO_COLOR", "1")
            .arg("--corpus")
            .arg(&self.corpus)
            .arg("--index")
            .arg(&self.index)
            .args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run citeseek")
    }

    /// Run and parse stdout as one JSON object, asserting the exit code.
    pub fn json(&self, args: &[&str], code: i32) -> Value {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "citeseek {args:?}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// `search QUERY --json [extra…]` with exit 0, returning the hits.
    pub fn search(&self, query: &str, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["search", query, "--json"];
        args.extend_from_slice(extra);
        let v = self.json(&args, 0);
        v["hits"].as_array().cloned().expect("hits array")
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
            // The copy is the test's to change, whatever the checkout's permissions.
            let mut perms = fs::metadata(&target).expect("metadata").permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            fs::set_permissions(&target, perms).expect("chmod");
        }
    }
}

/// The nearest heading of a hit (`""` before the first heading).
pub fn nearest_heading(hit: &Value) -> String {
    hit["section"]
        .as_array()
        .and_then(|s| s.last())
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}
