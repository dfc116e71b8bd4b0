//! The DFR model's formulas (Amati and van Rijsbergen's In_expB2 with normalisation 2, as
//! Terrier has them): a term's weight from its document and collection frequencies, and the
//! length normalisation of a field's term frequencies.

use tantivy::fieldnorm::FieldNormReader;

/// The DFR model's length normalisation ("normalisation 2", Terrier's default `c`): a term
/// frequency `tf` in a field of length `len` counts as `tf · log2(1 + c · avg_len / len)`.
pub const DFR_C: f32 = 1.0;

/// The term weight of DFR In_expB2 (Amati and van Rijsbergen; Terrier's `In_expB2`) for a
/// term in `df` of `num_docs` passages with `cf` occurrences in all: the informative content of
/// the term under the expected document frequency `n_e = N · (1 − (1 − 1/N)^F)`,
/// `log2((N + 1) / (n_e + 0.5))`, times the first normalisation's Bernoulli factor
/// `(F + 1) / df`. A passage's score for the term is this weight times `tfn / (tfn + 1)`, with
/// `tfn` from [`tf_normalisation`]. Terms that come in bursts (many occurrences in the
/// passages that have them) weigh more than terms of the same document frequency spread thin.
pub(crate) fn in_exp_b2_weight(num_docs: f32, df: u64, cf: u64) -> f32 {
    let n = f64::from(num_docs.max(1.0));
    let df = df.max(1) as f64;
    let cf = (cf as f64).max(df);
    let expected_df = n * (1.0 - (1.0 - 1.0 / n).powf(cf));
    ((cf + 1.0) / df * ((n + 1.0) / (expected_df + 0.5)).log2()) as f32
}

/// DFR normalisation 2 for a field of average length `avg_len`: for each of tantivy's 256
/// encoded field lengths, the factor `log2(1 + c · avg_len / len)` that turns a term frequency
/// into a length-normalised one (with `c` = [`DFR_C`]). The opened index remembers the tables
/// of the last few average lengths ([`super::SearchCaches::tf_normalisation`]): a table costs
/// 256 logarithms, a fair share of a short query.
pub(crate) fn tf_normalisation(avg_len: f32) -> [f32; 256] {
    let mut t = [0f32; 256];
    for (id, n) in t.iter_mut().enumerate() {
        let len = (FieldNormReader::id_to_fieldnorm(id as u8) as f32).max(1.0);
        *n = (DFR_C * avg_len / len).ln_1p() / std::f32::consts::LN_2;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::SearchCaches;

    #[test]
    fn in_exp_b2_weighs_rare_and_bursty_terms_more() {
        let n = 1000.0;
        // Rarer terms weigh more.
        assert!(in_exp_b2_weight(n, 10, 10) > in_exp_b2_weight(n, 100, 100));
        // At the same document frequency, a term repeated within its passages weighs more.
        assert!(in_exp_b2_weight(n, 10, 40) > in_exp_b2_weight(n, 10, 10));
        // A term in every passage still weighs something, and nothing is NaN or infinite.
        for (df, cf) in [(1000, 1000), (1000, 50_000), (1, 1), (0, 0)] {
            let w = in_exp_b2_weight(n, df, cf);
            assert!(w.is_finite() && w > 0.0, "df {df} cf {cf}: {w}");
        }
        assert!(in_exp_b2_weight(0.0, 0, 0).is_finite());
    }

    #[test]
    fn tf_normalisation_favours_short_fields() {
        let t = tf_normalisation(20.0);
        let at = |len: u32| t[usize::from(FieldNormReader::fieldnorm_to_id(len))];
        // At the average length the factor is log2(1 + c).
        assert!((at(20) - (1.0 + DFR_C).log2()).abs() < 1e-6);
        assert!(at(5) > at(20) && at(20) > at(200));
        assert!(t.iter().all(|v| v.is_finite() && *v > 0.0));
        // A cached table is the same table.
        assert_eq!(tf_normalisation(20.0), t);
        let caches = SearchCaches::default();
        assert_eq!(caches.tf_normalisation(20.0), t);
        assert_eq!(caches.tf_normalisation(20.0), t);
    }
}
