//! Never broken: SIGKILL during a full rebuild, searches during repeated ingests, and `watch`.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::wait::{self, Lines};
use crate::harness::{gen, TestEnv};

/// A generated corpus of `pages` guide pages.
fn generated(pages: usize) -> TestEnv {
    let env = TestEnv::no_references();
    gen::write_pages(&env.corpus.join("guide"), pages, 7, &[]).unwrap();
    env
}

fn kill9(child: &mut Child) {
    // SIGKILL: no chance to clean up.
    let _ = child.kill();
    let _ = child.wait();
}

/// The `gen-*` directories in `index`.
fn generations(index: &Path) -> BTreeSet<String> {
    fs::read_dir(index)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with("gen-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether generation directory `dir` holds a file `name` (for a pattern `*.ext`, a file
/// whose name ends in `.ext`).
fn holds(dir: &Path, name: &str) -> bool {
    match name.strip_prefix("*") {
        Some(ext) => fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(ext))
        }),
        None => dir.join(name).exists(),
    }
}

/// Where a full ingest is killed, in the order it gets there: each the file of the new
/// generation directory whose appearance marks the point.
const KILL_POINTS: &[(&str, &str)] = &[
    (
        "the generation directory is created",
        ".citeseek-generation",
    ),
    ("tantivy has written a segment", "*.store"),
    ("publishing has begun (the references)", "references.json"),
    ("the manifest is written", "manifest.tsv"),
    ("the last file before the marker", "blocks.tsv"),
];

#[test]
fn killing_a_full_ingest_never_breaks_the_index() {
    let env = generated(1200);
    let started = Instant::now();
    let first = env.ingest(&[]);
    let full_time = started.elapsed();
    assert_eq!(first["mode"], "full");
    eprintln!("full ingest of 1200 pages: {full_time:?}");
    let (code, before, _) = env.try_search(&["stretch", "posture", "-n", "3"]);
    assert_eq!(code, 0);

    let mut killed_mid_run = 0;
    for (point, file) in KILL_POINTS {
        let existing = generations(&env.index);
        let mut child = env
            .process(&["ingest", "--full"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Nothing announces these points but the files themselves: watch for the file (or
        // the end of the run), then kill at once.
        let mut exited = false;
        wait::until(
            Duration::from_secs(120),
            Duration::from_millis(1),
            &format!("a full ingest to reach the point where {point}"),
            || {
                exited = child.try_wait().unwrap().is_some();
                exited
                    || generations(&env.index)
                        .difference(&existing)
                        .any(|g| holds(&env.index.join(g), file))
            },
        );
        let mid_run = !exited && child.try_wait().unwrap().is_none();
        killed_mid_run += usize::from(mid_run);
        eprintln!(
            "killed when {point}: {}",
            if mid_run { "mid-run" } else { "after it ended" }
        );
        kill9(&mut child);
        let (code, hits, stderr) = env.try_search(&["stretch", "posture", "-n", "3"]);
        assert_eq!(code, 0, "search after a kill when {point} failed: {stderr}");
        // Old or new generation: the same corpus, so the same answers.
        let ids = |h: &[serde_json::Value]| -> Vec<String> {
            h.iter().map(|x| x["passage_id"].to_string()).collect()
        };
        assert_eq!(ids(&hits), ids(&before), "after a kill when {point}");
    }
    assert!(
        killed_mid_run >= 3,
        "ingest was too fast to be killed mid-run"
    );
    // The next ingest cleans up what the killed ones left behind.
    env.ingest(&["--full"]);
    assert_eq!(generations(&env.index).len(), 1);
}

#[test]
fn searches_keep_working_while_ingests_run() {
    let env = Arc::new(generated(300));
    env.ingest(&[]);
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let env = Arc::clone(&env);
        let done = Arc::clone(&done);
        thread::spawn(move || {
            for round in 0..6 {
                // Alternate full rebuilds and incremental updates.
                if round % 2 == 0 {
                    env.ingest(&["--full"]);
                } else {
                    let path = env.guide(&format!("page-{round:05}.md"));
                    let text = std::fs::read_to_string(&path).unwrap();
                    std::fs::write(&path, format!("{text}\nRound {round} edit.\n")).unwrap();
                    env.ingest(&[]);
                }
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    let mut searches = 0;
    let mut failures = Vec::new();
    while !done.load(Ordering::SeqCst) {
        let (code, _, stderr) = env.try_search(&["--kind", "guide", "muscle", "spasm"]);
        searches += 1;
        if code != 0 {
            failures.push(stderr);
        }
    }
    writer.join().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {searches} searches failed: {failures:?}",
        failures.len()
    );
    assert!(searches >= 3, "only {searches} searches ran");
}

#[test]
fn watch_updates_after_an_edit_and_stops_on_ctrl_c() {
    let env = generated(5);
    env.ingest(&[]);
    let mut child = env
        .process(&["watch"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let notes = Lines::read(child.stderr.take().unwrap(), None);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    notes.wait_for("watching", Duration::from_secs(20));
    // A save burst: three writes in quick succession are one update.
    let path = env.guide("page-00002.md");
    for i in 0..3 {
        std::fs::write(&path, format!("# Page two\n\nNumbatology edit {i}.\n")).unwrap();
        // Not a wait: the gaps, well under the debounce's quiet time, are the burst under test.
        thread::sleep(Duration::from_millis(30));
    }
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("updated: 1 file [~guide/page-00002.md]"),
        "{line}"
    );
    assert_eq!(env.try_search(&["numbatology"]).0, 0);

    // Ctrl-C: a clean exit.
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0));
    // No second update line for the burst.
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(rest.is_empty(), "{rest}");
}
