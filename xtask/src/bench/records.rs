//! `cargo xtask bench records`, also section 4 of `cargo xtask bench` (issue 9, item 6): the
//! crate's FHIR client (bench-records) next to @flexpa/node-sdk 1.0.0
//! (bench/js/node-sdk-records.mjs), each as its own process, against bench-standin (the
//! offline sandbox behind a bench layer) serving synthetic records
//!   everything: GET /fhir/Patient/$PATIENT_ID/$everything, one ~20 MB searchset Bundle;
//!   search:     GET /fhir/ExplanationOfBenefit?patient=..., 10 pages x 100 resources by next links.
//! Each (scenario, client) pair is its own process run, so that the peak RSS is that scenario's;
//! each row is the median (by CPU seconds) of BENCH_REPS interleaved runs. The results go to
//! RESULTS/records*; bench/js/records-report.mjs turns them into a markdown section, writes it
//! to RESULTS/records.md (which report.mjs includes in the full run) and, run alone, into
//! BENCH_OUT (BENCHMARKS.md) between the `records:begin`/`records:end` markers.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{
    commit, crate_versions, fetch_text, knob, load_average, machine, need, now, npm_version, out,
    quick, write, Bench, Pinning,
};
use crate::cmd::{self, cmd, Fail, Result};
use crate::env::{self, Toolchain};

/// The node-sdk version the section compares with (its prose names it).
const NODE_SDK: &str = "1.0.0";
/// The search's pages and resources per page, as the section describes them.
const PAGES: u64 = 10;
const PAGE_SIZE: u64 = 100;

/// The diagnostics of where the crate's time and memory go, one run each: (scenario, shape).
const DIAGNOSTICS: [(&str, &str); 5] = [
    ("everything", "value"),
    ("everything", "raw"),
    ("search", "value"),
    ("search", "raw"),
    ("search", "pages"),
];

/// The counts of a run: BENCH_RECORDS_EVERYTHING, BENCH_RECORDS_SEARCH, BENCH_RECORDS_WARMUP,
/// BENCH_RECORDS_BYTES, BENCH_REPS; smaller defaults with BENCH_QUICK=1.
pub struct Params {
    pub everything: u64,
    pub search: u64,
    pub warmup: u64,
    pub bytes: u64,
    pub reps: u64,
}

impl Params {
    pub fn from_env(quick: bool) -> Result<Params> {
        let q = |full: u64, quick_value: u64| if quick { quick_value } else { full };
        Ok(Params {
            everything: knob("BENCH_RECORDS_EVERYTHING", q(20, 2))?,
            search: knob("BENCH_RECORDS_SEARCH", q(50, 3))?,
            warmup: knob("BENCH_RECORDS_WARMUP", q(2, 1))?,
            bytes: knob("BENCH_RECORDS_BYTES", 20_000_000)?,
            reps: knob("BENCH_REPS", q(3, 1))?,
        })
    }

    /// The timed iterations of `scenario`, and the FHIR requests one call makes.
    fn iterations(&self, scenario: &str) -> (u64, u64) {
        match scenario {
            "everything" => (self.everything, 1),
            _ => (self.search, PAGES),
        }
    }

    /// The `params=` line of the section.
    fn describe(&self) -> String {
        format!(
            "everything {} iterations, search {} iterations of {PAGES} pages, {} warm-up each, median of {} runs",
            self.everything, self.search, self.warmup, self.reps
        )
    }
}

/// `cargo xtask bench records`: the section alone, written into BENCHMARKS.md (or BENCH_OUT)
/// and printed; the results in BENCH_RESULTS (target/bench/results).
pub fn main(root: &Path, tc: &Toolchain) -> Result {
    let params = Params::from_env(quick())?;
    let results = std::env::var_os("BENCH_RESULTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| env::target_dir(root).join("bench/results"));
    let out = std::env::var_os("BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("BENCHMARKS.md"));
    let section = run(root, tc, &params, &results, Some(&out))?;
    println!("{section}");
    Ok(())
}

/// Runs the benchmark and writes RESULTS/records.md, and the section into `bench_out`
/// (BENCHMARKS.md) when given; returns the section.
pub fn run(
    root: &Path,
    tc: &Toolchain,
    params: &Params,
    results: &Path,
    bench_out: Option<&Path>,
) -> Result<String> {
    need(&["node", "npm"])?;
    cmd::mkdir(results)?;
    let mut b = Bench::new(root, tc, Some(&results.join("records-commands.txt")))?;
    let bin = b.build_native()?;
    b.npm_ci_unless_there(&["@flexpa/node-sdk"])?;
    let sdk = npm_version(root, "@flexpa/node-sdk")?;
    if sdk != NODE_SDK {
        return Err(Fail::new(format!(
            "@flexpa/node-sdk is {sdk}, the benchmark compares with {NODE_SDK}: (cd bench/js && npm ci)"
        )));
    }

    let pin = Pinning::detect();
    let (standin, base_url) = b.start_standin(
        &pin,
        &bin,
        &[
            "--exit-after",
            "3600",
            "--everything-bytes",
            &params.bytes.to_string(),
            "--pages",
            &PAGES.to_string(),
            "--page-size",
            &PAGE_SIZE.to_string(),
        ],
        &results.join("records-standin.log"),
    )?;
    let bodies = fetch_text(&format!("{base_url}/__bench/records"))?;
    write(&results.join("records-bodies.json"), &format!("{bodies}\n"))?;
    println!(
        "stand-in at {base_url}; {}; bodies {bodies}",
        pin.describe()
    );

    let jsonl = results.join("records.jsonl");
    write(&jsonl, "")?;
    let mut clients = Clients {
        b: &mut b,
        pin: &pin,
        bin: &bin,
        params,
        base_url: &base_url,
        jsonl: &jsonl,
    };
    let expected = clients.timed_runs()? + clients.diagnostic_runs()?;
    let served = fetch_text(&format!("{base_url}/__bench/fhir-count"))?;
    drop(standin);
    if served != expected.to_string() {
        return Err(Fail::new(format!(
            "the stand-in served {served} FHIR requests, expected {expected}: some client did not do its calls (see {})",
            jsonl.display()
        )));
    }

    let meta = meta(root, &pin, params, &sdk, &served)?;
    write(&results.join("records-meta.txt"), &meta)?;
    report(&mut b, results, bench_out)
}

/// records-meta.txt: the machine, the versions and the run, as `key=value` lines.
fn meta(root: &Path, pin: &Pinning, params: &Params, sdk: &str, served: &str) -> Result<String> {
    let mut m = machine(pin.cores);
    m.extend([
        format!("rustc={}", out(&mut cmd("rustc", ["--version"]))),
        format!("node={}", out(&mut cmd("node", ["--version"]))),
        format!("node_sdk={sdk}"),
    ]);
    m.extend(crate_versions(
        root,
        &["serde_json", "reqwest", "hyper", "tokio"],
    )?);
    m.extend([
        format!("commit={}", commit(root, &["src", "Cargo.toml", "bench"])),
        format!("date={}", now()),
        format!("pinning={}", pin.describe()),
        format!("served={served}"),
        format!("params={}", params.describe()),
    ]);
    Ok(m.join("\n") + "\n")
}

/// bench/js/records-report.mjs: the section from the results, into RESULTS/records.md and,
/// when given, `bench_out`; returns the section.
fn report(b: &mut Bench, results: &Path, bench_out: Option<&Path>) -> Result<String> {
    let mut report = cmd("node", [b.root.join("bench/js/records-report.mjs")]);
    report.arg("--results").arg(results);
    if let Some(bench_out) = bench_out {
        report.arg("--out").arg(bench_out);
    }
    // Listed before it runs, so that the section it writes shows it.
    b.record(&report);
    cmd::output(&mut report)
}

/// The client runs against one stand-in, each line of output appended to `jsonl`.
struct Clients<'r, 'a> {
    b: &'r mut Bench<'a>,
    pin: &'r Pinning,
    bin: &'r Path,
    params: &'r Params,
    base_url: &'r str,
    jsonl: &'r Path,
}

impl Clients<'_, '_> {
    /// BENCH_REPS rounds of both scenarios with both clients; returns the FHIR requests they
    /// make.
    fn timed_runs(&mut self) -> Result<u64> {
        let (params, mut requests) = (self.params, 0);
        for rep in 1..=params.reps {
            for scenario in ["everything", "search"] {
                let (iterations, per_call) = params.iterations(scenario);
                for client in client_order(rep) {
                    println!("run {rep}/{}: {scenario}, {client}", params.reps);
                    let mut c = if client == "crate" {
                        self.pin.client(&self.bin.join("bench-records"))
                    } else {
                        let mut c = self.pin.client(Path::new("node"));
                        c.arg(self.b.root.join("bench/js/node-sdk-records.mjs"));
                        c
                    };
                    self.args(&mut c, scenario, iterations);
                    let load = format!(r#""load":"{}""#, load_average());
                    self.b.run_tee(&mut c, self.jsonl, &load)?;
                    requests += (iterations + params.warmup) * per_call;
                }
            }
        }
        Ok(requests)
    }

    /// Where the crate's time and memory go (diagnostics, one run each): one more call per
    /// scenario with every allocation counted (--heap; the timed calls run before counting
    /// starts), with the resources as Value (no timed calls: the timed runs time those), as
    /// their JSON text (--shape raw), and for the search one page at a time (--shape pages).
    /// Returns the FHIR requests they make.
    fn diagnostic_runs(&mut self) -> Result<u64> {
        let mut requests = 0;
        for (scenario, shape) in DIAGNOSTICS {
            let (iterations, per_call) = self.params.iterations(scenario);
            let iterations = if shape == "value" { 0 } else { iterations };
            let mut c = self.pin.client(&self.bin.join("bench-records"));
            self.args(&mut c, scenario, iterations);
            c.args(["--shape", shape, "--heap"]);
            self.b.run_tee(&mut c, self.jsonl, r#""diagnostic":true"#)?;
            requests += (iterations + self.params.warmup + 1) * per_call;
        }
        Ok(requests)
    }

    /// The arguments both clients take.
    fn args(&self, c: &mut Command, scenario: &str, iterations: u64) {
        c.args(["--base-url", self.base_url, "--scenario", scenario])
            .args(["--iterations", &iterations.to_string()])
            .args(["--warmup", &self.params.warmup.to_string()]);
    }
}

/// Which client runs first in round `rep` (from 1): they alternate, so that neither always
/// runs in the other's wake.
fn client_order(rep: u64) -> [&'static str; 2] {
    if rep % 2 == 1 {
        ["crate", "node-sdk"]
    } else {
        ["node-sdk", "crate"]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clients_take_turns_going_first() {
        assert_eq!(client_order(1), ["crate", "node-sdk"]);
        assert_eq!(client_order(2), ["node-sdk", "crate"]);
        assert_eq!(client_order(3), client_order(1));
    }

    #[test]
    fn a_search_call_reads_every_page() {
        let p = Params {
            everything: 20,
            search: 50,
            warmup: 2,
            bytes: 1,
            reps: 3,
        };
        assert_eq!(p.iterations("everything"), (20, 1));
        assert_eq!(p.iterations("search"), (50, PAGES));
    }
}
