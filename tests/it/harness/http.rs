//! The one loopback HTTP/1.1 server of every test: the integration tests (canned replies by
//! path, [`TestServer::routed`]) and the fetch module's unit tests (a handler that writes the
//! response itself and may misbehave, [`TestServer::start`]), which include this file through
//! `src/fetch/testserver.rs`. One thread per connection, request heads recorded and counted;
//! nothing leaves 127.0.0.1. Standard library only, so both crates can build it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Handler: (request index, lower-cased request head, connection).
type Handler = dyn Fn(usize, &str, &mut TcpStream) + Send + Sync + 'static;

/// A route of [`TestServer::routed`]: the lower-cased request head → the reply.
pub type Route = Arc<dyn Fn(&str) -> Reply + Send + Sync>;

/// A route from a closure.
pub fn route(f: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Route {
    Arc::new(f)
}

/// A server on 127.0.0.1; it lives until the test process ends.
pub struct TestServer {
    pub addr: SocketAddr,
    /// Requests received so far.
    pub hits: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    /// A server whose `handler` writes every response itself: (request index, lower-cased
    /// request head, connection).
    pub fn start<F>(handler: F) -> TestServer
    where
        F: Fn(usize, &str, &mut TcpStream) + Send + Sync + 'static,
    {
        TestServer::serve(move |n, head, _path, stream| handler(n, head, stream))
    }

    /// A server of canned replies by request path; other paths get a 404 page.
    pub fn routed(routes: Vec<(&str, Route)>) -> TestServer {
        let routes: HashMap<String, Route> = routes
            .into_iter()
            .map(|(p, r)| (p.to_string(), r))
            .collect();
        TestServer::serve(move |_, head, path, stream| {
            let reply = match routes.get(path) {
                Some(f) => f(head),
                None => Reply::status(404),
            };
            reply.write_to(stream);
        })
    }

    /// Accepts connections, reads and records each request head, and hands it (lower-cased)
    /// with the request path (as sent) to `handler`.
    fn serve<F>(handler: F) -> TestServer
    where
        F: Fn(usize, &str, &str, &mut TcpStream) + Send + Sync + 'static,
    {
        let listener = match TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("bind loopback: {e}"),
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => panic!("local_addr: {e}"),
        };
        let hits = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler = Arc::new(handler);
        let (h2, r2) = (hits.clone(), requests.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut stream) = conn else { continue };
                let (handler, hits, requests) = (handler.clone(), h2.clone(), r2.clone());
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let Some(head) = read_head(&mut stream) else {
                        return;
                    };
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let head = head.to_ascii_lowercase();
                    let n = {
                        // Recorded and counted under one lock: the i-th head is request i.
                        let mut heads = lock(&requests);
                        heads.push(head.clone());
                        hits.fetch_add(1, Ordering::SeqCst)
                    };
                    handler(n, &head, &path, &mut stream);
                    let _ = stream.flush();
                });
            }
        });
        TestServer {
            addr,
            hits,
            requests,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The lower-cased head of the i-th request received (empty when there was none).
    pub fn request(&self, i: usize) -> String {
        lock(&self.requests).get(i).cloned().unwrap_or_default()
    }

    /// The lower-cased heads of the requests received so far.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.requests).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// The request head up to its blank line, as sent; `None` when the connection ends first or
/// sends more than 64 KiB.
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return None,
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// A response head: the status line's `status` ("200 OK"), the headers, `Content-Length` when
/// given, and `Connection: close`.
fn head(status: &str, headers: &[(&str, &str)], length: Option<usize>) -> String {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(n) = length {
        out.push_str(&format!("Content-Length: {n}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    out
}

/// Writes a complete response with `Content-Length` and `Connection: close`.
pub fn respond(s: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let _ = s.write_all(head(status, headers, Some(body.len())).as_bytes());
    let _ = s.write_all(body);
}

/// A loopback port with nothing listening (a connection is refused), free for a child process
/// to listen on.
pub fn free_port() -> u16 {
    let l = match TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    match l.local_addr() {
        Ok(a) => a.port(),
        Err(e) => panic!("local_addr: {e}"),
    }
}

/// A canned response of [`TestServer::routed`].
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body one byte at a time with this pause (a trickling server).
    pub trickle: Option<Duration>,
    /// Send no Content-Length (the body simply ends when the connection closes).
    pub no_length: bool,
}

impl Reply {
    pub fn html(body: &str) -> Reply {
        Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
            trickle: None,
            no_length: false,
        }
    }

    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: format!("<html><body><h1>Error {status}</h1></body></html>").into_bytes(),
            trickle: None,
            no_length: false,
        }
    }

    /// Set a header, replacing one of the same name.
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn with_body(mut self, body: &[u8]) -> Reply {
        self.body = body.to_vec();
        self
    }

    pub fn trickled(mut self, pause: Duration) -> Reply {
        self.trickle = Some(pause);
        self.no_length = true;
        self
    }

    pub fn without_length(mut self) -> Reply {
        self.no_length = true;
        self
    }

    fn write_to(&self, stream: &mut TcpStream) {
        let reason = match self.status {
            200 => "OK",
            301 | 302 => "Found",
            304 => "Not Modified",
            404 => "Not Found",
            _ => "Status",
        };
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let length = (self.status != 304 && !self.no_length).then_some(self.body.len());
        let status = format!("{} {reason}", self.status);
        let _ = stream.write_all(head(&status, &headers, length).as_bytes());
        if self.status == 304 {
            return;
        }
        match self.trickle {
            // The pause is what a trickling server is: the test is of a client that must give
            // up on it.
            Some(pause) => {
                for b in &self.body {
                    if stream
                        .write_all(&[*b])
                        .and_then(|_| stream.flush())
                        .is_err()
                    {
                        return;
                    }
                    std::thread::sleep(pause);
                }
            }
            None => {
                let _ = stream.write_all(&self.body);
            }
        }
    }
}
