//! flexpa-link's tooling, run as `cargo xtask COMMAND` (an alias in .cargo/config.toml).
//! scripts/test.sh and scripts/demo.sh, the README's two commands, are thin wrappers around
//! `cargo xtask test` and `cargo xtask demo`.

mod bench;
mod chromium;
mod cmd;
mod demo;
mod e2e;
mod env;
mod examples;
mod leptos_fullstack;
mod lock;
mod npm;
mod runner;
mod setup;
mod steps;

use std::path::PathBuf;
use std::process::ExitCode;

use cmd::{Fail, Result};

const USAGE: &str = "\
cargo xtask COMMAND [ARGS...]

  setup [--dry-run]             install what this machine lacks (idempotent, quick when nothing is)
  test [STEP...] [--list]       every check, or the named steps (scripts/test.sh)
  demo [--app NAME]             the whole Link flow offline (scripts/demo.sh)
  examples [--release] NAME|all OUTDIR
                                build browser examples into servable directories
  e2e [FILE...]                 the demo end to end in headless Chromium
  npm build|pack|test           the npm package (the crate's JavaScript API)
  bench [size [--names]|records] the benchmarks; writes BENCHMARKS.md (not part of test)

`cargo xtask COMMAND --help` says more.";

/// The repository root: xtask/ is one level below it. `cargo run` says where xtask/ is at run
/// time; the compile-time path is the fallback for running the binary directly.
fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

fn run(args: &[String]) -> Result {
    let root = root();
    env::undo_cargo_run(&root);
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => return Err(Fail::usage(format!("which command?\n\n{USAGE}"))),
    };
    let help = rest.iter().any(|a| a == "-h" || a == "--help");
    let usage = match command {
        "setup" => setup::USAGE,
        "test" => runner::USAGE,
        "examples" => examples::USAGE,
        "npm" => npm::USAGE,
        "bench" => bench::USAGE,
        "e2e" => "cargo xtask e2e [FILE...]   (FILEs relative to e2e/, default tests/*.test.js)",
        // demo's --help also shows the server's options.
        "demo" => "",
        "-h" | "--help" | "help" => USAGE,
        other => return Err(Fail::usage(format!("unknown command '{other}'\n\n{USAGE}"))),
    };
    if (help || usage == USAGE) && !usage.is_empty() {
        println!("{usage}");
        return Ok(());
    }
    match command {
        "setup" => setup::run(&root, &setup::Options::parse(rest)?).map(|_| ()),
        "test" => runner::run(
            &root,
            &runner::Selection::parse(rest, |k| std::env::var(k).ok())?,
        ),
        "demo" => demo::main(&root, rest),
        "examples" => examples::main(&root, rest),
        "e2e" => e2e::main(&root, rest),
        "npm" => npm::main(&root, rest),
        "bench" => bench::main(&root, rest),
        _ => unreachable!("matched above"),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut lines = e.msg.lines();
            eprintln!("error: {}", lines.next().unwrap_or(""));
            for line in lines {
                if line.is_empty() {
                    eprintln!();
                } else {
                    eprintln!("  {line}");
                }
            }
            ExitCode::from(u8::try_from(e.code).unwrap_or(1).max(1))
        }
    }
}
