//! RIS export: one record per reference, one line per tag.

use std::fmt::Write as _;

use crate::references::pages::split_pages;
use crate::references::{Reference, ReferenceList};

impl ReferenceList {
    /// RIS records.
    pub fn to_ris(&self, ids: &[String]) -> String {
        super::entries(self.select(ids), ris_record)
    }
}

fn ris_record(r: &Reference) -> String {
    let ty = match r.kind.as_str() {
        "article-journal" | "article" | "review" => "JOUR",
        "article-magazine" => "MGZN",
        "article-newspaper" => "NEWS",
        "book" => "BOOK",
        "chapter" => "CHAP",
        "paper-conference" => "CONF",
        "report" => "RPRT",
        "thesis" => "THES",
        "webpage" | "post-weblog" | "post" => "ELEC",
        _ => "GEN",
    };
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut lines: Vec<(&str, String)> = vec![("TY", ty.to_string())];
    for a in &r.authors {
        let name = a.inverted();
        if !name.is_empty() {
            lines.push(("AU", name));
        }
    }
    if !r.title.is_empty() {
        lines.push(("TI", r.title.clone()));
    }
    if let Some(c) = &r.container {
        lines.push(("T2", c.clone()));
    }
    if let Some(c) = &r.container_short {
        lines.push(("JO", c.clone()));
    }
    if let Some(y) = r.year {
        lines.push(("PY", y.to_string()));
    }
    if let Some(v) = &r.volume {
        lines.push(("VL", v.clone()));
    }
    if let Some(i) = &r.issue {
        lines.push(("IS", i.clone()));
    }
    if let Some(p) = &r.page {
        let (first, last) = split_pages(p);
        lines.push(("SP", first));
        if let Some(l) = last {
            lines.push(("EP", l));
        }
    }
    if let Some(p) = &r.publisher {
        lines.push(("PB", p.clone()));
    }
    if let Some(d) = r.display_doi() {
        lines.push(("DO", d));
    }
    if let Some(u) = &r.url {
        lines.push(("UR", u.clone()));
    }
    if let Some(p) = &r.pmid {
        lines.push(("AN", p.clone()));
    }
    if let Some(a) = &r.abstract_text {
        lines.push(("AB", a.clone()));
    }
    if let Some(n) = &r.note {
        lines.push(("N1", n.clone()));
    }
    let mut out = String::new();
    for (tag, value) in lines {
        // One line a tag, whatever the record holds (a page range with a newline, say).
        let _ = writeln!(out, "{tag}  - {}", one_line(&value));
    }
    out.push_str("ER  - \n");
    out
}

#[cfg(test)]
mod tests {
    use crate::references::testdata::seed;

    #[test]
    fn ris_export() {
        let list = seed();
        let ris = list.to_ris(&["brinjikji2015".to_string()]);
        let lines: Vec<&str> = ris.lines().collect();
        assert_eq!(lines.first(), Some(&"TY  - JOUR"));
        assert_eq!(lines.last(), Some(&"ER  - "));
        for want in [
            "AU  - Brinjikji, W.",
            "AU  - Jarvik, J. G.",
            "TI  - Systematic Literature Review of Imaging Features of Spinal Degeneration in Asymptomatic Populations",
            "T2  - American Journal of Neuroradiology",
            "JO  - AJNR Am J Neuroradiol",
            "PY  - 2015",
            "VL  - 36",
            "IS  - 4",
            "SP  - 811",
            "EP  - 816",
            "DO  - 10.3174/ajnr.A4173",
            "UR  - https://www.ajnr.org/content/36/4/811",
        ] {
            assert!(lines.contains(&want), "missing {want:?} in\n{ris}");
        }
        assert_eq!(lines.iter().filter(|l| l.starts_with("AU  - ")).count(), 13);
        let web = list.to_ris(&["clevelandclinic2022".to_string()]);
        assert!(
            web.starts_with("TY  - ELEC\nAU  - Cleveland Clinic\n"),
            "{web}"
        );
        assert!(!web.contains("SP  - "));
        let all = list.to_ris(&[]);
        assert_eq!(all.matches("ER  - ").count(), 8);
    }
}
