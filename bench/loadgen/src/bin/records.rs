//! The records benchmark's Rust client: the crate's FHIR API against the local stand-in, one
//! scenario per process so that the peak memory belongs to that scenario alone.
//!
//! ```text
//! bench-records --base-url http://127.0.0.1:PORT --scenario everything|search
//!               [--iterations 20] [--warmup 2] [--heap] [--shape value|raw|pages]
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
//! `--shape raw` reads each resource as the crate's `RawResource` (its JSON text) and `--shape pages`
//! reads the search with `search_pages`, one page alive at a time: diagnostics for what a
//! caller can do about the time and memory of `Value`.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
    use std::time::Instant;

    use flexpa_link::server::fhir::RawResource;
    use flexpa_link::server::fhir::{Bundle, Fhir};
    use flexpa_link::server::{AccessToken, Client, SecretKey};
    use serde::de::DeserializeOwned;
    use serde_json::Value;

    const SECRET_KEY: &str = "sk_test_bench_0123456789abcdef";
    /// Any token will do: the stand-in checks only that one is sent.
    const ACCESS_TOKEN: &str = "bench_access_token_0123456789abcdef";

    /// The system allocator, counting live and peak heap bytes only when `COUNTING` is on
    /// (`--heap`); otherwise one relaxed load per call, so the timed runs pay next to nothing.
    struct Counting;
    static COUNTING: AtomicBool = AtomicBool::new(false);
    // Signed: a block allocated before counting started and freed after makes LIVE go down
    // (even below zero); only differences of LIVE within one call are used.
    static LIVE: AtomicIsize = AtomicIsize::new(0);
    static PEAK: AtomicIsize = AtomicIsize::new(0);
    static ALLOCATIONS: AtomicIsize = AtomicIsize::new(0);

    // SAFETY: every call goes straight to `System`; the counters are only bookkeeping.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = System.alloc(layout);
            if COUNTING.load(Ordering::Relaxed) && !p.is_null() {
                ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
                let size = layout.size() as isize;
                let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
                PEAK.fetch_max(live, Ordering::Relaxed);
            }
            p
        }
        unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
            System.dealloc(p, layout);
            if COUNTING.load(Ordering::Relaxed) {
                LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
            }
        }
        unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let q = System.realloc(p, layout, new_size);
            if COUNTING.load(Ordering::Relaxed) && !q.is_null() {
                // Counted as the new block appearing before the old one goes, as in a copy.
                let live = LIVE.fetch_add(new_size as isize, Ordering::Relaxed) + new_size as isize;
                PEAK.fetch_max(live, Ordering::Relaxed);
                LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
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

    /// What the resources are read into. `value` is what is reported; the others are
    /// diagnostics for where the time and memory go.
    #[derive(Clone, Copy, PartialEq)]
    enum Shape {
        /// `serde_json::Value`: every resource a tree of maps, strings and numbers.
        Value,
        /// `RawResource`: every resource kept as its JSON text (checked, not parsed into a tree).
        Raw,
        /// search only: `search_pages::<Value>`, each page dropped before the next is read.
        Pages,
    }

    struct Args {
        base_url: String,
        scenario: Scenario,
        shape: Shape,
        iterations: usize,
        warmup: usize,
        heap: bool,
    }

    fn usage(why: &str) -> ! {
        eprintln!(
            "bench-records: {why}\nusage: bench-records --base-url URL --scenario everything|search \
             [--iterations 20] [--warmup 2] [--heap] [--shape value|raw|pages]"
        );
        std::process::exit(2)
    }

    fn args() -> Args {
        let (mut base_url, mut scenario, mut shape) = (None, None, Shape::Value);
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
                "--shape" => {
                    shape = match value.as_str() {
                        "value" => Shape::Value,
                        "raw" => Shape::Raw,
                        "pages" => Shape::Pages,
                        _ => usage("--shape value|raw|pages"),
                    }
                }
                "--iterations" => iterations = number(),
                "--warmup" => warmup = number(),
                _ => usage(&format!("unknown flag {flag}")),
            }
        }
        Args {
            base_url: base_url.unwrap_or_else(|| usage("--base-url is required")),
            scenario: scenario.unwrap_or_else(|| usage("--scenario is required")),
            shape,
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
        fhir: &Fhir,
        scenario: Scenario,
        shape: Shape,
        heap: &mut Option<HeapSample>,
    ) -> Result<usize, String> {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let allocations = ALLOCATIONS.load(Ordering::Relaxed);
        let (count, kept) = match (scenario, shape) {
            (Scenario::Everything, Shape::Raw) => everything::<RawResource>(fhir, before).await?,
            (Scenario::Everything, _) => everything::<Value>(fhir, before).await?,
            (Scenario::Search, Shape::Value) => search_all::<Value>(fhir, before).await?,
            (Scenario::Search, Shape::Raw) => search_all::<RawResource>(fhir, before).await?,
            (Scenario::Search, Shape::Pages) => search_pages(fhir, before).await?,
        };
        if COUNTING.load(Ordering::Relaxed) {
            *heap = Some(HeapSample {
                peak: (PEAK.load(Ordering::Relaxed) - before).max(0) as usize,
                kept,
                allocations: (ALLOCATIONS.load(Ordering::Relaxed) - allocations) as usize,
            });
        }
        Ok(count)
    }

    const SEARCH: (&str, &[(&str, &str)]) = (
        "ExplanationOfBenefit",
        &[("patient", "$PATIENT_ID"), ("_count", "100")],
    );

    /// `$everything` as `Bundle<T>`: (resources, heap bytes the Bundle holds).
    async fn everything<T: DeserializeOwned>(
        fhir: &Fhir,
        before: isize,
    ) -> Result<(usize, usize), String> {
        let bundle: Bundle<T> = fhir.everything().await.map_err(|e| e.to_string())?;
        let kept = (LIVE.load(Ordering::Relaxed) - before).max(0) as usize;
        Ok((std::hint::black_box(&bundle).resources().count(), kept))
    }

    /// Every page of the search, kept: (resources, heap bytes they hold).
    async fn search_all<T: DeserializeOwned>(
        fhir: &Fhir,
        before: isize,
    ) -> Result<(usize, usize), String> {
        let all: Vec<T> = fhir
            .search_all(SEARCH.0, SEARCH.1)
            .await
            .map_err(|e| e.to_string())?;
        let kept = (LIVE.load(Ordering::Relaxed) - before).max(0) as usize;
        Ok((std::hint::black_box(&all).len(), kept))
    }

    /// The search one page at a time, each dropped before the next (the streaming API):
    /// (resources, heap bytes of the largest page).
    async fn search_pages(fhir: &Fhir, before: isize) -> Result<(usize, usize), String> {
        let mut pages = fhir.search_pages::<Value>(SEARCH.0, SEARCH.1);
        let (mut count, mut kept) = (0, 0);
        while let Some(page) = pages.next().await.map_err(|e| e.to_string())? {
            kept = kept.max((LIVE.load(Ordering::Relaxed) - before).max(0) as usize);
            count += std::hint::black_box(&page).resources().count();
        }
        Ok((count, kept))
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
        /// How many allocations (`alloc`, not `realloc`) the call made.
        allocations: usize,
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
                resources = call(&fhir, args.scenario, args.shape, &mut heap).await.unwrap_or_else(fail);
            }
            let cpu_before = cpu_seconds();
            let started = Instant::now();
            for _ in 0..args.iterations {
                let n = call(&fhir, args.scenario, args.shape, &mut heap).await.unwrap_or_else(fail);
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
                call(&fhir, args.scenario, args.shape, &mut heap).await.unwrap_or_else(fail);
                COUNTING.store(false, Ordering::Relaxed);
            }
            let line = serde_json::json!({
                "client": "crate",
                "scenario": match args.scenario { Scenario::Everything => "everything", Scenario::Search => "search" },
                "shape": match args.shape { Shape::Value => "value", Shape::Raw => "raw", Shape::Pages => "pages" },
                "iterations": args.iterations,
                "warmup": args.warmup,
                "resources": resources,
                "cpu_s": cpu,
                "wall_s": wall,
                "baseline_rss_kib": baseline_kib,
                "peak_rss_kib": status_kib("VmHWM"),
                "heap_peak_bytes": heap.as_ref().map(|h| h.peak),
                "heap_kept_bytes": heap.as_ref().map(|h| h.kept),
                "heap_allocations": heap.as_ref().map(|h| h.allocations),
            });
            println!("{line}");
        });
    }
}
