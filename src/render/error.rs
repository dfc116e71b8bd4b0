//! A failed command: its message on stderr for people, and under `--json` the one error
//! object on stdout for programs. Both carry the same text, [`Failure::message`] (the chain
//! once, `outer: cause: cause`).

use std::io::{self, Write};

use serde::Serialize;

use super::terminal::sanitize;
use crate::failure::Failure;

/// The body of `{"error": …}`, printed on stdout under `--json` when a command fails.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub kind: &'a str,
    pub message: &'a str,
    pub hint: Option<&'a str>,
}

/// `{"error": {"kind", "message", "hint"}}`: a failure under `--json`.
#[derive(Debug, Serialize)]
pub struct ErrorOut<'a> {
    pub error: ErrorBody<'a>,
}

/// Write a failure as one JSON object (data as it is: JSON escapes what a terminal cannot take).
pub fn error_json<W: Write>(w: &mut W, failure: &Failure) -> io::Result<()> {
    let out = ErrorOut {
        error: ErrorBody {
            kind: failure.kind,
            message: &failure.message,
            hint: failure.hint.as_deref(),
        },
    };
    super::json_line(w, &out)
}

/// Write a failure for people: `citeseek: error: outer: cause: cause`, made safe for a
/// terminal.
pub fn error_human<W: Write>(w: &mut W, failure: &Failure) -> io::Result<()> {
    writeln!(w, "citeseek: error: {}", sanitize(&failure.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_and_programs_read_the_same_message() {
        let failure = Failure {
            kind: "corpus",
            message: "cannot read x\x1b[2J: denied".to_string(),
            hint: None,
        };
        let mut human = Vec::new();
        error_human(&mut human, &failure).unwrap();
        assert_eq!(human, b"citeseek: error: cannot read x: denied\n");
        let mut json = Vec::new();
        error_json(&mut json, &failure).unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            "{\"error\":{\"kind\":\"corpus\",\"message\":\"cannot read x\\u001b[2J: denied\",\"hint\":null}}\n"
        );
    }
}
