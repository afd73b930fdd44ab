//! HTTPS, as the client talks to the real `https://api.flexpa.com`: a TLS stand-in on
//! 127.0.0.1 with a certificate made for the test (rcgen), served through rustls. The client
//! completes the exchange when it trusts the certificate, and when it does not it fails with a
//! typed connect error before the secret key leaves the process. Also the connect timeout,
//! against a listener whose accept queue is full (so connecting hangs, as a dead host does).

use crate::standin;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flexpa_link::server::{Client, Error, SecretKey, TransportKind};
use flexpa_link::PublicToken;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

const SECRET_KEY: &str = "sk_test_TlsStandinSecretKey0000042";
const PUBLIC: &str = "public_token_0d6f4f8e-2a51-4a7c-9d0e-4b7f1f2f8c11";
const ACCESS: &str = "eyJhbGciOiJSUzI1NiJ9.tls-standin-access-token.sig";

/// An HTTPS server on 127.0.0.1 answering every request with one exchange response; it
/// records the requests it could read (none when the handshake fails).
struct TlsStandin {
    port: u16,
    cert: CertificateDer<'static>,
    requests: Arc<Mutex<Vec<String>>>,
    handshakes_failed: Arc<Mutex<u32>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsStandin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsStandin {
    async fn start() -> Self {
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert = cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handshakes_failed = Arc::new(Mutex::new(0));
        let task = {
            let (requests, failed) = (requests.clone(), handshakes_failed.clone());
            tokio::spawn(async move {
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        continue;
                    };
                    let (acceptor, requests, failed) =
                        (acceptor.clone(), requests.clone(), failed.clone());
                    tokio::spawn(async move {
                        match acceptor.accept(tcp).await {
                            Ok(tls) => serve(tls, requests).await,
                            Err(_) => *failed.lock().unwrap() += 1,
                        }
                    });
                }
            })
        };
        Self {
            port,
            cert,
            requests,
            handshakes_failed,
            task,
        }
    }

    fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }
}

/// Reads one HTTP/1.1 request (head + Content-Length body) and answers 200 with an exchange
/// response, closing the connection.
async fn serve(
    mut tls: tokio_rustls::server::TlsStream<TcpStream>,
    requests: Arc<Mutex<Vec<String>>>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let request = loop {
        let Ok(n) = tls.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                break text;
            }
        }
    };
    requests.lock().unwrap().push(request);
    let body = format!(
        r#"{{"access_token":"{ACCESS}","expires_in":1800,"patient":"Patient/tls-1","refresh_expires_in":null,"timeUntilMaxAuth":"indefinite"}}"#
    );
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tls.write_all(response.as_bytes()).await;
    let _ = tls.shutdown().await;
}

fn secret() -> SecretKey {
    SecretKey::new(SECRET_KEY).unwrap()
}

fn public() -> PublicToken {
    PublicToken::new(PUBLIC).unwrap()
}

fn assert_clean(err: &Error) {
    standin::assert_no_secret_in(err, &[SECRET_KEY, PUBLIC]);
}

#[tokio::test]
async fn the_exchange_works_over_https_with_a_trusted_certificate() {
    let server = TlsStandin::start().await;
    // The application's own reqwest client, trusting the test certificate (as a deployment
    // behind a private CA would do).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_der(&server.cert).unwrap()])
        .build()
        .unwrap();
    let client = Client::builder(secret())
        .base_url(server.url())
        .http_client(http)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let tokens = client.exchange(&public()).await.expect("exchange over TLS");
    assert_eq!(tokens.access_token.expose_secret(), ACCESS);
    assert_eq!(tokens.patient_id(), Some("tls-1"));
    let requests = server.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].starts_with("POST /link/exchange HTTP/1.1\r\n"));
    assert!(
        requests[0].contains(SECRET_KEY),
        "the secret went to the trusted server only"
    );
}

#[tokio::test]
async fn an_untrusted_certificate_fails_to_connect_before_the_secret_is_sent() {
    let server = TlsStandin::start().await;
    // The crate's own client: the system's roots, which do not include the test certificate.
    let client = Client::builder(secret())
        .base_url(server.url())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let err = client.exchange(&public()).await.unwrap_err();
    assert_clean(&err);
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_transient(), "a transport error may be retried");
    assert!(
        server.requests.lock().unwrap().is_empty(),
        "nothing was sent"
    );
    // The client gave up in the handshake; the server saw it fail there.
    let deadline = Instant::now() + Duration::from_secs(5);
    while *server.handshakes_failed.lock().unwrap() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(*server.handshakes_failed.lock().unwrap() >= 1);
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_typed_connect_error() {
    // A plain HTTP/1.1 server: it answers the TLS ClientHello with an HTTP error.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = tcp.read(&mut buf).await;
            let _ = tcp
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    let client = Client::builder(secret())
        .base_url(format!("https://127.0.0.1:{port}"))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let err = client.exchange(&public()).await.unwrap_err();
    task.abort();
    assert_clean(&err);
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_connect_that_hangs_ends_at_the_connect_timeout() {
    // A listener that never accepts, with a backlog of one: once its queue is full, the
    // kernel drops further SYNs and connecting hangs, as it does to a host that is down.
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    let mut hangs = false;
    for _ in 0..16 {
        match tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => fillers.push(stream),
            Ok(Err(e)) => panic!("connecting to the full listener failed instead of hanging: {e}"),
            Err(_) => {
                hangs = true;
                break;
            }
        }
    }
    assert!(hangs, "the accept queue never filled up");

    let connect_timeout = Duration::from_millis(400);
    let total = Duration::from_secs(20);
    let client = Client::builder(secret())
        .base_url(format!("http://{addr}"))
        .connect_timeout(connect_timeout)
        .timeout(total)
        .build()
        .unwrap();
    let err = client.exchange(&public()).await.unwrap_err();
    assert_clean(&err);
    match &err {
        Error::Timeout { after } => assert_eq!(*after, connect_timeout, "the connect timeout"),
        other => panic!("expected a connect timeout, got {other:?}"),
    }
    assert!(err.is_transient());
    drop(fillers);
    drop(listener);
}
