//! Test-only loopback HTTP/1.1 server that misbehaves on demand, plus test configuration.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::FetchConfig;

/// Handler: (request index, lower-cased request head, connection).
type Handler = dyn Fn(usize, &str, &mut TcpStream) + Send + Sync + 'static;

/// A server on 127.0.0.1 with one thread per connection; it lives until the test process ends.
pub struct TestServer {
    pub addr: SocketAddr,
    pub hits: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    pub fn start<F>(handler: F) -> TestServer
    where
        F: Fn(usize, &str, &mut TcpStream) + Send + Sync + 'static,
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
        let handler: Arc<Handler> = Arc::new(handler);
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
                    let n = {
                        let mut reqs = match requests.lock() {
                            Ok(r) => r,
                            Err(p) => p.into_inner(),
                        };
                        reqs.push(head.clone());
                        hits.fetch_add(1, Ordering::SeqCst)
                    };
                    handler(n, &head, &mut stream);
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

    /// The lower-cased head of the i-th request received.
    pub fn request(&self, i: usize) -> String {
        let reqs = match self.requests.lock() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        reqs.get(i).cloned().unwrap_or_default()
    }
}

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
    Some(String::from_utf8_lossy(&buf).to_ascii_lowercase())
}

/// Writes a complete response with `Content-Length` and `Connection: close`.
pub fn respond(s: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let _ = s.write_all(out.as_bytes());
    let _ = s.write_all(body);
}

/// A loopback port with nothing listening (connection refused).
pub fn closed_port() -> u16 {
    let l = match TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    match l.local_addr() {
        Ok(a) => a.port(),
        Err(e) => panic!("local_addr: {e}"),
    }
}

/// Production defaults shrunk for tests: short timeouts and waits, no proxy, no progress bar.
pub fn test_config() -> FetchConfig {
    FetchConfig {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        retry_backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_millis(200),
        host_delay: Duration::from_millis(0),
        use_system_proxy: false,
        progress: false,
        ..FetchConfig::default()
    }
}
