//! The HTTP/1.1 plumbing shared by the test log and the test CA (std only): reading one request from a connection and writing one
//! answer with `Content-Length` and `Connection: close`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;

/// Largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A request.
#[derive(Debug)]
pub(crate) struct Request {
    /// The method, as sent.
    pub(crate) method: String,
    /// The request target (path and query).
    pub(crate) target: String,
    /// The headers, names in lower case, values trimmed.
    pub(crate) headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub(crate) body: Vec<u8>,
}

impl Request {
    /// The path, without the query.
    pub(crate) fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(p, _)| p)
    }

    /// The first value of header `name` (lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first value of query parameter `name`.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        let (_, q) = self.target.split_once('?')?;
        q.split('&')
            .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }
}

/// An answer.
#[derive(Debug)]
pub(crate) struct Response {
    /// The status code.
    pub(crate) status: u16,
    /// `Content-Type`.
    pub(crate) content_type: &'static str,
    /// Other headers.
    pub(crate) headers: Vec<(String, String)>,
    /// The body.
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// A JSON answer.
    pub(crate) fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }

    /// Rekor's error shape: `{"code":N,"message":"..."}`.
    pub(crate) fn error(status: u16, message: impl Into<String>) -> Self {
        Self::json(status, &serde_json::json!({"code": status, "message": message.into()}))
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The bytes on the wire.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

/// Why a request could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The connection failed or closed early: nothing to answer.
    Io,
    /// The request is not valid HTTP (answer 400).
    Bad(String),
}

impl From<std::io::Error> for ReadError {
    fn from(_: std::io::Error) -> Self {
        Self::Io
    }
}

/// Reads one request (answering `Expect: 100-continue`).
pub(crate) fn read_request(stream: &mut TcpStream) -> Result<Request, ReadError> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut lines: Vec<String> = Vec::new();
    let mut total = 0;
    loop {
        let mut line = Vec::new();
        let n = reader
            .by_ref()
            .take((MAX_HEAD + 1) as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Err(ReadError::Io);
        }
        total += n;
        if total > MAX_HEAD {
            return Err(ReadError::Bad("request head too large".into()));
        }
        let line = String::from_utf8(line).map_err(|_| ReadError::Bad("request head is not UTF-8".into()))?;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if lines.is_empty() {
                continue;
            }
            break;
        }
        lines.push(line.to_owned());
    }
    let mut parts = lines[0].split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(ReadError::Bad("bad request line".into()));
    };
    let (method, target) = (method.to_owned(), target.to_owned());
    let headers: Vec<(String, String)> = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = if header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        read_chunked(&mut reader)?
    } else if let Some(len) = header("content-length") {
        let n: usize = len.parse().map_err(|_| ReadError::Bad("bad Content-Length".into()))?;
        if n > MAX_BODY {
            return Err(ReadError::Bad("request body too large".into()));
        }
        let mut body = vec![0; n];
        reader.read_exact(&mut body)?;
        body
    } else {
        Vec::new()
    };
    Ok(Request {
        method,
        target,
        headers,
        body,
    })
}

fn read_chunked(reader: &mut impl std::io::BufRead) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        (&mut *reader).take(1024).read_line(&mut size_line)?;
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or_default().trim(), 16)
            .map_err(|_| ReadError::Bad("bad chunk size".into()))?;
        if size == 0 {
            loop {
                let mut l = String::new();
                if (&mut *reader).take(MAX_HEAD as u64).read_line(&mut l)? == 0 || l.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(ReadError::Bad("request body too large".into()));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Injected",
    }
}
