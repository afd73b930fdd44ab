//! `cargo xtask e2e [FILE...]`: end-to-end tests of the demo in headless Chromium (e2e/,
//! playwright-core driving the system's /usr/bin/chromium; no browser is ever downloaded).
//! Builds what they drive:
//!   - the demo server (examples/server), which the tests run in sandbox mode on free ports;
//!   - the frontends (examples/vanilla, yew, leptos, dioxus, minimal) into target/demo/<name>;
//!   - the full-stack Leptos app (examples/leptos-fullstack): its server, built with the demo
//!     server, and its browser half into target/demo/leptos-fullstack;
//!   - the npm tarball (`cargo xtask npm pack`), unless E2E_NPM_TARBALL names one;
//!
//! then runs e2e/tests/*.test.js (or the FILEs, relative to e2e/) with node:test, after the
//! full-stack app's Rust tests when no FILE is given. Screenshots of
//! each step land in test-output/e2e/<suite>/<test>/.
//! Environment: E2E_NPM_TARBALL=path, CHROMIUM=path (default /usr/bin/chromium).

use std::path::Path;

use crate::cmd::{self, cmd, run, Fail, Result};
use crate::env::{self, Toolchain};
use crate::{examples, leptos_fullstack, npm};

pub fn main(root: &Path, args: &[String]) -> Result {
    let tc = Toolchain::detect(root)?;
    test(root, &tc, args)
}

pub fn test(root: &Path, tc: &Toolchain, files: &[String]) -> Result {
    let target = env::target_dir(root);
    // The demo server and the full-stack app's server in one invocation (shared dependencies
    // compile once).
    let mut build = vec!["build", "-p", "flexpa-link-demo-server"];
    build.extend(leptos_fullstack::SERVER_BUILD);
    run(cmd("cargo", build).current_dir(root))?;
    // Every frontend in one cargo invocation, as the examples-wasm step builds them (so that,
    // there, this is a no-op build plus wasm-bindgen).
    examples::build(root, tc, false, "all", &target.join("demo"))?;
    let fullstack_site = leptos_fullstack::site_dir(root);
    leptos_fullstack::build_site(root, tc, &fullstack_site)?;
    if std::env::var_os("E2E_NPM_TARBALL").is_none_or(|v| v.is_empty()) {
        npm::pack(root, tc)?;
    }
    // playwright-core, pinned by e2e/package-lock.json (set-up normally did this).
    let lockfile = root.join("e2e/package-lock.json");
    let marker = root.join("e2e/node_modules/.package-lock.json");
    if !marker.is_file() || cmd::newer(&lockfile, &marker) {
        run(
            cmd("npm", ["ci", "--prefix", "e2e", "--no-audit", "--no-fund"])
                .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
                .current_dir(root),
        )?;
    }
    cmd::rmdir(&root.join("test-output/e2e"))?;
    let e2e = root.join("e2e");
    let files: Vec<String> = if files.is_empty() {
        // The whole suite: the full-stack app's Rust tests too (its server function).
        leptos_fullstack::test(root)?;
        test_files(&e2e)?
    } else {
        files.to_vec()
    };
    run(cmd(
        "node",
        ["--test", "--test-concurrency=1", "--test-reporter=spec"],
    )
    .args(&files)
    .env(
        "DEMO_SERVER_BIN",
        target.join("debug/flexpa-link-demo-server"),
    )
    .env("E2E_APPS_DIR", target.join("demo"))
    .env("LEPTOS_FULLSTACK_BIN", leptos_fullstack::server_bin(root))
    .env("LEPTOS_FULLSTACK_SITE", &fullstack_site)
    .current_dir(&e2e))?;
    println!("screenshots: {}", root.join("test-output/e2e").display());
    Ok(())
}

/// tests/*.test.js under e2e/, sorted as the shell's glob sorted them.
fn test_files(e2e: &Path) -> Result<Vec<String>> {
    let dir = e2e.join("tests");
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| Fail::new(format!("cannot read {}: {e}", dir.display())))?;
    let mut files: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".test.js"))
        .map(|n| format!("tests/{n}"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Fail::new(format!("no *.test.js in {}", dir.display())));
    }
    Ok(files)
}
