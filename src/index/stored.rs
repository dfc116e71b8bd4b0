//! The stored passage format: each passage's [`CitedPassage`] as JSON in the `data` field,
//! written by [`to_document`] and read back, failures being errors, by [`stored_passage`].

use tantivy::schema::Value;
use tantivy::{DocAddress, Index, Searcher, TantivyDocument};

use super::{Fields, OpenIndex};
use crate::link::CitedPassage;
use crate::vectors::source::{PassageSource, SourceError};

/// A passage as tantivy stores and indexes it: the analysed and filter fields, the vector key,
/// and the whole [`CitedPassage`] as JSON in `data`.
pub fn to_document(f: &Fields, cp: &CitedPassage) -> TantivyDocument {
    let p = &cp.passage;
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, &p.id);
    doc.add_text(f.kind, p.kind.as_str());
    doc.add_text(f.doc, &p.doc);
    for c in &cp.citations {
        let field = match c.scope {
            crate::link::Scope::Passage => f.cites,
            crate::link::Scope::Section => f.section_cites,
        };
        doc.add_text(field, &c.id);
    }
    doc.add_text(f.title, &p.title);
    for h in &p.section {
        doc.add_text(f.section, h);
    }
    doc.add_text(f.body, &p.text);
    if !p.alt.is_empty() {
        doc.add_text(f.alt, &p.alt);
    }
    doc.add_text(
        f.data,
        serde_json::to_string(cp).unwrap_or_else(|_| String::from("{}")),
    );
    doc.add_u64(f.vector_key, crate::vectors::passage_key(cp));
    doc
}

/// Why a stored passage cannot be read: the index is damaged, or was written by another
/// version under the same [`super::SCHEMA_VERSION`].
#[derive(Debug, thiserror::Error)]
pub enum StoredError {
    #[error("a stored passage has no data")]
    Missing,
    #[error("a stored passage cannot be read")]
    Invalid(#[source] serde_json::Error),
}

/// The [`CitedPassage`] a stored document holds.
pub fn stored_passage(f: &Fields, doc: &TantivyDocument) -> Result<CitedPassage, StoredError> {
    let data = doc
        .get_first(f.data)
        .and_then(|v| v.as_str())
        .ok_or(StoredError::Missing)?;
    decode(data)
}

/// A [`CitedPassage`] from its stored JSON.
pub fn decode(data: &str) -> Result<CitedPassage, StoredError> {
    serde_json::from_str(data).map_err(StoredError::Invalid)
}

/// The passage stored at `at`, read through `searcher`.
fn passage_at(
    f: &Fields,
    searcher: &Searcher,
    at: DocAddress,
) -> Result<CitedPassage, SourceError> {
    let doc: TantivyDocument = searcher.doc(at)?;
    Ok(stored_passage(f, &doc)?)
}

impl PassageSource for OpenIndex {
    fn searcher(&self) -> Result<Searcher, SourceError> {
        Ok(self.reader.searcher())
    }

    fn passage(&self, searcher: &Searcher, at: DocAddress) -> Result<CitedPassage, SourceError> {
        passage_at(&self.fields, searcher, at)
    }
}

/// A generation's committed passages, before it is published.
pub(super) struct Committed<'a> {
    pub index: &'a Index,
    pub fields: &'a Fields,
}

impl PassageSource for Committed<'_> {
    fn searcher(&self) -> Result<Searcher, SourceError> {
        Ok(self.index.reader()?.searcher())
    }

    fn passage(&self, searcher: &Searcher, at: DocAddress) -> Result<CitedPassage, SourceError> {
        passage_at(self.fields, searcher, at)
    }
}

/// A passage with every field of the stored format set (for the tests that pin the format).
#[cfg(test)]
pub(super) fn canonical_passage() -> CitedPassage {
    use crate::extract::Link;
    use crate::link::{Citation, Scope};
    use crate::passage::{Kind, Passage};
    CitedPassage {
        passage: Passage {
            id: "back-spasm#heat/1".into(),
            kind: Kind::Guide,
            doc: "back-spasm".into(),
            title: "Back spasm".into(),
            section: vec!["Heat".into(), "How long".into()],
            text: "Heat eases a spasm (Nadler 2002).".into(),
            alt: "a heat wrap".into(),
            path: "guide/back-spasm.md".into(),
            line: 12,
            url: Some("https://example.org/back-spasm#heat".into()),
            links: vec![Link {
                text: "Nadler".into(),
                href: "https://doi.org/10.1097/x".into(),
                url: Some("https://doi.org/10.1097/x".into()),
            }],
        },
        citations: vec![Citation {
            id: "nadler2002".into(),
            label: "Nadler 2002".into(),
            url: Some("https://doi.org/10.1097/x".into()),
            doi: Some("10.1097/x".into()),
            scope: Scope::Passage,
        }],
        unlisted: vec![Link {
            text: "a blog".into(),
            href: "https://blog.example/".into(),
            url: None,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_passage_reads_back_and_damage_is_an_error() {
        let (_, fields) = super::super::schema();
        let cp = canonical_passage();
        let doc = to_document(&fields, &cp);
        assert_eq!(stored_passage(&fields, &doc).unwrap(), cp);
        assert!(matches!(
            stored_passage(&fields, &TantivyDocument::default()),
            Err(StoredError::Missing)
        ));
        assert!(matches!(
            decode("{\"id\": 3}"),
            Err(StoredError::Invalid(_))
        ));
    }
}
