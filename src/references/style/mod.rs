//! Plain-text citations: the [`CitationStyle`]s and [`Reference::format`].

mod apa;
mod names;
mod text;
mod vancouver;

pub use text::sentence_case;

use super::record::Reference;

/// Citation styles for [`Reference::format`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CitationStyle {
    #[default]
    Apa,
    Vancouver,
}

impl Reference {
    /// Plain-text citation in the given style.
    pub fn format(&self, style: CitationStyle) -> String {
        match style {
            CitationStyle::Apa => self.format_apa(),
            CitationStyle::Vancouver => self.format_vancouver(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_panics_on_an_odd_record() {
        let r = Reference::from_csl(
            serde_json::json!({"id": "x", "issued": {"date-parts": [[]]}, "page": "-"}),
        );
        let r = match r {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        let _ = r.format(CitationStyle::Apa);
        let _ = r.format(CitationStyle::Vancouver);
        let _ = r.short_label();
    }
}
