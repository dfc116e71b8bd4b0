//! `citeseek eval`: index a BEIR corpus with the guide index's analysis, run every judged query
//! through the ranking `search` uses, and score the run with [`crate::eval`]'s metrics.
//!
//! Each BEIR document becomes one passage (title → the passage title, text → the body) of kind
//! `reference`, written by [`IndexDir::begin_full`] like a guide index. Queries go through
//! [`search::build_query`] and [`search::ranked_addresses`], so what is measured is exactly what
//! `search` ranks; only the stored-document loading and snippets that `search` adds for display
//! are left out. The index is merged into one segment after it is built, and the query phase
//! is timed like the bm25s baseline: an untimed warm-up pass, then the median of `--repeat`
//! passes of query analysis and ranking; passage addresses become BEIR ids after the clock.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tantivy::schema::Value;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use crate::embed;
use crate::eval::{self, BeirDoc, BeirQuery, EvalError, Malformed, Metrics, Qrels, Run};
use crate::hybrid::{self, embedding_query, RankMode, SemanticQuery, DENSE_WEIGHT};
use crate::index::{IndexDir, IndexError, Marker, OpenIndex, Stats};
use crate::link::CitedPassage;
use crate::passage::{Kind, Passage};
use crate::references::ReferenceList;
use crate::search::{self, QueryError, SearchRequest};
use crate::synonyms::Synonyms;
use crate::vectors::build::Job;

/// Results kept per query (the depth of Recall@100 and of `--run` files).
pub const RUN_DEPTH: usize = 100;

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct EvalRequest {
    /// BEIR corpus (`corpus.jsonl`); `None` when the user gave no `--corpus`.
    pub corpus: Option<PathBuf>,
    pub queries: PathBuf,
    pub qrels: PathBuf,
    /// nDCG / MRR cutoff besides the fixed @10 figures.
    pub k: usize,
    /// Where to write a TREC run file.
    pub run: Option<PathBuf>,
    /// Index directory to build and keep; a temporary one when `None`.
    pub index: Option<PathBuf>,
    /// Times to run the query phase; the median time gives the QPS.
    pub repeat: usize,
    /// The ranking (`None`: hybrid with a model, lexical without).
    pub mode: Option<crate::hybrid::RankMode>,
    /// The model to embed passages and queries with (hybrid and semantic modes).
    pub embedder: Option<std::sync::Arc<embed::Embedder>>,
    /// The cosine's weight in hybrid mode (`None`: [`DENSE_WEIGHT`]); for tuning runs.
    pub weight: Option<f32>,
}

/// Errors of an evaluation run, each saying which file is at fault and what to do.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(
        "eval needs a BEIR corpus file: pass --corpus corpus.jsonl (JSON lines with \"_id\", \
         \"title\", \"text\")"
    )]
    NoCorpus,
    #[error(
        "{} is a directory: eval's --corpus is a BEIR corpus.jsonl file, not a guide corpus \
         directory",
        .0.display()
    )]
    CorpusIsDirectory(PathBuf),
    #[error(
        "{} holds an index of {}, not of {}: pass an empty or new --index directory for eval",
        .dir.display(), .built_from.display(), .corpus.display()
    )]
    IndexInUse {
        dir: PathBuf,
        built_from: PathBuf,
        corpus: PathBuf,
    },
    #[error("the corpus {} has no documents", .0.display())]
    EmptyCorpus(PathBuf),
    #[error("no query in {} has a relevance judgement in {}: check that the queries and qrels \
             are of the same split", .queries.display(), .qrels.display())]
    NoJudgedQueries { queries: PathBuf, qrels: PathBuf },
    #[error(transparent)]
    Eval(#[from] EvalError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("search failed")]
    Search(#[from] QueryError),
    #[error(
        "--mode {0} ranks by meaning, which needs the embedding model, and none is installed: \
         run `citeseek model import PATH` or `citeseek model fetch`, or pass --model DIR"
    )]
    NoModel(&'static str),
    #[error(transparent)]
    Model(#[from] crate::embed::ModelError),
    #[error("cannot create a temporary index directory")]
    Temp(#[source] std::io::Error),
}

/// The outcome of an evaluation.
#[derive(Debug, Clone)]
pub struct EvalReport {
    /// Metrics at the standard cutoff 10.
    pub at10: Metrics,
    /// Metrics at the requested `k` (equal to `at10` when `k` is 10).
    pub at_k: Metrics,
    /// Judged queries run per second in the query phase (one thread; median of the repeats).
    pub qps: f64,
    /// Median time of one query phase.
    pub query_seconds: f64,
    /// How many times the query phase ran.
    pub repeat: usize,
    /// Reading the corpus and building the index.
    pub index_seconds: f64,
    pub documents: usize,
    /// Queries without a relevance judgement, not run.
    pub unjudged: usize,
    /// Judged queries the query parser could not use (e.g. only stop words): scored 0.
    pub unusable: usize,
    /// Malformed query lines, skipped.
    pub warnings: Vec<Malformed>,
    /// The run, for `--run`.
    pub run: Run,
    /// The index directory when kept.
    pub index: Option<PathBuf>,
    /// How the queries were ranked.
    pub mode: RankMode,
    /// Passages embedded while indexing (0 when their vectors were kept from a run before).
    pub embedded: usize,
    /// Seconds spent embedding the queries (before the timed passes).
    pub embed_seconds: f64,
}

/// Run an evaluation.
pub fn evaluate(req: &EvalRequest) -> Result<EvalReport, BenchError> {
    let corpus = req.corpus.as_deref().ok_or(BenchError::NoCorpus)?;
    if corpus.is_dir() {
        return Err(BenchError::CorpusIsDirectory(corpus.to_path_buf()));
    }
    // Read the small files first so their mistakes show before a long indexing step.
    let (queries, warnings) = eval::read_queries(&req.queries)?;
    let qrels = eval::read_qrels(&req.qrels)?;
    let judged: Vec<_> = queries
        .iter()
        .filter(|q| has_relevant(&qrels, &q.id))
        .collect();
    if judged.is_empty() {
        return Err(BenchError::NoJudgedQueries {
            queries: req.queries.clone(),
            qrels: req.qrels.clone(),
        });
    }

    let start = Instant::now();
    let docs = eval::read_corpus(corpus)?;
    if docs.is_empty() {
        return Err(BenchError::EmptyCorpus(corpus.to_path_buf()));
    }
    let tmp;
    let dir = match &req.index {
        Some(dir) => dir.clone(),
        None => {
            tmp = tempfile::Builder::new()
                .prefix("citeseek-eval-")
                .tempdir()
                .map_err(BenchError::Temp)?;
            tmp.path().join("index")
        }
    };
    let mode = match (req.mode, &req.embedder) {
        (Some(m), _) => m,
        (None, Some(_)) => RankMode::Hybrid,
        (None, None) => RankMode::Lexical,
    };
    let embedder = req.embedder.clone().filter(|_| mode != RankMode::Lexical);
    if mode != RankMode::Lexical && embedder.is_none() {
        return Err(BenchError::NoModel(mode.as_str()));
    }
    let job = Job {
        embedder: embedder.clone(),
        progress: true,
        ..Job::default()
    };
    let index = build_index(&dir, corpus, &docs, &job)?;
    let ids = beir_ids(&index)?;
    let index_seconds = start.elapsed().as_secs_f64();
    let embedded = index.marker.vectors.as_ref().map_or(0, |v| v.embedded);

    // The queries' vectors, once, outside the timed passes (their time is reported apart).
    let embed_start = Instant::now();
    let semantic: Vec<Option<SemanticQuery>> = match &embedder {
        Some(e) => {
            let texts: Vec<String> = judged.iter().map(|q| embedding_query(&q.text)).collect();
            let strs: Vec<&str> = texts.iter().map(String::as_str).collect();
            e.embed(&strs, &mut |_| {})?
                .into_iter()
                .map(|v| {
                    Some(SemanticQuery {
                        mode,
                        vector: v.into(),
                        model: e.info().identity.clone(),
                        weight: req.weight.unwrap_or(DENSE_WEIGHT),
                    })
                })
                .collect()
        }
        None => vec![None; judged.len()],
    };
    let embed_seconds = embed_start.elapsed().as_secs_f64();

    let searcher = index.reader.searcher();
    let limit = RUN_DEPTH.max(req.k);
    // Timed like the bm25s baseline: one untimed warm-up pass, then the median of the timed
    // passes; a pass is query analysis plus ranking, and passage ids become BEIR ids after it.
    let mut ranked = rank_queries(&index, &searcher, &judged, &semantic, limit)?;
    let mut timings = Vec::with_capacity(req.repeat.max(1));
    for _ in 0..req.repeat.max(1) {
        let start = Instant::now();
        ranked = rank_queries(&index, &searcher, &judged, &semantic, limit)?;
        timings.push(start.elapsed().as_secs_f64());
    }
    timings.sort_by(f64::total_cmp);
    let query_seconds = timings[timings.len() / 2];
    let mut unusable = 0;
    let mut run = Run::with_capacity(judged.len());
    for (q, results) in judged.iter().zip(ranked) {
        let Some(results) = results else {
            unusable += 1;
            run.insert(q.id.clone(), Vec::new());
            continue;
        };
        let results = results
            .into_iter()
            .filter_map(|(score, addr)| {
                let id = ids
                    .get(addr.segment_ord as usize)?
                    .get(addr.doc_id as usize)?;
                Some((id.clone(), score))
            })
            .collect();
        run.insert(q.id.clone(), results);
    }
    let at10 = eval::evaluate(&run, &only(&qrels, &judged), 10);
    let at_k = if req.k == 10 {
        at10
    } else {
        eval::evaluate(&run, &only(&qrels, &judged), req.k)
    };
    Ok(EvalReport {
        at10,
        at_k,
        qps: judged.len() as f64 / query_seconds.max(1e-9),
        query_seconds,
        repeat: timings.len(),
        index_seconds,
        documents: docs.len(),
        unjudged: queries.len() - judged.len(),
        unusable,
        warnings,
        run,
        index: req.index.clone(),
        mode,
        embedded,
        embed_seconds,
    })
}

/// One query's ranking: `(score, passage address)`, best first.
type Ranked = Vec<(f32, DocAddress)>;

/// The query phase: every judged query through the search ranking, one thread. `None` for a
/// query with no searchable word.
fn rank_queries(
    index: &OpenIndex,
    searcher: &Searcher,
    judged: &[&BeirQuery],
    semantic: &[Option<SemanticQuery>],
    limit: usize,
) -> Result<Vec<Option<Ranked>>, BenchError> {
    let mut out = Vec::with_capacity(judged.len());
    let no_synonyms = Synonyms::default();
    for (q, sem) in judged.iter().zip(semantic) {
        let request = SearchRequest {
            query: q.text.clone(),
            limit,
            kind: None,
            cites: None,
            semantic: None,
        };
        // BEIR data sets come without a synonym file.
        let built = match search::build_query(
            searcher,
            &index.fields,
            &request,
            &no_synonyms,
            &index.caches,
        ) {
            Ok(b) => b,
            Err(QueryError::Engine(e)) => return Err(QueryError::Engine(e).into()),
            Err(_) => {
                out.push(None);
                continue;
            }
        };
        // Lexical runs rank exactly as before hybrid ranking existed, without converting rows.
        let ranked = match SemanticQuery::resolve(sem.as_ref(), index.vectors.as_ref()) {
            (mode, Some(sem)) => {
                hybrid::rank(searcher, &index.fields, &built, mode, Some(sem), limit)?
                    .into_iter()
                    .map(|r| (r.score, r.addr))
                    .collect()
            }
            (_, None) => search::ranked_addresses(searcher, &index.fields, &built, limit)?,
        };
        out.push(Some(ranked));
    }
    Ok(out)
}

fn has_relevant(qrels: &Qrels, qid: &str) -> bool {
    qrels.get(qid).is_some_and(|j| j.values().any(|&g| g > 0))
}

/// The judgements of the queries that were run: a judged query missing from the queries file
/// is not counted against the ranking.
fn only(qrels: &Qrels, judged: &[&BeirQuery]) -> Qrels {
    judged
        .iter()
        .filter_map(|q| qrels.get(&q.id).map(|j| (q.id.clone(), j.clone())))
        .collect()
}

/// A BEIR document as the one passage the index holds for it.
pub fn doc_passage(doc: &BeirDoc, path: &str, line: usize) -> CitedPassage {
    CitedPassage {
        passage: Passage {
            id: doc.id.clone(),
            kind: Kind::Reference,
            doc: doc.id.clone(),
            title: doc.title.clone(),
            section: Vec::new(),
            text: doc.text.clone(),
            alt: String::new(),
            path: path.to_string(),
            line,
            url: None,
            links: Vec::new(),
        },
        citations: Vec::new(),
        unlisted: Vec::new(),
    }
}

/// Build (or rebuild) the eval index in `dir`, refusing a directory that holds an index of
/// something else (a guide index must never be overwritten by an eval run).
fn build_index(
    dir: &Path,
    corpus: &Path,
    docs: &[BeirDoc],
    vectors: &Job,
) -> Result<OpenIndex, BenchError> {
    let index_dir = IndexDir::new(dir);
    let canonical = fs::canonicalize(corpus).unwrap_or_else(|_| corpus.to_path_buf());
    match index_dir.read_marker() {
        Ok(Some(marker)) if marker.corpus != canonical => {
            return Err(BenchError::IndexInUse {
                dir: dir.to_path_buf(),
                built_from: marker.corpus,
                corpus: canonical,
            })
        }
        Ok(_) => {}
        Err(e) => return Err(e.into()),
    }
    let path = corpus.to_string_lossy();
    let passages: Vec<CitedPassage> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| doc_passage(d, &path, i + 1))
        .collect();
    let marker = Marker {
        stats: Stats {
            documents: docs.len(),
            passages: passages.len(),
            references: 0,
            citations: 0,
            text_bytes: passages.iter().map(|p| p.passage.text.len() as u64).sum(),
        },
        ..Marker::new(canonical)
    };
    let lock = index_dir.lock(Duration::from_secs(10))?;
    let write = index_dir.begin_full(&lock, false, marker.stats.text_bytes)?;
    write.add_all(&passages)?;
    write.finish(
        &index_dir,
        &lock,
        &ReferenceList::default(),
        marker,
        vectors,
    )?;
    let index = index_dir.open()?;
    merge_segments(&index)?;
    drop(lock);
    Ok(index_dir.open()?)
}

/// Merge the freshly built index into one segment: queries then look every term up once,
/// not once per indexing thread's segment (what a benchmark of a static corpus should do).
fn merge_segments(index: &OpenIndex) -> Result<(), BenchError> {
    let tantivy_err = |source| IndexError::Tantivy {
        dir: index.generation_dir.clone(),
        source,
    };
    let segments = index.index.searchable_segment_ids().map_err(tantivy_err)?;
    if segments.len() < 2 {
        return Ok(());
    }
    let mut writer = index
        .index
        .writer_with_num_threads::<TantivyDocument>(1, 50_000_000)
        .map_err(tantivy_err)?;
    writer.merge(&segments).wait().map_err(tantivy_err)?;
    writer.wait_merging_threads().map_err(tantivy_err)?;
    Ok(())
}

/// BEIR id of every passage, by segment and document id, read once from the stored `id`
/// field so the timed loop only indexes into vectors.
fn beir_ids(index: &OpenIndex) -> Result<Vec<Vec<String>>, BenchError> {
    let searcher = index.reader.searcher();
    let mut ids = Vec::new();
    for segment in searcher.segment_readers() {
        let store = segment
            .get_store_reader(64)
            .map_err(|e| QueryError::Engine(e.into()))?;
        let mut segment_ids = Vec::with_capacity(segment.max_doc() as usize);
        for doc_id in 0..segment.max_doc() {
            let doc: TantivyDocument = store.get(doc_id).map_err(QueryError::Engine)?;
            let id = doc
                .get_first(index.fields.id)
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            segment_ids.push(id.to_string());
        }
        ids.push(segment_ids);
    }
    Ok(ids)
}
