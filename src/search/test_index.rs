//! Small indexes for the search modules' unit tests, and the queries they run.

use crate::index::OpenIndex;
use crate::link::CitedPassage;
use crate::passage::Kind;
use crate::search::synonyms::Synonyms;
use crate::search::{build_query, ranked_candidates, BuiltQuery, SearchRequest};

/// A small index of passages `(id, kind, title, body)`.
pub fn index_of(passages: &[(&str, Kind, &str, &str)]) -> (tempfile::TempDir, OpenIndex) {
    use crate::index::{IndexDir, Marker};
    use crate::passage::Passage;
    let tmp = tempfile::tempdir().unwrap();
    let dir = IndexDir::new(tmp.path().join("index"));
    let cited: Vec<CitedPassage> = passages
        .iter()
        .map(|&(id, kind, title, text)| CitedPassage {
            passage: Passage {
                id: id.into(),
                kind,
                doc: id.into(),
                title: title.into(),
                section: Vec::new(),
                text: text.into(),
                alt: String::new(),
                path: "t".into(),
                line: 1,
                url: None,
                links: Vec::new(),
            },
            citations: Vec::new(),
            unlisted: Vec::new(),
        })
        .collect();
    let marker = Marker::new(tmp.path().into());
    let lock = dir.lock(std::time::Duration::from_secs(10)).unwrap();
    let write = dir.begin_full(&lock, false, 0).unwrap();
    write.add_all(&cited).unwrap();
    write
        .finish(
            &dir,
            &lock,
            &Default::default(),
            marker,
            &Default::default(),
        )
        .unwrap();
    let open = dir.open().unwrap();
    (tmp, open)
}

/// The query for `req` without synonyms.
pub fn plain<'a>(index: &'a OpenIndex, req: &SearchRequest) -> BuiltQuery<'a> {
    build_query(
        &index.reader.searcher(),
        &index.fields,
        req,
        &Synonyms::default(),
        &index.caches,
    )
    .unwrap()
}

pub fn ids(index: &OpenIndex, query: &str, kind: Option<Kind>) -> Vec<String> {
    let req = SearchRequest {
        query: query.into(),
        limit: 10,
        kind,
        cites: None,
        semantic: None,
    };
    let built = plain(index, &req);
    ranked_candidates(&index.reader.searcher(), &index.fields, &built, 10)
        .unwrap()
        .into_iter()
        .map(|(_, p)| p.passage.id)
        .collect()
}

pub fn request(query: &str, limit: usize) -> SearchRequest {
    SearchRequest {
        query: query.into(),
        limit,
        kind: None,
        cites: None,
        semantic: None,
    }
}
