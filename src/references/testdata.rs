//! The bundled corpus's references.json, parsed, for the unit tests of this module.

use std::path::Path;

use super::{Reference, ReferenceList};

/// The corpus's own references.json: the tests cite its records by id.
const CORPUS_REFERENCES: &str = include_str!("../../corpus/references.json");

pub(crate) fn seed() -> ReferenceList {
    match ReferenceList::parse(CORPUS_REFERENCES, Path::new("references.json")) {
        Ok(list) => list,
        Err(e) => panic!("seed must parse: {e}"),
    }
}

pub(crate) fn get<'a>(list: &'a ReferenceList, id: &str) -> &'a Reference {
    list.get(id)
        .unwrap_or_else(|| panic!("missing reference {id}"))
}

pub(crate) fn s(x: &str) -> Option<String> {
    Some(x.to_string())
}
