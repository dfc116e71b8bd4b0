//! A loopback HTTP/1.1 server for CLI tests: one thread per connection, routes by path, counts
//! requests. Nothing leaves 127.0.0.1.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A canned response.
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
}

type Route = Arc<dyn Fn(&str) -> Reply + Send + Sync>;

/// The server: routes are `path -> handler(request head)`; unknown paths get 404.
pub struct Server {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(routes: Vec<(&str, Route)>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let routes: Arc<HashMap<String, Route>> = Arc::new(
            routes
                .into_iter()
                .map(|(p, r)| (p.to_string(), r))
                .collect(),
        );
        let requests = Arc::new(Mutex::new(Vec::new()));
        let reqs = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let routes = routes.clone();
                let reqs = reqs.clone();
                std::thread::spawn(move || serve(stream, &routes, &reqs));
            }
        });
        Server { addr, requests }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Request heads received so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

pub fn route(f: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Route {
    Arc::new(f)
}

fn serve(mut stream: TcpStream, routes: &HashMap<String, Route>, reqs: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    if let Ok(mut r) = reqs.lock() {
        r.push(head.clone());
    }
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let reply = match routes.get(&path) {
        Some(f) => f(&head),
        None => Reply::status(404),
    };
    let reason = match reply.status {
        200 => "OK",
        301 | 302 => "Found",
        304 => "Not Modified",
        404 => "Not Found",
        _ => "Status",
    };
    let mut out = format!(
        "HTTP/1.1 {} {reason}\r\nConnection: close\r\n",
        reply.status
    );
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if reply.status != 304 && !reply.no_length {
        out.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
    }
    out.push_str("\r\n");
    let _ = stream.write_all(out.as_bytes());
    if reply.status == 304 {
        return;
    }
    match reply.trickle {
        Some(pause) => {
            for b in &reply.body {
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
            let _ = stream.write_all(&reply.body);
        }
    }
    let _ = stream.flush();
}
