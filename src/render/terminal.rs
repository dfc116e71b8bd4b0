//! What reaches a terminal: human text made safe, and the notes and warnings on stderr.
//!
//! Only text in the human form goes through [`sanitize`]: corpus titles, paths and fetched
//! pages must not move the cursor, retitle the window or reorder what is shown. JSON carries
//! the data as it is (serde escapes every control character), and so does an export unless
//! it is printed on a terminal (see `export.rs`).

/// Remove control characters and escape sequences so corpus text cannot drive the terminal.
pub fn sanitize(s: &str) -> String {
    crate::sanitize::sanitize_terminal(s)
}

/// A note on stderr (progress, what happened), sanitised like all human output.
pub fn note(msg: &str) {
    eprintln!("citeseek: {}", sanitize(msg));
}

/// A warning on stderr.
pub fn warning(msg: &str) {
    eprintln!("citeseek: warning: {}", sanitize(msg));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_strips_escapes_and_controls() {
        assert_eq!(sanitize("a\x1b[31mred\x1b[0m b"), "ared b");
        assert_eq!(sanitize("x\x1b]0;title\x07y"), "xy");
        assert_eq!(sanitize("c\r\x08d\u{9b}1me"), "cde");
        assert_eq!(sanitize("line\nnext"), "line\nnext");
    }
}
