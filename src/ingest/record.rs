//! What the manifest records of the passages an ingest made: each file's passage ids,
//! citations and text bytes, and the stats of the whole index.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::index::{FileEntry, Stats};
use crate::link::CitedPassage;
use crate::passage::Kind;
use crate::references::ReferenceList;

/// Add each passage's id (and direct citations) to the manifest entry of its file.
pub(super) fn record_passages(files: &mut [FileEntry], cited: &[CitedPassage]) {
    // Index only the files that have new passages: an update of one page in a 100,000-file
    // corpus should not map every path.
    let wanted: FxHashSet<&str> = cited.iter().map(|p| p.passage.path.as_str()).collect();
    let by_path: FxHashMap<&str, usize> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| wanted.contains(f.path.as_str()))
        .map(|(i, f)| (f.path.as_str(), i))
        .collect();
    let mut updates: Vec<(usize, String, usize, usize)> = Vec::new();
    for p in cited {
        if let Some(&i) = by_path.get(p.passage.path.as_str()) {
            let citations = if p.passage.kind == Kind::Guide {
                p.direct_ids().count()
            } else {
                0
            };
            updates.push((i, p.passage.id.clone(), citations, p.passage.text.len()));
        }
    }
    for (i, id, citations, bytes) in updates {
        files[i].passages_mut().push(id);
        files[i].citations += citations;
        files[i].text_bytes += bytes as u64;
    }
}

/// Stats of an index, from its manifest.
pub(super) fn stats_of(files: &[FileEntry], references: usize) -> (Stats, usize) {
    // A guide that could not be read or decoded is in the manifest, but not indexed.
    let guides = files
        .iter()
        .filter(|f| f.path.starts_with("guide/") && !f.skipped)
        .count();
    (
        Stats {
            documents: guides + references,
            passages: files.iter().map(FileEntry::passage_count).sum(),
            references,
            citations: files.iter().map(|f| f.citations).sum(),
            text_bytes: files.iter().map(|f| f.text_bytes).sum(),
        },
        guides,
    )
}

/// The ids of a reference list.
pub(super) fn reference_ids(refs: &ReferenceList) -> Vec<String> {
    refs.refs.iter().map(|r| r.id.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_guides_are_not_counted_as_indexed() {
        let entry = |path: &str, skipped| FileEntry {
            path: path.into(),
            size: 1,
            mtime_ns: 1,
            passages: vec!["p#a/1".into()],
            doc: "d".into(),
            skipped,
            ..FileEntry::default()
        };
        let files = [
            entry("guide/a.md", false),
            entry("guide/b.md", true),
            entry("references.json", false),
        ];
        let (stats, guides) = stats_of(&files, 2);
        assert_eq!((guides, stats.documents), (1, 3));
    }
}
