//! The tantivy schema of the passages, the index settings, and [`SCHEMA_VERSION`], which a
//! change to either (or to the stored formats) must bump: see the fingerprint test below.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STORED,
};

use crate::analysis::{ANALYZER, REPEATED_ANALYZER};
use crate::vectors::source::KEY_FIELD;

/// Version of citeseek's index layout and analysis. Bump it whenever the schema, the analyzer
/// or the stored data changes: an index of another version is rebuilt, never misread.
pub const SCHEMA_VERSION: u32 = 12;

/// The fields of the passage schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub kind: Field,
    pub doc: Field,
    /// References the passage cites itself.
    pub cites: Field,
    /// References the passage's section cites.
    pub section_cites: Field,
    pub title: Field,
    pub section: Field,
    pub body: Field,
    pub alt: Field,
    /// The whole [`CitedPassage`] as JSON, for display.
    pub data: Field,
    /// The key of the passage's vector ([`crate::vectors::passage_key`]), a fast field.
    pub vector_key: Field,
}

impl Fields {
    /// The analysed text fields a query searches: the passage text first, then its section's
    /// heading path, its document's title and its images' alt text.
    pub fn text(&self) -> [Field; 4] {
        [self.body, self.section, self.title, self.alt]
    }
}

/// Build the schema: analysed text fields, exact-match filter fields, one stored JSON blob.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let with_positions = IndexRecordOption::WithFreqsAndPositions;
    let analysed = |analyzer, record| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(record),
        )
    };
    // Exact-match filters: one untokenized term, never scored, so no field norms (a byte a
    // passage each).
    let exact = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    let fields = Fields {
        // Stored only: nothing looks a passage up by its id, and indexing a term unique to
        // every passage made a large share of the term dictionary.
        id: b.add_text_field("id", STORED),
        kind: b.add_text_field("kind", exact.clone()),
        doc: b.add_text_field("doc", exact.clone()),
        cites: b.add_text_field("cites", exact.clone()),
        section_cites: b.add_text_field("section_cites", exact),
        // Titles are scored word by word, never as phrases: no positions. Title, heading path
        // and alt text repeat from passage to passage, and their analyzer replays them.
        title: b.add_text_field(
            "title",
            analysed(REPEATED_ANALYZER, IndexRecordOption::WithFreqs),
        ),
        section: b.add_text_field("section", analysed(REPEATED_ANALYZER, with_positions)),
        body: b.add_text_field("body", analysed(ANALYZER, with_positions)),
        alt: b.add_text_field("alt", analysed(REPEATED_ANALYZER, with_positions)),
        data: b.add_text_field("data", STORED),
        vector_key: b.add_u64_field(KEY_FIELD, NumericOptions::default().set_fast()),
    };
    (b.build(), fields)
}

/// Index settings: the stored passages (JSON, much of it repeated from passage to passage:
/// titles, heading paths, URLs, citation labels) compress with zstd in 32 KiB blocks.
///
/// Showing a hit decompresses its whole block. At 942,226 passages, 256 KiB blocks cost about
/// a millisecond a query more than 64 KiB ones, for a store about 9% smaller; 32 KiB blocks
/// took the median query from 4.80 to 4.20 ms (three alternating runs each), for a store 6%
/// larger than with 64 KiB.
///
/// Level 2 rather than 3: tantivy starts each block with a fresh zstd context, and level 3's
/// larger match tables cost more to clear per 32 KiB block than they save. A 2,000-page build
/// runs 4.2% fewer instructions (7.26 vs 7.58 G under callgrind) for a store 1.5% larger.
pub fn index_settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_compression: tantivy::store::Compressor::Zstd(tantivy::store::ZstdCompressor {
            compression_level: Some(2),
        }),
        docstore_blocksize: 32 * 1024,
        ..tantivy::IndexSettings::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::manifest::{escape_field, manifest_text, passages_text, stat_text};
    use crate::index::{FileEntry, Marker, Stats};

    /// The [`SCHEMA_VERSION`] the fingerprint was recorded at, and the fingerprint.
    const RECORDED: (u32, &str) = (
        12,
        "3b835386a48680aa71ad87c13b0c8825089bd030c733e61434b354001d3c4a34",
    );

    /// Text the analyzers' part of the fingerprint is made of: stemming, stop words, folding,
    /// numbers and hyphens.
    const SAMPLE: &str = "The Muscles' spasms eased: heat-wraps for 20 minutes (Ré-test, 2002) \
        vs. ice; MRI didn't help.";

    /// A digest of everything an index on disk is read with: the tantivy schema (fields, their
    /// options and tokenizers), what the analyzers make of a sample, the stored passage JSON,
    /// and the manifest's and marker's file formats.
    fn fingerprint() -> String {
        let mut h = blake3::Hasher::new();
        let mut part = |name: &str, text: &str| {
            h.update(name.as_bytes());
            h.update(&(text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        };
        let (schema, _) = schema();
        part("schema", &serde_json::to_string(&schema).unwrap());
        let index = tantivy::Index::create_in_ram(schema);
        crate::analysis::register_analyzers(&index);
        for name in [ANALYZER, REPEATED_ANALYZER] {
            let mut analyzer = index.tokenizers().get(name).unwrap();
            let mut stream = analyzer.token_stream(SAMPLE);
            let mut tokens = String::new();
            while let Some(t) = stream.next() {
                tokens.push_str(&format!("{}@{} ", t.text, t.position));
            }
            part(name, &tokens);
        }
        let passage = crate::index::stored::canonical_passage();
        part("stored", &serde_json::to_string(&passage).unwrap());
        let files = [FileEntry {
            path: "guide/a\tb%.md".into(),
            size: 42,
            mtime_ns: 1_795_925_877_252_818_753,
            hash: "ef88".into(),
            passages: vec!["a#x/1".into(), "a#y\n/2".into()],
            passages_raw: None,
            doc: "a".into(),
            citations: 3,
            text_bytes: 1234,
            skipped: false,
        }];
        part("manifest", &manifest_text(&files));
        part("passages", &passages_text(&files));
        part("stat", &stat_text(&files));
        let mut blocks = crate::extract::repeat::SitePages::default();
        blocks.pages.insert(
            "guide/a.html".into(),
            crate::extract::repeat::PageBlocks {
                site: "example.com".into(),
                prints: vec![7, 9],
            },
        );
        part("blocks", &blocks.to_text(|f| escape_field(f).into_owned()));
        let marker = Marker {
            tool: "citeseek".into(),
            schema_version: 0,
            generation: "gen-1-2".into(),
            corpus: "/corpus".into(),
            built_unix_ms: 3,
            stats: Stats {
                documents: 1,
                passages: 2,
                references: 3,
                citations: 4,
                text_bytes: 5,
            },
            files: Vec::new(),
            reference_ids: vec!["nadler2002".into()],
            vectors: Some(crate::vectors::build::VectorsInfo {
                model: "m".into(),
                dim: 384,
                encoding: crate::vectors::DEFAULT_ENCODING,
                count: 6,
                missing: 7,
                embedded: 8,
            }),
            blocks: Default::default(),
        };
        part("marker", &serde_json::to_string(&marker).unwrap());
        h.finalize().to_hex().to_string()
    }

    /// An index is read with the schema, analyzers and formats of the version that reads it:
    /// one written differently under the same [`SCHEMA_VERSION`] would be misread, not rebuilt.
    #[test]
    fn a_format_change_bumps_the_schema_version() {
        let now = fingerprint();
        assert!(
            (SCHEMA_VERSION, now.as_str()) == RECORDED,
            "the tantivy schema, the analyzers, the stored passage format or the manifest \
             formats changed, or SCHEMA_VERSION did: an index written before the change would \
             be misread. Bump SCHEMA_VERSION in src/index/schema.rs (unless this change \
             already did), then set RECORDED there to (SCHEMA_VERSION, {now:?}); recorded: \
             {RECORDED:?}"
        );
    }
}
