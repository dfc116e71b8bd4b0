//! Integration tests for `fetch`, `add` and `ingest --fetch` against a loopback server the test
//! starts itself. Every test checks that what should stay intact (snapshots, references.json)
//! did.

use std::fs;

use crate::harness::http::{self, route, Reply, TestServer};
use crate::harness::{self, TestEnv};
use predicates::prelude::*;
use serde_json::{json, Value};

/// A copied corpus whose references `ids` point at `server` paths (`/<id>`).
fn env_with_urls(server: &TestServer, ids: &[&str]) -> TestEnv {
    let env = TestEnv::copied();
    let path = env.corpus.join("references.json");
    let mut refs: Vec<Value> = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    for r in &mut refs {
        let id = r["id"].as_str().unwrap().to_string();
        if ids.contains(&id.as_str()) {
            r["URL"] = Value::String(server.url(&format!("/{id}")));
        }
    }
    fs::write(&path, serde_json::to_string_pretty(&refs).unwrap()).unwrap();
    env
}

fn snapshot(env: &TestEnv, id: &str) -> Vec<u8> {
    fs::read(env.corpus.join(format!("references/{id}.html"))).unwrap()
}

const NEW_CLAIM: &str =
    "Cryotherapy sessions longer than thirty minutes caused frostbite in two volunteers.";

fn malanga_page() -> String {
    let original =
        fs::read_to_string(harness::repo_corpus().join("references/malanga2015.html")).unwrap();
    original.replace(
        "<h2>Evidence</h2>",
        &format!("<h2>Evidence</h2>\n<p>{NEW_CLAIM}</p>"),
    )
}

#[test]
fn fetch_saves_good_pages_and_keeps_snapshots_on_bad_answers() {
    let page = malanga_page();
    let server = TestServer::routed(vec![
        ("/malanga2015", route(move |_| Reply::html(&page))),
        ("/lau2019", route(|_| Reply::status(404))),
        ("/brinjikji2015", route(|_| Reply::html(""))),
        (
            "/qaseem2017",
            route(|_| Reply::status(302).with_header("Location", "file:///etc/passwd")),
        ),
        (
            "/allegri2016",
            route(|_| Reply::html("%PDF-1.4").with_header("Content-Type", "application/pdf")),
        ),
    ]);
    let ids = [
        "malanga2015",
        "lau2019",
        "brinjikji2015",
        "qaseem2017",
        "allegri2016",
    ];
    let env = env_with_urls(&server, &ids);
    let refs_before = fs::read(env.corpus.join("references.json")).unwrap();
    let before: Vec<Vec<u8>> = ids.iter().map(|id| snapshot(&env, id)).collect();

    let out = env
        .cmd(&["fetch", "--json", "--timeout", "5"])
        .args(ids)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "some fetches fail: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = |id: &str| -> (String, String) {
        let row = v["references"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap();
        (
            row["result"].as_str().unwrap().to_string(),
            row["detail"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(result("malanga2015").0, "fetched");
    let (r, d) = result("lau2019");
    assert_eq!(r, "failed");
    assert!(d.contains("404"), "{d}");
    let (r, d) = result("brinjikji2015");
    assert!(r == "failed" || r == "kept", "empty page: {r} {d}");
    let (r, d) = result("qaseem2017");
    assert_eq!(r, "failed");
    assert!(d.contains("file"), "{d}");
    let (r, d) = result("allegri2016");
    assert_eq!(r, "failed");
    assert!(d.contains("pdf"), "{d}");
    assert_eq!(
        v["failed"].as_u64().unwrap() + v["fetched"].as_u64().unwrap(),
        5
    );

    // The good page replaced its snapshot; every other snapshot is byte-for-byte intact.
    assert!(String::from_utf8(snapshot(&env, "malanga2015"))
        .unwrap()
        .contains(NEW_CLAIM));
    for (id, old) in ids.iter().zip(&before).skip(1) {
        assert_eq!(&snapshot(&env, id), old, "{id} snapshot changed");
    }
    assert_eq!(
        fs::read(env.corpus.join("references.json")).unwrap(),
        refs_before
    );
    // Only loopback requests, each with citeseek's User-Agent.
    assert!(server
        .requests()
        .iter()
        .all(|r| r.to_lowercase().contains("user-agent: citeseek/")));

    // After fetching, ingest indexes the new snapshot's text, and `cite` finds a claim that
    // only the new snapshot makes.
    env.cmd(&["ingest"]).assert().success();
    let hits = env.search("frostbite cryotherapy", &["--kind", "reference"]);
    assert_eq!(hits[0]["doc"], "malanga2015");
    assert!(hits[0]["text"].as_str().unwrap().contains("frostbite"));
    let cited = env.json(
        &[
            "cite",
            "long cryotherapy sessions cause frostbite",
            "--json",
        ],
        0,
    );
    assert_eq!(cited["references"][0]["id"], "malanga2015");
}

#[test]
fn misbehaving_servers_fail_cleanly_and_leave_files_intact() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    let page = malanga_page();
    let page429 = page.clone();
    let n500 = Arc::new(AtomicUsize::new(0));
    let n429 = Arc::new(AtomicUsize::new(0));
    let (c500, c429) = (n500.clone(), n429.clone());
    let big = vec![b'a'; 50 * 1024 * 1024];
    let latin1: Vec<u8> = {
        let mut p = malanga_page()
            .replace("Summary", "R\u{e9}sum\u{e9}")
            .into_bytes();
        // Re-encode é as ISO-8859-1.
        let s = String::from_utf8(p.clone()).unwrap();
        p = s
            .chars()
            .flat_map(|c| {
                if c == 'é' {
                    vec![0xE9u8]
                } else {
                    c.to_string().into_bytes()
                }
            })
            .collect();
        p
    };
    let server = TestServer::routed(vec![
        (
            "/ninds2020",
            route(move |_| {
                // 500 then 200: a 5xx other than 503 is not retried, so the first answer stands.
                if c500.fetch_add(1, Ordering::SeqCst) == 0 {
                    Reply::status(500)
                } else {
                    Reply::html("<h1>later</h1><p>ok</p>")
                }
            }),
        ),
        (
            "/aoa-yoga",
            route(move |_| {
                if c429.fetch_add(1, Ordering::SeqCst) == 0 {
                    Reply::status(429).with_header("Retry-After", "1")
                } else {
                    Reply::html(&page429)
                }
            }),
        ),
        (
            "/clevelandclinic2022",
            route(|_| Reply::status(302).with_header("Location", "/clevelandclinic2022")),
        ),
        (
            "/brinjikji2015",
            route(move |_| Reply::html("").with_body(&big)),
        ),
        (
            "/lau2019",
            route(|_| Reply::html(&"<p>slow</p>".repeat(20)).trickled(Duration::from_millis(500))),
        ),
        (
            "/qaseem2017",
            route(move |_| {
                Reply::html("")
                    .with_body(&latin1)
                    .with_header("Content-Type", "text/html; charset=ISO-8859-1")
            }),
        ),
    ]);
    let ids = [
        "ninds2020",
        "aoa-yoga",
        "clevelandclinic2022",
        "brinjikji2015",
        "lau2019",
        "qaseem2017",
    ];
    let env = env_with_urls(&server, &ids);
    let refs_before = fs::read(env.corpus.join("references.json")).unwrap();
    let before: Vec<Vec<u8>> = ids.iter().map(|id| snapshot(&env, id)).collect();
    let started = Instant::now();
    let out = env
        .cmd(&["fetch", "--json", "--timeout", "3"])
        .args(ids)
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = |id: &str| {
        v["references"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    let failed_with = |id: &str, needle: &str| {
        let r = row(id);
        assert_eq!(r["result"], "failed", "{id}: {r}");
        assert!(
            r["detail"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(needle),
            "{id}: {r}"
        );
    };
    failed_with("ninds2020", "500");
    assert_eq!(n500.load(Ordering::SeqCst), 1, "no retry after a 500");
    assert_eq!(
        row("aoa-yoga")["result"],
        "fetched",
        "429 then 200 is retried"
    );
    assert_eq!(n429.load(Ordering::SeqCst), 2);
    failed_with("clevelandclinic2022", "redirect");
    failed_with("brinjikji2015", "10485760");
    failed_with("lau2019", "timed out");
    // ISO-8859-1 decodes; the page is usable and saved as UTF-8 text.
    assert_ne!(
        row("qaseem2017")["result"],
        "failed",
        "{}",
        row("qaseem2017")
    );
    assert!(String::from_utf8(snapshot(&env, "qaseem2017"))
        .unwrap()
        .contains("Résumé"));
    for (id, old) in ids.iter().zip(&before) {
        if !["aoa-yoga", "qaseem2017"].contains(id) {
            assert_eq!(&snapshot(&env, id), old, "{id} snapshot changed");
        }
    }
    assert_eq!(
        fs::read(env.corpus.join("references.json")).unwrap(),
        refs_before
    );
}

#[test]
fn unchanged_page_costs_a_304_the_second_time() {
    let page = malanga_page();
    let server = TestServer::routed(vec![(
        "/malanga2015",
        route(move |head| {
            if head.to_lowercase().contains("if-none-match: \"v1\"") {
                Reply::status(304).with_header("ETag", "\"v1\"")
            } else {
                Reply::html(&page).with_header("ETag", "\"v1\"")
            }
        }),
    )]);
    let env = env_with_urls(&server, &["malanga2015"]);
    let first: Value = serde_json::from_slice(
        &env.cmd(&["fetch", "malanga2015", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(first["references"][0]["result"], "fetched");
    let second = env
        .cmd(&["fetch", "malanga2015", "--json"])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(0));
    let second: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(second["references"][0]["result"], "unchanged");
    assert_eq!(second["unchanged"], 1);
    assert!(server
        .requests()
        .last()
        .unwrap()
        .to_lowercase()
        .contains("if-none-match"));
}

#[test]
fn update_metadata_fills_missing_fields_and_keeps_a_backup() {
    let page = malanga_page();
    let server = TestServer::routed(vec![("/malanga2015", route(move |_| Reply::html(&page)))]);
    let env = env_with_urls(&server, &["malanga2015"]);
    // Remove fields the page carries.
    let path = env.corpus.join("references.json");
    let mut refs: Vec<Value> = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let m = refs.iter_mut().find(|r| r["id"] == "malanga2015").unwrap();
    m.as_object_mut().unwrap().remove("volume");
    m.as_object_mut().unwrap().remove("PMID");
    m["title"] = Value::String("My own title".into());
    let before = serde_json::to_string_pretty(&refs).unwrap();
    fs::write(&path, &before).unwrap();

    let out = env
        .cmd(&["fetch", "malanga2015", "--update-metadata"])
        .output()
        .unwrap();
    harness::succeeded(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("added to references.json"), "{text}");
    let now: Vec<Value> = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let m = now.iter().find(|r| r["id"] == "malanga2015").unwrap();
    assert_eq!(m["volume"], "127");
    assert_eq!(m["PMID"], "25526231");
    assert_eq!(m["title"], "My own title", "existing values are kept");
    assert_eq!(now.len(), refs.len());
    let mut bak = path.as_os_str().to_owned();
    bak.push(".bak");
    assert_eq!(fs::read_to_string(bak).unwrap(), before);
}

#[test]
fn add_builds_the_csl_record_from_citation_meta_tags() {
    let page =
        fs::read_to_string(harness::repo_corpus().join("references/malanga2015.html")).unwrap();
    let server = TestServer::routed(vec![("/study", route(move |_| Reply::html(&page)))]);
    let env = TestEnv::empty();
    env.write("references.json", "[]");
    let out = env.cmd(&["add", &server.url("/study")]).output().unwrap();
    harness::succeeded(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("added malanga2015"));
    let refs: Value =
        serde_json::from_str(&fs::read_to_string(env.corpus.join("references.json")).unwrap())
            .unwrap();
    assert_eq!(
        refs,
        json!([{"id": "malanga2015", "type": "article-journal",
            "title": "Mechanisms and efficacy of heat and cold therapies for musculoskeletal injury",
            "author": [{"family": "Malanga", "given": "Gerard A."}, {"family": "Yan", "given": "Ning"}, {"family": "Stark", "given": "Jill"}],
            "container-title": "Postgraduate Medicine", "volume": "127", "issue": "1", "page": "57-65",
            "issued": {"date-parts": [[2015, 1]]}, "DOI": "10.1080/00325481.2015.992719", "PMID": "25526231",
            "URL": "https://doi.org/10.1080/00325481.2015.992719"}])
    );
    assert!(env.corpus.join("references/malanga2015.html").is_file());
    // The same study again is refused; a second id is de-duplicated only for other studies.
    env.cmd(&["add", &server.url("/study")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "already in references.json as malanga2015",
        ));
}

#[test]
fn add_rejects_non_web_input_without_touching_files() {
    let env = TestEnv::empty();
    env.write("references.json", "[]");
    for bad in ["file:///etc/passwd", "ftp://x.org/a", "not a url"] {
        env.cmd(&["add", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("neither a URL"));
    }
    assert_eq!(
        fs::read_to_string(env.corpus.join("references.json")).unwrap(),
        "[]"
    );
}

#[test]
fn offline_uses_snapshots_only() {
    let server = TestServer::routed(vec![]);
    let env = env_with_urls(&server, &["malanga2015", "lau2019"]);
    let out = env
        .cmd(&["fetch", "malanga2015", "lau2019", "--offline", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["skipped"], 2);
    assert!(server.requests().is_empty());
}

#[test]
fn network_down_gives_one_warning_not_one_error_per_reference() {
    // A port nobody listens on: connections are refused at once.
    let port = http::free_port();
    let env = TestEnv::copied();
    let path = env.corpus.join("references.json");
    let mut refs: Vec<Value> = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    for r in &mut refs {
        r["URL"] = Value::String(format!(
            "http://127.0.0.1:{port}/{}",
            r["id"].as_str().unwrap()
        ));
    }
    fs::write(&path, serde_json::to_string(&refs).unwrap()).unwrap();
    let before = snapshot(&env, "lau2019");
    let out = env.cmd(&["fetch", "--json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("network looks down").count(), 1, "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["skipped"], 8, "{v}");
    assert_eq!(v["failed"], 0, "{v}");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(snapshot(&env, "lau2019"), before);
}

#[test]
fn ingest_fetch_fetches_then_indexes() {
    let page = malanga_page();
    let server = TestServer::routed(vec![("/malanga2015", route(move |_| Reply::html(&page)))]);
    let env = env_with_urls(&server, &["malanga2015"]);
    // Point every other reference at the server too, where they 404 (kept snapshots).
    let path = env.corpus.join("references.json");
    let mut refs: Vec<Value> = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    for r in &mut refs {
        let id = r["id"].as_str().unwrap().to_string();
        r["URL"] = Value::String(server.url(&format!("/{id}")));
    }
    fs::write(&path, serde_json::to_string(&refs).unwrap()).unwrap();
    env.cmd(&["ingest", "--fetch"]).assert().success().stderr(
        predicate::str::contains("failed 7").and(predicate::str::contains("indexed 1 guide")),
    );
    let hits = env.search("frostbite", &["--kind", "reference"]);
    assert_eq!(hits[0]["doc"], "malanga2015");
}
