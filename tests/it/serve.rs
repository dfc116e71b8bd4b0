//! `citeseek serve` over loopback: the API answers what the CLI answers, every response matches
//! the OpenAPI document it serves, errors are JSON with a 4xx/5xx status and never stop it,
//! the security headers, CORS only when asked, and edits followed with whole generations.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::server::Server;
use crate::harness::{schema, wait, TestEnv};

/// The 200 (or `status`) response schema of `path` in the OpenAPI document.
fn response_schema(doc: &Value, path: &str, status: u16) -> Value {
    let r = &doc["paths"][path]["get"]["responses"][status.to_string()];
    let r = match r.get("$ref").and_then(Value::as_str) {
        Some(p) => doc
            .pointer(p.trim_start_matches('#'))
            .expect("response $ref"),
        None => r,
    };
    r["content"]["application/json"]["schema"].clone()
}

fn assert_matches(doc: &Value, path: &str, status: u16, value: &Value) {
    let schema = response_schema(doc, path, status);
    assert!(!schema.is_null(), "the document has no {status} for {path}");
    let errors = schema::check(doc, &schema, value);
    assert!(
        errors.is_empty(),
        "{path} ({status}) does not match the OpenAPI document:\n{}\n{value}",
        errors.join("\n")
    );
}

/// A search hit without the API's `segments`: what `search --json` prints.
fn without_segments(mut hits: Value) -> Value {
    for h in hits.as_array_mut().expect("hits") {
        h.as_object_mut().expect("hit").remove("segments");
    }
    hits
}

#[test]
fn schema_checker_finds_what_breaks_a_schema() {
    let doc = json!({"components": {"schemas": {"P": {"type": "object",
        "properties": {"a": {"type": "integer", "minimum": 1}, "b": {"type": ["string", "null"]}},
        "required": ["a"], "additionalProperties": false}}}});
    let p = json!({"$ref": "#/components/schemas/P"});
    assert!(schema::check(&doc, &p, &json!({"a": 1, "b": null})).is_empty());
    assert_eq!(schema::check(&doc, &p, &json!({"b": "x"})).len(), 1);
    assert_eq!(schema::check(&doc, &p, &json!({"a": 0})).len(), 1);
    assert_eq!(schema::check(&doc, &p, &json!({"a": 1, "c": 2})).len(), 1);
    assert_eq!(schema::check(&doc, &p, &json!({"a": "1"})).len(), 1);
}

#[test]
fn api_answers_what_the_cli_answers_and_matches_its_openapi_document() {
    let env = TestEnv::copied();
    let server = Server::start(&env, &[]);
    let doc = server.json("/api/v1/openapi.json", 200);
    assert_eq!(doc["openapi"], "3.1.0");

    // search: the CLI's object, plus segments, total, offset, limit and took_ms.
    let api = server.json("/api/v1/search?q=heat+vs+ice&limit=5", 200);
    assert_matches(&doc, "/api/v1/search", 200, &api);
    let cli = env.json(&["search", "heat vs ice", "--json", "--limit", "5"], 0);
    assert_eq!(api["query"], cli["query"]);
    assert_eq!(without_segments(api["hits"].clone()), cli["hits"]);
    assert_eq!(
        api["hits"][0]["passage_id"],
        "back-spasm-relief#using-hot-and-cold-therapy/1"
    );
    assert_eq!(api["hits"][0]["citations"][0]["id"], "malanga2015");
    let cli_all = env.json(&["search", "heat vs ice", "--json", "--limit", "1000"], 0);
    assert_eq!(
        api["total"].as_u64(),
        Some(cli_all["hits"].as_array().expect("hits").len() as u64),
        "total counts every matching passage"
    );
    assert!(api["took_ms"].as_f64().is_some());
    // segments rebuild the snippet, marked exactly where the highlights are.
    for hit in api["hits"].as_array().expect("hits") {
        let snippet: Vec<char> = hit["snippet"].as_str().expect("snippet").chars().collect();
        let segments = hit["segments"].as_array().expect("segments");
        let joined: String = segments
            .iter()
            .map(|s| s["text"].as_str().expect("text"))
            .collect();
        assert_eq!(joined, snippet.iter().collect::<String>());
        let marked: Vec<String> = segments
            .iter()
            .filter(|s| s["mark"] == true)
            .map(|s| s["text"].as_str().expect("text").to_string())
            .collect();
        let highlighted: Vec<String> = hit["highlights"]
            .as_array()
            .expect("highlights")
            .iter()
            .map(|r| {
                let (a, b) = (r[0].as_u64().expect("a"), r[1].as_u64().expect("b"));
                snippet[a as usize..b as usize].iter().collect()
            })
            .collect();
        assert_eq!(marked, highlighted, "{hit}");
    }
    // offset pages through the same ranking.
    let second = server.json("/api/v1/search?q=heat+vs+ice&limit=1&offset=1", 200);
    assert_eq!(second["hits"][0]["rank"], 2);
    assert_eq!(
        second["hits"][0]["passage_id"],
        cli["hits"][1]["passage_id"]
    );
    let guide = server.json("/api/v1/search?q=spasm&kind=reference&cites=lau2019", 200);
    assert_matches(&doc, "/api/v1/search", 200, &guide);
    assert_eq!(
        without_segments(guide["hits"].clone()),
        env.json(
            &[
                "search",
                "spasm",
                "--kind",
                "reference",
                "--cites",
                "lau2019",
                "--json",
                "-n",
                "10"
            ],
            0
        )["hits"]
    );

    // cite, refs, refs/{id}, audit: exactly the CLI's JSON.
    let api = server.json(
        "/api/v1/cite?claim=cold+reduces+swelling+and+inflammation&limit=2",
        200,
    );
    assert_matches(&doc, "/api/v1/cite", 200, &api);
    let cli = env.json(
        &[
            "cite",
            "cold reduces swelling and inflammation",
            "--json",
            "-n",
            "2",
        ],
        0,
    );
    assert_eq!(api, cli);
    assert_eq!(api["references"][0]["id"], "malanga2015");
    let unsupported = server.json("/api/v1/cite?claim=vitamin+C+cures+the+common+cold", 200);
    assert_matches(&doc, "/api/v1/cite", 200, &unsupported);
    assert_eq!(unsupported["references"], json!([]));

    let api = server.json("/api/v1/refs", 200);
    assert_matches(&doc, "/api/v1/refs", 200, &api);
    assert_eq!(api, env.json(&["refs", "--json"], 0));

    let api = server.json("/api/v1/refs/malanga2015?style=vancouver", 200);
    assert_matches(&doc, "/api/v1/refs/{id}", 200, &api);
    assert_eq!(
        api,
        env.json(
            &["refs", "malanga2015", "--style", "vancouver", "--json"],
            0
        )
    );

    let api = server.json("/api/v1/audit", 200);
    assert_matches(&doc, "/api/v1/audit", 200, &api);
    assert_eq!(api, env.json(&["audit", "--json"], 1));

    // passages/{id}: a hit's passage, its id's # and / encoded (or the / left as is).
    for path in [
        "/api/v1/passages/back-spasm-relief%23using-hot-and-cold-therapy%2F1",
        "/api/v1/passages/back-spasm-relief%23using-hot-and-cold-therapy/1",
    ] {
        let p = server.json(path, 200);
        assert_matches(&doc, "/api/v1/passages/{id}", 200, &p);
        assert_eq!(
            p["passage_id"],
            "back-spasm-relief#using-hot-and-cold-therapy/1"
        );
        assert_eq!(p["section"][1], "Using Hot and Cold Therapy");
        assert_eq!(p["citations"][0]["id"], "malanga2015");
    }

    let health = server.json("/api/v1/health", 200);
    assert_matches(&doc, "/api/v1/health", 200, &health);
    assert_eq!(health["passages"], 106);

    // Every endpoint the document lists answers.
    let listed: Vec<&String> = doc["paths"].as_object().expect("paths").keys().collect();
    assert_eq!(listed.len(), 8, "{listed:?}");
}

#[test]
fn api_errors_are_json_with_a_status_and_never_stop_the_server() {
    let env = TestEnv::bundled();
    let server = Server::start(&env, &[]);
    let doc = server.json("/api/v1/openapi.json", 200);
    let at_limit = format!("heat {}", "x".repeat(507));
    assert_eq!(at_limit.chars().count(), 512);
    let over = format!("{at_limit}y");
    // Limits: 512 characters, limit 50, offset 1000.
    for (path, status) in [
        (format!("/api/v1/search?q={at_limit}"), 200),
        ("/api/v1/search?q=heat&limit=50".to_string(), 200),
        ("/api/v1/search?q=heat&offset=1000".to_string(), 200),
        (format!("/api/v1/cite?claim={at_limit}"), 200),
    ] {
        let v = server.json(&path, status);
        assert_matches(&doc, path.split('?').next().expect("path"), 200, &v);
    }
    let cases: &[(String, u16, &str)] = &[
        (format!("/api/v1/search?q={over}"), 400, "bad_parameter"),
        ("/api/v1/search".into(), 400, "bad_parameter"),
        (
            "/api/v1/search?q=heat&limit=51".into(),
            400,
            "bad_parameter",
        ),
        ("/api/v1/search?q=heat&limit=0".into(), 400, "bad_parameter"),
        (
            "/api/v1/search?q=heat&offset=1001".into(),
            400,
            "bad_parameter",
        ),
        (
            "/api/v1/search?q=heat&kind=video".into(),
            400,
            "bad_parameter",
        ),
        (
            "/api/v1/search?q=heat&mode=hybrid".into(),
            400,
            "bad_parameter",
        ),
        (
            "/api/v1/search?q=heat&colour=red".into(),
            400,
            "bad_parameter",
        ),
        ("/api/v1/search?q=the".into(), 400, "query"),
        (
            "/api/v1/search?q=heat&cites=nosuch2020".into(),
            404,
            "unknown_reference",
        ),
        (format!("/api/v1/cite?claim={over}"), 400, "bad_parameter"),
        (
            "/api/v1/cite?claim=heat&style=mla".into(),
            400,
            "bad_parameter",
        ),
        ("/api/v1/refs/nosuch2020".into(), 404, "unknown_reference"),
        ("/api/v1/passages/nosuch%23x%2F1".into(), 404, "not_found"),
        ("/api/v1/nothing-here".into(), 404, "not_found"),
    ];
    for (path, status, code) in cases {
        let r = server.get(path);
        assert_eq!(r.status, *status, "GET {path}: {}", r.body);
        assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
        let v = r.json();
        assert_eq!(v["error"]["code"], *code, "{path}: {v}");
        assert!(
            v["error"]["message"].as_str().is_some_and(|m| m.len() > 10),
            "{v}"
        );
        let api_path = doc["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .find(|p| path.split('?').next() == Some(p.as_str()))
            .cloned();
        if let Some(p) = api_path {
            assert_matches(&doc, &p, *status, &v);
        }
    }
    // Only GET; bodies over 16 KiB are refused.
    let r = server.send(
        server
            .http
            .post(format!("{}/api/v1/search?q=heat", server.base)),
    );
    assert_eq!(r.status, 405, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "method_not_allowed");
    let r = server.send(
        server
            .http
            .get(format!("{}/api/v1/search?q=heat", server.base))
            .body(vec![b'x'; 16 * 1024 + 1]),
    );
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "payload_too_large");
    // Still serving.
    assert_eq!(server.json("/api/v1/health", 200)["status"], "ok");
}

#[test]
fn page_and_api_send_the_security_headers_and_cors_only_when_asked() {
    const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    let env = TestEnv::bundled();
    let server = Server::start(&env, &[]);
    for (path, status, kind) in [
        ("/", 200, "text/html; charset=utf-8"),
        ("/?q=heat+vs+ice", 200, "text/html; charset=utf-8"),
        ("/app.js", 200, "text/javascript; charset=utf-8"),
        ("/app.css", 200, "text/css; charset=utf-8"),
        ("/api/v1/health", 200, "application/json"),
        ("/api/v1/search?q=heat", 200, "application/json"),
        ("/api/v1/search", 400, "application/json"),
        ("/missing.png", 404, "application/json"),
    ] {
        let r = server.send(
            server
                .http
                .get(format!("{}{path}", server.base))
                .header("Origin", "https://elsewhere.example"),
        );
        assert_eq!(r.status, status, "{path}");
        assert_eq!(r.header("content-security-policy"), Some(CSP), "{path}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("content-type"), Some(kind), "{path}");
        assert_eq!(r.header("access-control-allow-origin"), None, "{path}");
    }
    // The page loads nothing from elsewhere: its script and style are its own.
    let page = server.get("/").body;
    assert!(page.contains(r#"<script src="/app.js" defer></script>"#));
    assert!(page.contains(r#"<link rel="stylesheet" href="/app.css">"#));
    assert!(!page.contains("//cdn") && !page.contains("src=\"http"));
    assert!(page.contains(r#"<label for="q">"#));
    assert!(page.contains(r#"role="combobox""#) && page.contains(r#"role="listbox""#));
    assert_eq!(page.matches("aria-live").count(), 1, "one live region");
    // The page's script never parses data as HTML.
    let js = server.get("/app.js").body;
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
    ] {
        assert!(!js.contains(sink), "app.js uses {sink}");
    }
    drop(server);

    let server = Server::start(&env, &["--cors-origin", "https://guide.example.org"]);
    let with_origin = |origin: &str| {
        server.send(
            server
                .http
                .get(format!("{}/api/v1/health", server.base))
                .header("Origin", origin),
        )
    };
    assert_eq!(
        with_origin("https://guide.example.org").header("access-control-allow-origin"),
        Some("https://guide.example.org")
    );
    assert_eq!(
        with_origin("https://elsewhere.example").header("access-control-allow-origin"),
        None
    );
}

#[test]
fn serve_listens_on_loopback_unless_told_and_refuses_bad_origins() {
    let env = TestEnv::bundled();
    let help = env.run(&["serve", "--help"]);
    let help = String::from_utf8(help.stdout).expect("utf-8");
    let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("[default: 127.0.0.1:7700]"), "{help}");
    let out = env.run(&["serve", "--cors-origin", "guide.example.org/path"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an origin"));
}

/// The passage ids of a search answer, sorted.
fn ids(answer: &Value) -> Vec<String> {
    let mut ids: Vec<String> = answer["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["passage_id"].as_str().expect("id").to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn server_follows_edits_and_answers_from_whole_generations() {
    let env = TestEnv::copied();
    let server = Server::start(&env, &[]);
    let before = server.json("/api/v1/health", 200)["generation"].clone();
    let baseline = server.json("/api/v1/search?q=heat+vs+ice&limit=50", 200);
    assert_eq!(server.json("/api/v1/search?q=zanzibarite", 200)["total"], 0);
    // An edit made before the watcher is up would wait for the next one.
    server.notes.wait_for("watching", Duration::from_secs(60));

    // A new page: searchable without a restart, while every answer to another query stays
    // the whole answer (the new page does not mention heat or ice).
    env.write(
        "guide/notes.txt",
        "Editor notes\n\nThe zanzibarite stretch loosens the lower back.\n",
    );
    let whole = || {
        let same = server.json("/api/v1/search?q=heat+vs+ice&limit=50", 200);
        // Scores move with the collection's statistics; the passages that match do not.
        assert_eq!(same["total"], baseline["total"], "a partial index answered");
        assert_eq!(ids(&same), ids(&baseline), "a partial index answered");
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut polls = 0;
    // Ask while the update runs, until the server says it is done (its update line, printed
    // once the new generation is published; the swap follows it).
    let mut updated = false;
    loop {
        whole();
        let found = server.json("/api/v1/search?q=zanzibarite", 200);
        if found["total"] == 1 {
            assert_eq!(found["hits"][0]["doc"], "notes");
            break;
        }
        polls += 1;
        assert!(
            Instant::now() < deadline,
            "the edit was not indexed ({polls} polls)"
        );
        if !updated {
            updated = server
                .notes
                .next(Duration::from_millis(50))
                .is_some_and(|line| line.starts_with("updated: 1 file [+guide/notes.txt]"));
        }
    }
    let after = server.json("/api/v1/health", 200);
    assert_ne!(after["generation"], before, "a new generation is served");
    assert_eq!(after["passages"], 107);

    // An index written by a separate `citeseek ingest` is picked up too. Nothing announces
    // that (the server checks the marker every tick), so this polls.
    std::fs::remove_file(env.corpus.join("guide/notes.txt")).expect("rm");
    let out = env.run(&["ingest"]);
    assert_eq!(out.status.code(), Some(0));
    wait::until(
        Duration::from_secs(60),
        Duration::from_millis(20),
        "the removal was picked up",
        || server.json("/api/v1/search?q=zanzibarite", 200)["total"] == 0,
    );
    assert_eq!(server.json("/api/v1/health", 200)["passages"], 106);
}
