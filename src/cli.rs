//! Command-line interface: clap derive structs, resolved into [`Config`] before any logic runs.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{Command, Config, OutputStyle, Paths, DEFAULT_CORPUS, DEFAULT_INDEX};
use crate::ingest::IngestOptions;
use crate::passage::Kind;
use crate::search::SearchRequest;

/// Search a health guide and the studies it cites: ranked passages with their citations.
#[derive(Debug, Parser)]
#[command(name = "citeseek", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Corpus directory (guide/, references.json, references/).
    #[arg(long, global = true, env = "CITESEEK_CORPUS", value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// Index directory (built by `ingest`, rebuilt when needed).
    #[arg(long, global = true, env = "CITESEEK_INDEX", value_name = "DIR")]
    pub index: Option<PathBuf>,
    /// When to use colour and bold: auto (terminal without NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
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
}

impl Cli {
    /// Resolve flags and environment into the plain configuration the logic uses.
    pub fn resolve(self) -> Config {
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
            } => (Command::Ingest(IngestOptions { full, dry_run }), json),
            CliCommand::Watch => (Command::Watch, false),
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
        };
        Config {
            paths,
            output: OutputStyle { json, color },
            command,
        }
    }
}
