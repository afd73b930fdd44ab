//! The server benchmark's Flexpa: the offline sandbox (`flexpa-sandbox`, the one the demo and
//! the server tests use) behind a thin bench layer, so that the client is measured against the
//! same `POST /link/exchange` as everywhere else (no rate limit, no syncing window, no delays).
//!
//! The bench layer:
//! - lets the load generators send made-up public tokens (`public_token_<uuid>`, distinct per
//!   call, as `bench-loadgen` and `bench/js/node-sdk.mjs` make them): each exchange's token is
//!   swapped for one the sandbox mints at that moment (a sign-in of a sample member), so the
//!   sandbox checks the secret key, spends a real single-use token and issues real tokens;
//! - for the records benchmark (`cargo xtask bench records`), given `--everything-bytes` or
//!   `--pages`, serves to any Bearer token one patient's synthetic FHIR records, made once at
//!   start-up and deterministic (`fhir_data.rs`; the sandbox's sample data is a few resources):
//!   `GET /fhir/Patient/$PATIENT_ID/$everything` (one ~`--everything-bytes` searchset Bundle)
//!   and `GET /fhir/ExplanationOfBenefit?...[&page=N]` (`--pages` pages of `--page-size`
//!   ExplanationOfBenefits, linked by absolute `next` URLs). Other requests go to the sandbox;
//! - counts: `GET /__bench/count` how many exchanges succeeded, `GET /__bench/fhir-count` how
//!   many FHIR requests, `GET /__bench/records` the body sizes.
//!
//! ```text
//! bench-standin [--addr 127.0.0.1:0] [--threads 1] [--exit-after 1800]
//!               [--everything-bytes 0] [--pages 0] [--page-size 100]
//! ```
//! Prints `listening on http://ADDR` on stdout once ready, and stops by itself after
//! `--exit-after` seconds.

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
    use std::io::Write;
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, OnceLock};
    use std::time::Duration;

    use axum::body::{to_bytes, Body, Bytes};
    use axum::extract::{Request, State};
    use axum::http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
    use axum::http::{Method, StatusCode};
    use axum::middleware::{self, Next};
    use axum::response::{IntoResponse, Response};
    use axum::serve::ListenerExt as _;
    use flexpa_sandbox::{data, Sandbox, SandboxConfig, SignIn, Usage};
    use tokio::net::TcpListener;

    /// The secret key the load generators send (bench-loadgen, bench/js/node-sdk.mjs).
    const SECRET_KEY: &str = "sk_test_bench_0123456789abcdef";
    /// The largest exchange request body read (requests to Flexpa are tiny).
    const MAX_EXCHANGE_BODY: usize = 64 * 1024;

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
            let number = |what: &str| value.parse().unwrap_or_else(|_| usage(what));
            match flag.as_str() {
                "--addr" => out.addr = value.clone(),
                "--threads" => out.threads = number("--threads N"),
                "--exit-after" => out.exit_after = number("--exit-after SECS") as u64,
                "--everything-bytes" => out.everything_bytes = number("--everything-bytes N"),
                "--pages" => out.pages = number("--pages N"),
                "--page-size" => out.page_size = number("--page-size N"),
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
        let sandbox = Sandbox::new(SandboxConfig {
            secret_key: SECRET_KEY.into(),
            rate_limit: None,
            sync_window: Duration::ZERO,
            ..SandboxConfig::random()
        });
        let app = sandbox
            .router()
            .layer(middleware::from_fn_with_state(
                Arc::new(sandbox),
                bench_layer,
            ))
            .into_make_service_with_connect_info::<SocketAddr>();
        println!("listening on http://{addr}");
        std::io::stdout().flush().ok();
        let exit_after = Duration::from_secs(args.exit_after);
        // No Nagle delay on the answers, as the old hand-written server had it.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        if tokio::time::timeout(exit_after, axum::serve(listener, app))
            .await
            .is_ok()
        {
            eprintln!("bench-standin: the server stopped");
        } else {
            eprintln!("bench-standin: --exit-after reached, stopping");
        }
    }

    /// The counters, the synthetic records, and the public-token swap; the rest is the sandbox's.
    async fn bench_layer(
        State(sandbox): State<Arc<Sandbox>>,
        request: Request,
        next: Next,
    ) -> Response {
        let path = request.uri().path();
        match (request.method(), path) {
            (&Method::GET, "/__bench/count") => count(&EXCHANGES),
            (&Method::GET, "/__bench/fhir-count") => count(&FHIR_REQUESTS),
            (&Method::GET, "/__bench/records") => match RECORDS.get() {
                Some(r) => json_response(serde_json::json!({
                    "everything_bytes": r.everything.len(),
                    "everything_entries": r.everything_entries,
                    "pages": r.pages.len(),
                    "page_bytes": r.pages.iter().map(|p| p.len()).collect::<Vec<_>>(),
                    "search_bytes": r.pages.iter().map(|p| p.len()).sum::<usize>(),
                })),
                None => next.run(request).await,
            },
            (&Method::GET, p) if p.starts_with("/fhir/") && RECORDS.get().is_some() => {
                records(&request)
            }
            (&Method::POST, "/link/exchange") => {
                let response = next.run(with_minted_token(&sandbox, request).await).await;
                if response.status() == StatusCode::OK {
                    EXCHANGES.fetch_add(1, Ordering::Relaxed);
                }
                response
            }
            _ => next.run(request).await,
        }
    }

    /// The exchange request with its `public_token` replaced by one the sandbox has just
    /// minted for a sample member (ONE_TIME, as the load generators' tokens were treated). A body
    /// that is not a JSON object with a `public_token` goes to the sandbox as it came.
    async fn with_minted_token(sandbox: &Sandbox, request: Request) -> Request {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = to_bytes(body, MAX_EXCHANGE_BODY).await else {
            return Request::from_parts(parts, Body::empty());
        };
        let mut value: serde_json::Value = match serde_json::from_slice(&bytes) {
            Ok(value) => value,
            Err(_) => return Request::from_parts(parts, Body::from(bytes)),
        };
        if value.get("public_token").is_some_and(|t| t.is_string()) {
            let plan = &data::PLANS[0];
            let minted = sandbox.sign_in(&SignIn {
                publishable_key: sandbox.publishable_key(),
                endpoint: plan.name,
                username: plan.username,
                password: plan.password,
                external_id: None,
                usage: Usage::OneTime,
            });
            if let Ok(token) = minted {
                value["public_token"] = serde_json::Value::String(token);
            }
        }
        let mut parts = parts;
        parts.headers.remove(axum::http::header::CONTENT_LENGTH);
        Request::from_parts(parts, Body::from(value.to_string()))
    }

    fn count(counter: &AtomicU64) -> Response {
        json_response(counter.load(Ordering::Relaxed).into())
    }

    fn json_response(body: serde_json::Value) -> Response {
        (
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            body.to_string(),
        )
            .into_response()
    }

    /// The synthetic records: any Bearer token reads the one patient's.
    fn records(request: &Request) -> Response {
        let bearer = request
            .headers()
            .get(AUTHORIZATION)
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
        let path = request.uri().path().replace("%24", "$");
        let query = request.uri().query().unwrap_or("");
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

    fn operation_outcome(code: &str, diagnostics: &str) -> Bytes {
        serde_json::json!({
            "resourceType": "OperationOutcome",
            "issue": [{ "severity": "error", "code": code, "diagnostics": diagnostics }],
        })
        .to_string()
        .into()
    }

    fn fhir_json(status: StatusCode, body: Bytes) -> Response {
        (
            status,
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("application/fhir+json; charset=utf-8"),
            )],
            body,
        )
            .into_response()
    }
}
