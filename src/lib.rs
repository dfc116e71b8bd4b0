//! citeseek: a search engine and citation index for health guides and the studies they cite.
//!
//! Data flows one way: corpus files ([`corpus`]) → documents ([`extract`]) → passages
//! ([`passage`]) → cited passages ([`link`], with [`references`]) → vectors ([`vectors`], by
//! the sentence-embedding model of [`embed`]) → the tantivy index ([`index`], analysed by
//! [`analysis`], driven by [`ingest`]) → hits ([`search`], with the corpus's [`synonyms`],
//! fused with meaning by [`hybrid`]), cited references ([`cite`]),
//! backlinks and exports ([`refs`]) and the citation audit ([`audit`]) → output ([`render`]).
//! [`benchmark`] runs the same indexing and ranking on a BEIR data set and scores it with
//! [`eval`]'s metrics.
//! [`cli`] turns flags into a [`config::Config`], and [`app`] runs it; [`failure`] turns an
//! error chain into the message, kind and hint it prints. [`ingest`] is incremental (only
//! edited files are processed), [`fresh`] gives `app` and `serve` an index brought up to date
//! before it answers, and [`watch`] follows the corpus's edits; [`serve`] answers the same
//! calls over HTTP, with a search page.

pub mod analysis;
pub mod app;
pub mod audit;
pub mod benchmark;
pub mod cite;
pub mod cli;
pub mod config;
pub mod corpus;
pub mod embed;
pub mod eval;
pub mod extract;
pub mod failure;
pub mod fetch;
pub mod fresh;
pub mod fsutil;
pub mod fuzzing;
pub mod index;
pub mod ingest;
pub mod link;
pub mod passage;
pub mod references;
pub mod refs;
pub mod render;
pub mod sanitize;
pub mod search;
pub use search::{hybrid, lexicon, synonyms};
pub mod serve;
pub mod vectors;
pub mod watch;
