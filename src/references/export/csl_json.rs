//! CSL-JSON export: the records exactly as references.json holds them.

use serde_json::Value;

use crate::references::ReferenceList;

impl ReferenceList {
    /// Pretty-printed JSON array of the raw CSL records.
    pub fn to_csl_json(&self, ids: &[String]) -> String {
        let records: Vec<&Value> = self.select(ids).into_iter().map(|r| &r.csl).collect();
        serde_json::to_string_pretty(&records).unwrap_or_else(|_| "[]".to_string())
    }
}

#[cfg(test)]
mod tests {
    use crate::references::testdata::{get, seed};
    use crate::references::ReferenceList;
    use std::path::Path;

    #[test]
    fn csl_json_round_trip() {
        let list = seed();
        let export = list.to_csl_json(&[]);
        let again = match ReferenceList::parse(&export, Path::new("export.json")) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(again.refs.len(), list.refs.len());
        for (a, b) in list.refs.iter().zip(&again.refs) {
            assert_eq!(a.csl, b.csl);
            assert_eq!(a.id, b.id);
        }
        let subset = list.to_csl_json(&["lau2019".to_string(), "nope".to_string()]);
        let sub = match ReferenceList::parse(&subset, Path::new("sub.json")) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(sub.refs.len(), 1);
        assert_eq!(sub.refs[0].csl, get(&list, "lau2019").csl);
    }

    /// `refs --format csl-json` promises references.json record for record: a right-to-left
    /// mark, a carriage return or any other control in a title is data, and stays.
    #[test]
    fn csl_json_keeps_bidi_marks_and_carriage_returns() {
        let title = "\u{200f}Back pain\r\nin \u{202e}Arabic\u{7}";
        let records = serde_json::json!([{"id": "rtl", "title": title, "note": "a\rb"}]);
        let list = ReferenceList::parse(&records.to_string(), Path::new("r.json")).unwrap();
        assert_eq!(list.refs[0].title, title);
        let export = list.to_csl_json(&[]);
        assert!(
            export.contains('\u{200f}') && export.contains("\\r\\n"),
            "{export}"
        );
        let back: serde_json::Value = serde_json::from_str(&export).unwrap();
        assert_eq!(back, records);
        assert_eq!(back[0]["title"], title);
    }
}
