//! The records benchmark's Rust client: the crate's FHIR API against the local stand-in, one
//! scenario per process so that the peak memory belongs to that scenario alone.
//!
//! ```text
//! bench-records --base-url http://127.0.0.1:PORT --scenario everything|search
//!               [--iterations 20] [--warmup 2] [--heap]
//! ```
//! `everything` is `Fhir::everything::<Value>()` (one large Bundle); `search` is
//! `Fhir::search_all::<Value>("ExplanationOfBenefit", ...)`, which follows the next links.
//! Calls are sequential and each result is dropped before the next call, as a backend
//! handling one patient at a time would.
//!
//! Prints one JSON line: CPU seconds (user + system, `getrusage`) and wall seconds of the timed
//! iterations, the RSS before the first request (`VmRSS`) and the peak RSS of the whole process
//! (`VmHWM`, which includes the warm-up). With `--heap` (a diagnostic run: it counts every
//! allocation, so its CPU figure is not the one to report) it also prints the peak heap bytes
//! during one call and the heap bytes the returned value keeps: where the memory goes.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Instant;

    use flexpa_link::server::fhir::Bundle;
    use flexpa_link::server::{AccessToken, Client, SecretKey};
    use serde_json::Value;

    const SECRET_KEY: &str = "sk_test_bench_0123456789abcdef";
    /// Any token will do: the stand-in checks only that one is sent.
    const ACCESS_TOKEN: &str = "bench_access_token_0123456789abcdef";

    /// The system allocator, counting live and peak heap bytes only when `COUNTING` is on
    /// (`--heap`); otherwise one relaxed load per call, so the timed runs pay next to nothing.
    struct Counting;
    static COUNTING: AtomicBool = AtomicBool::new(false);
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    static PEAK: AtomicUsize = AtomicUsize::new(0);

    // SAFETY: every call goes straight to `System`; the counters are only bookkeeping.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = System.alloc(layout);
            if COUNTING.load(Ordering::Relaxed) && !p.is_null() {
                let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            }
            p
        }
        unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
            System.dealloc(p, layout);
            if COUNTING.load(Ordering::Relaxed) {
                LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            }
        }
        unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let q = System.realloc(p, layout, new_size);
            if COUNTING.load(Ordering::Relaxed) && !q.is_null() {
                // Counted as the new block appearing before the old one goes, as in a copy.
                let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
                PEAK.fetch_max(live, Ordering::Relaxed);
                LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            }
            q
        }
    }

    #[global_allocator]
    static ALLOCATOR: Counting = Counting;

    #[derive(Clone, Copy, PartialEq)]
    enum Scenario {
        Everything,
        Search,
    }

    struct Args {
        base_url: String,
        scenario: Scenario,
        iterations: usize,
        warmup: usize,
        heap: bool,
    }

    fn usage(why: &str) -> ! {
        eprintln!(
            "bench-records: {why}\nusage: bench-records --base-url URL --scenario everything|search \
             [--iterations 20] [--warmup 2] [--heap]"
        );
        std::process::exit(2)
    }

    fn args() -> Args {
        let (mut base_url, mut scenario) = (None, None);
        let (mut iterations, mut warmup, mut heap) = (20, 2, false);
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            if flag == "--heap" {
                heap = true;
                continue;
            }
            let value = it
                .next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
            let number = || {
                value
                    .parse::<usize>()
                    .unwrap_or_else(|_| usage(&format!("{flag} N")))
            };
            match flag.as_str() {
                "--base-url" => base_url = Some(value.trim_end_matches('/').to_owned()),
                "--scenario" => {
                    scenario = Some(match value.as_str() {
                        "everything" => Scenario::Everything,
                        "search" => Scenario::Search,
                        _ => usage("--scenario everything|search"),
                    })
                }
                "--iterations" => iterations = number(),
                "--warmup" => warmup = number(),
                _ => usage(&format!("unknown flag {flag}")),
            }
        }
        Args {
            base_url: base_url.unwrap_or_else(|| usage("--base-url is required")),
            scenario: scenario.unwrap_or_else(|| usage("--scenario is required")),
            iterations,
            warmup,
            heap,
        }
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

    /// A `/proc/self/status` field in KiB (`VmRSS`: now, `VmHWM`: the peak so far).
    fn status_kib(field: &str) -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// One call; the number of resources it returned. The value is dropped on return.
    async fn call(
        fhir: &flexpa_link::server::fhir::Fhir,
        scenario: Scenario,
        heap: &mut Option<HeapSample>,
    ) -> Result<usize, String> {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let (count, kept) = match scenario {
            Scenario::Everything => {
                let bundle: Bundle<Value> = fhir.everything().await.map_err(|e| e.to_string())?;
                let kept = LIVE.load(Ordering::Relaxed) - before;
                (std::hint::black_box(&bundle).resources().count(), kept)
            }
            Scenario::Search => {
                let all: Vec<Value> = fhir
                    .search_all(
                        "ExplanationOfBenefit",
                        &[("patient", "$PATIENT_ID"), ("_count", "100")],
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                let kept = LIVE.load(Ordering::Relaxed) - before;
                (std::hint::black_box(&all).len(), kept)
            }
        };
        if COUNTING.load(Ordering::Relaxed) {
            *heap = Some(HeapSample {
                peak: PEAK.load(Ordering::Relaxed) - before,
                kept,
            });
        }
        Ok(count)
    }

    fn fail<T>(e: String) -> T {
        eprintln!("bench-records: {e}");
        std::process::exit(1)
    }

    struct HeapSample {
        /// The most heap bytes live at once during the call, above what was live before it.
        peak: usize,
        /// The heap bytes the returned value holds (live right after the call).
        kept: usize,
    }

    pub fn main() {
        let args = args();
        // A multi-threaded runtime, as `#[tokio::main]` gives a typical backend.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let client = Client::builder(SecretKey::new(SECRET_KEY).expect("secret key"))
                .base_url(&args.base_url)
                .build()
                .expect("crate client");
            let fhir = client.fhir(&AccessToken::new(ACCESS_TOKEN).expect("access token"));
            let baseline_kib = status_kib("VmRSS");
            let mut heap = None;
            let mut resources = 0;
            for _ in 0..args.warmup {
                resources = call(&fhir, args.scenario, &mut heap).await.unwrap_or_else(fail);
            }
            let cpu_before = cpu_seconds();
            let started = Instant::now();
            for _ in 0..args.iterations {
                let n = call(&fhir, args.scenario, &mut heap).await.unwrap_or_else(fail);
                if resources != 0 && n != resources {
                    fail::<()>(format!("{n} resources, then {resources}: the answers differ"));
                }
                resources = n;
            }
            let wall = started.elapsed().as_secs_f64();
            let cpu = cpu_seconds() - cpu_before;
            // The diagnostic call, after the timed ones so that it cannot change their figures.
            if args.heap {
                COUNTING.store(true, Ordering::Relaxed);
                call(&fhir, args.scenario, &mut heap).await.unwrap_or_else(fail);
                COUNTING.store(false, Ordering::Relaxed);
            }
            let line = serde_json::json!({
                "client": "crate",
                "scenario": match args.scenario { Scenario::Everything => "everything", Scenario::Search => "search" },
                "iterations": args.iterations,
                "warmup": args.warmup,
                "resources": resources,
                "cpu_s": cpu,
                "wall_s": wall,
                "baseline_rss_kib": baseline_kib,
                "peak_rss_kib": status_kib("VmHWM"),
                "heap_peak_bytes": heap.as_ref().map(|h| h.peak),
                "heap_kept_bytes": heap.as_ref().map(|h| h.kept),
            });
            println!("{line}");
        });
    }
}
