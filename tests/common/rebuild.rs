//! Helpers for the rebuild tests (incremental ingest, crashes, watch): a corpus copied into a
//! temporary directory and the `citeseek` command pointed at it, with JSON summaries parsed.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// A corpus and an index in a temporary directory.
pub struct Env {
    pub tmp: tempfile::TempDir,
    pub corpus: PathBuf,
    pub index: PathBuf,
}

impl Env {
    /// A copy of the repository's sample corpus.
    pub fn sample() -> Env {
        let env = Env::empty();
        super::copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
            &env.corpus,
        );
        env
    }

    /// An empty corpus directory (with an empty references.json).
    pub fn empty() -> Env {
        let tmp = tempfile::tempdir().expect("tempdir");
        let corpus = tmp.path().join("corpus");
        let index = tmp.path().join("index");
        fs::create_dir_all(corpus.join("guide")).expect("mkdir");
        fs::write(corpus.join("references.json"), "[]").expect("write");
        Env { tmp, corpus, index }
    }

    /// `citeseek --corpus … --index …` with colour off.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd())
    }

    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("citeseek"));
        cmd.arg("--corpus")
            .arg(&self.corpus)
            .arg("--index")
            .arg(&self.index)
            .arg("--color")
            .arg("never")
            .env_remove("CITESEEK_CORPUS")
            .env_remove("CITESEEK_INDEX")
            // A model installed on this machine must not change what the tests see.
            .env_remove("CITESEEK_MODEL")
            .env_remove("CITESEEK_MODE")
            .env("CITESEEK_CACHE_DIR", "/nonexistent/citeseek-test-cache");
        cmd
    }

    /// Run `ingest --json [extra]`, assert success, return the summary.
    pub fn ingest(&self, extra: &[&str]) -> Value {
        let out = self
            .cmd()
            .arg("ingest")
            .arg("--json")
            .args(extra)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "ingest failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("ingest --json prints JSON")
    }

    /// Run `search --json`, returning (exit code, hits, stderr).
    pub fn search(&self, args: &[&str]) -> (i32, Vec<Value>, String) {
        let out = self
            .cmd()
            .arg("search")
            .arg("--json")
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

    pub fn guide(&self, name: &str) -> PathBuf {
        self.corpus.join("guide").join(name)
    }
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
