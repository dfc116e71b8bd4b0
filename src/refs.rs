//! The reference catalogue read back from the index: every stored passage with its citations,
//! grouped per reference (backlinks, citing counts, snapshot presence), the unlisted sources
//! the guide cites, and exports (BibTeX, CSL-JSON, RIS). Never re-parses the corpus.

use std::collections::BTreeMap;

use tantivy::collector::TopDocs;
use tantivy::query::AllQuery;
use tantivy::TantivyDocument;

use crate::index::{IndexError, OpenIndex};
use crate::link::{is_references_section, CitedPassage};
use crate::passage::Kind;
use crate::references::{normalize_url, CitationStyle, Reference, ReferenceList};

/// Export formats of `refs --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Bibtex,
    CslJson,
    Ris,
}

/// What `refs` should do.
#[derive(Debug, Clone, Default)]
pub struct RefsRequest {
    /// Reference ids: one id shows it with its backlinks; with `format`, the ids to export
    /// (none = all).
    pub ids: Vec<String>,
    pub format: Option<ExportFormat>,
    pub style: CitationStyle,
}

/// Errors a `refs` user can fix, and index failures.
#[derive(Debug, thiserror::Error)]
pub enum RefsError {
    #[error("no reference with id {id:?} in the index (known ids: {known}); run `citeseek refs` to list them")]
    UnknownId { id: String, known: String },
    #[error(
        "`refs` shows one reference at a time (got: {0}): run `citeseek refs ID` for each, or \
         export several with `citeseek refs --format bibtex|csl-json|ris {0}`"
    )]
    TooManyIds(String),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("reading the index failed")]
    Engine(#[from] tantivy::TantivyError),
}

/// Everything the index knows about references and who cites them.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub references: ReferenceList,
    /// All passages, ordered by path, line and id.
    pub passages: Vec<CitedPassage>,
}

/// One row of the `refs` listing.
#[derive(Debug, Clone)]
pub struct RefEntry<'a> {
    pub reference: &'a Reference,
    /// Guide passages outside the References section that cite it directly.
    pub citing: usize,
    /// Whether the guide's References section describes it.
    pub described: bool,
    /// Whether its page snapshot was indexed.
    pub snapshot: bool,
}

/// An external source the guide links to that is missing from references.json.
#[derive(Debug, Clone)]
pub struct UnlistedSource<'a> {
    pub url: String,
    /// Anchor texts used for it, first-seen order.
    pub texts: Vec<String>,
    pub passages: Vec<&'a CitedPassage>,
}

/// Check that `id` is a reference of the index (a typo in `--cites` must not look like
/// "nothing cites it").
pub fn check_known(index: &OpenIndex, id: &str) -> Result<(), RefsError> {
    let known = &index.marker.reference_ids;
    if known.iter().any(|k| k == id) {
        return Ok(());
    }
    Err(RefsError::UnknownId {
        id: id.to_string(),
        known: known.join(", "),
    })
}

impl Catalog {
    /// Read the references and every passage from the index.
    pub fn load(index: &OpenIndex) -> Result<Catalog, RefsError> {
        let references = index.references()?;
        let searcher = index.reader.searcher();
        let n = usize::try_from(searcher.num_docs())
            .unwrap_or(usize::MAX)
            .max(1);
        let top = searcher.search(&AllQuery, &TopDocs::with_limit(n).order_by_score())?;
        let mut passages = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            // A passage that cannot be read is damage to report, never one to skip.
            let p = crate::index::stored_passage(&index.fields, &doc)
                .map_err(|e| index.damaged(&format!("{e:#}")))?;
            passages.push(p);
        }
        passages.sort_by(|a, b| {
            (&a.passage.path, a.passage.line, &a.passage.id).cmp(&(
                &b.passage.path,
                b.passage.line,
                &b.passage.id,
            ))
        });
        Ok(Catalog {
            references,
            passages,
        })
    }

    /// Guide passages.
    pub fn guide(&self) -> impl Iterator<Item = &CitedPassage> {
        self.passages
            .iter()
            .filter(|p| p.passage.kind == Kind::Guide)
    }

    /// Every guide passage that cites `id` itself (body and References section), in order.
    pub fn backlinks(&self, id: &str) -> Vec<&CitedPassage> {
        self.guide()
            .filter(|p| p.direct_ids().any(|c| c == id))
            .collect()
    }

    /// Whether the reference's page snapshot was indexed (not just its record).
    pub fn has_snapshot(&self, id: &str) -> bool {
        self.passages.iter().any(|p| {
            p.passage.kind == Kind::Reference
                && p.passage.doc == id
                && !p.passage.id.contains("#record/")
        })
    }

    /// The reference with this id, or an error listing the known ids.
    pub fn reference(&self, id: &str) -> Result<&Reference, RefsError> {
        self.references.get(id).ok_or_else(|| RefsError::UnknownId {
            id: id.to_string(),
            known: self
                .references
                .refs
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// How many guide passages outside the References section cite `id` themselves: what
    /// "cited by" means in `refs` and `refs ID`.
    pub fn citing(&self, id: &str) -> usize {
        count_citing(&self.backlinks(id))
    }

    /// One row per reference, in references.json order.
    pub fn entries(&self) -> Vec<RefEntry<'_>> {
        self.references
            .refs
            .iter()
            .map(|r| {
                let backlinks = self.backlinks(&r.id);
                RefEntry {
                    reference: r,
                    citing: count_citing(&backlinks),
                    described: backlinks
                        .iter()
                        .any(|p| is_references_section(&p.passage.section)),
                    snapshot: self.has_snapshot(&r.id),
                }
            })
            .collect()
    }

    /// External links cited in the guide but missing from references.json, grouped by
    /// normalised URL, in order of first appearance.
    pub fn unlisted(&self) -> Vec<UnlistedSource<'_>> {
        let mut order: Vec<String> = Vec::new();
        let mut by_key: BTreeMap<String, UnlistedSource<'_>> = BTreeMap::new();
        for p in self.guide() {
            for link in &p.unlisted {
                let url = link.url.clone().unwrap_or_else(|| link.href.clone());
                let key = normalize_url(&url).unwrap_or_else(|| url.clone());
                let entry = by_key.entry(key.clone()).or_insert_with(|| {
                    order.push(key.clone());
                    UnlistedSource {
                        url: url.clone(),
                        texts: Vec::new(),
                        passages: Vec::new(),
                    }
                });
                if !link.text.is_empty() && !entry.texts.contains(&link.text) {
                    entry.texts.push(link.text.clone());
                }
                if !entry.passages.iter().any(|q| q.passage.id == p.passage.id) {
                    entry.passages.push(p);
                }
            }
        }
        order.iter().filter_map(|k| by_key.remove(k)).collect()
    }

    /// Export the references with these ids (all when empty) in a format.
    pub fn export(&self, ids: &[String], format: ExportFormat) -> Result<String, RefsError> {
        for id in ids {
            self.reference(id)?;
        }
        Ok(match format {
            ExportFormat::Bibtex => self.references.to_bibtex(ids),
            ExportFormat::CslJson => self.references.to_csl_json(ids),
            ExportFormat::Ris => self.references.to_ris(ids),
        })
    }
}

/// The backlinks outside the References section.
fn count_citing(backlinks: &[&CitedPassage]) -> usize {
    backlinks
        .iter()
        .filter(|p| !is_references_section(&p.passage.section))
        .count()
}
