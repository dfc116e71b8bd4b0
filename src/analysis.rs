//! English text analysis, shared by indexing and queries: the word tokenizer (Greek letters
//! spelled out), the filter chain, and a stemmer that remembers the words it has stemmed.

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenFilter,
    TokenStream, Tokenizer,
};
use tantivy::Index;

/// Name of the English analyzer in tantivy's tokenizer manager.
pub const ANALYZER: &str = "citeseek_en";

/// The same analysis for fields whose text repeats from passage to passage (see
/// [`Replaying`]).
pub const REPEATED_ANALYZER: &str = "citeseek_en_repeated";

/// Register citeseek's analyzers; tantivy needs this on every open, not only on create.
pub fn register_analyzers(index: &Index) {
    index.tokenizers().register(ANALYZER, analyzer());
    index.tokenizers().register(
        REPEATED_ANALYZER,
        TextAnalyzer::from(Replaying::new(analyzer())),
    );
}

/// The English analyzer: words of two or more characters (Greek letters spelled out),
/// lower-cased, accents folded, English stop words dropped, stemmed (Snowball English).
///
/// Measured on SciFact train (see the README): dropping one-character tokens (stray digits,
/// initials, the "s" of possessives) and spelling out Greek letters each helped nDCG@10.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        // At least two characters, however many bytes they take.
        .filter(Retain(|w: &str| w.chars().nth(1).is_some()))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Retain(|w: &str| !is_stop_word(w)))
        .filter(CachedStemmer)
        .build()
}

/// Lucene's English stop words, as tantivy's `StopWordFilter` has them. A `match` rejects most
/// words by their length alone, where the filter hashed every token.
fn is_stop_word(word: &str) -> bool {
    matches!(
        word,
        "a" | "an"
            | "and"
            | "are"
            | "as"
            | "at"
            | "be"
            | "but"
            | "by"
            | "for"
            | "if"
            | "in"
            | "into"
            | "is"
            | "it"
            | "no"
            | "not"
            | "of"
            | "on"
            | "or"
            | "such"
            | "that"
            | "the"
            | "their"
            | "then"
            | "there"
            | "these"
            | "they"
            | "this"
            | "to"
            | "was"
            | "will"
            | "with"
    )
}

/// Splits text into runs of letters and digits, like tantivy's `SimpleTokenizer`, and spells
/// out Greek letters (`β` → `beta`), so "amyloid-β" meets "amyloid beta" and "NF-κB" meets
/// "NF-kappaB". It also gives the words the stemmer cannot see:
///
/// * `%` is the word "percent", and so is "per cent" (one token);
/// * an all-capitals abbreviation with a plural s ("MRIs", "NSAIDs", "CTs") is also its
///   singular, at the same position and first;
/// * "50-year-old(s)" (a number, "year" and "old" joined by hyphens) also has "age" beside
///   "old", so it meets "age 50".
///
/// A range such as "48-72" stays two numbers.
#[derive(Clone, Default)]
pub struct WordTokenizer {
    tokens: Vec<Token>,
}

/// The tokens of one text, in order (and a blank sentinel after them).
pub struct WordTokenStream<'a> {
    tokens: &'a mut [Token],
    count: usize,
    next: usize,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        // Tokens (and their text buffers) are reused from call to call: indexing calls this
        // once per field of every passage, and a fresh `String` per word was a measurable part
        // of ingest.
        let mut words = Words {
            tokens: &mut self.tokens,
            count: 0,
            position: 0,
        };
        let mut start = None;
        let mut ascii = true;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i <= bytes.len() {
            // ASCII is classified byte by byte; anything else is decoded as a char.
            let (alphanumeric, width) = match bytes.get(i) {
                None => (false, 1),
                Some(&b) if b.is_ascii() => (b.is_ascii_alphanumeric(), 1),
                Some(_) => match text[i..].chars().next() {
                    Some(c) => {
                        let alphanumeric = c.is_alphanumeric();
                        ascii &= !alphanumeric;
                        (alphanumeric, c.len_utf8())
                    }
                    None => (false, 1),
                },
            };
            match (alphanumeric, start) {
                (true, None) => start = Some(i),
                (false, Some(from)) => {
                    start = None;
                    words.word(text, from, i, ascii);
                    ascii = true;
                }
                _ => {}
            }
            if bytes.get(i) == Some(&b'%') {
                // "80%" is "80 percent".
                words.push(i, i + 1).text.push_str("percent");
            }
            i += width;
        }
        let count = words.count;
        WordTokenStream::ending(&mut self.tokens, count)
    }
}

/// The tokens [`WordTokenizer`] has found so far in one text, and the next word's position.
struct Words<'a> {
    tokens: &'a mut Vec<Token>,
    count: usize,
    position: usize,
}

impl Words<'_> {
    /// A new blank token for `text[from..to]` at the next position.
    fn push(&mut self, from: usize, to: usize) -> &mut Token {
        let position = self.position;
        self.position += 1;
        self.push_at(from, to, position)
    }

    /// A new blank token for `text[from..to]` at `position`.
    fn push_at(&mut self, from: usize, to: usize, position: usize) -> &mut Token {
        if self.count == self.tokens.len() {
            self.tokens.push(Token::default());
        }
        let token = &mut self.tokens[self.count];
        self.count += 1;
        token.offset_from = from;
        token.offset_to = to;
        token.position = position;
        token.position_length = 1;
        token.text.clear();
        token
    }

    /// The word `text[from..to]`, with the forms the stemmer misses (see [`WordTokenizer`]).
    fn word(&mut self, text: &str, from: usize, to: usize, ascii: bool) {
        let word = &text[from..to];
        if !ascii {
            let token = self.push(from, to);
            for c in word.chars() {
                match greek_name(c) {
                    Some(name) => token.text.push_str(name),
                    None => token.text.push(c),
                }
            }
            return;
        }
        // "per cent" is one word, "percent".
        if word.eq_ignore_ascii_case("cent") && self.count > 0 {
            let last = self.count - 1;
            let prev = &self.tokens[last];
            let between = &text[prev.offset_to..from];
            if prev.text.eq_ignore_ascii_case("per")
                && !between.is_empty()
                && between.bytes().all(|b| b.is_ascii_whitespace())
            {
                let prev = &mut self.tokens[last];
                prev.text.clear();
                prev.text.push_str("percent");
                prev.offset_to = to;
                return;
            }
        }
        let position = self.position;
        // An abbreviation's plural ("MRIs", "NSAIDs") is also its singular, which comes
        // first: a query keeps the first form at each position.
        if let Some(singular) = capitals_plural(word) {
            self.push_at(from, to - 1, position).text.push_str(singular);
        }
        self.push(from, to).text.push_str(word);
        // "50-year-olds" is also an age: "age" beside "olds".
        let n = self.count;
        let hyphenated = |a: &Token, b: &Token| text.get(a.offset_to..b.offset_from) == Some("-");
        if (word.eq_ignore_ascii_case("old") || word.eq_ignore_ascii_case("olds"))
            && n >= 3
            && self.tokens[n - 2].text.eq_ignore_ascii_case("year")
            && self.tokens[n - 3].text.bytes().all(|b| b.is_ascii_digit())
            && hyphenated(&self.tokens[n - 3], &self.tokens[n - 2])
            && hyphenated(&self.tokens[n - 2], &self.tokens[n - 1])
        {
            self.push_at(from, to, position).text.push_str("age");
        }
    }
}

/// The singular of an all-capitals abbreviation with a lower-case plural s ("MRIs" → "MRI",
/// "CTs" → "CT"), or `None`. Only where the stemmer keeps the s: Snowball drops a plural s when
/// a vowel comes before the letter in front of it ("NSAIDs" → "nsaid" already), and keeps it
/// otherwise ("mris", "cts").
fn capitals_plural(word: &str) -> Option<&str> {
    let singular = word.strip_suffix('s')?;
    let kept_by_stemmer = singular.as_bytes()[..singular.len().saturating_sub(1)]
        .iter()
        .all(|b| !matches!(b, b'A' | b'E' | b'I' | b'O' | b'U' | b'Y'));
    (singular.len() >= 2 && singular.bytes().all(|b| b.is_ascii_uppercase()) && kept_by_stemmer)
        .then_some(singular)
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.count {
            self.next += 1;
            true
        } else {
            self.next = self.count + 1;
            false
        }
    }
    fn token(&self) -> &Token {
        &self.tokens[self.current()]
    }
    fn token_mut(&mut self) -> &mut Token {
        let i = self.current();
        &mut self.tokens[i]
    }
}

impl<'a> WordTokenStream<'a> {
    /// A stream of `tokens[..count]`, with the blank sentinel put after them.
    fn ending(tokens: &'a mut Vec<Token>, count: usize) -> Self {
        if count == tokens.len() {
            tokens.push(Token::default());
        }
        let sentinel = &mut tokens[count];
        sentinel.offset_from = 0;
        sentinel.offset_to = 0;
        sentinel.position = usize::MAX;
        sentinel.position_length = 1;
        sentinel.text.clear();
        WordTokenStream {
            tokens,
            count,
            next: 0,
        }
    }

    /// The current token's index; the sentinel before the first `advance` and after the end.
    fn current(&self) -> usize {
        match self.next {
            0 => self.count,
            n if n > self.count => self.count,
            n => n - 1,
        }
    }
}

/// An analyzer that keeps the tokens of the last few texts it analysed and replays them when
/// one comes again, for the fields every passage of a page or section repeats: its title,
/// heading path and image alt text. tantivy gives each field of each segment writer its own
/// analyzer, and a page's passages arrive together, so a title is analysed once a page instead
/// of once a passage.
#[derive(Clone)]
pub struct Replaying {
    inner: TextAnalyzer,
    recent: Vec<Analysed>,
    /// The entry the next new text replaces.
    oldest: usize,
}

/// A text and its tokens, `tokens[..count]`; the buffers past them are kept for reuse.
#[derive(Clone, Default)]
struct Analysed {
    text: String,
    tokens: Vec<Token>,
    count: usize,
}

/// Texts a [`Replaying`] analyzer remembers: enough for a heading path and an alt text.
const REPLAYED_TEXTS: usize = 4;

impl Replaying {
    pub fn new(inner: TextAnalyzer) -> Self {
        Replaying {
            inner,
            recent: Vec::new(),
            oldest: 0,
        }
    }
}

impl Tokenizer for Replaying {
    type TokenStream<'a> = WordTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        let slot = match self.recent.iter().position(|a| a.text == text) {
            Some(slot) => slot,
            None => {
                let slot = self.oldest;
                self.oldest = (slot + 1) % REPLAYED_TEXTS;
                if slot == self.recent.len() {
                    self.recent.push(Analysed::default());
                }
                let entry = &mut self.recent[slot];
                entry.text.clear();
                entry.text.push_str(text);
                entry.count = 0;
                let mut stream = self.inner.token_stream(text);
                while stream.advance() {
                    entry.keep(stream.token());
                }
                slot
            }
        };
        let entry = &mut self.recent[slot];
        WordTokenStream::ending(&mut entry.tokens, entry.count)
    }
}

impl Analysed {
    /// Copy `token` in after the tokens kept so far, reusing a buffer when there is one.
    fn keep(&mut self, token: &Token) {
        match self.tokens.get_mut(self.count) {
            Some(kept) => {
                kept.offset_from = token.offset_from;
                kept.offset_to = token.offset_to;
                kept.position = token.position;
                kept.position_length = token.position_length;
                kept.text.clone_from(&token.text);
            }
            None => self.tokens.push(token.clone()),
        }
        self.count += 1;
    }
}

/// The Latin name of a Greek letter used in scientific names.
fn greek_name(c: char) -> Option<&'static str> {
    Some(match c {
        'α' | 'Α' => "alpha",
        'β' | 'Β' | 'ϐ' => "beta",
        'γ' | 'Γ' => "gamma",
        'δ' | 'Δ' => "delta",
        'ε' | 'Ε' | 'ϵ' => "epsilon",
        'ζ' | 'Ζ' => "zeta",
        'η' | 'Η' => "eta",
        'θ' | 'Θ' => "theta",
        'ι' | 'Ι' => "iota",
        'κ' | 'Κ' | 'ϰ' => "kappa",
        'λ' | 'Λ' => "lambda",
        'μ' | 'Μ' | 'µ' => "mu",
        'ν' | 'Ν' => "nu",
        'ξ' | 'Ξ' => "xi",
        'π' | 'Π' => "pi",
        'ρ' | 'Ρ' => "rho",
        'σ' | 'ς' | 'Σ' => "sigma",
        'τ' | 'Τ' => "tau",
        'υ' | 'Υ' => "upsilon",
        'φ' | 'Φ' | 'ϕ' => "phi",
        'χ' | 'Χ' => "chi",
        'ψ' | 'Ψ' => "psi",
        'ω' | 'Ω' => "omega",
        _ => return None,
    })
}

/// Keeps the tokens `keep` accepts: the analyzer drops one-letter words and stop words with it.
#[derive(Clone, Copy)]
struct Retain<F>(F);

impl<F: Fn(&str) -> bool + Clone + Send + Sync + 'static> TokenFilter for Retain<F> {
    type Tokenizer<T: Tokenizer> = RetainWrapper<T, F>;
    fn transform<T: Tokenizer>(self, inner: T) -> RetainWrapper<T, F> {
        RetainWrapper {
            keep: self.0,
            inner,
        }
    }
}

#[derive(Clone)]
struct RetainWrapper<T, F> {
    keep: F,
    inner: T,
}

impl<T: Tokenizer, F: Fn(&str) -> bool + Clone + Send + Sync + 'static> Tokenizer
    for RetainWrapper<T, F>
{
    type TokenStream<'a> = RetainStream<'a, T::TokenStream<'a>, F>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RetainStream {
            keep: &self.keep,
            tail: self.inner.token_stream(text),
        }
    }
}

struct RetainStream<'a, S, F> {
    keep: &'a F,
    tail: S,
}

impl<S: TokenStream, F: Fn(&str) -> bool> TokenStream for RetainStream<'_, S, F> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            if (self.keep)(&self.tail.token().text) {
                return true;
            }
        }
        false
    }
    fn token(&self) -> &Token {
        self.tail.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Snowball English stemming with a memo of the words already stemmed.
///
/// Each indexing thread analyses a segment's worth of text with its own clone of the analyzer,
/// and the same few thousand words make up most of it: an ingest profile spent about 15% of its
/// time inside the Snowball stemmer. A hit costs one hash look-up and a copy into the token's
/// own buffer. The stems are those of tantivy's `Stemmer` (a unit test compares them).
#[derive(Clone, Copy)]
struct CachedStemmer;

/// Words a memo keeps at most (about 10 MB), so a huge vocabulary cannot grow it without bound;
/// later words are stemmed every time.
const STEM_MEMO_LIMIT: usize = 150_000;

/// Words an analyzer clone stems before it starts remembering them. Clones that live for one
/// short text (a query, a hit's snippet: tantivy's snippet generator clones the analyzer for
/// every snippet) would pay two allocations a word for a memo they then drop; an indexing
/// clone stems millions of words and loses nothing by starting late.
const MEMO_WARMUP: usize = 1_024;

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;
    fn transform<T: Tokenizer>(self, inner: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter {
            inner,
            memo: FxHashMap::default(),
            stemmed: 0,
        }
    }
}

struct CachedStemmerFilter<T> {
    inner: T,
    memo: FxHashMap<Box<str>, Box<str>>,
    /// Words stemmed (not found in the memo) so far, up to [`MEMO_WARMUP`].
    stemmed: usize,
}

/// A clone starts with an empty memo: tantivy clones the analyzer for each field of each
/// segment writer, and copying a warm memo would cost more than it saves.
impl<T: Clone> Clone for CachedStemmerFilter<T> {
    fn clone(&self) -> Self {
        CachedStemmerFilter {
            inner: self.inner.clone(),
            memo: FxHashMap::default(),
            stemmed: 0,
        }
    }
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            memo: &mut self.memo,
            stemmed: &mut self.stemmed,
            stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
        }
    }
}

struct CachedStemmerStream<'a, S> {
    tail: S,
    memo: &'a mut FxHashMap<Box<str>, Box<str>>,
    stemmed: &'a mut usize,
    stemmer: frostem::Stemmer,
}

impl<S: TokenStream> TokenStream for CachedStemmerStream<'_, S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(stem) = self.memo.get(token.text.as_str()) {
            token.text.clear();
            token.text.push_str(stem);
            return true;
        }
        if *self.stemmed < MEMO_WARMUP {
            *self.stemmed += 1;
            // Not remembered yet: no allocation for a word the stemmer leaves as it is.
            if let std::borrow::Cow::Owned(stem) = self.stemmer.stem(&token.text) {
                token.text = stem;
            }
            return true;
        }
        let stem: Box<str> = self.stemmer.stem(&token.text).into();
        if self.memo.len() < STEM_MEMO_LIMIT {
            self.memo.insert(token.text.as_str().into(), stem.clone());
        }
        token.text.clear();
        token.text.push_str(&stem);
        true
    }
    fn token(&self) -> &Token {
        self.tail.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyzer_stems_and_drops_stop_words() {
        let mut a = analyzer();
        let mut stream = a.token_stream("The Muscles are Relaxing in the heat");
        let mut out = Vec::new();
        while let Some(t) = tantivy::tokenizer::TokenStream::next(&mut stream) {
            out.push(t.text.clone());
        }
        assert_eq!(out, ["muscl", "relax", "heat"]);
    }

    fn tokens(text: &str) -> Vec<(usize, String)> {
        let mut a = analyzer();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = tantivy::tokenizer::TokenStream::next(&mut stream) {
            out.push((t.position, t.text.clone()));
        }
        out
    }

    /// `(position, token)` pairs as [`tokens`] gives them.
    fn at(pairs: &[(usize, &str)]) -> Vec<(usize, String)> {
        pairs.iter().map(|&(p, t)| (p, t.to_string())).collect()
    }

    /// Every token's text, position and offsets.
    fn all_of(stream: &mut dyn TokenStream) -> Vec<(String, usize, usize, usize)> {
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
        }
        // Asking again after the end is harmless.
        assert!(!stream.advance());
        let _ = stream.token();
        out
    }

    #[test]
    fn replaying_analyzer_gives_the_tokens_of_a_fresh_analysis() {
        let mut replaying = TextAnalyzer::from(Replaying::new(analyzer()));
        let texts = [
            "Muscle Spasms: heat or ice?",
            "Muscle Spasms: heat or ice?",
            "",
            "Stretching the lower back",
            "Muscle Spasms: heat or ice?",
            "a",
            "b",
            "c",
            "d",
            // Evicted by the four texts since.
            "Stretching the lower back",
            "Stretching the lower back, longer",
            "Stretching the lower back",
        ];
        for text in texts {
            let expected = all_of(&mut analyzer().token_stream(text));
            assert_eq!(
                all_of(&mut replaying.token_stream(text)),
                expected,
                "{text:?}"
            );
        }
        // A repeated text is replayed, not analysed into a new entry.
        let mut r = Replaying::new(analyzer());
        for text in ["title", "heading", "title", "heading", "title"] {
            r.token_stream(text);
        }
        assert_eq!((r.recent.len(), r.oldest), (2, 2));
        // An empty stream has nothing to hand out, and asking does not panic.
        let mut stream = replaying.token_stream("");
        assert!(!stream.advance());
        let _ = stream.token_mut();
    }

    #[test]
    fn analyzer_spells_out_greek_and_drops_one_character_tokens() {
        let words = |text| tokens(text).into_iter().map(|(_, t)| t).collect::<Vec<_>>();
        assert_eq!(
            words("amyloid-β and NF-κB"),
            ["amyloid", "beta", "nf", "kappab"]
        );
        assert_eq!(words("amyloid beta"), ["amyloid", "beta"]);
        assert_eq!(
            words("vitamin D in 5 patient's cells"),
            ["vitamin", "patient", "cell"]
        );
        // One character, however many bytes, is too short; two accented ones are not.
        assert!(words("Ä é").is_empty());
        assert_eq!(words("Éé"), ["ee"]);
        assert!(words("").is_empty());
        assert!(words("— … !").is_empty());
    }

    #[test]
    fn percent_signs_and_per_cent_are_the_word_percent() {
        let expected = at(&[(0, "80"), (1, "percent")]);
        assert_eq!(tokens("80%"), expected);
        assert_eq!(tokens("80 %"), expected);
        assert_eq!(tokens("80 percent"), expected);
        assert_eq!(tokens("80 per cent"), expected);
        assert_eq!(tokens("80 Per  Cent"), expected);
        // Only "per" and "cent" next to each other are one word.
        assert_eq!(tokens("per the cent"), at(&[(0, "per"), (2, "cent")]));
        assert_eq!(tokens("cent"), at(&[(0, "cent")]));
        // A lone digit is still too short; its percent sign is not.
        assert_eq!(tokens("5%"), at(&[(1, "percent")]));
    }

    #[test]
    fn ranges_keep_both_numbers() {
        assert_eq!(
            tokens("the first 48-72 hours"),
            at(&[(1, "first"), (2, "48"), (3, "72"), (4, "hour")])
        );
        assert_eq!(
            tokens("48–72 hours")
                .into_iter()
                .map(|(_, t)| t)
                .collect::<Vec<_>>(),
            ["48", "72", "hour"]
        );
    }

    #[test]
    fn capital_plurals_are_also_singular() {
        assert_eq!(
            tokens("X-rays or MRIs"),
            at(&[(1, "ray"), (3, "mri"), (3, "mris")])
        );
        assert_eq!(
            tokens("NSAIDs CTs"),
            at(&[(0, "nsaid"), (1, "ct"), (1, "cts")])
        );
        assert_eq!(tokens("NSAID")[0].1, "nsaid");
        assert_eq!(tokens("CT")[0].1, "ct");
        // Not an abbreviation's plural: lower-case words, one capital, a capital S.
        for text in ["mris", "Cats", "As", "MRIS", "DNAse"] {
            assert!(tokens(text).len() <= 1, "{text}: {:?}", tokens(text));
        }
    }

    #[test]
    fn ages_in_years_also_say_age() {
        assert_eq!(
            tokens("36% of 50-year-olds"),
            at(&[
                (0, "36"),
                (1, "percent"),
                (3, "50"),
                (4, "year"),
                (5, "old"),
                (5, "age")
            ])
        );
        assert_eq!(tokens("a 50-year-old man").last(), at(&[(4, "man")]).last());
        assert!(tokens("a 50-year-old").iter().any(|(_, t)| t == "age"));
        // Not hyphenated, or not a number: no age.
        for text in ["50 year olds", "many-year-olds", "50-year old"] {
            assert!(!tokens(text).iter().any(|(_, t)| t == "age"), "{text}");
        }
    }

    #[test]
    fn analyzer_positions_count_every_word() {
        // Dropped words keep their positions, so phrases do not match across them.
        assert_eq!(
            tokens("heat or ice"),
            [(0, "heat".to_string()), (2, "ice".to_string())]
        );
    }

    #[test]
    fn stop_words_are_tantivys_english_list() {
        use tantivy::tokenizer::{Language, SimpleTokenizer, StopWordFilter};
        let text = "a an and are as at be but by for if in into is it no not of on or such \
                    that the their then there these they this to was will with \
                    an ant bee one other so thereby tho";
        let collect = |mut a: TextAnalyzer| {
            let mut stream = a.token_stream(text);
            let mut out = Vec::new();
            while let Some(t) = stream.next() {
                out.push(t.text.clone());
            }
            out
        };
        let Some(stop) = StopWordFilter::new(Language::English) else {
            panic!("tantivy has an English stop word list");
        };
        let theirs = collect(
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(stop)
                .build(),
        );
        let ours = collect(
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(Retain(|w: &str| !is_stop_word(w)))
                .build(),
        );
        assert_eq!(ours, theirs);
        assert_eq!(ours, ["ant", "bee", "one", "other", "so", "thereby", "tho"]);
    }

    #[test]
    fn cached_stems_are_tantivys_stems() {
        use tantivy::tokenizer::{Language, SimpleTokenizer, Stemmer};
        let text = "Relaxing muscles relaxed; the running runner runs, relaxing again and again \
                    with generously generous generalisations";
        let collect = |mut a: TextAnalyzer| {
            let mut out = Vec::new();
            // Through the same analyzer until the memo answers: the first passes stem every
            // word, the later ones are answered from the memo.
            for _ in 0..(MEMO_WARMUP / 10 + 2) {
                let mut stream = a.token_stream(text);
                while let Some(t) = stream.next() {
                    out.push(t.text.clone());
                }
            }
            out
        };
        let plain = collect(
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(Stemmer::new(Language::English))
                .build(),
        );
        let cached = collect(
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(CachedStemmer)
                .build(),
        );
        assert_eq!(cached, plain);
        assert!(cached.contains(&"relax".to_string()), "{cached:?}");
    }
}
