//! The entry points the fuzz targets (`fuzz/`) and the property tests drive with arbitrary
//! input: extraction and passage splitting, query parsing and building, CSL-JSON parsing with
//! every citation format. Each checks the invariants that hold for any input and panics when
//! one does not, so a fuzzer reports it like any other crash.

use std::path::Path;

use crate::extract::{self, Format};
use crate::index::schema;
use crate::passage::{self, DocInfo, Kind, Passage};
use crate::references::{CitationStyle, ReferenceList};
use crate::search::{self, SearchRequest};

/// Extract `source` as `format` and split it into passages, as ingest does with a guide.
pub fn extract_and_split(format: Format, source: &str) -> Vec<Passage> {
    let doc = extract::extract(
        format,
        source,
        Some("https://example.org/guide/page"),
        "fallback",
    );
    let passages = passage::split(
        &doc,
        &DocInfo {
            id: "page",
            kind: Kind::Guide,
            path: "guide/page",
        },
    );
    for p in &passages {
        assert!(!p.text.is_empty(), "empty passage {:?}", p.id);
        assert!(p.line >= 1, "line 0 in {:?}", p.id);
        assert!(p.id.starts_with("page#"), "id {:?}", p.id);
    }
    passages
}

/// Parse and build `query` as `search` does, and the same for it read as a `cite` claim.
pub fn query(query: &str) {
    let parsed = search::parse_query(query);
    for &(a, b) in &parsed.compare {
        assert!(a < parsed.clauses.len() && b < parsed.clauses.len());
    }
    let (schema, fields) = schema();
    // An empty index: building a query looks words up in its term dictionaries.
    let index = tantivy::Index::create_in_ram(schema);
    crate::analysis::register_analyzers(&index);
    let Ok(reader) = index.reader() else {
        return;
    };
    let searcher = reader.searcher();
    let caches = crate::search::SearchCaches::default();
    let synonyms = crate::synonyms::Synonyms::parse("ice, cold pack\nheat, warmth");
    for text in [query.to_string(), crate::cite::claim_query(query)] {
        let req = SearchRequest {
            query: text,
            limit: 5,
            kind: None,
            cites: None,
            semantic: None,
        };
        // An error is an answer (an empty query, only stop words); only a panic is a fault.
        if let Ok(built) = search::build_query(&searcher, &fields, &req, &synonyms, &caches) {
            let _ = built.snippet_query();
        }
    }
}

/// Parse `text` as references.json; every record formats in every style and exports, and the
/// CSL-JSON export parses back to the same records.
pub fn csl(text: &str) {
    let path = Path::new("references.json");
    let Ok(list) = ReferenceList::parse(text, path) else {
        return;
    };
    for r in &list.refs {
        let _ = r.format(CitationStyle::Apa);
        let _ = r.format(CitationStyle::Vancouver);
        let _ = r.short_label();
        let _ = r.link();
    }
    let _ = list.to_bibtex(&[]);
    let _ = list.to_ris(&[]);
    let exported = list.to_csl_json(&[]);
    let again = ReferenceList::parse(&exported, path)
        .unwrap_or_else(|e| panic!("the CSL-JSON export does not parse back: {e}"));
    let records = |l: &ReferenceList| l.refs.iter().map(|r| r.csl.clone()).collect::<Vec<_>>();
    assert_eq!(
        records(&list),
        records(&again),
        "the export changed a record"
    );
}
