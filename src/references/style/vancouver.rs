//! Vancouver (ICMJE/NLM) citations.

use std::fmt::Write as _;

use super::text::end_sentence;
use crate::references::pages::vancouver_pages;
use crate::references::record::{Name, Reference};

impl Reference {
    pub(super) fn format_vancouver(&self) -> String {
        let names: Vec<String> = self
            .authors
            .iter()
            .map(Name::vancouver)
            .filter(|n| !n.is_empty())
            .collect();
        let mut authors = names.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
        if names.len() > 6 {
            authors.push_str(", et al");
        }
        let mut out = String::new();
        if !authors.is_empty() {
            out.push_str(&end_sentence(&authors));
        }
        let title = self.title.trim();
        if !title.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            if self.is_web() {
                let _ = write!(out, "{} [Internet].", title.trim_end_matches('.'));
            } else {
                out.push_str(&end_sentence(title));
            }
        }
        let year = self.year.map(|y| y.to_string());
        if self.is_article() {
            let journal = self.container_short.as_ref().or(self.container.as_ref());
            if let Some(j) = journal {
                out.push(' ');
                out.push_str(&end_sentence(j));
            }
            let mut src = year.unwrap_or_default();
            if self.volume.is_some() || self.issue.is_some() {
                src.push(';');
                src.push_str(self.volume.as_deref().unwrap_or(""));
                if let Some(i) = &self.issue {
                    let _ = write!(src, "({i})");
                }
            }
            if let Some(p) = &self.page {
                let _ = write!(src, ":{}", vancouver_pages(p));
            }
            if !src.is_empty() {
                out.push(' ');
                out.push_str(&src);
                out.push('.');
            }
        } else {
            let publisher = self.publisher.as_ref().or(self.container.as_ref());
            let date = year.unwrap_or_else(|| "[date unknown]".to_string());
            out.push(' ');
            match publisher {
                Some(p) => {
                    let _ = write!(out, "{p}; {date}.");
                }
                None => {
                    let _ = write!(out, "{date}.");
                }
            }
        }
        if let Some(doi) = self.display_doi() {
            let _ = write!(out, " doi:{doi}");
        } else if let Some(url) = &self.url {
            let _ = write!(out, " Available from: {url}");
        }
        out.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use crate::references::testdata::{get, seed};
    use crate::references::CitationStyle;

    #[test]
    fn vancouver_citations() {
        let list = seed();
        assert_eq!(
            get(&list, "brinjikji2015").format(CitationStyle::Vancouver),
            "Brinjikji W, Luetmer PH, Comstock B, Bresnahan BW, Chen LE, Deyo RA, et al. Systematic Literature Review of Imaging Features of Spinal Degeneration in Asymptomatic Populations. AJNR Am J Neuroradiol. 2015;36(4):811-6. doi:10.3174/ajnr.A4173"
        );
        assert_eq!(
            get(&list, "malanga2015").format(CitationStyle::Vancouver),
            "Malanga GA, Yan N, Stark J. Mechanisms and efficacy of heat and cold therapies for musculoskeletal injury. Postgrad Med. 2015;127(1):57-65. doi:10.1080/00325481.2015.992719"
        );
        assert_eq!(
            get(&list, "allegri2016").format(CitationStyle::Vancouver),
            "Allegri M, Montella S, Salici F, Valente A, Marchesini M, Compagnone C, et al. Mechanisms of low back pain: a guide for diagnosis and therapy. F1000Research. 2016;5:1530. doi:10.12688/f1000research.8105.1"
        );
        let q = get(&list, "qaseem2017").format(CitationStyle::Vancouver);
        assert!(q.contains("Ann Intern Med. 2017;166(7):514-30."), "{q}");
        assert_eq!(
            get(&list, "clevelandclinic2022").format(CitationStyle::Vancouver),
            "Cleveland Clinic. Back Spasms [Internet]. Cleveland Clinic Health Library; 2022. Available from: https://my.clevelandclinic.org/health/diseases/22881-back-spasms"
        );
        assert_eq!(
            get(&list, "aoa-yoga").format(CitationStyle::Vancouver),
            "American Osteopathic Association. The Benefits of Yoga [Internet]. [date unknown]. Available from: https://osteopathic.org/what-is-osteopathic-medicine/benefits-of-yoga/"
        );
    }
}
