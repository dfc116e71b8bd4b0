//! BEIR benchmark files, retrieval metrics (trec_eval definitions) and TREC run files.
//!
//! * Readers for the three BEIR files: the corpus (`corpus.jsonl`), the
//!   queries (`queries*.jsonl`) and the relevance judgements (`qrels/*.tsv`,
//!   also the space-separated and TREC four-column forms).
//! * Per-query metrics as trec_eval computes them (`ndcg_cut`, `recall`,
//!   `recip_rank` cut at k) and their mean over the judged queries.
//! * A writer for TREC run files that trec_eval and pytrec_eval read back with
//!   the same ranking as [`evaluate`] scores.
//!
//! Ordering rule shared by [`evaluate`] and [`write_trec_run`]: like trec_eval,
//! a query's results are ranked by score descending, ties by document id
//! descending (byte order), whatever order they were given in.

use serde_json::Value;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// Relevance judgements: query id → document id → grade (`> 0` is relevant).
pub type Qrels = HashMap<String, HashMap<String, i32>>;

/// A run: query id → ranked `(document id, score)`, best first.
pub type Run = HashMap<String, Vec<(String, f32)>>;

/// The header line of a BEIR qrels file.
const QRELS_HEADER: [&str; 3] = ["query-id", "corpus-id", "score"];

/// Errors from reading benchmark files.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The file could not be opened or read.
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A line that cannot be parsed (`line` is 1-based).
    #[error("{}:{line}: {message}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A qrels file whose first line is neither the BEIR header
    /// `query-id<TAB>corpus-id<TAB>score` nor a judgement.
    #[error(
        "{}:1: expected the header \"query-id\\tcorpus-id\\tscore\" or a judgement \
         (\"qid docid grade\" or \"qid 0 docid grade\"), found {found:?}",
        path.display()
    )]
    MissingHeader { path: PathBuf, found: String },
    /// A qrels file in which no query has a relevant (grade > 0) document:
    /// nothing could be evaluated against it.
    #[error("{}: no query has a relevant judgement (grade > 0)", path.display())]
    NoJudgedQueries { path: PathBuf },
}

/// A malformed line that was skipped (see [`read_queries`]); displays as
/// `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

impl std::error::Error for Malformed {}

impl From<Malformed> for EvalError {
    fn from(m: Malformed) -> Self {
        EvalError::Malformed {
            path: m.path,
            line: m.line,
            message: m.message,
        }
    }
}

/// A corpus document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeirDoc {
    pub id: String,
    pub title: String,
    pub text: String,
}

/// A query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeirQuery {
    pub id: String,
    pub text: String,
}

/// Calls `f(line_number, line)` for each non-blank line of `path`, 1-based,
/// without the line ending (LF or CRLF) and without a leading UTF-8 BOM.
/// A line that is not UTF-8 goes to `f` as `Err(message)`.
fn for_each_line(
    path: &Path,
    mut f: impl FnMut(usize, Result<&str, String>) -> Result<(), EvalError>,
) -> Result<(), EvalError> {
    let io_err = |source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = BufReader::new(File::open(path).map_err(io_err)?);
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(io_err)? == 0 {
            return Ok(());
        }
        line_no += 1;
        let mut bytes = buf.as_slice();
        if line_no == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        match std::str::from_utf8(bytes) {
            Ok(line) => {
                let line = line.trim_end_matches(['\n', '\r']);
                if !line.trim().is_empty() {
                    f(line_no, Ok(line))?;
                }
            }
            Err(e) => f(line_no, Err(format!("invalid UTF-8: {e}")))?,
        }
    }
}

/// The `_id` of a BEIR record: a non-empty string, or an integer (some
/// converted data sets write numeric ids).
fn record_id(obj: &serde_json::Map<String, Value>) -> Result<String, String> {
    match obj.get("_id") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err("empty \"_id\"".into()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        Some(other) => Err(format!("\"_id\" must be a string, found {other}")),
        None => Err("missing \"_id\"".into()),
    }
}

/// An optional string field: absent or `null` is `None`.
fn opt_str(obj: &serde_json::Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("\"{key}\" must be a string, found {other}")),
    }
}

fn json_object(line: &str) -> Result<serde_json::Map<String, Value>, String> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(obj)) => Ok(obj),
        Ok(_) => Err("expected a JSON object".into()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

fn parse_doc(line: Result<&str, String>) -> Result<BeirDoc, String> {
    let obj = json_object(line?)?;
    Ok(BeirDoc {
        id: record_id(&obj)?,
        title: opt_str(&obj, "title")?.unwrap_or_default(),
        text: opt_str(&obj, "text")?.unwrap_or_default(),
    })
}

fn parse_query(line: Result<&str, String>) -> Result<BeirQuery, String> {
    let obj = json_object(line?)?;
    let id = record_id(&obj)?;
    let text = opt_str(&obj, "text")?.ok_or("missing \"text\"")?;
    Ok(BeirQuery { id, text })
}

/// Reads a BEIR corpus: JSON lines `{"_id", "title", "text", ...}`.
///
/// `title` and `text` may be absent or `null` (read as empty); other keys
/// are ignored; blank lines are skipped. A malformed line or a repeated
/// `_id` is fatal: [`EvalError::Malformed`] names the file and line.
pub fn read_corpus(path: &Path) -> Result<Vec<BeirDoc>, EvalError> {
    let mut docs = Vec::new();
    let mut seen = HashSet::new();
    for_each_line(path, |line_no, line| {
        let malformed = |message| EvalError::Malformed {
            path: path.to_path_buf(),
            line: line_no,
            message,
        };
        let doc = parse_doc(line).map_err(malformed)?;
        if !seen.insert(doc.id.clone()) {
            return Err(malformed(format!("duplicate \"_id\" {:?}", doc.id)));
        }
        docs.push(doc);
        Ok(())
    })?;
    Ok(docs)
}

/// Reads BEIR queries: JSON lines `{"_id", "text", ...}`.
///
/// Malformed lines (bad JSON, missing `_id` or `text`, a repeated `_id`)
/// are skipped and returned as warnings, each naming its file and line;
/// only I/O errors are fatal.
pub fn read_queries(path: &Path) -> Result<(Vec<BeirQuery>, Vec<Malformed>), EvalError> {
    let mut queries = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    for_each_line(path, |line_no, line| {
        let parsed = parse_query(line).and_then(|q| {
            if seen.insert(q.id.clone()) {
                Ok(q)
            } else {
                Err(format!("duplicate \"_id\" {:?}, skipped", q.id))
            }
        });
        match parsed {
            Ok(q) => queries.push(q),
            Err(message) => warnings.push(Malformed {
                path: path.to_path_buf(),
                line: line_no,
                message,
            }),
        }
        Ok(())
    })?;
    Ok((queries, warnings))
}

/// A grade: an integer, or a float with no fractional part ("1.0").
fn parse_grade(s: &str) -> Option<i32> {
    s.parse::<i32>().ok().or_else(|| {
        let f = s.parse::<f64>().ok()?;
        (f.fract() == 0.0 && f >= i32::MIN as f64 && f <= i32::MAX as f64).then_some(f as i32)
    })
}

/// Reads relevance judgements.
///
/// Accepted, line by line: the BEIR form `query-id<TAB>corpus-id<TAB>score`
/// with its header line, the same three columns space-separated or without
/// the header, and the TREC form `qid 0 docid grade` (four columns, no
/// header). Tab-separated lines are split on tabs, others on whitespace.
/// Blank lines are skipped; a judgement repeated for the same (query,
/// document) keeps the last grade.
///
/// Errors: [`EvalError::MissingHeader`] if the first line is neither the
/// header nor a judgement, [`EvalError::Malformed`] (file:line) for any
/// other bad line, [`EvalError::NoJudgedQueries`] if no grade is > 0.
pub fn read_qrels(path: &Path) -> Result<Qrels, EvalError> {
    let mut qrels = Qrels::new();
    let mut first = true;
    for_each_line(path, |line_no, line| {
        let malformed = |message: String| EvalError::Malformed {
            path: path.to_path_buf(),
            line: line_no,
            message,
        };
        let line = line.map_err(malformed)?;
        let is_first = std::mem::replace(&mut first, false);
        let fields: Vec<&str> = if line.contains('\t') {
            line.split('\t').map(str::trim).collect()
        } else {
            line.split_whitespace().collect()
        };
        let (qid, docid, grade) = match fields[..] {
            [q, d, g] => (q, d, g),
            [q, _, d, g] => (q, d, g),
            _ => {
                return Err(malformed(format!(
                    "expected 3 columns (query-id corpus-id score) or 4 (qid 0 docid grade), \
                     found {}",
                    fields.len()
                )))
            }
        };
        let grade = match parse_grade(grade) {
            Some(g) => g,
            None if is_first => {
                if fields[..] == QRELS_HEADER {
                    return Ok(());
                }
                return Err(EvalError::MissingHeader {
                    path: path.to_path_buf(),
                    found: line.to_string(),
                });
            }
            None => return Err(malformed(format!("grade {grade:?} is not an integer"))),
        };
        if qid.is_empty() || docid.is_empty() {
            return Err(malformed("empty query or document id".into()));
        }
        qrels
            .entry(qid.to_string())
            .or_default()
            .insert(docid.to_string(), grade);
        Ok(())
    })?;
    if !qrels.values().any(|j| j.values().any(|&g| g > 0)) {
        return Err(EvalError::NoJudgedQueries {
            path: path.to_path_buf(),
        });
    }
    Ok(qrels)
}

/// Mean metrics over the judged queries.
///
/// `ndcg_at_10` and `mrr_at_10` are cut at the `k` given to [`evaluate`]
/// (10 by default in the CLI; the value used is in `k`); the recall cutoffs
/// are fixed at 10 and 100.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub ndcg_at_10: f64,
    pub recall_at_10: f64,
    pub recall_at_100: f64,
    pub mrr_at_10: f64,
    /// Number of judged queries averaged over (queries with a grade > 0).
    pub queries: usize,
    /// The nDCG / MRR cutoff.
    pub k: usize,
}

/// Gain of a document: its grade when > 0 (linear gain, as trec_eval's
/// `ndcg_cut` and pytrec_eval / BEIR use), else 0.
fn gain(judged: &HashMap<String, i32>, doc: &str) -> i32 {
    judged.get(doc).copied().filter(|&g| g > 0).unwrap_or(0)
}

/// The first `k` documents of `ranked`, a repeated document counting only
/// where it first occurs (later copies keep their rank but earn nothing).
fn top_k<'a>(ranked: &'a [&'a str], k: usize) -> impl Iterator<Item = (usize, &'a str)> + 'a {
    let mut seen = HashSet::new();
    ranked
        .iter()
        .take(k)
        .enumerate()
        .filter(move |(_, d)| seen.insert(**d))
        .map(|(i, d)| (i, *d))
}

/// nDCG@k of one ranking (trec_eval `ndcg_cut.k`):
/// DCG = Σ_{rank r ≤ k} gain / log2(r + 1), divided by the DCG of the ideal
/// ranking built from all judged grades > 0. 0 if nothing is relevant.
pub fn ndcg_at(ranked: &[&str], judged: &HashMap<String, i32>, k: usize) -> f64 {
    let dcg: f64 = top_k(ranked, k)
        .map(|(i, d)| gain(judged, d) as f64 / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<i32> = judged.values().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| g as f64 / ((i + 2) as f64).log2())
        .sum();
    if idcg > 0.0 {
        dcg / idcg
    } else {
        0.0
    }
}

/// Recall@k: relevant (grade > 0) documents in the top k / all relevant
/// documents. 0 if nothing is relevant.
pub fn recall_at(ranked: &[&str], judged: &HashMap<String, i32>, k: usize) -> f64 {
    let relevant = judged.values().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = top_k(ranked, k)
        .filter(|(_, d)| gain(judged, d) > 0)
        .count();
    found as f64 / relevant as f64
}

/// MRR@k (reciprocal rank cut at k): 1 / rank of the first relevant
/// document within the top k, else 0.
pub fn mrr_at(ranked: &[&str], judged: &HashMap<String, i32>, k: usize) -> f64 {
    top_k(ranked, k)
        .find(|(_, d)| gain(judged, d) > 0)
        .map_or(0.0, |(i, _)| 1.0 / (i + 1) as f64)
}

/// trec_eval's order: score descending, then document id descending.
/// -0.0 and 0.0 compare equal, as in trec_eval.
fn trec_order(a: &(String, f32), b: &(String, f32)) -> Ordering {
    let norm = |s: f32| if s == 0.0 { 0.0 } else { s };
    norm(b.1).total_cmp(&norm(a.1)).then_with(|| b.0.cmp(&a.0))
}

/// A query's results in trec_eval's order (see the module docs).
fn trec_ranked(results: &[(String, f32)]) -> Vec<&(String, f32)> {
    let mut sorted: Vec<&(String, f32)> = results.iter().collect();
    sorted.sort_by(|a, b| trec_order(a, b));
    sorted
}

/// Mean nDCG@k, Recall@10, Recall@100 and MRR@k of `run` against `qrels`.
///
/// Averaged over the queries of `qrels` that have at least one relevant
/// (grade > 0) document; a judged query missing from the run scores 0;
/// run queries without relevant judgements are ignored. Each query's
/// results are re-ranked in trec_eval's order first (score descending, ties
/// by document id descending), so the figures match trec_eval on the file
/// [`write_trec_run`] writes. With no judged query all means are 0.
pub fn evaluate(run: &Run, qrels: &Qrels, k: usize) -> Metrics {
    let mut sums = [0.0f64; 4];
    let mut queries = 0;
    for (qid, judged) in qrels {
        if !judged.values().any(|&g| g > 0) {
            continue;
        }
        queries += 1;
        let Some(results) = run.get(qid) else {
            continue;
        };
        let sorted = trec_ranked(results);
        let ranked: Vec<&str> = sorted.iter().map(|(d, _)| d.as_str()).collect();
        sums[0] += ndcg_at(&ranked, judged, k);
        sums[1] += recall_at(&ranked, judged, 10);
        sums[2] += recall_at(&ranked, judged, 100);
        sums[3] += mrr_at(&ranked, judged, k);
    }
    let mean = |s: f64| {
        if queries == 0 {
            0.0
        } else {
            s / queries as f64
        }
    };
    Metrics {
        ndcg_at_10: mean(sums[0]),
        recall_at_10: mean(sums[1]),
        recall_at_100: mean(sums[2]),
        mrr_at_10: mean(sums[3]),
        queries,
        k,
    }
}

/// Query ids in a stable order: numerically when both are integers,
/// otherwise by bytes.
fn qid_order(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        _ => a.cmp(b),
    }
}

fn check_field(what: &str, value: &str) -> io::Result<()> {
    if value.is_empty() || value.chars().any(char::is_whitespace) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("TREC run {what} {value:?} is empty or contains whitespace"),
        ));
    }
    Ok(())
}

/// Writes `run` in TREC format, one line per result:
/// `qid Q0 docid rank score tag`.
///
/// Queries are in id order (numeric ids numerically); each query's results
/// are in trec_eval's order (score descending, ties by document id
/// descending), ranked from 1 and cut at `depth`. Scores are written in the
/// shortest form that reads back as the same `f32`, so no ties appear that
/// [`evaluate`] did not see. Ids or a tag that are empty or contain
/// whitespace are an `InvalidInput` error.
pub fn write_trec_run<W: Write>(mut w: W, run: &Run, tag: &str, depth: usize) -> io::Result<()> {
    check_field("tag", tag)?;
    let mut qids: Vec<&String> = run.keys().collect();
    qids.sort_by(|a, b| qid_order(a, b));
    for qid in qids {
        check_field("query id", qid)?;
        for (i, (docid, score)) in trec_ranked(&run[qid]).into_iter().take(depth).enumerate() {
            check_field("document id", docid)?;
            writeln!(w, "{qid} Q0 {docid} {} {score} {tag}", i + 1)?;
        }
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-12;

    fn judged(pairs: &[(&str, i32)]) -> HashMap<String, i32> {
        pairs.iter().map(|(d, g)| (d.to_string(), *g)).collect()
    }

    fn qrels(rows: &[(&str, &str, i32)]) -> Qrels {
        let mut q = Qrels::new();
        for (qid, d, g) in rows {
            q.entry(qid.to_string())
                .or_default()
                .insert(d.to_string(), *g);
        }
        q
    }

    fn results(docs: &[(&str, f32)]) -> Vec<(String, f32)> {
        docs.iter().map(|(d, s)| (d.to_string(), *s)).collect()
    }

    fn file(content: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content.as_bytes()).unwrap();
        f.flush().unwrap();
        f
    }

    fn assert_close(got: f64, want: f64) {
        assert!((got - want).abs() < EPS, "got {got}, want {want}");
    }

    // ---- nDCG ----

    #[test]
    fn ndcg_perfect_ranking_is_one() {
        // Grades 2, 1 ranked ideally: DCG = IDCG = 2/log2(2) + 1/log2(3).
        let j = judged(&[("a", 2), ("b", 1), ("c", 0)]);
        assert_close(ndcg_at(&["a", "b", "c"], &j, 10), 1.0);
    }

    #[test]
    fn ndcg_single_relevant_at_rank_two() {
        // DCG = 1/log2(2 + 1) = 1/log2(3) = 0.6309297535714574; IDCG = 1/log2(2) = 1.
        let j = judged(&[("rel", 1)]);
        let got = ndcg_at(&["x", "rel", "y"], &j, 10);
        assert_close(got, 1.0 / 3f64.log2());
        assert!((got - 0.630_929_753_571_457_4).abs() < 1e-12);
    }

    #[test]
    fn ndcg_graded_relevance() {
        // Judged: a=2, b=1, c=1. Ranking: b, x, a, c.
        // DCG  = 1/log2(2) + 0 + 2/log2(4) + 1/log2(5)
        //      = 1 + 0 + 1 + 0.43067655807339306 = 2.430676558073393
        // IDCG = 2/log2(2) + 1/log2(3) + 1/log2(4)
        //      = 2 + 0.6309297535714574 + 0.5 = 3.1309297535714578
        // nDCG = 2.430676558073393 / 3.1309297535714578 = 0.7763433706...
        let j = judged(&[("a", 2), ("b", 1), ("c", 1)]);
        let dcg = 1.0 + 2.0 / 4f64.log2() + 1.0 / 5f64.log2();
        let idcg = 2.0 + 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        let got = ndcg_at(&["b", "x", "a", "c"], &j, 10);
        assert_close(got, dcg / idcg);
        assert!((got - 0.776_343_370_6).abs() < 1e-9, "{got}");
    }

    #[test]
    fn ndcg_ideal_is_cut_at_k_and_uses_all_judgements() {
        // k = 1, judged a=1, b=3. Ranking a, b: DCG@1 = 1/log2(2) = 1;
        // IDCG@1 = 3/log2(2) = 3 (b, not retrieved at rank 1, still counts).
        let j = judged(&[("a", 1), ("b", 3)]);
        assert_close(ndcg_at(&["a", "b"], &j, 1), 1.0 / 3.0);
        // A relevant doc never retrieved lowers the score:
        // ranking [b] at k=10: DCG = 3, IDCG = 3 + 1/log2(3).
        assert_close(ndcg_at(&["b"], &j, 10), 3.0 / (3.0 + 1.0 / 3f64.log2()));
    }

    #[test]
    fn no_relevant_in_top_k_scores_zero() {
        // The relevant doc is at rank 3, beyond k = 2.
        let j = judged(&[("rel", 1), ("bad", 0)]);
        let ranked = ["bad", "x", "rel"];
        assert_eq!(ndcg_at(&ranked, &j, 2), 0.0);
        assert_eq!(mrr_at(&ranked, &j, 2), 0.0);
        assert_eq!(recall_at(&ranked, &j, 2), 0.0);
    }

    #[test]
    fn negative_and_zero_grades_earn_nothing() {
        // Only "r" (grade 1) is relevant; "n" (-1) and "z" (0) are not.
        // Ranking n, z, r: nDCG = (1/log2(4)) / 1 = 0.5, MRR = 1/3.
        let j = judged(&[("n", -1), ("z", 0), ("r", 1)]);
        assert_close(ndcg_at(&["n", "z", "r"], &j, 10), 0.5);
        assert_close(mrr_at(&["n", "z", "r"], &j, 10), 1.0 / 3.0);
    }

    #[test]
    fn repeated_documents_count_once() {
        // "r" twice: only rank 1 earns. nDCG = 1, recall = 1/1.
        let j = judged(&[("r", 1)]);
        assert_close(ndcg_at(&["r", "r"], &j, 10), 1.0);
        assert_close(recall_at(&["r", "r"], &j, 10), 1.0);
    }

    // ---- MRR, recall ----

    #[test]
    fn mrr_first_relevant_rank() {
        // First relevant at rank 3 (the one at rank 5 is ignored): 1/3.
        let j = judged(&[("c", 1), ("e", 2)]);
        let ranked = ["a", "b", "c", "d", "e"];
        assert_close(mrr_at(&ranked, &j, 10), 1.0 / 3.0);
        assert_close(mrr_at(&["c"], &j, 10), 1.0);
        assert_eq!(mrr_at(&ranked, &j, 2), 0.0);
    }

    #[test]
    fn recall_two_of_three() {
        // Relevant: a, b, c (d is judged 0). Top 10 holds a and c: 2/3.
        let j = judged(&[("a", 1), ("b", 2), ("c", 1), ("d", 0)]);
        let ranked = ["a", "x", "c", "d"];
        assert_close(recall_at(&ranked, &j, 10), 2.0 / 3.0);
        // Top 1 holds only a: 1/3.
        assert_close(recall_at(&ranked, &j, 1), 1.0 / 3.0);
    }

    #[test]
    fn no_relevant_judgement_scores_zero_per_query() {
        let j = judged(&[("a", 0)]);
        assert_eq!(ndcg_at(&["a"], &j, 10), 0.0);
        assert_eq!(recall_at(&["a"], &j, 10), 0.0);
        assert_eq!(mrr_at(&["a"], &j, 10), 0.0);
    }

    // ---- evaluate ----

    #[test]
    fn evaluate_averages_over_judged_queries() {
        // q1: relevant d1 at rank 1         → nDCG 1, MRR 1, R@10 1.
        // q2: relevant d5 at rank 2         → nDCG 1/log2(3), MRR 1/2, R@10 1.
        // q3: judged, absent from the run   → all 0.
        // q4: only grade 0, in the run      → skipped (not judged).
        // q5: in the run, not in the qrels  → ignored.
        // Means over 3 queries: nDCG = (1 + 0.6309297535714574 + 0)/3,
        // MRR = (1 + 0.5 + 0)/3 = 0.5, R@10 = R@100 = 2/3.
        let q = qrels(&[
            ("q1", "d1", 1),
            ("q2", "d5", 1),
            ("q3", "d9", 1),
            ("q4", "d1", 0),
        ]);
        let run: Run = [
            ("q1", results(&[("d1", 3.0), ("d2", 1.0)])),
            ("q2", results(&[("d4", 2.0), ("d5", 1.5)])),
            ("q4", results(&[("d1", 1.0)])),
            ("q5", results(&[("d1", 1.0)])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let m = evaluate(&run, &q, 10);
        assert_eq!(m.queries, 3);
        assert_eq!(m.k, 10);
        assert_close(m.ndcg_at_10, (1.0 + 1.0 / 3f64.log2()) / 3.0);
        assert_close(m.mrr_at_10, 0.5);
        assert_close(m.recall_at_10, 2.0 / 3.0);
        assert_close(m.recall_at_100, 2.0 / 3.0);
    }

    #[test]
    fn evaluate_judged_query_absent_from_run_scores_zero() {
        let q = qrels(&[("q1", "d1", 1)]);
        let m = evaluate(&Run::new(), &q, 10);
        assert_eq!(m.queries, 1);
        assert_eq!(
            (m.ndcg_at_10, m.recall_at_10, m.recall_at_100, m.mrr_at_10),
            (0.0, 0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn evaluate_without_judged_queries_is_zero() {
        let m = evaluate(&Run::new(), &qrels(&[("q1", "d1", 0)]), 10);
        assert_eq!(m.queries, 0);
        assert_eq!(m.ndcg_at_10, 0.0);
    }

    #[test]
    fn evaluate_uses_trec_eval_order_and_recall_cutoffs() {
        // Given out of order; trec_eval ranks by score desc, ties by docid
        // desc: "b" (2.0), then the tie at 1.0 as "z" before "a".
        // Relevant: a. Rank 3 → nDCG = 1/log2(4) = 0.5, MRR = 1/3.
        let q = qrels(&[("q", "a", 1)]);
        let run: Run = [(
            "q".to_string(),
            results(&[("a", 1.0), ("b", 2.0), ("z", 1.0)]),
        )]
        .into();
        let m = evaluate(&run, &q, 10);
        assert_close(m.ndcg_at_10, 0.5);
        assert_close(m.mrr_at_10, 1.0 / 3.0);
        // k = 2 cuts nDCG/MRR but not the fixed Recall@10.
        let m2 = evaluate(&run, &q, 2);
        assert_eq!((m2.ndcg_at_10, m2.mrr_at_10, m2.k), (0.0, 0.0, 2));
        assert_close(m2.recall_at_10, 1.0);

        // Relevant doc at rank 11: in Recall@100, not in Recall@10.
        let mut many: Vec<(String, f32)> = (0..10)
            .map(|i| (format!("n{i}"), 100.0 - i as f32))
            .collect();
        many.push(("hit".into(), 1.0));
        let run: Run = [("q".to_string(), many)].into();
        let m = evaluate(&run, &qrels(&[("q", "hit", 1)]), 10);
        assert_eq!((m.recall_at_10, m.recall_at_100), (0.0, 1.0));
    }

    // ---- readers ----

    #[test]
    fn read_corpus_fields_blank_lines_and_extras() {
        let f = file(concat!(
            "{\"_id\": \"d1\", \"title\": \"T\", \"text\": \"body\", \"metadata\": {}}\n",
            "\n",
            "{\"_id\": 42, \"text\": \"no title\"}\r\n",
            "{\"_id\": \"d3\", \"title\": null, \"text\": \"x\"}",
        ));
        let docs = read_corpus(f.path()).unwrap();
        assert_eq!(
            docs,
            vec![
                BeirDoc {
                    id: "d1".into(),
                    title: "T".into(),
                    text: "body".into()
                },
                BeirDoc {
                    id: "42".into(),
                    title: "".into(),
                    text: "no title".into()
                },
                BeirDoc {
                    id: "d3".into(),
                    title: "".into(),
                    text: "x".into()
                },
            ]
        );
    }

    #[test]
    fn read_corpus_malformed_line_is_fatal_with_line_number() {
        // Line 1 fine, line 2 blank, line 3 broken JSON.
        let f = file("{\"_id\": \"d1\", \"text\": \"a\"}\n\n{\"_id\": \"d2\", \"text\": \n");
        let err = read_corpus(f.path()).unwrap_err();
        match &err {
            EvalError::Malformed { path, line, .. } => {
                assert_eq!(path, f.path());
                assert_eq!(*line, 3);
            }
            other => panic!("unexpected {other:?}"),
        }
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("{}:3: invalid JSON", f.path().display())),
            "{shown}"
        );

        let f = file("{\"_id\": \"d1\"}\n{\"_id\": \"d1\"}\n");
        let err = read_corpus(f.path()).unwrap_err().to_string();
        assert!(err.ends_with(":2: duplicate \"_id\" \"d1\""), "{err}");

        let f = file("{\"title\": \"no id\"}\n");
        let err = read_corpus(f.path()).unwrap_err().to_string();
        assert!(err.ends_with(":1: missing \"_id\""), "{err}");
    }

    #[test]
    fn read_missing_file_is_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.jsonl");
        let err = read_corpus(&path).unwrap_err();
        assert!(matches!(err, EvalError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("nope.jsonl"));
        assert!(matches!(
            read_queries(&path).unwrap_err(),
            EvalError::Io { .. }
        ));
        assert!(matches!(
            read_qrels(&path).unwrap_err(),
            EvalError::Io { .. }
        ));
    }

    #[test]
    fn read_queries_skips_malformed_lines_with_warnings() {
        let mut bytes = b"\xEF\xBB\xBF{\"_id\": \"1\", \"text\": \"first\"}\n".to_vec();
        bytes.extend_from_slice(b"not json\n"); // line 2
        bytes.extend_from_slice(b"\n"); // line 3, blank
        bytes.extend_from_slice(b"{\"_id\": \"3\"}\n"); // line 4, no text
        bytes.extend_from_slice(b"{\"_id\": \"1\", \"text\": \"again\"}\n"); // line 5, dup
        bytes.extend_from_slice(b"{\"_id\": \"4\", \"text\": \"\xff\"}\n"); // line 6, bad UTF-8
        bytes.extend_from_slice(b"{\"_id\": \"5\", \"text\": \"last\", \"metadata\": {}}"); // 7
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&bytes).unwrap();
        let (queries, warnings) = read_queries(f.path()).unwrap();
        assert_eq!(
            queries,
            vec![
                BeirQuery {
                    id: "1".into(),
                    text: "first".into()
                },
                BeirQuery {
                    id: "5".into(),
                    text: "last".into()
                },
            ]
        );
        let lines: Vec<usize> = warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [2, 4, 5, 6]);
        assert!(warnings[1].message.contains("missing \"text\""));
        assert!(warnings[2].message.contains("duplicate"));
        assert!(warnings[3].message.contains("UTF-8"));
        assert_eq!(
            warnings[0].to_string(),
            format!("{}:2: {}", f.path().display(), warnings[0].message)
        );
    }

    #[test]
    fn read_qrels_beir_header() {
        let f = file("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t2\n\nq2\td3\t0\nq3\td4\t1\n");
        let q = read_qrels(f.path()).unwrap();
        assert_eq!(
            q,
            qrels(&[
                ("q1", "d1", 1),
                ("q1", "d2", 2),
                ("q2", "d3", 0),
                ("q3", "d4", 1)
            ])
        );
    }

    #[test]
    fn read_qrels_headerless_space_and_trec_forms() {
        // Space-separated, no header; a later line repeats (q1, d1): last wins.
        let f = file("q1 d1 1\nq1  d2   0\nq1 d1 2\n");
        assert_eq!(
            read_qrels(f.path()).unwrap(),
            qrels(&[("q1", "d1", 2), ("q1", "d2", 0)])
        );
        // TREC four columns, tabs or spaces, integral float grade.
        let f = file("1 0 doc-a 1\n1\t0\tdoc-b\t0\n2 Q0 doc-c 1.0\n");
        assert_eq!(
            read_qrels(f.path()).unwrap(),
            qrels(&[("1", "doc-a", 1), ("1", "doc-b", 0), ("2", "doc-c", 1)])
        );
    }

    #[test]
    fn read_qrels_malformed_lines_name_file_and_line() {
        // Header is line 1; line 3 has 2 columns.
        let f = file("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\n");
        let err = read_qrels(f.path()).unwrap_err();
        assert!(
            matches!(err, EvalError::Malformed { line: 3, .. }),
            "{err:?}"
        );
        assert!(err
            .to_string()
            .starts_with(&format!("{}:3: expected 3 columns", f.path().display())));

        // Non-integer grade on line 4 (line 3 is blank).
        let f = file("query-id\tcorpus-id\tscore\nq1\td1\t1\n\nq1\td2\thigh\n");
        let err = read_qrels(f.path()).unwrap_err().to_string();
        assert!(
            err.ends_with(":4: grade \"high\" is not an integer"),
            "{err}"
        );

        // A header line later in the file is just a bad line.
        let f = file("q1\td1\t1\nquery-id\tcorpus-id\tscore\n");
        let err = read_qrels(f.path()).unwrap_err();
        assert!(matches!(err, EvalError::Malformed { line: 2, .. }));
    }

    #[test]
    fn read_qrels_unknown_header_and_nothing_relevant() {
        let f = file("qid\tdocid\trelevance\nq1\td1\t1\n");
        let err = read_qrels(f.path()).unwrap_err();
        assert!(matches!(err, EvalError::MissingHeader { .. }), "{err:?}");
        assert!(err.to_string().contains(":1: expected the header"));

        let f = file("query-id\tcorpus-id\tscore\nq1\td1\t0\n");
        assert!(matches!(
            read_qrels(f.path()).unwrap_err(),
            EvalError::NoJudgedQueries { .. }
        ));
        let f = file("");
        assert!(matches!(
            read_qrels(f.path()).unwrap_err(),
            EvalError::NoJudgedQueries { .. }
        ));
    }

    // ---- TREC run output ----

    #[test]
    fn trec_run_format_order_ties_and_depth() {
        let run: Run = [
            (
                "10".to_string(),
                results(&[("d1", 0.5), ("d3", 2.0), ("d2", 0.5), ("d9", 0.1)]),
            ),
            ("2".to_string(), results(&[("x", 1.25)])),
        ]
        .into();
        let mut out = Vec::new();
        write_trec_run(&mut out, &run, "citeseek", 3).unwrap();
        // Query 2 before 10 (numeric); within 10: d3 (2.0), then the 0.5
        // tie by docid descending (d2 before d1); depth 3 drops d9.
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2 Q0 x 1 1.25 citeseek\n\
             10 Q0 d3 1 2 citeseek\n\
             10 Q0 d2 2 0.5 citeseek\n\
             10 Q0 d1 3 0.5 citeseek\n"
        );
    }

    #[test]
    fn trec_run_scores_round_trip_and_bad_fields_rejected() {
        let s = 0.123_456_79_f32;
        let t = f32::from_bits(s.to_bits() + 1); // the next f32: not a tie
        let run: Run = [("q".to_string(), results(&[("a", s), ("b", t)]))].into();
        let mut out = Vec::new();
        write_trec_run(&mut out, &run, "t", 10).unwrap();
        let text = String::from_utf8(out).unwrap();
        let scores: Vec<f32> = text
            .lines()
            .map(|l| l.split(' ').nth(4).unwrap().parse().unwrap())
            .collect();
        assert_eq!(scores, [t, s]);

        let bad: Run = [("q".to_string(), results(&[("has space", 1.0)]))].into();
        let err = write_trec_run(Vec::new(), &bad, "t", 10).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(write_trec_run(Vec::new(), &run, "", 10).is_err());
    }
}
