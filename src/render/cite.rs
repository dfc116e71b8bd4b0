//! `citeseek cite`: the references behind a claim with their evidence, in the JSON contract
//! and in the human layout.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::shared::{reference_url, round3, SourceOut};
use super::style::{colors, highlight};
use super::terminal::sanitize;
use crate::cite::{CiteResult, Evidence};
use crate::config::OutputStyle;

/// One piece of evidence for a cited reference.
#[derive(Debug, Serialize)]
pub struct EvidenceOut {
    pub passage_id: String,
    /// `guide` or `reference`.
    pub kind: &'static str,
    /// `claim` (guide passage making the claim), `description` (References section) or
    /// `source` (the reference's own text).
    pub role: &'static str,
    pub doc: String,
    pub title: String,
    pub section: Vec<String>,
    pub text: String,
    pub snippet: String,
    pub highlights: Vec<[usize; 2]>,
    pub score: f32,
    /// Cosine of the passage with the claim, when ranked by meaning too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cosine: Option<f32>,
    pub source: SourceOut,
}

/// One reference in `cite --json`.
#[derive(Debug, Serialize)]
pub struct CitedReferenceOut {
    pub rank: usize,
    pub id: String,
    pub score: f32,
    pub label: String,
    pub citation: String,
    pub url: Option<String>,
    pub doi: Option<String>,
    pub evidence: Vec<EvidenceOut>,
}

/// `citeseek cite --json`.
#[derive(Debug, Serialize)]
pub struct CiteOut {
    pub claim: String,
    /// How the evidence was ranked: `hybrid`, `lexical` or `semantic`.
    pub mode: &'static str,
    pub references: Vec<CitedReferenceOut>,
}

impl EvidenceOut {
    fn new(e: &Evidence, corpus: &Path) -> EvidenceOut {
        let p = &e.passage.passage;
        EvidenceOut {
            passage_id: p.id.clone(),
            kind: p.kind.as_str(),
            role: e.role.as_str(),
            doc: p.doc.clone(),
            title: p.title.clone(),
            section: p.section.clone(),
            text: p.text.clone(),
            snippet: e.snippet.clone(),
            highlights: e.highlights.iter().map(|&(a, b)| [a, b]).collect(),
            score: round3(e.score),
            cosine: e.cosine.map(round3),
            source: SourceOut::of(&e.passage, corpus),
        }
    }
}

impl CiteOut {
    pub fn new(result: &CiteResult, corpus: &Path) -> CiteOut {
        CiteOut {
            claim: result.claim.clone(),
            mode: result.mode.as_str(),
            references: result
                .references
                .iter()
                .map(|r| CitedReferenceOut {
                    rank: r.rank,
                    id: r.reference.id.clone(),
                    score: round3(r.score),
                    label: r.reference.short_label(),
                    citation: r.citation.clone(),
                    url: reference_url(&r.reference),
                    doi: r.reference.display_doi(),
                    evidence: r
                        .evidence
                        .iter()
                        .map(|e| EvidenceOut::new(e, corpus))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Write the references behind a claim.
pub fn cite<W: Write>(
    w: &mut W,
    result: &CiteResult,
    corpus: &Path,
    style: OutputStyle,
) -> io::Result<()> {
    let out = CiteOut::new(result, corpus);
    if style.json {
        return super::json_line(w, &out);
    }
    if out.references.is_empty() {
        return writeln!(
            w,
            "no reference in the corpus supports this claim: {:?}",
            sanitize(&out.claim)
        );
    }
    let (b, d, c, r) = colors(style.color);
    for cr in &out.references {
        writeln!(w, "{b}{}.{r} {}", cr.rank, sanitize(&cr.citation))?;
        let mut ids = format!("{} · score {:.2}", cr.id, cr.score);
        if let Some(doi) = &cr.doi {
            ids.push_str(&format!(" · doi:{doi}"));
        }
        if let Some(url) = &cr.url {
            ids.push_str(&format!(" · {url}"));
        }
        writeln!(w, "   {d}{}{r}", sanitize(&ids))?;
        for e in &cr.evidence {
            let what = match e.role {
                "claim" => "guide",
                "description" => "listed",
                _ => "source",
            };
            let mut heading: Vec<&str> = Vec::new();
            heading.extend(e.section.iter().map(String::as_str));
            writeln!(
                w,
                "   {c}{what:<7}{r}{d}{}:{}{r} {}",
                sanitize(&e.source.path),
                e.source.line,
                sanitize(&heading.join(" › "))
            )?;
            writeln!(
                w,
                "           {}",
                highlight(&e.snippet, &e.highlights, style.color)
            )?;
        }
        writeln!(w)?;
    }
    Ok(())
}
