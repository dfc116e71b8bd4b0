//! The scorer's per-passage arrays, reused from query to query through the opened index's
//! pool ([`super::SearchCaches`]).

/// Per-passage arrays of the scorer, one set per segment being scored at a time.
#[derive(Default)]
pub(crate) struct Scratch {
    pub acc: Vec<Acc>,

    pub matched: Vec<Vec<bool>>,
    pub clause_score: Vec<Vec<f32>>,
    pub allowed: Vec<bool>,
    pub hit: Vec<bool>,
}

/// One passage's running totals in the scorer.
#[derive(Clone, Copy, Default)]
pub(crate) struct Acc {
    pub score: f32,
    pub covered: f32,
    pub last_word: u32,
}

/// `v` as `n` copies of `value`, reusing its allocation.
pub(crate) fn zeroed<T: Copy>(v: &mut Vec<T>, n: usize, value: T) -> &mut [T] {
    v.clear();
    v.resize(n, value);
    v.as_mut_slice()
}
