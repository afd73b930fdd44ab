//! The steps of `cargo xtask test`, in order: cheap checks first, so that failures come early.
//!
//! Adding a step: write a function that runs its commands (with `cmd::run`, which echoes each
//! one; the first failing command fails the step) and add it to STEPS where it belongs.

use std::path::{Path, PathBuf};

use crate::cmd::{self, cmd, run, Fail, Result};
use crate::env::{Toolchain, WASM_TARGET};
use crate::{chromium, e2e, examples, npm, setup};

/// What every step gets: the repository root and the wasm32 toolchain.
pub struct Ctx {
    pub root: PathBuf,
    pub tc: Toolchain,
}

impl Ctx {
    pub fn new(root: &Path) -> Result<Ctx> {
        Ok(Ctx {
            root: root.to_owned(),
            tc: Toolchain::detect(root)?,
        })
    }

    /// `cargo ARGS` in the repository root.
    fn cargo(&self, args: &[&str]) -> Result {
        run(cmd("cargo", args).current_dir(&self.root))
    }
}

pub struct Step {
    pub name: &'static str,
    pub about: &'static str,
    pub run: fn(&Ctx) -> Result,
}

pub const STEPS: [Step; 17] = [
    Step {
        name: "setup",
        about: "install what is missing (cargo xtask setup)",
        run: setup_step,
    },
    Step {
        name: "fmt",
        about: "cargo fmt --all --check",
        run: fmt,
    },
    Step {
        name: "clippy-native",
        about: "clippy, native: the crate (with and without server) and xtask",
        run: clippy_native,
    },
    Step {
        name: "clippy-wasm",
        about: "clippy for wasm32",
        run: clippy_wasm,
    },
    Step {
        name: "docs",
        about: "rustdoc with -D warnings, native (all features) and wasm32",
        run: docs,
    },
    Step {
        name: "test-native",
        about: "native tests, with and without server, and xtask's",
        run: test_native,
    },
    Step {
        name: "test-wasm",
        about: "tests/web_*.rs in headless Chromium",
        run: test_wasm,
    },
    Step {
        name: "hooks",
        about: "the framework hook crates (integrations/*): clippy, Chromium tests, SSR tests",
        run: hooks,
    },
    Step {
        name: "wasm-pack-test",
        about: "wasm-pack test --headless --chrome (one suite: the route works)",
        run: wasm_pack_test,
    },
    Step {
        name: "examples-wasm",
        about: "the five browser examples built, minimal checked in Chromium",
        run: examples_wasm,
    },
    Step {
        name: "demo-server",
        about: "the demo backend, its sandbox and the records views (examples/server, sandbox/server, examples/records)",
        run: demo_server,
    },
    Step {
        name: "e2e",
        about: "the demo end to end in headless Chromium (e2e/)",
        run: e2e_step,
    },
    Step {
        name: "npm-pack",
        about: "the npm package: built, packed, installed, type-checked, run",
        run: npm_pack,
    },
    Step {
        name: "publish-dry-run",
        about: "cargo publish --dry-run",
        run: publish_dry_run,
    },
    Step {
        name: "server-build",
        about: "the server client's build promises (TLS crates, wasm32 refusal, pkce)",
        run: server_build,
    },
    Step {
        name: "fault-suite",
        about: "64 clients against the sandbox behind the stand-in's chaos mode",
        run: fault_suite,
    },
    Step {
        name: "fuzz",
        about: "cargo-fuzz on the response parser (needs nightly)",
        run: fuzz,
    },
];

fn setup_step(ctx: &Ctx) -> Result {
    setup::run(&ctx.root, &setup::Options::default()).map(|_| ())
}

fn fmt(ctx: &Ctx) -> Result {
    ctx.cargo(&["fmt", "--all", "--check"])
}

fn clippy_native(ctx: &Ctx) -> Result {
    ctx.cargo(&[
        "clippy",
        "-p",
        "flexpa-link",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    ctx.cargo(&[
        "clippy",
        "-p",
        "flexpa-link",
        "--all-targets",
        "--features",
        "server",
        "--",
        "-D",
        "warnings",
    ])?;
    ctx.cargo(&[
        "clippy",
        "-p",
        "xtask",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])
}

fn clippy_wasm(ctx: &Ctx) -> Result {
    // Debian route: Debian's cargo-clippy (see Toolchain::wasm_clippy).
    run(ctx
        .tc
        .wasm_clippy(&["-p", "flexpa-link", "--all-targets", "--", "-D", "warnings"])?
        .current_dir(&ctx.root))
}

fn docs(ctx: &Ctx) -> Result {
    run(cmd(
        "cargo",
        ["doc", "--no-deps", "-p", "flexpa-link", "--all-features"],
    )
    .env("RUSTDOCFLAGS", "-D warnings")
    .current_dir(&ctx.root))?;
    run(ctx
        .tc
        .wasm_cargo(&[
            "doc",
            "--no-deps",
            "-p",
            "flexpa-link",
            "--target",
            WASM_TARGET,
        ])?
        .env("RUSTDOCFLAGS", "-D warnings")
        .current_dir(&ctx.root))
}

fn test_native(ctx: &Ctx) -> Result {
    ctx.cargo(&["test", "-p", "flexpa-link"])?;
    ctx.cargo(&["test", "-p", "flexpa-link", "--features", "server"])?;
    ctx.cargo(&["test", "-p", "xtask"])
}

fn test_wasm(ctx: &Ctx) -> Result {
    // tests/web_*.rs in headless Chromium through wasm-bindgen-test-runner. No `-q`: cargo
    // would pass --quiet on to the runner, which rejects it.
    chromium::run(|| {
        let mut c = ctx
            .tc
            .wasm_cargo(&["test", "-p", "flexpa-link", "--target", WASM_TARGET])?;
        c.current_dir(&ctx.root);
        Ok(c)
    })
}

fn hooks(ctx: &Ctx) -> Result {
    // The crates under integrations/ (flexpa-link-yew, -leptos, -dioxus), all in each cargo
    // invocation (one build graph, built in parallel): clippy on both targets, their
    // tests/web_*.rs mounting real components in headless Chromium, and their native tests
    // (server-side rendering to a string).
    let names = integrations(&ctx.root)?;
    if names.is_empty() {
        println!("no crates under integrations/");
        return Ok(());
    }
    let packages: Vec<&str> = names.iter().flat_map(|n| ["-p", n.as_str()]).collect();
    let args = |before: &[&'static str], after: &[&'static str]| -> Vec<&str> {
        before
            .iter()
            .chain(&packages)
            .chain(after)
            .copied()
            .collect()
    };
    // Clippy lints them while they compile (Toolchain::lint_while_building): a separate
    // `cargo clippy` would check yew, leptos and dioxus once more per target.
    let lint = ["--all-targets", "--", "-D", "warnings"];
    let mut wasm_build = ctx.tc.wasm_cargo(&args(
        &["test", "--no-run"],
        &["--tests", "--target", WASM_TARGET],
    ))?;
    wasm_build.current_dir(&ctx.root);
    if !ctx.tc.lint_while_building(&mut wasm_build, true) {
        run(ctx
            .tc
            .wasm_clippy(&args(&[], &lint))?
            .current_dir(&ctx.root))?;
    }
    run(&mut wasm_build)?;
    // Then their Chromium tests run (the same packages and targets, so nothing is built again;
    // `--tests`: doctests run natively), and their native tests (server-side rendering to a
    // string, and the doctests).
    chromium::run(|| {
        let mut c = ctx
            .tc
            .wasm_cargo(&args(&["test"], &["--tests", "--target", WASM_TARGET]))?;
        c.current_dir(&ctx.root);
        ctx.tc.lint_while_building(&mut c, true);
        Ok(c)
    })?;
    let mut native = cmd("cargo", args(&["test"], &[]));
    native.current_dir(&ctx.root);
    if !ctx.tc.lint_while_building(&mut native, false) {
        ctx.cargo(&args(&["clippy"], &lint))?;
    }
    run(&mut native)
}

/// The package names of the crates under integrations/ (each directory is named as its crate).
fn integrations(root: &std::path::Path) -> Result<Vec<String>> {
    let dir = root.join("integrations");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names)
}

fn wasm_pack_test(ctx: &Ctx) -> Result {
    // How users of wasm crates run browser tests; --mode no-install uses the installed
    // wasm-bindgen(-test-runner) instead of downloading one. One suite proves the route
    // (wasm-pack's build and runner set-up); test-wasm runs them all.
    let root = ctx.root.to_string_lossy();
    chromium::run(|| {
        let mut c = ctx.tc.wasm_pack(&[
            "test",
            "--headless",
            "--chrome",
            "--mode",
            "no-install",
            &root,
            // After the path, wasm-pack passes options on to cargo test.
            "--test",
            "web_core",
        ])?;
        c.current_dir(&ctx.root);
        Ok(c)
    })
}

fn examples_wasm(ctx: &Ctx) -> Result {
    // The five browser examples in one cargo invocation (one shared target dir), each then
    // through wasm-bindgen --target web into a servable directory.
    let out = ctx.root.join("test-output/examples");
    examples::build(&ctx.root, &ctx.tc, false, "all", &out)?;
    // examples/minimal is the size benchmark's subject: check in Chromium, offline, that it
    // still loads, creates and opens Link and logs the token (playwright-core from e2e/).
    run(cmd(
        "node",
        [
            ctx.root.join("bench/minimal-check.mjs"),
            out.join("minimal"),
        ],
    )
    .current_dir(&ctx.root))
}

fn demo_server(ctx: &Ctx) -> Result {
    // The demo backend (examples/server) and the offline Flexpa sandbox it serves
    // (sandbox/server/, flexpa-sandbox): tests over real HTTP; and the views of the records
    // the backend answers with (examples/records, example-records): tests of their rules.
    ctx.cargo(&[
        "clippy",
        "-p",
        "flexpa-link-demo-server",
        "-p",
        "flexpa-sandbox",
        "-p",
        "example-records",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    ctx.cargo(&[
        "test",
        "-p",
        "flexpa-link-demo-server",
        "-p",
        "flexpa-sandbox",
        "-p",
        "example-records",
    ])
}

fn e2e_step(ctx: &Ctx) -> Result {
    // The demo in headless Chromium (playwright-core on /usr/bin/chromium): builds the server,
    // the frontends and the npm tarball; screenshots go to test-output/e2e/.
    e2e::test(&ctx.root, &ctx.tc, &[])
}

fn npm_pack(ctx: &Ctx) -> Result {
    // The npm package: wasm-pack --target web (feature js) into npm/pkg, checks of the .d.ts,
    // npm pack, the tarball installed into a scratch project, tsc against it (moduleResolution
    // bundler and node16, through the exports map), the JS API in headless Chromium
    // (npm/test/api.test.mjs), and the tarball bundled by esbuild and run (bundle.test.mjs).
    run(ctx
        .tc
        .wasm_clippy(&[
            "-p",
            "flexpa-link",
            "--lib",
            "--features",
            "js",
            "--",
            "-D",
            "warnings",
        ])?
        .current_dir(&ctx.root))?;
    npm::test_package(&ctx.root, &ctx.tc)
}

fn publish_dry_run(ctx: &Ctx) -> Result {
    // crates.io packaging: metadata, readme, the include list, and a build of the packaged crate
    // alone. --allow-dirty: a working tree with local edits can still run the check.
    ctx.cargo(&["publish", "--dry-run", "-p", "flexpa-link", "--allow-dirty"])
}

/// Crates that must not be in the `server` tree: rustls + ring only, no OpenSSL or aws-lc.
const UNWANTED_TLS: [&str; 5] = [
    "openssl-sys",
    "openssl",
    "native-tls",
    "aws-lc-sys",
    "aws-lc-rs",
];

/// Lines of `cargo tree --prefix none` output (`name vX.Y.Z ...`) that name an unwanted crate.
fn unwanted_tls(tree: &str) -> Vec<&str> {
    tree.lines()
        .filter(|line| UNWANTED_TLS.contains(&line.split(' ').next().unwrap_or("")))
        .collect()
}

/// The crates of the `server` build (`cargo tree`, normal edges, one per line), with `extra`
/// arguments such as `--no-default-features`.
fn server_tree(ctx: &Ctx, extra: &[&str]) -> Result<String> {
    let mut args = vec!["tree", "-p", "flexpa-link", "--features", "server"];
    args.extend(extra);
    args.extend(["-e", "normal", "--prefix", "none"]);
    cmd::output(cmd("cargo", args).current_dir(&ctx.root))
}

fn server_build(ctx: &Ctx) -> Result {
    // The server client's build promises (tests/server/ runs in test-native):
    // no OpenSSL, native-tls or aws-lc in the `server` tree ...
    let tree = server_tree(ctx, &[])?;
    let bad = unwanted_tls(&tree);
    if !bad.is_empty() {
        return Err(Fail::new(format!(
            "unwanted TLS crates in the server tree:\n{}",
            bad.join("\n")
        )));
    }
    println!(
        "server tree: {} crates, no openssl/native-tls/aws-lc",
        tree.lines().count()
    );
    // ... a server-only build (no default features) compiles no browser binding ...
    let server_only = server_tree(ctx, &["--no-default-features"])?;
    let browser_crates: Vec<&str> = server_only
        .lines()
        .filter(|l| {
            ["web-sys", "js-sys", "wasm-bindgen"].contains(&l.split(' ').next().unwrap_or(""))
        })
        .collect();
    if !browser_crates.is_empty() {
        return Err(Fail::new(format!(
            "browser crates in the server-only tree (default-features = false):\n{}",
            browser_crates.join("\n")
        )));
    }
    println!("server-only tree: no web-sys, js-sys or wasm-bindgen");
    ctx.cargo(&[
        "clippy",
        "-p",
        "flexpa-link",
        "--no-default-features",
        "--features",
        "server",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    // ... `server` refused on wasm32 with the secret-key message ...
    let mut check = ctx.tc.wasm_cargo(&[
        "check",
        "-p",
        "flexpa-link",
        "--target",
        WASM_TARGET,
        "--features",
        "server",
    ])?;
    println!("+ {}  (must fail)", cmd::display(&check));
    let out = check
        .current_dir(&ctx.root)
        .output()
        .map_err(|e| Fail::new(format!("cannot run cargo: {e}")))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        return Err(Fail::new(
            "--features server built for wasm32; it must be refused",
        ));
    }
    if !text.contains("a secret key must stay on the server") {
        return Err(Fail::new(format!(
            "wasm32 + server failed without the secret-key message:\n{text}"
        )));
    }
    println!("wasm32 + server: refused with the secret-key message");
    // ... and `pkce` lints and runs in headless Chromium on wasm32 (crypto.getRandomValues),
    // linted while it compiles where that works (Toolchain::lint_while_building).
    let pkce_test = || -> Result<std::process::Command> {
        let mut c = ctx.tc.wasm_cargo(&[
            "test",
            "-p",
            "flexpa-link",
            "--target",
            WASM_TARGET,
            "--features",
            "pkce",
            "--test",
            "pkce_web",
        ])?;
        c.current_dir(&ctx.root);
        ctx.tc.lint_while_building(&mut c, true);
        Ok(c)
    };
    if !ctx.tc.lints_while_building(true) {
        run(ctx
            .tc
            .wasm_clippy(&[
                "-p",
                "flexpa-link",
                "--all-targets",
                "--features",
                "pkce",
                "--",
                "-D",
                "warnings",
            ])?
            .current_dir(&ctx.root))?;
    }
    chromium::run(pkce_test)
}

fn fault_suite(ctx: &Ctx) -> Result {
    // 64 concurrent clients against the sandbox behind the stand-in's chaos mode
    // (tests/support/standin.rs), alone (the test is ignored in test-native, where other tests
    // would share its 2 cores), for FLEXPA_CHAOS_SECS (default 3) seconds, fixed seed (FLEXPA_CHAOS_SEED): every call ends
    // Ok or with a typed error within its timeout, no panic, no secret in any error.
    ctx.cargo(&[
        "test",
        "-p",
        "flexpa-link",
        "--features",
        "server",
        "--test",
        "server",
        "--",
        "--ignored",
        "chaos",
        "--nocapture",
    ])
}

fn fuzz(ctx: &Ctx) -> Result {
    // cargo-fuzz on the response parser (fuzz/), briefly. It needs a nightly toolchain: without
    // one the step is skipped, loudly.
    if !cmd::succeeds(&mut cmd("cargo", ["+nightly", "--version"])) {
        println!(
            "SKIPPED fuzz: no nightly toolchain here (rustup toolchain install nightly enables it)"
        );
        return Ok(());
    }
    if !cmd::succeeds(&mut cmd("cargo", ["fuzz", "--version"])) {
        run(&mut cmd("cargo", ["install", "cargo-fuzz"]))?;
    }
    cmd::mkdir(&ctx.root.join("fuzz/corpus/parse_response"))?;
    let secs = std::env::var("FUZZ_SECS").unwrap_or_else(|_| "20".into());
    let mut fuzz = cmd(
        "cargo",
        [
            "+nightly",
            "fuzz",
            "run",
            "--dev",
            "-s",
            "none",
            "parse_response",
            "fuzz/corpus/parse_response",
            "fuzz/seeds/parse_response",
            "--",
            &format!("-max_total_time={secs}"),
        ],
    );
    // A native nightly build: never the wasm32 build-std environment, even if the caller set it.
    for var in [
        "RUSTC",
        "RUSTDOC",
        "RUSTC_BOOTSTRAP",
        "CARGO_UNSTABLE_BUILD_STD",
    ] {
        fuzz.env_remove(var);
    }
    run(fuzz.current_dir(&ctx.root))
}

#[cfg(test)]
mod tests {
    use super::unwanted_tls;

    #[test]
    fn finds_unwanted_tls_crates_by_exact_name() {
        let tree = "flexpa-link v0.1.0 (/x)\nrustls v0.23.46\nopenssl-sys v0.9.1\nopenssl-probe v0.1.6\naws-lc-rs v1.0.0 (*)";
        assert_eq!(
            unwanted_tls(tree),
            ["openssl-sys v0.9.1", "aws-lc-rs v1.0.0 (*)"]
        );
    }
}
