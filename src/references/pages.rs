//! Page ranges as citations write them: split into first and last page, with an en dash
//! (APA), with repeated leading digits elided (Vancouver).

/// Page range with an en dash: `811-816` -> `811–816`.
pub(crate) fn en_dash(pages: &str) -> String {
    pages.replace("--", "–").replace('-', "–")
}

/// Split a page range into first and last page (`811-816`, `811–816`, `811--816`).
pub(crate) fn split_pages(pages: &str) -> (String, Option<String>) {
    let p = pages.replace("--", "-").replace(['–', '—'], "-");
    match p.split_once('-') {
        Some((a, b)) if !b.trim().is_empty() => (a.trim().to_string(), Some(b.trim().to_string())),
        Some((a, _)) => (a.trim().to_string(), None),
        None => (p.trim().to_string(), None),
    }
}

/// Vancouver elides repeated leading digits of the last page: `811-816` -> `811-6`.
pub(crate) fn vancouver_pages(pages: &str) -> String {
    let (first, last) = split_pages(pages);
    let Some(last) = last else {
        return first;
    };
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if numeric(&first) && numeric(&last) && first.len() == last.len() {
        let common = first
            .bytes()
            .zip(last.bytes())
            .take_while(|(a, b)| a == b)
            .count()
            .min(last.len().saturating_sub(1));
        let tail = last.get(common..).unwrap_or(&last);
        return format!("{first}-{tail}");
    }
    format!("{first}-{last}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_helpers() {
        assert_eq!(vancouver_pages("811-816"), "811-6");
        assert_eq!(vancouver_pages("514-530"), "514-30");
        assert_eq!(vancouver_pages("57-65"), "57-65");
        assert_eq!(vancouver_pages("100-100"), "100-0");
        assert_eq!(vancouver_pages("e000478"), "e000478");
        assert_eq!(vancouver_pages("1530–1540"), "1530-40");
        assert_eq!(en_dash("811-816"), "811–816");
    }
}
