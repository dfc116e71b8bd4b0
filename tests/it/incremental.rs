//! Rebuilding after edits: incremental ingest, stale-index updates on search, dry runs, the
//! writer lock, damaged indexes, `watch`.

use std::fs;
use std::time::{Duration, SystemTime};

use crate::harness::{self, strings, TestEnv};
use predicates::prelude::*;

const GUIDE: &str = "back-spasm-relief.html";
const OLD: &str = "Most back spasms respond well to simple at-home treatments.";
const NEW: &str = "Most quokkaflux spasms respond well to simple at-home treatments.";

fn edit(env: &TestEnv, name: &str, from: &str, to: &str) {
    let path = env.guide(name);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} not in {name}");
    fs::write(&path, text.replace(from, to)).unwrap();
}

fn passage_ids(env: &TestEnv, path: &str) -> Vec<String> {
    // One line a file: `path<TAB>id<TAB>id…`, beside the manifest.
    let generation = env.marker()["generation"].as_str().unwrap().to_string();
    let text = std::fs::read_to_string(env.index.join(generation).join("passages.tsv")).unwrap();
    let line = text
        .lines()
        .find(|l| l.split('\t').next() == Some(path))
        .unwrap();
    line.split('\t').skip(1).map(str::to_string).collect()
}

#[test]
fn editing_a_paragraph_reindexes_only_that_document() {
    let env = TestEnv::copied();
    fs::write(
        env.guide("other.md"),
        "# Other\n\n## Sleep\n\nA firm mattress helps some sleepers.\n",
    )
    .unwrap();
    let first = env.ingest(&[]);
    assert_eq!(first["mode"], "full");
    let other_before = passage_ids(&env, "guide/other.md");
    let guide_before = passage_ids(&env, &format!("guide/{GUIDE}"));

    edit(&env, GUIDE, OLD, NEW);
    let report = env.ingest(&[]);
    assert_eq!(report["mode"], "incremental", "{report}");
    assert_eq!(strings(&report["changed"]), [format!("guide/{GUIDE}")]);
    assert_eq!(report["reextracted"], 1);
    assert!(strings(&report["added"]).is_empty() && strings(&report["removed"]).is_empty());

    let (code, hits, _) = env.try_search(&["quokkaflux"]);
    assert_eq!(code, 0);
    assert_eq!(hits[0]["doc"], "back-spasm-relief");
    let (code, hits, _) = env.try_search(&["\"back spasms respond well\""]);
    assert_eq!(code, 1, "old wording still found: {hits:?}");

    // Passage ids are stable: the other document is untouched, and so are the edited
    // document's ids (same headings, same number of paragraphs).
    assert_eq!(passage_ids(&env, "guide/other.md"), other_before);
    assert_eq!(passage_ids(&env, &format!("guide/{GUIDE}")), guide_before);
}

#[test]
fn deleting_a_file_removes_its_passages() {
    let env = TestEnv::copied();
    fs::write(
        env.guide("gone.md"),
        "# Gone\n\nWombatitis is a made-up word.\n",
    )
    .unwrap();
    env.ingest(&[]);
    assert_eq!(env.try_search(&["wombatitis"]).0, 0);

    fs::remove_file(env.guide("gone.md")).unwrap();
    let report = env.ingest(&[]);
    assert_eq!(report["mode"], "incremental");
    assert_eq!(strings(&report["removed"]), ["guide/gone.md"]);
    assert_eq!(report["reextracted"], 0);
    assert!(report["passages_removed"].as_u64().unwrap() >= 1);
    assert_eq!(env.try_search(&["wombatitis"]).0, 1);
    let listed = env.manifest_paths();
    assert!(listed.iter().any(|p| p.starts_with("guide/")), "{listed:?}");
    assert!(!listed.iter().any(|p| p == "guide/gone.md"), "{listed:?}");
}

#[test]
fn adding_a_reference_snapshot_makes_its_text_searchable() {
    let env = TestEnv::copied();
    let snapshot = env.corpus.join("references/lau2019.html");
    fs::remove_file(&snapshot).unwrap();
    env.ingest(&[]);
    assert_eq!(env.try_search(&["--kind", "reference", "xylophonic"]).0, 1);

    fs::write(
        &snapshot,
        "<html><head><title>Lau 2019</title></head><body><h1>Results</h1>\
         <p>Xylophonic heat wraps relieved back spasms in the trial.</p></body></html>",
    )
    .unwrap();
    let report = env.ingest(&[]);
    assert_eq!(report["mode"], "incremental", "{report}");
    assert_eq!(strings(&report["added"]), ["references/lau2019.html"]);
    assert_eq!(report["reextracted"], 1);
    let (code, hits, _) = env.try_search(&["--kind", "reference", "xylophonic"]);
    assert_eq!(code, 0);
    assert_eq!(hits[0]["doc"], "lau2019");
    assert_eq!(hits[0]["kind"], "reference");
    // `cite` finds it too (and would have updated the index itself: it checks freshness).
    let out = env
        .cmd(&[
            "cite",
            "--json",
            "xylophonic heat wraps relieved back spasms",
        ])
        .output()
        .unwrap();
    harness::succeeded(&out);
    let cite: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cite["references"][0]["id"], "lau2019", "{cite}");
    // The record-only passage the reference had without a snapshot is gone.
    assert!(!passage_ids(&env, "references.json").contains(&"lau2019#record/1".to_string()));
}

#[test]
fn touching_a_file_without_changing_it_does_not_reindex() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    let generation = env.marker()["generation"].clone();
    let file = fs::File::options()
        .write(true)
        .open(env.guide(GUIDE))
        .unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    drop(file);

    let report = env.ingest(&[]);
    assert_eq!(report["mode"], "up-to-date");
    assert_eq!(strings(&report["touched"]), [format!("guide/{GUIDE}")]);
    assert_eq!(report["reextracted"], 0);
    assert_eq!(env.marker()["generation"], generation);
    // The new time is remembered: the next check is stat-only and finds nothing.
    let again = env.ingest(&[]);
    assert!(strings(&again["touched"]).is_empty());
    env.cmd(&["ingest"])
        .assert()
        .success()
        .stderr(predicate::str::contains("index up to date"));
}

#[test]
fn search_brings_a_stale_index_up_to_date() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    edit(&env, GUIDE, OLD, NEW);
    let (code, hits, stderr) = env.try_search(&["quokkaflux"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(hits[0]["doc"], "back-spasm-relief");
    assert!(stderr.contains("updated the index"), "{stderr}");
    // Nothing changed since: no update, no note.
    let (_, _, stderr) = env.try_search(&["quokkaflux"]);
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn changing_references_json_rebuilds_everything() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    let path = env.corpus.join("references.json");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, format!("{text}\n")).unwrap();
    let report = env.ingest(&[]);
    assert_eq!(report["mode"], "full");
    assert_eq!(report["full_reason"], "references.json changed");
    let forced = env.ingest(&["--full"]);
    assert_eq!(forced["mode"], "full");
}

#[test]
fn dry_run_lists_changes_and_writes_nothing() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    let marker = fs::read(env.index.join("citeseek-index.json")).unwrap();
    edit(&env, GUIDE, OLD, NEW);
    fs::write(env.guide("new.md"), "# New\n\nNew page.\n").unwrap();
    fs::remove_file(env.corpus.join("references/lau2019.html")).unwrap();
    env.cmd(&["ingest", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("changed  guide/{GUIDE}")))
        .stdout(predicate::str::contains("added    guide/new.md"))
        .stdout(predicate::str::contains("removed  references/lau2019.html"));
    assert_eq!(
        fs::read(env.index.join("citeseek-index.json")).unwrap(),
        marker
    );
}

#[test]
fn a_second_ingest_fails_clearly_while_one_runs() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    // Hold the writers' lock as a running ingest would.
    let dir = citeseek::index::IndexDir::new(&env.index);
    let lock = dir.lock(Duration::from_secs(1)).unwrap();
    let started = std::time::Instant::now();
    env.cmd(&["ingest", "--full"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "another ingest is running (pid {})",
            std::process::id()
        )));
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "it waits briefly first"
    );
    // Searches still answer meanwhile.
    assert_eq!(env.try_search(&["spasm"]).0, 0);
    drop(lock);
    env.ingest(&[]);
}

#[test]
fn search_answers_from_the_old_index_when_it_cannot_update() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    let dir = citeseek::index::IndexDir::new(&env.index);
    let lock = dir.lock(Duration::from_secs(1)).unwrap();
    edit(&env, GUIDE, OLD, NEW);
    // An ingest holds the lock: the search does not wait, answers from the old index, and
    // names the changed file.
    let (code, hits, stderr) = env.try_search(&["\"back spasms respond well\""]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(hits[0]["doc"], "back-spasm-relief");
    assert!(stderr.contains("out of date"), "{stderr}");
    assert!(
        stderr.contains(&format!("guide/{GUIDE} (modified)")),
        "{stderr}"
    );
    drop(lock);
    assert_eq!(env.try_search(&["quokkaflux"]).0, 0);
}

#[test]
fn search_answers_from_the_old_index_when_the_update_fails() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    fs::write(env.corpus.join("references.json"), "[{ half saved").unwrap();
    let (code, _, stderr) = env.try_search(&["spasm"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("updating it failed"), "{stderr}");
    assert!(stderr.contains("references.json (modified)"), "{stderr}");
}

/// The index's current generation directory.
fn generation(env: &TestEnv) -> std::path::PathBuf {
    env.index.join(env.marker()["generation"].as_str().unwrap())
}

fn assert_damaged_then_recovered(env: &TestEnv, problem: &str) {
    env.cmd(&["search", "spasm"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(problem))
        .stderr(predicate::str::contains("citeseek ingest --full"));
    env.cmd(&["ingest"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("citeseek ingest --full"));
    let report = env.ingest(&["--full"]);
    assert_eq!(report["mode"], "full");
    assert_eq!(env.try_search(&["spasm"]).0, 0);
}

#[test]
fn garbage_meta_json_is_reported_and_full_recovers() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    fs::write(generation(&env).join("meta.json"), "{ not json").unwrap();
    assert_damaged_then_recovered(&env, "is damaged");
}

#[test]
fn truncated_segment_is_reported_and_full_recovers() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    // Truncate the biggest segment file (the doc store or postings).
    let biggest = fs::read_dir(generation(&env))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains('.'))
        .max_by_key(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .unwrap();
    let len = biggest.metadata().unwrap().len();
    fs::File::options()
        .write(true)
        .open(biggest.path())
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    assert_damaged_then_recovered(&env, "is damaged");
}

#[test]
fn garbage_marker_is_reported_and_full_recovers() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    fs::write(env.index.join("citeseek-index.json"), "garbage").unwrap();
    assert_damaged_then_recovered(&env, "citeseek-index.json is not valid");
    // The generation the garbage marker hid was ours (gen-*): cleaned up, one left.
    let gens = fs::read_dir(&env.index)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
        .count();
    assert_eq!(gens, 1);
}

#[test]
fn foreign_directory_is_refused_and_full_builds_beside_it() {
    let env = TestEnv::copied();
    fs::create_dir_all(env.index.join("data")).unwrap();
    fs::write(env.index.join("meta.json"), "{}").unwrap();
    fs::write(env.index.join("data/notes.txt"), "keep me").unwrap();
    env.cmd(&["ingest"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a citeseek index"))
        .stderr(predicate::str::contains("citeseek ingest --full"));
    env.ingest(&["--full"]);
    assert_eq!(env.try_search(&["spasm"]).0, 0);
    assert_eq!(
        fs::read_to_string(env.index.join("data/notes.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(
        fs::read_to_string(env.index.join("meta.json")).unwrap(),
        "{}"
    );
}

#[test]
fn moving_the_corpus_rebuilds_everything() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    let moved = env.dir.path().join("moved");
    fs::rename(&env.corpus, &moved).unwrap();
    let out = harness::citeseek()
        .arg("--corpus")
        .arg(&moved)
        .arg("--index")
        .arg(&env.index)
        .args(["ingest", "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["mode"], "full");
    assert!(report["full_reason"]
        .as_str()
        .unwrap()
        .contains("the index was built from"));
}

#[test]
fn another_schema_version_rebuilds_everything() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    let mut marker = env.marker();
    marker["schema_version"] = serde_json::json!(0);
    fs::write(
        env.index.join("citeseek-index.json"),
        serde_json::to_vec(&marker).unwrap(),
    )
    .unwrap();
    let report = env.ingest(&[]);
    assert_eq!(report["mode"], "full");
    assert!(report["full_reason"]
        .as_str()
        .unwrap()
        .contains("the index has schema 0"));
    assert_eq!(env.try_search(&["spasm"]).0, 0);
}

/// Every passage stored in the index in `index` (its JSON, sorted), the index's stats, and
/// its generation's blocks.tsv (the site counts' fingerprints).
fn index_contents(index: &std::path::Path) -> (Vec<String>, String, String) {
    use tantivy::schema::Value as _;
    let open = citeseek::index::IndexDir::new(index).open().expect("open");
    let searcher = open.reader.searcher();
    let all = searcher
        .search(
            &tantivy::query::AllQuery,
            &tantivy::collector::DocSetCollector,
        )
        .expect("search");
    let mut passages: Vec<String> = all
        .into_iter()
        .map(|address| {
            let doc: tantivy::TantivyDocument = searcher.doc(address).expect("doc");
            doc.get_first(open.fields.data)
                .and_then(|v| v.as_str().map(str::to_string))
                .expect("data")
        })
        .collect();
    passages.sort();
    let stats = serde_json::to_string(&open.marker.stats).expect("stats");
    let blocks = fs::read_to_string(index.join(&open.marker.generation).join("blocks.tsv"))
        .expect("blocks.tsv");
    (passages, stats, blocks)
}

/// `ingest --full` of `env`'s corpus into a fresh index beside it: what the incremental
/// update must equal.
fn full_contents(env: &TestEnv, name: &str) -> (Vec<String>, String, String) {
    let index = env.dir.path().join(name);
    let out = harness::citeseek()
        .arg("--corpus")
        .arg(&env.corpus)
        .arg("--index")
        .arg(&index)
        .args(["ingest", "--full"])
        .output()
        .expect("run");
    harness::succeeded(&out);
    index_contents(&index)
}

#[test]
fn an_update_that_moves_a_block_across_the_repetition_threshold_equals_a_full_ingest() {
    let env = TestEnv::no_references();
    let page = |name: &str| {
        fs::copy(
            harness::fixture(&format!("extract/site/{name}.html")),
            env.guide(&format!("{name}.html")),
        )
        .expect("copy fixture");
    };
    let boxed = |env: &TestEnv| {
        let (_, hits, _) = env.try_search(&["\"written by our physiotherapists\""]);
        hits.len()
    };
    page("heat-or-ice");
    page("desk-posture");
    assert_eq!(env.ingest(&[])["mode"], "full");
    // On two pages: under the threshold (three pages), kept on both.
    assert_eq!(boxed(&env), 2);

    // A third page pushes the box over: the two unchanged pages are extracted again.
    page("morning-stiffness");
    let report = env.ingest(&[]);
    assert_eq!(report["mode"], "incremental", "{report}");
    assert_eq!(strings(&report["added"]), ["guide/morning-stiffness.html"]);
    assert_eq!(report["reextracted"], 3, "{report}");
    assert_eq!(boxed(&env), 0);
    assert_eq!(index_contents(&env.index), full_contents(&env, "full-3"));

    // An edit elsewhere on the site changes nothing else.
    let lifting = env.guide("lifting.html");
    fs::copy(harness::fixture("extract/site/lifting.html"), &lifting).expect("copy");
    let report = env.ingest(&[]);
    assert_eq!(report["reextracted"], 1, "{report}");
    assert_eq!(index_contents(&env.index), full_contents(&env, "full-4"));

    // Removing two pages brings it under again: the box is back on the pages left.
    fs::remove_file(env.guide("desk-posture.html")).expect("rm");
    fs::remove_file(&lifting).expect("rm");
    let report = env.ingest(&[]);
    assert_eq!(report["mode"], "incremental", "{report}");
    assert_eq!(report["reextracted"], 2, "{report}");
    assert_eq!(boxed(&env), 2);
    assert_eq!(index_contents(&env.index), full_contents(&env, "full-2"));
}
