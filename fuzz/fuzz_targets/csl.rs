//! Fuzz target: CSL-JSON parsing and every citation format and export.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        citeseek::fuzzing::csl(text);
    }
});
