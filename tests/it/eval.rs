//! `citeseek eval` end to end on a tiny hand-made BEIR set (tests/fixtures/beir-tiny, whose
//! README derives the expected metrics), plus the errors a user can make.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use crate::harness;

fn tiny(file: &str) -> PathBuf {
    harness::fixture("beir-tiny").join(file)
}

/// `citeseek eval` on the tiny set, with the environment cleared of citeseek's variables.
fn eval_cmd(corpus: &Path, queries: &Path, qrels: &Path) -> Command {
    let mut cmd = Command::from_std(harness::citeseek());
    cmd.arg("eval")
        .arg("--corpus")
        .arg(corpus)
        .arg("--queries")
        .arg(queries)
        .arg("--qrels")
        .arg(qrels);
    cmd
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}", String::from_utf8_lossy(out));
    })
}

fn close(v: &Value, key: &str, expected: f64) {
    let got = v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no number {key} in {v}"));
    assert!(
        (got - expected).abs() < 1e-9,
        "{key}: got {got}, expected {expected}"
    );
}

#[test]
fn tiny_set_has_the_hand_computed_metrics() {
    let out = eval_cmd(
        &tiny("corpus.jsonl"),
        &tiny("queries.jsonl"),
        &tiny("qrels/test.tsv"),
    )
    .arg("--json")
    .assert()
    .success()
    .get_output()
    .stdout
    .clone();
    let v = json_of(&out);
    assert_eq!(v["queries"], 4, "{v}");
    close(&v, "ndcg@10", (2.0 + 1.0 / 3f64.log2()) / 4.0);
    close(&v, "recall@10", 0.75);
    close(&v, "recall@100", 0.75);
    close(&v, "mrr@10", 0.625);
    assert!(v["qps"].as_f64().unwrap() > 0.0);
    assert!(v["index_seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(v["unjudged_queries"], 2);
    assert_eq!(v["documents"], 5);
}

#[test]
fn run_file_is_trec_format() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("tiny.run");
    eval_cmd(
        &tiny("corpus.jsonl"),
        &tiny("queries.jsonl"),
        &tiny("qrels/test.tsv"),
    )
    .arg("--run")
    .arg(&run)
    .assert()
    .success();
    let text = fs::read_to_string(&run).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
    assert!(lines
        .iter()
        .all(|l| l.len() == 6 && l[1] == "Q0" && l[5] == "citeseek"));
    // Only judged queries run; q4 ranks d4 first and its relevant d5 second.
    let q4: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l[0] == "q4")
        .map(|l| (l[2], l[3]))
        .collect();
    assert_eq!(q4, [("d4", "1"), ("d5", "2")]);
    assert!(!lines.iter().any(|l| l[0] == "q5" || l[0] == "q6"));
}

#[test]
fn k_adds_a_cutoff_and_human_output_names_the_metrics() {
    let out = eval_cmd(
        &tiny("corpus.jsonl"),
        &tiny("queries.jsonl"),
        &tiny("qrels/test.tsv"),
    )
    .args(["--k", "1"])
    .assert()
    .success()
    .get_output()
    .stdout
    .clone();
    let text = String::from_utf8(out).unwrap();
    for word in [
        "nDCG@10",
        "Recall@100",
        "MRR@10",
        "nDCG@1",
        "QPS",
        "indexing",
    ] {
        assert!(text.contains(word), "{word} missing from:\n{text}");
    }
}

#[test]
fn malformed_query_lines_are_reported_with_file_and_line_and_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let queries = tmp.path().join("queries.jsonl");
    let good = fs::read_to_string(tiny("queries.jsonl")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(2, "{\"_id\": \"bad\", \"text\": ");
    lines.insert(4, "[1, 2]");
    fs::write(&queries, lines.join("\n")).unwrap();
    let assert = eval_cmd(&tiny("corpus.jsonl"), &queries, &tiny("qrels/test.tsv"))
        .arg("--json")
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    let path = queries.display().to_string();
    assert!(stderr.contains(&format!("{path}:3:")), "{stderr}");
    assert!(stderr.contains(&format!("{path}:5:")), "{stderr}");
    let v = json_of(&assert.get_output().stdout);
    assert_eq!(v["queries"], 4);
    assert_eq!(v["malformed_lines"], 2);
}

#[test]
fn malformed_corpus_line_is_an_error_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus.jsonl");
    fs::write(
        &corpus,
        "{\"_id\": \"d1\", \"title\": \"t\", \"text\": \"vitamin\"}\n{\"title\": \"no id\"}\n",
    )
    .unwrap();
    let assert = eval_cmd(&corpus, &tiny("queries.jsonl"), &tiny("qrels/test.tsv"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains(&format!("{}:2:", corpus.display())),
        "{stderr}"
    );
}

#[test]
fn bad_qrels_line_is_an_error_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let qrels = tmp.path().join("qrels.tsv");
    fs::write(&qrels, "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\n").unwrap();
    let assert = eval_cmd(&tiny("corpus.jsonl"), &tiny("queries.jsonl"), &qrels)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains(&format!("{}:3:", qrels.display())),
        "{stderr}"
    );
}

#[test]
fn missing_or_directory_corpus_says_what_to_pass() {
    let mut cmd = Command::from_std(harness::citeseek());
    let assert = cmd
        .arg("eval")
        .arg("--queries")
        .arg(tiny("queries.jsonl"))
        .arg("--qrels")
        .arg(tiny("qrels/test.tsv"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("--corpus corpus.jsonl"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let assert = eval_cmd(dir.path(), &tiny("queries.jsonl"), &tiny("qrels/test.tsv"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("is a directory"), "{stderr}");
}

#[test]
fn index_dir_is_kept_and_never_takes_over_another_index() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("beir-index");
    let run = |corpus: &Path| {
        let mut cmd = eval_cmd(corpus, &tiny("queries.jsonl"), &tiny("qrels/test.tsv"));
        cmd.arg("--index").arg(&index).arg("--json");
        cmd.assert()
    };
    run(&tiny("corpus.jsonl")).success();
    assert!(index.join("citeseek-index.json").is_file());
    // The same corpus again rebuilds it in place.
    run(&tiny("corpus.jsonl")).success();
    // Another corpus must not overwrite it.
    let other = tmp.path().join("other.jsonl");
    fs::copy(tiny("corpus.jsonl"), &other).unwrap();
    let assert = run(&other).code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("pass an empty or new --index"), "{stderr}");
}
