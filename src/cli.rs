//! Command-line interface: clap derive structs, resolved into [`Config`] before any logic runs.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::benchmark::EvalRequest;
use crate::config::{Command, Config, OutputStyle, Paths, DEFAULT_CORPUS, DEFAULT_INDEX};
use crate::ingest::IngestOptions;
use crate::passage::Kind;
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
    /// Build the index from the corpus.
    Ingest {
        /// Rebuild everything, also over a damaged index directory.
        #[arg(long)]
        full: bool,
    },
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
            CliCommand::Ingest { full } => (Command::Ingest(IngestOptions { full }), false),
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
        };
        Config {
            paths,
            output: OutputStyle { json, color },
            command,
        }
    }
}
