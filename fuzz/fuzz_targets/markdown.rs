//! Fuzz target: the markdown extractor and the passage splitter on arbitrary input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        citeseek::fuzzing::extract_and_split(citeseek::extract::Format::Markdown, source);
    }
});
