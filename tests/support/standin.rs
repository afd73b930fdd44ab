//! Flexpa's API on 127.0.0.1 for the server tests and the fault suite: the offline sandbox
//! (`flexpa-sandbox`, the one the demo serves) behind a fault layer.
//!
//! The fault layer is a hand-rolled HTTP/1.1 front on a tokio `TcpListener`, so that a test
//! controls every byte: a reply can be the sandbox's answer, a scripted response, a body cut
//! short, a connection reset mid-body, a slow trickle, an endless stream, or nothing at all.
//! Every request is recorded (method, path, query, headers, body, and which connection carried
//! it) for exact assertions.
//!
//! Three ways to answer:
//! - [`Standin::faithful`]: every request goes to the [`Sandbox`] ([`Reply::Sandbox`]);
//! - [`Standin::scripted`]: a closure picks the [`Reply`] for each request (a scripted body or
//!   status, a fault, or the sandbox's answer when given one with [`Standin::in_front_of`]);
//! - [`Standin::chaos`]: the sandbox behind a seeded fault injector ([`Chaos`]): delays past the
//!   client's timeout, resets, 5xx, 429 storms, truncated and oversized bodies.
//!
//! Use it from a test file with `#[path = "support/standin.rs"] mod standin;`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::ConnectInfo;
use axum::http::header;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
pub use flexpa_sandbox::{data, Sandbox, SandboxConfig, SignIn, Usage};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tower::ServiceExt as _;

pub const SECRET_KEY: &str = "sk_test_Zr9QmXc7TBSecretKeyValue42";
pub const PUBLISHABLE_KEY: &str = "pk_test_4YhpxYOsBMHp1FWhX2v0Amj7";
/// The largest request the stand-in reads (requests to Flexpa are tiny).
const MAX_REQUEST: usize = 64 * 1024;

/// The sandbox with the test keys, no syncing window and no rate limit (the tests of those
/// script their own 429s).
pub fn sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        publishable_key: PUBLISHABLE_KEY.into(),
        secret_key: SECRET_KEY.into(),
        sync_window: Duration::ZERO,
        rate_limit: None,
        ..SandboxConfig::random()
    })
}

/// The sample plan the tests link: Evergreen Health (refreshable, with refresh tokens that never
/// expire for MULTIPLE usage).
pub const REFRESHABLE_PLAN: &str = "evergreen-health-sandbox";

/// What Link hands the browser after the sample member of `plan` signs in: a fresh,
/// single-use public token.
pub fn mint_public_token(sandbox: &Sandbox, plan: &str, usage: Usage, external_id: &str) -> String {
    let plan = data::plan(plan).expect("a sample plan");
    sandbox
        .sign_in(&SignIn {
            publishable_key: sandbox.publishable_key(),
            endpoint: plan.name,
            username: plan.username,
            password: plan.password,
            external_id: Some(external_id.to_owned()),
            usage,
        })
        .expect("the sample member signs in")
}

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Which connection carried it (0, 1, ... in accept order).
    pub connection: usize,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header_count(&self, name: &str) -> usize {
        let name = name.to_ascii_lowercase();
        self.headers.iter().filter(|(k, _)| *k == name).count()
    }

    pub fn body_str(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("<non-utf8>")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The form body as ordered pairs.
    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }

    pub fn form_value(&self, key: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The token of an `Authorization: Bearer ...` header.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization")?.strip_prefix("Bearer ")
    }

    /// The decoded `user:password` of an `Authorization: Basic ...` header.
    pub fn basic(&self) -> Option<(String, String)> {
        let b64 = self.header("authorization")?.strip_prefix("Basic ")?;
        let raw = String::from_utf8(STANDARD.decode(b64).ok()?).ok()?;
        let (u, p) = raw.split_once(':')?;
        Some((u.to_owned(), p.to_owned()))
    }
}

/// What a patient does on the sandbox's consent page at `authorization_url`: signs in as the
/// sample member of `plan` and consents. Returns the page's answer (the redirect to the app,
/// not followed).
pub async fn consent(authorization_url: &str, plan: &str) -> reqwest::Response {
    let plan = data::plan(plan).expect("a sample plan");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser.get(authorization_url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200, "the consent page shows");
    let html = page.text().await.unwrap();
    // The page's hidden `request` field names the pending authorization request.
    let field = r#"name="request" value=""#;
    let start = html.find(field).expect("a consent form") + field.len();
    let request = html[start..].split('"').next().unwrap();
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("request", request)
        .append_pair("action", "sign_in")
        .append_pair("endpoint", plan.name)
        .append_pair("username", plan.username)
        .append_pair("password", plan.password)
        .finish();
    let action = authorization_url.split('?').next().unwrap();
    browser
        .post(action)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap()
}

/// What the stand-in does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// The sandbox's own answer, after `delay` (complete, `Content-Length` set).
    Sandbox { delay: Duration },
    /// A complete response (`Content-Length` set), after `delay`.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        delay: Duration,
    },
    /// Announces `declared` bytes, sends `body` (fewer), then closes.
    ShortBody {
        status: u16,
        declared: usize,
        body: Vec<u8>,
    },
    /// No `Content-Length`, `Connection: close`: the body ends when the connection does.
    CloseDelimited { status: u16, body: Vec<u8> },
    /// Sends `prefix` (possibly a partial response), then resets the connection (RST).
    Reset { prefix: Vec<u8> },
    /// Closes the connection without answering.
    Close,
    /// Sends the head at once, then the body one chunk every `interval`.
    Trickle {
        status: u16,
        body: Vec<u8>,
        chunk: usize,
        interval: Duration,
    },
    /// A chunked body of `chunks` x `chunk_size` bytes, as fast as the client reads it.
    Stream {
        status: u16,
        chunk_size: usize,
        chunks: usize,
    },
    /// Announces a large `Content-Length`, then sends nothing and holds the connection.
    AnnounceAndHold { status: u16, declared: usize },
    /// A complete response (keep-alive, no `Connection: close`), then the connection is
    /// closed, as a server whose idle timeout is shorter than the client's pool's.
    FullThenClose { status: u16, body: Vec<u8> },
}

impl Reply {
    /// The sandbox's answer, at once.
    pub fn sandbox() -> Self {
        Self::Sandbox {
            delay: Duration::ZERO,
        }
    }

    pub fn json(status: u16, body: &Value) -> Self {
        Self::raw(status, "application/json; charset=utf-8", body.to_string())
    }

    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::Full {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// Flexpa's error body.
    pub fn flexpa_error(status: u16, message: &str) -> Self {
        Self::json(
            status,
            &json!({"statusCode": status, "error": reason(status), "message": message}),
        )
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Self::Full { headers, .. } = &mut self {
            headers.push((name.to_ascii_lowercase(), value.to_owned()));
        }
        self
    }

    pub fn delayed(mut self, by: Duration) -> Self {
        if let Self::Full { delay, .. } | Self::Sandbox { delay } = &mut self {
            *delay = by;
        }
        self
    }
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

/// Where the requests go: the handler, and the sandbox behind it.
#[derive(Clone)]
struct Upstream {
    handler: Handler,
    sandbox: Option<Router>,
}

/// A running stand-in; it stops when dropped.
pub struct Standin {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    connections: Arc<AtomicUsize>,
    bytes_written: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl Drop for Standin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Standin {
    /// Answers each request with `handler(request)`.
    pub async fn scripted(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Self::start(Upstream {
            handler: Arc::new(handler),
            sandbox: None,
        })
        .await
    }

    /// Answers each request with `handler(request)`, where [`Reply::Sandbox`] is `sandbox`'s
    /// answer.
    pub async fn in_front_of(
        sandbox: &Sandbox,
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::start(Upstream {
            handler: Arc::new(handler),
            sandbox: Some(sandbox.router()),
        })
        .await
    }

    /// Answers every request with the same reply.
    pub async fn always(reply: Reply) -> Self {
        Self::scripted(move |_| reply.clone()).await
    }

    /// Answers with `replies[i]` for the i-th request (the last one repeats).
    pub async fn sequence(replies: Vec<Reply>) -> Self {
        let n = AtomicUsize::new(0);
        Self::scripted(move |_| {
            let i = n.fetch_add(1, Ordering::SeqCst);
            replies[i.min(replies.len() - 1)].clone()
        })
        .await
    }

    /// The sandbox, every request recorded on the way.
    pub async fn faithful(sandbox: &Sandbox) -> Self {
        Self::in_front_of(sandbox, |_| Reply::sandbox()).await
    }

    /// The sandbox behind a seeded fault injector.
    pub async fn chaos(sandbox: &Sandbox, chaos: Arc<Chaos>) -> Self {
        Self::in_front_of(sandbox, move |r| chaos.pick(r)).await
    }

    async fn start(upstream: Upstream) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let bytes_written = Arc::new(AtomicU64::new(0));
        let task = {
            let (requests, connections, bytes_written) =
                (requests.clone(), connections.clone(), bytes_written.clone());
            tokio::spawn(async move {
                let mut conns = tokio::task::JoinSet::new();
                loop {
                    let Ok((stream, peer)) = listener.accept().await else {
                        continue;
                    };
                    let id = connections.fetch_add(1, Ordering::SeqCst);
                    let (upstream, requests, bytes_written) =
                        (upstream.clone(), requests.clone(), bytes_written.clone());
                    conns.spawn(async move {
                        let _ = serve(stream, peer, id, upstream, requests, bytes_written).await;
                    });
                    while conns.try_join_next().is_some() {}
                }
            })
        };
        Self {
            addr,
            requests,
            connections,
            bytes_written,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Body bytes the stand-in managed to write (for the oversized-body tests).
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written.load(Ordering::SeqCst)
    }
}

/// Reads one request head + body; `None` on a clean close or garbage.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let len = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if len > MAX_REQUEST {
                return None;
            }
            let total = end + 4 + len;
            while buf.len() < total {
                let mut chunk = [0u8; 8192];
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = buf[end + 4..total].to_vec();
            buf.drain(..total);
            return Some((head, body));
        }
        if buf.len() > MAX_REQUEST {
            return None;
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_head(head: &str, body: Vec<u8>, connection: usize) -> Option<Recorded> {
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (target, None),
    };
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Recorded {
        method,
        path,
        query,
        headers,
        body,
        connection,
    })
}

fn head(status: u16, headers: &[(String, String)], len: Option<usize>, close: bool) -> Vec<u8> {
    let mut h = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(len) = len {
        h.push_str(&format!("content-length: {len}\r\n"));
    }
    if close {
        h.push_str("connection: close\r\n");
    }
    h.push_str("\r\n");
    h.into_bytes()
}

/// The sandbox's answer to `request` as a complete [`Reply::Full`] (its framing headers
/// dropped: the fault layer writes its own). A request the sandbox's HTTP types cannot carry
/// gets a 400, as Flexpa's front would answer it.
async fn ask_sandbox(
    sandbox: Option<&Router>,
    request: &Recorded,
    peer: SocketAddr,
    delay: Duration,
) -> Reply {
    let Some(sandbox) = sandbox else {
        panic!("Reply::Sandbox from a stand-in without a sandbox (use Standin::in_front_of)");
    };
    let target = match &request.query {
        Some(query) => format!("{}?{query}", request.path),
        None => request.path.clone(),
    };
    let mut builder = axum::http::Request::builder()
        .method(request.method.as_str())
        .uri(target);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let Ok(mut http) = builder.body(Body::from(request.body.clone())) else {
        return Reply::flexpa_error(400, "Bad Request");
    };
    // The rate limit is kept by client address, as `Sandbox::serve` gives it.
    http.extensions_mut().insert(ConnectInfo(peer));
    let response = match sandbox.clone().oneshot(http).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .filter(|(name, _)| {
            ![
                header::CONTENT_LENGTH,
                header::TRANSFER_ENCODING,
                header::CONNECTION,
            ]
            .contains(name)
        })
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    Reply::Full {
        status: parts.status.as_u16(),
        headers,
        body: body.to_vec(),
        delay,
    }
}

async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    id: usize,
    upstream: Upstream,
    requests: Arc<Mutex<Vec<Recorded>>>,
    written: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    while let Some((head_text, body)) = read_request(&mut stream, &mut buf).await {
        let Some(request) = parse_head(&head_text, body, id) else {
            return Ok(());
        };
        requests.lock().unwrap().push(request.clone());
        let mut reply = (upstream.handler)(&request);
        if let Reply::Sandbox { delay } = reply {
            reply = ask_sandbox(upstream.sandbox.as_ref(), &request, peer, delay).await;
        }
        match reply {
            Reply::Sandbox { .. } => unreachable!("answered by the sandbox above"),
            Reply::Full {
                status,
                headers,
                body,
                delay,
            } => {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let mut out = head(status, &headers, Some(body.len()), false);
                out.extend_from_slice(&body);
                stream.write_all(&out).await?;
                written.fetch_add(body.len() as u64, Ordering::SeqCst);
            }
            Reply::ShortBody {
                status,
                declared,
                body,
            } => {
                let json = [("content-type".to_owned(), "application/json".to_owned())];
                let mut out = head(status, &json, Some(declared), false);
                out.extend_from_slice(&body);
                stream.write_all(&out).await?;
                stream.shutdown().await?;
                return Ok(());
            }
            Reply::CloseDelimited { status, body } => {
                let json = [("content-type".to_owned(), "application/json".to_owned())];
                let mut out = head(status, &json, None, true);
                out.extend_from_slice(&body);
                stream.write_all(&out).await?;
                stream.shutdown().await?;
                return Ok(());
            }
            Reply::Reset { prefix } => {
                if !prefix.is_empty() {
                    stream.write_all(&prefix).await?;
                    stream.flush().await?;
                    // Let the prefix reach the client before the RST discards it.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                stream.set_zero_linger()?;
                drop(stream);
                return Ok(());
            }
            Reply::Close => return Ok(()),
            Reply::Trickle {
                status,
                body,
                chunk,
                interval,
            } => {
                let json = [("content-type".to_owned(), "application/json".to_owned())];
                stream
                    .write_all(&head(status, &json, Some(body.len()), false))
                    .await?;
                for part in body.chunks(chunk.max(1)) {
                    tokio::time::sleep(interval).await;
                    stream.write_all(part).await?;
                    written.fetch_add(part.len() as u64, Ordering::SeqCst);
                }
            }
            Reply::Stream {
                status,
                chunk_size,
                chunks,
            } => {
                let headers = [
                    ("content-type".to_owned(), "application/json".to_owned()),
                    ("transfer-encoding".to_owned(), "chunked".to_owned()),
                ];
                stream
                    .write_all(&head(status, &headers, None, false))
                    .await?;
                let mut data = vec![b' '; chunk_size];
                data[0] = b'[';
                let frame = {
                    let mut f = format!("{chunk_size:x}\r\n").into_bytes();
                    f.extend_from_slice(&data);
                    f.extend_from_slice(b"\r\n");
                    f
                };
                for _ in 0..chunks {
                    stream.write_all(&frame).await?;
                    written.fetch_add(chunk_size as u64, Ordering::SeqCst);
                }
                stream.write_all(b"0\r\n\r\n").await?;
            }
            Reply::FullThenClose { status, body } => {
                let json = [("content-type".to_owned(), "application/json".to_owned())];
                let mut out = head(status, &json, Some(body.len()), false);
                out.extend_from_slice(&body);
                stream.write_all(&out).await?;
                written.fetch_add(body.len() as u64, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
                return Ok(());
            }
            Reply::AnnounceAndHold { status, declared } => {
                let json = [("content-type".to_owned(), "application/json".to_owned())];
                stream
                    .write_all(&head(status, &json, Some(declared), false))
                    .await?;
                // Hold the connection until the client gives up (bounded).
                let mut sink = [0u8; 1024];
                let _ = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut sink)).await;
                return Ok(());
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Chaos.

/// A seeded fault injector. Each request draws from a deterministic stream (SplitMix64 over the
/// seed and the request's sequence number): with the given per-mille odds it gets a fault
/// instead of the faithful answer.
pub struct Chaos {
    seed: u64,
    n: AtomicU64,
    /// Per-mille odds of each fault, in this order.
    pub delay_past_timeout: u32,
    pub reset: u32,
    pub server_error: u32,
    pub rate_limit_storm: u32,
    pub truncated: u32,
    pub oversized: u32,
    pub garbage: u32,
    /// How long a "slow" reply waits (set it above the client's timeout).
    pub slow: Duration,
    /// Counts of injected faults, by kind.
    pub injected: Mutex<HashMap<&'static str, u64>>,
    storm_until: AtomicU64,
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Chaos {
    pub fn new(seed: u64, slow: Duration) -> Self {
        Self {
            seed,
            n: AtomicU64::new(0),
            delay_past_timeout: 60,
            reset: 60,
            server_error: 80,
            rate_limit_storm: 20,
            truncated: 60,
            oversized: 40,
            garbage: 40,
            slow,
            injected: Mutex::new(HashMap::new()),
            storm_until: AtomicU64::new(0),
        }
    }

    fn count(&self, kind: &'static str) {
        *self.injected.lock().unwrap().entry(kind).or_default() += 1;
    }

    pub fn injected(&self) -> HashMap<&'static str, u64> {
        self.injected.lock().unwrap().clone()
    }

    /// The reply for this request: a fault, or the sandbox's answer.
    pub fn pick(&self, r: &Recorded) -> Reply {
        self.fault(r).unwrap_or_else(Reply::sandbox)
    }

    fn fault(&self, r: &Recorded) -> Option<Reply> {
        let n = self.n.fetch_add(1, Ordering::SeqCst);
        let draw = splitmix(self.seed ^ splitmix(n));
        // A 429 storm: once started, the next 25 requests are rate limited too.
        if n < self.storm_until.load(Ordering::SeqCst) {
            self.count("429-storm");
            let retry = if draw % 2 == 0 { "0" } else { "1" };
            return Some(
                Reply::flexpa_error(429, "Too Many Requests").with_header("retry-after", retry),
            );
        }
        let mut roll = (draw % 1000) as u32;
        let echo = format!(
            "echo of the request: {} {}",
            r.body_str(),
            r.header("authorization").unwrap_or("")
        );
        let faults: [(u32, &'static str); 7] = [
            (self.delay_past_timeout, "slow"),
            (self.reset, "reset"),
            (self.server_error, "5xx"),
            (self.rate_limit_storm, "429"),
            (self.truncated, "truncated"),
            (self.oversized, "oversized"),
            (self.garbage, "garbage"),
        ];
        for (odds, kind) in faults {
            if roll >= odds {
                roll -= odds;
                continue;
            }
            self.count(kind);
            let variant = (draw >> 20) % 4;
            return Some(match kind {
                "slow" => Reply::sandbox().delayed(self.slow),
                "reset" => match variant {
                    0 => Reply::Reset { prefix: Vec::new() },
                    1 => Reply::Close,
                    _ => Reply::Reset {
                        prefix:
                            b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n{\"access_token\":\"acc"
                                .to_vec(),
                    },
                },
                "5xx" => match variant {
                    0 => Reply::flexpa_error(500, &echo),
                    1 => Reply::flexpa_error(503, "Service Unavailable"),
                    2 => Reply::raw(
                        502,
                        "text/html",
                        format!("<html><body>Bad gateway. {echo}</body></html>"),
                    ),
                    _ => Reply::raw(504, "text/plain", ""),
                },
                "429" => {
                    self.storm_until.store(n + 25, Ordering::SeqCst);
                    Reply::flexpa_error(429, "Too Many Requests").with_header("retry-after", "1")
                }
                "truncated" => match variant {
                    0 | 1 => Reply::ShortBody {
                        status: 200,
                        declared: 400,
                        body: br#"{"access_token":"access_trunc","expires_in":18"#.to_vec(),
                    },
                    _ => Reply::CloseDelimited {
                        status: 200,
                        body: br#"{"access_token":"access_trunc","expi"#.to_vec(),
                    },
                },
                "oversized" => match variant {
                    0 | 1 => Reply::Stream {
                        status: 200,
                        chunk_size: 64 * 1024,
                        chunks: 64,
                    },
                    _ => Reply::AnnounceAndHold {
                        status: 200,
                        declared: 50 * 1024 * 1024,
                    },
                },
                _ => match variant {
                    0 => Reply::raw(200, "text/html", "<html>maintenance</html>"),
                    1 => Reply::json(200, &json!({"access_token": 12345, "expires_in": "soon"})),
                    2 => Reply::raw(
                        200,
                        "application/json",
                        format!("{{\"echo\": \"{}\"", r.body_str().replace('"', "'")),
                    ),
                    _ => Reply::raw(200, "application/json", vec![0xff, 0xfe, 0x00, 0x7b]),
                },
            });
        }
        None
    }
}

/// Every text an error can show: its `Display`, `Debug` and `{:#?}`, and the `Display` and
/// `Debug` of each error in its source chain.
pub fn error_texts(err: &flexpa_link::server::Error) -> Vec<String> {
    let mut texts = vec![err.to_string(), format!("{err:?}"), format!("{err:#?}")];
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        texts.push(s.to_string());
        texts.push(format!("{s:?}"));
        source = s.source();
    }
    texts
}

/// Asserts that no text of `err` holds one of `secrets`, nor anything shaped like a test
/// secret key.
pub fn assert_no_secret_in(err: &flexpa_link::server::Error, secrets: &[&str]) {
    for text in error_texts(err) {
        for secret in secrets {
            assert!(!text.contains(secret), "an error leaked `{secret}`: {text}");
        }
        assert!(
            !text.contains("sk_test_"),
            "an error leaked a secret-key-shaped value: {text}"
        );
    }
}

/// Every form a server may echo a credential back in: raw, percent-encoded (as a form or query
/// encodes it, `+` for a space, and with `%20`), JSON-escaped (with and without `\/`). No
/// duplicates.
pub fn echoed_forms(secret: &str) -> Vec<String> {
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let json = serde_json::to_string(secret).unwrap();
    let json = &json[1..json.len() - 1];
    let mut forms = Vec::new();
    for form in [
        secret.to_owned(),
        form.clone(),
        form.replace('+', "%20"),
        json.to_owned(),
        json.replace('/', "\\/"),
    ] {
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}
