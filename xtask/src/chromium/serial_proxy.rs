//! An HTTP proxy on 127.0.0.1 that passes the browser's requests on one at a time, each on a
//! connection of its own (`Connection: close`), so the server behind it never sees several new
//! connections at once (why: see chromium.rs). Plain HTTP only, which is all a test page loads;
//! the browser may open as many connections to the proxy as it likes.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How long a request may take upstream before the proxy gives up on it.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(120);

/// A running proxy; dropping it stops it.
pub struct SerialProxy {
    port: u16,
    stopped: Arc<AtomicBool>,
}

impl SerialProxy {
    /// Starts a proxy on a free port of 127.0.0.1.
    pub fn start() -> io::Result<SerialProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let stopped = Arc::new(AtomicBool::new(false));
        let stop = stopped.clone();
        let one_at_a_time = Arc::new(Mutex::new(()));
        thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::Acquire) {
                    return;
                }
                let Ok(client) = client else { continue };
                let one_at_a_time = one_at_a_time.clone();
                thread::spawn(move || {
                    let _ = relay(client, &one_at_a_time);
                });
            }
        });
        Ok(SerialProxy { port, stopped })
    }

    /// The proxy's address, as Chromium's `--proxy-server` takes it.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for SerialProxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::Release);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One request from the browser: passed on to its server while holding `one_at_a_time`, the
/// whole answer read, then written back and the client connection closed.
fn relay(client: TcpStream, one_at_a_time: &Mutex<()>) -> io::Result<()> {
    client.set_read_timeout(Some(UPSTREAM_TIMEOUT))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    let Some(request) = read_request(&mut reader)? else {
        return Ok(());
    };
    let answer = match request.upstream() {
        Some((authority, head)) => {
            let _turn = one_at_a_time.lock().unwrap_or_else(|e| e.into_inner());
            exchange(&authority, &head, &request.body)
                .unwrap_or_else(|e| status(502, &format!("{authority}: {e}")))
        }
        None => status(501, "only absolute http:// requests"),
    };
    client.write_all(&answer)?;
    client.shutdown(Shutdown::Both)
}

/// A request as the browser sent it to the proxy.
struct Request {
    /// `GET http://127.0.0.1:8000/run.js HTTP/1.1`
    line: String,
    headers: Vec<String>,
    body: Vec<u8>,
}

impl Request {
    /// The server's `host:port` and the request head to send it: origin-form target,
    /// `Connection: close`, without the hop-by-hop headers.
    fn upstream(&self) -> Option<(String, String)> {
        let mut words = self.line.split(' ');
        let (method, target, version) = (words.next()?, words.next()?, words.next()?);
        let rest = target.strip_prefix("http://")?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, "/"),
        };
        let authority = if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let mut head = format!("{method} {path} {version}\r\n");
        for header in &self.headers {
            let name = header.split(':').next().unwrap_or("").trim();
            let hop_by_hop = ["connection", "proxy-connection", "keep-alive"]
                .iter()
                .any(|h| name.eq_ignore_ascii_case(h));
            if !hop_by_hop {
                head.push_str(header);
                head.push_str("\r\n");
            }
        }
        head.push_str("Connection: close\r\n\r\n");
        Some((authority, head))
    }
}

/// Reads a request head and its `Content-Length` body; `None` when the browser closed the
/// connection first.
fn read_request(reader: &mut impl BufRead) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            return Ok(None);
        }
        let header = header.trim_end().to_owned();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        headers.push(header);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(Request {
        line: line.trim_end().to_owned(),
        headers,
        body,
    }))
}

/// Sends one request on a new connection and reads the answer to its end (the server closes
/// the connection after it, as asked).
fn exchange(authority: &str, head: &str, body: &[u8]) -> io::Result<Vec<u8>> {
    let mut upstream = TcpStream::connect(authority)?;
    upstream.set_read_timeout(Some(UPSTREAM_TIMEOUT))?;
    upstream.write_all(head.as_bytes())?;
    upstream.write_all(body)?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer)?;
    Ok(answer)
}

/// A short plain-text answer of the proxy itself.
fn status(code: u16, text: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {code} Proxy\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that answers each connection with its own number and counts how many
    /// connections were open at once at most.
    fn counting_server() -> (u16, Arc<Mutex<(usize, usize)>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(Mutex::new((0usize, 0usize)));
        let seen = open.clone();
        thread::spawn(move || {
            for (n, conn) in listener.incoming().enumerate() {
                let mut conn = conn.unwrap();
                let seen = seen.clone();
                thread::spawn(move || {
                    {
                        let mut s = seen.lock().unwrap();
                        s.0 += 1;
                        s.1 = s.1.max(s.0);
                    }
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let request = read_request(&mut reader).unwrap().unwrap();
                    assert!(request.line.starts_with("GET /file"), "{}", request.line);
                    assert!(request.headers.iter().any(|h| h == "Connection: close"));
                    thread::sleep(Duration::from_millis(30));
                    let body = format!("{n} {}", request.line);
                    seen.lock().unwrap().0 -= 1;
                    let _ = write!(
                        conn,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                });
            }
        });
        (port, open)
    }

    fn get(proxy: &SerialProxy, url: &str) -> String {
        let mut conn = TcpStream::connect(proxy.url().trim_start_matches("http://")).unwrap();
        write!(
            conn,
            "GET {url} HTTP/1.1\r\nHost: x\r\nProxy-Connection: keep-alive\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn concurrent_requests_reach_the_server_one_at_a_time() {
        let (port, open) = counting_server();
        let proxy = SerialProxy::start().unwrap();
        let proxy = Arc::new(proxy);
        let answers: Vec<_> = (0..6)
            .map(|i| {
                let proxy = proxy.clone();
                thread::spawn(move || get(&proxy, &format!("http://127.0.0.1:{port}/file{i}")))
            })
            .collect();
        for (i, answer) in answers.into_iter().enumerate() {
            let answer = answer.join().unwrap();
            assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
            assert!(
                answer.ends_with(&format!("GET /file{i} HTTP/1.1")),
                "{answer}"
            );
        }
        assert_eq!(open.lock().unwrap().1, 1, "never two connections at once");
    }

    #[test]
    fn an_unreachable_server_is_a_502_and_a_relative_target_a_501() {
        let proxy = SerialProxy::start().unwrap();
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let answer = get(&proxy, &format!("http://127.0.0.1:{port}/x"));
        assert!(answer.starts_with("HTTP/1.1 502"), "{answer}");
        assert!(get(&proxy, "/x").starts_with("HTTP/1.1 501"));
    }
}
