//! Fuzz target: the query parser, the claim-to-query rewrite and query building.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(query) = std::str::from_utf8(data) {
        citeseek::fuzzing::query(query);
    }
});
