//! `cargo xtask bench` (not part of the test command): measures, in one run,
//!   1. wasm size: examples/minimal (the crate) against bench/handwritten-minimal (the same app
//!      with only wasm-bindgen/js-sys/web-sys), release profile (opt-level z, LTO, one codegen
//!      unit, panic=abort), wasm-bindgen --target web, wasm-opt -Oz; raw and gzip -9;
//!   2. server: the crate's Client::exchange, a bare reqwest POST and @flexpa/node-sdk (Node),
//!      each as its own process, 20,000 exchanges at concurrency 1 and 64 against one local
//!      stand-in of POST /link/exchange (bench-standin), and instructions per exchange
//!      (callgrind, when valgrind is installed);
//!   3. browser: load() to ready against a plain <script> tag (median of 50 page loads in
//!      headless /usr/bin/chromium), and 10,000 create/open/close cycles counting iframes,
//!      window message listeners, wasm memory pages and the JS heap;
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

pub const USAGE: &str = "\
cargo xtask bench              the full run (about 6 minutes on 2 cores once built); writes BENCHMARKS.md
BENCH_QUICK=1 cargo xtask bench  a smoke run with small counts (numbers not meaningful)
cargo xtask bench size [--names]
                               only the wasm size part (same builds, same flags), no BENCHMARKS.md;
                               --names also keeps a names (-g) copy of the crate app for twiggy:
                               target/bench/size-only/names/app_bg.wasm

Knobs: BENCH_REQUESTS (20000), BENCH_WARMUP (500), BENCH_REPS (3: each server row is the median
of this many interleaved runs), BENCH_LOADS (50), BENCH_CYCLES (10000), BENCH_CYCLE_WARMUP (100),
BENCH_OUT (BENCHMARKS.md at the repo root).
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

impl Bench<'_> {
    fn record(&mut self, c: &Command) {
        let line = cmd::display(c).replace(&format!("{}/", self.root.display()), "");
        if let Some(f) = &mut self.commands {
            let _ = writeln!(f, "{line}");
        }
    }

    fn run(&mut self, c: &mut Command) -> Result {
        self.record(c);
        cmd::run(c)
    }

    /// Runs, echoes its stdout and appends it to `log` (as `| tee -a`).
    fn run_tee(&mut self, c: &mut Command, log: &Path) -> Result<String> {
        self.record(c);
        println!("+ {}", cmd::display(c));
        let out = cmd::output(c)?;
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
        let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
        self.busy.push(format!(
            "{label}:{busy}:{}",
            load.split(' ').next().unwrap_or("")
        ));
    }
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
    let mut b = Bench {
        root,
        tc,
        commands: None,
        wasm_opt: npm_wasm_opt(root)?,
        busy: Vec::new(),
    };
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
    let quick = std::env::var("BENCH_QUICK").as_deref() == Ok("1");
    let q = |full: u64, quick_value: u64| if quick { quick_value } else { full };
    let requests = knob("BENCH_REQUESTS", q(20000, 2000))?;
    let warmup = knob("BENCH_WARMUP", q(500, 100))?;
    let loads = knob("BENCH_LOADS", q(50, 5))?;
    let cycles = knob("BENCH_CYCLES", q(10000, 500))?;
    let cycle_warmup = knob("BENCH_CYCLE_WARMUP", 100)?;
    let reps = knob("BENCH_REPS", q(3, 1))?;
    let out = std::env::var_os("BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("BENCHMARKS.md"));

    let target = env::target_dir(root);
    let work = target.join("bench");
    let results = work.join("results");
    cmd::rmdir(&results)?;
    cmd::mkdir(&results)?;
    let commands = File::create(results.join("commands.txt")).map_err(|e| {
        Fail::new(format!(
            "cannot write {}/commands.txt: {e}",
            results.display()
        ))
    })?;

    println!("\n== toolchain");
    let wb_cli = examples::check_wasm_bindgen(root)?;
    for tool in ["node", "npm", "gzip", "/usr/bin/chromium"] {
        if cmd::which(tool).is_none() && !cmd::is_executable(Path::new(tool)) {
            return Err(Fail::new(format!(
                "missing: {tool} (cargo xtask setup installs it)"
            )));
        }
    }
    let mut b = Bench {
        root,
        tc,
        commands: Some(commands),
        wasm_opt: PathBuf::new(),
        busy: Vec::new(),
    };
    let js = root.join("bench/js");
    if ["@flexpa/node-sdk", "binaryen", "playwright-core"]
        .iter()
        .any(|m| !js.join("node_modules").join(m).is_dir())
    {
        // playwright-core only drives /usr/bin/chromium: no browser is downloaded.
        b.run(
            cmd("npm", ["ci", "--no-audit", "--no-fund"])
                .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
                .current_dir(&js),
        )?;
    }
    b.wasm_opt = npm_wasm_opt(root)?;

    println!("\n== build: wasm32 release (examples/minimal, bench/handwritten-minimal, bench/browser-harness)");
    b.sample_busy("build-wasm");
    b.wasm_build("flexpa-link-bench-browser", &[])?;
    let size = work.join("size");
    let (krate, hand) = size_builds(&mut b, &size, false)?;

    println!("\n== build: native server benchmark (profile bench-native)");
    b.sample_busy("build-native");
    b.run(
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
        .current_dir(root),
    )?;
    let bin = target.join("bench-native");

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
    if let Some(f) = &mut b.commands {
        let _ = writeln!(
            f,
            "gzip -9 -c FILE | wc -c   # for each .wasm and .js above"
        );
    }
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
    // The stand-in on the last core and every client on the others, when there are two or more.
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let pin = cmd::which("taskset").is_some() && cores >= 2;
    let pinned = |program: &Path, cpus: String| -> Command {
        if pin {
            cmd(
                "taskset",
                ["-c".as_ref(), cpus.as_ref(), program.as_os_str()],
            )
        } else {
            Command::new(program)
        }
    };
    let server_cpus = format!("{}", cores.saturating_sub(1));
    let client_cpus = format!("0-{}", cores.saturating_sub(2));
    let pinning = if pin {
        format!("stand-in pinned to CPU {server_cpus}, each client process to CPU {client_cpus} (taskset)")
    } else {
        "no pinning (taskset missing or 1 core): stand-in and clients share the cores".to_owned()
    };
    let standin_log = results.join("standin.log");
    let log = File::create(&standin_log)
        .map_err(|e| Fail::new(format!("cannot write {}: {e}", standin_log.display())))?;
    let mut standin = pinned(&bin.join("bench-standin"), server_cpus.clone());
    standin.args([
        "--addr",
        "127.0.0.1:0",
        "--threads",
        "1",
        "--exit-after",
        "1800",
    ]);
    b.record(&standin);
    standin
        .stdout(log.try_clone().map_err(|e| Fail::new(e.to_string()))?)
        .stderr(log);
    let standin = Standin(
        standin
            .spawn()
            .map_err(|e| Fail::new(format!("cannot start bench-standin: {e}")))?,
    );
    let mut base_url = String::new();
    for _ in 0..100 {
        let text = fs::read_to_string(&standin_log).unwrap_or_default();
        if let Some(url) = text.lines().find_map(|l| l.strip_prefix("listening on ")) {
            base_url = url.trim().to_owned();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if base_url.is_empty() {
        let text = fs::read_to_string(&standin_log).unwrap_or_default();
        return Err(Fail::new(format!("the stand-in did not start:\n{text}")));
    }
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
                    let mut c = pinned(Path::new("node"), client_cpus.clone());
                    c.arg(root.join("bench/js/node-sdk.mjs"));
                    c
                } else {
                    let mut c = pinned(&bin.join("bench-loadgen"), client_cpus.clone());
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
                b.run_tee(&mut c, &server_jsonl)?;
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
    let served = cmd::output(&mut cmd(
        "node",
        ["-e", "fetch(process.argv[1] + \"/__bench/count\").then(r => r.text()).then(t => console.log(t.trim()))", &base_url],
    ))?;
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
    b.run_tee(&mut c, &browser_json)?;
    b.sample_busy("done");

    println!("\n== machine and versions");
    let meta = machine_and_versions(root, tc, &b, &wb_cli, cores)?
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
    let out = |c: &mut Command| cmd::output(c).unwrap_or_default();
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
    let mut rustc_wasm = tc.wasm_command("rustc")?;
    let lock = root.join("Cargo.lock");
    let mut m = vec![
        format!("cpu={}", field(&lscpu, "Model name:")),
        format!("cores={cores}"),
        format!("mem={mem}"),
        format!("os={os}, kernel {}", out(&mut cmd("uname", ["-r"]))),
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
    ];
    for c in [
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
    ] {
        m.push(format!(
            "crate_{c}={}",
            lock::locked_versions(&lock, c)?.join(" + ")
        ));
    }
    for p in ["@flexpa/node-sdk", "playwright-core", "binaryen"] {
        let pkg = root
            .join("bench/js/node_modules")
            .join(p)
            .join("package.json");
        let script = format!("require({:?}).version", pkg.to_string_lossy());
        m.push(format!(
            "npm_{p}={}",
            out(&mut cmd("node", ["-p", &script]))
        ));
    }
    let commit = out(cmd("git", ["rev-parse", "--short", "HEAD"]).current_dir(root));
    let clean = cmd::succeeds(
        cmd(
            "git",
            ["diff", "--quiet", "HEAD", "--", "src", "Cargo.toml"],
        )
        .current_dir(root),
    );
    let dirty = if clean {
        ""
    } else {
        " (with uncommitted changes to src/ or Cargo.toml)"
    };
    m.push(format!("commit={commit}{dirty}"));
    m.push(format!(
        "date={}",
        out(&mut cmd("date", ["-u", "+%Y-%m-%d %H:%M UTC"]))
    ));
    Ok(m.join("\n") + "\n")
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
