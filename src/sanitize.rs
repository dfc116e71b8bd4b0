//! Terminal safety: strips control characters and escape sequences from corpus and server text.

/// Removes everything from `s` that a terminal would interpret instead of display.
///
/// Stripped: ANSI escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ESC \`,
/// DCS/SOS/PM/APC strings, two-byte `ESC x` sequences), their 8-bit C1 forms (U+0080..U+009F),
/// every other control character except `\n` and `\t` (so `\r`, `\x08`, `\x07`, `\x7f` go),
/// and Unicode bidirectional overrides/isolates that can make text display reordered.
pub fn sanitize_terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates, then one final byte in 0x40..=0x7e.
                Some('[') => skip_csi(&mut chars),
                // OSC, DCS, SOS, PM, APC: a string terminated by BEL or ST (ESC \).
                Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
                    skip_string(&mut chars)
                }
                // nF sequences: intermediates 0x20..=0x2f then a final byte.
                Some(c2) if ('\u{20}'..='\u{2f}').contains(&c2) => {
                    while let Some(&n) = chars.peek() {
                        chars.next();
                        if !('\u{20}'..='\u{2f}').contains(&n) {
                            break;
                        }
                    }
                }
                // Any other two-character escape (ESC c, ESC 7, ...) or a lone ESC at the end.
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c if is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Unicode bidirectional marks, embeddings, overrides and isolates: characters that can make a
/// terminal display text reordered.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
        // A control character inside a CSI aborts it (terminals do the same).
        if c.is_control() {
            break;
        }
    }
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{07}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

/// Sanitises and collapses runs of whitespace (including newlines) into single spaces.
pub(crate) fn clean_line(s: &str) -> String {
    let s = sanitize_terminal(s);
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_csi_colour_codes() {
        assert_eq!(sanitize_terminal("\x1b[31mred\x1b[0m text"), "red text");
        assert_eq!(sanitize_terminal("a\x1b[1;2;3Hb"), "ab");
        assert_eq!(sanitize_terminal("a\u{9b}31mb"), "ab");
    }

    #[test]
    fn strips_osc_title_and_hyperlinks() {
        assert_eq!(sanitize_terminal("\x1b]0;title\x07Paper"), "Paper");
        assert_eq!(
            sanitize_terminal("\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\"),
            "click"
        );
        assert_eq!(sanitize_terminal("x\x1b]0;unterminated"), "x");
        assert_eq!(sanitize_terminal("x\x1bPdcs\x1b\\y"), "xy");
    }

    #[test]
    fn strips_control_characters_but_keeps_newline_and_tab() {
        assert_eq!(sanitize_terminal("over\rwrite\x08\x07\x7f!"), "overwrite!");
        assert_eq!(sanitize_terminal("a\nb\tc"), "a\nb\tc");
        assert_eq!(sanitize_terminal("\x1b"), "");
        assert_eq!(sanitize_terminal("\x1b(Bok\x1bc"), "ok");
        assert_eq!(sanitize_terminal("a\u{202e}b"), "ab");
        assert_eq!(sanitize_terminal("Müller é 日本"), "Müller é 日本");
    }

    #[test]
    fn clean_line_collapses_whitespace() {
        assert_eq!(clean_line("  a \n\t b\x1b[2J  "), "a b");
    }
}
