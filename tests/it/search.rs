//! Integration tests for `ingest` and `search`: the real binary on the bundled corpus and on
//! temporary corpora, checked through the JSON contract.

use std::fs;

use crate::harness::{self, fixture, nearest_heading, TestEnv};
use predicates::prelude::*;
use serde_json::Value;

#[test]
fn heat_vs_ice_ranks_hot_and_cold_therapy_first_with_its_citation() {
    let env = TestEnv::bundled();
    let hits = env.search("heat vs ice", &[]);
    let top = &hits[0];
    assert_eq!(nearest_heading(top), "Using Hot and Cold Therapy");
    assert_eq!(top["kind"], "guide");
    let cites: Vec<&str> = top["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(cites.contains(&"malanga2015"), "{cites:?}");
}

#[test]
fn public_guide_search_checks_pass() {
    let env = TestEnv::bundled();
    let checks = fs::read_to_string(fixture("guide-queries.jsonl")).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for line in checks.lines().filter(|l| !l.trim().is_empty()) {
        let check: Value = serde_json::from_str(line).unwrap();
        if check["mode"] != "search" {
            continue;
        }
        n += 1;
        let k = check["k"].as_u64().unwrap() as usize;
        let q = check["q"].as_str().unwrap();
        let hits = env.search(q, &["--limit", &k.max(5).to_string()]);
        let got: Vec<String> = hits.iter().take(k).map(nearest_heading).collect();
        if !got.iter().any(|h| h == check["section"].as_str().unwrap()) {
            failures.push(format!("{q:?}: want {} in {got:?}", check["section"]));
        }
    }
    assert!(n >= 7, "only {n} search checks found");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn json_hits_follow_the_contract() {
    let env = TestEnv::bundled();
    let v = env.json(&["search", "heat vs ice", "--json", "--limit", "3"], 0);
    assert_eq!(v["query"], "heat vs ice");
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    let source_text = fs::read_to_string(env.corpus.join("guide/back-spasm-relief.html")).unwrap();
    for (i, hit) in hits.iter().enumerate() {
        assert_eq!(hit["rank"], i + 1);
        assert!(hit["score"].as_f64().unwrap() > 0.0);
        for key in ["passage_id", "kind", "doc", "title", "text", "snippet"] {
            assert!(hit[key].is_string(), "{key} missing in {hit}");
        }
        assert!(hit["section"].is_array());
        assert!(hit["citations"].is_array());
        assert!(hit["source"]["path"].is_string());
        assert!(hit["source"]["line"].as_u64().unwrap() >= 1);
        // Highlights are character ranges in the snippet that cover query words.
        let snippet: Vec<char> = hit["snippet"].as_str().unwrap().chars().collect();
        for h in hit["highlights"].as_array().unwrap() {
            let (a, b) = (
                h[0].as_u64().unwrap() as usize,
                h[1].as_u64().unwrap() as usize,
            );
            assert!(a < b && b <= snippet.len(), "{h} out of {}", snippet.len());
            let word: String = snippet[a..b].iter().collect::<String>().to_lowercase();
            assert!(
                ["heat", "ice"].contains(&word.as_str()),
                "highlighted {word:?}"
            );
        }
    }
    let top = &hits[0];
    assert_eq!(top["doc"], "back-spasm-relief");
    assert_eq!(top["title"], "A Massive List of Back Spasm Relief");
    assert_eq!(
        top["section"],
        serde_json::json!([
            "Immediate Back Spasm Relief: Your At-Home Toolkit",
            "Using Hot and Cold Therapy"
        ])
    );
    assert!(top["passage_id"]
        .as_str()
        .unwrap()
        .starts_with("back-spasm-relief#using-hot-and-cold-therapy/"));
    assert!(top["source"]["path"]
        .as_str()
        .unwrap()
        .ends_with("guide/back-spasm-relief.html"));
    assert_eq!(
        top["source"]["url"],
        "https://neuropasil.com/blogs/news/a-massive-list-of-back-spasm-relief#using-hot-and-cold-therapy"
    );
    assert!(!top["highlights"].as_array().unwrap().is_empty());
    // The line points at the passage's own text in the source file.
    let line = top["source"]["line"].as_u64().unwrap() as usize;
    let first_words: String = top["text"].as_str().unwrap().chars().take(30).collect();
    assert!(source_text
        .lines()
        .nth(line - 1)
        .unwrap()
        .contains(&first_words));
    let cit = &top["citations"][0];
    assert_eq!(cit["id"], "malanga2015");
    assert_eq!(cit["label"], "Malanga et al., 2015");
    assert_eq!(cit["doi"], "10.1080/00325481.2015.992719");
}

#[test]
fn guide_passages_rank_above_references_that_back_them() {
    let env = TestEnv::bundled();
    let hits = env.search("dehydration and muscle cramps", &[]);
    assert_eq!(hits[0]["kind"], "guide");
    assert!(
        hits.iter().any(|h| h["kind"] == "reference"),
        "references still surface"
    );
}

#[test]
fn kind_and_cites_filters() {
    let env = TestEnv::bundled();
    let refs = env.search("heat", &["--kind", "reference", "--limit", "10"]);
    assert!(!refs.is_empty());
    assert!(refs.iter().all(|h| h["kind"] == "reference"));
    let guide = env.search("heat", &["--kind", "guide", "--limit", "10"]);
    assert!(guide.iter().all(|h| h["kind"] == "guide"));
    let cited = env.search("back pain", &["--cites", "brinjikji2015", "--limit", "20"]);
    assert!(!cited.is_empty());
    for h in &cited {
        let ids: Vec<&str> = h["citations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&"brinjikji2015"), "{ids:?}");
    }
}

#[test]
fn exit_status_is_one_with_no_hits_and_two_on_error() {
    let env = TestEnv::bundled();
    let v = env.json(&["search", "xylophone", "--json"], 1);
    assert_eq!(v["hits"].as_array().unwrap().len(), 0);
    env.cmd(&["search", "xylophone"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no passages match"));
    let missing = TestEnv::bundled();
    let mut cmd = missing.cmd(&["search", "heat"]);
    cmd.arg("--corpus").arg(missing.dir.path().join("nope"));
    cmd.assert()
        .code(2)
        .stderr(predicate::str::contains("not found").and(predicate::str::contains("--corpus")));
}

#[test]
fn no_input_is_a_syntax_error() {
    let env = TestEnv::bundled();
    let long = "heat ".repeat(2000);
    for q in [
        "\"unbalanced quote",
        "heat AND",
        "AND",
        "title: ice",
        "section:heat",
        "🔥 heat 🧊",
        long.as_str(),
        "-",
        "+",
        "\"\"",
        "((heat))",
        "NOT",
    ] {
        let out = env.run(&["search", q, "--json"]);
        let code = out.status.code();
        assert!(
            matches!(code, Some(0) | Some(1) | Some(2)),
            "{q:?} exited {code:?}"
        );
        if code != Some(2) {
            let _: Value =
                serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{q:?}: {e}"));
        } else {
            assert!(!out.stderr.is_empty());
            assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
        }
    }
}

#[test]
fn empty_and_stop_word_queries_get_helpful_messages() {
    let env = TestEnv::bundled();
    env.cmd(&["search", ""])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("empty"));
    env.cmd(&["search", "the and of"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no searchable word"));
    env.cmd(&["search", "-e"]).assert().code(2);
}

#[test]
fn phrases_required_and_excluded_words() {
    let env = TestEnv::bundled();
    let hits = env.search("\"blood flow\"", &["--limit", "20"]);
    assert!(!hits.is_empty());
    for h in &hits {
        assert!(
            h["text"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("blood flow"),
            "{}",
            h["text"]
        );
    }
    let hits = env.search("heat -ice", &["--limit", "20"]);
    assert!(!hits.is_empty());
    for h in &hits {
        assert!(
            !h["text"].as_str().unwrap().to_lowercase().contains("ice "),
            "{}",
            h["text"]
        );
    }
    let hits = env.search("stretch +menthol", &["--limit", "20"]);
    assert!(!hits.is_empty());
    for h in &hits {
        let all = format!("{} {} {}", h["text"], h["section"], h["alt"]).to_lowercase();
        assert!(all.contains("menthol"), "{all}");
    }
}

/// A page where the words alone rank a passage about one side first: each side has a section
/// of its own, and one passage compares them in passing.
const ONE_SIDE_EACH: &str = "# Back care

## Heat

Heat relaxes tight muscles. Heat from a warm bath or heat from a heating pad: heat helps.

## Ice

Ice numbs a fresh strain. Ice in a towel, ice from the freezer: ice calms the swelling.

## Which one

Some reach for something from the freezer and some for something warm. For the first two days \
after a strain most guides say ice, and later, once the swelling is gone, heat for the \
stiffness that is left.

## Posture

Sit upright with the feet flat on the floor and the screen at eye level.
";

#[test]
fn compare_queries_prefer_passages_with_both_sides() {
    let env = TestEnv::bundled();
    let hits = env.search("heat vs ice", &[]);
    let text = hits[0]["text"].as_str().unwrap().to_lowercase();
    assert!(text.contains("heat") && text.contains("ice"), "{text}");

    // The bundled guide's best passage for "heat ice" mentions both anyway, so the lines above
    // hold without the comparison boost. Here the same words rank a one-sided passage first,
    // and only the boost that "vs" asks for puts the passage with both sides on top.
    let env = TestEnv::no_references();
    env.write("guide/back-care.md", ONE_SIDE_EACH);
    let top = |query: &str| nearest_heading(&env.search(query, &[])[0]);
    let plain = top("heat ice");
    assert!(plain == "Heat" || plain == "Ice", "{plain}");
    assert_eq!(top("heat vs ice"), "Which one");
    assert_eq!(top("ice versus heat"), "Which one");
}

#[test]
fn first_search_builds_the_index_and_says_so() {
    let env = TestEnv::bundled();
    env.cmd(&["search", "heat"])
        .assert()
        .success()
        .stderr(predicate::str::contains("building it"));
    // The second search uses the index as it is.
    env.cmd(&["search", "heat"])
        .assert()
        .success()
        .stderr(predicate::str::contains("building it").not());
    assert!(env.index.join("citeseek-index.json").is_file());
}

#[test]
fn environment_variables_set_corpus_and_index() {
    let env = TestEnv::bundled();
    let mut cmd = assert_cmd::Command::from_std(harness::citeseek());
    cmd.current_dir(env.dir.path())
        .env("CITESEEK_CORPUS", &env.corpus)
        .env("CITESEEK_INDEX", &env.index)
        .args(["search", "menthol", "--json"]);
    cmd.assert().success();
    assert!(env.index.join("citeseek-index.json").is_file());
}

#[test]
fn ingest_prints_a_summary_and_rejects_a_missing_corpus() {
    let env = TestEnv::bundled();
    env.cmd(&["ingest"]).assert().success().stderr(
        predicate::str::is_match(
            r"indexed 1 guide and 8 references: \d+ passages, \d+ citations in [0-9.]+s",
        )
        .unwrap(),
    );
    let mut cmd = env.cmd(&["ingest"]);
    cmd.arg("--corpus").arg(env.dir.path().join("missing"));
    cmd.assert().code(2).stderr(
        predicate::str::contains("missing").and(predicate::str::contains("CITESEEK_CORPUS")),
    );
}

#[test]
fn malformed_references_json_names_file_line_and_column() {
    let env = TestEnv::empty();
    env.write("guide/g.md", "# G\n\nText about heat.\n");
    env.write(
        "references.json",
        "[\n  {\"id\": \"a\",\n   \"title\": }\n]\n",
    );
    env.cmd(&["ingest"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("references.json:3:"));
}

#[test]
fn unreadable_guide_is_skipped_and_the_rest_indexed() {
    let env = TestEnv::empty();
    env.write("guide/good.md", "# Good\n\nHeat relaxes muscles.\n");
    env.write(
        "guide/bad.txt",
        b"Latin-1 caf\xe9 text\n\nmore heat\n".as_slice(),
    );
    env.cmd(&["ingest"])
        .assert()
        .success()
        .stderr(predicate::str::contains("bad.txt").and(predicate::str::contains("UTF-8")));
    let hits = env.search("heat", &[]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["doc"], "good");
}

#[test]
fn markdown_guide_is_searchable_with_headings_lines_and_citations() {
    let env = TestEnv::empty();
    fs::copy(
        harness::repo_corpus().join("references.json"),
        env.corpus.join("references.json"),
    )
    .unwrap();
    env.write(
        "guide/stretching.md",
        "# Stretching Guide\n\nIntro.\n\n## Heat First\n\nWarm muscles stretch better; see [the review](https://doi.org/10.1080/00325481.2015.992719).\n\n- Cat-cow pose\n- Child's pose\n",
    );
    let hits = env.search("warm muscles stretch", &[]);
    let top = &hits[0];
    assert_eq!(top["doc"], "stretching");
    assert_eq!(top["title"], "Stretching Guide");
    assert_eq!(top["section"], serde_json::json!(["Heat First"]));
    assert_eq!(top["source"]["line"], 7);
    assert_eq!(top["citations"][0]["id"], "malanga2015");
    let hits = env.search("cat-cow", &[]);
    assert_eq!(hits[0]["text"], "Cat-cow pose\nChild's pose");
}

#[test]
fn plain_text_guide_is_searchable() {
    let env = TestEnv::empty();
    fs::copy(
        fixture("back-spasm-relief.txt"),
        env.corpus.join("guide/back-spasm-relief.txt"),
    )
    .unwrap();
    let hits = env.search("ice or heat for a back spasm", &["--limit", "3"]);
    assert!(
        hits.iter()
            .any(|h| nearest_heading(h) == "Using Hot and Cold Therapy"),
        "{:?}",
        hits.iter().map(nearest_heading).collect::<Vec<_>>()
    );
    assert_eq!(hits[0]["title"], "A Massive List of Back Spasm Relief");
    assert!(hits[0]["source"]["path"]
        .as_str()
        .unwrap()
        .ends_with("guide/back-spasm-relief.txt"));
}

#[test]
fn control_characters_never_reach_the_terminal() {
    let env = TestEnv::empty();
    env.write(
        "guide/evil.html",
        "<article><h1>Evil \u{1b}[31mTitle</h1><p>Heat \u{1b}]0;pwned\u{7} therapy \u{1b}[2J works.</p></article>",
    );
    let out = env.run(&["search", "heat"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !out.stdout.contains(&0x1b),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!out.stdout.contains(&0x07));
}

#[test]
fn piped_output_has_no_colour_unless_asked() {
    let env = TestEnv::bundled();
    let out = env.run(&["search", "heat"]);
    assert!(!out.stdout.contains(&0x1b));
    let out = env.run(&["--color", "always", "search", "heat"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\u{1b}[1m"));
}

#[test]
fn index_of_another_schema_version_is_rebuilt() {
    let env = TestEnv::bundled();
    env.cmd(&["ingest"]).assert().success();
    let marker_path = env.index.join("citeseek-index.json");
    let mut marker: Value =
        serde_json::from_str(&fs::read_to_string(&marker_path).unwrap()).unwrap();
    marker["schema_version"] = Value::from(0);
    fs::write(&marker_path, marker.to_string()).unwrap();
    env.cmd(&["search", "heat"])
        .assert()
        .success()
        .stderr(predicate::str::contains("rebuilding"));
}

#[test]
fn foreign_index_directory_is_refused_and_left_alone() {
    let env = TestEnv::bundled();
    fs::create_dir_all(&env.index).unwrap();
    fs::write(env.index.join("notes.txt"), "mine").unwrap();
    env.cmd(&["search", "heat"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a citeseek index"));
    assert_eq!(
        fs::read_to_string(env.index.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn help_and_version_exit_zero() {
    let env = TestEnv::bundled();
    env.cmd(&["--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("search"));
    env.cmd(&["--version"]).assert().success();
    env.cmd(&["search"]).assert().code(2);
}

#[test]
fn no_refresh_answers_from_the_index_as_it_is() {
    let env = TestEnv::copied();
    env.cmd(&["ingest"]).assert().success();
    let guide = env.corpus.join("guide/back-spasm-relief.html");
    let text = fs::read_to_string(&guide).unwrap();
    fs::write(
        &guide,
        text.replace("The trick is timing.", "The trick is zanzibar timing."),
    )
    .unwrap();
    // Without the check, the edit is not seen and nothing is written.
    let marker = fs::read(env.index.join("citeseek-index.json")).unwrap();
    env.cmd(&["--no-refresh", "search", "zanzibar"])
        .assert()
        .code(1);
    assert_eq!(
        fs::read(env.index.join("citeseek-index.json")).unwrap(),
        marker
    );
    // The default check brings the index up to date first.
    let hits = env.search("zanzibar", &[]);
    assert_eq!(nearest_heading(&hits[0]), "Using Hot and Cold Therapy");
}

#[test]
fn a_guide_named_like_a_reference_keeps_its_own_passage_ids() {
    let env = TestEnv::copied();
    env.write(
        "guide/malanga2015.md",
        "# Notes\n\n## Summary\n\nHeat wraps help, my notes say.\n",
    );
    let hits = env.search("heat wraps", &["--limit", "50"]);
    let ids: Vec<&str> = hits
        .iter()
        .map(|h| h["passage_id"].as_str().unwrap())
        .collect();
    let unique: std::collections::HashSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    assert!(
        ids.iter()
            .any(|i| i.starts_with("guide/malanga2015#summary/")),
        "{ids:?}"
    );
    assert!(ids.iter().any(|i| i.starts_with("malanga2015#")), "{ids:?}");
    // Searching again finds the index up to date (the renamed id is stable).
    env.cmd(&["search", "heat wraps"])
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
}

#[test]
fn unknown_cites_id_is_an_error_not_an_empty_result() {
    let env = TestEnv::bundled();
    env.cmd(&["search", "ice", "--cites", "nosuch2099"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("nosuch2099").and(predicate::str::contains("malanga2015")),
        );
}

#[test]
fn audit_of_a_corpus_without_guides_is_an_error() {
    let env = TestEnv::empty();
    env.cmd(&["audit"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no guide to audit"));
    env.cmd(&["ingest", "--full"]).assert().success().stderr(
        predicate::str::contains("no guide files")
            .and(predicate::str::contains("no references.json")),
    );
}
