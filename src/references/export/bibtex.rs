//! BibTeX export: one entry per reference, keyed by its id.

use std::fmt::Write as _;

use serde_json::Value;

use crate::references::pages::split_pages;
use crate::references::{Reference, ReferenceList};

impl ReferenceList {
    /// BibTeX entries keyed by reference id.
    pub fn to_bibtex(&self, ids: &[String]) -> String {
        super::entries(self.select(ids), bibtex_entry)
    }
}

/// Escape LaTeX special characters in a BibTeX text field.
fn bibtex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '{' | '}' | '&' | '%' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\textbackslash{}"),
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            _ => out.push(c),
        }
    }
    out
}

/// URL / DOI fields are read verbatim by biblatex and `\url`; only braces, and a backslash
/// (which escapes the brace closing the field), would break the entry.
fn bibtex_verbatim(s: &str) -> String {
    s.replace('\\', "%5C")
        .replace('{', "%7B")
        .replace('}', "%7D")
}

/// BibTeX keys may not contain whitespace or `,{}()"#%'=\~`.
fn bibtex_key(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_whitespace() || ",{}()\"#%'=\\~".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect()
}

fn bibtex_entry(r: &Reference) -> String {
    let entry_type = match r.kind.as_str() {
        _ if r.is_article() => "article",
        "book" => "book",
        "chapter" => "incollection",
        "paper-conference" => "inproceedings",
        "report" => "techreport",
        "thesis" => "phdthesis",
        _ => "misc",
    };
    // Classic BibTeX styles know no @online: a web page is @misc with its address in
    // `howpublished`, and where it was published and when it was read in `note`.
    let web = r.is_web();
    let mut fields: Vec<(&str, String)> = Vec::new();
    if !r.authors.is_empty() {
        let names: Vec<String> = r
            .authors
            .iter()
            .map(|n| match (&n.family, &n.literal) {
                (None, Some(lit)) => format!("{{{}}}", bibtex_escape(lit)),
                _ => bibtex_escape(&n.inverted()),
            })
            .collect();
        fields.push(("author", names.join(" and ")));
    }
    if !r.title.is_empty() {
        // Double braces keep the title's capitalisation.
        fields.push(("title", format!("{{{}}}", bibtex_escape(&r.title))));
    }
    if let Some(c) = r.container.as_ref().filter(|_| !web) {
        let key = match entry_type {
            "article" => "journal",
            "incollection" | "inproceedings" => "booktitle",
            _ => "howpublished",
        };
        fields.push((key, bibtex_escape(c)));
    }
    if let Some(u) = r.url.as_ref().filter(|_| web) {
        fields.push(("howpublished", format!("\\url{{{}}}", bibtex_verbatim(u))));
    }
    if let Some(y) = r.year {
        fields.push(("year", y.to_string()));
    }
    for (key, v) in [
        ("volume", &r.volume),
        ("number", &r.issue),
        ("publisher", &r.publisher),
    ] {
        if web && key == "publisher" {
            continue;
        }
        if let Some(v) = v {
            let key = if key == "publisher" && entry_type == "techreport" {
                "institution"
            } else {
                key
            };
            fields.push((key, bibtex_escape(v)));
        }
    }
    if let Some(p) = &r.page {
        let (first, last) = split_pages(p);
        let pages = match last {
            Some(l) => format!("{first}--{l}"),
            None => first,
        };
        fields.push(("pages", bibtex_escape(&pages)));
    }
    if let Some(d) = r.display_doi() {
        fields.push(("doi", bibtex_verbatim(&d)));
    }
    if let Some(u) = r.url.as_ref().filter(|_| !web) {
        fields.push(("url", bibtex_verbatim(u)));
    }
    if let Some(p) = &r.pmid {
        fields.push(("pmid", p.clone()));
    }
    if let Some(p) = &r.pmcid {
        fields.push(("pmcid", p.clone()));
    }
    let mut note: Vec<String> = Vec::new();
    if web {
        // The site and its publisher, then when the page was read: BibTeX's `note`.
        note.extend(
            r.container
                .iter()
                .chain(&r.publisher)
                .map(|s| bibtex_escape(s)),
        );
        if let Some(date) = accessed_date(&r.csl) {
            note.push(format!("Accessed {date}"));
        }
    }
    note.extend(r.note.iter().map(|n| bibtex_escape(n)));
    if !note.is_empty() {
        let joined: Vec<String> = note
            .iter()
            .map(|n| n.trim_end_matches('.').to_string())
            .collect();
        fields.push(("note", format!("{}.", joined.join(". "))));
    }
    let mut out = format!("@{entry_type}{{{},\n", bibtex_key(&r.id));
    for (key, value) in &fields {
        let _ = writeln!(out, "  {key} = {{{value}}},");
    }
    out.push_str("}\n");
    out
}

/// The CSL `accessed` date as `YYYY-MM-DD` (or `YYYY-MM`, `YYYY`), or its raw text.
fn accessed_date(csl: &Value) -> Option<String> {
    let accessed = csl.get("accessed")?;
    let parts = accessed.get("date-parts").and_then(|dp| dp.get(0));
    if let Some(parts) = parts.and_then(Value::as_array) {
        let nums: Vec<i64> = parts
            .iter()
            .map_while(|p| match p {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .take(3)
            .collect();
        if let Some((year, rest)) = nums.split_first() {
            let mut out = format!("{year:04}");
            for n in rest {
                out.push_str(&format!("-{n:02}"));
            }
            return Some(out);
        }
    }
    ["raw", "literal"]
        .iter()
        .find_map(|k| accessed.get(*k).and_then(Value::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::references::testdata::seed;
    use std::path::Path;

    #[test]
    fn bibtex_web_pages_are_misc_with_url_and_access_date() {
        let text = r#"[{"id": "site", "type": "webpage", "title": "Back 100%",
            "author": [{"literal": "A & B"}], "container-title": "Health Library",
            "publisher": "Clinic", "URL": "https://example.org/a_b?x={y}",
            "accessed": {"date-parts": [[2024, 5, 1]]}, "note": "Seen."},
            {"id": "raw", "type": "post", "title": "T", "URL": "https://e.org/",
            "accessed": {"raw": "last spring"}}]"#;
        let list = ReferenceList::parse(text, Path::new("r.json")).unwrap();
        let bib = list.to_bibtex(&[]);
        assert!(bib.starts_with("@misc{site,\n"), "{bib}");
        assert!(
            bib.contains("  howpublished = {\\url{https://example.org/a_b?x=%7By%7D}},\n"),
            "{bib}"
        );
        assert!(
            bib.contains("  note = {Health Library. Clinic. Accessed 2024-05-01. Seen.},\n"),
            "{bib}"
        );
        assert!(!bib.contains("  url = "), "{bib}");
        assert!(!bib.contains("publisher"), "{bib}");
        assert!(bib.contains("  title = {{Back 100\\%}},"), "{bib}");
        assert!(bib.contains("@misc{raw,\n"), "{bib}");
        assert!(bib.contains("  note = {Accessed last spring.},\n"), "{bib}");
    }

    #[test]
    fn bibtex_export() {
        let list = seed();
        let bib = list.to_bibtex(&["brinjikji2015".to_string()]);
        assert!(bib.starts_with("@article{brinjikji2015,\n"), "{bib}");
        assert!(
            bib.contains("  author = {Brinjikji, W. and Luetmer, P. H. and "),
            "{bib}"
        );
        assert!(
            bib.contains("  title = {{Systematic Literature Review of Imaging Features"),
            "{bib}"
        );
        assert!(
            bib.contains("  journal = {American Journal of Neuroradiology},\n"),
            "{bib}"
        );
        assert!(bib.contains("  year = {2015},\n"), "{bib}");
        assert!(bib.contains("  volume = {36},\n  number = {4},\n"), "{bib}");
        assert!(bib.contains("  pages = {811--816},\n"), "{bib}");
        assert!(bib.contains("  doi = {10.3174/ajnr.A4173},\n"), "{bib}");
        assert!(bib.trim_end().ends_with('}'));

        let all = list.to_bibtex(&[]);
        assert_eq!(all.matches("\n@").count() + 1, 8);
        assert!(all.contains("@misc{clevelandclinic2022,"), "{all}");
        assert!(!all.contains("@online"), "{all}");
        assert!(
            all.contains(
                "  howpublished = {\\url{https://my.clevelandclinic.org/health/diseases/22881-back-spasms}},\n"
            ),
            "{all}"
        );
        assert!(
            all.contains("  note = {Cleveland Clinic Health Library.},\n"),
            "{all}"
        );
        assert!(all.contains("  author = {{Cleveland Clinic}},"), "{all}");
        assert!(
            all.contains("  journal = {BMJ Open Sport \\& Exercise Medicine},"),
            "{all}"
        );
        assert!(all.contains("@misc{aoa-yoga,"), "{all}");
        assert!(all.contains("guide's References section.},"), "{all}");

        assert_eq!(bibtex_escape("{}&%$#_"), "\\{\\}\\&\\%\\$\\#\\_");
        assert_eq!(
            bibtex_escape("a\\b~c^d"),
            "a\\textbackslash{}b\\textasciitilde{}c\\textasciicircum{}d"
        );
        assert_eq!(bibtex_key("a b,c"), "a_b_c");
    }
}
