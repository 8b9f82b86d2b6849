//! A small HTTP/1.1 client for chromedriver on loopback: one request per connection, every
//! step under one deadline. The response parser is sans-IO ([`parse`]) so that it is tested
//! on bytes; [`request`] is the thin transport over `TcpStream`.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The largest response read, in bytes: a screenshot of a large window in base64 is a few
/// MiB; anything past this is refused rather than buffered.
pub(crate) const MAX_RESPONSE: usize = 64 * 1024 * 1024;

/// A response: its status code and body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

/// What the bytes read so far make of a response.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// More bytes are needed (or, at the end of the stream, `body_to_eof` says how to end).
    Incomplete,
    /// A whole response.
    Done(Response),
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// Parses `buf`, the bytes received so far; `eof` says the peer closed the stream.
///
/// # Errors
///
/// A malformed status line or header block, a bad chunk size, or a stream that ends before
/// the body its headers announce.
pub(crate) fn parse(buf: &[u8], eof: bool) -> io::Result<Parsed> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        if eof {
            return Err(bad(
                "the connection closed before the response headers ended",
            ));
        }
        return Ok(Parsed::Incomplete);
    };
    let head =
        std::str::from_utf8(&buf[..end]).map_err(|_| bad("response headers are not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        return Err(bad(format!("bad status line {status_line:?}")));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(bad(format!("bad status line {status_line:?}")));
    }
    let status: u16 = code
        .parse()
        .map_err(|_| bad(format!("bad status code in {status_line:?}")))?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(bad(format!("bad header line {line:?}")));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse()
                    .map_err(|_| bad(format!("bad Content-Length {value:?}")))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    let body = &buf[end + 4..];
    if chunked {
        return dechunk(body, eof).map(|b| {
            b.map_or(Parsed::Incomplete, |body| {
                Parsed::Done(Response { status, body })
            })
        });
    }
    match length {
        Some(n) if body.len() >= n => Ok(Parsed::Done(Response {
            status,
            body: body[..n].to_vec(),
        })),
        Some(n) if eof => Err(bad(format!(
            "the connection closed after {} of {n} body bytes",
            body.len()
        ))),
        None if eof => Ok(Parsed::Done(Response {
            status,
            body: body.to_vec(),
        })),
        Some(_) | None => Ok(Parsed::Incomplete),
    }
}

/// The body of a chunked message, or `None` while incomplete.
fn dechunk(mut rest: &[u8], eof: bool) -> io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    loop {
        let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") else {
            return if eof {
                Err(bad("truncated chunk size"))
            } else {
                Ok(None)
            };
        };
        let size_text = std::str::from_utf8(&rest[..nl]).map_err(|_| bad("bad chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| bad(format!("bad chunk size {size_text:?}")))?;
        let data = &rest[nl + 2..];
        if size == 0 {
            return Ok(Some(out));
        }
        if data.len() < size + 2 {
            return if eof {
                Err(bad("truncated chunk"))
            } else {
                Ok(None)
            };
        }
        out.extend_from_slice(&data[..size]);
        rest = &data[size + 2..];
    }
}

/// The bytes of a request with an optional JSON body.
pub(crate) fn encode(method: &str, addr: SocketAddr, path: &str, body: Option<&str>) -> Vec<u8> {
    let body = body.unwrap_or("");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if (method != "GET" && method != "DELETE") || !body.is_empty() {
        req.push_str("Content-Type: application/json; charset=utf-8\r\n");
        let _ = write!(req, "Content-Length: {}\r\n", body.len());
    }
    req.push_str("\r\n");
    req.push_str(body);
    req.into_bytes()
}

/// Sends one request to `addr` and reads its response, all within `timeout`.
///
/// # Errors
///
/// Connecting, writing or reading failed, the deadline passed (`TimedOut`), the response was
/// malformed or larger than [`MAX_RESPONSE`].
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    timeout: Duration,
) -> io::Result<Response> {
    let deadline = Instant::now() + timeout;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{method} {path}: no answer within {timeout:?}"),
                )
            })
    };
    let mut stream = TcpStream::connect_timeout(&addr, left()?)?;
    stream.set_write_timeout(Some(left()?))?;
    stream.write_all(&encode(method, addr, path, body))?;
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        stream.set_read_timeout(Some(left()?))?;
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                left()?;
                continue;
            }
            Err(e) => return Err(e),
        };
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_RESPONSE {
            return Err(bad(format!(
                "{method} {path}: response over {MAX_RESPONSE} bytes"
            )));
        }
        if let Parsed::Done(r) = parse(&buf, n == 0)? {
            return Ok(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_bodies_wait_for_every_byte() {
        let full =
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\nhello";
        assert_eq!(parse(&full[..20], false).unwrap(), Parsed::Incomplete);
        assert_eq!(
            parse(&full[..full.len() - 1], false).unwrap(),
            Parsed::Incomplete
        );
        assert_eq!(
            parse(full, false).unwrap(),
            Parsed::Done(Response {
                status: 200,
                body: b"hello".to_vec()
            })
        );
        assert!(parse(&full[..full.len() - 1], true).is_err());
    }

    #[test]
    fn chunked_and_close_delimited_bodies() {
        let chunked = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(
            parse(chunked, false).unwrap(),
            Parsed::Done(Response {
                status: 404,
                body: b"abcde".to_vec()
            })
        );
        assert_eq!(parse(&chunked[..60], false).unwrap(), Parsed::Incomplete);
        let closed = b"HTTP/1.0 200 OK\r\n\r\n{}";
        assert_eq!(parse(closed, false).unwrap(), Parsed::Incomplete);
        assert_eq!(
            parse(closed, true).unwrap(),
            Parsed::Done(Response {
                status: 200,
                body: b"{}".to_vec()
            })
        );
    }

    #[test]
    fn malformed_responses_are_errors() {
        for bad in [
            &b"SMTP 220 hi\r\n\r\n"[..],
            b"HTTP/1.1 abc OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ] {
            assert!(
                parse(bad, true).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(parse(b"HTTP/1.1 200", true).is_err());
    }

    #[test]
    fn requests_carry_their_json_body() {
        let addr: SocketAddr = "127.0.0.1:9515".parse().unwrap();
        let req = String::from_utf8(encode("POST", addr, "/session", Some("{}"))).unwrap();
        assert!(req.starts_with("POST /session HTTP/1.1\r\nHost: 127.0.0.1:9515\r\n"));
        assert!(req.contains("Content-Length: 2\r\n") && req.ends_with("\r\n\r\n{}"));
        let get = String::from_utf8(encode("GET", addr, "/status", None)).unwrap();
        assert!(!get.contains("Content-Length"));
    }
}
