//! `citeseek extract` and main-content detection, through the real binary: pages with and
//! without `<main>`, chrome left out with its reason, the bundled guide kept whole, unsure
//! pages kept whole with a warning (also at ingest).

use serde::Deserialize;

use crate::harness::{fixture, repo_corpus, TestEnv};

/// `extract --json`: exactly these keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Extracted {
    title: String,
    url: Option<String>,
    blocks: Vec<KeptBlock>,
    removed: Vec<RemovedBlock>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeptBlock {
    kind: String,
    section: Vec<String>,
    text: String,
    line: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RemovedBlock {
    reason: String,
    text: String,
    line: usize,
}

impl Extracted {
    fn kept(&self) -> String {
        self.blocks
            .iter()
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn removed_for(&self, needle: &str) -> &RemovedBlock {
        self.removed
            .iter()
            .find(|r| r.text.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} is not among the removed blocks: {self:#?}"))
    }
}

fn extract(path: &std::path::Path, extra: &[&str]) -> (Extracted, String) {
    let env = TestEnv::bundled();
    let mut args = vec!["extract", path.to_str().expect("utf-8 path"), "--json"];
    args.extend_from_slice(extra);
    let out = env.run(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not the extract JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (doc, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_page_without_main_keeps_its_article_and_leaves_out_the_chrome() {
    let (doc, stderr) = extract(&fixture("extract/no-main.html"), &["--verbose"]);
    assert!(stderr.is_empty(), "no warning expected: {stderr}");
    assert_eq!(doc.title, "Neck stretches for desk workers");
    assert_eq!(
        doc.url.as_deref(),
        Some("https://clinic.example/blog/neck-stretches")
    );
    let kept = doc.kept();
    for article in [
        "Hours at a screen pull the head forward",
        "(Chen et al., 2020)",
        "Draw your chin straight back",
        "Upper trapezius stretch",
        "a woman at a desk tilting her head",
        "See a doctor if neck pain follows an injury",
    ] {
        assert!(kept.contains(article), "{article:?} was dropped:\n{kept}");
    }
    for chrome in [
        "Popular posts",
        "Ten foods for joint health",
        "Share on Facebook",
        "We use cookies",
        "Sign up for the newsletter",
        "You may also like",
        "Great post, thanks",
        "All rights reserved",
        "Contact",
    ] {
        assert!(!kept.contains(chrome), "{chrome:?} was kept:\n{kept}");
        doc.removed_for(chrome);
    }
    let cookies = doc.removed_for("We use cookies");
    assert_eq!(
        (cookies.reason.as_str(), cookies.line),
        ("class/id \"cookie\"", 6)
    );
    assert_eq!(
        doc.removed_for("Great post").reason,
        "outside the article (text and link density)"
    );
    // Kinds, heading paths and lines survive the detection.
    let tuck = doc
        .blocks
        .iter()
        .find(|b| b.text.starts_with("Sit tall"))
        .expect("chin tuck paragraph");
    assert_eq!(
        (tuck.kind.as_str(), tuck.section.clone(), tuck.line),
        ("paragraph", vec!["Chin tucks".to_string()], 20)
    );
    let figure = doc
        .blocks
        .iter()
        .find(|b| b.kind == "figure")
        .expect("figure");
    assert_eq!(figure.section, ["Upper trapezius stretch"]);
    assert_eq!(figure.line, 23);
}

#[test]
fn inside_an_explicit_article_share_bars_promos_related_lists_and_comments_are_left_out() {
    let (doc, _) = extract(&fixture("extract/article-with-chrome.html"), &["--verbose"]);
    let kept = doc.kept();
    for article in [
        "Back pain and poor sleep feed each other",
        "Positions that help",
        "Choose a medium-firm mattress (Radwan et al., 2015)",
        "see a doctor rather than changing pillows",
    ] {
        assert!(kept.contains(article), "{article:?} was dropped:\n{kept}");
    }
    for (chrome, reason) in [
        ("Twitter", "class/id \"share\""),
        ("memory foam pillow", "<aside>"),
        ("Best pillows of the year", "class/id \"related\""),
        ("This helped me a lot", "class/id \"comment\""),
        ("Home Guides", "<nav>"),
        ("Free shipping on orders", "outside <article>"),
        ("© Example Guides", "<footer>"),
    ] {
        assert!(!kept.contains(chrome), "{chrome:?} was kept:\n{kept}");
        assert_eq!(doc.removed_for(chrome).reason, reason, "{chrome}");
    }
    let list = doc.blocks.iter().find(|b| b.kind == "list").expect("list");
    assert_eq!(list.section, ["Positions that help"]);
    assert_eq!(list.text.lines().count(), 3);
}

#[test]
fn removed_blocks_are_listed_only_with_verbose() {
    let (quiet, _) = extract(&fixture("extract/no-main.html"), &[]);
    let (verbose, _) = extract(&fixture("extract/no-main.html"), &["--verbose"]);
    assert!(quiet.removed.is_empty());
    assert!(!verbose.removed.is_empty());
    // The kept blocks do not depend on it.
    assert_eq!(quiet.kept(), verbose.kept());
    let lines = |d: &Extracted| d.blocks.iter().map(|b| b.line).collect::<Vec<_>>();
    assert_eq!(lines(&quiet), lines(&verbose));
}

#[test]
fn the_bundled_guide_is_kept_whole() {
    let guide = repo_corpus().join("guide/back-spasm-relief.html");
    let (doc, stderr) = extract(&guide, &["--verbose"]);
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(doc.title, "A Massive List of Back Spasm Relief");
    // Only the page chrome outside <article> is left out.
    let reasons: Vec<_> = doc.removed.iter().map(|r| r.reason.as_str()).collect();
    assert!(
        reasons
            .iter()
            .all(|r| r.starts_with("outside ") || r.starts_with('<')),
        "{reasons:?}"
    );
    assert!(doc.removed_for("Join our newsletter").reason == "<aside>");
    // The References section and its entries are all there.
    let references: Vec<_> = doc
        .blocks
        .iter()
        .filter(|b| b.section.first().map(String::as_str) == Some("References"))
        .collect();
    assert!(references.len() >= 8, "{references:#?}");
    assert!(references.iter().any(|b| b.text.contains("Brinjikji")));
    let sections: Vec<_> = doc
        .blocks
        .iter()
        .filter(|b| b.kind == "heading")
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(sections.len(), 14, "{sections:?}");
}

#[test]
fn an_unsure_page_is_kept_whole_and_says_so() {
    let path = fixture("extract/unsure.html");
    let (doc, stderr) = extract(&path, &[]);
    assert_eq!(
        doc.blocks
            .iter()
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>(),
        [
            "Home",
            "Ice first, heat after two days.",
            "Call a doctor if the pain spreads."
        ]
    );
    assert!(
        stderr.contains("unsure.html") && stderr.contains("unsure"),
        "{stderr}"
    );

    // Ingest says so too, naming the file, and indexes all of it.
    let env = TestEnv::empty();
    env.write("guide/note.html", std::fs::read(&path).expect("fixture"));
    let out = env.run(&["ingest", "--full"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning:")
            && stderr.contains("guide/note.html")
            && stderr.contains("unsure"),
        "{stderr}"
    );
    let hits = env.search("doctor spreads", &[]);
    assert_eq!(hits[0]["text"], "Call a doctor if the pain spreads.");
}

#[test]
fn markdown_and_text_files_are_extracted_too() {
    let env = TestEnv::empty();
    env.write(
        "notes.md",
        "# Sleep\n\nIntro line.\n\n## Pillows\n\n- one\n- two\n",
    );
    let out = env.run(&[
        "extract",
        env.corpus.join("notes.md").to_str().expect("utf-8"),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let doc: Extracted = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc.title, "Sleep");
    let kinds: Vec<_> = doc
        .blocks
        .iter()
        .map(|b| (b.kind.as_str(), b.section.join("/"), b.line))
        .collect();
    assert_eq!(
        kinds,
        [
            ("heading", String::new(), 1),
            ("paragraph", String::new(), 3),
            ("heading", "Pillows".to_string(), 5),
            ("list", "Pillows".to_string(), 7),
        ]
    );
    let (txt, _) = extract(&fixture("back-spasm-relief.txt"), &[]);
    assert!(!txt.blocks.is_empty());
    assert!(txt.url.is_none());
}

#[test]
fn extract_errors_name_the_file_and_what_to_do() {
    let env = TestEnv::empty();
    env.write("page.pdf", "%PDF");
    let pdf = env.corpus.join("page.pdf");
    let out = env.run(&["extract", pdf.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("page.pdf") && stderr.contains(".html"),
        "{stderr}"
    );
    let out = env.run(&["extract", "missing.html", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let err: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json error");
    assert!(err["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("missing.html")));
}

/// The pages of the fake site in tests/fixtures/extract/site: no `<main>`/`<article>`, each
/// with a newsletter box and a "related articles" paragraph (no chrome class names) and a
/// footer line shared by all.
const SITE: &[&str] = &[
    "heat-or-ice",
    "desk-posture",
    "morning-stiffness",
    "lifting",
];

/// The hits of `search QUERY --json` (exit 0 with hits, 1 without).
fn hits(env: &TestEnv, query: &str) -> Vec<serde_json::Value> {
    let out = env.run(&["search", query, "--json"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("search json");
    v["hits"].as_array().cloned().unwrap_or_default()
}

fn site_page(name: &str) -> Vec<u8> {
    std::fs::read(fixture(&format!("extract/site/{name}.html"))).expect("fixture")
}

#[test]
fn blocks_repeated_on_the_pages_of_a_site_are_left_out_at_ingest() {
    let env = TestEnv::empty();
    let page = env.corpus.join("guide/lifting.html");
    env.write("guide/lifting.html", site_page("lifting"));
    // Alone, the page keeps its newsletter box: nothing in its markup says it is chrome.
    let (alone, _) = extract(&page, &[]);
    assert!(alone.kept().contains("Get our weekly letter"), "{alone:#?}");

    for name in SITE {
        env.write(&format!("guide/{name}.html"), site_page(name));
    }
    let out = env.run(&["ingest"]);
    assert_eq!(out.status.code(), Some(0));
    for chrome in [
        "\"written by our physiotherapists\"",
        "\"choose a pillow that supports the neck\"",
        "\"12 High Street\"",
    ] {
        let found = hits(&env, chrome);
        assert!(found.is_empty(), "{chrome:?} was indexed: {found:#?}");
    }
    // Each page's own text stays, with its heading path: the box's heading is not kept
    // over the paragraph that follows the box.
    let found = hits(&env, "\"anything heavier\"");
    assert_eq!(
        found[0]["text"],
        "Ask for help with anything heavier than you can hold close without straining."
    );
    assert_eq!(found[0]["section"], serde_json::json!([]));
    for own in [
        "\"wrap a cold pack in a towel\"",
        "\"top of the screen at eye level\"",
        "\"discs between the vertebrae\"",
    ] {
        assert_eq!(hits(&env, own).len(), 1, "{own:?} was not indexed once");
    }

    // extract reads the index's counts and says why.
    let out = env.run(&[
        "extract",
        page.to_str().expect("utf-8"),
        "--json",
        "--verbose",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let doc: Extracted = serde_json::from_slice(&out.stdout).expect("json");
    let kept = doc.kept();
    assert!(kept.contains("Stand close to the load"), "{kept}");
    assert!(!kept.contains("weekly letter") && !kept.contains("More from our clinic"));
    for repeated in [
        "Get our weekly letter",
        "Related articles",
        "More from our clinic",
    ] {
        assert_eq!(
            doc.removed_for(repeated).reason,
            "repeated on 4 pages of example.com",
            "{repeated}"
        );
    }
}

#[test]
fn repetition_never_removes_text_inside_an_explicit_article() {
    let env = TestEnv::empty();
    // The same four pages with their content in <article>: the box is inside it, and stays.
    for name in SITE {
        let html = String::from_utf8(site_page(name)).expect("utf-8");
        let html = html.replace("<div class=\"page\">", "<article>").replace(
            "</div>\n<div class=\"bottom\">",
            "</article>\n<div class=\"bottom\">",
        );
        env.write(&format!("guide/{name}.html"), html);
    }
    let out = env.run(&["ingest"]);
    assert_eq!(out.status.code(), Some(0));
    let found = hits(&env, "\"written by our physiotherapists\"");
    assert_eq!(found.len(), 4, "{found:#?}");
    // And the pages do not count: no fingerprints are kept for them.
    let marker: serde_json::Value = serde_json::from_slice(
        &std::fs::read(env.index.join("citeseek-index.json")).expect("marker"),
    )
    .expect("json");
    let generation = marker["generation"].as_str().expect("generation");
    let blocks =
        std::fs::read_to_string(env.index.join(generation).join("blocks.tsv")).expect("blocks.tsv");
    assert_eq!(blocks.lines().filter(|l| !l.starts_with('#')).count(), 0);
}
