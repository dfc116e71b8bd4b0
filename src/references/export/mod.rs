//! Exports of a [`ReferenceList`](super::ReferenceList): BibTeX, RIS and CSL-JSON, each in its
//! own file as a method of the list (`to_bibtex`, `to_ris`, `to_csl_json`).

mod bibtex;
mod csl_json;
mod ris;

use super::Reference;

/// The entries of the selected references, one blank line apart.
fn entries<'a>(
    refs: impl IntoIterator<Item = &'a Reference>,
    entry: fn(&Reference) -> String,
) -> String {
    let mut out = String::new();
    for r in refs {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&entry(r));
    }
    out
}
