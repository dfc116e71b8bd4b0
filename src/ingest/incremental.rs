//! An incremental ingest: the passages of changed and removed files removed from a
//! generation begun from the current one, those of changed and added files added.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::plan::refresh_times;
use super::record::{record_passages, stats_of};
use super::source::{
    guide_page, read_file, record_passage, reference_file_content, Page, RefContent,
};
use super::{Changes, IngestError, IngestReport, Mode, Run};
use crate::corpus;
use crate::extract::repeat::{self, SiteCounts, SitePages};
use crate::index::{DocKey, FileEntry, Marker};
use crate::link;
use crate::passage::{Kind, Passage};

/// Give an up-to-date index the vectors it lacks: a new generation with the same passages.
pub(super) fn embed_only(
    run: &Run,
    mut marker: Marker,
    changes: Changes,
    vectors: &crate::vectors::build::Job,
) -> Result<IngestReport, IngestError> {
    let (index, lock) = (run.index, run.lock);
    index.load_manifest(&mut marker)?;
    let refs = index.open()?.references()?;
    let write = index.begin_update(lock, &marker.generation)?;
    let marker = write.finish(index, lock, &refs, marker, vectors)?;
    let embedded = marker.vectors.as_ref().map_or(0, |v| v.embedded);
    Ok(same_passages(
        run,
        Mode::Incremental,
        changes,
        marker,
        embedded,
    ))
}

/// Nothing to index: the times of touched files recorded (so the next check is stat-only),
/// no index work.
pub(super) fn up_to_date(
    run: &Run,
    mut marker: Marker,
    changes: Changes,
) -> Result<IngestReport, IngestError> {
    if !changes.touched.is_empty() {
        // Same content, new times: remember them so the next check is stat-only.
        refresh_times(run.corpus, &mut marker, &changes.touched);
        run.index.write_marker(run.lock, &marker)?;
    }
    Ok(same_passages(run, Mode::UpToDate, changes, marker, 0))
}

/// The report of a run that extracted nothing and kept every passage.
fn same_passages(
    run: &Run,
    mode: Mode,
    changes: Changes,
    marker: Marker,
    embedded: usize,
) -> IngestReport {
    IngestReport {
        mode,
        full_reason: None,
        changes,
        reextracted: 0,
        passages_added: 0,
        passages_removed: 0,
        guides: stats_of(&marker.files, marker.stats.references).1,
        stats: marker.stats,
        elapsed: run.start.elapsed(),
        warnings: Vec::new(),
        embedded,
    }
}

/// Apply `changes` to the current generation: delete the passages of changed and removed
/// files, extract changed and added files, commit once into a new generation.
pub(super) fn incremental(
    run: &Run,
    mut current: Marker,
    changes: Changes,
    vectors: &crate::vectors::build::Job,
) -> Result<IngestReport, IngestError> {
    let (corpus, index, lock) = (run.corpus, run.index, run.lock);
    let refs = run.references.list()?;
    let mut files: BTreeMap<String, FileEntry> = std::mem::take(&mut current.files)
        .into_iter()
        .map(|f| (f.path.clone(), f))
        .collect();
    let records_of = corpus
        .references
        .as_ref()
        .map(|p| corpus::rel_path(&corpus.root, p));
    let mut deletes: Vec<DocKey> = Vec::new();
    let mut passages: Vec<Passage> = Vec::new();
    let mut warnings = corpus.skipped.clone();
    let mut removed = 0;
    let mut reextracted = 0;
    // The site counts before the update, and the sites whose counts it changes.
    let mut blocks = std::mem::take(&mut current.blocks);
    let counts_before = SiteCounts::of(&blocks);
    let mut sites: BTreeSet<String> = BTreeSet::new();
    let mut pending: Vec<Page> = Vec::new();

    for rel in &changes.removed {
        sites.extend(blocks.pages.remove(rel).map(|b| b.site));
        let Some(old) = files.remove(rel) else {
            continue;
        };
        let kind = kind_of(rel);
        let doc = old.doc.clone();
        let key = DocKey {
            kind,
            doc: doc.clone(),
        };
        removed += forget(&mut files, records_of.as_deref(), &key, Some(old));
        deletes.push(key);
        if kind == Kind::Reference {
            // The reference is still listed (references.json did not change): back to its record.
            if let Some(r) = refs.get(&doc) {
                passages.extend(record_passage(r, run.references));
            }
        }
    }
    let mut todo: Vec<String> = changes
        .changed
        .iter()
        .chain(&changes.added)
        .cloned()
        .collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    // Once for the changed and added files, then for the unchanged ones that crossed.
    loop {
        for rel in &todo {
            done.insert(rel.clone());
            sites.extend(blocks.pages.remove(rel).map(|b| b.site));
            let old = files.remove(rel);
            if let Some(old) = old {
                let key = DocKey {
                    kind: kind_of(rel),
                    doc: old.doc.clone(),
                };
                removed += forget(&mut files, records_of.as_deref(), &key, Some(old));
                deletes.push(key);
            }
            reextracted += 1;
            match kind_of(rel) {
                Kind::Guide => {
                    let Some(file) = corpus.guides.iter().find(|g| &g.rel == rel) else {
                        continue;
                    };
                    // Passages a previous, interrupted run may have left under the new id.
                    deletes.push(DocKey {
                        kind: Kind::Guide,
                        doc: file.doc_id.clone(),
                    });
                    match read_file(&corpus.root, &file.path) {
                        Ok((text, mut entry)) => {
                            let (page, unsure) = guide_page(file, &text);
                            pending.push(page);
                            warnings.extend(unsure);
                            entry.doc = file.doc_id.clone();
                            files.insert(rel.clone(), entry);
                        }
                        Err((reason, entry)) => {
                            warnings.push(format!("skipped {}: {reason}", file.path.display()));
                            if let Some(e) = entry {
                                files.insert(
                                    rel.clone(),
                                    FileEntry {
                                        doc: file.doc_id.clone(),
                                        ..*e
                                    },
                                );
                            }
                        }
                    }
                }
                Kind::Reference => {
                    let id = snapshot_id(rel);
                    let Some(r) = refs.get(id) else {
                        continue;
                    };
                    let key = DocKey {
                        kind: Kind::Reference,
                        doc: r.id.clone(),
                    };
                    removed += forget(&mut files, records_of.as_deref(), &key, None);
                    deletes.push(key);
                    let (content, warning, entry) =
                        reference_file_content(corpus, run.references, r);
                    match content {
                        RefContent::Page(page) => pending.push(*page),
                        RefContent::Record(new) => passages.extend(new),
                    }
                    warnings.extend(warning);
                    if let Some(e) = entry {
                        files.insert(rel.clone(), e);
                    }
                }
            }
        }
        // The pages just extracted count for their sites; unchanged pages of those sites that hold
        // a block now over the threshold, or no longer over it, are extracted again.
        for page in &pending {
            if !blocks.pages.contains_key(&page.path) {
                if let Some(counted) = repeat::page_blocks(&page.doc) {
                    sites.insert(counted.site.clone());
                    blocks.pages.insert(page.path.clone(), counted);
                }
            }
        }
        todo = crossed(&counts_before, &blocks, &sites, &done);
        if todo.is_empty() {
            break;
        }
    }
    deletes.dedup();
    let counts = SiteCounts::of(&blocks);
    passages.extend(
        pending
            .into_par_iter()
            .flat_map_iter(|p| p.passages(&counts))
            .collect::<Vec<_>>(),
    );

    let cited = link::link_passages(passages, &refs);
    let mut files: Vec<FileEntry> = files.into_values().collect();
    let before: usize = files.iter().map(FileEntry::passage_count).sum();
    record_passages(&mut files, &cited);
    let added = files.iter().map(FileEntry::passage_count).sum::<usize>() - before;
    let (stats, guides) = stats_of(&files, refs.refs.len());
    let write = index.begin_update(lock, &current.generation)?;
    write.remove(&deletes)?;
    write.add_all(&cited)?;
    let marker = Marker {
        stats: stats.clone(),
        files,
        blocks,
        ..current
    };
    let marker = write.finish(index, lock, &refs, marker, vectors)?;
    let embedded = marker.vectors.as_ref().map_or(0, |v| v.embedded);
    Ok(IngestReport {
        mode: Mode::Incremental,
        full_reason: None,
        changes,
        reextracted,
        passages_added: added,
        passages_removed: removed,
        stats,
        guides,
        elapsed: run.start.elapsed(),
        warnings,
        embedded,
    })
}

/// The pages of `sites` not yet `done` that hold a block repeated before but not with
/// `blocks`' counts, or the other way round: they extract differently now.
fn crossed(
    before: &SiteCounts,
    blocks: &SitePages,
    sites: &BTreeSet<String>,
    done: &BTreeSet<String>,
) -> Vec<String> {
    let after = SiteCounts::of(blocks);
    let flipped: FxHashMap<&str, FxHashSet<u64>> = sites
        .iter()
        .map(|s| (s.as_str(), before.flipped(&after, s)))
        .filter(|(_, f)| !f.is_empty())
        .collect();
    if flipped.is_empty() {
        return Vec::new();
    }
    blocks
        .pages
        .iter()
        .filter(|(path, page)| {
            !done.contains(*path)
                && flipped
                    .get(page.site.as_str())
                    .is_some_and(|f| page.prints.iter().any(|p| f.contains(p)))
        })
        .map(|(path, _)| path.clone())
        .collect()
}

/// Forget what a file contributed to the manifest: its passages, and for a reference its
/// record passage (listed under references.json). Returns how many passages that was.
fn forget(
    files: &mut BTreeMap<String, FileEntry>,
    records_of: Option<&str>,
    key: &DocKey,
    old: Option<FileEntry>,
) -> usize {
    let mut removed = old.map_or(0, |e| e.passage_count());
    if key.kind == Kind::Reference {
        let record = format!("{}#record/1", key.doc);
        if let Some(entry) = records_of.and_then(|r| files.get_mut(r)) {
            let ids = entry.passages_mut();
            let before = ids.len();
            ids.retain(|p| p != &record);
            removed += before - ids.len();
        }
    }
    removed
}

/// The kind of passages a corpus file holds, by where it lives.
fn kind_of(rel: &str) -> Kind {
    if rel.starts_with("guide/") {
        Kind::Guide
    } else {
        Kind::Reference
    }
}

/// `references/<id>.html` → `<id>`.
fn snapshot_id(rel: &str) -> &str {
    let name = rel.strip_prefix("references/").unwrap_or(rel);
    name.strip_suffix(".html").unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_known_by_where_it_lives() {
        assert_eq!(kind_of("guide/a.md"), Kind::Guide);
        assert_eq!(kind_of("references/r1.html"), Kind::Reference);
        assert_eq!(snapshot_id("references/r1.html"), "r1");
        assert_eq!(snapshot_id("references/a.b.html"), "a.b");
    }

    #[test]
    fn forgetting_a_reference_drops_its_record_passage_from_references_json() {
        let entry = |path: &str, passages: &[&str]| FileEntry {
            path: path.into(),
            size: 1,
            mtime_ns: 1,
            passages: passages.iter().map(|p| p.to_string()).collect(),
            ..FileEntry::default()
        };
        let mut files: BTreeMap<String, FileEntry> = BTreeMap::new();
        files.insert(
            "references.json".into(),
            entry("references.json", &["r1#record/1", "r2#record/1"]),
        );
        let key = DocKey {
            kind: Kind::Reference,
            doc: "r1".into(),
        };
        let old = entry("references/r1.html", &["r1#a/1", "r1#b/1"]);
        let removed = forget(&mut files, Some("references.json"), &key, Some(old));
        assert_eq!(removed, 3);
        assert_eq!(files["references.json"].passages, ["r2#record/1"]);
        // A guide has no record passage.
        let guide = DocKey {
            kind: Kind::Guide,
            doc: "r2".into(),
        };
        assert_eq!(forget(&mut files, Some("references.json"), &guide, None), 0);
        assert_eq!(files["references.json"].passages.len(), 1);
    }
}
