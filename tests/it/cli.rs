//! Command-line conventions: help with examples and only each command's own options,
//! completions, man pages, JSON errors, documented limits, one meaning of "cited by".

use std::process::Command as Process;

use serde_json::Value;

use crate::harness::{self, TestEnv};

const COMMANDS: &[&str] = &[
    "ingest",
    "fetch",
    "add",
    "watch",
    "serve",
    "search",
    "cite",
    "eval",
    "refs",
    "audit",
    "extract",
    "model",
    "completions",
    "man",
];

fn help(command: &str) -> String {
    let env = TestEnv::bundled();
    let out = env.run(&[command, "--help"]);
    assert_eq!(out.status.code(), Some(0), "{command} --help");
    String::from_utf8(out.stdout).expect("utf-8 help")
}

#[test]
fn every_command_s_help_has_examples_that_use_it() {
    for command in COMMANDS {
        let text = help(command);
        let examples = text
            .split_once("Examples:\n")
            .unwrap_or_else(|| panic!("`{command} --help` has no examples:\n{text}"))
            .1;
        assert!(
            examples.contains(&format!("citeseek {command}")),
            "`{command} --help`'s examples do not run it:\n{examples}"
        );
    }
}

#[test]
fn help_offers_only_the_options_a_command_uses() {
    // --no-refresh is for the commands that answer from the index.
    for command in ["search", "cite", "refs", "audit"] {
        assert!(help(command).contains("--no-refresh"), "{command}");
    }
    for command in [
        "ingest",
        "watch",
        "serve",
        "eval",
        "fetch",
        "add",
        "extract",
        "completions",
        "man",
    ] {
        assert!(!help(command).contains("--no-refresh"), "{command}");
    }
    // Only eval speaks of BEIR files; only it takes its corpus as a file.
    for command in COMMANDS.iter().filter(|c| **c != "eval") {
        let text = help(command);
        assert!(!text.contains("BEIR"), "{command}:\n{text}");
        assert!(!text.contains("for `eval`"), "{command}:\n{text}");
    }
    let eval = help("eval");
    assert!(eval.contains("--corpus <FILE>"), "{eval}");
    assert!(!eval.contains("guide/"), "{eval}");
    // Commands that print nothing for people take no --color.
    for command in ["completions", "man"] {
        assert!(!help(command).contains("--color"), "{command}");
    }
    assert!(help("search").contains("--color <WHEN>"));
    // Commands that keep no index do not offer one; extract only reads its site counts.
    for command in ["fetch", "add", "completions", "man"] {
        assert!(!help(command).contains("--index"), "{command}");
    }
    let extract = help("extract");
    assert!(
        extract.contains("--index <DIR>") && !extract.contains("--corpus"),
        "{extract}"
    );
    // The limits are stated.
    assert!(help("search").contains("1 to 10000"));
    assert!(help("cite").contains("1 to 1000"));
}

#[test]
fn paths_may_come_before_or_after_the_command() {
    let env = TestEnv::bundled();
    let after = harness::citeseek()
        .current_dir(env.dir.path())
        .arg("search")
        .arg("heat vs ice")
        .arg("--json")
        .arg("--corpus")
        .arg(&env.corpus)
        .arg("--index")
        .arg(&env.index)
        .output()
        .expect("run");
    assert_eq!(after.status.code(), Some(0));
    let before = env.json(&["search", "heat vs ice", "--json"], 0);
    let after: Value = serde_json::from_slice(&after.stdout).expect("json");
    assert_eq!(before, after);
    // The flag after the command wins over the one before it.
    let fresh = TestEnv::bundled();
    let elsewhere = fresh.dir.path().join("other-index");
    let out = fresh.run(&[
        "search",
        "heat",
        "--index",
        elsewhere.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        elsewhere.is_dir(),
        "the index was built where the last flag says"
    );
    assert!(
        !fresh.index.exists(),
        "the index before the command was not used"
    );
}

#[test]
fn completions_for_every_shell() {
    let env = TestEnv::bundled();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = env.run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).expect("utf-8");
        for word in ["search", "cite", "no-refresh", "cites"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
        if ["bash", "zsh", "fish"].contains(&shell) {
            // These complete the values of --style too.
            assert!(
                script.contains("vancouver"),
                "{shell} completions lack --style values"
            );
        }
    }
    // The bash script is valid bash.
    let out = env.run(&["completions", "bash"]);
    let path = env.dir.path().join("citeseek.bash");
    std::fs::write(&path, &out.stdout).expect("write");
    if let Ok(status) = Process::new("bash").arg("-n").arg(&path).status() {
        assert!(status.success(), "bash -n rejects the completion script");
    }
    let out = env.run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_pages() {
    let env = TestEnv::bundled();
    let out = env.run(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        page.starts_with(".ie") || page.contains(".TH citeseek 1"),
        "{page}"
    );
    assert!(
        page.contains(".SH NAME") && page.contains(".SH SUBCOMMANDS"),
        "{page}"
    );
    let dir = env.dir.path().join("man1");
    let out = env.run(&["man", "--dir", dir.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0));
    for command in COMMANDS {
        let page = std::fs::read_to_string(dir.join(format!("citeseek-{command}.1")))
            .unwrap_or_else(|e| panic!("citeseek-{command}.1: {e}"));
        assert!(
            page.contains(&format!(".TH citeseek-{command} 1")),
            "{page}"
        );
        assert!(
            page.contains("Examples:"),
            "citeseek-{command}.1 has no examples"
        );
    }
    assert!(dir.join("citeseek.1").exists());
    // When man(1) is installed, it renders the page.
    if let Ok(out) = Process::new("man")
        .arg("-l")
        .arg(dir.join("citeseek-search.1"))
        .env("MANWIDTH", "80")
        .output()
    {
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("--limit"), "{text}");
        }
    }
}

/// Run with `--json` expecting a failure: exit 2, one JSON error object on stdout, the human
/// message on stderr.
fn json_error(env: &TestEnv, args: &[&str]) -> (Value, String) {
    let out = env.run(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(stdout.lines().count(), 1, "one object: {stdout}");
    let v: Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(
        stderr.contains("citeseek: error") || stderr.contains("error:"),
        "{stderr}"
    );
    let e = &v["error"];
    assert!(e["kind"].is_string() && e["message"].is_string(), "{v}");
    assert!(e["hint"].is_string() || e["hint"].is_null(), "{v}");
    (v, stderr)
}

#[test]
fn errors_under_json_are_one_object_on_stdout() {
    let env = TestEnv::bundled();
    let (v, _) = json_error(&env, &["refs", "nope", "--json"]);
    assert_eq!(v["error"]["kind"], "unknown_reference");
    assert!(v["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("nope")));
    assert_eq!(v["error"]["hint"], "run `citeseek refs` to list them");

    let (v, stderr) = json_error(&env, &["search", "x", "--limit", "0", "--json"]);
    assert_eq!(v["error"]["kind"], "usage");
    assert!(v["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("--limit")));
    assert!(stderr.contains("--limit"), "{stderr}");

    let (v, _) = json_error(&env, &["search", "the", "--json"]);
    assert_eq!(v["error"]["kind"], "query");

    let missing = TestEnv::bundled();
    let nope = missing.dir.path().join("nope");
    let out = missing.run(&["audit", "--json", "--corpus", nope.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["error"]["kind"], "corpus", "{v}");
    assert!(v["error"]["hint"]
        .as_str()
        .is_some_and(|h| h.starts_with("pass --corpus")));

    // Without --json, stdout stays empty.
    let out = env.run(&["refs", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn non_positive_timeouts_are_refused() {
    let env = TestEnv::bundled();
    for value in ["0", "-1", "nan", "inf", "4000", "soon"] {
        let flag = format!("--timeout={value}");
        let out = env.run(&["fetch", "--offline", &flag]);
        assert_eq!(out.status.code(), Some(2), "--timeout {value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--timeout"), "{stderr}");
        assert!(stderr.contains("seconds"), "{stderr}");
    }
}

#[test]
fn cited_by_means_the_same_in_the_list_and_for_one_reference() {
    let env = TestEnv::bundled();
    let list = env.json(&["refs", "--json"], 0);
    let rows = list["references"].as_array().expect("references");
    assert!(!rows.is_empty());
    for row in rows {
        let id = row["id"].as_str().expect("id");
        let one = env.json(&["refs", id, "--json"], 0);
        assert_eq!(one["cited_by"], row["cited_by"], "{id}");
        let outside = one["backlinks"]
            .as_array()
            .expect("backlinks")
            .iter()
            .filter(|b| b["references_section"] == false)
            .count();
        assert_eq!(Some(outside as u64), row["cited_by"].as_u64(), "{id}");
    }
    let text = String::from_utf8(env.run(&["refs", "brinjikji2015"]).stdout).expect("utf-8");
    assert!(text.contains("\ncited by 1 guide passage:\n"), "{text}");
    assert!(
        text.contains("\nlisted in the References section:\n"),
        "{text}"
    );
    let list = String::from_utf8(env.run(&["refs"]).stdout).expect("utf-8");
    let row = list
        .lines()
        .find(|l| l.starts_with("brinjikji2015"))
        .expect("row");
    assert!(row.contains("cited by 1 passage"), "{row}");
}
