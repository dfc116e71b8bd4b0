//! Sentence embeddings: a sentence-transformers BERT model (all-MiniLM-L6-v2 by default) loaded
//! from a directory and run on the CPU with candle → one L2-normalised vector per text.
//!
//! A model directory holds `config.json`, `tokenizer.json` and `model.safetensors` (and, as
//! sentence-transformers writes them, `sentence_bert_config.json` with the longest input and
//! `1_Pooling/config.json`, which must say mean pooling). [`store`] finds, imports and
//! downloads such directories.
//!
//! Texts longer than the model's input limit (256 tokens for all-MiniLM-L6-v2) are cut into
//! windows of at most that many tokens, each run on its own, and their token states pooled
//! together: a text that fits is embedded exactly as sentence-transformers embeds it, and a
//! longer one is not truncated.

pub mod bert;
pub mod store;

use std::fs;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use serde::Deserialize;
use tokenizers::Tokenizer;

use bert::{Bert, BertConfig};

/// Files every model directory must have.
pub const REQUIRED_FILES: &[&str] = &["config.json", "tokenizer.json", "model.safetensors"];
/// Windows embedded in one forward pass (sorted by length first, so a batch pads little).
/// Small batches keep the attention tensors small enough to reuse freed memory: on 100
/// SciFact abstracts, batches of 16 spent 4.2–4.4 s of system time in page faults, batches of
/// 4 spent 1.0 s, for the same user time (20 s).
const BATCH: usize = 4;
/// Longest input when the model does not say (sentence-transformers' default for MiniLM).
const DEFAULT_MAX_TOKENS: usize = 256;

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(
        "{} is not a sentence-transformers model directory: it has no {file}; pass a \
         directory holding config.json, tokenizer.json and model.safetensors (or run \
         `citeseek model import PATH`)",
        .dir.display()
    )]
    MissingFile { dir: PathBuf, file: String },
    #[error("cannot use the model in {}: {detail}", .dir.display())]
    Invalid { dir: PathBuf, detail: String },
    #[error("the embedding model failed: {0}")]
    Inference(String),
}

/// What identifies a loaded model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    pub dir: PathBuf,
    /// A fingerprint of the model's files (see [`fingerprint`]): vectors made by one model are
    /// never mixed with another's.
    pub identity: String,
    /// Vector dimension.
    pub dim: usize,
    /// Longest input in tokens, special tokens included.
    pub max_tokens: usize,
}

/// A loaded model, ready to embed.
pub struct Embedder {
    bert: Bert,
    tokenizer: Tokenizer,
    info: ModelInfo,
    cls: u32,
    sep: u32,
    device: Device,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("info", &self.info)
            .finish()
    }
}

#[derive(Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
}

#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
}

impl Embedder {
    /// Load the model in `dir`.
    pub fn load(dir: &Path) -> Result<Embedder, ModelError> {
        for file in REQUIRED_FILES {
            if !dir.join(file).is_file() {
                return Err(ModelError::MissingFile {
                    dir: dir.to_path_buf(),
                    file: (*file).to_string(),
                });
            }
        }
        let invalid = |detail: String| ModelError::Invalid {
            dir: dir.to_path_buf(),
            detail,
        };
        let read_json = |name: &str| -> Result<Option<String>, ModelError> {
            match fs::read_to_string(dir.join(name)) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(invalid(format!("cannot read {name}: {e}"))),
            }
        };
        let config_text = read_json("config.json")?.unwrap_or_default();
        let config: BertConfig = serde_json::from_str(&config_text)
            .map_err(|e| invalid(format!("config.json is not a BERT configuration: {e}")))?;
        if let Some(t) = config.model_type.as_deref() {
            if t != "bert" {
                return Err(invalid(format!(
                    "config.json says model_type {t:?}; citeseek runs BERT models only"
                )));
            }
        }
        if config.hidden_act != "gelu" {
            return Err(invalid(format!(
                "config.json says hidden_act {:?}; citeseek runs gelu BERT models only",
                config.hidden_act
            )));
        }
        if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            return Err(invalid(
                "config.json: hidden_size is not a multiple of num_attention_heads".into(),
            ));
        }
        if let Some(text) = read_json("1_Pooling/config.json")? {
            let pooling: PoolingConfig = serde_json::from_str(&text)
                .map_err(|e| invalid(format!("1_Pooling/config.json: {e}")))?;
            if !pooling.pooling_mode_mean_tokens {
                return Err(invalid(
                    "1_Pooling/config.json does not ask for mean pooling, the only pooling \
                     citeseek does"
                        .into(),
                ));
            }
        }
        let max_tokens = match read_json("sentence_bert_config.json")? {
            Some(text) => serde_json::from_str::<SentenceBertConfig>(&text)
                .map_err(|e| invalid(format!("sentence_bert_config.json: {e}")))?
                .max_seq_length
                .unwrap_or(DEFAULT_MAX_TOKENS),
            None => DEFAULT_MAX_TOKENS,
        }
        .clamp(8, config.max_position_embeddings);

        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| invalid(format!("tokenizer.json: {e}")))?;
        // The file's own truncation (128 for all-MiniLM-L6-v2) and padding are not what
        // sentence-transformers uses: windows and padding are made here.
        tokenizer
            .with_truncation(None)
            .map_err(|e| invalid(format!("tokenizer.json: {e}")))?;
        tokenizer.with_padding(None);
        let special = |name: &str| {
            tokenizer
                .token_to_id(name)
                .ok_or_else(|| invalid(format!("tokenizer.json has no {name} token")))
        };
        let (cls, sep) = (special("[CLS]")?, special("[SEP]")?);

        let device = Device::Cpu;
        let weights = dir.join("model.safetensors");
        // SAFETY: the file is mapped read-only; citeseek never writes model files while a
        // model is loaded (an import writes a new directory and renames it into place).
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &device) }
            .map_err(|e| invalid(format!("model.safetensors: {e}")))?;
        let bert = Bert::load(vb, &config)
            .map_err(|e| invalid(format!("model.safetensors does not fit config.json: {e}")))?;
        let identity = fingerprint(dir, &config_text)
            .map_err(|e| invalid(format!("cannot read the model files: {e}")))?;
        Ok(Embedder {
            bert,
            tokenizer,
            info: ModelInfo {
                dir: dir.to_path_buf(),
                identity,
                dim: config.hidden_size,
                max_tokens,
            },
            cls,
            sep,
            device,
        })
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Token ids of `text` without special tokens.
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, ModelError> {
        self.tokenizer
            .encode_fast(text, false)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| ModelError::Inference(format!("tokenizing failed: {e}")))
    }

    /// One unit vector per text, in order. `progress` is called with the number of texts
    /// done after each batch.
    pub fn embed(
        &self,
        texts: &[&str],
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        // Every text as windows of at most `max_tokens - 2` tokens.
        let inner = self.info.max_tokens - 2;
        let mut windows: Vec<(usize, Vec<u32>)> = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let ids = self.token_ids(text)?;
            if ids.is_empty() {
                windows.push((i, vec![self.cls, self.sep]));
            }
            for chunk in ids.chunks(inner) {
                let mut w = Vec::with_capacity(chunk.len() + 2);
                w.push(self.cls);
                w.extend_from_slice(chunk);
                w.push(self.sep);
                windows.push((i, w));
            }
        }
        // Longest first, so batches hold windows of about one length.
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.sort_by_key(|&w| std::cmp::Reverse(windows[w].1.len()));
        let dim = self.info.dim;
        let mut sums = vec![vec![0f32; dim]; texts.len()];
        let mut counts = vec![0usize; texts.len()];
        let mut windows_left: Vec<usize> = vec![0; texts.len()];
        for (i, _) in &windows {
            windows_left[*i] += 1;
        }
        let mut done = 0;
        for batch in order.chunks(BATCH) {
            let rows = self.window_sums(batch.iter().map(|&w| windows[w].1.as_slice()))?;
            for (&w, row) in batch.iter().zip(rows) {
                let (text, ids) = &windows[w];
                for (s, v) in sums[*text].iter_mut().zip(row) {
                    *s += v;
                }
                counts[*text] += ids.len();
                windows_left[*text] -= 1;
                if windows_left[*text] == 0 {
                    done += 1;
                }
            }
            progress(done);
        }
        Ok(sums
            .into_iter()
            .zip(counts)
            .map(|(mut v, n)| {
                let n = n.max(1) as f32;
                v.iter_mut().for_each(|x| *x /= n);
                normalise(&mut v);
                v
            })
            .collect())
    }

    /// One text's unit vector.
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>, ModelError> {
        let mut v = self.embed(&[text], &mut |_| {})?;
        Ok(v.pop().unwrap_or_default())
    }

    /// The summed token states of each window (ids with their special tokens), in order.
    fn window_sums<'a>(
        &self,
        windows: impl Iterator<Item = &'a [u32]>,
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        let windows: Vec<&[u32]> = windows.collect();
        let len = windows.iter().map(|w| w.len()).max().unwrap_or(0);
        if len == 0 {
            return Ok(Vec::new());
        }
        let mut ids = Vec::with_capacity(windows.len() * len);
        let mut mask = Vec::with_capacity(windows.len() * len);
        for w in &windows {
            ids.extend_from_slice(w);
            ids.extend(std::iter::repeat_n(0u32, len - w.len()));
            mask.extend(std::iter::repeat_n(1u32, w.len()));
            mask.extend(std::iter::repeat_n(0u32, len - w.len()));
        }
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let ids = Tensor::from_vec(ids, (windows.len(), len), &self.device)?;
            let mask = Tensor::from_vec(mask, (windows.len(), len), &self.device)?;
            let hidden = self.bert.forward(&ids, &mask)?;
            bert::masked_sum(&hidden, &mask)?.to_vec2::<f32>()
        };
        run().map_err(|e| ModelError::Inference(e.to_string()))
    }
}

/// Scale `v` to unit length (a zero vector stays zero).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 1e-12 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// The dot product of two vectors: their cosine when both are unit vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A short fingerprint of a model: BLAKE3 over its configuration, its tokenizer and its
/// weights' size, header and 17 slices of 64 KiB spread through them (hashing all 90 MB on
/// every search would cost more than embedding the query). Two different models of one shape
/// differ in every slice; the fingerprint changes whenever any file is replaced.
pub fn fingerprint(dir: &Path, config_text: &str) -> std::io::Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut h = blake3::Hasher::new();
    h.update(b"citeseek model fingerprint 1\n");
    h.update(config_text.as_bytes());
    h.update(&fs::read(dir.join("tokenizer.json"))?);
    for extra in ["sentence_bert_config.json", "1_Pooling/config.json"] {
        if let Ok(bytes) = fs::read(dir.join(extra)) {
            h.update(&bytes);
        }
    }
    let mut f = fs::File::open(dir.join("model.safetensors"))?;
    let len = f.metadata()?.len();
    h.update(&len.to_le_bytes());
    const SLICE: u64 = 64 * 1024;
    let mut buf = Vec::with_capacity(SLICE as usize);
    for k in 0..=16u64 {
        let at = (len.saturating_sub(SLICE)) * k / 16;
        f.seek(SeekFrom::Start(at))?;
        buf.clear();
        (&mut f).take(SLICE).read_to_end(&mut buf)?;
        h.update(&buf);
    }
    Ok(h.finalize().to_hex()[..16].to_string())
}
