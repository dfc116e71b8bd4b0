//! `citeseek eval`: the retrieval metrics of a BEIR run, in the JSON contract and as a table.

use std::io::{self, Write};

use serde::Serialize;

use super::terminal::sanitize;
use crate::benchmark::EvalReport;
use crate::config::OutputStyle;

/// `citeseek eval --json`: the contract keys, then extras.
#[derive(Debug, Serialize)]
pub struct EvalOut {
    /// Judged queries scored.
    pub queries: usize,
    #[serde(rename = "ndcg@10")]
    pub ndcg_at_10: f64,
    #[serde(rename = "recall@10")]
    pub recall_at_10: f64,
    #[serde(rename = "recall@100")]
    pub recall_at_100: f64,
    #[serde(rename = "mrr@10")]
    pub mrr_at_10: f64,
    /// Queries per second in the query phase, one thread.
    pub qps: f64,
    /// Reading the corpus and building the index.
    pub index_seconds: f64,
    /// Median time of one query phase.
    pub query_seconds: f64,
    /// How many times the query phase ran.
    pub repeat: usize,
    /// The extra cutoff of `--k`, with nDCG and MRR at it.
    pub k: usize,
    #[serde(rename = "ndcg@k")]
    pub ndcg_at_k: f64,
    #[serde(rename = "mrr@k")]
    pub mrr_at_k: f64,
    pub documents: usize,
    /// Queries without judgements, not run.
    pub unjudged_queries: usize,
    /// Judged queries with no searchable word (scored 0).
    pub unusable_queries: usize,
    /// Malformed query lines skipped.
    pub malformed_lines: usize,
    /// Where the index was kept (`--index`), else null.
    pub index: Option<String>,
    /// How the queries were ranked: `hybrid`, `lexical` or `semantic`.
    pub mode: &'static str,
    /// Passages embedded while indexing (0 when an earlier run's vectors were kept).
    pub embedded: usize,
    /// Seconds spent embedding the queries, before (and not in) the timed query phase.
    pub query_embed_seconds: f64,
}

impl EvalOut {
    pub fn new(r: &EvalReport) -> EvalOut {
        EvalOut {
            queries: r.at10.queries,
            ndcg_at_10: r.at10.ndcg_at_10,
            recall_at_10: r.at10.recall_at_10,
            recall_at_100: r.at10.recall_at_100,
            mrr_at_10: r.at10.mrr_at_10,
            qps: r.qps,
            index_seconds: r.index_seconds,
            query_seconds: r.query_seconds,
            repeat: r.repeat,
            k: r.at_k.k,
            ndcg_at_k: r.at_k.ndcg_at_10,
            mrr_at_k: r.at_k.mrr_at_10,
            documents: r.documents,
            unjudged_queries: r.unjudged,
            unusable_queries: r.unusable,
            malformed_lines: r.warnings.len(),
            index: r.index.as_ref().map(|p| p.to_string_lossy().into_owned()),
            mode: r.mode.as_str(),
            embedded: r.embedded,
            query_embed_seconds: r.embed_seconds,
        }
    }
}

/// Write an evaluation report.
pub fn eval<W: Write>(w: &mut W, report: &EvalReport, style: OutputStyle) -> io::Result<()> {
    let out = EvalOut::new(report);
    if style.json {
        return super::json_line(w, &out);
    }
    writeln!(w, "queries      {}", out.queries)?;
    writeln!(w, "nDCG@10      {:.4}", out.ndcg_at_10)?;
    writeln!(w, "Recall@10    {:.4}", out.recall_at_10)?;
    writeln!(w, "Recall@100   {:.4}", out.recall_at_100)?;
    writeln!(w, "MRR@10       {:.4}", out.mrr_at_10)?;
    if out.k != 10 {
        writeln!(w, "nDCG@{:<7}{:.4}", out.k, out.ndcg_at_k)?;
        writeln!(w, "MRR@{:<8}{:.4}", out.k, out.mrr_at_k)?;
    }
    writeln!(
        w,
        "QPS          {:.0} (query phase, one thread, {:.3} s; median of {})",
        out.qps, out.query_seconds, out.repeat
    )?;
    writeln!(
        w,
        "indexing     {:.2} s ({} documents)",
        out.index_seconds, out.documents
    )?;
    if out.unjudged_queries > 0 || out.unusable_queries > 0 {
        writeln!(
            w,
            "skipped      {} queries without judgements; {} judged queries with no searchable word",
            out.unjudged_queries, out.unusable_queries
        )?;
    }
    if let Some(dir) = &out.index {
        writeln!(w, "index kept in {}", sanitize(dir))?;
    }
    Ok(())
}
