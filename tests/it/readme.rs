//! README examples run against the real binary: every ```console block's `$ citeseek …` lines
//! are run in a fresh copy of the bundled corpus and their output compared with the README's,
//! so the README and the binary cannot drift.
//!
//! Each block runs in a fresh copy of the bundled corpus (and `tests/fixtures/`), indexed first
//! unless the block's first command is shown building the index.
//!
//! Matching rules (the README says the same under "Development"):
//! - a line `...` stands for any number of lines; trailing blank lines do not count;
//! - `[..]` inside a line stands for any text on that line;
//! - the output of a command with `--json` is compared as JSON: objects by the keys the README
//!   shows (more may be printed), `"..."` for any value, and a trailing `"..."` in an array for
//!   any further items;
//! - commands run in bash, so `; echo $?`, `touch` and redirections work as in a terminal;
//! - stderr is shown before stdout (citeseek writes its notes first and its results at the
//!   end); a `--json` command's stdout alone is compared.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness;

/// One `$ command` with the output the README shows for it.
#[derive(Debug)]
struct Example {
    line: usize,
    command: String,
    expected: Vec<String>,
}

/// The ```console blocks of a Markdown text, each a list of examples.
fn console_blocks(markdown: &str) -> Vec<Vec<Example>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<Example>> = None;
    for (i, line) in markdown.lines().enumerate() {
        match current.as_mut() {
            None if line.trim_end() == "```console" => current = Some(Vec::new()),
            None => {}
            Some(_) if line.trim_end() == "```" => blocks.extend(current.take()),
            Some(examples) => {
                if let Some(cmd) = line.strip_prefix("$ ") {
                    examples.push(Example {
                        line: i + 1,
                        command: cmd.to_string(),
                        expected: Vec::new(),
                    });
                } else if let Some(last) = examples.last_mut() {
                    if let Some(prev) = last.command.strip_suffix('\\') {
                        // A command continued on the next line.
                        if last.expected.is_empty() {
                            last.command = format!("{prev} {}", line.trim());
                            continue;
                        }
                    }
                    last.expected.push(line.to_string());
                }
            }
        }
    }
    blocks
}

/// Whether `actual` matches a README line with `[..]` wildcards.
fn line_matches(pattern: &str, actual: &str) -> bool {
    let parts: Vec<&str> = pattern.split("[..]").collect();
    if parts.len() == 1 {
        return pattern == actual;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &actual[first.len()..];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Whether `actual` lines match `expected` lines, `...` standing for any lines.
fn lines_match(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "..." => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(a, more)| line_matches(first, a) && lines_match(rest, more)),
    }
}

/// Whether the JSON `actual` holds what `expected` shows (see the module's rules).
fn json_matches(expected: &Value, actual: &Value) -> Result<(), String> {
    match (expected, actual) {
        (Value::String(e), _) if e == "..." => Ok(()),
        (Value::String(e), Value::String(a)) if e.contains("[..]") => line_matches(e, a)
            .then_some(())
            .ok_or_else(|| format!("{a:?} does not match {e:?}")),
        (Value::Object(e), Value::Object(a)) => e.iter().try_for_each(|(k, v)| {
            let got = a.get(k).ok_or_else(|| format!("no key {k:?}"))?;
            json_matches(v, got).map_err(|m| format!("{k}: {m}"))
        }),
        (Value::Array(e), Value::Array(a)) => {
            let open = e.last() == Some(&Value::String("...".into()));
            let shown = if open { &e[..e.len() - 1] } else { &e[..] };
            if a.len() < shown.len() || (!open && a.len() != shown.len()) {
                return Err(format!("{} items, the README shows {}", a.len(), e.len()));
            }
            shown
                .iter()
                .zip(a)
                .enumerate()
                .try_for_each(|(i, (e, a))| json_matches(e, a).map_err(|m| format!("[{i}] {m}")))
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (
                e.as_f64().unwrap_or(f64::NAN),
                a.as_f64().unwrap_or(f64::NAN),
            );
            ((e - a).abs() < 1e-9)
                .then_some(())
                .ok_or_else(|| format!("{a} where the README says {e}"))
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{a} where the README says {e}")),
    }
}

/// What one example printed.
struct Printed {
    stdout: String,
    stderr: String,
}

/// Run one example with bash in `dir`, `citeseek` (and `cargo run --release --`) being the
/// binary under test.
fn run(example: &Example, dir: &Path, bin: &Path) -> Printed {
    let command = example.command.trim();
    let command = match command.strip_prefix("cargo run --release -- ") {
        Some(args) => format!("citeseek {args}"),
        None => command.to_string(),
    };
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(&path));
    let out = harness::isolate(&mut Command::new("bash"))
        .arg("-c")
        .arg(&command)
        .current_dir(dir)
        .env("PATH", std::env::join_paths(paths).expect("PATH"))
        .output()
        .expect("run bash");
    Printed {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn readme_examples_match_the_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("README.md")).expect("README.md");
    let blocks = console_blocks(&readme);
    assert!(
        blocks.iter().map(Vec::len).sum::<usize>() >= 10,
        "the README's console examples were not found"
    );
    // `citeseek` on the PATH of the examples is the binary under test.
    let bin = tempfile::tempdir().expect("temp dir");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_citeseek"), bin.path().join("citeseek"))
        .expect("symlink");
    let mut failures = Vec::new();
    for block in &blocks {
        // Each block starts from a fresh clone's state: the bundled corpus, no index.
        let dir = tempfile::tempdir().expect("temp dir");
        harness::copy_dir(&root.join("corpus"), &dir.path().join("corpus"));
        harness::copy_dir(
            &root.join("tests/fixtures"),
            &dir.path().join("tests/fixtures"),
        );
        // A block whose first command says it builds the index starts without one; the others
        // start from the bundled corpus already indexed, as after the Quick start.
        let builds = block.first().is_some_and(|e| {
            e.expected
                .first()
                .is_some_and(|l| l.contains("(no index yet)") || l.contains("no index in"))
        });
        if !builds {
            let setup = Example {
                line: 0,
                command: "citeseek ingest".into(),
                expected: Vec::new(),
            };
            run(&setup, dir.path(), bin.path());
        }
        for example in block {
            let printed = run(example, dir.path(), bin.path());
            let json_expected = example.command.contains("--json");
            let actual = if json_expected {
                printed.stdout.clone()
            } else {
                format!("{}{}", printed.stderr, printed.stdout)
            };
            let verdict = if json_expected {
                let expected: Result<Value, _> = serde_json::from_str(&example.expected.join("\n"));
                match (expected, serde_json::from_str::<Value>(&actual)) {
                    (Ok(e), Ok(a)) => json_matches(&e, &a),
                    (Err(e), _) => Err(format!("the README's JSON does not parse: {e}")),
                    (_, Err(e)) => Err(format!("the output is not JSON: {e}")),
                }
            } else {
                let mut expected: Vec<String> = example
                    .expected
                    .iter()
                    .map(|l| l.trim_end().to_string())
                    .collect();
                let mut trimmed: Vec<&str> = actual.lines().map(str::trim_end).collect();
                while expected.last().is_some_and(String::is_empty) {
                    expected.pop();
                }
                while trimmed.last().is_some_and(|l| l.is_empty()) {
                    trimmed.pop();
                }
                lines_match(&expected, &trimmed)
                    .then_some(())
                    .ok_or_else(|| "the output differs".to_string())
            };
            if let Err(why) = verdict {
                failures.push(format!(
                    "README.md:{}: $ {}\n{why}\n--- README shows:\n{}\n--- citeseek printed:\n{actual}",
                    example.line,
                    example.command,
                    example.expected.join("\n")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn matching_rules() {
    assert!(line_matches("a [..] c", "a bb c"));
    assert!(!line_matches("a [..] c", "a bb d"));
    assert!(line_matches("in [..]s", "in 0.04s"));
    let exp = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
    assert!(lines_match(&exp("x\n...\nz"), &["x", "y", "y", "z"]));
    assert!(lines_match(&exp("x\n...\nz"), &["x", "z"]));
    assert!(!lines_match(&exp("x\nz"), &["x", "y", "z"]));
    let e: Value = serde_json::json!({"a": [1, "..."], "b": "...", "c": "x[..]"});
    let a: Value = serde_json::json!({"a": [1, 2, 3], "b": {"deep": 1}, "c": "xyz", "d": 0});
    assert_eq!(json_matches(&e, &a), Ok(()));
    assert!(json_matches(&serde_json::json!({"a": [1]}), &a).is_err());
    assert!(json_matches(&serde_json::json!({"z": 1}), &a).is_err());
    let blocks =
        console_blocks("```console\n$ citeseek a \\\n  --b\nout\n```\n```text\n$ x\n```\n");
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0][0].command, "citeseek a  --b");
    assert_eq!(blocks[0][0].expected, ["out"]);
}
