//! Output: the serde types that make each command's JSON contract and its human layout, one
//! file per command; nothing else writes results to stdout. `serve`'s API answers with the
//! same types.
//!
//! | file | owns |
//! | --- | --- |
//! | `search.rs` | `search`: hits, segments, corrections and expansions |
//! | `cite.rs` | `cite`: references with their evidence |
//! | `refs.rs` | `refs`, `refs ID`: the reference list, unlisted sources, backlinks |
//! | `export.rs` | `refs --format`: an export, as it is (made safe only on a terminal) |
//! | `audit.rs` | `audit`: the fact-checker's report |
//! | `ingest.rs` | `ingest`, `watch`: what an ingest did |
//! | `eval.rs` | `eval`: retrieval metrics |
//! | `fetch.rs` | `fetch`, `add`: rows per reference, the reference added |
//! | `extract.rs` | `extract`: kept and removed blocks |
//! | `model.rs` | `model path`, `model import`, `model fetch` |
//! | `serve.rs` | the API's own answers: a page of hits, a passage, health, errors |
//! | `error.rs` | a failed command: the stderr line and the `--json` error object |
//! | `shared.rs` | what several share: a passage's source, a citation, a reference's link |
//! | `style.rs` | bold, dim and colour; highlighted snippets |
//! | `terminal.rs` | human text made safe for a terminal; notes and warnings on stderr |
//!
//! Human text is sanitised (escape sequences and control characters in corpus text cannot
//! drive the terminal); JSON and exports carry the data as it is.

mod audit;
mod cite;
mod error;
mod eval;
mod export;
mod extract;
mod fetch;
mod ingest;
mod model;
mod refs;
mod search;
mod serve;
mod shared;
mod style;
mod terminal;

use std::io::{self, Write};

use serde::Serialize;

pub use audit::{audit, AuditOut, AuditRefOut, AuditSummaryOut, UncitedClaimOut};
pub use cite::{cite, CiteOut, CitedReferenceOut, EvidenceOut};
pub use error::{error_human, error_json, ErrorBody, ErrorOut};
pub use eval::{eval, EvalOut};
pub use export::export;
pub use extract::{extract, ExtractBlockOut, ExtractOut, ExtractRemovedOut};
pub use fetch::{added, fetch_json, fetch_report, DiffOut, FetchOut, FetchRowOut};
pub use ingest::{ingest, watch_update, IngestOut};
pub use model::{model_installed, model_path, ModelInstalledOut, ModelPathOut};
pub use refs::{
    refs_list, refs_show, BacklinkOut, RefRowOut, RefShowOut, RefsListOut, UnlistedOut,
};
pub use search::{search, segments, CorrectionOut, ExpansionOut, HitOut, SearchOut, SegmentOut};
pub use serve::{ApiErrorBody, ApiErrorOut, ApiSearchOut, HealthOut, PassageOut};
pub use shared::{display_path, CitationOut, SourceOut};
pub use style::highlight;
pub use terminal::{note, sanitize, warning};

/// Write `value` as one line of JSON (the `--json` form of every command).
fn json_line<W: Write, T: Serialize + ?Sized>(w: &mut W, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *w, value)?;
    writeln!(w)
}
