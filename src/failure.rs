//! What went wrong, for people and for programs: an error chain as one message (each error
//! once, `outer: cause: cause`), the kind of failure a caller can branch on, and what to do
//! about it (stderr prints the message, `--json` all three).

use std::io;

use crate::benchmark::BenchError;
use crate::cite::CiteError;
use crate::corpus::CorpusError;
use crate::embed::store::StoreError;
use crate::embed::ModelError;
use crate::eval::EvalError;
use crate::fetch::apply::ApplyError;
use crate::fetch::run::RunError;
use crate::fetch::FetchError;
use crate::index::IndexError;
use crate::ingest::IngestError;
use crate::references::ReferenceError;
use crate::refs::RefsError;
use crate::search::QueryError;
use crate::vectors::build::BuildError;
use crate::vectors::exchange::ExchangeError;

/// A failure as the JSON error object reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// A stable name a program can branch on (see [`KINDS`]).
    pub kind: &'static str,
    /// The whole chain, outermost first, each cause once.
    pub message: String,
    /// What to do about it, when the message says.
    pub hint: Option<String>,
}

/// Every kind [`describe`] can give, with what it means (the README lists the same).
pub const KINDS: &[(&str, &str)] = &[
    (
        "usage",
        "the command line is wrong: an unknown option, a bad value, a missing argument",
    ),
    (
        "corpus",
        "the corpus directory is missing, not a directory, or a file in it cannot be read",
    ),
    (
        "references",
        "references.json is malformed or a record in it is invalid",
    ),
    ("query", "the query or claim has nothing to search for"),
    (
        "vectors",
        "vectors computed elsewhere (ingest --vectors) do not fit the index or the model",
    ),
    (
        "unknown_reference",
        "a reference id that is not in references.json",
    ),
    ("index_missing", "there is no index yet"),
    (
        "index_outdated",
        "the index was built by another citeseek version",
    ),
    ("index_damaged", "the index is damaged"),
    ("index_busy", "another ingest holds the index"),
    (
        "index_foreign",
        "the index directory holds files citeseek did not write",
    ),
    (
        "index_not_writable",
        "the index directory cannot be written",
    ),
    ("index_io", "reading or writing the index failed"),
    ("no_space", "the disk holding the index is full"),
    ("network", "fetching a page failed"),
    (
        "eval_input",
        "a BEIR corpus, queries or qrels file is missing or malformed",
    ),
    (
        "conflict",
        "the reference to add is already there, or its id is taken",
    ),
    (
        "model",
        "the embedding model is missing, incomplete, cannot be loaded or does not embed as expected",
    ),
    (
        "model_download",
        "downloading the model failed: the hub is unreachable, lacks a file, or sent a file whose checksum is wrong",
    ),
    ("io", "reading or writing a file or stream failed"),
    ("error", "anything else"),
];

/// Describe an error chain. The message is anyhow's alternate form (`{:#}`): each error of
/// the chain once, outermost first, joined by `: ` — no error type repeats its source's text.
pub fn describe(e: &anyhow::Error) -> Failure {
    let message = format!("{e:#}");
    let kind = e.chain().find_map(kind_of).unwrap_or("error");
    let hint = hint_of(&message);
    Failure {
        kind,
        message,
        hint,
    }
}

/// Describe a command line clap could not parse; `command` is the subcommand it names, if any
/// (`search`), for the hint.
pub fn usage(e: &clap::Error, command: Option<&str>) -> Failure {
    let text = e.render().to_string();
    // clap's text: "error: <what>\n\n[tip: …]\n[Usage: …]\n\nFor more information, try '--help'."
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid command line");
    let message = first.trim_start_matches("error:").trim().to_string();
    let help = match command {
        Some(c) => format!("citeseek {c} --help"),
        None => "citeseek --help".to_string(),
    };
    let hint = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("tip: "))
        .map(str::to_string)
        .unwrap_or_else(|| format!("run `{help}` for the options"));
    Failure {
        kind: "usage",
        message,
        hint: Some(hint),
    }
}

/// Verbs that open the advice in citeseek's messages ("…: run `citeseek ingest`").
const ADVICE: &[&str] = &[
    "run ", "pass ", "fix ", "check ", "give ", "add ", "wait ", "choose ", "point ", "use ",
    "try ", "create ", "delete ", "remove ", "set ", "export ", "quote ",
];

/// The advice at the end of a message: the last clause after `: `, `; ` or ` (` that starts
/// with a verb telling what to do.
fn hint_of(message: &str) -> Option<String> {
    let mut best = None;
    for sep in [": ", "; ", " ("] {
        let mut from = 0;
        while let Some(at) = message[from..].find(sep) {
            let start = from + at + sep.len();
            let rest = &message[start..];
            if ADVICE.iter().any(|v| rest.starts_with(v)) && best.is_none_or(|b| start > b) {
                best = Some(start);
            }
            from = start;
        }
    }
    let rest = &message[best?..];
    // The advice ends where the clause does: a closing parenthesis, or the next cause.
    let end = rest
        .find(')')
        .into_iter()
        .chain(rest.find(": ").filter(|&i| !rest[..i].contains('`')))
        .min()
        .unwrap_or(rest.len());
    Some(rest[..end].trim_end_matches(['.', ' ']).to_string())
}

fn kind_of(e: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    if let Some(e) = e.downcast_ref::<IndexError>() {
        return Some(index_kind(e));
    }
    if let Some(e) = e.downcast_ref::<IngestError>() {
        return Some(match e {
            IngestError::Corpus(_) => "corpus",
            IngestError::References(_) => "references",
            IngestError::Index(e) => index_kind(e),
        });
    }
    if e.downcast_ref::<CorpusError>().is_some() {
        return Some("corpus");
    }
    if e.downcast_ref::<ReferenceError>().is_some() {
        return Some("references");
    }
    if let Some(e) = e.downcast_ref::<QueryError>() {
        return Some(match e {
            QueryError::Engine(_) => "index_io",
            QueryError::Stored(_) => "index_damaged",
            _ => "query",
        });
    }
    if let Some(e) = e.downcast_ref::<CiteError>() {
        return Some(match e {
            CiteError::EmptyClaim | CiteError::OnlyCommonWords(_) => "query",
            CiteError::Query(QueryError::Engine(_)) | CiteError::Engine(_) => "index_io",
            CiteError::Query(QueryError::Stored(_)) => "index_damaged",
            CiteError::Query(_) => "query",
            CiteError::Index(e) => index_kind(e),
        });
    }
    if let Some(e) = e.downcast_ref::<RefsError>() {
        return Some(match e {
            RefsError::UnknownId { .. } => "unknown_reference",
            RefsError::TooManyIds(_) => "usage",
            RefsError::Index(e) => index_kind(e),
            RefsError::Engine(_) => "index_io",
        });
    }
    if let Some(e) = e.downcast_ref::<BenchError>() {
        return Some(match e {
            BenchError::Index(e) => index_kind(e),
            BenchError::Search(_) => "index_io",
            BenchError::Temp(_) => "io",
            BenchError::NoModel(_) | BenchError::Model(_) => "model",
            _ => "eval_input",
        });
    }
    if e.downcast_ref::<EvalError>().is_some() {
        return Some("eval_input");
    }
    if let Some(e) = e.downcast_ref::<RunError>() {
        return Some(match e {
            RunError::Apply(e) => apply_kind(e),
            RunError::References(_) => "references",
            RunError::Fetch(_) => "network",
            RunError::NoCorpus(_) => "corpus",
            RunError::NotUrlOrDoi(_) | RunError::Offline => "usage",
            RunError::IdTaken(_) => "conflict",
            RunError::NoMetadata(_) => "network",
        });
    }
    if e.downcast_ref::<ExchangeError>().is_some() {
        return Some("vectors");
    }
    if let Some(e) = e.downcast_ref::<ApplyError>() {
        return Some(apply_kind(e));
    }
    if e.downcast_ref::<FetchError>().is_some() {
        return Some("network");
    }
    if let Some(e) = e.downcast_ref::<StoreError>() {
        return Some(match e {
            StoreError::BadArgument { .. } => "usage",
            StoreError::NotFound { .. }
            | StoreError::Http { .. }
            | StoreError::Unreachable { .. }
            | StoreError::Checksum { .. }
            | StoreError::TooLarge { .. } => "model_download",
            StoreError::Io { .. } => "io",
            _ => "model",
        });
    }
    if e.downcast_ref::<ModelError>().is_some() {
        return Some("model");
    }
    if e.downcast_ref::<io::Error>().is_some() {
        return Some("io");
    }
    None
}

fn index_kind(e: &IndexError) -> &'static str {
    match e {
        IndexError::Missing { .. } => "index_missing",
        IndexError::SchemaMismatch { .. } => "index_outdated",
        IndexError::Foreign { .. } => "index_foreign",
        IndexError::Corrupt { .. } => "index_damaged",
        IndexError::Busy { .. } => "index_busy",
        IndexError::NotWritable { .. } => "index_not_writable",
        IndexError::NoSpace { .. } => "no_space",
        IndexError::Io { .. } | IndexError::Tantivy { .. } => "index_io",
        IndexError::Vectors(BuildError::Model(_)) => "model",
        IndexError::Vectors(BuildError::File(_)) => "index_damaged",
        IndexError::Vectors(_) => "index_io",
    }
}

fn apply_kind(e: &ApplyError) -> &'static str {
    match e {
        ApplyError::UnknownId(..) => "unknown_reference",
        ApplyError::NoReferenceFile(_) | ApplyError::NotAnArray(_) | ApplyError::Json { .. } => {
            "references"
        }
        ApplyError::Duplicate { .. } => "conflict",
        ApplyError::InvalidId(_) => "usage",
        ApplyError::Io { .. } => "io",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn kinds_come_from_the_error_types_in_the_chain() {
        let e = anyhow::Error::new(IngestError::Index(IndexError::Busy {
            dir: PathBuf::from("idx"),
            pid: Some(7),
        }))
        .context("cannot index corpus into idx");
        let f = describe(&e);
        assert_eq!(f.kind, "index_busy");
        assert_eq!(
            f.message,
            "cannot index corpus into idx: another ingest is running (pid 7) on the index in \
             idx: wait for it to finish and try again"
        );
        assert_eq!(
            f.hint.as_deref(),
            Some("wait for it to finish and try again")
        );

        let e = anyhow::Error::new(RefsError::UnknownId {
            id: "nope".into(),
            known: "a, b".into(),
        });
        let f = describe(&e);
        assert_eq!(f.kind, "unknown_reference");
        assert_eq!(f.hint.as_deref(), Some("run `citeseek refs` to list them"));

        let e = anyhow::anyhow!("something odd");
        assert_eq!(describe(&e).kind, "error");
        assert_eq!(describe(&e).hint, None);
        for (kind, _) in KINDS {
            assert!(kind.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
    }

    #[test]
    fn the_readme_lists_every_kind() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        for (kind, meaning) in KINDS {
            let row = format!("| `{kind}` | {meaning} |");
            assert!(readme.contains(&row), "README.md lacks the row {row}");
        }
    }

    #[test]
    fn hints_are_the_advice_clause() {
        assert_eq!(
            hint_of("corpus directory x not found: pass --corpus DIR or set CITESEEK_CORPUS to a folder").as_deref(),
            Some("pass --corpus DIR or set CITESEEK_CORPUS to a folder")
        );
        assert_eq!(
            hint_of("cannot read f: denied (check that the path exists and is readable)")
                .as_deref(),
            Some("check that the path exists and is readable")
        );
        assert_eq!(
            hint_of("the index in i is damaged (bad): run `citeseek ingest --full` to rebuild it")
                .as_deref(),
            Some("run `citeseek ingest --full` to rebuild it")
        );
        assert_eq!(hint_of("cannot write: broken pipe"), None);
    }

    #[test]
    fn the_message_is_the_chain_once() {
        let e = anyhow::anyhow!("c").context("b").context("a");
        assert_eq!(describe(&e).message, "a: b: c");
        // A wrapped error's text comes once, from the error itself.
        let e = anyhow::Error::new(CorpusError::Io {
            path: PathBuf::from("corpus/guide/a.md"),
            source: io::Error::new(io::ErrorKind::PermissionDenied, "denied"),
        })
        .context("cannot index corpus into index");
        let f = describe(&e);
        assert_eq!(
            f.message,
            "cannot index corpus into index: cannot read corpus/guide/a.md: denied"
        );
        assert_eq!(f.kind, "corpus");
    }

    #[test]
    fn usage_errors_keep_clap_s_first_line_and_tip() {
        use clap::Parser;
        let e = crate::cli::Cli::try_parse_from(["citeseek", "search", "x", "--limit", "0"])
            .unwrap_err();
        let f = usage(&e, Some("search"));
        assert_eq!(f.kind, "usage");
        assert!(f.message.contains("--limit"), "{f:?}");
        assert!(!f.message.starts_with("error"), "{f:?}");
        assert_eq!(
            f.hint.as_deref(),
            Some("run `citeseek search --help` for the options")
        );
    }
}
