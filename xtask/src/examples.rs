//! `cargo xtask examples [--release] NAME|all OUTDIR`: builds browser examples into directories
//! of static files that any web server (and `examples/server --static DIR`) can serve:
//! index.html, style.css, app.js and app_bg.wasm (and snippets/ for Dioxus).
//!
//! Without --release it is a debug build (fast to compile, bigger); --release uses the
//! workspace's release profile (opt-level z, LTO) and runs `wasm-opt -Oz` when one is installed.

use std::path::{Path, PathBuf};

use crate::cmd::{self, cmd, run, Fail, Result};
use crate::env::{self, Toolchain, WASM_TARGET};
use crate::lock;

pub const ALL: [&str; 5] = ["vanilla", "minimal", "yew", "leptos", "dioxus"];

pub const USAGE: &str = "\
cargo xtask examples [--release] NAME|all OUTDIR

NAME is vanilla, minimal, yew, leptos or dioxus, or `all` (then each goes to OUTDIR/NAME,
built by one cargo invocation).";

pub fn main(root: &Path, args: &[String]) -> Result {
    let (release, rest) = match args.first().map(String::as_str) {
        Some("--release") => (true, &args[1..]),
        _ => (false, args),
    };
    let [name, outdir] = rest else {
        return Err(Fail::usage(USAGE));
    };
    let tc = Toolchain::detect(root)?;
    build(root, &tc, release, name, &PathBuf::from(outdir))
}

/// The wasm-bindgen CLI must be the exact version of the wasm-bindgen crate in Cargo.lock: a
/// different one refuses (or worse, mis-reads) the wasm that the crate's macros produced.
pub fn check_wasm_bindgen(root: &Path) -> Result<String> {
    let locked = lock::locked_version(&root.join("Cargo.lock"), "wasm-bindgen")?;
    let cli = cmd::output(&mut cmd("wasm-bindgen", ["--version"])).map_err(|_| {
        Fail::new(format!(
            "wasm-bindgen is not installed: cargo install wasm-bindgen-cli --version {locked}"
        ))
    })?;
    let cli = cli.split_whitespace().nth(1).unwrap_or("").to_owned();
    if cli != locked {
        return Err(Fail::new(format!(
            "wasm-bindgen CLI {cli} does not match the wasm-bindgen crate {locked} in Cargo.lock:\n  \
             cargo install wasm-bindgen-cli --version {locked}"
        )));
    }
    Ok(cli)
}

/// wasm-opt -Oz in place. binaryen from the top-level package.json (npm ci) first: Debian's
/// wasm-opt 108 cannot read what rustc 1.96 emits (reference types' table.fill). Optional: a
/// release build without it is only bigger.
fn optimize(root: &Path, wasm: &Path) -> Result {
    let candidates = [
        Some(root.join("node_modules/.bin/wasm-opt")),
        cmd::which("wasm-opt"),
    ];
    let opt_out = wasm.with_extension("wasm.opt");
    for opt in candidates
        .into_iter()
        .flatten()
        .filter(|p| cmd::is_executable(p))
    {
        if cmd::succeeds(&mut cmd(
            &opt,
            [
                "-Oz".as_ref(),
                wasm.as_os_str(),
                "-o".as_ref(),
                opt_out.as_os_str(),
            ],
        )) {
            return std::fs::rename(&opt_out, wasm).map_err(|e| {
                Fail::new(format!(
                    "cannot move {} to {}: {e}",
                    opt_out.display(),
                    wasm.display()
                ))
            });
        }
        let _ = std::fs::remove_file(&opt_out);
    }
    eprintln!(
        "no wasm-opt could read {} (npm ci at the top installs binaryen): left unoptimized",
        wasm.display()
    );
    Ok(())
}

/// `wasm-bindgen --target web` of `wasm` into `dest` as app.js and app_bg.wasm (and
/// snippets/ for crates with JS modules); returns the path of app_bg.wasm. Call
/// [`check_wasm_bindgen`] first.
pub fn bindgen(wasm: &Path, dest: &Path) -> Result<PathBuf> {
    // wasm-bindgen copies the crate's JS modules to snippets/: no stale ones from before.
    let _ = std::fs::remove_dir_all(dest.join("snippets"));
    run(cmd(
        "wasm-bindgen",
        ["--target", "web", "--no-typescript", "--out-dir"],
    )
    .arg(dest)
    .args(["--out-name", "app"])
    .arg(wasm))?;
    Ok(dest.join("app_bg.wasm"))
}

/// Builds `name` (or `all`) into `outdir` (`outdir/NAME` for each with `all`).
pub fn build(root: &Path, tc: &Toolchain, release: bool, name: &str, outdir: &Path) -> Result {
    let names: Vec<&str> = if name == "all" {
        ALL.to_vec()
    } else if ALL.contains(&name)
        && root
            .join("examples")
            .join(name)
            .join("index.html")
            .is_file()
    {
        vec![name]
    } else {
        return Err(Fail::usage(format!(
            "unknown example '{name}' (expected one of: {} or all)",
            ALL.join(" ")
        )));
    };
    check_wasm_bindgen(root)?;
    let profile = if release { "release" } else { "debug" };
    let mut args = vec!["build", "--target", WASM_TARGET];
    if release {
        args.push("--release");
    }
    let packages: Vec<String> = names.iter().map(|n| format!("example-{n}")).collect();
    for p in &packages {
        args.extend(["-p", p]);
    }
    run(tc.wasm_cargo(&args)?.current_dir(root))?;

    let built = env::target_dir(root).join(WASM_TARGET).join(profile);
    for n in names {
        let dest = if name == "all" {
            outdir.join(n)
        } else {
            outdir.to_owned()
        };
        cmd::mkdir(&dest)?;
        // A bin is example-NAME.wasm; a cdylib (examples/minimal) is example_NAME.wasm.
        let is_lib = root.join("examples").join(n).join("src/lib.rs").is_file();
        let wasm_file = if is_lib {
            format!("example_{n}.wasm")
        } else {
            format!("example-{n}.wasm")
        };
        let wasm = bindgen(&built.join(wasm_file), &dest)?;
        if release {
            optimize(root, &wasm)?;
        }
        cmd::copy(
            &root.join("examples").join(n).join("index.html"),
            &dest.join("index.html"),
        )?;
        cmd::copy(&root.join("examples/style.css"), &dest.join("style.css"))?;
        let (raw, gz) = cmd::sizes(&wasm)?;
        println!(
            "examples/{n} -> {} ({profile}: {raw} bytes wasm, {gz} gzipped)",
            dest.display()
        );
    }
    Ok(())
}
