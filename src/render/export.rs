//! `citeseek refs --format bibtex|csl-json|ris`: an export is data, written as it is.
//!
//! The normal use is a file or a pipe (`citeseek refs --format csl-json > refs.json`), and
//! `csl-json` promises to equal `references.json` record for record, so a right-to-left mark
//! or a `\r` in a title must come through. Only when stdout is a terminal, where a person
//! reads the export instead of a program, is it made safe like the human form (an escape
//! sequence in a record would otherwise drive the terminal) — the way ripgrep and fd escape
//! only what they print to a tty.

use std::io::{self, Write};

use super::terminal::sanitize;
use crate::config::OutputStyle;

/// Write an export ending with a newline: as is, or made safe when `style.terminal` says
/// stdout is a terminal.
pub fn export<W: Write>(w: &mut W, text: &str, style: OutputStyle) -> io::Result<()> {
    let safe;
    let text = if style.terminal {
        safe = sanitize(text);
        &safe
    } else {
        text
    };
    w.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(w)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::references::ReferenceList;
    use std::path::Path;

    const RECORDS: &str = "[{\"id\": \"rtl2020\", \"type\": \"article-journal\", \
        \"title\": \"Heat \\u200ftherapy\\r\\nfor \\u001b[31mback pain\", \"issued\": \
        {\"date-parts\": [[2020]]}}]";

    fn style(terminal: bool) -> OutputStyle {
        OutputStyle {
            json: false,
            color: false,
            terminal,
        }
    }

    fn written(text: &str, terminal: bool) -> String {
        let mut out = Vec::new();
        export(&mut out, text, style(terminal)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csl_json_keeps_every_character_of_the_records() {
        let list = ReferenceList::parse(RECORDS, Path::new("references.json")).unwrap();
        let out = written(&list.to_csl_json(&[]), false);
        assert!(out.contains('\u{200f}'), "{out}");
        let exported: serde_json::Value = serde_json::from_str(&out).unwrap();
        let records: serde_json::Value = serde_json::from_str(RECORDS).unwrap();
        assert_eq!(exported, records);
        assert_eq!(
            exported[0]["title"],
            "Heat \u{200f}therapy\r\nfor \u{1b}[31mback pain"
        );
    }

    #[test]
    fn plain_text_exports_keep_control_characters_off_a_terminal() {
        let text = "TI  - Heat \u{200f}therapy\r\nER  - \n";
        assert_eq!(written(text, false), text);
    }

    #[test]
    fn an_export_on_a_terminal_is_made_safe() {
        let out = written("TI  - Heat \u{200f}therapy\r \u{1b}]0;pwned\u{7}x", true);
        assert_eq!(out, "TI  - Heat therapy x\n");
    }
}
