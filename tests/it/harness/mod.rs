//! The test harness: every test runs the real `citeseek` binary through [`citeseek`] (an
//! environment that nothing on the machine can change), most of them in a [`TestEnv`] (the
//! bundled corpus or a temporary one, always with a temporary index directory).
#![allow(dead_code)]

pub mod gen;
pub mod http;
pub mod schema;
pub mod server;
pub mod wait;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_citeseek");

/// Variables of the machine's environment that would change what a test sees: the corpus and
/// index, an installed model or ranking mode, the model hub, the staleness check, proxies.
const ISOLATED: &[&str] = &[
    "CITESEEK_CORPUS",
    "CITESEEK_INDEX",
    "CITESEEK_MODEL",
    "CITESEEK_MODE",
    "CITESEEK_NO_REFRESH",
    "HF_ENDPOINT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// Clears `cmd`'s environment of [`ISOLATED`] variables, points the model cache at a directory
/// that does not exist and turns colour off. A test sets what it needs after this.
pub fn isolate(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for var in ISOLATED {
        cmd.env_remove(var);
    }
    cmd.env("CITESEEK_CACHE_DIR", "/nonexistent/citeseek-test-cache")
        .env("NO_COLOR", "1")
}

/// `citeseek` (no arguments yet) in an [`isolate`]d environment.
pub fn citeseek() -> std::process::Command {
    let mut cmd = std::process::Command::new(BIN);
    isolate(&mut cmd);
    cmd
}

/// The repository's root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled corpus in the repository.
pub fn repo_corpus() -> PathBuf {
    root().join("corpus")
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
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

    /// [`TestEnv::empty`] with an empty references.json (`[]`).
    pub fn no_references() -> TestEnv {
        let env = TestEnv::empty();
        env.write("references.json", "[]");
        env
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.corpus.join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, content).expect("write");
    }

    /// The path of guide page `name`.
    pub fn guide(&self, name: &str) -> PathBuf {
        self.corpus.join("guide").join(name)
    }

    /// `citeseek --corpus C --index I <args>`, run in the temporary directory.
    pub fn cmd(&self, args: &[&str]) -> Command {
        Command::from_std(self.process(args))
    }

    /// [`TestEnv::cmd`] as a plain process, for one that keeps running (a server, `watch`).
    pub fn process(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = citeseek();
        cmd.current_dir(self.dir.path())
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
        json_of(args, &self.run(args), code)
    }

    /// `search QUERY --json [extra…]` with exit 0, returning the hits.
    pub fn search(&self, query: &str, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["search", query, "--json"];
        args.extend_from_slice(extra);
        let v = self.json(&args, 0);
        v["hits"].as_array().cloned().expect("hits array")
    }

    /// `search --json <args>` whatever its exit code: (exit code, hits, stderr). Exit 2 (an
    /// error) gives no hits.
    pub fn try_search(&self, args: &[&str]) -> (i32, Vec<Value>, String) {
        let out = self
            .cmd(&["search", "--json"])
            .args(args)
            .output()
            .expect("run");
        let code = out.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if code == 2 {
            return (code, Vec::new(), stderr);
        }
        let v: Value = serde_json::from_slice(&out.stdout).expect("search --json prints JSON");
        let hits = v["hits"].as_array().cloned().unwrap_or_default();
        (code, hits, stderr)
    }

    /// `ingest --json [extra…]`, asserting success: the summary.
    pub fn ingest(&self, extra: &[&str]) -> Value {
        let out = self
            .cmd(&["ingest", "--json"])
            .args(extra)
            .output()
            .expect("run");
        succeeded(&out);
        serde_json::from_slice(&out.stdout).expect("ingest --json prints JSON")
    }

    /// The index marker as JSON.
    pub fn marker(&self) -> Value {
        let text = fs::read_to_string(self.index.join("citeseek-index.json")).expect("marker");
        serde_json::from_str(&text).expect("marker JSON")
    }

    /// The corpus paths the current generation's manifest lists (its last, tab-separated
    /// column).
    pub fn manifest_paths(&self) -> Vec<String> {
        let generation = self.marker()["generation"]
            .as_str()
            .expect("generation")
            .to_string();
        let text =
            fs::read_to_string(self.index.join(generation).join("manifest.tsv")).expect("manifest");
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| l.rsplit('\t').next().unwrap_or_default().to_string())
            .collect()
    }
}

/// Assert that a finished `citeseek` succeeded, with its stderr as the message when not.
pub fn succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "citeseek failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The stdout of `citeseek ARGS` as one JSON object, asserting its exit code.
pub fn json_of(args: &[&str], out: &Output, code: i32) -> Value {
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

/// Strings of a JSON array.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}
