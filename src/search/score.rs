//! The scorer: every passage matching a [`BuiltQuery`] scored from the postings (DFR In_expB2
//! per word and field, phrases, "a vs b", the reference factor and query coverage), segment by
//! segment, into the best `limit` passages.

use rayon::prelude::*;
use tantivy::postings::TermInfo;
use tantivy::query::{EnableScoring, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{
    DocAddress, DocId, DocSet, InvertedIndexReader, Searcher, SegmentReader, Term, TERMINATED,
};

use std::sync::Arc;

use super::caches::{ReferenceBits, SearchCaches};
use super::dfr::in_exp_b2_weight;
use super::frequencies::{collection_frequency, OPEN_COST};
use super::lookup::{text_field_slot, TokenInfos};
use super::plan::{BuiltQuery, Plan, ALT_BOOST, BODY_BOOST, SECTION_BOOST, TITLE_BOOST};
use super::query::Occurrence;
use super::scratch::{zeroed, Acc, Scratch};
use super::QueryError;
use crate::index::Fields;

/// Extra weight for passages that mention both sides of "a vs b".
const COMPARE_BOOST: f32 = 2.0;
/// References are evidence: their passages rank below guide passages that match as well.
const REFERENCE_FACTOR: f32 = 0.45;
/// The coverage factor of a passage with none of the query's terms (it has all: 1.0); in
/// between, it grows with the share of the query's IDF mass the passage has.
const COVERAGE_FLOOR: f32 = 0.3;
/// Indexes of at least this many passages in several segments are scored on all cores.
pub(crate) const PARALLEL_MIN_PASSAGES: usize = 100_000;

/// The ranking `search`, `cite` and `eval` share: the best passages for a built query as
/// `(score, address)`, best first, at most `limit`.
///
/// Every matching passage is scored, not only a top slice:
/// * the DFR In_expB2 score ([`super::dfr`]) of each query word
///   in each text field, with the field weights, summed (a word the query repeats counts again, as in
///   a boolean query);
/// * phrase scores (quoted phrases, split words such as "cat-cow") from tantivy;
/// * [`COMPARE_BOOST`] for passages that match both sides of "a vs b";
/// * times [`REFERENCE_FACTOR`] for reference passages (guide text ranks first);
/// * times the coverage factor: from [`COVERAGE_FLOOR`] for a passage with none of the
///   query's words to 1.0 for one with all, by the share of the query's IDF mass it has (a
///   passage with the rare words of a long claim beats one repeating its common words).
///
/// Hits follow boolean-query rules: every `+required` clause and filter, no `-excluded` one,
/// and otherwise at least one matching clause. Scores accumulate in one array per segment,
/// read straight from the postings: no stored documents and no re-analysis, so benchmark
/// runs are fast. The segments of a large index are scored in parallel, each keeping its own
/// best `limit`, and merged.
pub fn ranked_addresses(
    searcher: &Searcher,
    fields: &Fields,
    built: &BuiltQuery,
    limit: usize,
) -> Result<Vec<(f32, DocAddress)>, QueryError> {
    rank(searcher, fields, built, limit, PARALLEL_MIN_PASSAGES)
}

/// [`ranked_addresses`], scoring the segments in parallel when the index has at least
/// `parallel_from` passages (and more than one segment).
fn rank(
    searcher: &Searcher,
    fields: &Fields,
    built: &BuiltQuery,
    limit: usize,
    parallel_from: usize,
) -> Result<Vec<(f32, DocAddress)>, QueryError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let plan = &built.plan;
    let segments = searcher.segment_readers();
    let num_docs = searcher.num_docs().max(1) as f32;
    let idf = |df: u64| (1.0 + (num_docs - df as f32 + 0.5) / (df as f32 + 0.5)).ln();

    // Text fields some passage uses: (field, weight, average length), and each segment's
    // inverted index of each. They are looked up once: tantivy does not cache the index of a
    // field a segment has no terms for, and builds a fresh empty dictionary on every call.
    let mut text_fields: Vec<(Field, f32, f32)> = Vec::new();
    let mut readers: Vec<Vec<Option<Arc<InvertedIndexReader>>>> = vec![Vec::new(); segments.len()];
    for (field, boost) in [
        (fields.body, BODY_BOOST),
        (fields.section, SECTION_BOOST),
        (fields.title, TITLE_BOOST),
        (fields.alt, ALT_BOOST),
    ] {
        let per_segment: Vec<Option<Arc<InvertedIndexReader>>> = segments
            .iter()
            .map(|s| built.caches.field_index(s, field))
            .collect::<Result<_, _>>()?;
        let total: u64 = per_segment
            .iter()
            .flatten()
            .map(|r| r.total_num_tokens())
            .sum();
        if total > 0 {
            text_fields.push((field, boost, total as f32 / num_docs));
            for (r, reader) in readers.iter_mut().zip(per_segment) {
                r.push(reader);
            }
        }
    }

    // Clauses whose matches must be known per passage, and those whose scores must.
    let has_must = plan.clauses.iter().any(|c| c.occur == Occurrence::Must);
    let compared: Vec<bool> = (0..plan.clauses.len())
        .map(|i| plan.compare.iter().any(|&(a, b)| a == i || b == i))
        .collect();
    let tracked: Vec<bool> = plan
        .clauses
        .iter()
        .zip(&compared)
        .map(|(c, &cmp)| c.occur != Occurrence::Should || cmp)
        .collect();

    // Distinct scored tokens, with the clauses using them.
    let mut tokens: Vec<ScoredToken> = Vec::new();
    for (c, clause) in plan.clauses.iter().enumerate() {
        for t in &clause.tokens {
            let i = match tokens.iter().position(|x| x.text == t.text) {
                Some(i) => i,
                None => {
                    let bit = |term: &str| built.terms.iter().position(|x| x == term);
                    tokens.push(ScoredToken {
                        text: t.text.as_str(),
                        weight: 0.0,
                        tracked: Vec::new(),
                        cover_bit: bit(&t.text).or_else(|| t.covers.as_deref().and_then(bit)),
                    });
                    tokens.len() - 1
                }
            };
            if clause.occur != Occurrence::MustNot {
                tokens[i].weight += t.weight;
            }
            if tracked[c] && !tokens[i].tracked.contains(&c) {
                tokens[i].tracked.push(c);
            }
        }
    }
    // Tokens that count as one term (a word and its synonyms) are scored one after another,
    // so a passage's coverage counts the term once (see `score_segment`).
    tokens.sort_by_key(|t| t.cover_bit);
    // Term infos per segment, token and field (one dictionary lookup each, unless typo
    // correction made it already), and the document frequencies over all segments.
    let text_order = fields.text();
    let looked_up: Vec<Option<&TokenInfos>> = tokens
        .iter()
        .map(|t| built.lookups.get(searcher, t.text))
        .collect();
    let mut infos: Vec<Vec<Vec<Option<TermInfo>>>> = Vec::with_capacity(segments.len());
    let mut df = vec![vec![0u64; text_fields.len()]; tokens.len()];
    for (ord, segment_readers) in readers.iter().enumerate() {
        let mut per_token = Vec::with_capacity(tokens.len());
        for (j, token) in tokens.iter().enumerate() {
            let mut per_field = Vec::with_capacity(text_fields.len());
            for (i, &(field, _, _)) in text_fields.iter().enumerate() {
                let known = looked_up[j].and_then(|infos| {
                    let slot = text_field_slot(&text_order, field)?;
                    Some(infos.get(ord)?[slot].clone())
                });
                let info = match (known, &segment_readers[i]) {
                    (Some(known), _) => known,
                    (None, Some(reader)) => reader
                        .get_term_info(&Term::from_field_text(field, token.text))
                        .map_err(tantivy::TantivyError::from)?,
                    (None, None) => None,
                };
                df[j][i] += info.as_ref().map_or(0, |t| u64::from(t.doc_freq));
                per_field.push(info);
            }
            per_token.push(per_field);
        }
        infos.push(per_token);
    }
    // Coverage: the body IDF of each query term.
    let body = text_fields.iter().position(|f| f.0 == fields.body);
    let mut cover_idf = Vec::with_capacity(built.terms.len());
    for t in &built.terms {
        let d = match (tokens.iter().position(|x| x.text == *t), body) {
            (Some(j), Some(b)) => df[j][b],
            _ => searcher.doc_freq(&Term::from_field_text(fields.body, t))?,
        };
        cover_idf.push(idf(d));
    }
    let cover_total: f32 = cover_idf.iter().sum();
    let use_coverage = built.terms.len() >= 2 && cover_total > 0.0;

    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let phrase_weights: Vec<Vec<Box<dyn Weight>>> = plan
        .clauses
        .iter()
        .map(|c| c.phrases.iter().map(|q| q.weight(scoring)).collect())
        .collect::<Result<_, _>>()?;
    let filter_weights: Vec<Box<dyn Weight>> = plan
        .filters
        .iter()
        .map(|q| q.weight(EnableScoring::disabled_from_searcher(searcher)))
        .collect::<Result<_, _>>()?;

    // The length part of each text field, for each of tantivy's 256 encoded lengths.
    let tfn_of: Vec<[f32; 256]> = text_fields
        .iter()
        .map(|&(_, _, avg_len)| built.caches.tf_normalisation(avg_len))
        .collect();
    // The model weighs a term by its collection frequency (occurrences in all passages, not
    // only the number of passages that have it), which tantivy does not store: read from the
    // segment's table of the field once the opened index has one, else counted from the
    // query terms' postings (per segment, on all cores for a large index).
    let total_docs: usize = segments.iter().map(|s| s.max_doc() as usize).sum();
    let parallel = segments.len() > 1 && total_docs >= parallel_from;
    let frequencies = &built.caches.frequencies;
    let count = |ord: usize| -> Result<Vec<Vec<u64>>, QueryError> {
        let segment = segments[ord].segment_id();
        let mut cf = vec![vec![0u64; text_fields.len()]; tokens.len()];
        for (i, &(field, _, _)) in text_fields.iter().enumerate() {
            let Some(reader) = &readers[ord][i] else {
                continue;
            };
            let table = frequencies.table(segment, field);
            let mut spent = 0;
            for (j, per_field) in cf.iter_mut().enumerate() {
                let Some(info) = &infos[ord][j][i] else {
                    continue;
                };
                per_field[i] = match table.as_ref().and_then(|t| t.get(info)) {
                    Some(n) => n,
                    None => {
                        spent += u64::from(info.doc_freq) + OPEN_COST;
                        collection_frequency(reader, info).map_err(tantivy::TantivyError::from)?
                    }
                };
            }
            if table.is_none() {
                // Built on a thread of its own, for the queries to come.
                drop(frequencies.counted(segment, field, reader, spent));
            }
        }
        Ok(cf)
    };
    let per_segment_cf: Vec<Vec<Vec<u64>>> = if parallel {
        (0..segments.len())
            .into_par_iter()
            .map(count)
            .collect::<Result<_, _>>()?
    } else {
        (0..segments.len()).map(count).collect::<Result<_, _>>()?
    };
    let term_weights: Vec<Vec<f32>> = (0..tokens.len())
        .map(|j| {
            (0..text_fields.len())
                .map(|i| {
                    let cf: u64 = per_segment_cf.iter().map(|s| s[j][i]).sum();
                    in_exp_b2_weight(num_docs, df[j][i], cf) * text_fields[i].1
                })
                .collect()
        })
        .collect();
    let prepared = Prepared {
        caches: built.caches,
        plan,
        kind: fields.kind,
        limit,
        keep_at_most: limit.saturating_mul(2).max(64),
        has_must,
        text_fields,
        readers,
        infos,
        tokens,
        term_weights,
        once_of: tfn_of
            .iter()
            .map(|table| table.map(|tfn| tfn / (tfn + 1.0)))
            .collect(),
        tfn_of,
        cover_idf,
        use_coverage,
        coverage_scale: (1.0 - COVERAGE_FLOOR) / cover_total.max(f32::MIN_POSITIVE),
        tracked,
        compared,
        phrase_weights,
        filter_weights,
    };
    // A large index's segments are scored on all cores; a small one's on this thread alone
    // (`eval`'s single-segment index included: its speed is measured on one thread).
    let per_segment: Vec<Vec<(f32, DocAddress)>> = if parallel {
        segments
            .par_iter()
            .enumerate()
            .map(|(ord, segment)| score_segment(&prepared, ord, segment))
            .collect::<Result<_, _>>()?
    } else {
        segments
            .iter()
            .enumerate()
            .map(|(ord, segment)| score_segment(&prepared, ord, segment))
            .collect::<Result<_, _>>()?
    };
    let mut out: Vec<(f32, DocAddress)> = per_segment.into_iter().flatten().collect();
    if out.len() > limit {
        out.select_nth_unstable_by(limit - 1, best_first);
        out.truncate(limit);
    }
    out.sort_by(best_first);
    Ok(out)
}

/// What scoring one segment needs from [`ranked_addresses`]: the query's plan, tokens and
/// term infos per segment, field weights and length norms, coverage and clause bookkeeping.
struct Prepared<'a> {
    caches: &'a SearchCaches,
    plan: &'a Plan,
    kind: Field,
    limit: usize,
    keep_at_most: usize,
    has_must: bool,
    /// Text fields some passage uses: (field, weight, average length).
    text_fields: Vec<(Field, f32, f32)>,
    /// `[segment][field]`: the segment's inverted index of the field.
    readers: Vec<Vec<Option<Arc<InvertedIndexReader>>>>,
    /// `[segment][token][field]`.
    infos: Vec<Vec<Vec<Option<TermInfo>>>>,
    tokens: Vec<ScoredToken<'a>>,
    /// `[token][field]`: the In_expB2 weight × field weight.
    term_weights: Vec<Vec<f32>>,
    /// The length normalisation of each text field, for each of tantivy's 256 encoded lengths.
    tfn_of: Vec<[f32; 256]>,
    /// `tfn / (tfn + 1)` for a term frequency of one, likewise.
    once_of: Vec<[f32; 256]>,
    cover_idf: Vec<f32>,
    use_coverage: bool,
    coverage_scale: f32,
    /// Clauses whose matches must be known per passage, and those whose scores must.
    tracked: Vec<bool>,
    compared: Vec<bool>,
    phrase_weights: Vec<Vec<Box<dyn Weight>>>,
    filter_weights: Vec<Box<dyn Weight>>,
}

/// Best first; equal scores in index order, so runs are repeatable.
fn best_first(a: &(f32, DocAddress), b: &(f32, DocAddress)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1))
}

/// One segment's best `limit` passages: every posting of every query word scored into
/// per-passage arrays, then the clause logic, filters, reference factor and coverage.
fn score_segment(
    p: &Prepared,
    ord: usize,
    segment: &SegmentReader,
) -> Result<Vec<(f32, DocAddress)>, QueryError> {
    let mut threshold = f32::NEG_INFINITY;
    let mut out: Vec<(f32, DocAddress)> = Vec::with_capacity(p.keep_at_most);
    // Per-passage arrays are reused from query to query (a fresh million-entry allocation per
    // query costs more in page faults than the scoring itself), from the index's pool.
    let max_doc = segment.max_doc() as usize;
    if max_doc == 0 {
        return Ok(out);
    }
    let mut scratch = p.caches.take_scratch();
    let Scratch {
        acc,
        matched,
        clause_score,
        allowed,
        hit,
    } = &mut scratch;
    // Each passage's score and coverage (the IDF sum of the query terms it has, each counted
    // once: the last word that added to it is remembered, and a word's fields are scored
    // together), side by side, so that scoring a posting touches one cache line.
    let acc = zeroed(acc, max_doc, Acc::default());
    matched.resize_with(p.tracked.len().max(matched.len()), Vec::new);
    clause_score.resize_with(p.compared.len().max(clause_score.len()), Vec::new);
    let matched: Vec<&mut [bool]> = matched
        .iter_mut()
        .zip(&p.tracked)
        .map(|(v, &t)| zeroed(v, if t { max_doc } else { 0 }, false))
        .collect();
    let mut matched = matched;
    let clause_score: Vec<&mut [f32]> = clause_score
        .iter_mut()
        .zip(&p.compared)
        .map(|(v, &t)| zeroed(v, if t { max_doc } else { 0 }, 0f32))
        .collect();
    let mut clause_score = clause_score;

    for (j, token) in p.tokens.iter().enumerate() {
        let cover_bit = token.cover_bit.filter(|_| p.use_coverage);
        // The term a passage last covered: tokens of one term come one after another, and
        // terms are fewer than `MAX_QUERY_CHARS`, so their numbers fit.
        let mark = cover_bit.map_or(0, |b| u32::try_from(b + 1).unwrap_or(u32::MAX));
        for (i, &(field, _, _)) in p.text_fields.iter().enumerate() {
            let Some(info) = &p.infos[ord][j][i] else {
                continue;
            };
            let Some(reader) = &p.readers[ord][i] else {
                continue;
            };
            let mut postings = reader
                .read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)
                .map_err(tantivy::TantivyError::from)?;
            let norms = segment.get_fieldnorms_reader(field)?;
            let w = p.term_weights[j][i];
            let (table, once) = (&p.tfn_of[i], &p.once_of[i]);
            while !postings.docs().is_empty() {
                for (&doc, &tf) in postings.docs().iter().zip(postings.freqs()) {
                    let d = doc as usize;
                    let id = usize::from(norms.fieldnorm_id(doc));
                    // Most words occur once in a passage: their saturation is a table lookup.
                    let saturation = if tf == 1 {
                        once[id]
                    } else {
                        let tfn = tf as f32 * table[id];
                        tfn / (tfn + 1.0)
                    };
                    let s = w * saturation;
                    let a = &mut acc[d];
                    a.score += token.weight * s;
                    if let Some(bit) = cover_bit {
                        if a.last_word != mark {
                            a.last_word = mark;
                            a.covered += p.cover_idf[bit];
                        }
                    }
                    for &c in &token.tracked {
                        matched[c][d] = true;
                        if p.compared[c] {
                            clause_score[c][d] += s;
                        }
                    }
                }
                postings.advance();
            }
        }
    }
    for (c, weights) in p.phrase_weights.iter().enumerate() {
        let positive = p.plan.clauses[c].occur != Occurrence::MustNot;
        for weight in weights {
            let mut scorer = weight.scorer(segment, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                let d = doc as usize;
                if positive {
                    let s = scorer.score();
                    acc[d].score += s;
                    if p.compared[c] {
                        clause_score[c][d] += s;
                    }
                }
                if p.tracked[c] {
                    matched[c][d] = true;
                }
                doc = scorer.advance();
            }
        }
    }
    for &(a, b) in &p.plan.compare {
        for d in 0..max_doc {
            if matched[a][d] && matched[b][d] {
                acc[d].score += COMPARE_BOOST * (clause_score[a][d] + clause_score[b][d]);
            }
        }
    }

    // Which passages are hits: every filter and required clause, no excluded one.
    let restricted = !p.filter_weights.is_empty()
        || p.plan.clauses.iter().any(|c| c.occur != Occurrence::Should)
        || segment.alive_bitset().is_some();
    let allowed = zeroed(allowed, if restricted { max_doc } else { 0 }, true);
    for weight in &p.filter_weights {
        let hit = zeroed(hit, max_doc, false);
        let mut scorer = weight.scorer(segment, 1.0)?;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            hit[doc as usize] = true;
            doc = scorer.advance();
        }
        for (a, h) in allowed.iter_mut().zip(hit.iter()) {
            *a &= *h;
        }
    }
    for (c, clause) in p.plan.clauses.iter().enumerate() {
        let required = match clause.occur {
            Occurrence::Must => true,
            Occurrence::MustNot => false,
            Occurrence::Should => continue,
        };
        for (a, &m) in allowed.iter_mut().zip(matched[c].iter()) {
            *a &= m == required;
        }
    }
    if let Some(alive) = segment.alive_bitset() {
        for (d, a) in allowed.iter_mut().enumerate() {
            *a &= !alive.is_deleted(d as DocId);
        }
    }
    // Reference passages score less (one factor for all when all passages are of one
    // kind).
    let references = p.caches.reference_bits(segment, p.kind)?;
    let all_factor = match references {
        ReferenceBits::All => REFERENCE_FACTOR,
        _ => 1.0,
    };
    let reference = match &references {
        ReferenceBits::Some(bits) => Some(bits),
        _ => None,
    };

    // Passages in runs of `RUN`: once the cut-off is known, a run whose best score cannot
    // reach it is passed over whole (most are).
    const RUN: usize = 64;
    let mut keep = |s: f32, d: usize, threshold: &mut f32| {
        out.push((s, DocAddress::new(ord as u32, d as DocId)));
        // Keep the best `p.limit` now and then; later passages must beat the worst of them.
        if out.len() >= p.keep_at_most {
            out.select_nth_unstable_by(p.limit - 1, best_first);
            out.truncate(p.limit);
            *threshold = out[p.limit - 1].0;
        }
    };
    if !restricted && !p.has_must {
        // The common case (no required, excluded or filtered clause): each run's final scores
        // in one branch-free pass, then only runs that can enter.
        let mut finals = [0f32; RUN];
        for (r, run) in acc.chunks(RUN).enumerate() {
            let mut best = 0f32;
            for (k, (f, a)) in finals.iter_mut().zip(run).enumerate() {
                let kind_factor = match reference {
                    Some(bits) if bits.contains((r * RUN + k) as DocId) => REFERENCE_FACTOR,
                    _ => 1.0,
                };
                let coverage = if p.use_coverage {
                    COVERAGE_FLOOR + a.covered * p.coverage_scale
                } else {
                    1.0
                };
                *f = a.score * all_factor * kind_factor * coverage;
                best = if *f > best { *f } else { best };
            }
            if best <= 0.0 || best < threshold {
                continue;
            }
            for (k, &s) in finals[..run.len()].iter().enumerate() {
                // A hit must score on some clause.
                if s > 0.0 && s >= threshold {
                    keep(s, r * RUN + k, &mut threshold);
                }
            }
        }
        p.caches.put_scratch(scratch);
        return Ok(out);
    }
    // Otherwise the other factors are at most one: a run's best raw score bounds it.
    for (r, run) in acc.chunks(RUN).enumerate() {
        let best = run
            .iter()
            .fold(0f32, |m, a| if a.score > m { a.score } else { m });
        if best * all_factor * (1.0 + 1e-6) < threshold {
            continue;
        }
        for (k, a) in run.iter().enumerate() {
            let (sum, covered) = (a.score, a.covered);
            let d = r * RUN + k;
            // Without required clauses a hit must score on some clause.
            if (!p.has_must && sum <= 0.0) || (restricted && !allowed[d]) {
                continue;
            }
            let mut s = sum * all_factor;
            if s * (1.0 + 1e-6) < threshold {
                continue;
            }
            if reference.is_some_and(|r| r.contains(d as DocId)) {
                s *= REFERENCE_FACTOR;
            }
            if p.use_coverage {
                s *= COVERAGE_FLOOR + covered * p.coverage_scale;
            }
            if s < threshold {
                continue;
            }
            keep(s, d, &mut threshold);
        }
    }
    p.caches.put_scratch(scratch);
    Ok(out)
}
/// A distinct analysed token of a query, as the scorer uses it.
struct ScoredToken<'a> {
    text: &'a str,
    /// How many non-excluded clauses score it.
    weight: f32,
    /// Clauses (indices into the plan) that contain it and whose matches are tracked.
    tracked: Vec<usize>,
    /// Its position in [`BuiltQuery::terms`], for coverage.
    cover_bit: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::CitedPassage;
    use crate::passage::Kind;
    use crate::search::synonyms::Synonyms;
    use crate::search::test_index::{ids, index_of, plain, request};
    use crate::search::{build_query, ranked_candidates, SearchRequest};
    use tantivy::schema::Value;
    use tantivy::TantivyDocument;

    /// Three passages about a back spasm, one of them a reference's.
    const SPASM: [(&str, Kind, &str, &str); 3] = [
        ("a", Kind::Guide, "Heat", "Heat therapy eases a back spasm."),
        (
            "b",
            Kind::Reference,
            "Ice",
            "Ice and heat compared for back pain.",
        ),
        (
            "c",
            Kind::Guide,
            "Stretching",
            "Gentle stretching after a spasm.",
        ),
    ];

    #[test]
    fn scorer_follows_boolean_rules_and_coverage() {
        let (_tmp, index) = index_of(&[
            ("a", Kind::Guide, "Heat", "Heat relaxes a back spasm."),
            ("b", Kind::Guide, "Ice", "Ice numbs pain and swelling."),
            (
                "c",
                Kind::Guide,
                "Trial",
                "Heat and ice compared in a trial of back pain.",
            ),
            ("d", Kind::Reference, "Study", "A study of heat."),
            ("e", Kind::Guide, "Other", "Nothing relevant here."),
        ]);
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        // Any word may match; having both words beats having one of them.
        let both = ids(&index, "heat ice", None);
        let rank = |id: &str| both.iter().position(|x| x == id);
        assert!(rank("c") < rank("a"), "{both:?}");
        assert_eq!(sorted(both.clone()), ["a", "b", "c", "d"]);
        // Required and excluded words; references rank below equal guide text.
        assert_eq!(ids(&index, "+heat ice", None), ["c", "a", "d"]);
        assert_eq!(ids(&index, "heat -ice", None), ["a", "d"]);
        // Filters.
        assert_eq!(
            sorted(ids(&index, "heat ice", Some(Kind::Guide))),
            ["a", "b", "c"]
        );
        assert_eq!(ids(&index, "heat ice", Some(Kind::Reference)), ["d"]);
        // Phrases need the words in order.
        assert_eq!(ids(&index, "\"back spasm\"", None), ["a"]);
        assert!(ids(&index, "\"spasm back\"", None).is_empty());
        // Nothing matching is no hit, not an error.
        assert!(ids(&index, "walrus", None).is_empty());
    }

    #[test]
    fn ranked_addresses_respects_the_limit_and_orders_by_score() {
        let (_tmp, index) = index_of(&[
            ("a", Kind::Guide, "Heat", "heat"),
            ("b", Kind::Guide, "Heat heat", "heat heat heat"),
            ("c", Kind::Guide, "Cold", "cold"),
        ]);
        let req = SearchRequest {
            query: "heat".into(),
            limit: 1,
            kind: None,
            cites: None,
            semantic: None,
        };
        let built = plain(&index, &req);
        let searcher = index.reader.searcher();
        let all = ranked_addresses(&searcher, &index.fields, &built, 10).unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[0].0 >= all[1].0);
        let one = ranked_addresses(&searcher, &index.fields, &built, 1).unwrap();
        assert_eq!(one, all[..1]);
        assert!(ranked_addresses(&searcher, &index.fields, &built, 0)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn parallel_and_sequential_scoring_agree_across_segments() {
        let (_tmp, index) = index_of(&SPASM);
        // A second segment, with both kinds of passage in it.
        let more = index_of(&[
            (
                "d",
                Kind::Guide,
                "Heat or ice",
                "Use heat for a spasm, ice for a fresh injury.",
            ),
            (
                "e",
                Kind::Reference,
                "Heat wraps",
                "Heat wraps reduced back pain and spasm.",
            ),
            ("f", Kind::Guide, "Rest", "Short rest, then walking."),
        ]);
        let searcher = more.1.reader.searcher();
        // Opened for searching, the index is read-only: write through a writable handle.
        let writable = tantivy::Index::open_in_dir(&index.generation_dir).unwrap();
        crate::analysis::register_analyzers(&writable);
        let mut writer = writable.writer::<TantivyDocument>(15_000_000).unwrap();
        for segment in searcher.segment_readers() {
            for d in 0..segment.max_doc() {
                let doc: TantivyDocument = searcher.doc(DocAddress::new(0, d)).unwrap();
                let data = doc.get_first(index.fields.data).unwrap().as_str().unwrap();
                let cp: CitedPassage = serde_json::from_str(data).unwrap();
                writer
                    .add_document(crate::index::to_document(&index.fields, &cp))
                    .unwrap();
            }
        }
        writer.commit().unwrap();
        index.reader.reload().unwrap();
        let searcher = index.reader.searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        for query in [
            "heat",
            "heat ice spasm",
            "\"back spasm\"",
            "heat -ice",
            "+heat spasm",
        ] {
            for limit in [1, 2, 4, 10] {
                let built = plain(&index, &request(query, limit));
                let one = rank(&searcher, &index.fields, &built, limit, usize::MAX).unwrap();
                let all = rank(&searcher, &index.fields, &built, limit, 0).unwrap();
                assert!(!one.is_empty(), "{query}");
                assert_eq!(one, all, "{query} (limit {limit})");
            }
        }
        // Both segments answer.
        let built = plain(&index, &request("heat", 10));
        let hits = rank(&searcher, &index.fields, &built, 10, 0).unwrap();
        assert!(hits.iter().any(|h| h.1.segment_ord == 0));
        assert!(hits.iter().any(|h| h.1.segment_ord == 1));
    }

    /// Once an opened index has tables of its fields' collection frequencies, queries rank
    /// exactly (to the bit) as they did counting them from the postings.
    #[test]
    fn frequency_tables_rank_as_counting_does() {
        let mut passages = SPASM.to_vec();
        passages.push((
            "d",
            Kind::Guide,
            "Heat or ice",
            "Use heat for a spasm, then heat again; ice for an injury.",
        ));
        let (_tmp, index) = index_of(&passages);
        let searcher = index.reader.searcher();
        let queries = [
            "heat",
            "heat ice spasm",
            "\"back spasm\" heat",
            "+heat -ice spasm",
        ];
        let rank_all = || -> Vec<Vec<(f32, DocAddress)>> {
            queries
                .iter()
                .map(|q| {
                    let built = plain(&index, &request(q, 10));
                    ranked_addresses(&searcher, &index.fields, &built, 10).unwrap()
                })
                .collect()
        };
        let segment = searcher.segment_reader(0);
        let frequencies = &index.caches.frequencies;
        let body = index.fields.body;
        let counted = rank_all();
        assert!(frequencies.table(segment.segment_id(), body).is_none());
        // Queries enough to pay for the tables build them (on a thread of their own).
        for _ in 0..64 {
            rank_all();
        }
        for field in [body, index.fields.title] {
            let start = std::time::Instant::now();
            while frequencies.table(segment.segment_id(), field).is_none() {
                assert!(start.elapsed().as_secs() < 10, "no table of {field:?}");
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        assert_eq!(rank_all(), counted);
        assert!(counted.iter().all(|r| !r.is_empty()));
    }

    #[test]
    fn synonyms_rank_and_cover_like_the_word_at_less_weight() {
        let (_tmp, index) = index_of(&[
            ("a", Kind::Guide, "Care", "A chiropractor for the back."),
            ("b", Kind::Guide, "Back", "Back, back and lower back."),
            ("c", Kind::Guide, "Care", "Chiropractic care for the back."),
        ]);
        let synonyms = Synonyms::parse("chiropractor, chiropractic, spinal manipulation");
        let searcher = index.reader.searcher();
        let run = |q: &str, s: &Synonyms| {
            let built =
                build_query(&searcher, &index.fields, &request(q, 10), s, &index.caches).unwrap();
            let top = ranked_candidates(&searcher, &index.fields, &built, 10).unwrap();
            (built, top)
        };
        let (built, top) = run("chiropractic back", &synonyms);
        let order: Vec<&str> = top.iter().map(|(_, p)| p.passage.id.as_str()).collect();
        // The word itself first, its synonym next, then the passage with neither.
        assert_eq!(order, ["c", "a", "b"]);
        assert_eq!(built.understood.expanded.len(), 1);
        assert_eq!(
            built.alternatives[0],
            [
                vec!["chiropractor".to_string()],
                vec!["spinal".into(), "manipul".into()]
            ]
        );
        // Without the synonym, the passage with more of "back" comes before it.
        let (_, without) = run("chiropractic back", &Synonyms::default());
        let order: Vec<&str> = without.iter().map(|(_, p)| p.passage.id.as_str()).collect();
        assert_eq!(order, ["c", "b", "a"]);
    }
}
