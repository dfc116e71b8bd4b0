//! `citeseek extract`: what extraction kept from one file (and with `--verbose` what it left
//! out), as JSON or one line a block.

use std::io::{self, Write};

use serde::Serialize;

use super::style::{colors, plural};
use super::terminal::sanitize;
use crate::config::OutputStyle;
use crate::extract::{BlockKind, Document};
use crate::search::truncate_chars;

/// A kept block of `citeseek extract --json`.
#[derive(Debug, Serialize)]
pub struct ExtractBlockOut {
    /// `heading`, `paragraph`, `list` (one item per line of `text`) or `figure` (alt text).
    pub kind: &'static str,
    /// Heading path, outermost first, without the document title.
    pub section: Vec<String>,
    pub text: String,
    pub line: usize,
}

/// A block left out, in `citeseek extract --json`.
#[derive(Debug, Serialize)]
pub struct ExtractRemovedOut {
    pub reason: String,
    pub text: String,
    pub line: usize,
}

/// `citeseek extract --json`: exactly these keys; `removed` is empty without `--verbose`.
#[derive(Debug, Serialize)]
pub struct ExtractOut {
    pub title: String,
    pub url: Option<String>,
    pub blocks: Vec<ExtractBlockOut>,
    pub removed: Vec<ExtractRemovedOut>,
}

fn block_kind_name(kind: &BlockKind) -> &'static str {
    match kind {
        BlockKind::Heading { .. } => "heading",
        BlockKind::Paragraph => "paragraph",
        BlockKind::List => "list",
        BlockKind::Figure => "figure",
    }
}

impl ExtractOut {
    pub fn new(doc: &Document, verbose: bool) -> ExtractOut {
        ExtractOut {
            title: doc.title.clone(),
            url: doc.url.clone(),
            blocks: doc
                .blocks
                .iter()
                .zip(doc.sections())
                .map(|(b, section)| ExtractBlockOut {
                    kind: block_kind_name(&b.kind),
                    section,
                    text: b.text.clone(),
                    line: b.line,
                })
                .collect(),
            removed: if verbose {
                doc.removed
                    .iter()
                    .map(|r| ExtractRemovedOut {
                        reason: r.reason.clone(),
                        text: r.text.clone(),
                        line: r.line,
                    })
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
}

/// What extraction kept from one file (`citeseek extract`), and with `verbose` what it left
/// out: JSON with `--json`, else one line a block.
pub fn extract<W: Write>(
    w: &mut W,
    doc: &Document,
    verbose: bool,
    style: OutputStyle,
) -> io::Result<()> {
    let out = ExtractOut::new(doc, verbose);
    if style.json {
        return super::json_line(w, &out);
    }
    let (bold, dim, _, reset) = colors(style.color);
    writeln!(w, "{bold}title{reset}  {}", sanitize(&out.title))?;
    if let Some(url) = &out.url {
        writeln!(w, "{bold}url{reset}    {}", sanitize(url))?;
    }
    writeln!(w, "kept {}:", plural(out.blocks.len(), "block", "blocks"))?;
    let mut last_section: Option<&Vec<String>> = None;
    for b in &out.blocks {
        if b.kind != "heading" && last_section != Some(&b.section) && !b.section.is_empty() {
            writeln!(w, "      {dim}{}{reset}", sanitize(&b.section.join(" › ")))?;
        }
        last_section = Some(&b.section);
        writeln!(
            w,
            "{:>5}  {:<9}  {}",
            b.line,
            b.kind,
            sanitize(&b.text.replace('\n', " / "))
        )?;
    }
    if verbose {
        writeln!(
            w,
            "removed {}:",
            plural(out.removed.len(), "block", "blocks")
        )?;
        for r in &out.removed {
            writeln!(
                w,
                "{:>5}  {dim}{}{reset}  {}",
                r.line,
                sanitize(&r.reason),
                sanitize(&truncate_chars(&r.text.replace('\n', " / "), 160))
            )?;
        }
    }
    Ok(())
}
