//! Integration tests for `cite`, `refs` and `audit`: the real binary against the bundled
//! corpus (read-only) or a temporary copy of it, always with a temporary index directory.

use std::fs;

use predicates::prelude::*;
use serde_json::Value;

use crate::harness::{fixture, repo_corpus, TestEnv};

/// A copy of the bundled corpus with the plain-text guide instead of the HTML one.
fn text_guide() -> TestEnv {
    let env = TestEnv::copied();
    let guide = env.corpus.join("guide");
    fs::remove_dir_all(&guide).expect("remove guide dir");
    env.write(
        "guide/back-spasm-relief.txt",
        fs::read(fixture("back-spasm-relief.txt")).expect("read txt guide"),
    );
    env
}

/// Run subcommand `args[0]` with `--json` and the other args, expecting exit status `code`.
fn json(env: &TestEnv, args: &[&str], code: i32) -> Value {
    let mut all = vec![args[0], "--json"];
    all.extend_from_slice(&args[1..]);
    env.json(&all, code)
}

/// Reference ids returned by `cite CLAIM`, best first ([] when it exits 1).
fn cite_ids(env: &TestEnv, claim: &str, limit: usize) -> Vec<String> {
    let n = limit.to_string();
    let out = env.run(&["cite", "--json", "-n", &n, "--", claim]);
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(1),
        "cite {claim:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("cite JSON");
    let ids: Vec<String> = v["references"]
        .as_array()
        .expect("references array")
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(code == Some(0), !ids.is_empty(), "exit status vs results");
    ids
}

fn checks(mode: &str) -> Vec<Value> {
    let text = fs::read_to_string(fixture("guide-queries.jsonl")).expect("guide-queries.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).expect("query line"))
        .filter(|v| v["mode"] == mode)
        .collect()
}

#[test]
fn every_public_cite_check_passes() {
    let env = TestEnv::bundled();
    let lines = checks("cite");
    assert!(lines.len() >= 4);
    for check in lines {
        let q = check["q"].as_str().expect("q");
        let want = check["ref"].as_str().expect("ref");
        let k = check["k"].as_u64().expect("k") as usize;
        let got = cite_ids(&env, q, k);
        assert!(
            got.iter().take(k).any(|id| id == want),
            "cite {q:?}: expected {want} in the top {k}, got {got:?}"
        );
    }
}

#[test]
fn paraphrased_claims_find_every_reference() {
    let env = TestEnv::bundled();
    let cases = [
        (
            "most low back pain can be traced to a specific pain generator",
            "allegri2016",
        ),
        (
            "imaging often shows disc degeneration in people who have no symptoms",
            "brinjikji2015",
        ),
        (
            "back spasms are sudden involuntary tightening of the back muscles",
            "clevelandclinic2022",
        ),
        (
            "drinking plain water after sweating makes muscle cramps more likely",
            "lau2019",
        ),
        (
            "heat therapy helps tight muscles relax by increasing blood flow",
            "malanga2015",
        ),
        (
            "low back pain is the most common cause of job-related disability",
            "ninds2020",
        ),
        (
            "doctors should try non-drug treatments like heat, massage or acupuncture first",
            "qaseem2017",
        ),
        ("yoga helps ease chronic lower back pain", "aoa-yoga"),
        // Questions and pasted sentences.
        ("which study says electrolytes prevent cramps", "lau2019"),
        ("does yoga help back pain?", "aoa-yoga"),
        (
            "For example, a landmark systematic review found that 36% of 50-year-olds had a disc herniation despite having no pain.",
            "brinjikji2015",
        ),
    ];
    for (claim, want) in cases {
        let got = cite_ids(&env, claim, 3);
        assert_eq!(
            got.first().map(String::as_str),
            Some(want),
            "cite {claim:?}: got {got:?}"
        );
    }
}

#[test]
fn claims_the_guide_does_not_make_find_nothing() {
    let env = TestEnv::bundled();
    for claim in [
        "vitamin C cures the common cold",
        "smartphones cause myopia",
        "coffee improves memory in older adults",
        "eating carrots improves night vision",
        "antibiotics treat viral infections",
        "magnesium supplements cure insomnia",
    ] {
        let got = cite_ids(&env, claim, 3);
        assert!(
            got.is_empty(),
            "cite {claim:?} should find nothing, got {got:?}"
        );
    }
    env.cmd(&["cite", "smartphones cause myopia"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "no reference in the corpus supports this claim",
        ));
}

#[test]
fn cite_json_contract_and_human_output() {
    let env = TestEnv::bundled();
    let v = json(
        &env,
        &["cite", "disc herniation in people without back pain"],
        0,
    );
    assert_eq!(v["claim"], "disc herniation in people without back pain");
    let top = &v["references"][0];
    assert_eq!(top["rank"], 1);
    assert_eq!(top["id"], "brinjikji2015");
    assert!(top["score"].as_f64().is_some_and(|s| s > 0.0));
    assert!(top["citation"]
        .as_str()
        .is_some_and(|c| c.starts_with("Brinjikji, W., Luetmer, P. H.")
            && c.contains("https://doi.org/10.3174/ajnr.A4173")));
    assert_eq!(top["doi"], "10.3174/ajnr.A4173");
    assert!(top["url"].is_string());
    let evidence = top["evidence"].as_array().expect("evidence");
    assert!(evidence.iter().any(|e| e["kind"] == "guide"));
    assert!(evidence.iter().any(|e| e["kind"] == "reference"));
    for e in evidence {
        for field in ["passage_id", "kind", "doc", "text", "snippet"] {
            assert!(e[field].is_string(), "evidence.{field} missing: {e}");
        }
        assert!(e["section"].is_array());
        assert!(e["source"]["path"].is_string());
        assert!(e["source"]["line"].as_u64().is_some_and(|l| l > 0));
    }

    env.cmd(&["cite", "heat increases blood flow"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1. Malanga, G. A., Yan, N., & Stark, J. (2015).",
        ))
        .stdout(predicate::str::contains("back-spasm-relief.html:"))
        .stdout(predicate::str::contains("malanga2015.html:"));
    env.cmd(&["cite", "--style", "vancouver", "heat increases blood flow"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1. Malanga GA, Yan N, Stark J."));
    env.cmd(&["cite", "  "])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the claim is empty"));
    env.cmd(&["cite", "the of and"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no searchable word"));
}

#[test]
fn plain_text_guide_resolves_claims_and_reference_paragraphs() {
    let env = text_guide();
    let got = cite_ids(&env, "36% of 50-year-olds had a disc herniation", 3);
    assert_eq!(
        got.first().map(String::as_str),
        Some("brinjikji2015"),
        "{got:?}"
    );
    // The References section has no links here: its paragraphs link by author and year.
    for id in [
        "allegri2016",
        "brinjikji2015",
        "lau2019",
        "qaseem2017",
        "ninds2020",
    ] {
        let v = json(&env, &["refs", id], 0);
        let backlinks = v["backlinks"].as_array().expect("backlinks");
        assert!(
            backlinks.iter().any(|b| b["references_section"] == true),
            "{id}: no References-section backlink in the text guide: {v}"
        );
    }
}

#[test]
fn refs_lists_references_with_citing_counts() {
    let env = TestEnv::bundled();
    let v = json(&env, &["refs"], 0);
    let refs = v["references"].as_array().expect("references");
    assert_eq!(refs.len(), 8);
    let row = |id: &str| {
        refs.iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"))
            .clone()
    };
    assert_eq!(row("brinjikji2015")["cited_by"], 1);
    assert_eq!(row("brinjikji2015")["label"], "Brinjikji et al., 2015");
    assert_eq!(row("brinjikji2015")["type"], "article-journal");
    assert_eq!(row("brinjikji2015")["year"], 2015);
    assert_eq!(row("malanga2015")["cited_by"], 1);
    assert_eq!(row("ninds2020")["cited_by"], 0);
    assert_eq!(row("ninds2020")["listed"], true);
    assert_eq!(row("aoa-yoga")["listed"], false);
    assert!(v["unlisted"].as_array().expect("unlisted").is_empty());

    env.cmd(&["refs"])
        .assert()
        .success()
        .stdout(predicate::str::contains("brinjikji2015"))
        .stdout(predicate::str::contains("cited by 1 passage"));
}

#[test]
fn refs_id_shows_citation_and_backlinks() {
    let env = TestEnv::bundled();
    let v = json(&env, &["refs", "malanga2015"], 0);
    assert!(v["citation"]
        .as_str()
        .is_some_and(|c| c.starts_with("Malanga, G. A.")));
    let backlinks = v["backlinks"].as_array().expect("backlinks");
    assert_eq!(backlinks.len(), 2, "{v}");
    assert!(backlinks.iter().any(|b| b["section"]
        .as_array()
        .is_some_and(|s| s.iter().any(|h| h == "Using Hot and Cold Therapy"))));
    assert!(backlinks
        .iter()
        .all(|b| b["source"]["line"].as_u64().is_some()));

    env.cmd(&["refs", "malanga2015"])
        .assert()
        .success()
        .stdout(predicate::str::contains("back-spasm-relief.html:61"))
        .stdout(predicate::str::contains("Using Hot and Cold Therapy"));
    env.cmd(&["refs", "nosuch2020"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nosuch2020"))
        .stderr(predicate::str::contains("citeseek refs"));
    env.cmd(&["refs", "lau2019", "malanga2015"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--format"));
}

#[test]
fn refs_export_round_trips_and_formats() {
    let env = TestEnv::bundled();
    let out = env
        .cmd(&["refs", "--format", "csl-json"])
        .assert()
        .success();
    let exported: Value = serde_json::from_slice(&out.get_output().stdout).expect("CSL-JSON");
    let original: Value = serde_json::from_str(
        &fs::read_to_string(repo_corpus().join("references.json")).expect("references.json"),
    )
    .expect("references.json parses");
    assert_eq!(exported, original);

    let out = env
        .cmd(&["refs", "--format", "csl-json", "lau2019", "qaseem2017"])
        .assert()
        .success();
    let some: Value = serde_json::from_slice(&out.get_output().stdout).expect("CSL-JSON");
    assert_eq!(some.as_array().map(Vec::len), Some(2));
    assert_eq!(some[0]["id"], "lau2019");

    env.cmd(&["refs", "--format", "bibtex", "brinjikji2015"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("@article{brinjikji2015,"));
    env.cmd(&["refs", "--format", "ris", "malanga2015"])
        .assert()
        .success()
        .stdout(predicate::str::contains("TY  - JOUR"));
    env.cmd(&["refs", "--format", "ris", "nosuch"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nosuch"));
}

#[test]
fn audit_reports_uncited_claims_and_unused_references() {
    let env = TestEnv::bundled();
    let v = json(&env, &["audit"], 1);
    assert_eq!(v["clean"], false);
    let uncited = v["uncited_claims"].as_array().expect("uncited_claims");
    let eighty = uncited
        .iter()
        .find(|u| {
            u["sentence"]
                .as_str()
                .is_some_and(|s| s.contains("80% of Americans"))
        })
        .expect("the 80% sentence is an uncited claim");
    assert_eq!(
        eighty["section"][0],
        "Why Back Spasm Relief Matters More Than You Think"
    );
    assert!(eighty["source"]["line"].as_u64().is_some());
    // Cited sentences are not reported.
    assert!(!uncited.iter().any(|u| u["sentence"]
        .as_str()
        .is_some_and(|s| s.contains("36% of 50-year-olds"))));
    let unused: Vec<&str> = v["unused_references"]
        .as_array()
        .expect("unused")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(unused, ["allegri2016", "ninds2020", "qaseem2017"]);
    assert!(v["unlisted_sources"]
        .as_array()
        .expect("unlisted")
        .is_empty());
    assert!(v["dangling_links"].as_array().expect("dangling").is_empty());

    env.cmd(&["audit"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Uncited claims"))
        .stdout(predicate::str::contains("80% of Americans"));
}

/// Every sentence audit flags on the bundled guide has a verdict in the fixture, and audit flags
/// exactly the ones judged to be claims: precision and recall over the judged sentences are 1.
#[test]
fn audit_flags_exactly_the_sentences_judged_claims() {
    let verdicts = fs::read_to_string(fixture("audit-verdicts.tsv")).expect("verdicts");
    let mut claims = Vec::new();
    let mut not_claims = Vec::new();
    for line in verdicts
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut cols = line.splitn(3, '\t');
        let (at, verdict, sentence) = (cols.next(), cols.next(), cols.next());
        let at: u64 = at.and_then(|a| a.parse().ok()).expect("line number");
        let row = (at, sentence.expect("sentence").to_string());
        match verdict {
            Some("claim") => claims.push(row),
            Some("not-claim") => not_claims.push(row),
            other => panic!("unknown verdict {other:?} in {line}"),
        }
    }
    assert!(claims.len() >= 20 && !not_claims.is_empty());
    let env = TestEnv::bundled();
    let v = json(&env, &["audit"], 1);
    let flagged: Vec<(u64, String)> = v["uncited_claims"]
        .as_array()
        .expect("uncited_claims")
        .iter()
        .map(|u| {
            (
                u["source"]["line"].as_u64().expect("line"),
                u["sentence"].as_str().expect("sentence").to_string(),
            )
        })
        .collect();
    for f in &flagged {
        assert!(
            claims.contains(f) || not_claims.contains(f),
            "audit flags a sentence with no verdict in tests/fixtures/audit-verdicts.tsv: {f:?}"
        );
        assert!(!not_claims.contains(f), "audit flags a non-claim: {f:?}");
    }
    for c in &claims {
        assert!(flagged.contains(c), "audit no longer flags a claim: {c:?}");
    }
}

#[test]
fn bibtex_export_parses_and_web_pages_are_misc() {
    let env = TestEnv::bundled();
    let out = env.cmd(&["refs", "--format", "bibtex"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).expect("utf-8");
    let bib = biblatex::Bibliography::parse(&text).expect("BibTeX parses");
    assert_eq!(bib.len(), 8);
    for id in ["clevelandclinic2022", "ninds2020", "aoa-yoga"] {
        let entry = bib.get(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(entry.entry_type.to_string(), "misc", "{id}");
        let howpublished = entry
            .fields
            .get("howpublished")
            .map(|chunks| biblatex::ChunksExt::format_verbatim(chunks.as_slice()))
            .unwrap_or_default();
        assert!(howpublished.contains("https://"), "{id}: {howpublished:?}");
        assert!(!text.contains("@online"), "{text}");
    }
    let lau = bib.get("lau2019").expect("lau2019");
    assert_eq!(lau.entry_type.to_string(), "article");
}

/// Real BibTeX with the classic `plain` style reads the export without a warning (where Debian's
/// texlive-binaries and texlive-base are installed, as `.ci/run` does; skipped elsewhere).
#[test]
fn bibtex_with_the_plain_style_reads_the_export_without_warnings() {
    let found = std::process::Command::new("kpsewhich")
        .arg("plain.bst")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipped: no bibtex/plain.bst (apt-get install texlive-binaries texlive-base)");
        return;
    }
    let env = TestEnv::bundled();
    let out = env.cmd(&["refs", "--format", "bibtex"]).assert().success();
    fs::write(env.dir.path().join("refs.bib"), &out.get_output().stdout).expect("write");
    fs::write(
        env.dir.path().join("t.aux"),
        "\\relax\n\\citation{*}\n\\bibstyle{plain}\n\\bibdata{refs}\n",
    )
    .expect("write");
    let run = std::process::Command::new("bibtex")
        .arg("t")
        .current_dir(env.dir.path())
        .output()
        .expect("run bibtex");
    let log = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{log}");
    assert!(!log.contains("Warning--"), "{log}");
    let bbl = fs::read_to_string(env.dir.path().join("t.bbl")).expect("t.bbl");
    assert_eq!(bbl.matches("\\bibitem{").count(), 8, "{bbl}");
    assert!(
        bbl.contains("\\url{https://my.clevelandclinic.org/health/diseases/22881-back-spasms}"),
        "{bbl}"
    );
}

#[test]
fn audit_finds_unlisted_sources_and_dangling_links() {
    let env = TestEnv::copied();
    // Drop aoa-yoga from references.json and lau2019's snapshot.
    let path = env.corpus.join("references.json");
    let mut records: Vec<Value> =
        serde_json::from_str(&fs::read_to_string(&path).expect("read")).expect("parse");
    records.retain(|r| r["id"] != "aoa-yoga");
    fs::write(&path, serde_json::to_string_pretty(&records).expect("json")).expect("write");
    fs::remove_file(env.corpus.join("references/lau2019.html")).expect("remove snapshot");

    let v = json(&env, &["audit"], 1);
    let unlisted = v["unlisted_sources"].as_array().expect("unlisted");
    assert_eq!(unlisted.len(), 1, "{v}");
    assert!(unlisted[0]["url"]
        .as_str()
        .is_some_and(|u| u.contains("osteopathic.org")));
    assert_eq!(
        unlisted[0]["texts"][0],
        "Research from the American Osteopathic Association"
    );
    let dangling: Vec<&str> = v["dangling_links"]
        .as_array()
        .expect("dangling")
        .iter()
        .filter_map(|d| d["id"].as_str())
        .collect();
    assert_eq!(dangling, ["lau2019"]);

    let refs = json(&env, &["refs"], 0);
    assert_eq!(refs["references"].as_array().map(Vec::len), Some(7));
    assert_eq!(refs["unlisted"].as_array().map(Vec::len), Some(1));
    env.cmd(&["refs"])
        .assert()
        .success()
        .stdout(predicate::str::contains("unlisted"))
        .stdout(predicate::str::contains("osteopathic.org"));
}

#[test]
fn audit_of_a_clean_guide_exits_zero() {
    let env = TestEnv::copied();
    let guide = env.corpus.join("guide");
    fs::remove_dir_all(&guide).expect("remove guide dir");
    fs::create_dir_all(&guide).expect("guide dir");
    let refs_path = env.corpus.join("references.json");
    let mut records: Vec<Value> =
        serde_json::from_str(&fs::read_to_string(&refs_path).expect("read")).expect("parse");
    records.retain(|r| r["id"] == "malanga2015");
    fs::write(&refs_path, serde_json::to_string(&records).expect("json")).expect("write");
    fs::write(
        guide.join("clean.md"),
        "# Heat\n\nHeat increases blood flow, as Malanga et al. (2015) explain.\n\nWrap up warm and rest.\n",
    )
    .expect("write guide");
    let v = json(&env, &["audit"], 0);
    assert_eq!(v["clean"], true, "{v}");
}
