//! Integration tests for query understanding (issue 15): typo correction with "did you mean",
//! abbreviations' plurals, numbers and units, the corpus's synonym file and question words,
//! each on the bundled guide through the real binary and its JSON.

use crate::harness::TestEnv;
use serde_json::Value;

/// `search QUERY --json --limit 3`: the whole answer (exit 0 expected).
fn top3(env: &TestEnv, query: &str) -> Value {
    env.json(&["search", query, "--json", "--limit", "3"], 0)
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["passage_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Whether one of the hits' texts contains `needle`.
fn any_text(v: &Value, needle: &str) -> bool {
    v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .any(|h| h["text"].as_str().unwrap_or_default().contains(needle))
}

const MENTHOL: &str = "Menthol-based creams are highly effective.";
const ICE_FIRST: &str = "For the first 48-72 hours, use ice.";
const HEATING_PAD: &str = "Use a heating pad";
const CHIROPRACTOR: &str = "spinal manipulation from a chiropractor";
const IMAGING: &str = "Imaging tests like X-rays or MRIs";

#[test]
fn typos_are_corrected_with_a_did_you_mean() {
    let env = TestEnv::bundled();
    let v = top3(&env, "menthl");
    assert_eq!(v["suggestion"], "menthol", "{v}");
    assert_eq!(
        v["corrected"],
        serde_json::json!([{"from": "menthl", "to": "menthol"}])
    );
    assert!(any_text(&v, MENTHOL), "{:?}", ids(&v));

    let v = top3(&env, "menthl cream");
    assert_eq!(v["suggestion"], "menthol cream");
    assert!(any_text(&v, MENTHOL), "{:?}", ids(&v));

    // The corrected word is shown as the guide spells it, not as its stem.
    let v = top3(&env, "strech");
    assert_eq!(v["suggestion"], "stretch", "{v}");
    assert!(
        v["hits"].as_array().unwrap().iter().any(|h| h["text"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("stretch")),
        "{v}"
    );

    // Human output says it once, before the hits.
    let out = env.run(&["search", "menthl", "cream", "--limit", "1"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("did you mean: menthol cream?\n"),
        "{stdout}"
    );
}

#[test]
fn only_unmatched_long_words_are_corrected() {
    let env = TestEnv::bundled();
    // Words the index has, numbers and short words are left alone: no suggestion fields.
    for query in ["heat vs ice", "menthol", "4872", "icee", "the walrus"] {
        let out = env.run(&["search", query, "--json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v.get("suggestion").is_none(), "{query}: {v}");
        assert!(v.get("corrected").is_none(), "{query}: {v}");
    }
    // A corrected word ranks below the same word typed right.
    let typo = top3(&env, "menthl");
    let right = top3(&env, "menthol");
    assert_eq!(ids(&typo)[0], ids(&right)[0]);
    assert!(
        typo["hits"][0]["score"].as_f64().unwrap() < right["hits"][0]["score"].as_f64().unwrap()
    );
}

#[test]
fn abbreviation_plurals_match_their_singular() {
    let env = TestEnv::bundled();
    for query in ["MRI", "MRIs", "mris"] {
        let v = top3(&env, query);
        assert!(any_text(&v, IMAGING), "{query}: {:?}", ids(&v));
    }
    // The synonym file's long form finds it too.
    let v = top3(&env, "magnetic resonance imaging");
    assert!(any_text(&v, IMAGING), "{:?}", ids(&v));
}

#[test]
fn numbers_percent_and_ages() {
    let env = TestEnv::bundled();
    // "80%" in the guide, "80 percent" in its references: one word.
    for query in ["80 percent", "80 per cent", "80%"] {
        let v = top3(&env, query);
        assert!(
            any_text(&v, "80% of Americans") || any_text(&v, "80 percent"),
            "{query}: {:?}",
            ids(&v)
        );
    }
    // Both ends of "48-72 hours" are searchable.
    for query in ["48 hours", "72 hours"] {
        let v = top3(&env, query);
        assert!(any_text(&v, "48-72 hours"), "{query}: {:?}", ids(&v));
    }
    // "36% of 50-year-olds" answers "age 50" and "50 years".
    for query in ["disc herniation at age 50", "disc herniation at 50 years"] {
        let v = top3(&env, query);
        assert!(any_text(&v, "50-year-olds"), "{query}: {:?}", ids(&v));
    }
}

#[test]
fn question_words_weigh_less_than_the_question() {
    let env = TestEnv::bundled();
    let v = top3(&env, "how long should I ice my back");
    assert!(any_text(&v, ICE_FIRST), "{:?}", ids(&v));
    // A query of question words alone still searches for them.
    let out = env.run(&["search", "how", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn synonyms_find_what_the_guide_calls_otherwise() {
    let env = TestEnv::bundled();
    let v = top3(&env, "chiropractic adjustment");
    assert!(any_text(&v, CHIROPRACTOR), "{:?}", ids(&v));
    let expanded = v["expanded"].as_array().expect("expanded");
    assert!(
        expanded
            .iter()
            .any(|e| e["from"].as_str().unwrap().contains("chiropractic")
                && e["to"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t == "spinal manipulation")),
        "{expanded:?}"
    );
    for (query, answer) in [
        ("cold compress", ICE_FIRST),
        ("ice compress", ICE_FIRST),
        ("warm pack", HEATING_PAD),
    ] {
        let v = top3(&env, query);
        assert!(any_text(&v, answer), "{query}: {:?}", ids(&v));
        assert!(v["expanded"].is_array(), "{query}: {v}");
    }
}

#[test]
fn synonym_file_edits_apply_without_a_rebuild() {
    let env = TestEnv::copied();
    let v = env.json(&["search", "walrus", "--json"], 1);
    assert!(v.get("expanded").is_none());
    env.write("synonyms.txt", "# mine\nwalrus, menthol\n");
    let out = env.run(&["search", "walrus", "--json", "--limit", "3"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("index"), "no rebuild expected: {stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(any_text(&v, MENTHOL), "{v}");
    assert_eq!(
        v["expanded"],
        serde_json::json!([{"from": "walrus", "to": ["menthol"]}])
    );
    // Without the file, no synonyms; an unreadable one is an error that names it.
    std::fs::remove_file(env.corpus.join("synonyms.txt")).unwrap();
    let v = env.json(&["search", "chiropractic", "--json"], 0);
    assert!(v.get("expanded").is_none(), "{v}");
    env.write("synonyms.txt", b"ice, cold\xff\n");
    let out = env.run(&["search", "ice"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("synonyms.txt"));
}

#[test]
fn cite_finds_the_80_percent_claim_in_its_references() {
    let env = TestEnv::bundled();
    let v = env.json(
        &[
            "cite",
            "around 80% of Americans experience back pain",
            "--json",
        ],
        0,
    );
    let refs: Vec<&str> = v["references"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        refs.contains(&"ninds2020") || refs.contains(&"clevelandclinic2022"),
        "{refs:?}"
    );
}
