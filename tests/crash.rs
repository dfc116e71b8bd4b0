//! Never broken: SIGKILL during a full rebuild, searches during repeated ingests, and `watch`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::gen;
use common::rebuild::Env;

/// A generated corpus of `pages` guide pages.
fn generated(pages: usize) -> Env {
    let env = Env::empty();
    gen::write_pages(&env.corpus.join("guide"), pages, 7, &[]).unwrap();
    env
}

fn kill9(child: &mut Child) {
    // SIGKILL: no chance to clean up.
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn killing_a_full_ingest_never_breaks_the_index() {
    let env = generated(1200);
    let started = Instant::now();
    let first = env.ingest(&[]);
    let full_time = started.elapsed();
    assert_eq!(first["mode"], "full");
    eprintln!("full ingest of 1200 pages: {full_time:?}");
    let (code, before, _) = env.search(&["stretch", "posture", "-n", "3"]);
    assert_eq!(code, 0);

    let mut killed_mid_run = 0;
    for delay_ms in [50u64, 150, 300, 600, 900] {
        let mut child = env
            .std_cmd()
            .args(["ingest", "--full"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        kill9(&mut child);
        let (code, hits, stderr) = env.search(&["stretch", "posture", "-n", "3"]);
        assert_eq!(
            code, 0,
            "search after kill at {delay_ms} ms failed: {stderr}"
        );
        // Old or new generation: the same corpus, so the same answers.
        let ids = |h: &[serde_json::Value]| -> Vec<String> {
            h.iter().map(|x| x["passage_id"].to_string()).collect()
        };
        assert_eq!(ids(&hits), ids(&before), "after kill at {delay_ms} ms");
    }
    assert!(
        killed_mid_run >= 3,
        "ingest was too fast to be killed mid-run"
    );
    // The next ingest cleans up what the killed ones left behind.
    env.ingest(&["--full"]);
    let gens = std::fs::read_dir(&env.index)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
        .count();
    assert_eq!(gens, 1);
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
        let (code, _, stderr) = env.search(&["--kind", "guide", "muscle", "spasm"]);
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
        .std_cmd()
        .arg("watch")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("watch starts");
        if line.contains("watching") {
            break;
        }
        assert!(Instant::now() < deadline);
    }
    // A save burst: three writes in quick succession are one update.
    let path = env.guide("page-00002.md");
    for i in 0..3 {
        std::fs::write(&path, format!("# Page two\n\nNumbatology edit {i}.\n")).unwrap();
        thread::sleep(Duration::from_millis(30));
    }
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("updated: 1 file [~guide/page-00002.md]"),
        "{line}"
    );
    assert_eq!(env.search(&["numbatology"]).0, 0);

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
