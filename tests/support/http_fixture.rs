//! A small HTTP server for one test whose answers a closure decides (std threads only): release downloads
//! for the GitHub Action's install step, the GitHub Actions OIDC token endpoint. Every request is recorded.
//! Stops when dropped.

use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::http::{self, ReadError, Response};
use crate::server::Server;

/// Per-connection read and write timeout.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// A request, as the handler sees it.
#[derive(Clone, Debug)]
pub struct Asked {
    /// The method.
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl Asked {
    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(p, _)| p)
    }

    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        let (_, q) = self.target.split_once('?')?;
        q.split('&')
            .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// An answer.
#[derive(Clone, Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Other headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// `200` with `body` as `application/octet-stream`.
    pub fn bytes(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            content_type: "application/octet-stream",
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// `200` with a JSON body.
    pub fn json(body: &serde_json::Value) -> Reply {
        Reply {
            content_type: "application/json",
            ..Reply::bytes(body.to_string())
        }
    }

    /// A status with a short text body.
    pub fn status(status: u16, text: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain",
            headers: Vec::new(),
            body: text.as_bytes().to_vec(),
        }
    }

    /// `302 Found` to `location`.
    pub fn redirect(location: &str) -> Reply {
        Reply {
            headers: vec![("Location".to_owned(), location.to_owned())],
            ..Reply::status(302, "")
        }
    }
}

/// A running server. Stops when dropped.
pub struct HttpFixture {
    addr: String,
    asked: Arc<Mutex<Vec<Asked>>>,
    _server: Server,
}

impl HttpFixture {
    /// Starts a server on 127.0.0.1 with a free port; `handler` answers every request.
    pub fn start(name: &str, handler: impl Fn(&Asked) -> Reply + Send + Sync + 'static) -> HttpFixture {
        let mut server = Server::bind(name);
        let addr = server.addr().to_owned();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&asked);
        server.run(move |mut stream: TcpStream| {
            let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
            let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
            let resp = match http::read_request(&mut stream) {
                Ok(req) => {
                    let a = Asked {
                        method: req.method.clone(),
                        target: req.target.clone(),
                        headers: req.headers.clone(),
                    };
                    log.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(a.clone());
                    let r = handler(&a);
                    Response {
                        status: r.status,
                        content_type: r.content_type,
                        headers: r.headers,
                        body: r.body,
                    }
                }
                Err(ReadError::Io) => return,
                Err(ReadError::Bad(m)) => Response::error(400, m),
            };
            let _ = std::io::Write::write_all(&mut stream, &resp.to_bytes());
            let _ = stream.shutdown(Shutdown::Both);
        });
        HttpFixture {
            addr,
            asked,
            _server: server,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub fn asked(&self) -> Vec<Asked> {
        self.asked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}
