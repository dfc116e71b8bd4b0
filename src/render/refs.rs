//! `citeseek refs` and `refs ID`: the reference list with unlisted sources, one reference with
//! its backlinks, in the JSON contract and in the human layout. (`refs --format` is in
//! `export.rs`.)

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::shared::{reference_url, SourceOut};
use super::style::{colors, plural};
use super::terminal::sanitize;
use crate::config::OutputStyle;
use crate::link::{is_references_section, CitedPassage};
use crate::references::{CitationStyle, Reference};
use crate::refs::{Catalog, UnlistedSource};
use crate::search::truncate_chars;

/// A guide passage that cites a reference (or an unlisted source).
#[derive(Debug, Serialize)]
pub struct BacklinkOut {
    pub passage_id: String,
    pub doc: String,
    pub title: String,
    pub section: Vec<String>,
    /// The passage is in the guide's References section (it describes the reference).
    pub references_section: bool,
    pub text: String,
    pub source: SourceOut,
}

impl BacklinkOut {
    fn new(p: &CitedPassage, corpus: &Path) -> BacklinkOut {
        BacklinkOut {
            passage_id: p.passage.id.clone(),
            doc: p.passage.doc.clone(),
            title: p.passage.title.clone(),
            section: p.passage.section.clone(),
            references_section: is_references_section(&p.passage.section),
            text: p.passage.text.clone(),
            source: SourceOut::of(p, corpus),
        }
    }
}

/// One row of `refs --json`.
#[derive(Debug, Serialize)]
pub struct RefRowOut {
    pub id: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub year: Option<i32>,
    /// Guide passages (outside the References section) citing it.
    pub cited_by: usize,
    /// Listed in the guide's References section.
    pub listed: bool,
    /// Its page snapshot is in the corpus.
    pub snapshot: bool,
    pub url: Option<String>,
    pub doi: Option<String>,
}

/// An unlisted source in `refs --json` and `audit --json`.
#[derive(Debug, Serialize)]
pub struct UnlistedOut {
    pub url: String,
    pub texts: Vec<String>,
    pub cited_by: usize,
    pub passages: Vec<BacklinkOut>,
}

impl UnlistedOut {
    pub(super) fn new(u: &UnlistedSource, corpus: &Path) -> UnlistedOut {
        UnlistedOut {
            url: u.url.clone(),
            texts: u.texts.clone(),
            cited_by: u.passages.len(),
            passages: u
                .passages
                .iter()
                .map(|p| BacklinkOut::new(p, corpus))
                .collect(),
        }
    }
}

/// `citeseek refs --json`.
#[derive(Debug, Serialize)]
pub struct RefsListOut {
    pub references: Vec<RefRowOut>,
    pub unlisted: Vec<UnlistedOut>,
}

/// `citeseek refs ID --json`.
#[derive(Debug, Serialize)]
pub struct RefShowOut {
    pub id: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub year: Option<i32>,
    pub citation: String,
    pub url: Option<String>,
    pub doi: Option<String>,
    pub snapshot: bool,
    /// Guide passages outside the References section that cite it themselves (as in `refs`).
    pub cited_by: usize,
    /// Every guide passage citing it, the References section's entry included.
    pub backlinks: Vec<BacklinkOut>,
}

impl RefsListOut {
    pub fn new(catalog: &Catalog, corpus: &Path) -> RefsListOut {
        RefsListOut {
            references: catalog
                .entries()
                .iter()
                .map(|e| RefRowOut {
                    id: e.reference.id.clone(),
                    label: e.reference.short_label(),
                    kind: e.reference.kind.clone(),
                    year: e.reference.year,
                    cited_by: e.citing,
                    listed: e.described,
                    snapshot: e.snapshot,
                    url: reference_url(e.reference),
                    doi: e.reference.display_doi(),
                })
                .collect(),
            unlisted: catalog
                .unlisted()
                .iter()
                .map(|u| UnlistedOut::new(u, corpus))
                .collect(),
        }
    }
}

impl RefShowOut {
    pub fn new(
        catalog: &Catalog,
        reference: &Reference,
        citation_style: CitationStyle,
        corpus: &Path,
    ) -> RefShowOut {
        RefShowOut {
            id: reference.id.clone(),
            label: reference.short_label(),
            kind: reference.kind.clone(),
            year: reference.year,
            citation: reference.format(citation_style),
            url: reference_url(reference),
            doi: reference.display_doi(),
            snapshot: catalog.has_snapshot(&reference.id),
            cited_by: catalog.citing(&reference.id),
            backlinks: catalog
                .backlinks(&reference.id)
                .iter()
                .map(|p| BacklinkOut::new(p, corpus))
                .collect(),
        }
    }
}

/// Write the reference list, unlisted sources last.
pub fn refs_list<W: Write>(
    w: &mut W,
    catalog: &Catalog,
    corpus: &Path,
    style: OutputStyle,
) -> io::Result<()> {
    let out = RefsListOut::new(catalog, corpus);
    if style.json {
        return super::json_line(w, &out);
    }
    list_human(w, &out, style.color)
}

/// The human layout of `refs`: one line a reference, then the unlisted sources.
fn list_human<W: Write>(w: &mut W, out: &RefsListOut, color: bool) -> io::Result<()> {
    let (b, d, _, r) = colors(color);
    let id_width = out.references.iter().map(|x| x.id.len()).max().unwrap_or(2);
    for row in &out.references {
        let mut notes = Vec::new();
        if !row.listed {
            notes.push("not in the References section");
        }
        if !row.snapshot {
            notes.push("no snapshot");
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  {d}({}){r}", notes.join(", "))
        };
        writeln!(
            w,
            "{b}{:<id_width$}{r}  {:<28} {:<15} {:>4}  cited by {}{}",
            sanitize(&row.id),
            sanitize(&truncate_chars(&row.label, 28)),
            sanitize(&row.kind),
            row.year
                .map_or_else(|| "n.d.".to_string(), |y| y.to_string()),
            plural(row.cited_by, "passage", "passages"),
            notes
        )?;
    }
    for u in &out.unlisted {
        writeln!(
            w,
            "{b}unlisted{r}  {}  \"{}\"  cited by {}",
            sanitize(&u.url),
            sanitize(&u.texts.join("\", \"")),
            plural(u.cited_by, "passage", "passages")
        )?;
    }
    Ok(())
}

/// Write one reference with its full citation and every guide passage citing it.
pub fn refs_show<W: Write>(
    w: &mut W,
    catalog: &Catalog,
    reference: &Reference,
    citation_style: CitationStyle,
    corpus: &Path,
    style: OutputStyle,
) -> io::Result<()> {
    let out = RefShowOut::new(catalog, reference, citation_style, corpus);
    if style.json {
        return super::json_line(w, &out);
    }
    let (b, d, c, r) = colors(style.color);
    writeln!(w, "{b}{}{r}", sanitize(&out.citation))?;
    if let Some(doi) = &out.doi {
        writeln!(w, "{d}doi:{r} {}", sanitize(doi))?;
    }
    if let Some(url) = &out.url {
        writeln!(w, "{d}url:{r} {}", sanitize(url))?;
    }
    // "cited by" means what it means in `refs`: guide passages outside the References
    // section that cite the reference themselves; the References-section entry comes after.
    let (listed, citing): (Vec<&BacklinkOut>, Vec<&BacklinkOut>) =
        out.backlinks.iter().partition(|bl| bl.references_section);
    writeln!(
        w,
        "\ncited by {}{}",
        plural(out.cited_by, "guide passage", "guide passages"),
        if citing.is_empty() { "" } else { ":" }
    )?;
    let write_backlink = |w: &mut W, bl: &BacklinkOut| -> io::Result<()> {
        let mut heading = vec![bl.title.as_str()];
        heading.extend(bl.section.iter().map(String::as_str));
        writeln!(
            w,
            "  {d}{}:{}{r} {c}{}{r}",
            sanitize(&bl.source.path),
            bl.source.line,
            sanitize(&heading.join(" › "))
        )?;
        writeln!(w, "    {}", sanitize(&truncate_chars(&bl.text, 160)))
    };
    for bl in citing {
        write_backlink(w, bl)?;
    }
    if !listed.is_empty() {
        writeln!(w, "\nlisted in the References section:")?;
        for bl in listed {
            write_backlink(w, bl)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_human_list_strips_what_would_drive_a_terminal() {
        let out = RefsListOut {
            references: vec![RefRowOut {
                id: "rtl2020".into(),
                label: "Heat \u{200f}\u{1b}[31mtherapy\r".into(),
                kind: "article-journal".into(),
                year: Some(2020),
                cited_by: 1,
                listed: true,
                snapshot: true,
                url: None,
                doi: None,
            }],
            unlisted: Vec::new(),
        };
        let mut human = Vec::new();
        list_human(&mut human, &out, false).unwrap();
        let human = String::from_utf8(human).unwrap();
        assert!(human.starts_with("rtl2020  Heat therapy "), "{human:?}");
        assert!(!human.contains(['\u{200f}', '\u{1b}', '\r']), "{human:?}");
    }
}
