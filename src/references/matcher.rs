//! Resolving the links a guide cites to reference ids ([`ReferenceMatcher`]).

use std::collections::HashMap;

use super::ids::link_keys;
use super::list::ReferenceList;

/// Resolves study links to reference ids with O(1) lookups.
#[derive(Debug, Clone, Default)]
pub struct ReferenceMatcher {
    by_doi: HashMap<String, String>,
    by_pmid: HashMap<String, String>,
    by_pmcid: HashMap<String, String>,
    by_url: HashMap<String, String>,
}

impl ReferenceMatcher {
    /// Index every reference's DOI, PMID, PMCID and the [`link_keys`] of its URL.
    /// When two references share a key, the first one in the list wins.
    pub fn new(list: &ReferenceList) -> Self {
        let mut m = ReferenceMatcher::default();
        let add = |map: &mut HashMap<String, String>, key: Option<String>, id: &str| {
            if let Some(k) = key {
                map.entry(k).or_insert_with(|| id.to_string());
            }
        };
        for r in &list.refs {
            add(&mut m.by_doi, r.doi.clone(), &r.id);
            add(&mut m.by_pmid, r.pmid.clone(), &r.id);
            add(&mut m.by_pmcid, r.pmcid.clone(), &r.id);
            if let Some(url) = &r.url {
                let k = link_keys(url);
                add(&mut m.by_doi, k.doi, &r.id);
                add(&mut m.by_pmid, k.pmid, &r.id);
                add(&mut m.by_pmcid, k.pmcid, &r.id);
                add(&mut m.by_url, k.url, &r.id);
            }
        }
        m
    }

    /// Reference id for a link; identifiers are tried in the order DOI, PMID, PMCID,
    /// normalised URL.
    pub fn resolve(&self, url: &str) -> Option<&str> {
        let k = link_keys(url);
        fn hit<'m>(map: &'m HashMap<String, String>, key: &Option<String>) -> Option<&'m str> {
            key.as_ref().and_then(|k| map.get(k)).map(String::as_str)
        }
        hit(&self.by_doi, &k.doi)
            .or_else(|| hit(&self.by_pmid, &k.pmid))
            .or_else(|| hit(&self.by_pmcid, &k.pmcid))
            .or_else(|| hit(&self.by_url, &k.url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::references::testdata::seed;
    use std::path::Path;

    #[test]
    fn matcher_resolves_every_study_link_in_the_guide() {
        let list = seed();
        let m = ReferenceMatcher::new(&list);
        let cases = [
            ("http://bmjopensem.bmj.com/content/5/1/e000478", "lau2019"),
            ("https://bmjopensem.bmj.com/content/5/1/e000478", "lau2019"),
            ("https://pubmed.ncbi.nlm.nih.gov/25526231/", "malanga2015"),
            ("https://doi.org/10.1080/00325481.2015.992719", "malanga2015"),
            (
                "https://osteopathic.org/what-is-osteopathic-medicine/benefits-of-yoga/",
                "aoa-yoga",
            ),
            ("https://doi.org/10.3174/ajnr.A4173", "brinjikji2015"),
            ("https://www.ajnr.org/content/36/4/811", "brinjikji2015"),
            (
                "https://my.clevelandclinic.org/health/diseases/22881-back-spasms/",
                "clevelandclinic2022",
            ),
            (
                "https://my.clevelandclinic.org/health/diseases/22881-back-spasms",
                "clevelandclinic2022",
            ),
            ("https://pmc.ncbi.nlm.nih.gov/articles/PMC4926733/", "allegri2016"),
            (
                "https://www.ninds.nih.gov/health-information/patient-caregiver-education/fact-sheets/low-back-pain-fact-sheet",
                "ninds2020",
            ),
            ("https://www.acpjournals.org/doi/10.7326/M16-2367", "qaseem2017"),
            // Other shapes of the same studies.
            ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4926733", "allegri2016"),
            ("https://pubmed.ncbi.nlm.nih.gov/27408698", "allegri2016"),
            ("https://www.ncbi.nlm.nih.gov/pubmed/28192789/", "qaseem2017"),
            ("https://doi.org/10.7326/m16-2367", "qaseem2017"),
            (
                "https://www.tandfonline.com/doi/full/10.1080/00325481.2015.992719?utm_source=x",
                "malanga2015",
            ),
            ("https://doi.org/10.1136%2Fbmjsem-2018-000478", "lau2019"),
            ("https://my.clevelandclinic.org/health/diseases/22881-back-spasms?utm_medium=email#causes", "clevelandclinic2022"),
        ];
        for (href, id) in cases {
            assert_eq!(m.resolve(href), Some(id), "href {href}");
        }
        for other in [
            "/blogs/news/muscle-tension",
            "/",
            "/policies/privacy-policy",
            "https://neuropasil.com/blogs/news/a-massive-list-of-back-spasm-relief",
            "https://my.clevelandclinic.org/health/diseases/22881",
            "https://pubmed.ncbi.nlm.nih.gov/99999999/",
            "mailto:info@example.org",
        ] {
            assert_eq!(m.resolve(other), None, "href {other}");
        }
    }

    #[test]
    fn matcher_first_reference_wins_on_shared_keys() {
        let text = r#"[{"id": "a", "DOI": "10.1000/X"}, {"id": "b", "DOI": "10.1000/x"}]"#;
        let list = match ReferenceList::parse(text, Path::new("t.json")) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        let m = ReferenceMatcher::new(&list);
        assert_eq!(m.resolve("https://doi.org/10.1000/x"), Some("a"));
    }
}
