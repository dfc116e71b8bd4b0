//! Property tests: the extractors (HTML, Markdown, text) and the passage splitter, the query
//! parser, CSL-JSON parsing and every citation format never panic on arbitrary input, and the
//! CSL-JSON export gives back the records it was read from. The same entry points are fuzzed
//! by the targets in `fuzz/` (see fuzz/README.md); inputs the fuzzers found are kept below as
//! regression tests.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use citeseek::extract::Format;
use citeseek::fuzzing;
use citeseek::references::{CitationStyle, Reference, ReferenceList};
use citeseek::search::parse_query;

/// Few enough cases that the whole suite stays quick; the fuzzers search much further.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Arbitrary text, including control characters, combining marks and case-mapping oddities.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,80}",
        "[\\PC\t\r\n]{0,40}",
        prop::collection::vec(
            prop_oneof![
                Just("İ".to_string()),
                Just("ẞ".to_string()),
                Just("ﬁ".to_string()),
                Just("\u{feff}".to_string()),
                Just("\u{200b}".to_string()),
                Just("é".to_string()),
                "[a-zA-Z]{1,8}",
                Just(" ".to_string()),
                Just("-".to_string()),
                Just(":".to_string()),
                Just("\n".to_string()),
            ],
            0..20
        )
        .prop_map(|v| v.concat()),
    ]
}

/// Concatenations of tokens from a vocabulary: markup soup more likely to reach deep code
/// than uniformly random text.
fn soup(tokens: Vec<&'static str>, max: usize) -> impl Strategy<Value = String> {
    let token = prop_oneof![
        4 => prop::sample::select(tokens).prop_map(str::to_string),
        1 => any_text(),
    ];
    prop::collection::vec(token, 0..max).prop_map(|v| v.concat())
}

fn html_soup() -> impl Strategy<Value = String> {
    soup(
        vec![
            "<html>",
            "<body>",
            "<main>",
            "</main>",
            "<article>",
            "</article>",
            "<div>",
            "</div>",
            "<p>",
            "</p>",
            "<h1>",
            "</h1>",
            "<h2 id=\"x\">",
            "</h2>",
            "<h3>",
            "<ul>",
            "<li>",
            "</ul>",
            "<ol>",
            "<table><tr><td>",
            "</td></tr></table>",
            "<nav>",
            "</nav>",
            "<a href=\"https://doi.org/10.1000/xyz\">",
            "<a href=\"/rel\">",
            "</a>",
            "<img alt=\"a figure\">",
            "<br>",
            "<!--",
            "-->",
            "<script>",
            "</script>",
            "<style>",
            "<plaintext>",
            "<link rel=canonical href=\"https://example.com/c\">",
            "<base href=\"../\">",
            "<meta name=\"citation_doi\" content=\"10.1/x\">",
            "<div hidden>",
            "<span style=\"display:none\">",
            "<pre>",
            "</pre>",
            "\n",
            " ",
            "Heat or ice?",
            "&amp;",
            "&#x0;",
            "<",
            ">",
            "</",
            "/>",
        ],
        60,
    )
}

fn markdown_soup() -> impl Strategy<Value = String> {
    soup(
        vec![
            "# ",
            "## ",
            "### ",
            "\n",
            "\n\n",
            "- ",
            "* ",
            "1. ",
            "> ",
            "```",
            "~~~",
            "    ",
            "[a link](https://doi.org/10.1/x)",
            "[rel](../x)",
            "![alt text](i.png)",
            "**",
            "_",
            "|a|b|\n|-|-|\n|c|d|\n",
            "<div>",
            "</div>",
            "<!--",
            "-->",
            "---\n",
            "Title\n===\n",
            "[^1]",
            "[^1]: note",
            "\\",
            "`",
            "Heat or ice?",
            "\u{feff}",
        ],
        60,
    )
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn html_extraction_never_panics(source in prop_oneof![html_soup(), any_text()]) {
        let passages = fuzzing::extract_and_split(Format::Html, &source);
        let lines = source.lines().count().max(1);
        for p in &passages {
            prop_assert!(p.line <= lines + 1, "line {} of {}", p.line, lines);
        }
    }

    #[test]
    fn markdown_extraction_never_panics(source in prop_oneof![markdown_soup(), any_text()]) {
        fuzzing::extract_and_split(Format::Markdown, &source);
    }

    #[test]
    fn text_extraction_never_panics(source in any_text()) {
        fuzzing::extract_and_split(Format::Text, &source);
    }

    #[test]
    fn passage_ids_are_unique(source in prop_oneof![html_soup(), markdown_soup()]) {
        for format in [Format::Html, Format::Markdown, Format::Text] {
            let passages = fuzzing::extract_and_split(format, &source);
            let mut ids: Vec<&str> = passages.iter().map(|p| p.id.as_str()).collect();
            ids.sort_unstable();
            let n = ids.len();
            ids.dedup();
            prop_assert_eq!(ids.len(), n, "duplicate passage ids from {:?}", format);
        }
    }

    #[test]
    fn query_parsing_never_panics(query in prop_oneof![
        soup(vec!["\"", "+", "-", " vs ", " or ", " AND ", "title:", "(", ")", "*", "heat",
                  "ice", "the", "😀", "\u{0}", " "], 30),
        any_text(),
    ]) {
        fuzzing::query(&query);
        let parsed = parse_query(&query);
        prop_assert_eq!(&parsed, &parse_query(&query));
        for clause in &parsed.clauses {
            prop_assert!(!clause.text.chars().any(char::is_control), "{:?}", clause.text);
        }
    }

    #[test]
    fn csl_text_parsing_never_panics(text in prop_oneof![
        soup(vec!["[", "]", "{", "}", ",", ":", "\"id\"", "\"title\"", "\"DOI\"",
                  "\"author\"", "\"issued\"", "\"date-parts\"", "\"x\"", "1", "null",
                  "[[2020]]", "\"type\"", "\"webpage\""], 40),
        any_text(),
    ]) {
        fuzzing::csl(&text);
    }

    #[test]
    fn csl_export_gives_back_the_records(records in prop::collection::vec(record(), 0..6)) {
        let text = serde_json::to_string(&records).unwrap();
        // `fuzzing::csl` checks the round trip itself; a parse must not fail either, as every
        // generated record is valid.
        let list = ReferenceList::parse(&text, std::path::Path::new("references.json"));
        if let Ok(list) = list {
            fuzzing::csl(&text);
            let exported: Value = serde_json::from_str(&list.to_csl_json(&[])).unwrap();
            let unique: Vec<Value> = dedup_ids(records);
            prop_assert_eq!(exported, Value::Array(unique));
        } else {
            // Only duplicate ids are refused.
            let ids: Vec<&Value> = records.iter().map(|r| &r["id"]).collect();
            let mut sorted: Vec<String> = ids.iter().map(|v| v.to_string()).collect();
            sorted.sort();
            let n = sorted.len();
            sorted.dedup();
            prop_assert!(sorted.len() < n, "{:?}", list.err());
        }
    }

    #[test]
    fn every_citation_format_is_well_formed(r in record()) {
        let reference = Reference::from_csl(r).unwrap();
        for style in [CitationStyle::Apa, CitationStyle::Vancouver] {
            prop_assert!(!reference.format(style).is_empty());
        }
        let list = ReferenceList { refs: vec![reference] };
        let ris = list.to_ris(&[]);
        for line in ris.lines() {
            let tag_ok = line.len() >= 6
                && line.as_bytes()[..2].iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                && &line.as_bytes()[2..6] == b"  - ";
            prop_assert!(tag_ok, "RIS line {:?}", line);
        }
        prop_assert!(ris.ends_with("ER  - \n"));
        let bib = list.to_bibtex(&[]);
        prop_assert_eq!(unescaped(&bib, '{'), unescaped(&bib, '}'), "{}", bib);
    }
}

/// Records with duplicate ids after the first are dropped, as a list keeps one per id.
fn dedup_ids(records: Vec<Value>) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    records
        .into_iter()
        .filter(|r| seen.insert(r["id"].to_string()))
        .collect()
}

/// How many `c` in `s` are not escaped by a backslash.
fn unescaped(s: &str, c: char) -> usize {
    let mut n = 0;
    let mut prev = ' ';
    for ch in s.chars() {
        if ch == c && prev != '\\' {
            n += 1;
        }
        prev = if prev == '\\' && ch == '\\' { ' ' } else { ch };
    }
    n
}

/// A valid CSL-JSON record with arbitrary text in its fields.
fn record() -> impl Strategy<Value = Value> {
    let name = (
        prop::option::of(any_text()),
        prop::option::of(any_text()),
        prop::option::of(any_text()),
    )
        .prop_map(|(family, given, literal)| {
            let mut m = Map::new();
            for (k, v) in [("family", family), ("given", given), ("literal", literal)] {
                if let Some(v) = v {
                    m.insert(k.into(), Value::String(v));
                }
            }
            Value::Object(m)
        });
    let kind = prop::sample::select(vec![
        "article-journal",
        "webpage",
        "book",
        "chapter",
        "report",
        "thesis",
        "paper-conference",
        "post",
        "weird",
    ]);
    (
        "[a-z][a-z0-9_-]{0,10}",
        kind,
        any_text(),
        prop::collection::vec(name, 0..25),
        prop::collection::vec((prop::sample::select(FIELDS.to_vec()), any_text()), 0..8),
        prop::option::of(-3000i64..3000),
        prop::option::of(0u64..100_000),
    )
        .prop_map(|(id, kind, title, authors, fields, year, volume)| {
            let mut m = Map::new();
            m.insert("id".into(), json!(id));
            m.insert("type".into(), json!(kind));
            m.insert("title".into(), json!(title));
            m.insert("author".into(), Value::Array(authors));
            for (k, v) in fields {
                m.insert(k.into(), Value::String(v));
            }
            if let Some(y) = year {
                m.insert("issued".into(), json!({"date-parts": [[y]]}));
            }
            if let Some(v) = volume {
                m.insert("volume".into(), json!(v));
            }
            Value::Object(m)
        })
}

const FIELDS: &[&str] = &[
    "container-title",
    "container-title-short",
    "publisher",
    "page",
    "issue",
    "DOI",
    "doi",
    "URL",
    "PMID",
    "PMCID",
    "note",
    "abstract",
    "extra-field",
];

// Inputs the fuzzers and the property tests above found, kept as regression tests.

#[test]
fn apa_case_mapping_panic() {
    let text = r#"[{"id": "x", "type": "article-journal", "title": "İ American Collegeé ẞ",
                   "container-title": "American College"}]"#;
    fuzzing::csl(text);
}

#[test]
fn ris_keeps_a_page_range_with_a_newline_on_one_line() {
    // Found by `every_citation_format_is_well_formed`: SP and EP were written as read.
    let r =
        Reference::from_csl(json!({"id": "a", "type": "article-journal", "page": "A\n0"})).unwrap();
    let ris = ReferenceList { refs: vec![r] }.to_ris(&[]);
    assert!(ris.contains("SP  - A 0\n"), "{ris}");
}

#[test]
fn bibtex_url_ending_in_a_backslash_keeps_the_entry_closed() {
    // Found by `every_citation_format_is_well_formed`: `url = {\}` escaped its closing brace.
    let r = Reference::from_csl(json!({"id": "a", "URL": "https://x.org/a\\"})).unwrap();
    let bib = ReferenceList { refs: vec![r] }.to_bibtex(&[]);
    assert!(bib.contains("url = {https://x.org/a%5C},"), "{bib}");
}

#[test]
fn markdown_html_block_without_text_makes_no_empty_passage() {
    // Found by `markdown_extraction_never_panics`: `<div>` alone became an empty passage.
    for source in ["<div>\n", "<!--<html>", "# T\n\n<div>\n</div>\n"] {
        let passages = fuzzing::extract_and_split(Format::Markdown, source);
        assert!(passages.iter().all(|p| !p.text.is_empty()), "{source:?}");
    }
}

#[test]
fn csl_export_keeps_a_huge_number_exactly() {
    // Found by the `csl` fuzz target: serde_json's default float parsing read
    // 111…111 (45 digits) as 1.111111111111111e44 but its own output of that number back as
    // 1.1111111111111109e44, so the export changed the record (float_roundtrip fixes it).
    fuzzing::csl(
        r#"[{"id": "a", "issued": {"date-parts": [[2015, 111111111111111111111111111111111111111111111]]}}]"#,
    );
}

/// Bytes shaped like a vector file or an `.npy` array: a valid start, then anything.
fn vector_bytes(magic: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(any::<u8>(), 0..200),
        prop_oneof![
            Just(String::new()),
            Just("{\"model\":\"m\",\"dim\":2,\"encoding\":\"f32\",\"count\":1}".to_string()),
            Just("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }".to_string()),
            ".{0,40}",
        ],
        any::<u16>(),
    )
        .prop_map(move |(tail, header, len)| {
            let mut out = magic.to_vec();
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(header.as_bytes());
            out.extend_from_slice(&tail);
            out
        })
}

proptest! {
    #![proptest_config(config(128))]

    /// A damaged `vectors.bin` is an error that says to rebuild, never a panic.
    #[test]
    fn vector_files_never_panic(bytes in prop_oneof![
        vector_bytes(b"CSVECS01"),
        prop::collection::vec(any::<u8>(), 0..64),
    ]) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(citeseek::vectors::VECTORS_FILE), &bytes).unwrap();
        if let Ok(Some(file)) = citeseek::vectors::VectorFile::open_in(dir.path()) {
            let q = vec![0.5f32; file.header.dim];
            file.nearest(&q, 3);
        }
    }

    /// Vectors from elsewhere (`ingest --vectors`): any `.npy` bytes beside a valid export are
    /// read or refused, never a panic.
    #[test]
    fn imported_vectors_never_panic(bytes in prop_oneof![
        vector_bytes(b"\x93NUMPY\x01\x00"),
        prop::collection::vec(any::<u8>(), 0..64),
    ]) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("p.jsonl"),
            "{\"model\":\"m\",\"dim\":2,\"count\":1}\n{\"key\":\"00000000000000ff\",\"id\":\"a\",\"text\":\"x\"}\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("p.npy"), &bytes).unwrap();
        let _ = citeseek::vectors::exchange::read(&dir.path().join("p.npy"), Some("m"));
    }
}
