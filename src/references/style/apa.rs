//! APA 7 citations, with the record's own proper names kept through sentence case.

use std::fmt::Write as _;

use super::text::{end_sentence, is_connector, restore_names, sentence_case};
use crate::references::pages::en_dash;
use crate::references::record::{Name, Reference};

impl Reference {
    /// Multi-word proper names the record itself spells out (organisation authors, container,
    /// publisher), e.g. "American College of Physicians": sentence case must not lower them.
    pub fn proper_names(&self) -> Vec<String> {
        let mut sources: Vec<&str> = self
            .authors
            .iter()
            .filter_map(|a| a.literal.as_deref())
            .collect();
        sources.extend(self.container.as_deref());
        sources.extend(self.publisher.as_deref());
        let mut out = Vec::new();
        for s in sources {
            let words: Vec<&str> = s.split_whitespace().collect();
            let mut run: Vec<&str> = Vec::new();
            // Every stretch of a run that starts and ends on a capitalised word and holds two
            // or more of them: "American College of Physicians" inside a longer name.
            let mut flush = |run: &mut Vec<&str>| {
                let capital = |w: &str| !is_connector(w);
                for i in 0..run.len() {
                    for j in i + 1..run.len() {
                        if capital(run[i]) && capital(run[j]) {
                            out.push(run[i..=j].join(" "));
                        }
                    }
                }
                run.clear();
            };
            for w in words {
                let capital = w.chars().next().is_some_and(char::is_uppercase);
                if capital || (!run.is_empty() && is_connector(w)) {
                    run.push(w);
                } else {
                    flush(&mut run);
                }
            }
            flush(&mut run);
        }
        out.sort_by_key(|n| std::cmp::Reverse(n.len()));
        out.dedup();
        out
    }

    pub(super) fn format_apa(&self) -> String {
        let names: Vec<String> = self
            .authors
            .iter()
            .map(Name::apa)
            .filter(|n| !n.is_empty())
            .collect();
        let authors = match names.len() {
            0 | 1 => names.concat(),
            2..=20 => match names.split_last() {
                Some((last, rest)) => format!("{}, & {}", rest.join(", "), last),
                None => String::new(),
            },
            _ => {
                let head = names.get(..19).unwrap_or(&names).join(", ");
                let last = names.last().cloned().unwrap_or_default();
                format!("{head}, . . . {last}")
            }
        };
        let year = self
            .year
            .map_or_else(|| "n.d.".to_string(), |y| y.to_string());
        let title = restore_names(&sentence_case(&self.title), &self.proper_names());
        let mut out = String::new();
        if authors.is_empty() {
            // APA: with no author, the title moves to the author position.
            if !title.is_empty() {
                out.push_str(&end_sentence(&title));
                out.push(' ');
            }
            let _ = write!(out, "({year}).");
        } else {
            out.push_str(&end_sentence(&authors));
            let _ = write!(out, " ({year}).");
            if !title.is_empty() {
                out.push(' ');
                out.push_str(&end_sentence(&title));
            }
        }
        if self.is_article() {
            let mut source = self.container.clone().unwrap_or_default();
            let mut vol = self.volume.clone().unwrap_or_default();
            if let Some(issue) = &self.issue {
                let _ = write!(vol, "({issue})");
            }
            for part in [vol, self.page.as_deref().map(en_dash).unwrap_or_default()] {
                if part.is_empty() {
                    continue;
                }
                if !source.is_empty() {
                    source.push_str(", ");
                }
                source.push_str(&part);
            }
            if !source.is_empty() {
                out.push(' ');
                out.push_str(&end_sentence(&source));
            }
        } else {
            let author_lit = self.authors.first().and_then(|a| a.literal.as_deref());
            let mut seen: Vec<&str> = author_lit.into_iter().collect();
            for site in [self.container.as_deref(), self.publisher.as_deref()]
                .into_iter()
                .flatten()
            {
                if seen.iter().any(|s| s.eq_ignore_ascii_case(site)) {
                    continue;
                }
                seen.push(site);
                out.push(' ');
                out.push_str(&end_sentence(site));
                if self.is_web() {
                    break; // one site name is enough for a webpage
                }
            }
        }
        if let Some(link) = self.link() {
            out.push(' ');
            out.push_str(&link);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::references::testdata::{get, seed};
    use crate::references::CitationStyle;

    #[test]
    fn apa_journal_articles() {
        let list = seed();
        assert_eq!(
            get(&list, "brinjikji2015").format(CitationStyle::Apa),
            "Brinjikji, W., Luetmer, P. H., Comstock, B., Bresnahan, B. W., Chen, L. E., Deyo, R. A., Halabi, S., Turner, J. A., Avins, A. L., James, K., Wald, J. T., Kallmes, D. F., & Jarvik, J. G. (2015). Systematic literature review of imaging features of spinal degeneration in asymptomatic populations. American Journal of Neuroradiology, 36(4), 811–816. https://doi.org/10.3174/ajnr.A4173"
        );
        assert_eq!(
            get(&list, "malanga2015").format(CitationStyle::default()),
            "Malanga, G. A., Yan, N., & Stark, J. (2015). Mechanisms and efficacy of heat and cold therapies for musculoskeletal injury. Postgraduate Medicine, 127(1), 57–65. https://doi.org/10.1080/00325481.2015.992719"
        );
        assert_eq!(
            get(&list, "allegri2016").format(CitationStyle::Apa),
            "Allegri, M., Montella, S., Salici, F., Valente, A., Marchesini, M., Compagnone, C., Baciarello, M., Manferdini, M. E., & Fanelli, G. (2016). Mechanisms of low back pain: A guide for diagnosis and therapy. F1000Research, 5, 1530. https://doi.org/10.12688/f1000research.8105.1"
        );
        let q = get(&list, "qaseem2017").format(CitationStyle::Apa);
        assert!(
            q.starts_with("Qaseem, A., Wilt, T. J., McLean, R. M., Forciea, M. A., & Clinical Guidelines Committee of the American College of Physicians. (2017). Noninvasive treatments for acute, subacute, and chronic low back pain: A clinical practice guideline from the American College of Physicians."),
            "{q}"
        );
        assert!(
            q.ends_with(
                "Annals of Internal Medicine, 166(7), 514–530. https://doi.org/10.7326/M16-2367"
            ),
            "{q}"
        );
        let lau = get(&list, "lau2019").format(CitationStyle::Apa);
        assert!(
            lau.starts_with("Lau, W. Y., Kato, H., & Nosaka, K. (2019). Water intake"),
            "{lau}"
        );
    }

    #[test]
    fn apa_webpages() {
        let list = seed();
        assert_eq!(
            get(&list, "clevelandclinic2022").format(CitationStyle::Apa),
            "Cleveland Clinic. (2022). Back spasms. Cleveland Clinic Health Library. https://my.clevelandclinic.org/health/diseases/22881-back-spasms"
        );
        assert_eq!(
            get(&list, "ninds2020").format(CitationStyle::Apa),
            "National Institute of Neurological Disorders and Stroke. (2020). Low back pain fact sheet. National Institutes of Health. https://www.ninds.nih.gov/health-information/patient-caregiver-education/fact-sheets/low-back-pain-fact-sheet"
        );
        assert_eq!(
            get(&list, "aoa-yoga").format(CitationStyle::Apa),
            "American Osteopathic Association. (n.d.). The benefits of yoga. https://osteopathic.org/what-is-osteopathic-medicine/benefits-of-yoga/"
        );
    }

    #[test]
    fn apa_survives_case_mapping_that_changes_lengths() {
        // `İ` lower-cases to two characters and `ẞ` to a shorter one: offsets taken from a
        // lower-cased title once fell inside a character here and panicked.
        let r = Reference::from_csl(serde_json::json!({
            "id": "x", "type": "article-journal", "title": "İ American Collegeé ẞ",
            "container-title": "American College"
        }))
        .unwrap();
        let apa = r.format(CitationStyle::Apa);
        assert!(apa.contains("American College"), "{apa}");
        assert!(apa.starts_with("İ American Collegeé ẞ"), "{apa}");
        assert_eq!(
            restore_names("the american college of x", &["American College".into()]),
            "the American College of x"
        );
        assert_eq!(restore_names("ﬁ café", &["Café".into()]), "ﬁ Café");
    }
}
