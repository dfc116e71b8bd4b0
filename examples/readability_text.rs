//! Prints the article text that dom_smoothie (Readability's scoring, which `citeseek extract`
//! uses) finds in an HTML file, on its own: the crate's side of
//! `benches/extraction_readability.py --text dom_smoothie=target/release/examples/readability_text`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: readability_text PAGE.html");
        return ExitCode::from(2);
    };
    let html = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            eprintln!("readability_text: cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let article = dom_smoothie::Readability::new(html, None, None).and_then(|mut r| r.parse());
    match article {
        Ok(a) => {
            println!("{}", a.text_content);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("readability_text: {path}: {e}");
            ExitCode::from(1)
        }
    }
}
