//! The server benchmark's Rust client: `N` token exchanges at concurrency `C` against a local
//! stand-in of `POST /link/exchange`, with either the crate's `Client::exchange` or a bare
//! reqwest POST of the same JSON (the floor for any Rust client).
//!
//! ```text
//! bench-loadgen --client crate|reqwest|reqwest-typed --base-url http://127.0.0.1:PORT
//!               [--requests 20000] [--concurrency 64] [--warmup 500]
//! ```
//! Prints one JSON line: requests/s, p50/p99 latency in microseconds, and the CPU seconds
//! (user + system, `getrusage(RUSAGE_SELF)`) this process spent during the timed run.
//! Exits non-zero if any exchange failed.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    /// The secret key both clients send (the stand-in accepts any `sk_test_` key).
    const SECRET_KEY: &str = "sk_test_bench_0123456789abcdef";

    #[derive(Clone, Copy, PartialEq)]
    enum Which {
        Crate,
        Reqwest,
        /// Diagnostic: bare reqwest, then the body parsed into the crate's `ExchangeResponse`.
        ReqwestTyped,
        /// Diagnostic: bare reqwest with the crate's two timers per call (reqwest's per-request
        /// `timeout` and a `tokio::time::timeout_at` around the call).
        ReqwestTimers,
        /// Diagnostic: bare reqwest inside one `tokio::time::timeout_at` (no reqwest timeout).
        ReqwestOneTimer,
    }

    struct Args {
        client: Which,
        base_url: String,
        requests: usize,
        concurrency: usize,
        warmup: usize,
    }

    fn usage(why: &str) -> ! {
        eprintln!(
            "bench-loadgen: {why}\nusage: bench-loadgen --client crate|reqwest|reqwest-typed --base-url URL \
             [--requests 20000] [--concurrency 64] [--warmup 500]"
        );
        std::process::exit(2)
    }

    fn args() -> Args {
        let mut client = None;
        let mut base_url = None;
        let (mut requests, mut concurrency, mut warmup) = (20_000, 64, 500);
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let value = it
                .next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
            let number = || {
                value
                    .parse::<usize>()
                    .unwrap_or_else(|_| usage(&format!("{flag} N")))
            };
            match flag.as_str() {
                "--client" => {
                    client = Some(match value.as_str() {
                        "crate" => Which::Crate,
                        "reqwest" => Which::Reqwest,
                        "reqwest-typed" => Which::ReqwestTyped,
                        "reqwest-timers" => Which::ReqwestTimers,
                        "reqwest-one-timer" => Which::ReqwestOneTimer,
                        _ => usage("--client crate|reqwest|reqwest-typed"),
                    })
                }
                "--base-url" => base_url = Some(value.trim_end_matches('/').to_owned()),
                "--requests" => requests = number(),
                "--concurrency" => concurrency = number().max(1),
                "--warmup" => warmup = number(),
                _ => usage(&format!("unknown flag {flag}")),
            }
        }
        Args {
            client: client.unwrap_or_else(|| usage("--client is required")),
            base_url: base_url.unwrap_or_else(|| usage("--base-url is required")),
            requests,
            concurrency,
            warmup,
        }
    }

    /// A public token of the documented shape, `public_token_<uuid>`, distinct per call.
    fn public_token(i: usize) -> String {
        let i = i as u64;
        format!(
            "public_token_{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            i.wrapping_mul(2_654_435_761) as u32,
            (i >> 3) & 0xffff,
            i & 0xfff,
            (i >> 12) & 0xfff,
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15) & 0xffff_ffff_ffff
        )
    }

    type Op = Arc<
        dyn Fn(usize) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync,
    >;

    fn crate_op(base_url: &str) -> Op {
        use flexpa_link::server::{Client, SecretKey};
        let client = Client::builder(SecretKey::new(SECRET_KEY).expect("secret key"))
            .base_url(base_url)
            .build()
            .expect("crate client");
        Arc::new(move |i| {
            let client = client.clone();
            Box::pin(async move {
                let token =
                    flexpa_link::PublicToken::new(public_token(i)).map_err(|e| e.to_string())?;
                let tokens = client.exchange(&token).await.map_err(|e| e.to_string())?;
                std::hint::black_box(tokens);
                Ok(())
            })
        })
    }

    fn reqwest_op(base_url: &str, typed: bool, timers: u8) -> Op {
        // reqwest is built without a bundled TLS provider (as in the crate): install ring, as
        // any app using that build does. Plain http to 127.0.0.1 never uses it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::new();
        let url = format!("{base_url}/link/exchange");
        Arc::new(move |i| {
            let client = client.clone();
            let url = url.clone();
            let call = async move {
                let body = serde_json::json!({ "public_token": public_token(i), "secret_key": SECRET_KEY });
                let mut request = client.post(&url);
                if timers == 2 {
                    request = request.timeout(Duration::from_secs(30));
                }
                let response = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(serde_json::to_vec(&body).map_err(|e| e.to_string())?)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if response.status() != reqwest::StatusCode::OK {
                    return Err(format!("status {}", response.status()));
                }
                let bytes = response.bytes().await.map_err(|e| e.to_string())?;
                if typed {
                    let parsed: flexpa_link::server::ExchangeResponse =
                        serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
                    std::hint::black_box(parsed);
                } else {
                    std::hint::black_box(bytes);
                }
                Ok(())
            };
            Box::pin(async move {
                if timers > 0 {
                    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
                    tokio::time::timeout_at(deadline, call)
                        .await
                        .map_err(|_| "timeout".to_owned())?
                } else {
                    call.await
                }
            })
        })
    }

    /// CPU seconds (user + system) of this process so far.
    fn cpu_seconds() -> f64 {
        // SAFETY: getrusage writes into the struct we own; RUSAGE_SELF is always valid.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_SELF, &mut usage);
            usage
        };
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        secs(usage.ru_utime) + secs(usage.ru_stime)
    }

    struct Outcome {
        latencies: Vec<Duration>,
        errors: usize,
        first_error: Option<String>,
        elapsed: Duration,
    }

    async fn run(op: &Op, offset: usize, requests: usize, concurrency: usize) -> Outcome {
        let next = Arc::new(AtomicUsize::new(0));
        let first_error = Arc::new(Mutex::new(None::<String>));
        let started = Instant::now();
        let mut workers = Vec::with_capacity(concurrency);
        for _ in 0..concurrency {
            let (op, next, first_error) = (op.clone(), next.clone(), first_error.clone());
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(requests / concurrency + 1);
                let mut errors = 0;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests {
                        break;
                    }
                    let t = Instant::now();
                    let result = op(offset + i).await;
                    latencies.push(t.elapsed());
                    if let Err(e) = result {
                        errors += 1;
                        first_error.lock().unwrap().get_or_insert(e);
                    }
                }
                (latencies, errors)
            }));
        }
        let mut latencies = Vec::with_capacity(requests);
        let mut errors = 0;
        for worker in workers {
            let (l, e) = worker.await.expect("worker panicked");
            latencies.extend(l);
            errors += e;
        }
        let elapsed = started.elapsed();
        let first_error = first_error.lock().unwrap().take();
        Outcome {
            latencies,
            errors,
            first_error,
            elapsed,
        }
    }

    fn percentile(sorted: &[Duration], p: f64) -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e6
    }

    pub fn main() {
        let args = args();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        runtime.block_on(async {
            let op = match args.client {
                Which::Crate => crate_op(&args.base_url),
                Which::Reqwest => reqwest_op(&args.base_url, false, 0),
                Which::ReqwestTyped => reqwest_op(&args.base_url, true, 0),
                Which::ReqwestTimers => reqwest_op(&args.base_url, false, 2),
                Which::ReqwestOneTimer => reqwest_op(&args.base_url, false, 1),
            };
            if args.warmup > 0 {
                let warm = run(&op, 0, args.warmup, args.concurrency).await;
                if warm.errors > 0 {
                    eprintln!("warm-up failed: {}", warm.first_error.unwrap_or_default());
                    std::process::exit(1);
                }
            }
            let cpu_before = cpu_seconds();
            let mut outcome = run(&op, args.warmup, args.requests, args.concurrency).await;
            let cpu = cpu_seconds() - cpu_before;
            outcome.latencies.sort_unstable();
            let secs = outcome.elapsed.as_secs_f64();
            let client = match args.client {
                Which::Crate => "crate",
                Which::Reqwest => "reqwest",
                Which::ReqwestTyped => "reqwest-typed",
                Which::ReqwestTimers => "reqwest-timers",
                Which::ReqwestOneTimer => "reqwest-one-timer",
            };
            let line = serde_json::json!({
                "client": client,
                "concurrency": args.concurrency,
                "requests": args.requests,
                "warmup": args.warmup,
                "errors": outcome.errors,
                "first_error": outcome.first_error,
                "seconds": secs,
                "rps": args.requests as f64 / secs,
                "p50_us": percentile(&outcome.latencies, 50.0),
                "p99_us": percentile(&outcome.latencies, 99.0),
                "cpu_s": cpu,
                "cpu_us_per_req": cpu * 1e6 / args.requests as f64,
                "runtime_threads": threads,
            });
            println!("{line}");
            if outcome.errors > 0 {
                std::process::exit(1);
            }
        });
    }
}
