//! Where models live: `--model DIR`, `CITESEEK_MODEL`, or the copy in citeseek's cache
//! directory that `citeseek model import` and `citeseek model fetch` put there.

use std::path::{Path, PathBuf};

/// Why no model directory could be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the model directory {} does not exist: pass --model a directory holding config.json, tokenizer.json and model.safetensors", .0.display())]
    NoSuchDir(PathBuf),
    #[error(
        "{what} needs the embedding model, and none is installed: run `citeseek model import \
         PATH` or `citeseek model fetch`, or pass --model DIR"
    )]
    NotInstalled { what: String },
}

/// The model to use: `explicit` (`--model`, `CITESEEK_MODEL`), else none.
pub fn resolve(explicit: Option<&Path>) -> Result<Option<PathBuf>, StoreError> {
    match explicit {
        Some(dir) if dir.is_dir() => Ok(Some(dir.to_path_buf())),
        Some(dir) => Err(StoreError::NoSuchDir(dir.to_path_buf())),
        None => Ok(None),
    }
}
