//! citeseek's integration tests: one test binary (one link step instead of one per file), one
//! module per area, and one harness (`harness`) that every module runs the binary through.
//!
//! Run one area with `cargo test --test it search::`, one test with its full name.

mod harness;

mod browser;
mod citations;
mod cli;
mod crash;
mod eval;
mod extract;
mod fetch;
mod guide_search;
mod hardening;
mod incremental;
mod model;
mod properties;
mod query;
mod readme;
mod search;
mod semantic;
mod serve;
