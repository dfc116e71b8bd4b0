//! A `citeseek serve` process on a free loopback port, for the API and browser tests: started
//! on a test environment's corpus and index, stopped when dropped.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::wait::Lines;
use super::TestEnv;

pub struct Server {
    child: Child,
    /// What the server prints on stderr after the line saying where it listens (its update
    /// lines and notes), each also shown behind `[serve]`.
    pub notes: Lines,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub base: String,
    pub http: reqwest::blocking::Client,
}

/// A response: status, headers and body.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Server {
    /// `citeseek serve --addr 127.0.0.1:0 [extra…]`, once it says where it listens.
    pub fn start(env: &TestEnv, extra: &[&str]) -> Server {
        Server::start_with(env, extra, &[])
    }

    /// [`Server::start`] with environment variables set for the server.
    pub fn start_with(env: &TestEnv, extra: &[&str], vars: &[(&str, &std::path::Path)]) -> Server {
        let mut args = vec!["serve", "--addr", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut process = env.process(&args);
        for (name, value) in vars {
            process.env(name, value);
        }
        let mut child = process
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start citeseek serve");
        let notes = Lines::read(child.stderr.take().expect("stderr"), Some("[serve]"));
        let deadline = Instant::now() + Duration::from_secs(120);
        let base = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(line) = notes.next(left) else {
                let _ = child.kill();
                panic!("citeseek serve did not start listening");
            };
            if let Some(at) = line.find(" on http://") {
                let url = line[at + 4..].split_whitespace().next().unwrap_or("");
                break url.trim_end_matches('/').to_string();
            }
        };
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Server {
            child,
            notes,
            base,
            http,
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(format!("{}{path}", self.base)))
    }

    pub fn send(&self, req: reqwest::blocking::RequestBuilder) -> Reply {
        let resp = req.send().expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().expect("body");
        Reply {
            status,
            headers,
            body,
        }
    }

    /// GET, asserting the status, as JSON.
    pub fn json(&self, path: &str, status: u16) -> Value {
        let r = self.get(path);
        assert_eq!(r.status, status, "GET {path}: {}", r.body);
        r.json()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
