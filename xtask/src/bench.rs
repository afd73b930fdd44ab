//! `cargo xtask bench` (not part of the test command): measures, in one run,
//!   1. wasm size: examples/minimal (the crate) against bench/handwritten-minimal (the same app
//!      with only wasm-bindgen/js-sys/web-sys), release profile (opt-level z, LTO, one codegen
//!      unit, panic=abort), wasm-bindgen --target web, wasm-opt -Oz; raw and gzip -9;
//!      and 1b: what each framework hook crate adds to a one-button app of its framework, built
//!      and measured the same way (bench/hook-size/*, bench/hooks.rs, which also runs alone:
//!      `cargo xtask bench hooks`);
//!   2. server: the crate's Client::exchange, a bare reqwest POST and @flexpa/node-sdk (Node),
//!      each as its own process, 20,000 exchanges at concurrency 1 and 64 against the offline
//!      sandbox's POST /link/exchange (bench-standin: flexpa-sandbox behind a bench layer), and
//!      instructions per exchange (callgrind, when valgrind is installed);
//!   3. browser: load() to ready against a plain <script> tag (median of 50 page loads in
//!      headless /usr/bin/chromium), and 10,000 create/open/close cycles counting iframes,
//!      window message listeners, wasm memory pages and the JS heap;
//!   4. records: the crate's FHIR client and @flexpa/node-sdk, $everything of a ~20 MB Bundle and
//!      a 10-page search (bench/records.rs, which also runs alone: `cargo xtask bench records`);
//!
//! then prints one table and writes BENCHMARKS.md (machine, versions, commands, table, goals).
//! `cargo xtask bench size` runs only part 1 and prints the sizes, for iterating on size.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use crate::cmd::{self, cmd, Fail, Result};
use crate::env::{self, Toolchain, WASM_TARGET};
use crate::{examples, lock};

mod hooks;
mod records;

pub const USAGE: &str = "\
cargo xtask bench              the full run (about 6 minutes on 2 cores once built, plus a few for
                               the records); writes BENCHMARKS.md
BENCH_QUICK=1 cargo xtask bench  a smoke run with small counts (numbers not meaningful)
cargo xtask bench size [--names]
                               only the wasm size part (same builds, same flags), no BENCHMARKS.md;
                               --names also keeps a names (-g) copy of the crate app for twiggy:
                               target/bench/size-only/names/app_bg.wasm
cargo xtask bench hooks        only section 1b: what each framework hook crate (Yew, Leptos, Dioxus)
                               adds to a one-button app of its framework (bench/hook-size/*; six
                               release builds, the first takes minutes each); writes its section
                               of BENCHMARKS.md and prints its table
cargo xtask bench records      only section 4, the FHIR records (a few minutes on 2 cores once
                               built); writes its section of BENCHMARKS.md (BENCH_QUICK=1 works too)

Knobs: BENCH_REQUESTS (20000), BENCH_WARMUP (500), BENCH_REPS (3: each server and records row is
the median of this many interleaved runs), BENCH_LOADS (50), BENCH_CYCLES (10000),
BENCH_CYCLE_WARMUP (100), BENCH_OUT (BENCHMARKS.md at the repo root); for the records:
BENCH_RECORDS_EVERYTHING (20 iterations), BENCH_RECORDS_SEARCH (50 iterations of 10 pages),
BENCH_RECORDS_WARMUP (2), BENCH_RECORDS_BYTES (20000000), and, run alone, BENCH_RESULTS
(target/bench/results).
Needs: the wasm32 toolchain and wasm-bindgen (cargo xtask setup), Node 20 + npm,
/usr/bin/chromium, gzip. wasm-opt comes from npm (binaryen, bench/js/package.json): Debian's
binaryen 108 cannot parse the table.fill that wasm-bindgen 0.2.130 emits.";

pub fn main(root: &Path, args: &[String]) -> Result {
    let tc = Toolchain::detect(root)?;
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => full(root, &tc),
        ["size"] => size_only(root, &tc, false),
        ["size", "--names"] => size_only(root, &tc, true),
        ["records"] => records::main(root, &tc),
        ["hooks"] => hooks::main(root, &tc),
        _ => Err(Fail::usage(USAGE)),
    }
}

/// Runs commands for the benchmark and records each (relative to the repo root) for
/// BENCHMARKS.md.
struct Bench<'a> {
    root: &'a Path,
    tc: &'a Toolchain,
    commands: Option<File>,
    wasm_opt: PathBuf,
    busy: Vec<String>,
}

impl<'a> Bench<'a> {
    /// A benchmark run that lists its commands in the file `commands` (created empty), if any.
    fn new(root: &'a Path, tc: &'a Toolchain, commands: Option<&Path>) -> Result<Bench<'a>> {
        let commands = match commands {
            Some(path) => Some(
                File::create(path)
                    .map_err(|e| Fail::new(format!("cannot write {}: {e}", path.display())))?,
            ),
            None => None,
        };
        Ok(Bench {
            root,
            tc,
            commands,
            wasm_opt: PathBuf::new(),
            busy: Vec::new(),
        })
    }

    fn record(&mut self, c: &Command) {
        let line = cmd::display(c).replace(&format!("{}/", self.root.display()), "");
        if let Some(f) = &mut self.commands {
            let _ = writeln!(f, "{line}");
        }
    }

    /// A line in the commands list that is not a command run here (a note, or a section).
    fn note(&mut self, line: &str) {
        if let Some(f) = &mut self.commands {
            let _ = writeln!(f, "{line}");
        }
    }

    fn run(&mut self, c: &mut Command) -> Result {
        self.record(c);
        cmd::run(c)
    }

    /// Runs, echoes its stdout and appends it to `log` (as `| tee -a`), with `fields` (JSON
    /// members such as `"load":"0.5"`, or "") added to each JSON object line.
    fn run_tee(&mut self, c: &mut Command, log: &Path, fields: &str) -> Result<String> {
        self.record(c);
        println!("+ {}", cmd::display(c));
        let out = cmd::output(c)?;
        let out = out
            .lines()
            .map(|line| with_fields(line, fields))
            .collect::<Vec<_>>()
            .join("\n");
        println!("{out}");
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| Fail::new(format!("cannot write {}: {e}", log.display())))?;
        let _ = writeln!(f, "{out}");
        Ok(out)
    }

    fn wasm_build(&mut self, pkg: &str, features: &[&str]) -> Result {
        let mut args = vec!["build", "--release", "--target", WASM_TARGET, "-p", pkg];
        args.extend(features);
        let mut c = self.tc.wasm_cargo(&args)?;
        self.run(c.current_dir(self.root))
    }

    /// wasm-bindgen --target web, then wasm-opt -Oz (with `opt_args`): DIR/NAME.js, DIR/NAME_bg.wasm.
    fn bindgen_opt(&mut self, wasm: &Path, dir: &Path, name: &str, opt_args: &[&str]) -> Result {
        cmd::rmdir(dir)?;
        self.run(
            cmd(
                "wasm-bindgen",
                ["--target", "web", "--no-typescript", "--out-dir"],
            )
            .arg(dir)
            .args(["--out-name", name])
            .arg(wasm),
        )?;
        let out = dir.join(format!("{name}_bg.wasm"));
        let wasm_opt = self.wasm_opt.clone();
        self.run(
            cmd(wasm_opt, ["-Oz"])
                .args(opt_args)
                .arg(&out)
                .arg("-o")
                .arg(&out),
        )
    }

    /// Notes how many compilers run besides us and the load average (the machine may be shared).
    fn sample_busy(&mut self, label: &str) {
        let procs = cmd::output(&mut cmd("ps", ["-eo", "comm="])).unwrap_or_default();
        let busy = procs
            .lines()
            .filter(|p| {
                ["rustc", "cc1", "cc1plus", "ld", "rust-lld", "wasm-opt"].contains(&p.trim())
            })
            .count();
        self.busy.push(format!("{label}:{busy}:{}", load_average()));
    }

    /// Builds the native benchmark programs (bench-standin, bench-loadgen, bench-records) with
    /// the bench-native profile; returns the directory they are in.
    fn build_native(&mut self) -> Result<PathBuf> {
        self.run(
            cmd(
                "cargo",
                [
                    "build",
                    "--profile",
                    "bench-native",
                    "-p",
                    "flexpa-link-bench-loadgen",
                ],
            )
            .current_dir(self.root),
        )?;
        Ok(env::target_dir(self.root).join("bench-native"))
    }

    /// `npm ci` in bench/js when any of `modules` is missing from its node_modules.
    fn npm_ci_unless_there(&mut self, modules: &[&str]) -> Result {
        let js = self.root.join("bench/js");
        if modules
            .iter()
            .all(|m| js.join("node_modules").join(m).is_dir())
        {
            return Ok(());
        }
        // playwright-core only drives /usr/bin/chromium: no browser is downloaded.
        self.run(
            cmd("npm", ["ci", "--no-audit", "--no-fund"])
                .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
                .current_dir(&js),
        )
    }

    /// Starts bench-standin on the stand-in's core with `args` (after `--addr 127.0.0.1:0`), its
    /// output in `log`, and waits until it listens: the guard that stops it, and its base URL.
    fn start_standin(
        &mut self,
        pin: &Pinning,
        bin: &Path,
        args: &[&str],
        log: &Path,
    ) -> Result<(Standin, String)> {
        let file = File::create(log)
            .map_err(|e| Fail::new(format!("cannot write {}: {e}", log.display())))?;
        let mut c = pin.server(&bin.join("bench-standin"));
        c.args(["--addr", "127.0.0.1:0"]).args(args);
        self.record(&c);
        c.stdout(file.try_clone().map_err(|e| Fail::new(e.to_string()))?)
            .stderr(file);
        let mut standin = Standin(c.spawn().map_err(|e| {
            Fail::new(format!(
                "cannot start {}: {e} (built by `cargo build --profile bench-native -p flexpa-link-bench-loadgen`)",
                bin.join("bench-standin").display()
            ))
        })?);
        // Up to 30 s: given records to serve, it makes them before it listens.
        for _ in 0..300 {
            let text = fs::read_to_string(log).unwrap_or_default();
            if let Some(url) = text.lines().find_map(|l| l.strip_prefix("listening on ")) {
                return Ok((standin, url.trim().to_owned()));
            }
            if let Ok(Some(status)) = standin.0.try_wait() {
                return Err(Fail::new(format!(
                    "the stand-in exited ({status}) before listening:\n{text}"
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let text = fs::read_to_string(log).unwrap_or_default();
        Err(Fail::new(format!(
            "the stand-in did not listen within 30 s:\n{text}"
        )))
    }
}

/// `line` with `fields` put first into it when it is a JSON object and `fields` is not empty:
/// ("{\"a\":1}", "\"load\":\"0.5\"") -> "{\"load\":\"0.5\",\"a\":1}".
fn with_fields(line: &str, fields: &str) -> String {
    match line.strip_prefix('{') {
        Some(rest) if !fields.is_empty() => format!("{{{fields},{rest}"),
        _ => line.to_owned(),
    }
}

/// The 1-minute load average, as /proc/loadavg has it ("" where there is none).
fn load_average() -> String {
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    load.split(' ').next().unwrap_or("").to_owned()
}

/// Where the stand-in and the clients run: the stand-in on the last core and every client on
/// the others, when taskset is installed and there are two cores or more, so that the server
/// never takes CPU from the client being measured.
struct Pinning {
    cores: usize,
    taskset: bool,
}

impl Pinning {
    fn detect() -> Pinning {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        Pinning {
            cores,
            taskset: cmd::which("taskset").is_some() && cores >= 2,
        }
    }

    fn server_cpus(&self) -> String {
        format!("{}", self.cores.saturating_sub(1))
    }

    fn client_cpus(&self) -> String {
        format!("0-{}", self.cores.saturating_sub(2))
    }

    /// `program`, on the stand-in's core.
    fn server(&self, program: &Path) -> Command {
        self.pinned(program, self.server_cpus())
    }

    /// `program`, on the clients' cores.
    fn client(&self, program: &Path) -> Command {
        self.pinned(program, self.client_cpus())
    }

    fn pinned(&self, program: &Path, cpus: String) -> Command {
        if self.taskset {
            cmd(
                "taskset",
                ["-c".as_ref(), cpus.as_ref(), program.as_os_str()],
            )
        } else {
            Command::new(program)
        }
    }

    /// For the report.
    fn describe(&self) -> String {
        if self.taskset {
            format!(
                "stand-in pinned to CPU {}, each client process to CPU {} (taskset)",
                self.server_cpus(),
                self.client_cpus()
            )
        } else {
            "no pinning (taskset missing or 1 core): stand-in and clients share the cores"
                .to_owned()
        }
    }
}

/// The body of GET `url`, trimmed. Node's fetch, which every benchmark run has: xtask has
/// no HTTP client of its own.
fn fetch_text(url: &str) -> Result<String> {
    cmd::output(&mut cmd(
        "node",
        [
            "-e",
            "fetch(process.argv[1]).then(r => r.text()).then(t => console.log(t.trim()))",
            url,
        ],
    ))
}

/// Fails naming the first of `tools` (names on PATH or absolute paths) that is missing.
fn need(tools: &[&str]) -> Result {
    for tool in tools {
        if cmd::which(tool).is_none() && !cmd::is_executable(Path::new(tool)) {
            return Err(Fail::new(format!(
                "missing: {tool} (cargo xtask setup installs it)"
            )));
        }
    }
    Ok(())
}

/// Whether BENCH_QUICK=1: a smoke run with small counts.
fn quick() -> bool {
    std::env::var("BENCH_QUICK").as_deref() == Ok("1")
}

fn knob(name: &str, default: u64) -> Result<u64> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .map_err(|_| Fail::usage(format!("{name} must be a number, not '{v}'"))),
        _ => Ok(default),
    }
}

/// Builds the two size subjects, returns their directories (crate, hand-written).
fn size_builds(b: &mut Bench, work: &Path, names: bool) -> Result<(PathBuf, PathBuf)> {
    // One cargo invocation per app, so that each is built with exactly its own dependency
    // features (one invocation would unify wasm-bindgen/js-sys/web-sys features across them).
    for pkg in ["example-minimal", "handwritten-minimal"] {
        b.wasm_build(pkg, &[])?;
    }
    let rel = env::target_dir(b.root).join(WASM_TARGET).join("release");
    let (krate, hand) = (work.join("crate"), work.join("handwritten"));
    b.bindgen_opt(&rel.join("example_minimal.wasm"), &krate, "app", &[])?;
    b.bindgen_opt(&rel.join("handwritten_minimal.wasm"), &hand, "app", &[])?;
    if names {
        b.bindgen_opt(
            &rel.join("example_minimal.wasm"),
            &work.join("names"),
            "app",
            &["-g"],
        )?;
    }
    Ok((krate, hand))
}

/// (wasm, wasm gzip, js, js gzip) of a bindgen_opt directory named `app`. "js" is all the
/// JavaScript the page loads: the glue app.js plus the crate's JS modules that wasm-bindgen
/// copies to snippets/ (src/browser/core.js), each gzipped on its own as served.
fn app_sizes(dir: &Path) -> Result<[u64; 4]> {
    let (w, wg) = cmd::sizes(&dir.join("app_bg.wasm"))?;
    let (mut j, mut jg) = (0, 0);
    for file in js_files(dir)? {
        let (raw, gz) = cmd::sizes(&file)?;
        j += raw;
        jg += gz;
    }
    Ok([w, wg, j, jg])
}

/// Every `.js` file below `dir`, sorted.
fn js_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        let entries = std::fs::read_dir(&d)
            .map_err(|e| Fail::new(format!("cannot read {}: {e}", d.display())))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|x| x == "js") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn size_json(dir: &Path) -> Result<String> {
    let [w, wg, j, jg] = app_sizes(dir)?;
    Ok(format!(
        r#"{{"wasm":{w},"wasm_gz":{wg},"js":{j},"js_gz":{jg}}}"#
    ))
}

fn npm_wasm_opt(root: &Path) -> Result<PathBuf> {
    let wasm_opt = root.join("bench/js/node_modules/.bin/wasm-opt");
    if !cmd::is_executable(&wasm_opt) {
        return Err(Fail::new(format!(
            "missing {}: (cd bench/js && npm ci)",
            wasm_opt.display()
        )));
    }
    Ok(wasm_opt)
}

fn size_only(root: &Path, tc: &Toolchain, names: bool) -> Result {
    examples::check_wasm_bindgen(root)?;
    let mut b = Bench::new(root, tc, None)?;
    b.wasm_opt = npm_wasm_opt(root)?;
    let work = env::target_dir(root).join("bench/size-only");
    let (krate, hand) = size_builds(&mut b, &work, names)?;
    let [cw, cwg, cj, cjg] = app_sizes(&krate)?;
    let [hw, hwg, hj, hjg] = app_sizes(&hand)?;
    println!(
        "{:<22} {:>8} {:>10} {:>8} {:>8} {:>11}",
        "build", "wasm", "wasm_gz", "js", "js_gz", "total_gz"
    );
    println!(
        "{:<22} {cw:>8} {cwg:>10} {cj:>8} {cjg:>8} {:>11}",
        "examples/minimal",
        cwg + cjg
    );
    println!(
        "{:<22} {hw:>8} {hwg:>10} {hj:>8} {hjg:>8} {:>11}",
        "handwritten-minimal",
        hwg + hjg
    );
    let (c, h) = ((cwg + cjg) as f64, (hwg + hjg) as f64);
    println!(
        "ratio {:.2}x (goal <= 1.25x, budget {} B)",
        c / h,
        (h * 1.25) as u64
    );
    let snippets = krate.join("snippets");
    if snippets.is_dir() {
        println!("of which the crate's JS modules (snippets/, gzip -9 each):");
        for file in js_files(&snippets)? {
            let (raw, gz) = cmd::sizes(&file)?;
            let name = file
                .strip_prefix(&krate)
                .unwrap_or(&file)
                .display()
                .to_string();
            println!("  {name:<60} {raw:>6} raw {gz:>6} gz");
        }
    }
    Ok(())
}

/// Kills the stand-in when the run ends, whichever way.
struct Standin(Child);

impl Drop for Standin {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn full(root: &Path, tc: &Toolchain) -> Result {
    let quick = quick();
    let q = |full: u64, quick_value: u64| if quick { quick_value } else { full };
    let requests = knob("BENCH_REQUESTS", q(20000, 2000))?;
    let warmup = knob("BENCH_WARMUP", q(500, 100))?;
    let loads = knob("BENCH_LOADS", q(50, 5))?;
    let cycles = knob("BENCH_CYCLES", q(10000, 500))?;
    let cycle_warmup = knob("BENCH_CYCLE_WARMUP", 100)?;
    let reps = knob("BENCH_REPS", q(3, 1))?;
    let records_params = records::Params::from_env(quick)?;
    let out = std::env::var_os("BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("BENCHMARKS.md"));

    let target = env::target_dir(root);
    let work = target.join("bench");
    let results = work.join("results");
    cmd::rmdir(&results)?;
    cmd::mkdir(&results)?;

    println!("\n== toolchain");
    let wb_cli = examples::check_wasm_bindgen(root)?;
    need(&["node", "npm", "gzip", "/usr/bin/chromium"])?;
    let mut b = Bench::new(root, tc, Some(&results.join("commands.txt")))?;
    b.npm_ci_unless_there(&["@flexpa/node-sdk", "binaryen", "playwright-core"])?;
    b.wasm_opt = npm_wasm_opt(root)?;

    println!("\n== build: wasm32 release (examples/minimal, bench/handwritten-minimal, bench/browser-harness)");
    b.sample_busy("build-wasm");
    b.wasm_build("flexpa-link-bench-browser", &[])?;
    let size = work.join("size");
    let (krate, hand) = size_builds(&mut b, &size, false)?;

    println!("\n== build and 1b. wasm size: the framework hook crates (bench/hook-size)");
    b.sample_busy("build-hooks");
    let hooks = hooks::run(&mut b, &work.join("hooks"), &wb_cli)?;
    write(&results.join("hooks.md"), &hooks.section)?;
    write(
        &results.join("hooks-summary.md"),
        &format!("{}\n", hooks.summary),
    )?;

    println!("\n== build: native server benchmark (profile bench-native)");
    b.sample_busy("build-native");
    let bin = b.build_native()?;

    println!("\n== 1. wasm size");
    let rel = target.join(WASM_TARGET).join("release");
    cmd::copy(
        &rel.join("handwritten_minimal.wasm"),
        &size.join("handwritten-plain.wasm"),
    )?;
    // The informational second baseline: the hand-written app in async style (same output file).
    b.wasm_build("handwritten-minimal", &["--features", "async"])?;
    b.bindgen_opt(
        &rel.join("handwritten_minimal.wasm"),
        &size.join("handwritten-async"),
        "app",
        &[],
    )?;
    b.bindgen_opt(
        &rel.join("flexpa_link_bench_browser.wasm"),
        &work.join("harness"),
        "flexpa_link_bench_browser",
        &[],
    )?;
    let size_summary = format!(
        r#"{{"crate":{},"handwritten":{},"handwritten_async":{}}}"#,
        size_json(&krate)?,
        size_json(&hand)?,
        size_json(&size.join("handwritten-async"))?
    );
    write(&results.join("size.json"), &format!("{size_summary}\n"))?;
    b.note("gzip -9 -c FILE | wc -c   # for each .wasm and .js above");
    if cmd::which("twiggy").is_some() {
        // Where the bytes go (names kept with -g; same code as the measured file).
        b.bindgen_opt(
            &rel.join("example_minimal.wasm"),
            &size.join("names"),
            "app",
            &["-g"],
        )?;
        b.bindgen_opt(
            &size.join("handwritten-plain.wasm"),
            &size.join("names-hw"),
            "app",
            &["-g"],
        )?;
        for (dir, csv) in [
            ("names", "twiggy-crate.csv"),
            ("names-hw", "twiggy-handwritten.csv"),
        ] {
            if let Ok(top) = cmd::output(&mut cmd(
                "twiggy",
                [
                    "top".as_ref(),
                    "-f".as_ref(),
                    "csv".as_ref(),
                    size.join(dir).join("app_bg.wasm").as_os_str(),
                ],
            )) {
                write(&results.join(csv), &top)?;
            }
        }
    }
    println!("{size_summary}");

    println!("\n== 2. server: {requests} exchanges at concurrency 1 and 64, {reps} interleaved runs each");
    let pin = Pinning::detect();
    let pinning = pin.describe();
    let (standin, base_url) = b.start_standin(
        &pin,
        &bin,
        &["--threads", "1", "--exit-after", "1800"],
        &results.join("standin.log"),
    )?;
    println!("stand-in at {base_url}; {pinning}");

    let server_jsonl = results.join("server.jsonl");
    write(&server_jsonl, "")?;
    let mut expected = 0;
    let (req_s, warm_s) = (requests.to_string(), warmup.to_string());
    for _ in 0..reps {
        for concurrency in ["1", "64"] {
            // reqwest-typed (bare reqwest + serde into the crate's ExchangeResponse) is a
            // diagnostic: it splits the crate's overhead into parsing and everything else.
            for client in ["crate", "reqwest", "reqwest-typed", "node-sdk"] {
                b.sample_busy(&format!("server-{client}-{concurrency}"));
                let mut c = if client == "node-sdk" {
                    let mut c = pin.client(Path::new("node"));
                    c.arg(root.join("bench/js/node-sdk.mjs"));
                    c
                } else {
                    let mut c = pin.client(&bin.join("bench-loadgen"));
                    c.args(["--client", client]);
                    c
                };
                c.args([
                    "--base-url",
                    &base_url,
                    "--requests",
                    &req_s,
                    "--concurrency",
                    concurrency,
                    "--warmup",
                    &warm_s,
                ]);
                b.run_tee(&mut c, &server_jsonl, "")?;
                expected += requests + warmup;
            }
        }
    }
    // Instructions per exchange, counted by callgrind (deterministic, unlike req/s on a shared
    // machine): the marginal cost between a run of 1,000 and one of 3,000 exchanges, so that
    // start-up (building the client, loading root certificates) cancels out.
    let instructions = results.join("instructions.jsonl");
    write(&instructions, "")?;
    if cmd::which("valgrind").is_some() {
        for client in ["crate", "reqwest", "reqwest-typed"] {
            let mut irs = Vec::new();
            for n in [1000u64, 3000] {
                let out_file = results.join(format!("callgrind.{client}.{n}.out"));
                let log_file = results.join(format!("callgrind.{client}.{n}.log"));
                let mut c = cmd(
                    "valgrind",
                    [
                        "--tool=callgrind".to_owned(),
                        format!("--callgrind-out-file={}", out_file.display()),
                    ],
                );
                c.arg(bin.join("bench-loadgen")).args([
                    "--client",
                    client,
                    "--base-url",
                    &base_url,
                    "--requests",
                    &n.to_string(),
                ]);
                c.args(["--concurrency", "64", "--warmup", "100"]);
                b.record(&c);
                let res = c
                    .output()
                    .map_err(|e| Fail::new(format!("cannot run valgrind: {e}")))?;
                write(&log_file, &String::from_utf8_lossy(&res.stderr))?;
                let collected = String::from_utf8_lossy(&res.stderr)
                    .lines()
                    .find_map(|l| l.split("Collected :").nth(1).map(|v| v.trim().to_owned()))
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(|| {
                        Fail::new(format!("no instruction count in {}", log_file.display()))
                    })?;
                irs.push(collected);
                expected += n + 100;
            }
            let line = format!(
                r#"{{"client":"{client}","ir_1000":{},"ir_3000":{},"ir_per_request":{}}}"#,
                irs[0],
                irs[1],
                irs[1].saturating_sub(irs[0]) / 2000
            );
            println!("{line}");
            append(&instructions, &line)?;
        }
    } else {
        println!("valgrind not installed: no instruction counts (apt-get install valgrind)");
    }
    let served = fetch_text(&format!("{base_url}/__bench/count"))?;
    drop(standin);
    println!("stand-in served {served} successful exchanges (expected {expected})");
    if served != expected.to_string() {
        return Err(Fail::new(
            "the stand-in's count does not match: some client did not do its exchanges",
        ));
    }
    write(
        &results.join("server-meta.json"),
        &format!(
            r#"{{"pinning":"{pinning}","served":{served},"expected":{expected},"base_url":"{base_url}"}}"#
        ),
    )?;

    println!("\n== 3. browser: {loads} page loads, {cycles} create/open/close cycles (headless /usr/bin/chromium)");
    b.sample_busy("browser");
    let mut c = cmd("node", [root.join("bench/js/browser.mjs")]);
    c.arg("--harness")
        .arg(work.join("harness"))
        .arg("--script")
        .arg(root.join("sandbox/flexpa-link.js"));
    c.args([
        "--loads",
        &loads.to_string(),
        "--cycles",
        &cycles.to_string(),
        "--warmup",
        &cycle_warmup.to_string(),
    ]);
    let browser_json = results.join("browser.json");
    write(&browser_json, "")?;
    b.run_tee(&mut c, &browser_json, "")?;

    println!(
        "\n== 4. records: $everything of ~{} MB and a 10-page search, crate vs @flexpa/node-sdk",
        records_params.bytes / 1_000_000
    );
    b.sample_busy("records");
    // Its own commands go to its own list, which its section (records.md) shows.
    records::run(root, tc, &records_params, &results, None)?;
    b.note("cargo xtask bench records   # section 4 (its own commands are listed in its section)");
    b.sample_busy("done");

    println!("\n== machine and versions");
    let meta = machine_and_versions(root, tc, &b, &wb_cli, pin.cores)?
        + &format!(
            "busy={}\nparams=requests {requests} (+{warmup} warm-up) x {reps} runs per server row, loads {loads}, cycles {cycles} (+{cycle_warmup} warm-up)\n",
            b.busy.join(" ")
        );
    write(&results.join("meta.txt"), &meta)?;
    let mut report = cmd("node", [root.join("bench/js/report.mjs")]);
    report.arg("--results").arg(&results).arg("--out").arg(&out);
    b.run(&mut report)
}

/// The `key=value` lines of meta.txt that describe the machine, the tools and the versions.
fn machine_and_versions(
    root: &Path,
    tc: &Toolchain,
    b: &Bench,
    wb_cli: &str,
    cores: usize,
) -> Result<String> {
    let mut rustc_wasm = tc.wasm_command("rustc")?;
    let mut m = machine(cores);
    m.extend([
        format!("rustc_native={}", out(&mut cmd("rustc", ["--version"]))),
        format!(
            "rustc_wasm={} (route: {})",
            out(rustc_wasm.arg("--version")),
            tc.route.name()
        ),
        format!("cargo={}", out(&mut cmd("cargo", ["--version"]))),
        format!("node={}", out(&mut cmd("node", ["--version"]))),
        format!("npm={}", out(&mut cmd("npm", ["--version"]))),
        format!(
            "chromium={}",
            out(&mut cmd("/usr/bin/chromium", ["--version"]))
        ),
        format!("wasm_bindgen_cli={wb_cli}"),
        format!("wasm_opt={}", out(&mut cmd(&b.wasm_opt, ["--version"]))),
        format!(
            "twiggy={}",
            cmd::output(&mut cmd("twiggy", ["--version"]))
                .unwrap_or_else(|_| "not installed (cargo install twiggy)".into())
        ),
    ]);
    m.extend(crate_versions(
        root,
        &[
            "flexpa-link",
            "wasm-bindgen",
            "js-sys",
            "web-sys",
            "wasm-bindgen-futures",
            "gloo-events",
            "reqwest",
            "hyper",
            "tokio",
            "rustls",
            "serde_json",
        ],
    )?);
    for p in ["@flexpa/node-sdk", "playwright-core", "binaryen"] {
        m.push(format!(
            "npm_{p}={}",
            npm_version(root, p).unwrap_or_default()
        ));
    }
    m.push(format!("commit={}", commit(root, &["src", "Cargo.toml"])));
    m.push(format!("date={}", now()));
    Ok(m.join("\n") + "\n")
}

/// A command's output, or "" if it fails: for the report's descriptive lines.
fn out(c: &mut Command) -> String {
    cmd::output(c).unwrap_or_default()
}

/// The `key=value` lines that describe the machine: cpu, cores, mem, os.
fn machine(cores: usize) -> Vec<String> {
    let field = |text: &str, key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().trim_matches('"').to_owned())
            .unwrap_or_default()
    };
    let lscpu = out(&mut cmd("lscpu", [""; 0]));
    let free = out(&mut cmd("free", ["-h"]));
    let mem = free
        .lines()
        .find(|l| l.starts_with("Mem:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("");
    let os = field(
        &fs::read_to_string("/etc/os-release").unwrap_or_default(),
        "PRETTY_NAME=",
    );
    vec![
        format!("cpu={}", field(&lscpu, "Model name:")),
        format!("cores={cores}"),
        format!("mem={mem}"),
        format!("os={os}, kernel {}", out(&mut cmd("uname", ["-r"]))),
    ]
}

/// `crate_NAME=VERSION` lines (`A + B` where Cargo.lock has several) for `names`.
fn crate_versions(root: &Path, names: &[&str]) -> Result<Vec<String>> {
    let lock = root.join("Cargo.lock");
    names
        .iter()
        .map(|c| {
            Ok(format!(
                "crate_{c}={}",
                lock::locked_versions(&lock, c)?.join(" + ")
            ))
        })
        .collect()
}

/// The version of an npm package installed in bench/js.
fn npm_version(root: &Path, package: &str) -> Result<String> {
    let pkg = root
        .join("bench/js/node_modules")
        .join(package)
        .join("package.json");
    let script = format!("require({:?}).version", pkg.to_string_lossy());
    cmd::output(&mut cmd("node", ["-p", &script]))
}

/// HEAD's short hash, noting uncommitted changes to `paths` (what the numbers depend on).
fn commit(root: &Path, paths: &[&str]) -> String {
    let hash = out(cmd("git", ["rev-parse", "--short", "HEAD"]).current_dir(root));
    let clean = cmd::succeeds(
        cmd("git", ["diff", "--quiet", "HEAD", "--"])
            .args(paths)
            .current_dir(root),
    );
    if clean {
        hash
    } else {
        format!("{hash} (with uncommitted changes to {})", paths.join(", "))
    }
}

/// The date and time for the report, in UTC to the minute.
fn now() -> String {
    out(&mut cmd("date", ["-u", "+%Y-%m-%d %H:%M UTC"]))
}

fn write(path: &Path, text: &str) -> Result {
    fs::write(path, text).map_err(|e| Fail::new(format!("cannot write {}: {e}", path.display())))
}

fn append(path: &Path, line: &str) -> Result {
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| Fail::new(format!("cannot write {}: {e}", path.display())))?;
    writeln!(f, "{line}").map_err(|e| Fail::new(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::with_fields;

    #[test]
    fn adds_fields_to_json_object_lines_only() {
        assert_eq!(
            with_fields(r#"{"a":1}"#, r#""load":"0.5""#),
            r#"{"load":"0.5","a":1}"#
        );
        assert_eq!(with_fields(r#"{"a":1}"#, ""), r#"{"a":1}"#);
        assert_eq!(with_fields("not json", r#""x":1"#), "not json");
    }
}
