//! Resolved configuration: plain structs the logic runs on, built from the command line and
//! the environment by `cli`.

use std::path::PathBuf;

use crate::cite::CiteRequest;
use crate::ingest::IngestOptions;
use crate::refs::RefsRequest;
use crate::search::SearchRequest;

/// Default corpus directory, relative to the working directory.
pub const DEFAULT_CORPUS: &str = "corpus";
/// Default index directory, relative to the working directory.
pub const DEFAULT_INDEX: &str = "index";

/// Where the corpus and the index live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The corpus directory as the user named it (used to print source paths).
    pub corpus: PathBuf,
    pub index: PathBuf,
}

/// How output is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputStyle {
    /// One JSON object instead of text for people.
    pub json: bool,
    /// Bold highlights and colours (a terminal without `NO_COLOR`).
    pub color: bool,
}

/// What to do.
#[derive(Debug, Clone)]
pub enum Command {
    Ingest(IngestOptions),
    Search(SearchRequest),
    /// Find the references behind a claim.
    Cite(CiteRequest),
    /// List, show or export references.
    Refs(RefsRequest),
    /// Report uncited claims, unlisted sources, unused references and dangling links.
    Audit,
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub paths: Paths,
    pub output: OutputStyle,
    pub command: Command,
}
