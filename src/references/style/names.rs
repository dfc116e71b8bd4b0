//! Author names as the citation styles write them: initials, APA `Family, G. I.` and
//! Vancouver `Family GI`.

use crate::references::record::Name;

impl Name {
    /// APA form: `Family, G. I.`; literal names unchanged.
    pub(super) fn apa(&self) -> String {
        self.with_initials(true, ", ")
    }

    /// Vancouver form: `Family GI`; literal names unchanged.
    pub(super) fn vancouver(&self) -> String {
        self.with_initials(false, " ")
    }

    /// The family name, `sep` and the initials in APA or Vancouver form; a literal name (or a
    /// lone given name) as it is.
    fn with_initials(&self, apa: bool, sep: &str) -> String {
        match (&self.family, &self.literal) {
            (Some(family), _) => {
                let initials = initials(self.given.as_deref().unwrap_or(""), apa);
                if initials.is_empty() {
                    family.clone()
                } else {
                    format!("{family}{sep}{initials}")
                }
            }
            (None, Some(lit)) => lit.clone(),
            (None, None) => self.given.clone().unwrap_or_default(),
        }
    }
}

/// Initials of given names. APA: `"Gerard A."` -> `"G. A."`, `"Jean-Paul"` -> `"J.-P."`.
/// Vancouver: `"Gerard A."` -> `"GA"`, `"Jean-Paul"` -> `"JP"`.
fn initials(given: &str, apa: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    for token in given.split(|c: char| c.is_whitespace() || c == '.') {
        if token.is_empty() {
            continue;
        }
        let hyphen_parts: Vec<String> = token
            .split('-')
            .filter_map(|p| p.chars().find(|c| c.is_alphanumeric()))
            .map(|c| c.to_uppercase().collect::<String>())
            .collect();
        if hyphen_parts.is_empty() {
            continue;
        }
        if apa {
            let joined: Vec<String> = hyphen_parts.iter().map(|i| format!("{i}.")).collect();
            parts.push(joined.join("-"));
        } else {
            parts.push(hyphen_parts.concat());
        }
    }
    if apa {
        parts.join(" ")
    } else {
        parts.concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_given_names() {
        assert_eq!(initials("Jean-Paul", true), "J.-P.");
        assert_eq!(initials("Jean-Paul", false), "JP");
        assert_eq!(initials("P.H.", true), "P. H.");
    }
}
