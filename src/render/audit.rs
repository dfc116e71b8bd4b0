//! `citeseek audit`: the fact-checker's report (uncited claims, unlisted sources, unused
//! references, dangling links) in the JSON contract and in the human layout.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::refs::UnlistedOut;
use super::shared::SourceOut;
use super::style::{colors, plural};
use super::terminal::sanitize;
use crate::audit::AuditReport;
use crate::config::OutputStyle;

/// An uncited claim in `audit --json`.
#[derive(Debug, Serialize)]
pub struct UncitedClaimOut {
    pub passage_id: String,
    pub section: Vec<String>,
    pub sentence: String,
    pub reasons: Vec<&'static str>,
    /// References cited elsewhere in the same section.
    pub section_cites: Vec<String>,
    pub source: SourceOut,
}

/// A reference in the unused or dangling lists.
#[derive(Debug, Serialize)]
pub struct AuditRefOut {
    pub id: String,
    pub label: String,
    /// Listed in the guide's References section (unused references).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed: Option<bool>,
    /// Guide passages citing it (dangling links).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cited_by: Option<usize>,
}

/// Counts per kind of finding.
#[derive(Debug, Serialize)]
pub struct AuditSummaryOut {
    pub uncited_claims: usize,
    pub unlisted_sources: usize,
    pub unused_references: usize,
    pub dangling_links: usize,
}

/// `citeseek audit --json`.
#[derive(Debug, Serialize)]
pub struct AuditOut {
    pub clean: bool,
    pub summary: AuditSummaryOut,
    pub uncited_claims: Vec<UncitedClaimOut>,
    pub unlisted_sources: Vec<UnlistedOut>,
    pub unused_references: Vec<AuditRefOut>,
    pub dangling_links: Vec<AuditRefOut>,
}

impl AuditOut {
    pub fn new(report: &AuditReport, corpus: &Path) -> AuditOut {
        AuditOut {
            clean: report.is_clean(),
            summary: AuditSummaryOut {
                uncited_claims: report.uncited.len(),
                unlisted_sources: report.unlisted.len(),
                unused_references: report.unused.len(),
                dangling_links: report.dangling.len(),
            },
            uncited_claims: report
                .uncited
                .iter()
                .map(|u| UncitedClaimOut {
                    passage_id: u.passage.passage.id.clone(),
                    section: u.passage.passage.section.clone(),
                    sentence: u.sentence.clone(),
                    reasons: u.reasons.clone(),
                    section_cites: u.section_cites.clone(),
                    source: SourceOut::of(u.passage, corpus),
                })
                .collect(),
            unlisted_sources: report
                .unlisted
                .iter()
                .map(|u| UnlistedOut::new(u, corpus))
                .collect(),
            unused_references: report
                .unused
                .iter()
                .map(|u| AuditRefOut {
                    id: u.reference.id.clone(),
                    label: u.reference.short_label(),
                    listed: Some(u.described),
                    cited_by: None,
                })
                .collect(),
            dangling_links: report
                .dangling
                .iter()
                .map(|x| AuditRefOut {
                    id: x.reference.id.clone(),
                    label: x.reference.short_label(),
                    listed: None,
                    cited_by: Some(x.citing),
                })
                .collect(),
        }
    }
}

/// Write the audit report.
pub fn audit<W: Write>(
    w: &mut W,
    report: &AuditReport,
    corpus: &Path,
    style: OutputStyle,
) -> io::Result<()> {
    let out = AuditOut::new(report, corpus);
    if style.json {
        return super::json_line(w, &out);
    }
    let (b, d, c, r) = colors(style.color);
    if out.clean {
        return writeln!(
            w,
            "audit: clean — every claim is cited and every reference is used"
        );
    }
    let s = &out.summary;
    writeln!(
        w,
        "{b}audit:{r} {} uncited claims, {} unlisted sources, {} unused references, {} dangling links\n",
        s.uncited_claims, s.unlisted_sources, s.unused_references, s.dangling_links
    )?;
    if !out.uncited_claims.is_empty() {
        writeln!(w, "{b}Uncited claims{r}")?;
        for u in &out.uncited_claims {
            let hint = if u.section_cites.is_empty() {
                String::new()
            } else {
                format!(
                    " {d}(its section cites {}){r}",
                    sanitize(&u.section_cites.join(", "))
                )
            };
            writeln!(
                w,
                "  {d}{}:{}{r} {c}[{}]{r}{hint}",
                sanitize(&u.source.path),
                u.source.line,
                u.reasons.join(", ")
            )?;
            writeln!(w, "    {}", sanitize(&u.sentence))?;
        }
        writeln!(w)?;
    }
    if !out.unlisted_sources.is_empty() {
        writeln!(
            w,
            "{b}Unlisted sources{r} (cited but missing from references.json)"
        )?;
        for u in &out.unlisted_sources {
            writeln!(
                w,
                "  {}  \"{}\"",
                sanitize(&u.url),
                sanitize(&u.texts.join("\", \""))
            )?;
            for p in &u.passages {
                writeln!(
                    w,
                    "    {d}{}:{}{r}",
                    sanitize(&p.source.path),
                    p.source.line
                )?;
            }
        }
        writeln!(w)?;
    }
    if !out.unused_references.is_empty() {
        writeln!(w, "{b}Unused references{r} (no guide passage cites them)")?;
        for u in &out.unused_references {
            let listed = if u.listed == Some(true) {
                " (only in the References section)"
            } else {
                ""
            };
            writeln!(w, "  {}  {}{listed}", sanitize(&u.id), sanitize(&u.label))?;
        }
        writeln!(w)?;
    }
    if !out.dangling_links.is_empty() {
        writeln!(w, "{b}Dangling links{r} (no page snapshot in the corpus)")?;
        for x in &out.dangling_links {
            writeln!(
                w,
                "  {}  {}  cited by {}",
                sanitize(&x.id),
                sanitize(&x.label),
                plural(x.cited_by.unwrap_or(0), "passage", "passages")
            )?;
        }
    }
    Ok(())
}
