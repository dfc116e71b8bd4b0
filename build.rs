//! Build script: link the `citeseek` binary as a position-dependent executable.
//!
//! A command-line tool starts once per query; as a PIE its ~50,000 relative relocations are
//! applied, and their pages faulted in, at every start (about a millisecond). Linked with
//! `-no-pie` the addresses are fixed at link time. Only the binaries are affected, not the
//! library or the tests.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
