//! The faults of the hostile-input probe (issue 14), each run through the real binary: a
//! read-only index, folders that look like generations, a missing or other corpus, damaged
//! segments, odd file names and unreadable files, reference ids that leave the corpus, the APA
//! case-mapping panic, a full disk, and the smaller ones.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{self, TestEnv};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Run `citeseek <args>`, assert its exit code, and return its stderr.
fn stderr_of(env: &TestEnv, args: &[&str], code: i32) -> String {
    let out = env.run(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    stderr
}

/// `citeseek --corpus CORPUS --index INDEX <args>`.
fn run_with(corpus: &Path, index: &Path, args: &[&str]) -> Output {
    harness::citeseek()
        .arg("--corpus")
        .arg(corpus)
        .arg("--index")
        .arg(index)
        .args(args)
        .output()
        .expect("run citeseek")
}

/// The current generation's directory.
fn generation_dir(env: &TestEnv) -> PathBuf {
    let generation = env.marker()["generation"].as_str().unwrap().to_string();
    env.index.join(generation)
}

/// Every file below `dir`, relative to it.
fn files_below(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        out.push(entry.strip_prefix(dir).unwrap().display().to_string());
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Whether tests run as root with `setpriv` available, and user `nobody` may run the binary
/// (a checkout below a private folder it may not), to run citeseek as another user.
fn can_switch_user() -> bool {
    let root = StdCommand::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| text(&o.stdout).trim() == "0");
    root && StdCommand::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(harness::BIN)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `citeseek <args>` as user `nobody` (uid 65534).
fn as_nobody(env: &TestEnv, args: &[&str]) -> Output {
    harness::isolate(&mut StdCommand::new("setpriv"))
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(harness::BIN)
        .arg("--corpus")
        .arg(&env.corpus)
        .arg("--index")
        .arg(&env.index)
        .args(args)
        .output()
        .expect("run setpriv")
}

/// Let other users into the test's temporary directory (tempdirs are private).
fn open_up(env: &TestEnv) {
    fs::set_permissions(env.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
}

// 1. A read-only index answers as it is.

#[test]
fn reading_the_index_creates_no_lock_file() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    let generation = generation_dir(&env);
    for f in walk(&generation) {
        if f.file_name().unwrap().to_string_lossy().ends_with(".lock") {
            fs::remove_file(f).unwrap();
        }
    }
    let before = files_below(&env.index);
    let commands = [
        &["search", "heat", "--json"][..],
        &["--no-refresh", "search", "heat", "--json"],
        &["refs", "--json"],
        &["cite", "ice reduces inflammation", "--json"],
    ];
    for args in commands {
        stderr_of(&env, args, 0);
    }
    assert_eq!(files_below(&env.index), before);
    // Made immutable (`chattr +i`, which binds root too), it answers all the same.
    let Some(_immutable) = Immutable::new(&env.index) else {
        eprintln!("skipped the immutable part: chattr is not available here");
        return;
    };
    for args in commands {
        stderr_of(&env, args, 0);
    }
}

/// A directory tree made immutable with `chattr -R +i`, made mutable again when dropped.
struct Immutable(PathBuf);

impl Immutable {
    fn new(dir: &Path) -> Option<Immutable> {
        let ok = StdCommand::new("chattr")
            .args(["-R", "+i"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let guard = Immutable(dir.to_path_buf());
        // Writing must really fail (it does not on every filesystem).
        (ok && fs::write(dir.join("probe"), "x").is_err()).then_some(guard)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = StdCommand::new("chattr")
            .args(["-R", "-i"])
            .arg(&self.0)
            .status();
    }
}

#[test]
fn an_index_owned_by_another_user_answers_as_it_is() {
    if !can_switch_user() {
        eprintln!("skipped: needs root and setpriv to run citeseek as another user");
        return;
    }
    let env = TestEnv::copied();
    open_up(&env);
    env.ingest(&[]);
    // Every command answers from the index another user (root) owns and nobody may write.
    for args in [
        &["search", "heat", "--json"][..],
        &["--no-refresh", "search", "heat", "--json"],
        &["refs", "--json"],
        &["audit", "--json"],
        &["cite", "ice reduces inflammation", "--json"],
    ] {
        let out = as_nobody(&env, args);
        let stderr = text(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)) && !stderr.contains("damaged"),
            "{args:?}: {stderr}"
        );
        let _: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    }
    // A changed corpus: the answer comes from the index as it is, with a warning.
    fs::write(env.guide("new.md"), "# New\n\nNumbatology.\n").unwrap();
    let out = as_nobody(&env, &["search", "heat", "--json"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("out of date") && stderr.contains("not writable"),
        "{stderr}"
    );
}

// 2. Only generations citeseek made are deleted.

#[test]
fn ingest_full_leaves_a_users_folders_named_like_generations() {
    let env = TestEnv::copied();
    fs::create_dir_all(env.index.join("gen-123-456")).unwrap();
    fs::write(env.index.join("gen-123-456/notes.txt"), "my notes").unwrap();
    // Not a citeseek index: a plain ingest refuses it, --full builds beside it.
    let out = env.run(&["ingest"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("not a citeseek index"));
    env.ingest(&["--full"]);
    env.ingest(&["--full"]);
    fs::write(env.guide("new.md"), "# New\n\nNumbatology.\n").unwrap();
    env.ingest(&[]);
    assert_eq!(
        fs::read_to_string(env.index.join("gen-123-456/notes.txt")).unwrap(),
        "my notes"
    );
    assert_eq!(env.try_search(&["numbatology"]).0, 0);
    // Our own old generations are gone: the current one and the user's folder remain.
    let mut dirs: Vec<String> = fs::read_dir(&env.index)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let current = env.marker()["generation"].as_str().unwrap().to_string();
    let mut expected = vec!["gen-123-456".to_string(), current];
    expected.sort();
    assert_eq!(dirs, expected);
}

// 3. A missing or other corpus is an error or a rebuild, never mixed.

#[test]
fn a_missing_corpus_is_an_error_even_with_an_index() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    let missing = env.dir.path().join("nonexistent");
    for extra in [&[][..], &["--no-refresh"]] {
        let args: Vec<&str> = extra
            .iter()
            .copied()
            .chain(["search", "heat", "--json"])
            .collect();
        let out = run_with(&missing, &env.index, &args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(
            stderr.contains("not found") && stderr.contains(&missing.display().to_string()),
            "{stderr}"
        );
        // Under --json the only thing on stdout is the error object: no hits from the old index.
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON error");
        assert_eq!(v["error"]["kind"], "corpus", "{v}");
        assert!(v.get("hits").is_none(), "{v}");
    }
}

#[test]
fn another_corpus_is_rebuilt_or_refused() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    let other = env.dir.path().join("other");
    harness::copy_dir(&env.corpus, &other);
    fs::write(
        other.join("guide/only-here.md"),
        "# Only here\n\nNumbatology is here.\n",
    )
    .unwrap();
    let with = |extra: &[&str]| {
        let args: Vec<&str> = extra
            .iter()
            .copied()
            .chain(["search", "numbatology", "--json"])
            .collect();
        run_with(&other, &env.index, &args)
    };
    // --no-refresh may not rebuild: refused, not answered from the first corpus.
    let out = with(&["--no-refresh"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("was built from"), "{stderr}");
    // Otherwise it is rebuilt, and every hit is a file of the new corpus.
    let out = with(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let path = v["hits"][0]["source"]["path"].as_str().unwrap();
    assert!(Path::new(path).exists(), "{path}");
    assert!(path.contains("other"), "{path}");
}

// 4. Damaged segments are reported as damaged, never as up to date.

/// Invert the middle half of every segment file with extension `ext` in the generation.
fn damage(env: &TestEnv, ext: &str) -> usize {
    let mut n = 0;
    for f in walk(&generation_dir(env)) {
        if f.extension().is_some_and(|e| e == ext) {
            let mut bytes = fs::read(&f).unwrap();
            let len = bytes.len();
            for b in &mut bytes[len / 4..len * 3 / 4] {
                *b = !*b;
            }
            fs::write(&f, bytes).unwrap();
            n += 1;
        }
    }
    n
}

#[test]
fn damaged_segments_are_reported_and_rebuilt() {
    for ext in ["idx", "store", "term", "fieldnorm"] {
        let env = TestEnv::copied();
        env.ingest(&[]);
        assert!(damage(&env, ext) > 0, "no .{ext} file");
        // Never "up to date": ingest verifies the checksums.
        let mut commands = vec![&["ingest"][..]];
        if ext != "fieldnorm" {
            // Field norms only change scores; the postings, terms and stored passages fail
            // to read (or made tantivy panic).
            commands.extend([
                &["search", "heat", "--json"][..],
                &["--no-refresh", "search", "ice", "--json"],
                &["cite", "ice reduces inflammation"],
            ]);
        }
        if ext == "store" {
            // The catalogue reads stored passages only.
            commands.push(&["refs", "--json"]);
        }
        for args in commands {
            let stderr = stderr_of(&env, args, 2);
            assert!(
                stderr.contains("is damaged") && stderr.contains("citeseek ingest --full"),
                ".{ext} {args:?}: {stderr}"
            );
            assert!(!stderr.contains("panicked"), ".{ext} {args:?}: {stderr}");
            assert!(!stderr.contains("up to date"), ".{ext} {args:?}: {stderr}");
        }
        let report = env.ingest(&["--full"]);
        assert_eq!(report["mode"], "full");
        assert_eq!(env.try_search(&["heat"]).0, 0);
    }
}

// 5. Odd file names and unreadable files do not re-ingest forever.

#[test]
fn names_with_tabs_and_newlines_round_trip_through_the_manifest() {
    let env = TestEnv::copied();
    fs::write(env.guide("tab\there.md"), "# Tabbed\n\nNumbatology one.\n").unwrap();
    fs::write(env.guide("new\nline.md"), "# Lined\n\nNumbatology two.\n").unwrap();
    fs::write(
        env.guide("per%cent.md"),
        "# Per cent\n\nNumbatology three.\n",
    )
    .unwrap();
    assert_eq!(env.ingest(&[])["mode"], "full");
    let again = env.ingest(&[]);
    assert_eq!(again["mode"], "up-to-date", "{again}");
    let (code, hits, stderr) = env.try_search(&["numbatology", "-n", "5"]);
    assert_eq!(code, 0);
    assert_eq!(hits.len(), 3);
    assert!(!stderr.contains("updated the index"), "{stderr}");
    let generation = env.marker()["generation"].clone();
    assert_eq!(env.try_search(&["numbatology"]).0, 0);
    assert_eq!(
        env.marker()["generation"],
        generation,
        "a new generation was written"
    );
}

#[test]
fn an_unreadable_file_is_skipped_until_it_changes() {
    if !can_switch_user() {
        eprintln!("skipped: needs root and setpriv to make a file unreadable");
        return;
    }
    let env = TestEnv::copied();
    open_up(&env);
    let secret = env.guide("secret.md");
    fs::write(&secret, "# Secret\n\nNumbatology.\n").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).unwrap();
    fs::create_dir_all(&env.index).unwrap();
    std::os::unix::fs::chown(&env.index, Some(65534), Some(65534)).unwrap();
    let first = as_nobody(&env, &["ingest", "--json"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let stderr = text(&first.stderr);
    assert!(
        stderr.contains("skipped") && stderr.contains("secret.md"),
        "{stderr}"
    );
    assert!(stderr.contains("indexed 1 guide and"), "{stderr}");
    let second = as_nobody(&env, &["ingest", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(report["mode"], "up-to-date", "{}", text(&second.stderr));
    let search = as_nobody(&env, &["search", "heat", "--json"]);
    assert_eq!(search.status.code(), Some(0));
    assert!(
        !text(&search.stderr).contains("updated the index"),
        "{}",
        text(&search.stderr)
    );
    // Once it changes (and can be read), it is indexed.
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(&secret, "# Secret\n\nNumbatology, readable now.\n").unwrap();
    let third = as_nobody(&env, &["ingest", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&third.stdout).unwrap();
    assert_eq!(report["changed"][0], "guide/secret.md", "{report}");
    let found = as_nobody(&env, &["search", "numbatology", "--json"]);
    assert_eq!(found.status.code(), Some(0), "{}", text(&found.stderr));
}

// 6. Deep nesting keeps its text.

#[test]
fn text_nested_past_the_parser_limit_is_searchable() {
    let env = TestEnv::copied();
    let page = format!(
        "<html><body><main><h1>Deep</h1>{}<p>Numbatology deep inside.</p>{}\
         <p>Quokkaology after it.</p></main></body></html>",
        "<div>".repeat(2000),
        "</div>".repeat(2000)
    );
    fs::write(env.guide("deep.html"), page).unwrap();
    env.ingest(&[]);
    assert_eq!(env.try_search(&["numbatology"]).0, 0);
    assert_eq!(env.try_search(&["quokkaology"]).0, 0);
}

// 7. Reference records are validated.

#[test]
fn a_reference_id_leaving_the_corpus_is_refused() {
    let env = TestEnv::copied();
    fs::write(env.dir.path().join("outside.html"), "<p>Outside text</p>").unwrap();
    fs::write(
        env.corpus.join("references.json"),
        r#"[{"id": "../../outside", "type": "webpage", "title": "Outside"}]"#,
    )
    .unwrap();
    let stderr = stderr_of(&env, &["ingest"], 2);
    assert!(
        stderr.contains("references.json") && stderr.contains("../../outside"),
        "{stderr}"
    );
    assert!(stderr.contains("file name"), "{stderr}");
}

#[test]
fn a_wrong_typed_csl_field_is_an_error_naming_record_and_field() {
    let env = TestEnv::copied();
    fs::write(
        env.corpus.join("references.json"),
        r#"[{"id": "ok2020", "title": "Fine"}, {"id": "bad2021", "title": "T", "DOI": ["10.1/x"]}]"#,
    )
    .unwrap();
    let stderr = stderr_of(&env, &["ingest"], 2);
    assert!(
        stderr.contains("bad2021") && stderr.contains("\"DOI\"") && stderr.contains("index 1"),
        "{stderr}"
    );
}

// 8. APA formatting survives case mapping.

#[test]
fn apa_with_a_title_whose_case_mapping_changes_lengths() {
    let env = TestEnv::copied();
    fs::write(
        env.corpus.join("references.json"),
        r#"[{"id": "odd2020", "type": "article-journal", "title": "İ American Collegeé ẞ",
             "container-title": "American College", "issued": {"date-parts": [[2020]]}}]"#,
    )
    .unwrap();
    let out = env.run(&["refs", "odd2020"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("İ American Collegeé ẞ"), "{stdout}");
    let out = env.run(&["cite", "American College", "--json"]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
}

// 9. A full disk is named, and the old index keeps answering.

/// A small tmpfs mounted for the test, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn new(at: &Path, size: &str) -> Option<Mount> {
        fs::create_dir_all(at).ok()?;
        let ok = StdCommand::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(at.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = StdCommand::new("umount").arg(&self.0).status();
    }
}

/// Fill the filesystem of `dir` until only about `leave` bytes are free.
fn fill(dir: &Path, leave: u64) {
    use std::io::Write;
    let mut file = fs::File::create(dir.join("filler")).unwrap();
    let chunk = vec![0u8; 4096];
    loop {
        let free = fs4::available_space(dir).unwrap();
        if free <= leave + 4096 || file.write_all(&chunk).is_err() {
            break;
        }
    }
    let _ = file.sync_all();
}

#[test]
fn a_full_disk_is_named_and_the_old_index_keeps_answering() {
    let env = TestEnv::copied();
    let Some(mount) = Mount::new(&env.dir.path().join("disk"), "8m") else {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    let index = mount.0.join("index");
    let on_disk = |args: &[&str]| run_with(&env.corpus, &index, args);
    let built = on_disk(&["ingest"]);
    assert_eq!(built.status.code(), Some(0), "{}", text(&built.stderr));
    for leave in [0, 64 << 10] {
        fill(&mount.0, leave);
        let out = on_disk(&["ingest", "--full"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "no space left on device while writing {}",
                index.display()
            )),
            "left {leave}: {stderr}"
        );
        let search = on_disk(&["search", "heat", "--json"]);
        assert_eq!(search.status.code(), Some(0), "{}", text(&search.stderr));
        fs::remove_file(mount.0.join("filler")).unwrap();
    }
}

// 10. The smaller ones.

#[test]
fn a_failed_run_without_a_corpus_leaves_no_index_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let out = harness::citeseek()
        .current_dir(tmp.path())
        .args(["search", "heat"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not found"),
        "{}",
        text(&out.stderr)
    );
    assert!(!tmp.path().join("index").exists(), "index/ was left behind");
    let out = harness::citeseek()
        .current_dir(tmp.path())
        .args(["ingest"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!tmp.path().join("index").exists(), "index/ was left behind");
}

#[test]
fn an_index_path_under_missing_folders_is_not_created() {
    let env = TestEnv::copied();
    let deep = env.dir.path().join("nonexistent/deep/idx");
    let out = run_with(&env.corpus, &deep, &["ingest"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!env.dir.path().join("nonexistent").exists());
}

#[test]
fn an_over_long_query_is_named() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    let long = format!("heat {}", "ice ".repeat(600));
    let (code, _, stderr) = env.try_search(&[&long]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("2405 characters long; only its first 2000"),
        "{stderr}"
    );
    let (_, _, stderr) = env.try_search(&["heat"]);
    assert!(!stderr.contains("characters long"), "{stderr}");
}

#[test]
fn a_bom_before_a_markdown_title_keeps_it_a_title() {
    let env = TestEnv::copied();
    fs::write(
        env.guide("bom.md"),
        "\u{feff}# Numbatology basics\n\nSome text.\n",
    )
    .unwrap();
    env.ingest(&[]);
    let (code, hits, _) = env.try_search(&["numbatology"]);
    assert_eq!(code, 0);
    assert_eq!(hits[0]["title"], "Numbatology basics");
}

#[test]
fn skipped_files_are_not_counted_as_indexed_guides() {
    let env = TestEnv::copied();
    fs::write(env.guide("bad.md"), b"# Bad\n\nCaf\xe9\n").unwrap();
    let stderr = stderr_of(&env, &["ingest"], 0);
    assert!(
        stderr.contains("skipped") && stderr.contains("bad.md"),
        "{stderr}"
    );
    assert!(stderr.contains("indexed 1 guide and"), "{stderr}");
}

#[test]
fn a_latin1_page_with_meta_charset_is_decoded() {
    let env = TestEnv::copied();
    fs::write(
        env.guide("latin.html"),
        b"<html><head><meta charset=\"iso-8859-1\"><title>Numbatolog\xeda</title></head>\
          <body><main><h1>Numbatolog\xeda</h1><p>Caf\xe9 numbatology.</p></main></body></html>",
    )
    .unwrap();
    let stderr = stderr_of(&env, &["ingest"], 0);
    assert!(!stderr.contains("skipped"), "{stderr}");
    let (code, hits, _) = env.try_search(&["numbatology"]);
    assert_eq!(code, 0);
    assert_eq!(hits[0]["title"], "Numbatología");
    assert!(hits[0]["text"].as_str().unwrap().contains("Café"));
}

#[test]
fn sigterm_stops_watch_like_ctrl_c() {
    let env = TestEnv::copied();
    env.ingest(&[]);
    let mut child = env
        .process(&["watch"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut line = String::new();
    while !line.contains("watching") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "watch ended early"
        );
        assert!(Instant::now() < deadline, "watch did not start");
    }
    let status = StdCommand::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(exit.code(), Some(0), "{rest}");
    assert!(rest.contains("stopped watching"), "{rest}");
}
