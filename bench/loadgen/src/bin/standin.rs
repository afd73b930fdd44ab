//! A fast, well-behaved local stand-in for Flexpa's `POST /link/exchange`, for the server
//! benchmark (no chaos, no delays: the client is what is measured).
//!
//! It checks each request as the real API would (JSON body with a `public_token_...` token and
//! an `sk_test_`/`sk_live_` secret key), accepts any such token any number of times, and answers
//! with a realistic 200 body (the fields of `docs/flexpa.md`). Bad requests get Flexpa's
//! error JSON (400, 401, 404, 413).
//!
//! For the records benchmark (`cargo xtask bench records`), given `--everything-bytes` or `--pages`, it
//! also serves, to any Bearer token, one patient's FHIR records, made once at start-up and
//! deterministic (`fhir_data.rs`); without them (the exchange benchmark) it makes none, so that
//! it starts at once and stays small:
//! `GET /fhir/Patient/$PATIENT_ID/$everything` (one ~`--everything-bytes` searchset Bundle) and
//! `GET /fhir/ExplanationOfBenefit?...[&page=N]` (`--pages` pages of `--page-size`
//! ExplanationOfBenefits, linked by absolute `next` URLs).
//!
//! ```text
//! bench-standin [--addr 127.0.0.1:0] [--threads 1] [--exit-after 1800]
//!               [--everything-bytes 0] [--pages 0] [--page-size 100]
//! ```
//! Prints `listening on http://ADDR` on stdout once ready, and stops by itself after
//! `--exit-after` seconds. `GET /__bench/count` returns how many exchanges succeeded,
//! `GET /__bench/fhir-count` how many FHIR requests, `GET /__bench/records` the body sizes.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
#[path = "../fhir_data.rs"]
mod fhir_data;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::convert::Infallible;
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    use std::time::Duration;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full, Limited};
    use hyper::body::Incoming;
    use hyper::header::{HeaderValue, CONTENT_TYPE};
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper::{Method, Request, Response, StatusCode};
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpListener;

    /// A 200 body with every field Flexpa documents for a ONE_TIME exchange.
    const EXCHANGE_OK: &str = concat!(
        r#"{"access_token":"eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImExYjJjM2Q0ZTVmNiJ9."#,
        r#"eyJpc3MiOiJodHRwczovL2FwaS5mbGV4cGEuY29tIiwic3ViIjoiUGF0aWVudC83ZjNjOWExZS0yYjRkLTRlOGYtOWE2Yi0xYzJkM2U0ZjVhNmIiLCJhdWQiOiJwa190ZXN0X2JlbmNoIiwiaWF0IjoxNzM1Njg5NjAwLCJleHAiOjE3MzU2OTE0MDAsImp0aSI6IjliOGE3YzZkLTVlNGYtNGEzYi04YzJkLTFlMGY5YThiN2M2ZCIsInNjb3BlIjoibGF1bmNoL3BhdGllbnQgcGF0aWVudC8qLnJlYWQiLCJlbmRwb2ludCI6ImVwXzNjMWU0YjJhIiwidXNhZ2UiOiJPTkVfVElNRSIsInN0YXRlIjoiRVhDSEFOR0VEIn0."#,
        r#"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-Pw","#,
        r#""expires_in":1800,"refresh_expires_in":null,"#,
        r#""patient":"Patient/7f3c9a1e-2b4d-4e8f-9a6b-1c2d3e4f5a6b","#,
        r#""endpoint":{"id":"ep_3c1e4b2a","label":["Humana","Humana Medicare Advantage"],"#,
        r#""name":"humana-sandbox","refreshable":false,"#,
        r#""resources":["Patient","Coverage","ExplanationOfBenefit","Practitioner","Organization","Location"]},"#,
        r#""timeUntilMaxAuth":"indefinite"}"#
    );

    static EXCHANGES: AtomicU64 = AtomicU64::new(0);
    static FHIR_REQUESTS: AtomicU64 = AtomicU64::new(0);
    /// The FHIR bodies, made once the address (for absolute next links) is known.
    static RECORDS: OnceLock<super::fhir_data::Records> = OnceLock::new();

    struct Args {
        addr: String,
        threads: usize,
        exit_after: u64,
        everything_bytes: usize,
        pages: usize,
        page_size: usize,
    }

    fn args() -> Args {
        let mut out = Args {
            addr: "127.0.0.1:0".into(),
            threads: 1,
            exit_after: 1800,
            everything_bytes: 0,
            pages: 0,
            page_size: 100,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let value = it
                .next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
            match flag.as_str() {
                "--addr" => out.addr = value,
                "--threads" => out.threads = value.parse().unwrap_or_else(|_| usage("--threads N")),
                "--exit-after" => {
                    out.exit_after = value.parse().unwrap_or_else(|_| usage("--exit-after SECS"))
                }
                "--everything-bytes" => {
                    out.everything_bytes = value
                        .parse()
                        .unwrap_or_else(|_| usage("--everything-bytes N"))
                }
                "--pages" => out.pages = value.parse().unwrap_or_else(|_| usage("--pages N")),
                "--page-size" => {
                    out.page_size = value.parse().unwrap_or_else(|_| usage("--page-size N"))
                }
                _ => usage(&format!("unknown flag {flag}")),
            }
        }
        out
    }

    fn usage(why: &str) -> ! {
        eprintln!("bench-standin: {why}\nusage: bench-standin [--addr 127.0.0.1:0] [--threads 1] [--exit-after 1800] \
             [--everything-bytes 0] [--pages 0] [--page-size 100]");
        std::process::exit(2)
    }

    pub fn main() {
        let args = args();
        let runtime = if args.threads <= 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(args.threads)
                .enable_all()
                .build()
        }
        .expect("tokio runtime");
        runtime.block_on(serve(args));
    }

    async fn serve(args: Args) {
        let listener = TcpListener::bind(&args.addr).await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        // Before "listening": no client ever waits on (or times) the generation.
        if args.everything_bytes > 0 || args.pages > 0 {
            let records = super::fhir_data::make(
                &format!("http://{addr}"),
                args.everything_bytes,
                args.pages.max(1),
                args.page_size,
            );
            let _ = RECORDS.set(records);
        }
        println!("listening on http://{addr}");
        std::io::stdout().flush().ok();
        let deadline = tokio::time::sleep(Duration::from_secs(args.exit_after));
        tokio::pin!(deadline);
        loop {
            let (stream, _) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(conn) => conn,
                    Err(e) => { eprintln!("accept: {e}"); continue; }
                },
                _ = &mut deadline => {
                    eprintln!("bench-standin: --exit-after reached, stopping");
                    return;
                }
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handle))
                    .await;
            });
        }
    }

    fn json(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(body.into()));
        *response.status_mut() = status;
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }

    fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
        let body = serde_json::json!({
            "statusCode": status.as_u16(),
            "error": status.canonical_reason().unwrap_or("Error"),
            "message": message,
        });
        json(status, body.to_string())
    }

    async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
        match (req.method(), req.uri().path()) {
            (&Method::POST, "/link/exchange") => Ok(exchange(req).await),
            (&Method::GET, "/__bench/count") => Ok(json(
                StatusCode::OK,
                EXCHANGES.load(Ordering::Relaxed).to_string(),
            )),
            (&Method::GET, "/__bench/fhir-count") => Ok(json(
                StatusCode::OK,
                FHIR_REQUESTS.load(Ordering::Relaxed).to_string(),
            )),
            (&Method::GET, "/__bench/records") if RECORDS.get().is_some() => {
                let r = RECORDS.get().expect("checked above");
                let body = serde_json::json!({
                    "everything_bytes": r.everything.len(),
                    "everything_entries": r.everything_entries,
                    "pages": r.pages.len(),
                    "page_bytes": r.pages.iter().map(|p| p.len()).collect::<Vec<_>>(),
                    "search_bytes": r.pages.iter().map(|p| p.len()).sum::<usize>(),
                });
                Ok(json(StatusCode::OK, body.to_string()))
            }
            (&Method::GET, path) if path.starts_with("/fhir/") && RECORDS.get().is_some() => {
                Ok(fhir(&req))
            }
            (method, path) => Ok(error(
                StatusCode::NOT_FOUND,
                &format!("Route {method}:{path} not found"),
            )),
        }
    }

    /// The FHIR routes: any Bearer token reads the one patient's records.
    fn fhir(req: &Request<Incoming>) -> Response<Full<Bytes>> {
        let bearer = req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| !t.is_empty());
        if !bearer {
            return fhir_json(
                StatusCode::UNAUTHORIZED,
                operation_outcome("login", "No access token"),
            );
        }
        let records = RECORDS.get().expect("checked by the caller");
        // Clients may send the wildcard as `$PATIENT_ID` or `%24PATIENT_ID`.
        let path = req.uri().path().replace("%24", "$");
        let query = req.uri().query().unwrap_or("");
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        };
        let body = match path.as_str() {
            "/fhir/Patient/$PATIENT_ID/$everything" => records.everything.clone(),
            "/fhir/ExplanationOfBenefit" if param("patient").is_some() => {
                let page = param("page").map_or(Some(1), |p| p.parse::<usize>().ok());
                match page.and_then(|n| records.pages.get(n.wrapping_sub(1))) {
                    Some(body) => body.clone(),
                    None => {
                        return fhir_json(
                            StatusCode::BAD_REQUEST,
                            operation_outcome("invalid", "No such page"),
                        )
                    }
                }
            }
            _ => {
                return fhir_json(
                    StatusCode::NOT_FOUND,
                    operation_outcome("not-found", "Unknown FHIR route"),
                )
            }
        };
        FHIR_REQUESTS.fetch_add(1, Ordering::Relaxed);
        fhir_json(StatusCode::OK, body)
    }

    fn operation_outcome(code: &str, diagnostics: &str) -> String {
        serde_json::json!({
            "resourceType": "OperationOutcome",
            "issue": [{ "severity": "error", "code": code, "diagnostics": diagnostics }],
        })
        .to_string()
    }

    fn fhir_json(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
        let mut response = json(status, body);
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/fhir+json; charset=utf-8"),
        );
        response
    }

    async fn exchange(req: Request<Incoming>) -> Response<Full<Bytes>> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return error(StatusCode::BAD_REQUEST, "Body must be JSON.");
        }
        let body = match Limited::new(req.into_body(), 64 * 1024).collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "Request body is too large."),
        };
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) else {
            return error(StatusCode::BAD_REQUEST, "Body must be JSON.");
        };
        let secret = value
            .get("secret_key")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        if !(secret.starts_with("sk_test_") || secret.starts_with("sk_live_")) {
            return error(StatusCode::UNAUTHORIZED, "Invalid secret key.");
        }
        let token = value
            .get("public_token")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        if !token.starts_with("public_token_") || token.len() <= "public_token_".len() {
            return error(
                StatusCode::BAD_REQUEST,
                "Invalid public token. Public token has expired.",
            );
        }
        EXCHANGES.fetch_add(1, Ordering::Relaxed);
        json(StatusCode::OK, Bytes::from_static(EXCHANGE_OK.as_bytes()))
    }
}
