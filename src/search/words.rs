//! Text as the index sees it: the English analyzer's tokens of a query, a synonym entry or a
//! passage, each with its position and the bytes of the text it came from.

use tantivy::tokenizer::{TextAnalyzer, TokenStream};

use crate::analysis::analyzer;

/// The index's English analyzer, for the texts of a query, a synonym file's entries or the
/// passages a correction is spelled from. It remembers the stems of the words it has seen
/// (after a warm-up), so the opened index keeps a pool of them for its queries
/// ([`super::SearchCaches`]).
pub struct Analyzer(TextAnalyzer);

impl Default for Analyzer {
    fn default() -> Analyzer {
        Analyzer(analyzer())
    }
}

/// An analysed word: its position, its token, and the bytes of the text it came from.
#[derive(Debug, Clone)]
pub(crate) struct Word {
    pub position: usize,
    pub text: String,
    pub from: usize,
    pub to: usize,
}

impl Analyzer {
    /// Every token of `text`, both forms where the analyzer gives two.
    pub(crate) fn words(&mut self, text: &str) -> Vec<Word> {
        let mut stream = self.0.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(Word {
                position: t.position,
                text: t.text.clone(),
                from: t.offset_from,
                to: t.offset_to,
            });
        }
        out
    }

    /// The first form at each position of `text` (see [`query_words`]).
    pub(crate) fn first_forms(&mut self, text: &str) -> Vec<Word> {
        let mut words = self.words(text);
        words.dedup_by_key(|w| w.position);
        words
    }

    /// [`query_words`] with this analyzer.
    pub fn query_words(&mut self, text: &str) -> Vec<(usize, String)> {
        self.first_forms(text)
            .into_iter()
            .map(|w| (w.position, w.text))
            .collect()
    }
}

/// Analyse text with the index's English analyzer: (position, token) pairs.
pub fn analyze(text: &str) -> Vec<(usize, String)> {
    Analyzer::default()
        .words(text)
        .into_iter()
        .map(|w| (w.position, w.text))
        .collect()
}

/// The analysed words of a query's text: the first form at each position (where the analyzer
/// gives two, as for "MRIs", the index has both and the first, the singular, finds both).
pub fn query_words(text: &str) -> Vec<(usize, String)> {
    Analyzer::default().query_words(text)
}
