//! `cargo xtask test`: runs named, timed steps in order (steps.rs has them) and ends every run
//! with a timing table. The first failing step stops the run with its name, exit code and how to
//! re-run it alone, unless keep-going is asked for.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::cmd::{mmss, Fail, Result};
use crate::env::Toolchain;
use crate::steps::{Ctx, Step, STEPS};

pub const USAGE: &str = "\
cargo xtask test [STEP...] [--skip STEP[,STEP]] [--keep-going] [--list]
(scripts/test.sh is the same command)

Every check of flexpa-link: the README's test command, and what CI runs (.ci/run). Installs
what is missing first (the `setup` step).

  cargo xtask test                       all steps
  cargo xtask test fmt clippy-wasm       only these steps (same as ONLY=fmt,clippy-wasm)
  cargo xtask test --skip wasm-pack-test all steps but these (same as SKIP=...)
  cargo xtask test --keep-going          run every step even after a failure (KEEP_GOING=1);
                                         still exits 1
  cargo xtask test --list                list the steps

Each step prints a timed header; a timing table ends every run.";

/// Which steps to run and how.
#[derive(Debug, Default, PartialEq)]
pub struct Selection {
    pub list: bool,
    pub keep_going: bool,
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

/// Names separated by commas and/or spaces, as ONLY and SKIP take them.
fn names(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split([',', ' '])
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}

impl Selection {
    /// From the arguments and the ONLY / SKIP / KEEP_GOING variables the shell runner read.
    pub fn parse(args: &[String], var: impl Fn(&str) -> Option<String>) -> Result<Selection> {
        let mut sel = Selection {
            keep_going: var("KEEP_GOING").as_deref() == Some("1"),
            only: names(&var("ONLY").unwrap_or_default()).collect(),
            skip: names(&var("SKIP").unwrap_or_default()).collect(),
            ..Selection::default()
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--list" | "-l" => sel.list = true,
                "--keep-going" | "-k" => sel.keep_going = true,
                "--skip" => {
                    let value = args
                        .next()
                        .ok_or_else(|| Fail::usage("--skip needs a step name"))?;
                    sel.skip.extend(names(value));
                }
                a if a.starts_with("--skip=") => sel.skip.extend(names(&a["--skip=".len()..])),
                a if a.starts_with('-') => {
                    return Err(Fail::usage(format!("unknown option: {a}\n\n{USAGE}")))
                }
                a => sel.only.extend(names(a)),
            }
        }
        for name in sel.only.iter().chain(&sel.skip) {
            if !STEPS.iter().any(|s| s.name == name) {
                return Err(Fail::usage(format!(
                    "no step named \"{name}\" (cargo xtask test --list names them)"
                )));
            }
        }
        Ok(sel)
    }

    pub fn wants(&self, step: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|n| n == step))
            && !self.skip.iter().any(|n| n == step)
    }
}

struct Colors {
    bold: &'static str,
    red: &'static str,
    green: &'static str,
    off: &'static str,
}

struct Outcome {
    name: &'static str,
    ok: bool,
    time: Duration,
}

fn table(outcomes: &[Outcome], total: Duration) {
    println!("\n{:<22} {:<9} time", "step", "result");
    println!("{:<22} {:<9} ----", "----", "------");
    for o in outcomes {
        println!(
            "{:<22} {:<9} {}",
            o.name,
            if o.ok { "ok" } else { "FAILED" },
            mmss(o.time)
        );
    }
    println!("{:<22} {:<9} {}", "total", "", mmss(total));
}

pub fn run(root: &std::path::Path, sel: &Selection) -> Result {
    if sel.list {
        for step in &STEPS {
            println!("{:<18} {}", step.name, step.about);
        }
        return Ok(());
    }
    let c = if std::io::stdout().is_terminal() {
        Colors {
            bold: "\x1b[1m",
            red: "\x1b[1;31m",
            green: "\x1b[1;32m",
            off: "\x1b[0m",
        }
    } else {
        Colors {
            bold: "",
            red: "",
            green: "",
            off: "",
        }
    };
    let start = Instant::now();
    let mut ctx = Ctx::new(root)?;
    let mut outcomes: Vec<Outcome> = Vec::new();
    for step in &STEPS {
        if sel.wants(step.name) {
            let (ok, time, code) = match run_step(step, &ctx, start, &c) {
                Ok(time) => (true, time, 0),
                Err((code, time)) => (false, time, code),
            };
            outcomes.push(Outcome {
                name: step.name,
                ok,
                time,
            });
            if !ok && sel.keep_going {
                println!(
                    "{}keep-going: continuing with the next step{}",
                    c.red, c.off
                );
            } else if !ok {
                table(&outcomes, start.elapsed());
                eprintln!(
                    "\n{}FAILED: step \"{}\" (exit {code}) after {}.{}",
                    c.red,
                    step.name,
                    mmss(time),
                    c.off
                );
                eprintln!(
                    "Re-run only this step: scripts/test.sh {} (or: cargo xtask test {})",
                    step.name, step.name
                );
                return Err(Fail {
                    msg: format!("step {} failed", step.name),
                    code,
                });
            }
        }
        if step.name == "setup" {
            // After set-up: the route depends on what it installed.
            ctx.tc = Toolchain::detect(root)?;
            println!("wasm32 route: {}", ctx.tc.route.name());
        }
    }
    table(&outcomes, start.elapsed());
    if outcomes.is_empty() {
        return Err(Fail::new(format!(
            "no step ran (only: {:?}, skip: {:?})",
            sel.only, sel.skip
        )));
    }
    let failed: Vec<&str> = outcomes.iter().filter(|o| !o.ok).map(|o| o.name).collect();
    if !failed.is_empty() {
        eprintln!("\n{}FAILED steps: {}{}", c.red, failed.join(" "), c.off);
        eprintln!("Re-run only these: scripts/test.sh {}", failed.join(" "));
        return Err(Fail::new(format!("{} step(s) failed", failed.len())));
    }
    println!(
        "\n{}All {} step(s) passed.{}",
        c.green,
        outcomes.len(),
        c.off
    );
    Ok(())
}

/// Runs one step with its header and footer; Ok(time) or Err((exit code, time)).
fn run_step(
    step: &Step,
    ctx: &Ctx,
    start: Instant,
    c: &Colors,
) -> std::result::Result<Duration, (i32, Duration)> {
    println!(
        "\n{}==> [{}] {}{}  ({} since start)",
        c.bold,
        step.name,
        step.about,
        c.off,
        mmss(start.elapsed())
    );
    let t0 = Instant::now();
    let result = (step.run)(ctx);
    let time = t0.elapsed();
    match result {
        Ok(()) => {
            println!(
                "{}<== [{}] ok in {}{}",
                c.bold,
                step.name,
                mmss(time),
                c.off
            );
            Ok(time)
        }
        Err(e) => {
            eprintln!("{}error: {}{}", c.red, e.msg, c.off);
            println!(
                "{}<== [{}] FAILED (exit {}) in {}{}",
                c.red,
                step.name,
                e.code,
                mmss(time),
                c.off
            );
            Err((e.code, time))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], vars: &[(&str, &str)]) -> Result<Selection> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        Selection::parse(&args, |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_steps_in_order() {
        let names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "setup",
                "fmt",
                "clippy-native",
                "clippy-wasm",
                "docs",
                "test-native",
                "test-wasm",
                "hooks",
                "wasm-pack-test",
                "examples-wasm",
                "demo-server",
                "e2e",
                "npm-pack",
                "publish-dry-run",
                "server-build",
                "fault-suite",
                "fuzz",
            ]
        );
    }

    #[test]
    fn arguments_and_variables_select_steps() {
        let sel = parse(&["fmt", "clippy-wasm"], &[]).unwrap();
        assert!(sel.wants("fmt") && sel.wants("clippy-wasm") && !sel.wants("setup"));
        let sel = parse(
            &[],
            &[("ONLY", "fmt,docs"), ("SKIP", "docs"), ("KEEP_GOING", "1")],
        )
        .unwrap();
        assert!(sel.wants("fmt") && !sel.wants("docs") && !sel.wants("e2e") && sel.keep_going);
        let sel = parse(&["--skip", "e2e,fuzz", "-k"], &[]).unwrap();
        assert!(sel.wants("setup") && !sel.wants("e2e") && !sel.wants("fuzz") && sel.keep_going);
        assert!(parse(&["--list"], &[]).unwrap().list);
    }

    #[test]
    fn unknown_steps_and_options_are_usage_errors() {
        let err = parse(&["test-wasn"], &[]).unwrap_err();
        assert_eq!(err.code, 2);
        assert!(err.msg.contains("--list"), "{}", err.msg);
        assert_eq!(parse(&["--fast"], &[]).unwrap_err().code, 2);
    }
}
