//! A stand-in for Flexpa's API on 127.0.0.1, for the server tests and the fault suite.
//!
//! It is a hand-rolled HTTP/1.1 server on a tokio `TcpListener`, so that a test controls every
//! byte: a reply can be a normal response, a body cut short, a connection reset mid-body, a
//! slow trickle, an endless stream, or nothing at all. Every request is recorded (method, path,
//! query, headers, body, and which connection carried it) for exact assertions.
//!
//! Three ways to answer:
//! - [`Standin::scripted`]: a closure picks the [`Reply`] for each request;
//! - [`Standin::faithful`]: [`FlexpaApi`], which follows `docs/flexpa.md` to the letter
//!   (secret key check, single-use public tokens, Bearer/Basic auth, PKCE S256 check,
//!   Flexpa's error bodies);
//! - [`Standin::chaos`]: the faithful API behind a seeded fault injector ([`Chaos`]): delays
//!   past the client's timeout, resets, 5xx, 429 storms, truncated and oversized bodies.
//!
//! Use it from a test file with `#[path = "support/standin.rs"] mod standin;`.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub const SECRET_KEY: &str = "sk_test_Zr9QmXc7TBSecretKeyValue42";
pub const PUBLISHABLE_KEY: &str = "pk_test_4YhpxYOsBMHp1FWhX2v0Amj7";
/// The largest request the stand-in reads (requests to Flexpa are tiny).
const MAX_REQUEST: usize = 64 * 1024;

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

/// What the stand-in does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
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
        if let Self::Full { delay, .. } = &mut self {
            *delay = by;
        }
        self
    }
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

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
        Self::start(Arc::new(handler)).await
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

    /// The protocol-faithful API.
    pub async fn faithful(api: Arc<FlexpaApi>) -> Self {
        Self::scripted(move |r| api.handle(r)).await
    }

    /// The faithful API behind a seeded fault injector.
    pub async fn chaos(api: Arc<FlexpaApi>, chaos: Arc<Chaos>) -> Self {
        Self::scripted(move |r| chaos.pick(r, &api)).await
    }

    async fn start(handler: Handler) -> Self {
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
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let id = connections.fetch_add(1, Ordering::SeqCst);
                    let (handler, requests, bytes_written) =
                        (handler.clone(), requests.clone(), bytes_written.clone());
                    conns.spawn(async move {
                        let _ = serve(stream, id, handler, requests, bytes_written).await;
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

async fn serve(
    mut stream: TcpStream,
    id: usize,
    handler: Handler,
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
        match handler(&request) {
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
// The protocol-faithful API.

/// Usage of a Link authorization: `MULTIPLE` ones get refresh tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    OneTime,
    Multiple,
}

#[derive(Debug, Clone)]
struct Grant {
    patient: String,
    usage: Usage,
    state: &'static str,
    external_id: String,
    jti: String,
}

#[derive(Debug, Clone)]
struct PendingCode {
    challenge: String,
    redirect_uri: String,
    client_id: String,
    external_id: String,
}

/// Flexpa's API, as `docs/flexpa.md` describes it.
pub struct FlexpaApi {
    pub secret_key: String,
    pub publishable_key: String,
    /// `timeUntilMaxAuth` as sent in exchange and introspection bodies.
    pub time_until_max_auth: Mutex<Value>,
    state: Mutex<ApiState>,
    counter: AtomicU64,
}

#[derive(Default)]
struct ApiState {
    public_tokens: HashMap<String, Grant>,
    access: HashMap<String, Grant>,
    refresh: HashMap<String, Grant>,
    codes: HashMap<String, PendingCode>,
    revoked: HashSet<String>,
}

impl Default for FlexpaApi {
    fn default() -> Self {
        Self::new()
    }
}

impl FlexpaApi {
    pub fn new() -> Self {
        Self {
            secret_key: SECRET_KEY.into(),
            publishable_key: PUBLISHABLE_KEY.into(),
            time_until_max_auth: Mutex::new(json!(7_776_000)),
            state: Mutex::new(ApiState::default()),
            counter: AtomicU64::new(1),
        }
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::SeqCst)
    }

    fn uuid(&self) -> String {
        let n = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            n,
            n & 0xffff,
            n & 0xfff,
            (n >> 4) & 0xfff,
            n * 7919
        )
    }

    /// What Link hands the browser after a patient connects: a fresh, single-use token.
    pub fn mint_public_token(&self, usage: Usage, external_id: &str) -> String {
        let token = format!("public_token_{}", self.uuid());
        let grant = Grant {
            patient: format!("Patient/{}", self.uuid()),
            usage,
            state: "AUTHORIZED",
            external_id: external_id.to_owned(),
            jti: self.uuid(),
        };
        self.state
            .lock()
            .unwrap()
            .public_tokens
            .insert(token.clone(), grant);
        token
    }

    fn endpoint() -> Value {
        json!({
            "id": "ep_3c1e4b2a",
            "label": ["Humana", "Humana Medicare Advantage"],
            "name": "humana-sandbox",
            "refreshable": true,
            "resources": ["Patient", "Coverage", "ExplanationOfBenefit"]
        })
    }

    fn issue(&self, st: &mut ApiState, mut grant: Grant, state: &'static str) -> Value {
        grant.state = state;
        let access = format!("access_{}", self.uuid());
        st.access.insert(access.clone(), grant.clone());
        let mut body = json!({
            "access_token": access,
            "expires_in": 1800,
            "refresh_expires_in": null,
            "patient": grant.patient,
            "endpoint": Self::endpoint(),
            "timeUntilMaxAuth": self.time_until_max_auth.lock().unwrap().clone(),
        });
        if grant.usage == Usage::Multiple {
            let refresh = format!("refresh_{}", self.uuid());
            st.refresh.insert(refresh.clone(), grant);
            body["refresh_token"] = json!(refresh);
            body["refresh_expires_in"] = json!(0);
        }
        body
    }

    fn is_json(r: &Recorded) -> bool {
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
    }

    fn is_form(r: &Recorded) -> bool {
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    }

    pub fn handle(&self, r: &Recorded) -> Reply {
        match (r.method.as_str(), r.path.as_str()) {
            ("POST", "/link/exchange") => self.exchange(r),
            ("GET", "/link/introspect") => self.introspect(r),
            ("POST", "/link/token") => self.token(r),
            ("POST", "/link/revoke") => self.revoke(r),
            ("GET", "/link/auth") => self.authorize(r),
            (m, p) => Reply::flexpa_error(404, &format!("Cannot {m} {p}")),
        }
    }

    fn exchange(&self, r: &Recorded) -> Reply {
        if !Self::is_json(r) {
            return Reply::flexpa_error(400, "Content-Type must be application/json");
        }
        let body = r.json();
        if body["secret_key"].as_str() != Some(self.secret_key.as_str()) {
            return Reply::flexpa_error(401, "Invalid secret key");
        }
        let Some(token) = body["public_token"].as_str() else {
            return Reply::flexpa_error(400, "public_token must be a string");
        };
        let mut st = self.state.lock().unwrap();
        match st.public_tokens.remove(token) {
            Some(grant) => Reply::json(200, &self.issue(&mut st, grant, "EXCHANGED")),
            None => Reply::flexpa_error(400, "Invalid public token. Public token has expired."),
        }
    }

    fn introspect(&self, r: &Recorded) -> Reply {
        let Some(token) = r.bearer() else {
            return Reply::flexpa_error(401, "Missing bearer token");
        };
        let st = self.state.lock().unwrap();
        let Some(grant) = st.access.get(token) else {
            return Reply::flexpa_error(401, "Invalid access token");
        };
        let state = if st.revoked.contains(token) {
            "REVOKED"
        } else {
            grant.state
        };
        Reply::json(
            200,
            &json!({
                "jti": grant.jti,
                "iat": 1_735_689_600u64,
                "exp": 1_735_691_400u64,
                "patient": grant.patient,
                "state": state,
                "endpoint": Self::endpoint(),
                "timeUntilMaxAuth": self.time_until_max_auth.lock().unwrap().clone(),
                "user": {"externalId": grant.external_id},
            }),
        )
    }

    fn token(&self, r: &Recorded) -> Reply {
        if !Self::is_form(r) {
            return Reply::flexpa_error(
                400,
                "Content-Type must be application/x-www-form-urlencoded",
            );
        }
        match r.form_value("grant_type").as_deref() {
            Some("refresh_token") => {
                if r.basic() != Some((self.publishable_key.clone(), self.secret_key.clone())) {
                    return Reply::flexpa_error(401, "Invalid client credentials");
                }
                let token = r.form_value("refresh_token").unwrap_or_default();
                let mut st = self.state.lock().unwrap();
                let Some(grant) = st.refresh.get(&token).cloned() else {
                    return Reply::flexpa_error(400, "Invalid refresh token");
                };
                let mut body = self.issue(&mut st, grant, "REFRESHED");
                body["token_type"] = json!("Bearer");
                Reply::json(200, &body)
            }
            Some("authorization_code") => {
                let code = r.form_value("code").unwrap_or_default();
                let mut st = self.state.lock().unwrap();
                let Some(pending) = st.codes.remove(&code) else {
                    return Reply::json(
                        400,
                        &json!({"error": "invalid_grant", "error_description": "Invalid authorization code"}),
                    );
                };
                let verifier = r.form_value("code_verifier").unwrap_or_default();
                let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
                if challenge != pending.challenge {
                    return Reply::json(
                        400,
                        &json!({"error": "invalid_grant", "error_description": "PKCE verification failed"}),
                    );
                }
                if r.form_value("redirect_uri").as_deref() != Some(pending.redirect_uri.as_str())
                    || r.form_value("client_id").as_deref() != Some(pending.client_id.as_str())
                {
                    return Reply::json(
                        400,
                        &json!({"error": "invalid_grant", "error_description": "redirect_uri or client_id mismatch"}),
                    );
                }
                let grant = Grant {
                    patient: format!("Patient/{}", self.uuid()),
                    usage: Usage::Multiple,
                    state: "AUTHORIZED",
                    external_id: pending.external_id,
                    jti: self.uuid(),
                };
                let mut body = self.issue(&mut st, grant, "EXCHANGED");
                body["token_type"] = json!("Bearer");
                body["scope"] = json!("launch/patient");
                Reply::json(200, &body)
            }
            _ => Reply::json(400, &json!({"error": "unsupported_grant_type"})),
        }
    }

    fn revoke(&self, r: &Recorded) -> Reply {
        if !Self::is_json(r) || r.json()["secret_key"].as_str() != Some(self.secret_key.as_str()) {
            return Reply::flexpa_error(401, "Invalid secret key");
        }
        let Some(token) = r.bearer() else {
            return Reply::flexpa_error(401, "Missing bearer token");
        };
        let mut st = self.state.lock().unwrap();
        let count = if st.access.contains_key(token) && st.revoked.insert(token.to_owned()) {
            1
        } else {
            0
        };
        Reply::json(200, &json!({ "count": count }))
    }

    /// `GET /link/auth`: checks the PKCE parameters and redirects with a code (the user
    /// "consents" at once).
    fn authorize(&self, r: &Recorded) -> Reply {
        let q: HashMap<String, String> =
            form_urlencoded::parse(r.query.as_deref().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        let get = |k: &str| q.get(k).cloned().unwrap_or_default();
        if get("response_type") != "code"
            || get("code_challenge_method") != "S256"
            || get("scope") != "launch/patient"
            || get("client_id") != self.publishable_key
            || get("code_challenge").len() != 43
            || get("redirect_uri").is_empty()
            || get("flexpa_external_id").is_empty()
        {
            return Reply::json(400, &json!({"error": "invalid_request"}));
        }
        let code = format!("code_{}", self.uuid());
        self.state.lock().unwrap().codes.insert(
            code.clone(),
            PendingCode {
                challenge: get("code_challenge"),
                redirect_uri: get("redirect_uri"),
                client_id: get("client_id"),
                external_id: get("flexpa_external_id"),
            },
        );
        let mut location = form_urlencoded::Serializer::new(String::new());
        location.append_pair("code", &code);
        if let Some(state) = q.get("state") {
            location.append_pair("state", state);
        }
        Reply::raw(302, "text/plain", "").with_header(
            "location",
            &format!(
                "{}{}{}",
                get("redirect_uri"),
                if get("redirect_uri").contains('?') {
                    '&'
                } else {
                    '?'
                },
                location.finish()
            ),
        )
    }
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

    /// The reply for this request: a fault, or the faithful API's answer.
    pub fn pick(&self, r: &Recorded, api: &FlexpaApi) -> Reply {
        self.fault(r, api).unwrap_or_else(|| api.handle(r))
    }

    fn fault(&self, r: &Recorded, api: &FlexpaApi) -> Option<Reply> {
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
                "slow" => api.handle(r).delayed(self.slow),
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
