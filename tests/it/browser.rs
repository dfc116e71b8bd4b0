//! The search page in a real headless Chromium, driven over WebDriver (chromedriver) by a
//! small client of its own. One server and one browser session for all the checks, so CI stays
//! fast. Skips, saying why, when Chromium or chromedriver is not installed (.ci/run installs
//! them); the accessibility check needs axe-core's `axe.min.js`, named by `CITESEEK_AXE_JS`
//! (.ci/run fetches it with `npm pack`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::server::Server;
use crate::harness::wait::Lines;
use crate::harness::{http, TestEnv};

const CHROMIUM: &[&str] = &["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

/// A page whose text carries markup, and emoji before a highlighted word.
const EDITOR_NOTES: &str = "Editor notes

Markup pasted into a guide
Editors sometimes paste <img src=x onerror=alert(1)> into a zanzibarite paragraph by mistake.

Emoji in the text
\u{1F9D8}\u{1F600} Gentle qizmo stretches \u{1F4AA} ease a tight lower back.
";

fn find_program(candidates: &[&str], name: &str) -> Option<PathBuf> {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| {
            std::env::var_os("PATH").and_then(|path| {
                std::env::split_paths(&path)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}

/// chromedriver on a free loopback port; killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One WebDriver session.
struct Browser {
    http: reqwest::blocking::Client,
    session: String,
    _profile: tempfile::TempDir,
    _driver: Driver,
}

/// WebDriver's key codes.
const ARROW_DOWN: &str = "\u{E015}";
const ARROW_UP: &str = "\u{E013}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

impl Browser {
    fn start(chromium: &Path, chromedriver: &Path) -> Browser {
        let port = http::free_port();
        let mut child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let said = Lines::read(child.stdout.take().expect("stdout"), None);
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        // It says so once it listens.
        said.wait_for("started successfully", Duration::from_secs(30));
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let status = http
            .get(format!("{}/status", driver.url))
            .send()
            .expect("chromedriver status");
        assert!(status.status().is_success(), "chromedriver is not ready");
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-dev-shm-usage", "--window-size=1200,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}});
        let resp = http
            .post(format!("{}/session", driver.url))
            .header("Content-Type", "application/json")
            .body(caps.to_string())
            .send()
            .expect("new session");
        let resp: Value = serde_json::from_str(&resp.text().expect("body")).expect("session JSON");
        let session = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {resp}"))
            .to_string();
        Browser {
            http,
            session,
            _profile: profile,
            _driver: driver,
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self._driver.url, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let text = req
            .send()
            .expect("webdriver")
            .text()
            .expect("webdriver body");
        let resp: Value = serde_json::from_str(&text).expect("webdriver JSON");
        resp["value"].clone()
    }

    fn ok(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let v = self.call(method, path, body);
        assert!(v.get("error").is_none(), "webdriver {path}: {v}");
        v
    }

    fn goto(&self, url: &str) {
        self.ok(reqwest::Method::POST, "/url", Some(json!({"url": url})));
    }

    fn refresh(&self) {
        self.ok(reqwest::Method::POST, "/refresh", Some(json!({})));
    }

    /// Run `script` (a function body; `arguments` as usual) and return its value.
    fn js(&self, script: &str) -> Value {
        self.ok(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    fn element(&self, css: &str) -> String {
        let v = self.ok(
            reqwest::Method::POST,
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("element id")
            .to_string()
    }

    fn type_into(&self, css: &str, text: &str) {
        let el = self.element(css);
        self.ok(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        );
    }

    fn click(&self, css: &str) {
        let el = self.element(css);
        self.ok(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            Some(json!({})),
        );
    }

    /// Press a key wherever the focus is.
    fn press(&self, key: &str) {
        self.ok(
            reqwest::Method::POST,
            "/actions",
            Some(
                json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
                {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]}),
            ),
        );
    }

    /// Wait until `condition` (a JavaScript expression on the page's DOM) is true: the page
    /// checks it now and after every change to the document (a MutationObserver), and answers
    /// the moment it holds; WebDriver's script timeout (30 s) bounds the wait.
    fn wait_for(&self, condition: &str) {
        let v = self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": format!("const done = arguments[arguments.length - 1];
                const holds = () => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }};
                if (holds()) {{ done(true); return; }}
                const watch = new MutationObserver(() => {{
                  if (holds()) {{ watch.disconnect(); done(true); }}
                }});
                watch.observe(document, {{subtree: true, childList: true, attributes: true, characterData: true}});"),
                "args": []})),
        );
        assert!(
            v == json!(true),
            "timed out waiting for {condition} ({v}); the page: {}",
            self.js("return document.body.innerText;")
        );
    }

    fn text(&self, css: &str) -> String {
        self.js(&format!(
            "const e = document.querySelector({}); return e ? e.textContent : null;",
            json!(css)
        ))
        .as_str()
        .unwrap_or_else(|| panic!("no element {css}"))
        .to_string()
    }

    /// Browser console messages since the last call.
    fn console(&self) -> Vec<Value> {
        let v = self.call(
            reqwest::Method::POST,
            "/se/log",
            Some(json!({"type": "browser"})),
        );
        v.as_array().cloned().unwrap_or_default()
    }

    /// axe-core's WCAG 2.x A and AA violations on the page as it is now.
    fn axe(&self, source: &str) -> Vec<String> {
        if self.js("return typeof axe;") != json!("object") {
            self.js(&format!("{source}\nreturn true;"));
        }
        let v = self.ok(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": "const done = arguments[arguments.length - 1];
                axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
                  .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' at ' +
                    v.nodes.map(n => n.target.join(' ')).join(', '))))
                  .catch(e => done(['axe failed: ' + e]));", "args": []})),
        );
        v.as_array()
            .expect("violations")
            .iter()
            .map(|x| x.as_str().unwrap_or("?").to_string())
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self._driver.url, self.session))
            .send();
    }
}

#[test]
fn search_page_in_headless_chromium() {
    let (Some(chromium), Some(chromedriver)) = (
        find_program(CHROMIUM, "chromium"),
        find_program(&["/usr/bin/chromedriver"], "chromedriver"),
    ) else {
        eprintln!(
            "skipping the browser test: chromium and chromedriver are not installed \
             (apt-get install chromium chromium-driver; .ci/run does)"
        );
        return;
    };
    let axe_source = match std::env::var_os("CITESEEK_AXE_JS") {
        Some(path) => Some(std::fs::read_to_string(&path).expect("read CITESEEK_AXE_JS")),
        None => {
            eprintln!(
                "skipping the accessibility check: set CITESEEK_AXE_JS to axe-core's axe.min.js \
                 (npm pack axe-core@4; .ci/run does)"
            );
            None
        }
    };
    let env = TestEnv::copied();
    env.write("guide/editor-notes.txt", EDITOR_NOTES);
    let server = Server::start(&env, &[]);
    let b = Browser::start(&chromium, &chromedriver);
    let base = &server.base;
    let mut violations: Vec<String> = Vec::new();
    let mut audit = |b: &Browser, state: &str| {
        if let Some(src) = &axe_source {
            violations.extend(b.axe(src).into_iter().map(|v| format!("{state}: {v}")));
        }
    };

    // Typing: the hot/cold passage first, with its Malanga citation linked.
    b.goto(&format!("{base}/"));
    b.wait_for("document.querySelector('#q')");
    audit(&b, "empty page");
    b.type_into("#q", "heat vs ice");
    b.wait_for("document.querySelectorAll('#results [role=option]').length > 0");
    let first = b.text("#results [role=option]");
    assert!(first.contains("Using Hot and Cold Therapy"), "{first}");
    assert!(first.contains("Malanga et al., 2015"), "{first}");
    let malanga = b.js(
        "const a = document.querySelector('#preview a[href=\"https://doi.org/10.1080/00325481.2015.992719\"]');
         return a ? a.textContent : null;",
    );
    assert_eq!(malanga, json!("Malanga et al., 2015"));
    assert_eq!(b.js("return location.search;"), json!("?q=heat+vs+ice"));
    assert!(b.text("#status").contains("results for “heat vs ice”"));
    // Results grouped by page; the breadcrumb links to the passage's anchor.
    assert_eq!(
        b.js("return document.querySelector('#results [role=group]').getAttribute('aria-label');"),
        json!("A Massive List of Back Spasm Relief")
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('#preview .crumbs a')].map(a => a.href).pop();"),
        json!("https://neuropasil.com/blogs/news/a-massive-list-of-back-spasm-relief#using-hot-and-cold-therapy")
    );
    // The formatted reference on expand.
    b.click("#preview details summary");
    b.wait_for("document.querySelector('#preview details .reference').textContent.includes('Postgraduate Medicine')");
    audit(&b, "results");

    // Arrow keys move through the listbox; Enter opens the highlighted result.
    b.type_into("#q", ARROW_DOWN);
    assert_eq!(
        b.js("return document.querySelector('#q').getAttribute('aria-activedescendant');"),
        json!("hit-0")
    );
    b.type_into("#q", ARROW_DOWN);
    assert_eq!(
        b.js("return [document.querySelector('#q').getAttribute('aria-activedescendant'), document.querySelector('#hit-1').getAttribute('aria-selected'), document.querySelector('#hit-0').getAttribute('aria-selected')];"),
        json!(["hit-1", "true", "false"])
    );
    b.type_into("#q", ARROW_UP);
    assert_eq!(
        b.js("return document.querySelector('#q').getAttribute('aria-activedescendant');"),
        json!("hit-0")
    );
    b.type_into("#q", ENTER);
    b.wait_for("!document.querySelector('#passage-view').hidden && document.querySelector('#passage-view h1')");
    assert_eq!(b.text("#passage-view h1"), "Using Hot and Cold Therapy");
    assert!(b
        .js("return location.search;")
        .as_str()
        .is_some_and(|s| s.starts_with("?passage=back-spasm-relief%23using-hot-and-cold-therapy")));
    audit(&b, "passage view");

    // Reloading /?q=heat+vs+ice restores the search.
    b.goto(&format!("{base}/?q=heat+vs+ice"));
    b.wait_for("document.querySelectorAll('#results [role=option]').length > 0");
    b.refresh();
    b.wait_for("document.querySelectorAll('#results [role=option]').length > 0");
    assert_eq!(
        b.js("return document.querySelector('#q').value;"),
        json!("heat vs ice")
    );
    assert!(b
        .text("#results [role=option]")
        .contains("Using Hot and Cold Therapy"));

    // `/` focuses the box from elsewhere; Esc clears it.
    b.js("document.querySelector('#q').blur(); return true;");
    b.press("/");
    assert_eq!(b.js("return document.activeElement.id;"), json!("q"));
    assert_eq!(
        b.js("return document.querySelector('#q').value;"),
        json!("heat vs ice"),
        "/ is not typed"
    );
    b.type_into("#q", ESCAPE);
    b.wait_for("document.querySelectorAll('#results [role=option]').length === 0");
    assert_eq!(
        b.js("return document.querySelector('#q').value;"),
        json!("")
    );
    assert_eq!(
        b.js("return document.querySelector('#q').getAttribute('aria-expanded');"),
        json!("false")
    );

    // Markup in a passage shows as text and runs nothing.
    b.type_into("#q", "zanzibarite");
    b.wait_for("document.querySelectorAll('#results [role=option]').length > 0");
    assert!(b.text("#hit-0").contains("<img src=x onerror=alert(1)>"));
    assert!(b.text("#preview").contains("<img src=x onerror=alert(1)>"));
    assert_eq!(
        b.js("return document.querySelectorAll('img').length;"),
        json!(0)
    );
    let alert = b.call(reqwest::Method::GET, "/alert/text", None);
    assert_eq!(alert["error"], "no such alert", "an alert opened: {alert}");

    // Highlights land on the right characters after emoji.
    b.type_into("#q", ESCAPE);
    b.type_into("#q", "qizmo stretches");
    b.wait_for("document.querySelector('#hit-0') && document.querySelector('#hit-0').textContent.includes('qizmo')");
    assert_eq!(
        b.js("return [...document.querySelectorAll('#hit-0 mark')].map(m => m.textContent);"),
        json!(["qizmo", "stretches"])
    );

    // A corrected typo is said, with the corrected query as a link.
    b.type_into("#q", ESCAPE);
    b.type_into("#q", "menthl cream");
    b.wait_for("!document.querySelector('#suggestion').hidden");
    assert_eq!(
        b.js("return document.querySelector('#suggestion a[data-suggest]').textContent;"),
        json!("menthol cream")
    );
    assert!(b.text("#hit-0").to_lowercase().contains("menthol"));

    // The guide/reference filter.
    b.type_into("#q", ESCAPE);
    b.click("input[name=kind][value=reference]");
    b.type_into("#q", "cramp");
    b.wait_for("document.querySelectorAll('#results [role=option]').length > 0");
    assert_eq!(
        b.js("return location.search;"),
        json!("?q=cramp&kind=reference")
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('#results .hit')].every(h => h.querySelector('.tag'));"),
        json!(true),
        "only references"
    );

    // The claim checker.
    b.goto(&format!("{base}/?view=cite"));
    b.type_into("#claim", "cold reduces swelling and inflammation");
    b.click("#cite-form button");
    b.wait_for("document.querySelector('#cite-out .reference')");
    assert!(b.text("#cite-out .reference").contains("Malanga"));
    assert!(b
        .js("return location.search;")
        .as_str()
        .is_some_and(|s| s.contains("claim=")));
    audit(&b, "cite view");

    // A reference page with its backlinks.
    b.goto(&format!("{base}/?ref=malanga2015"));
    b.wait_for("document.querySelector('#ref-view h1')");
    assert_eq!(b.text("#ref-view h1"), "Malanga et al., 2015");
    assert!(b
        .text("#ref-view .backlinks")
        .contains("Using Hot and Cold Therapy"));
    audit(&b, "reference page");

    // 320 px wide: nothing wider than the screen.
    b.ok(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({"width": 320, "height": 800})),
    );
    b.goto(&format!("{base}/?q=heat+vs+ice"));
    b.wait_for("document.querySelectorAll('#results [role=option]').length > 0");
    let widths = b.js("return [window.innerWidth, document.documentElement.scrollWidth];");
    let (inner, scroll) = (
        widths[0].as_u64().expect("w"),
        widths[1].as_u64().expect("w"),
    );
    assert!(inner <= 340, "the window is {inner} px wide");
    assert!(
        scroll <= inner,
        "the page is {scroll} px wide in a {inner} px window"
    );
    audit(&b, "320 px");

    // No console errors anywhere on the way.
    let errors: Vec<Value> = b
        .console()
        .into_iter()
        .filter(|m| m["level"] == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    assert!(
        violations.is_empty(),
        "WCAG A/AA violations:\n{}",
        violations.join("\n")
    );

    // The instruments themselves: a broken page is caught by both.
    b.js("document.querySelector('label[for=q]').remove(); console.error('deliberate'); return true;");
    let logged = b.console();
    assert!(
        logged.iter().any(|m| m["level"] == "SEVERE"
            && m["message"]
                .as_str()
                .is_some_and(|t| t.contains("deliberate"))),
        "the console is not being read: {logged:?}"
    );
    if let Some(src) = &axe_source {
        let found = b.axe(src);
        assert!(
            found.iter().any(|v| v.starts_with("label:")),
            "axe did not notice a missing label: {found:?}"
        );
    }
}
