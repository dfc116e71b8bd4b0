//! Waiting on events, never on the clock: the lines a child process prints (its readiness and
//! progress notes), and, for a state nothing announces (a file another process writes, what a
//! server answers), a condition polled until a deadline.

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The lines of a child's output, read on a thread of their own (so the child never blocks on
/// a full pipe) and handed to the test as they come.
pub struct Lines {
    rx: mpsc::Receiver<String>,
}

impl Lines {
    /// Reads `stream` line by line; with `echo`, also shows each line on the test's stderr
    /// behind that prefix (what `cargo test` prints for a failing test).
    pub fn read(stream: impl Read + Send + 'static, echo: Option<&'static str>) -> Lines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Some(prefix) = echo {
                    eprintln!("{prefix} {line}");
                }
                // Keep draining after the test stopped listening.
                let _ = tx.send(line);
            }
        });
        Lines { rx }
    }

    /// The next line within `timeout`; `None` when it did not come (or the stream ended).
    pub fn next(&self, timeout: Duration) -> Option<String> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// Blocks until a line containing `needle` comes, skipping the others, and returns it;
    /// panics when the stream ends or `timeout` passes first.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!("no line with {needle:?} in {timeout:?}"),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the output ended without a line with {needle:?}")
                }
            }
        }
    }
}

/// Polls `condition` every `every` until it holds; panics naming `what` after `timeout`. Only
/// for states that nothing announces: a test that can block on an event does.
pub fn until(timeout: Duration, every: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?}: {what}"
        );
        std::thread::sleep(every);
    }
}
