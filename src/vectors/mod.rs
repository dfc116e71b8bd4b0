//! Passage vectors: the text a passage is embedded as, the key that ties a vector to that text,
//! and the generation's vector file (`vectors.bin`), read through a memory map.
//!
//! Every passage carries a key, the first 8 bytes of the BLAKE3 hash of its embedded text (a
//! fast field of the index, written whether or not a model is installed). A generation's
//! vector file maps keys to vectors for one model:
//!
//! ```text
//! "CSVECS01"                      magic, 8 bytes
//! u32 LE                          header length H
//! H bytes                         header JSON: {"model", "dim", "encoding", "count"}
//! zero padding to a multiple of 8
//! count × u64 LE                  keys, ascending, no repeats
//! f32:  count × dim × f32 LE      the unit vectors, in key order
//! i8:   count × f32 LE scales, then count × dim × i8 (component = byte × scale)
//! ```
//!
//! Identical texts share a key and a vector; an edited passage gets a new key, so an update
//! embeds exactly the passages whose text changed (see [`build`]).

pub mod build;
pub mod exchange;
pub mod source;

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use serde::{Deserialize, Serialize};

use crate::link::CitedPassage;

/// The vector file in a generation directory.
pub const VECTORS_FILE: &str = "vectors.bin";
const MAGIC: &[u8; 8] = b"CSVECS01";
/// Longest header accepted (a damaged length must not make us read gigabytes).
const MAX_HEADER: usize = 64 * 1024;

/// How vector components are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// 4 bytes a component.
    F32,
    /// 1 byte a component and one scale per vector (symmetric, `max |x| / 127`).
    I8,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::F32 => "f32",
            Encoding::I8 => "i8",
        }
    }

    /// The encoding `CITESEEK_VECTOR_ENCODING` asks for (`f32` or `i8`; for benchmarks that
    /// compare them), if it names one.
    pub fn from_env() -> Option<Encoding> {
        match std::env::var("CITESEEK_VECTOR_ENCODING").ok()?.as_str() {
            "f32" => Some(Encoding::F32),
            "i8" => Some(Encoding::I8),
            _ => None,
        }
    }

    /// Bytes one vector of `dim` components takes, scale included.
    pub fn bytes_per_vector(self, dim: usize) -> usize {
        match self {
            Encoding::F32 => 4 * dim,
            Encoding::I8 => 4 + dim,
        }
    }
}

/// The encoding new vector files are written in (see the README's figures: i8 kept SciFact's
/// nDCG@10 within noise of f32 at a quarter of the size).
pub const DEFAULT_ENCODING: Encoding = Encoding::I8;

/// The header of a vector file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The fingerprint of the model that made the vectors ([`crate::embed::ModelInfo`]).
    pub model: String,
    pub dim: usize,
    pub encoding: Encoding,
    pub count: usize,
}

/// A vector file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    #[error("cannot read the passage vectors {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "the passage vectors {} are damaged ({detail}): run `citeseek ingest --full` to \
         rebuild them",
        .path.display()
    )]
    Corrupt { path: PathBuf, detail: String },
}

/// The text a passage's vector is computed from: its heading path and its text (the document
/// title too for a reference's own passages, where it names the study).
pub fn embedding_text(p: &CitedPassage) -> String {
    let passage = &p.passage;
    let mut out = String::new();
    if passage.kind == crate::passage::Kind::Reference && !passage.title.is_empty() {
        out.push_str(&passage.title);
        out.push('\n');
    }
    if !passage.section.is_empty() {
        out.push_str(&passage.section.join(" > "));
        out.push('\n');
    }
    out.push_str(&passage.text);
    out
}

/// The key of an embedded text.
pub fn key_of(text: &str) -> u64 {
    let hash = blake3::hash(text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

/// A passage's key.
pub fn passage_key(p: &CitedPassage) -> u64 {
    key_of(&embedding_text(p))
}

/// An opened vector file.
pub struct VectorFile {
    path: PathBuf,
    map: Mmap,
    pub header: Header,
    keys_at: usize,
    data_at: usize,
}

impl std::fmt::Debug for VectorFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorFile")
            .field("path", &self.path)
            .field("header", &self.header)
            .finish()
    }
}

impl VectorFile {
    /// Open the vector file of the generation in `dir`; `None` when it has none.
    pub fn open_in(dir: &Path) -> Result<Option<VectorFile>, VectorError> {
        let path = dir.join(VECTORS_FILE);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(VectorError::Io { path, source }),
        };
        // SAFETY: generation files are never written after their generation is published
        // (an update writes a new generation), so the mapped bytes do not change under us.
        let map = unsafe { Mmap::map(&file) }.map_err(|source| VectorError::Io {
            path: path.clone(),
            source,
        })?;
        Self::from_map(path, map).map(Some)
    }

    fn from_map(path: PathBuf, map: Mmap) -> Result<VectorFile, VectorError> {
        let at = path.clone();
        let corrupt = |detail: &str| VectorError::Corrupt {
            path: at.clone(),
            detail: detail.to_string(),
        };
        if map.len() < 12 || &map[..8] != MAGIC {
            return Err(corrupt("not a citeseek vector file"));
        }
        let header_len = u32::from_le_bytes([map[8], map[9], map[10], map[11]]) as usize;
        if header_len > MAX_HEADER || 12 + header_len > map.len() {
            return Err(corrupt("the header is cut short"));
        }
        let header: Header = serde_json::from_slice(&map[12..12 + header_len])
            .map_err(|e| corrupt(&format!("the header does not parse: {e}")))?;
        if header.dim == 0 || header.dim > 65_536 {
            return Err(corrupt("the dimension is out of range"));
        }
        let keys_at = (12 + header_len).div_ceil(8) * 8;
        let data_at = header
            .count
            .checked_mul(8)
            .and_then(|k| k.checked_add(keys_at))
            .ok_or_else(|| corrupt("the count is out of range"))?;
        let expected = header
            .count
            .checked_mul(header.encoding.bytes_per_vector(header.dim))
            .and_then(|d| d.checked_add(data_at))
            .ok_or_else(|| corrupt("the count is out of range"))?;
        if map.len() != expected {
            return Err(corrupt(&format!(
                "{} bytes where the header says {expected}",
                map.len()
            )));
        }
        let file = VectorFile {
            path,
            map,
            header,
            keys_at,
            data_at,
        };
        if !file.keys_sorted() {
            return Err(corrupt("the keys are out of order"));
        }
        Ok(file)
    }

    fn keys_sorted(&self) -> bool {
        (1..self.len()).all(|i| self.key(i - 1) < self.key(i))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> usize {
        self.header.count
    }

    pub fn is_empty(&self) -> bool {
        self.header.count == 0
    }

    /// The key of row `row`.
    pub fn key(&self, row: usize) -> u64 {
        let at = self.keys_at + 8 * row;
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.map[at..at + 8]);
        u64::from_le_bytes(b)
    }

    /// The row holding `key`'s vector.
    pub fn row(&self, key: u64) -> Option<usize> {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.key(mid).cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Row `row`'s vector, decoded.
    pub fn vector(&self, row: usize) -> Vec<f32> {
        let dim = self.header.dim;
        match self.header.encoding {
            Encoding::F32 => {
                let at = self.data_at + row * 4 * dim;
                self.map[at..at + 4 * dim]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect()
            }
            Encoding::I8 => {
                let scale = self.scale(row);
                self.bytes(row)
                    .iter()
                    .map(|&b| f32::from(b as i8) * scale)
                    .collect()
            }
        }
    }

    fn scale(&self, row: usize) -> f32 {
        let at = self.data_at + 4 * row;
        f32::from_le_bytes([
            self.map[at],
            self.map[at + 1],
            self.map[at + 2],
            self.map[at + 3],
        ])
    }

    fn bytes(&self, row: usize) -> &[u8] {
        let dim = self.header.dim;
        let at = self.data_at + 4 * self.len() + row * dim;
        &self.map[at..at + dim]
    }

    /// The dot product of row `row` with `query` (its cosine when `query` is a unit vector).
    pub fn dot(&self, row: usize, query: &[f32]) -> f32 {
        let dim = self.header.dim;
        match self.header.encoding {
            Encoding::F32 => {
                let at = self.data_at + row * 4 * dim;
                dot_f32_le(&self.map[at..at + 4 * dim], query)
            }
            Encoding::I8 => dot_i8(self.bytes(row), query) * self.scale(row),
        }
    }

    /// The cosine of `query` with the vector of `key`, if the file has it.
    pub fn similarity(&self, key: u64, query: &[f32]) -> Option<f32> {
        if query.len() != self.header.dim {
            return None;
        }
        self.row(key).map(|row| self.dot(row, query))
    }

    /// The `k` rows most similar to `query`, as `(cosine, key)`, best first: a full scan, on
    /// all cores for a large file (at a million passages, 384 million multiply-adds).
    pub fn nearest(&self, query: &[f32], k: usize) -> Vec<(f32, u64)> {
        use rayon::prelude::*;
        if query.len() != self.header.dim || k == 0 {
            return Vec::new();
        }
        let by_score = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        // Each block of rows keeps its own best k; the blocks' bests are merged.
        let best_of = |rows: std::ops::Range<usize>| -> Vec<(f32, usize)> {
            let mut all: Vec<(f32, usize)> = rows.map(|r| (self.dot(r, query), r)).collect();
            if all.len() > k {
                all.select_nth_unstable_by(k - 1, by_score);
                all.truncate(k);
            }
            all
        };
        const BLOCK: usize = 65_536;
        let mut all: Vec<(f32, usize)> = if self.len() > BLOCK {
            (0..self.len().div_ceil(BLOCK))
                .into_par_iter()
                .flat_map_iter(|b| best_of(b * BLOCK..((b + 1) * BLOCK).min(self.len())))
                .collect()
        } else {
            best_of(0..self.len())
        };
        if all.len() > k {
            all.select_nth_unstable_by(k - 1, by_score);
            all.truncate(k);
        }
        all.sort_by(by_score);
        all.into_iter().map(|(s, r)| (s, self.key(r))).collect()
    }
}

/// Lanes the dot products accumulate in: independent sums the compiler turns into vector
/// instructions (one running sum would have to be added in order).
const LANES: usize = 16;

/// `Σ bytes[i] as i8 · q[i]`.
fn dot_i8(bytes: &[u8], q: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let (b_main, b_rest) = bytes.split_at(bytes.len() - bytes.len() % LANES);
    let (q_main, q_rest) = q.split_at(q.len().min(b_main.len()));
    for (b, q) in b_main.chunks_exact(LANES).zip(q_main.chunks_exact(LANES)) {
        for i in 0..LANES {
            acc[i] += f32::from(b[i] as i8) * q[i];
        }
    }
    let rest: f32 = b_rest
        .iter()
        .zip(q_rest)
        .map(|(&b, q)| f32::from(b as i8) * q)
        .sum();
    acc.iter().sum::<f32>() + rest
}

/// `Σ f32(bytes[4i..4i+4]) · q[i]`, the floats little-endian.
fn dot_f32_le(bytes: &[u8], q: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let whole = (bytes.len() / 4) - (bytes.len() / 4) % LANES;
    let (b_main, b_rest) = bytes.split_at(whole * 4);
    let (q_main, q_rest) = q.split_at(q.len().min(whole));
    for (b, q) in b_main
        .chunks_exact(4 * LANES)
        .zip(q_main.chunks_exact(LANES))
    {
        for i in 0..LANES {
            let x = f32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
            acc[i] += x * q[i];
        }
    }
    let rest: f32 = b_rest
        .chunks_exact(4)
        .zip(q_rest)
        .map(|(b, q)| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * q)
        .sum();
    acc.iter().sum::<f32>() + rest
}

/// Write a vector file of `rows` (key, unit vector; any order, keys distinct) to `path`,
/// atomically.
pub fn write_file(
    path: &Path,
    model: &str,
    dim: usize,
    encoding: Encoding,
    mut rows: Vec<(u64, Vec<f32>)>,
) -> io::Result<()> {
    rows.sort_by_key(|r| r.0);
    rows.dedup_by_key(|r| r.0);
    let header = Header {
        model: model.to_string(),
        dim,
        encoding,
        count: rows.len(),
    };
    let header = serde_json::to_vec(&header).map_err(io::Error::other)?;
    let mut out =
        Vec::with_capacity(16 + header.len() + rows.len() * (8 + encoding.bytes_per_vector(dim)));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    while out.len() % 8 != 0 {
        out.push(0);
    }
    for (key, _) in &rows {
        out.extend_from_slice(&key.to_le_bytes());
    }
    match encoding {
        Encoding::F32 => {
            for (_, v) in &rows {
                for i in 0..dim {
                    out.extend_from_slice(&v.get(i).copied().unwrap_or(0.0).to_le_bytes());
                }
            }
        }
        Encoding::I8 => {
            let scales: Vec<f32> = rows
                .iter()
                .map(|(_, v)| v.iter().fold(0f32, |m, x| m.max(x.abs())) / 127.0)
                .collect();
            for s in &scales {
                out.extend_from_slice(&s.to_le_bytes());
            }
            for ((_, v), s) in rows.iter().zip(&scales) {
                for i in 0..dim {
                    let x = v.get(i).copied().unwrap_or(0.0);
                    let q = if *s > 0.0 {
                        (x / s).round().clamp(-127.0, 127.0)
                    } else {
                        0.0
                    };
                    out.push(q as i8 as u8);
                }
            }
        }
    }
    crate::fsutil::write_atomic(path, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(seed: u64, dim: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..dim)
            .map(|i| (((seed + 1) * 2_654_435_761 + i as u64 * 40_503) % 1000) as f32 - 500.0)
            .collect();
        crate::embed::normalise(&mut v);
        v
    }

    #[test]
    fn round_trip_in_both_encodings() {
        let dir = tempfile::tempdir().unwrap();
        for encoding in [Encoding::F32, Encoding::I8] {
            let rows: Vec<(u64, Vec<f32>)> =
                [9u64, 3, 7, 1].iter().map(|&k| (k, unit(k, 16))).collect();
            write_file(
                &dir.path().join(VECTORS_FILE),
                "m",
                16,
                encoding,
                rows.clone(),
            )
            .unwrap();
            let file = VectorFile::open_in(dir.path()).unwrap().unwrap();
            assert_eq!(file.len(), 4);
            assert_eq!(file.header.encoding, encoding);
            for (k, v) in &rows {
                let got = file.vector(file.row(*k).unwrap());
                let cos = crate::embed::dot(&got, v);
                assert!(cos > 0.999, "{encoding:?} key {k}: cosine {cos}");
                let sim = file.similarity(*k, v).unwrap();
                assert!((sim - cos).abs() < 1e-4);
            }
            assert_eq!(file.row(5), None);
            let near = file.nearest(&rows[1].1, 2);
            assert_eq!(near[0].1, 3);
            assert_eq!(near.len(), 2);
        }
    }

    #[test]
    fn damaged_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VECTORS_FILE);
        write_file(
            &path,
            "m",
            8,
            Encoding::F32,
            vec![(1, unit(1, 8)), (2, unit(2, 8))],
        )
        .unwrap();
        let good = std::fs::read(&path).unwrap();
        for cut in [0, 5, 11, 20, good.len() - 1] {
            std::fs::write(&path, &good[..cut]).unwrap();
            let err = VectorFile::open_in(dir.path()).unwrap_err();
            assert!(err.to_string().contains("ingest --full"), "{err}");
        }
        std::fs::remove_file(&path).unwrap();
        assert!(VectorFile::open_in(dir.path()).unwrap().is_none());
    }

    #[test]
    fn lane_dot_products_equal_the_plain_sums() {
        for dim in [1, 7, 16, 19, 384] {
            let q = unit(3, dim);
            let v = unit(4, dim);
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            let plain: f32 = v.iter().zip(&q).map(|(a, b)| a * b).sum();
            assert!(
                (dot_f32_le(&bytes, &q) - plain).abs() < 1e-5,
                "f32 dim {dim}"
            );
            let ints: Vec<u8> = (0..dim).map(|i| (i as i8).wrapping_mul(37) as u8).collect();
            let plain: f32 = ints
                .iter()
                .zip(&q)
                .map(|(&b, x)| f32::from(b as i8) * x)
                .sum();
            assert!((dot_i8(&ints, &q) - plain).abs() < 1e-3, "i8 dim {dim}");
        }
    }

    #[test]
    fn nearest_over_many_blocks_finds_the_best_rows() {
        let dir = tempfile::tempdir().unwrap();
        let n = 140_000u64;
        let rows: Vec<(u64, Vec<f32>)> = (0..n).map(|k| (k, unit(k % 977, 8))).collect();
        let target = rows[100_123].1.clone();
        write_file(&dir.path().join(VECTORS_FILE), "m", 8, Encoding::F32, rows).unwrap();
        let file = VectorFile::open_in(dir.path()).unwrap().unwrap();
        let near = file.nearest(&target, 5);
        assert_eq!(near.len(), 5);
        // Rows repeat every 977 keys: the best are the target's copies, lowest rows first.
        assert!(
            near.iter().all(|&(_, k)| k % 977 == 100_123 % 977),
            "{near:?}"
        );
        assert_eq!(near[0].1, 100_123 % 977);
        assert!(near.windows(2).all(|w| w[0].0 >= w[1].0));
        assert!((near[0].0 - 1.0).abs() < 1e-5);
    }

    #[test]
    fn keys_depend_on_the_embedded_text_only() {
        assert_eq!(key_of("ice"), key_of("ice"));
        assert_ne!(key_of("ice"), key_of("ice "));
    }
}
