//! The public guide checks for `search` (tests/fixtures/guide-queries.jsonl, a copy of
//! ../shared/queries/guide.jsonl): on the bundled corpus, built into a temporary index, every
//! `search` line must find a hit under its expected nearest heading within its top k. These
//! guard the ranking changes made for SciFact against hurting the guide.

use serde_json::Value;

use crate::harness::{fixture, TestEnv};

#[test]
fn guide_search_checks_pass() {
    let env = TestEnv::bundled();
    env.cmd(&["ingest"]).assert().success();

    let checks = std::fs::read_to_string(fixture("guide-queries.jsonl")).unwrap();
    let mut failures = Vec::new();
    let mut ran = 0;
    for line in checks.lines().filter(|l| !l.trim().is_empty()) {
        let check: Value = serde_json::from_str(line).unwrap();
        if check["mode"] != "search" {
            continue;
        }
        ran += 1;
        let q = check["q"].as_str().unwrap();
        let k = check["k"].as_u64().unwrap();
        let expected = check["section"].as_str().unwrap();
        let out = env
            .cmd(&["search", "--json", "-n", &k.to_string(), "--", q])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let nearest: Vec<String> = v["hits"]
            .as_array()
            .map(|hits| {
                hits.iter()
                    .map(|h| {
                        h["section"]
                            .as_array()
                            .and_then(|s| s.last())
                            .or(Some(&h["title"]))
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !nearest.iter().any(|s| s == expected) {
            failures.push(format!(
                "{q:?}: expected {expected:?} in top {k}, got {nearest:?}"
            ));
        }
    }
    assert!(ran >= 7, "only {ran} search checks found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
