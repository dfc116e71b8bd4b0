//! Running a command: ties the pipeline stages together for each subcommand and reports
//! whether anything was found (for the exit status).

use std::io::Write;

use anyhow::{Context, Result};

use crate::benchmark::{self, EvalRequest};
use crate::config::{Command, Config, OutputStyle, Paths};
use crate::eval;
use crate::index::{IndexDir, IndexError, OpenIndex};
use crate::ingest::{self, IngestOptions};
use crate::render;
use crate::search;

/// What a successful run found: `Found` exits 0, `NothingFound` exits 1 (like grep).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Found,
    NothingFound,
}

/// Run a resolved configuration, writing results to `out` and notes to stderr.
pub fn run<W: Write>(config: &Config, out: &mut W) -> Result<Outcome> {
    match &config.command {
        Command::Ingest(opts) => {
            run_ingest(&config.paths, opts)?;
            Ok(Outcome::Found)
        }
        Command::Search(req) => {
            let index = open_or_build(&config.paths)?;
            let hits = search::search(&index, req)?;
            render::search(out, &req.query, &hits, &config.paths.corpus, config.output)
                .context("cannot write the results")?;
            Ok(if hits.is_empty() {
                Outcome::NothingFound
            } else {
                Outcome::Found
            })
        }
        Command::Eval(req) => {
            run_eval(req, config.output, out)?;
            Ok(Outcome::Found)
        }
    }
}

fn run_eval<W: Write>(req: &EvalRequest, style: OutputStyle, out: &mut W) -> Result<()> {
    let report = benchmark::evaluate(req).context("cannot run the evaluation")?;
    for w in &report.warnings {
        eprintln!(
            "citeseek: warning: {}: line skipped",
            render::sanitize(&w.to_string())
        );
    }
    if let Some(path) = &req.run {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create the run file {}", path.display()))?;
        eval::write_trec_run(
            std::io::BufWriter::new(file),
            &report.run,
            "citeseek",
            benchmark::RUN_DEPTH,
        )
        .with_context(|| format!("cannot write the run file {}", path.display()))?;
    }
    render::eval(out, &report, style).context("cannot write the results")?;
    Ok(())
}

fn run_ingest(paths: &Paths, opts: &IngestOptions) -> Result<()> {
    let index = IndexDir::new(&paths.index);
    let report = ingest::ingest(&paths.corpus, &index, opts).with_context(|| {
        format!(
            "cannot index {} into {}",
            paths.corpus.display(),
            paths.index.display()
        )
    })?;
    for w in &report.warnings {
        eprintln!("citeseek: warning: {}", render::sanitize(w));
    }
    eprintln!("citeseek: {}", report.summary());
    Ok(())
}

/// Open the index, building it first when there is none yet or when it was built by another
/// schema version. A damaged or foreign index is an error that says how to fix it.
pub fn open_or_build(paths: &Paths) -> Result<OpenIndex> {
    let dir = IndexDir::new(&paths.index);
    match dir.open() {
        Ok(index) => return Ok(index),
        Err(IndexError::Missing { .. }) => eprintln!(
            "citeseek: no index in {} yet; building it from {}",
            paths.index.display(),
            paths.corpus.display()
        ),
        Err(IndexError::SchemaMismatch { found, expected, .. }) => eprintln!(
            "citeseek: the index in {} has schema {found}, this version uses {expected}; rebuilding it",
            paths.index.display()
        ),
        Err(e) => return Err(e.into()),
    }
    run_ingest(paths, &IngestOptions::default())?;
    Ok(dir.open()?)
}
