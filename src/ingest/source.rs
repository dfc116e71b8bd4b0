//! Reading corpus files: their text and manifest entries, guides and reference snapshots
//! extracted into pages, and the passage made from a reference's record.

use std::fs;
use std::path::Path;

use super::plan::stat;
use super::References;
use crate::corpus::{self, Corpus, SourceFile};
use crate::extract::repeat::{self, SiteCounts};
use crate::extract::{self, Document, Format};
use crate::index::FileEntry;
use crate::passage::{self, DocInfo, Kind, Passage};
use crate::references::Reference;

/// What one reference contributes: its snapshot's page, or the passage made from its record.
pub(super) enum RefContent {
    Page(Box<Page>),
    Record(Vec<Passage>),
}

/// The content of one reference: its snapshot's page, or one passage made from its record.
/// Also a warning when the snapshot cannot be read, and the snapshot's manifest entry.
pub(super) fn reference_file_content(
    corpus: &Corpus,
    references: &References,
    r: &Reference,
) -> (RefContent, Option<String>, Option<FileEntry>) {
    let record = || RefContent::Record(record_passage(r, references).into_iter().collect());
    let Some(path) = corpus.snapshot(&r.id) else {
        return (record(), None, None);
    };
    match read_file(&corpus.root, &path) {
        Ok((text, mut entry)) => {
            entry.doc = r.id.clone();
            let page = reference_page(r, &entry.path, &text);
            (RefContent::Page(Box::new(page)), None, Some(entry))
        }
        Err((reason, entry)) => (
            record(),
            Some(format!("skipped {}: {reason}", path.display())),
            entry.map(|e| FileEntry {
                doc: r.id.clone(),
                ..*e
            }),
        ),
    }
}

/// Why a file could not be read, and its manifest entry when its bytes could be.
pub(super) type Unread = (String, Option<Box<FileEntry>>);

/// Read a corpus file as text, with its manifest entry. On failure, the reason and, when the
/// file could be stat'ed, its entry marked skipped: an unreadable or undecodable file is
/// recorded (without a hash when it could not be read) and not retried until it changes.
pub(super) fn read_file(root: &Path, path: &Path) -> Result<(String, FileEntry), Unread> {
    let bytes = fs::read(path);
    file_of(root, path, bytes, stat(path))
}

/// [`read_file`] of bytes already read, with the size and time taken right after reading.
pub(super) fn file_of(
    root: &Path,
    path: &Path,
    bytes: std::io::Result<Vec<u8>>,
    stat: Option<(u64, u128)>,
) -> Result<(String, FileEntry), Unread> {
    let entry = |hash: String| {
        stat.map(|(size, mtime_ns)| FileEntry {
            path: corpus::rel_path(root, path),
            size,
            mtime_ns,
            hash,
            skipped: true,
            ..FileEntry::default()
        })
    };
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(e) => {
            return Err((
                format!("cannot read it ({e})"),
                entry(String::new()).map(Box::new),
            ))
        }
    };
    let Some(mut entry) = entry(blake3::hash(&bytes).to_hex().to_string()) else {
        return Err(("cannot stat it".to_string(), None));
    };
    match decode(path, bytes) {
        Ok(text) => {
            entry.skipped = false;
            Ok((text, entry))
        }
        Err(reason) => Err((reason, Some(Box::new(entry)))),
    }
}

/// A corpus file's text: UTF-8, or for an HTML page the encoding its `<meta charset>` (or
/// `http-equiv` Content-Type) declares.
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, String> {
    let e = match String::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(e) => e,
    };
    let bytes = e.as_bytes();
    if Format::from_path(path) == Some(Format::Html) {
        if let Some(encoding) = crate::fetch::http::declared_charset(bytes) {
            if encoding != encoding_rs::UTF_8 {
                return Ok(encoding.decode(bytes).0.into_owned());
            }
        }
    }
    Err(format!(
        "not valid UTF-8 (byte {}); save it as UTF-8",
        e.utf8_error().valid_up_to()
    ))
}

/// A page extracted and not yet split into passages: a page whose blocks count for its site
/// is split only once the site's counts are known ([`Page::passages`]).
pub(super) struct Page {
    pub(super) doc: Document,
    id: String,
    pub(super) kind: Kind,
    /// Corpus-relative path.
    pub(super) path: String,
}

impl Page {
    /// The passages, the blocks repeated on the page's site (by `counts`) left out.
    pub(super) fn passages(mut self, counts: &SiteCounts) -> Vec<Passage> {
        repeat::remove_repeated(&mut self.doc, counts, false);
        self.split()
    }

    /// The passages of a page no counts can change.
    pub(super) fn split(self) -> Vec<Passage> {
        passage::split(
            &self.doc,
            &DocInfo {
                id: &self.id,
                kind: self.kind,
                path: &self.path,
            },
        )
    }
}

/// One guide file extracted, and the warning naming the file when main-content detection
/// was unsure (and kept more of the page).
pub(super) fn guide_page(file: &SourceFile, text: &str) -> (Page, Option<String>) {
    let base = url::Url::from_file_path(&file.path)
        .ok()
        .map(|u| u.to_string());
    let stem = file
        .path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let doc = extract::extract(file.format, text, base.as_deref(), &stem);
    let unsure = doc
        .unsure
        .as_ref()
        .map(|why| format!("{}: {why}", file.path.display()));
    let page = Page {
        doc,
        id: file.doc_id.clone(),
        kind: Kind::Guide,
        path: file.rel.clone(),
    };
    (page, unsure)
}

/// A reference's page snapshot extracted.
fn reference_page(r: &Reference, rel: &str, html: &str) -> Page {
    let base = r.link();
    let mut doc = extract::extract(Format::Html, html, base.as_deref(), &r.title);
    if doc.url.is_none() {
        doc.url = r.url.clone().or_else(|| r.link());
    }
    Page {
        doc,
        id: r.id.clone(),
        kind: Kind::Reference,
        path: rel.to_string(),
    }
}

/// A single passage made from the reference record itself, for references with no snapshot.
pub(super) fn record_passage(r: &Reference, references: &References) -> Option<Passage> {
    let mut parts = vec![r.title.clone()];
    parts.extend(r.container.clone());
    parts.extend(r.abstract_text.clone());
    parts.extend(r.note.clone());
    let text = extract::clean_text(&parts.join(". "));
    if text.is_empty() {
        return None;
    }
    let (path, line) = references.record_place(&r.id);
    Some(Passage {
        id: format!("{}#record/1", r.id),
        kind: Kind::Reference,
        doc: r.id.clone(),
        title: r.title.clone(),
        section: Vec::new(),
        text,
        alt: String::new(),
        path,
        line,
        url: r.url.clone().or_else(|| r.link()),
        links: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_latin1_page_declaring_its_charset_is_decoded() {
        let page = b"<html><head><meta charset=\"iso-8859-1\"></head><body><p>Caf\xe9 au lait</p>\
            </body></html>"
            .to_vec();
        let text = decode(Path::new("guide/a.html"), page.clone()).unwrap();
        assert!(text.contains("Café au lait"), "{text}");
        // Only HTML declares an encoding; an undeclared one is still refused, by byte.
        let md = decode(Path::new("guide/a.md"), page).unwrap_err();
        assert!(md.contains("not valid UTF-8 (byte 58)"), "{md}");
        assert!(decode(Path::new("guide/b.html"), b"<p>Caf\xe9</p>".to_vec()).is_err());
    }
}
