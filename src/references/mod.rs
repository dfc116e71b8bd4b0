//! CSL-JSON reference records, identifiers (DOI, PMID, PMCID, normalised URL) and citation formatting.
//!
//! This module owns, one concept a file:
//! * [`record`]: one CSL-JSON record as a [`Reference`] (its [`Name`]s, the checks a record
//!   must pass), keeping the raw record for lossless re-export;
//! * [`list`]: loading a CSL-JSON array of records ([`ReferenceList`], [`ReferenceError`]);
//! * [`ids`]: identifier normalisation ([`normalize_doi`], [`clean_doi`], [`normalize_url`])
//!   and extraction of DOI/PMID/PMCID keys from study links ([`link_keys`]), the one place
//!   identifiers are parsed (the fetcher uses it too);
//! * [`matcher`]: matching links found in guides to reference ids ([`ReferenceMatcher`]);
//! * [`style`]: plain-text citations (APA 7, Vancouver), with [`pages`] for page ranges;
//! * [`export`]: BibTeX / RIS / CSL-JSON export.
//!
//! Everything here is panic-free on arbitrary input.

pub mod export;
pub mod ids;
pub mod list;
pub mod matcher;
pub mod pages;
pub mod record;
pub mod style;

#[cfg(test)]
mod testdata;

pub use ids::{clean_doi, link_keys, names_doi, normalize_doi, normalize_url, LinkKeys};
pub use list::{ReferenceError, ReferenceList};
pub use matcher::ReferenceMatcher;
pub use record::{is_safe_id, Name, RecordError, Reference};
pub use style::{sentence_case, CitationStyle};
