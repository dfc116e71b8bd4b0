//! Deterministic generated guide pages, for tests and the incremental benchmark.

use std::fs;
use std::io;
use std::path::Path;

const WORDS: &[&str] = &[
    "muscle",
    "spasm",
    "stretch",
    "heat",
    "ice",
    "posture",
    "lumbar",
    "spine",
    "nerve",
    "inflammation",
    "massage",
    "therapy",
    "exercise",
    "rest",
    "pain",
    "relief",
    "disc",
    "hamstring",
    "core",
    "yoga",
    "walking",
    "sleep",
    "mattress",
    "lifting",
    "injury",
    "physician",
    "ibuprofen",
    "acetaminophen",
    "cream",
    "menthol",
    "swelling",
    "stiffness",
    "mobility",
    "strength",
    "balance",
    "hydration",
    "magnesium",
    "potassium",
    "cramp",
    "tension",
    "recovery",
    "session",
    "week",
    "daily",
    "gentle",
    "severe",
    "chronic",
    "acute",
    "patients",
    "study",
    "trial",
    "evidence",
    "symptoms",
    "treatment",
    "doctor",
    "hospital",
];

/// A small deterministic pseudo-random generator (64-bit LCG).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A sentence of `len` words drawn from `words`.
pub fn sentence(rng: &mut Rng, words: &[&str], len: usize) -> String {
    let mut s: Vec<&str> = (0..len).map(|_| words[rng.below(words.len())]).collect();
    s.push("");
    let mut text = s.join(" ").trim_end().to_string();
    text.push('.');
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => text,
    }
}

/// One Markdown guide page: a title, three sections of two paragraphs.
pub fn page(rng: &mut Rng, n: usize, sentences: &[String]) -> String {
    let mut md = format!("# Guide page {n}\n\n");
    for s in 0..3 {
        md.push_str(&format!("## Section {s} of page {n}\n\n"));
        for _ in 0..2 {
            let mut para = Vec::new();
            for _ in 0..3 {
                if sentences.is_empty() {
                    let len = 8 + rng.below(10);
                    para.push(sentence(rng, WORDS, len));
                } else {
                    para.push(sentences[rng.below(sentences.len())].clone());
                }
            }
            md.push_str(&para.join(" "));
            md.push_str("\n\n");
        }
    }
    md
}

/// Write `count` pages `page-00000.md`… into `guide_dir`, from a fixed seed. With
/// `sentences` empty, words come from a built-in list.
pub fn write_pages(
    guide_dir: &Path,
    count: usize,
    seed: u64,
    sentences: &[String],
) -> io::Result<()> {
    fs::create_dir_all(guide_dir)?;
    let mut rng = Rng::new(seed);
    for n in 0..count {
        fs::write(
            guide_dir.join(format!("page-{n:05}.md")),
            page(&mut rng, n, sentences),
        )?;
    }
    Ok(())
}
