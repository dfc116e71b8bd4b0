//! The look of the human format: bold, dim and cyan on a colour terminal (nothing without
//! colour), highlighted snippet ranges, and counted nouns.

pub(super) const BOLD: &str = "\x1b[1m";
pub(super) const DIM: &str = "\x1b[2m";
pub(super) const CYAN: &str = "\x1b[36m";
pub(super) const RESET: &str = "\x1b[0m";

/// Bold, dim, cyan and reset: the escape codes with colour, empty strings without.
pub(super) fn colors(color: bool) -> (&'static str, &'static str, &'static str, &'static str) {
    if color {
        (BOLD, DIM, CYAN, RESET)
    } else {
        ("", "", "", "")
    }
}

/// The snippet with its highlighted character ranges in bold (or plain without colour);
/// newlines become " / " so a hit stays compact.
pub fn highlight(snippet: &str, ranges: &[[usize; 2]], color: bool) -> String {
    let mut out = String::with_capacity(snippet.len() + ranges.len() * 8);
    let mut in_bold = false;
    for (i, ch) in snippet.chars().enumerate() {
        if color {
            let starts = ranges.iter().any(|r| r[0] == i);
            let ends = ranges.iter().any(|r| r[1] == i);
            if ends && in_bold {
                out.push_str(RESET);
                in_bold = false;
            }
            if starts && !in_bold {
                out.push_str(BOLD);
                in_bold = true;
            }
        }
        match ch {
            '\n' => out.push_str(" / "),
            c if c.is_control() || crate::sanitize::is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    if in_bold {
        out.push_str(RESET);
    }
    out
}

/// `n` and the noun, singular for one: "1 passage", "3 passages".
pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_drops_control_and_bidi_characters() {
        assert_eq!(
            highlight("ice\u{202e}\u{200f} and\u{7} heat\r", &[[0, 3]], false),
            "ice and heat"
        );
    }

    #[test]
    fn highlight_marks_ranges_only_with_color() {
        assert_eq!(
            highlight("use ice or heat", &[[4, 7], [11, 15]], false),
            "use ice or heat"
        );
        assert_eq!(
            highlight("use ice or heat", &[[4, 7], [11, 15]], true),
            "use \x1b[1mice\x1b[0m or \x1b[1mheat\x1b[0m"
        );
        assert_eq!(highlight("a\nb", &[], false), "a / b");
    }
}
