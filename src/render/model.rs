//! `citeseek model path|import|fetch`: where the model is cached and what an import or a
//! download installed.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::terminal::{note, sanitize};
use crate::embed::store::{CachedModel, Installed, DEFAULT_MODEL};

/// `citeseek model path --json`.
#[derive(Debug, Serialize)]
pub struct ModelPathOut<'a> {
    pub path: &'a Path,
    pub installed: bool,
    pub identity: Option<&'a str>,
}

/// `citeseek model path`: the cached model's directory (and under `--json` whether it is
/// installed and its identity).
pub fn model_path<W: Write>(w: &mut W, cached: &CachedModel, json: bool) -> io::Result<()> {
    if json {
        let out = ModelPathOut {
            path: &cached.path,
            installed: cached.installed,
            identity: cached.identity.as_deref(),
        };
        return super::json_line(w, &out);
    }
    writeln!(w, "{}", sanitize(&cached.path.display().to_string()))?;
    if !cached.installed {
        note("no model is installed there yet: run `citeseek model import PATH` or `citeseek model fetch`");
    }
    Ok(())
}

/// `citeseek model import|fetch --json`.
#[derive(Debug, Serialize)]
pub struct ModelInstalledOut<'a> {
    pub path: &'a Path,
    pub source: &'a str,
    /// `"all-MiniLM-L6-v2"` when the weights are that model's, else `null`.
    pub model: Option<&'a str>,
    pub identity: &'a str,
    pub dim: usize,
    pub max_tokens: usize,
    pub safetensors_sha256: &'a str,
    pub cosine: Option<f32>,
    pub check: &'a str,
    pub replaced: bool,
    pub unchanged: bool,
    pub licence: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downloaded: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// What `citeseek model import` or `fetch` installed.
pub fn model_installed<W: Write>(w: &mut W, m: &Installed, json: bool) -> io::Result<()> {
    let c = &m.check;
    let fetched = m.revision.is_some();
    if json {
        let out = ModelInstalledOut {
            path: &m.path,
            source: &m.source,
            model: c.known.then_some(DEFAULT_MODEL),
            identity: &c.identity,
            dim: c.dim,
            max_tokens: c.max_tokens,
            safetensors_sha256: &c.safetensors_sha256,
            cosine: c.cosine,
            check: &c.summary,
            replaced: m.replaced,
            unchanged: m.unchanged,
            licence: m.licence.as_deref(),
            revision: m.revision.as_deref(),
            downloaded: fetched.then_some(m.downloaded.as_slice()),
            resumed: fetched.then_some(m.resumed.as_slice()),
            bytes: fetched.then_some(m.bytes),
        };
        return super::json_line(w, &out);
    }
    let what = if c.known { DEFAULT_MODEL } else { "the model" };
    let path = sanitize(&m.path.display().to_string());
    if m.unchanged {
        writeln!(w, "{what} is already installed in {path}; nothing to do")?;
    } else {
        let replaced = if m.replaced {
            " (replacing the model there)"
        } else {
            ""
        };
        writeln!(w, "installed {what} in {path}{replaced}")?;
    }
    writeln!(w, "  from:     {}", sanitize(&m.source))?;
    if fetched {
        writeln!(
            w,
            "  download: {} file(s), {} bytes{}",
            m.downloaded.len(),
            m.bytes,
            if m.resumed.is_empty() {
                String::new()
            } else {
                format!(" (resumed: {})", m.resumed.join(", "))
            }
        )?;
    }
    writeln!(w, "  checked:  {}", sanitize(&c.summary))?;
    writeln!(
        w,
        "  model:    identity {}, {} dimensions, inputs up to {} tokens",
        c.identity, c.dim, c.max_tokens
    )?;
    match &m.licence {
        Some(l) => writeln!(w, "  licence:  copied from {}", sanitize(l)),
        None => writeln!(w, "  licence:  none in the source"),
    }
}
