//! The `citeseek` binary: parse the command line, run it, print the error chain (one line,
//! each error once), exit with 0 (found), 1 (nothing found) or 2 (error); under `--json` an
//! error is also one JSON object on stdout.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use citeseek::app::{self, Outcome};
use citeseek::cli::{self, Cli};
use citeseek::{failure, render};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            if !e.use_stderr() {
                // --help and --version.
                return ExitCode::SUCCESS;
            }
            if cli::wants_json(std::env::args_os()) {
                let command = cli::command_named(std::env::args_os());
                let failure = failure::usage(&e, command.as_deref());
                let _ = render::error_json(&mut io::stdout().lock(), &failure);
            }
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let (json, result) = match cli.resolve() {
        Ok(config) => (
            config.output.json,
            app::run(&config, &mut out).and_then(|o| {
                out.flush()?;
                Ok(o)
            }),
        ),
        // A --model directory that is not one.
        Err(e) => (cli::wants_json(std::env::args_os()), Err(e.into())),
    };
    match result {
        Ok(Outcome::Found) => ExitCode::SUCCESS,
        Ok(Outcome::NothingFound) => ExitCode::from(1),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // One message for people and programs alike: the chain, each error once.
            let failure = failure::describe(&e);
            let _ = render::error_human(&mut io::stderr().lock(), &failure);
            if json {
                // Whatever half-written output is still buffered is dropped: stdout carries
                // exactly one JSON object, the error.
                let (mut stdout, _unwritten) = out.into_parts();
                let _ = render::error_json(&mut stdout, &failure);
                let _ = stdout.flush();
            }
            ExitCode::from(2)
        }
    }
}

/// A closed pipe (`citeseek search x | head -1`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
