//! examples/leptos-fullstack, built the way cargo-leptos builds a Leptos app (cargo-leptos itself
//! is not used: the current one does not install on this toolchain and an older one takes about
//! 26 CPU-minutes to install; see the example's README):
//! - the server: the crate's binary with `ssr`, plus `sandbox` for the demo and the e2e tests
//!   (the offline Flexpa in the same process);
//! - the browser half: the crate's library for wasm32 with `hydrate`, through
//!   `wasm-bindgen --target web` into SITE/pkg/app.js and app_bg.wasm (the names the server's
//!   hydration script asks for), and examples/style.css as SITE/style.css.
//!
//! The server then runs with `--site-root SITE`.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use crate::cmd::{self, cmd, run, Fail, Result};
use crate::env::{self, Toolchain, WASM_TARGET};
use crate::examples;

pub const APP: &str = "leptos-fullstack";
const PACKAGE: &str = "example-leptos-fullstack";

/// The cargo arguments (after `build`) of the server: debug, `ssr` with the sandbox. The e2e
/// step passes them in the same invocation as the demo server's build, so the dependencies
/// they share (axum, tokio, reqwest, the crate's `server`) compile once.
pub const SERVER_BUILD: [&str; 4] = [
    "-p",
    PACKAGE,
    "--features",
    "example-leptos-fullstack/sandbox",
];

/// The server binary that [`SERVER_BUILD`] makes.
pub fn server_bin(root: &Path) -> PathBuf {
    env::target_dir(root).join("debug").join(PACKAGE)
}

/// Where the browser half goes: target/demo/leptos-fullstack.
pub fn site_dir(root: &Path) -> PathBuf {
    env::target_dir(root).join("demo").join(APP)
}

/// Builds the browser half (debug) into `site`.
pub fn build_site(root: &Path, tc: &Toolchain, site: &Path) -> Result {
    examples::check_wasm_bindgen(root)?;
    run(tc
        .wasm_cargo(&[
            "build",
            "-p",
            PACKAGE,
            "--lib",
            "--target",
            WASM_TARGET,
            "--features",
            "hydrate",
        ])?
        .current_dir(root))?;
    let built = env::target_dir(root)
        .join(WASM_TARGET)
        .join("debug")
        .join(format!("{}.wasm", PACKAGE.replace('-', "_")));
    let pkg = site.join("pkg");
    cmd::mkdir(&pkg)?;
    let wasm = examples::bindgen(&built, &pkg)?;
    cmd::copy(&root.join("examples/style.css"), &site.join("style.css"))?;
    let (raw, gz) = cmd::sizes(&wasm)?;
    println!(
        "examples/{APP} -> {} (debug: {raw} bytes wasm, {gz} gzipped)",
        site.display()
    );
    Ok(())
}

/// The crate's Rust tests: configuration, money, and the server function's body against the
/// sandbox over HTTP (tests/server_fn.rs). Same features as [`SERVER_BUILD`]: the dependencies
/// are already built.
pub fn test(root: &Path) -> Result {
    run(cmd("cargo", ["test", "-p", PACKAGE, "--features", "sandbox"]).current_dir(root))
}

/// `cargo xtask demo --app leptos-fullstack [ARGS]`: builds both halves and runs the server
/// with the offline sandbox, or with the real Flexpa when both FLEXPA_PUBLISHABLE_KEY and
/// FLEXPA_SECRET_KEY are set. ARGS go to the server (`--port`, `--sandbox-sync-seconds`...).
pub fn demo(root: &Path, tc: &Toolchain, args: &[String]) -> Result {
    let mut build = vec!["build"];
    build.extend(SERVER_BUILD);
    run(cmd("cargo", build).current_dir(root))?;
    let site = site_dir(root);
    build_site(root, tc, &site)?;
    let has = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let real = has("FLEXPA_PUBLISHABLE_KEY") && has("FLEXPA_SECRET_KEY");
    let server = server_bin(root);
    let mut command = cmd(&server, ["--site-root".as_ref(), site.as_os_str()]);
    if !real {
        command.arg("--sandbox");
    }
    // exec: the server replaces this process, so Ctrl-C and exit codes are the server's own.
    let err = command.args(args).exec();
    Err(Fail::new(format!("cannot run {}: {err}", server.display())))
}
