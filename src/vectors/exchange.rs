//! Vectors computed elsewhere: `citeseek vectors export` writes every passage text to embed
//! (JSON lines), and `ingest --vectors FILE.npy` reads the vectors made from it.
//!
//! The export is one header line, `{"model": IDENTITY, "dim": 384, "count": N}`, then one line
//! per distinct passage text, `{"key": "16 hex digits", "id": "first passage id", "text": …}`.
//! The vectors come back as a NumPy `.npy` file beside it with the same stem
//! (`passages.jsonl` → `passages.npy`): float32, shape `[N, dim]`, row `i` the unit vector of
//! line `i + 1`, as `numpy.save` writes it. They are checked against the export's model
//! identity and dimension, and must be finite.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::DocAddress;

use super::embedding_text;
use super::source::KEY_FIELD;
use super::source::{PassageSource, SourceError};

/// The first line of an export.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportHeader {
    pub model: String,
    pub dim: usize,
    pub count: usize,
}

/// One passage text to embed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportLine {
    pub key: String,
    pub id: String,
    pub text: String,
}

/// Why vectors from elsewhere cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{} has no export beside it ({} is missing): --vectors takes the .npy made from a \
         `citeseek vectors export --output NAME.jsonl` file, saved as NAME.npy next to it",
        .npy.display(), .jsonl.display()
    )]
    NoExport { npy: PathBuf, jsonl: PathBuf },
    #[error("{} is not usable: {detail}", .path.display())]
    Invalid { path: PathBuf, detail: String },
    #[error(
        "the vectors in {} were made for model {found}, but the model in use is {expected}: \
         export again with this model, or pass --model for the one they were made with",
        .path.display()
    )]
    WrongModel {
        path: PathBuf,
        found: String,
        expected: String,
    },
    #[error("cannot write the export")]
    Write(#[source] std::io::Error),
    #[error("cannot read the index")]
    Index(#[source] SourceError),
}

impl From<tantivy::TantivyError> for ExchangeError {
    fn from(e: tantivy::TantivyError) -> ExchangeError {
        ExchangeError::Index(Box::new(e))
    }
}

/// Vectors read from an `.npy` file and its export, by key.
#[derive(Debug, Default)]
pub struct Imported {
    pub model: String,
    pub dim: usize,
    vectors: HashMap<u64, Vec<f32>>,
}

impl Imported {
    pub fn get(&self, key: u64) -> Option<&[f32]> {
        self.vectors.get(&key).map(Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }
}

/// Write every distinct passage text of `index` to `out`; returns how many.
pub fn export(
    index: &dyn PassageSource,
    model: &str,
    dim: usize,
    out: &mut dyn Write,
) -> Result<usize, ExchangeError> {
    let searcher = index.searcher().map_err(ExchangeError::Index)?;
    let mut seen = std::collections::HashSet::new();
    let mut lines = Vec::new();
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let keys = segment.fast_fields().u64(KEY_FIELD)?;
        for doc in segment.doc_ids_alive() {
            let Some(key) = keys.first(doc) else { continue };
            if !seen.insert(key) {
                continue;
            }
            let p = index
                .passage(&searcher, DocAddress::new(ord as u32, doc))
                .map_err(ExchangeError::Index)?;
            lines.push(ExportLine {
                key: format!("{key:016x}"),
                id: p.passage.id.clone(),
                text: embedding_text(&p),
            });
        }
    }
    let header = ExportHeader {
        model: model.to_string(),
        dim,
        count: lines.len(),
    };
    json_line(out, &header)?;
    for line in &lines {
        json_line(out, line)?;
    }
    Ok(lines.len())
}

/// `value` as one line of JSON.
fn json_line<T: Serialize>(out: &mut dyn Write, value: &T) -> Result<(), ExchangeError> {
    serde_json::to_writer(&mut *out, value).map_err(|e| ExchangeError::Write(e.into()))?;
    out.write_all(b"\n").map_err(ExchangeError::Write)
}

/// Read `npy` and the export beside it, for the model `expected` (its identity), if given.
pub fn read(npy: &Path, expected: Option<&str>) -> Result<Imported, ExchangeError> {
    let jsonl = npy.with_extension("jsonl");
    if !jsonl.is_file() {
        return Err(ExchangeError::NoExport {
            npy: npy.to_path_buf(),
            jsonl,
        });
    }
    let invalid = |path: &Path, detail: String| ExchangeError::Invalid {
        path: path.to_path_buf(),
        detail,
    };
    let file = fs::File::open(&jsonl).map_err(|source| ExchangeError::Read {
        path: jsonl.clone(),
        source,
    })?;
    let mut lines = BufReader::new(file).lines();
    let header: ExportHeader = match lines.next() {
        Some(Ok(l)) => serde_json::from_str(&l)
            .map_err(|e| invalid(&jsonl, format!("line 1 is not an export header: {e}")))?,
        Some(Err(source)) => {
            return Err(ExchangeError::Read {
                path: jsonl,
                source,
            })
        }
        None => return Err(invalid(&jsonl, "it is empty".into())),
    };
    if let Some(expected) = expected {
        if header.model != expected {
            return Err(ExchangeError::WrongModel {
                path: jsonl,
                found: header.model,
                expected: expected.to_string(),
            });
        }
    }
    let mut keys = Vec::with_capacity(header.count.min(1 << 24));
    for (n, line) in lines.enumerate() {
        let line = line.map_err(|source| ExchangeError::Read {
            path: jsonl.clone(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let l: ExportLine = serde_json::from_str(&line)
            .map_err(|e| invalid(&jsonl, format!("line {}: {e}", n + 2)))?;
        let key = u64::from_str_radix(&l.key, 16).map_err(|_| {
            invalid(
                &jsonl,
                format!("line {}: key {:?} is not hex", n + 2, l.key),
            )
        })?;
        keys.push(key);
    }
    let bytes = fs::read(npy).map_err(|source| ExchangeError::Read {
        path: npy.to_path_buf(),
        source,
    })?;
    let (shape, data) = parse_npy(&bytes).map_err(|d| invalid(npy, d))?;
    if shape.1 != header.dim {
        return Err(invalid(
            npy,
            format!(
                "its vectors have {} dimensions; the model has {}",
                shape.1, header.dim
            ),
        ));
    }
    if shape.0 != keys.len() {
        return Err(invalid(
            npy,
            format!(
                "it has {} rows for the {} passages of {}",
                shape.0,
                keys.len(),
                jsonl.display()
            ),
        ));
    }
    let mut vectors = HashMap::with_capacity(keys.len());
    for (i, (key, row)) in keys.iter().zip(data.chunks_exact(4 * shape.1)).enumerate() {
        let mut v: Vec<f32> = row
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if v.iter().any(|x| !x.is_finite()) {
            return Err(invalid(npy, format!("row {i} is not finite")));
        }
        crate::embed::normalise(&mut v);
        vectors.insert(*key, v);
    }
    Ok(Imported {
        model: header.model,
        dim: header.dim,
        vectors,
    })
}

/// The shape and data of a 2-D little-endian float32 `.npy` array in C order.
fn parse_npy(bytes: &[u8]) -> Result<((usize, usize), &[u8]), String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("it is not a NumPy .npy file".into());
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!("unknown .npy version {v}")),
    };
    let header = bytes
        .get(start..start.saturating_add(len))
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or("the .npy header is cut short")?;
    let compact: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    if !compact.contains("'descr':'<f4'") {
        return Err("its dtype is not little-endian float32 ('<f4'): save float32 vectors".into());
    }
    if !compact.contains("'fortran_order':False") {
        return Err("it is in Fortran order: save a C-ordered array".into());
    }
    let shape = compact
        .split("'shape':(")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .ok_or("its header has no shape")?;
    let dims: Vec<usize> = shape
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| format!("bad shape ({shape})"))
        })
        .collect::<Result<_, _>>()?;
    let [rows, cols] = dims[..] else {
        return Err(format!("its shape ({shape}) is not [passages, dimensions]"));
    };
    let data = &bytes[start + len..];
    let want = rows
        .checked_mul(cols)
        .and_then(|n| n.checked_mul(4))
        .ok_or("its shape is too large")?;
    if data.len() != want {
        return Err(format!(
            "it holds {} bytes of data where its shape needs {want}",
            data.len()
        ));
    }
    Ok(((rows, cols), data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(rows: usize, cols: usize, values: &[f32]) -> Vec<u8> {
        let mut header =
            format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    #[test]
    fn reads_npy_with_its_export() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("p.jsonl"),
            "{\"model\":\"m1\",\"dim\":2,\"count\":2}\n\
             {\"key\":\"00000000000000ff\",\"id\":\"a\",\"text\":\"x\"}\n\
             {\"key\":\"0000000000000001\",\"id\":\"b\",\"text\":\"y\"}\n",
        )
        .unwrap();
        fs::write(dir.path().join("p.npy"), npy(2, 2, &[3.0, 4.0, 0.0, 1.0])).unwrap();
        let got = read(&dir.path().join("p.npy"), Some("m1")).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got.get(255).unwrap(), &[0.6, 0.8]);
        assert_eq!(got.get(1).unwrap(), &[0.0, 1.0]);

        let err = read(&dir.path().join("p.npy"), Some("m2")).unwrap_err();
        assert!(matches!(err, ExchangeError::WrongModel { .. }), "{err}");

        fs::write(dir.path().join("p.npy"), npy(1, 2, &[1.0, 0.0])).unwrap();
        let err = read(&dir.path().join("p.npy"), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("1 rows for the 2 passages"), "{err}");

        fs::write(dir.path().join("p.npy"), npy(2, 3, &[0.0; 6])).unwrap();
        let err = read(&dir.path().join("p.npy"), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("3 dimensions"), "{err}");

        fs::write(dir.path().join("q.npy"), npy(1, 2, &[1.0, 0.0])).unwrap();
        let err = read(&dir.path().join("q.npy"), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("q.jsonl is missing"), "{err}");
    }

    #[test]
    fn bad_npy_headers_are_errors() {
        assert!(parse_npy(b"").is_err());
        assert!(parse_npy(b"\x93NUMPY\x01\x00\xff\xff{").is_err());
        let mut f64_file = npy(1, 1, &[1.0]);
        let at = f64_file.windows(3).position(|w| w == b"<f4").unwrap();
        f64_file[at + 2] = b'8';
        assert!(parse_npy(&f64_file).unwrap_err().contains("float32"));
    }
}
