//! A full ingest: every corpus file extracted into a generation begun from scratch.

use std::fs;
use std::path::Path;

use rayon::prelude::*;

use super::plan::{canonical, confirm, stat_diff};
use super::record::{record_passages, reference_ids, stats_of};
use super::source::{guide_page, read_file, reference_file_content, Page, RefContent};
use super::{Changes, IngestError, IngestOptions, IngestReport, Mode, Run};
use crate::corpus::{Corpus, SourceFile};
use crate::extract::repeat::{self, SiteCounts, SitePages};
use crate::index::{FileEntry, Generation, IndexError, Marker, StatEntry};
use crate::link::Linker;
use crate::passage::{Kind, Passage};
use crate::references::ReferenceList;

/// About how many bytes a full build reads, to size its index writer: guide files are stat'ed
/// only until the total passes [`crate::index::ONE_THREAD_BELOW_BYTES`].
fn source_bytes(corpus: &Corpus) -> u64 {
    let size = |path: &Path| fs::metadata(path).map_or(0, |m| m.len());
    let mut bytes = corpus.references.as_deref().map_or(0, size);
    for guide in &corpus.guides {
        if bytes >= crate::index::ONE_THREAD_BELOW_BYTES {
            break;
        }
        bytes += size(&guide.path);
    }
    bytes
}

/// Build a new generation from every corpus file and make it current. `reason` says why when
/// it was not asked for; `previous` is the current marker, when readable.
pub(super) fn full(
    run: &Run,
    opts: &IngestOptions,
    reason: Option<String>,
    previous: Option<Marker>,
) -> Result<IngestReport, IngestError> {
    let (index, lock) = (run.index, run.lock);
    let references = run.references.list()?;
    let mut corpus = run.corpus.clone();
    corpus.reserve_ids(&reference_ids(&references));
    let corpus = &corpus;
    let linker = Linker::new(&references);
    let changes = match &previous {
        Some(m) if m.corpus == canonical(&corpus.root) => {
            let known: Vec<StatEntry> = m.files.iter().map(StatEntry::from).collect();
            confirm(
                corpus,
                run.references,
                m,
                stat_diff(corpus, &known, &m.reference_ids),
            )
        }
        _ => Changes::default(),
    };
    // A full rebuild over a damaged index must not be refused for the damage.
    let force = opts.full || previous.is_none();
    let write = index.begin_full(lock, force, source_bytes(corpus))?;

    // Guides stream through the pipeline in parallel, each file read, extracted, split, linked
    // and handed to the index writer on its own: memory holds a few documents, not the corpus.
    let guides: Vec<Result<GuideResult, IndexError>> = corpus
        .guides
        .par_iter()
        .map(|file| index_guide(corpus, file, &linker, &write))
        .collect();
    let mut files = Vec::with_capacity(corpus.guides.len() + references.refs.len() + 1);
    let mut warnings = corpus.skipped.clone();
    if corpus.guides.is_empty() {
        warnings.push(format!(
            "no guide files (.html, .md, .txt) under {}",
            corpus.root.join("guide").display()
        ));
    }
    if corpus.references.is_none() {
        warnings.push(format!(
            "no references.json in {}: nothing can be cited",
            corpus.root.display()
        ));
    }
    let mut indexed_guides = 0;
    let mut added = 0;
    // Pages whose blocks count for their site wait for all the counts (see `extract::repeat`).
    let mut blocks = SitePages::default();
    let mut held: Vec<Page> = Vec::new();
    let mut hold = |page: Page, blocks: &mut SitePages| match repeat::page_blocks(&page.doc) {
        Some(counted) => {
            blocks.pages.insert(page.path.clone(), counted);
            held.push(page);
            None
        }
        None => Some(page),
    };
    for g in guides {
        let g = g?;
        indexed_guides += usize::from(g.indexed);
        added += g.entry.as_ref().map_or(0, FileEntry::passage_count);
        files.extend(g.entry);
        warnings.extend(g.warning);
        if let Some(page) = g.held {
            hold(page, &mut blocks);
        }
    }

    // References: each snapshot's passages, or one from the record; the record passages are
    // listed under references.json in the manifest.
    let mut reference_files: Vec<FileEntry> = run.references.entry().into_iter().collect();
    let per_reference: Vec<(RefContent, Option<String>, Option<FileEntry>)> = references
        .refs
        .par_iter()
        .map(|r| reference_file_content(corpus, run.references, r))
        .collect();
    let mut passages = Vec::new();
    for (content, warning, entry) in per_reference {
        match content {
            RefContent::Record(new) => passages.extend(new),
            RefContent::Page(page) => passages.extend(
                hold(*page, &mut blocks)
                    .map(Page::split)
                    .into_iter()
                    .flatten(),
            ),
        }
        warnings.extend(warning);
        reference_files.extend(entry);
    }
    // The held pages, now that every site's counts are known.
    let counts = SiteCounts::of(&blocks);
    let (held_refs, held_guides): (Vec<Page>, Vec<Page>) =
        held.into_iter().partition(|p| p.kind == Kind::Reference);
    let split_all = |pages: Vec<Page>| -> Vec<Passage> {
        pages
            .into_par_iter()
            .flat_map_iter(|p| p.passages(&counts))
            .collect()
    };
    passages.extend(split_all(held_refs));
    let cited = linker.link(passages);
    write.add_all(&cited)?;
    added += cited.len();
    record_passages(&mut reference_files, &cited);
    files.extend(reference_files);
    let cited = linker.link(split_all(held_guides));
    write.add_all(&cited)?;
    added += cited.len();
    record_passages(&mut files, &cited);

    let (stats, guides) = stats_of(&files, references.refs.len());
    let marker = Marker {
        stats: stats.clone(),
        reference_ids: reference_ids(&references),
        files,
        blocks,
        ..Marker::new(canonical(&corpus.root))
    };
    let marker = write.finish(index, lock, &references, marker, &opts.vectors)?;
    let embedded = marker.vectors.as_ref().map_or(0, |v| v.embedded);
    Ok(IngestReport {
        mode: Mode::Full,
        full_reason: reason,
        changes,
        reextracted: indexed_guides + corpus_snapshot_count(&references, corpus),
        passages_added: added,
        passages_removed: previous.map_or(0, |m| m.stats.passages),
        stats,
        guides,
        elapsed: run.start.elapsed(),
        warnings,
        embedded,
    })
}

/// What indexing one guide file left for the manifest and the report.
struct GuideResult {
    entry: Option<FileEntry>,
    warning: Option<String>,
    indexed: bool,
    /// A page whose blocks count for its site: split (and its entry given its passages) once
    /// every page is counted.
    held: Option<Page>,
}

/// Read, extract, split and link one guide, and add its passages to the index.
fn index_guide(
    corpus: &Corpus,
    file: &SourceFile,
    linker: &Linker,
    write: &Generation,
) -> Result<GuideResult, IndexError> {
    match read_file(&corpus.root, &file.path) {
        Ok((text, mut entry)) => {
            let (page, unsure) = guide_page(file, &text);
            entry.doc = file.doc_id.clone();
            if repeat::page_blocks(&page.doc).is_some() {
                return Ok(GuideResult {
                    entry: Some(entry),
                    warning: unsure,
                    indexed: true,
                    held: Some(page),
                });
            }
            let cited = linker.link(page.split());
            write.add_all(&cited)?;
            entry.citations = cited.iter().map(|p| p.direct_ids().count()).sum();
            entry.text_bytes = cited.iter().map(|p| p.passage.text.len() as u64).sum();
            entry.passages = cited.into_iter().map(|p| p.passage.id).collect();
            Ok(GuideResult {
                entry: Some(entry),
                warning: unsure,
                indexed: true,
                held: None,
            })
        }
        Err((reason, entry)) => Ok(GuideResult {
            entry: entry.map(|e| FileEntry {
                doc: file.doc_id.clone(),
                ..*e
            }),
            warning: Some(format!("skipped {}: {reason}", file.path.display())),
            indexed: false,
            held: None,
        }),
    }
}

fn corpus_snapshot_count(refs: &ReferenceList, corpus: &Corpus) -> usize {
    refs.refs
        .iter()
        .filter(|r| corpus.snapshot(&r.id).is_some())
        .count()
}
