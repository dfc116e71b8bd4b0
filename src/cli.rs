//! Command-line interface: clap derive structs, resolved into [`Config`] before any logic runs.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use std::time::Duration;

use crate::benchmark::EvalRequest;
use crate::cite::CiteRequest;
use crate::config::{
    AddOptions, Command, Config, FetchOptions, OutputStyle, Paths, DEFAULT_CORPUS, DEFAULT_INDEX,
};
use crate::ingest::IngestOptions;
use crate::passage::Kind;
use crate::references::CitationStyle;
use crate::refs::{ExportFormat, RefsRequest};
use crate::search::SearchRequest;

/// Search a health guide and the studies it cites: ranked passages with their citations.
#[derive(Debug, Parser)]
#[command(name = "citeseek", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Corpus directory (guide/, references.json, references/); for `eval`, the BEIR
    /// corpus.jsonl file.
    #[arg(long, global = true, env = "CITESEEK_CORPUS", value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// Index directory (built by `ingest`, rebuilt when needed); for `eval`, where to build and
    /// keep the BEIR index (a temporary directory otherwise).
    #[arg(long, global = true, env = "CITESEEK_INDEX", value_name = "DIR")]
    pub index: Option<PathBuf>,
    /// When to use colour and bold: auto (terminal without NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Answer from the index as it is, without checking the corpus for changes first (for
    /// pipelines that run `ingest` themselves, and for very large corpora where the check
    /// stats every file).
    #[arg(long, global = true, env = "CITESEEK_NO_REFRESH", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_refresh: bool,
    #[command(subcommand)]
    pub command: CliCommand,
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

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Build the index from the corpus, or bring it up to date with the corpus's edits
    /// (only added, changed and removed files are processed).
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
        #[command(flatten)]
        net: NetArgs,
    },
    /// Fetch reference landing pages into corpus/references/<id>.html (offline snapshots).
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
        net: NetArgs,
    },
    /// Add a reference from its landing-page URL or DOI: a CSL-JSON record in
    /// references.json and a snapshot in references/.
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
        net: NetArgs,
    },
    /// Watch the corpus and update the index after each burst of edits (Ctrl-C stops).
    Watch,
    /// Search the guide and its references; prints ranked passages with citations.
    Search {
        /// What to look for: plain words, "quoted phrases", +required, -excluded, `a vs b`
        /// (quote the query, or put it after `--`, when it starts with -).
        #[arg(required = true, num_args = 1.., value_name = "QUERY")]
        query: Vec<String>,
        /// How many hits to show.
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
    },
    /// Find the studies behind a claim: references ranked with the guide passages and source
    /// text that support it. Exits 1 when nothing in the corpus supports the claim.
    Cite {
        /// The claim: a sentence from the guide, a paraphrase or a question
        /// ("which study says electrolytes prevent cramps").
        #[arg(required = true, num_args = 1.., value_name = "CLAIM")]
        claim: Vec<String>,
        /// How many references to show at most.
        #[arg(short = 'n', long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
        limit: u64,
        /// Citation style.
        #[arg(long, value_enum, default_value_t = StyleArg::Apa)]
        style: StyleArg,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Measure ranking quality on a BEIR data set: `--corpus` is the BEIR corpus.jsonl here.
    /// Prints nDCG@10, Recall@10, Recall@100, MRR@10, queries per second and indexing time.
    Eval {
        /// BEIR queries: JSON lines {"_id", "text"}. Queries without judgements are skipped.
        #[arg(long, value_name = "FILE")]
        queries: PathBuf,
        /// BEIR relevance judgements: TSV with the header `query-id corpus-id score`.
        #[arg(long, value_name = "FILE")]
        qrels: PathBuf,
        /// Cutoff for an extra nDCG@k and MRR@k (the @10 figures are always printed).
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100))]
        k: u64,
        /// Write the ranking as a TREC run file (qid Q0 docid rank score tag, 100 per query).
        #[arg(long, value_name = "FILE")]
        run: Option<PathBuf>,
        /// Run the query phase this many times and report the median speed.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100))]
        repeat: u64,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the references with how often the guide cites them; `refs ID` shows one with every
    /// guide passage citing it; `--format` exports them.
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
    },
    /// Check the guide's citations: uncited claims, unlisted sources, unused references and
    /// dangling links. Exits 0 when clean, 1 when it found something.
    Audit {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Network settings shared by the commands that fetch.
#[derive(Debug, Clone, clap::Args)]
pub struct NetArgs {
    /// Do not touch the network: use the snapshots on disk.
    #[arg(long)]
    pub offline: bool,
    /// Seconds allowed to connect to a server.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub connect_timeout: f64,
    /// Seconds allowed for one whole request (a server that trickles bytes is cut off).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
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
        let secs = |s: f64| {
            Duration::from_secs_f64(if s.is_finite() && s > 0.0 {
                s.min(3600.0)
            } else {
                0.001
            })
        };
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
    pub fn resolve(self) -> Config {
        let (given_corpus, given_index) = (self.corpus.clone(), self.index.clone());
        let paths = Paths {
            corpus: self.corpus.unwrap_or_else(|| PathBuf::from(DEFAULT_CORPUS)),
            index: self.index.unwrap_or_else(|| PathBuf::from(DEFAULT_INDEX)),
        };
        let color = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        let (command, json) = match self.command {
            CliCommand::Ingest {
                full,
                dry_run,
                json,
                fetch,
                net,
            } => (
                Command::Ingest(
                    IngestOptions { full, dry_run },
                    fetch.then(|| net.resolve(Vec::new(), false, false)),
                ),
                json,
            ),
            CliCommand::Watch => (Command::Watch, false),
            CliCommand::Fetch {
                ids,
                update_metadata,
                force,
                json,
                net,
            } => (
                Command::Fetch(net.resolve(ids, update_metadata, force)),
                json,
            ),
            CliCommand::Add {
                input,
                id,
                json,
                net,
            } => (
                Command::Add(AddOptions {
                    input,
                    id,
                    fetch: net.resolve(Vec::new(), false, false),
                }),
                json,
            ),
            CliCommand::Search {
                query,
                limit,
                kind,
                cites,
                json,
            } => (
                Command::Search(SearchRequest {
                    query: query.join(" "),
                    limit: usize::try_from(limit).unwrap_or(usize::MAX),
                    kind: kind.map(Kind::from),
                    cites,
                }),
                json,
            ),
            CliCommand::Eval {
                queries,
                qrels,
                k,
                run,
                repeat,
                json,
            } => (
                Command::Eval(EvalRequest {
                    corpus: given_corpus,
                    queries,
                    qrels,
                    k: usize::try_from(k).unwrap_or(10),
                    run,
                    index: given_index,
                    repeat: usize::try_from(repeat).unwrap_or(1),
                }),
                json,
            ),
            CliCommand::Cite {
                claim,
                limit,
                style,
                json,
            } => (
                Command::Cite(CiteRequest {
                    claim: claim.join(" "),
                    limit: usize::try_from(limit).unwrap_or(usize::MAX),
                    style: style.into(),
                }),
                json,
            ),
            CliCommand::Refs {
                ids,
                format,
                style,
                json,
            } => (
                Command::Refs(RefsRequest {
                    ids,
                    format: format.map(ExportFormat::from),
                    style: style.into(),
                }),
                json,
            ),
            CliCommand::Audit { json } => (Command::Audit, json),
        };
        Config {
            paths,
            output: OutputStyle { json, color },
            command,
            refresh: !self.no_refresh,
        }
    }
}
