//! `cargo xtask setup`: installs whatever this machine lacks to build, test and demo
//! flexpa-link. Idempotent: a second or two when everything is there.
//!
//! The wasm32 route (see env.rs for what each route means):
//!   1. the active rustup toolchain has the wasm32-unknown-unknown std    -> rustup
//!   2. Debian's rustc-web build-std route is already installed            -> debian
//!      (checked before 3 so that a ready machine never waits on the network)
//!   3. `rustup target add wasm32-unknown-unknown` succeeds within 20 s   -> rustup
//!   4. a Debian/apt machine: apt-get install the DEBIAN_ROUTE packages   -> debian
//!
//! Always: chromium + chromium-driver (Debian) for the browser tests, wasm-bindgen-cli at
//! exactly the wasm-bindgen version in Cargo.lock, wasm-pack, rustfmt + clippy, and the npm
//! dependencies of e2e/ and of the top-level package.json (the npm package's tooling, its bundler
//! included).
//! `FLEXPA_WASM_ROUTE=rustup|debian` forces a route; `--dry-run` and `--simulate=...` only report.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::cmd::{self, Fail, Result};
use crate::env::{self, Route};
use crate::lock;

/// What the Debian route installs: Debian's rustc 1.96 with its std sources, the linker, wasm-opt
/// and a clippy that reads the std that rustc builds.
pub const DEBIAN_ROUTE_PKGS: [&str; 5] = [
    "rustc-web",
    "rust-web-src",
    "lld-22",
    "binaryen",
    "rust-web-clippy",
];

/// Node projects whose dependencies set-up installs (directories with a package-lock.json).
/// Browsers are never downloaded: playwright-core drives /usr/bin/chromium.
const NODE_PROJECTS: [&str; 2] = [
    "e2e", // the demo's end-to-end tests (playwright-core)
    // the top-level package.json: the npm package's tooling (binaryen, typescript, playwright-core,
    // and esbuild, the bundler its tests import the packed tarball through)
    ".",
];

pub const USAGE: &str = "\
cargo xtask setup [--dry-run] [--simulate=LIST]

Installs what is missing (apt packages, the wasm32 target, wasm-bindgen-cli, wasm-pack, npm
dependencies). --dry-run only reports the route and what would be installed.
--simulate=LIST (implies --dry-run) pretends, to check the decisions:
  fresh     nothing installed: no rustup wasm32 std, no Debian packages, no wasm-bindgen/wasm-pack
  rustup    the rustup toolchain has the wasm32 std
  noroot    not root and no sudo
  nodebian  not a Debian/apt machine
FLEXPA_WASM_ROUTE=rustup|debian forces the wasm32 route.";

/// Pretended facts for `--simulate`.
#[derive(Default, Debug, PartialEq)]
pub struct Simulate {
    pub fresh: bool,
    pub rustup: bool,
    pub noroot: bool,
    pub nodebian: bool,
}

#[derive(Default, Debug)]
pub struct Options {
    pub dry_run: bool,
    pub simulate: Simulate,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut opts = Options::default();
        for arg in args {
            if arg == "--dry-run" || arg == "-n" {
                opts.dry_run = true;
            } else if let Some(list) = arg.strip_prefix("--simulate=") {
                opts.dry_run = true;
                for what in list.split(',').filter(|w| !w.is_empty()) {
                    match what {
                        "fresh" => opts.simulate.fresh = true,
                        "rustup" => opts.simulate.rustup = true,
                        "noroot" => opts.simulate.noroot = true,
                        "nodebian" => opts.simulate.nodebian = true,
                        other => {
                            return Err(Fail::usage(format!(
                                "unknown --simulate value '{other}'\n\n{USAGE}"
                            )))
                        }
                    }
                }
            } else {
                return Err(Fail::usage(format!(
                    "unknown argument to setup: {arg}\n\n{USAGE}"
                )));
            }
        }
        Ok(opts)
    }
}

/// What the route decision depends on (besides trying `rustup target add`).
#[derive(Clone, Copy, Debug)]
pub struct RouteFacts {
    pub forced: Option<Route>,
    pub rustup_has_wasm32: bool,
    /// The Debian route's files are there and all its packages installed.
    pub debian_ready: bool,
    pub is_debian: bool,
    pub dry_run: bool,
}

/// Picks the wasm32 route and says why; `try_rustup` attempts `rustup target add` and is only
/// called when needed, after the no-network checks.
pub fn choose_route(
    f: RouteFacts,
    try_rustup: &mut dyn FnMut() -> bool,
) -> Result<(Route, &'static str)> {
    match f.forced {
        Some(Route::Rustup) => {
            if !(f.rustup_has_wasm32 || try_rustup() || f.dry_run) {
                return Err(Fail::new(
                    "FLEXPA_WASM_ROUTE=rustup but the toolchain has no wasm32 std and rustup could not add it.\n\
                     Install it: rustup target add wasm32-unknown-unknown (or unset FLEXPA_WASM_ROUTE)",
                ));
            }
            Ok((Route::Rustup, "forced by FLEXPA_WASM_ROUTE"))
        }
        Some(_) => Ok((Route::Debian, "forced by FLEXPA_WASM_ROUTE")),
        None if f.rustup_has_wasm32 => Ok((
            Route::Rustup,
            "rustup toolchain has the wasm32-unknown-unknown std",
        )),
        None if f.is_debian && f.debian_ready => Ok((
            Route::Debian,
            "Debian rustc-web build-std route already installed",
        )),
        None if try_rustup() => Ok((
            Route::Rustup,
            "rustup target add wasm32-unknown-unknown succeeded",
        )),
        None if f.is_debian => Ok((
            Route::Debian,
            "no rustup wasm32 std: Debian rustc-web build-std route",
        )),
        None => Err(Fail::new(format!(
            "no wasm32 target: rustup could not add it and this is not a Debian/apt machine.\n\
             Install it yourself: rustup target add wasm32-unknown-unknown\n\
             (or, on Debian 12: apt-get install {})",
            DEBIAN_ROUTE_PKGS.join(" ")
        ))),
    }
}

/// The Debian packages a route needs: the route's own, or binaryen (wasm-opt for release builds:
/// wasm-pack --mode no-install won't fetch it) on the rustup route; and the browser tests'
/// Chromium with a matching chromedriver. None off Debian (checked differently there).
pub fn system_packages(route: Route, is_debian: bool) -> Vec<&'static str> {
    if !is_debian {
        return Vec::new();
    }
    let mut pkgs = match route {
        Route::Debian => DEBIAN_ROUTE_PKGS.to_vec(),
        Route::Rustup | Route::None => vec!["binaryen"],
    };
    pkgs.extend(["chromium", "chromium-driver"]);
    pkgs
}

/// The last word of `TOOL --version` (`wasm-bindgen 0.2.130` -> `0.2.130`).
fn version_word(output: &str) -> &str {
    output.split_whitespace().last().unwrap_or("")
}

struct Setup<'a> {
    root: &'a Path,
    opts: &'a Options,
    done: Vec<String>,
    planned: Vec<String>,
    is_debian: bool,
    can_root: bool,
    sudo: bool,
    apt_updated: bool,
}

fn say(msg: impl AsRef<str>) {
    println!("[setup] {}", msg.as_ref());
}

impl Setup<'_> {
    fn did(&mut self, what: String) {
        say(&what);
        self.done.push(what);
    }

    /// Run a command, or in a dry run only record it.
    fn run(&mut self, argv: &[&str]) -> Result {
        let line = argv.join(" ");
        if self.opts.dry_run {
            say(format!("would run: {line}"));
            self.planned.push(line);
            return Ok(());
        }
        say(format!("running: {line}"));
        cmd::run_quiet(&mut cmd::cmd(argv[0], &argv[1..]))
    }

    /// Debian packages of `pkgs` that are not installed.
    fn missing_debs(&self, pkgs: &[&'static str]) -> Vec<&'static str> {
        pkgs.iter()
            .copied()
            .filter(|pkg| {
                self.opts.simulate.fresh
                    || cmd::output(&mut cmd::cmd("dpkg-query", ["-W", "-f=${Status}", pkg]))
                        .ok()
                        .as_deref()
                        != Some("install ok installed")
            })
            .collect()
    }

    fn apt_install(&mut self, pkgs: &[&str]) -> Result {
        let list = pkgs.join(" ");
        if !self.is_debian {
            return Err(Fail::new(format!(
                "this is not a Debian/apt machine, so the following cannot be installed automatically.\n\
                 Install the equivalents of these Debian packages yourself: {list}"
            )));
        }
        if !self.can_root {
            return Err(Fail::new(format!(
                "missing Debian packages and no root (not root, no password-less sudo).\n\
                 Ask an administrator to run:\n  apt-get update && apt-get install -y {list}"
            )));
        }
        let mut prefix: Vec<&str> = if self.sudo {
            vec!["sudo", "-n"]
        } else {
            Vec::new()
        };
        prefix.extend(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
        if !self.apt_updated {
            self.run(&[prefix.as_slice(), &["update", "-q"]].concat())?;
            self.apt_updated = true;
        }
        self.run(&[prefix.as_slice(), &["install", "-y", "-q"], pkgs].concat())?;
        if !self.opts.dry_run {
            self.did(format!("apt-get installed: {list}"));
        }
        Ok(())
    }

    /// `rustup target add wasm32-unknown-unknown`, bounded: without network access to the
    /// rustup dist server it hangs.
    fn try_rustup_target(&mut self) -> bool {
        if cmd::which("rustup").is_none() {
            return false;
        }
        let line = "rustup target add wasm32-unknown-unknown (within 20 s)";
        if self.opts.dry_run {
            say(format!("would try: {line} (assuming here that it fails)"));
            self.planned.push(line.to_owned());
            return false;
        }
        say(format!("trying: {line}"));
        let added = cmd::run_with_timeout(
            &mut cmd::cmd("rustup", ["target", "add", env::WASM_TARGET]),
            Duration::from_secs(20),
        );
        if added && env::rustup_has_wasm32() {
            self.did("rustup target add wasm32-unknown-unknown".to_owned());
            return true;
        }
        say("rustup could not add the wasm32 target (no network to the rustup dist server?)");
        false
    }

    /// rustfmt and clippy for the native checks.
    fn rust_components(&mut self) -> Result {
        if cmd::which("rustc").is_none() {
            return Err(Fail::new(
                "rustc not found. Install Rust with rustup (https://rustup.rs):\n  \
                 curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy\n\
                 then open a new shell (or: source \"$HOME/.cargo/env\") and re-run",
            ));
        }
        let mut need = Vec::new();
        if !cmd::succeeds(&mut cmd::cmd("cargo", ["fmt", "--version"])) {
            need.push("rustfmt");
        }
        if !cmd::succeeds(&mut cmd::cmd("cargo", ["clippy", "--version"])) {
            need.push("clippy");
        }
        if need.is_empty() {
            return Ok(());
        }
        let list = need.join(" ");
        if cmd::which("rustup").is_none() {
            return Err(Fail::new(format!(
                "cargo {list} missing and no rustup.\nInstall: rustup component add {list}"
            )));
        }
        if self.opts.dry_run {
            self.run(&[&["rustup", "component", "add"], need.as_slice()].concat())?;
            return Ok(());
        }
        say(format!("running: rustup component add {list}"));
        let added = cmd::run_with_timeout(
            cmd::cmd("rustup", ["component", "add"]).args(&need),
            Duration::from_secs(120),
        );
        if !added {
            return Err(Fail::new(format!(
                "could not add rustup components: {list}\nInstall them: rustup component add {list}"
            )));
        }
        self.did(format!("rustup component add {list}"));
        Ok(())
    }

    /// Whether `TOOL --version` prints exactly `version`.
    fn have_version(&self, tool: &str, version: &str) -> bool {
        !self.opts.simulate.fresh
            && cmd::output(&mut cmd::cmd(tool, ["--version"]))
                .is_ok_and(|out| version_word(&out) == version)
    }

    /// wasm-bindgen-cli at exactly the wasm-bindgen version of Cargo.lock, and wasm-pack.
    fn wasm_tools(&mut self, wasm_bindgen: &str) -> Result {
        if self.have_version("wasm-bindgen", wasm_bindgen)
            && self.have_version("wasm-bindgen-test-runner", wasm_bindgen)
        {
            say(format!("wasm-bindgen-cli {wasm_bindgen}: present"));
        } else {
            let current = cmd::output(&mut cmd::cmd("wasm-bindgen", ["--version"]))
                .unwrap_or_else(|_| "none".into());
            say(format!(
                "wasm-bindgen-cli {wasm_bindgen}: missing or other version ({current}); installing (about 4 minutes)"
            ));
            // No --locked: one locked dependency version of wasm-bindgen-cli is missing from
            // the registry mirror.
            self.run(&[
                "cargo",
                "install",
                "wasm-bindgen-cli",
                "--version",
                wasm_bindgen,
                "--force",
            ])?;
            if !self.opts.dry_run {
                self.did(format!(
                    "cargo install wasm-bindgen-cli --version {wasm_bindgen}"
                ));
            }
        }
        match cmd::which("wasm-pack") {
            Some(_) if !self.opts.simulate.fresh => {
                let version =
                    cmd::output(&mut cmd::cmd("wasm-pack", ["--version"])).unwrap_or_default();
                say(format!("wasm-pack: present ({version})"));
            }
            _ => {
                say("wasm-pack: missing; installing (about 2 minutes)");
                self.run(&["cargo", "install", "wasm-pack"])?;
                if !self.opts.dry_run {
                    self.did("cargo install wasm-pack".to_owned());
                }
            }
        }
        Ok(())
    }

    /// `npm ci` in each Node project whose package-lock.json is newer than its node_modules.
    fn node_projects(&mut self) -> Result {
        for dir in NODE_PROJECTS {
            let lockfile = self.root.join(dir).join("package-lock.json");
            if !lockfile.is_file() {
                return Err(Fail::new(format!(
                    "{dir}/package-lock.json not found (listed in NODE_PROJECTS)"
                )));
            }
            if cmd::which("npm").is_none() {
                return Err(Fail::new(format!(
                    "npm not found, needed for {dir}.\n\
                     Install Node.js 20 and npm (Debian: apt-get install nodejs npm, or NodeSource node_20.x)."
                )));
            }
            let marker = self.root.join(dir).join("node_modules/.package-lock.json");
            if !marker.is_file() || cmd::newer(&lockfile, &marker) {
                let prefix = self.root.join(dir);
                let prefix = prefix.to_string_lossy();
                self.run(&[
                    "env",
                    "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1",
                    "npm",
                    "ci",
                    "--prefix",
                    &prefix,
                    "--no-audit",
                    "--no-fund",
                ])?;
                if !self.opts.dry_run {
                    self.did(format!("npm ci in {dir}"));
                }
            } else {
                say(format!("npm deps in {dir}: present"));
            }
        }
        Ok(())
    }
}

fn is_root() -> bool {
    cmd::output(&mut cmd::cmd("id", ["-u"])).is_ok_and(|uid| uid == "0")
}

/// Installs what is missing; returns the wasm32 route.
pub fn run(root: &Path, opts: &Options) -> Result<Route> {
    let start = Instant::now();
    env::put_cargo_bin_on_path();
    let sim = &opts.simulate;
    let is_debian = !sim.nodebian
        && Path::new("/etc/debian_version").is_file()
        && cmd::which("apt-get").is_some()
        && cmd::which("dpkg-query").is_some();
    let (can_root, sudo) = if sim.noroot {
        (false, false)
    } else if is_root() {
        (true, false)
    } else if cmd::which("sudo").is_some() && cmd::succeeds(&mut cmd::cmd("sudo", ["-n", "true"])) {
        (true, true)
    } else {
        (false, false)
    };
    let mut s = Setup {
        root,
        opts,
        done: Vec::new(),
        planned: Vec::new(),
        is_debian,
        can_root,
        sudo,
        apt_updated: false,
    };

    // 0. Rust itself: cargo (it runs this), rustc, rustfmt, clippy.
    s.rust_components()?;

    // 1. The wasm32 route.
    let facts = RouteFacts {
        forced: env::Route::forced()?,
        rustup_has_wasm32: sim.rustup || (!sim.fresh && env::rustup_has_wasm32()),
        debian_ready: !sim.fresh
            && is_debian
            && env::debian_route_ready()
            && s.missing_debs(&DEBIAN_ROUTE_PKGS).is_empty(),
        is_debian,
        dry_run: opts.dry_run,
    };
    let (route, why) = choose_route(facts, &mut || s.try_rustup_target())?;
    say(format!("wasm32 route: {} ({why})", route.name()));

    // 2. The browser for the wasm tests: Chromium and a matching chromedriver. Off Debian, any
    // Chrome/Chromium with a chromedriver on PATH (or $CHROMEDRIVER).
    if !is_debian
        && std::env::var_os("CHROMEDRIVER").is_none_or(|v| v.is_empty())
        && cmd::which("chromedriver").is_none()
    {
        return Err(Fail::new(
            "no chromedriver found and this is not a Debian/apt machine.\n\
             Install Chrome or Chromium and the chromedriver of the same major version, put\n\
             chromedriver on PATH (or set CHROMEDRIVER=/path/to/chromedriver), then re-run.",
        ));
    }
    let missing = s.missing_debs(&system_packages(route, is_debian));
    if !missing.is_empty() {
        say(format!("missing Debian packages: {}", missing.join(" ")));
        s.apt_install(&missing)?;
    }
    if !opts.dry_run && route == Route::Debian && !env::debian_route_ready() {
        return Err(Fail::new(format!(
            "the Debian route is still incomplete after installing {}.\n\
             Expected {} (>= 1.85), {}, {}, {}.",
            DEBIAN_ROUTE_PKGS.join(" "),
            env::DEBIAN_RUSTC,
            env::DEBIAN_RUSTDOC,
            env::DEBIAN_RUST_SRC,
            env::DEBIAN_RUST_LLD
        )));
    }

    // 3. wasm-bindgen-cli (= Cargo.lock) and wasm-pack.
    let wasm_bindgen = lock::locked_version(&root.join("Cargo.lock"), "wasm-bindgen")?;
    s.wasm_tools(&wasm_bindgen)?;

    // 4. Node dependencies. Node 20 and npm come from the machine.
    s.node_projects()?;

    let secs = start.elapsed().as_secs();
    if opts.dry_run {
        say(format!(
            "dry run: route {}; {} action(s) planned",
            route.name(),
            s.planned.len()
        ));
        for action in &s.planned {
            say(format!("  - {action}"));
        }
    } else if s.done.is_empty() {
        say(format!(
            "everything present (route: {}, wasm-bindgen {wasm_bindgen}); nothing to do ({secs}s)",
            route.name()
        ));
    } else {
        say(format!("done in {secs}s (route: {}):", route.name()));
        for action in &s.done {
            say(format!("  - {action}"));
        }
    }
    Ok(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> RouteFacts {
        RouteFacts {
            forced: None,
            rustup_has_wasm32: false,
            debian_ready: false,
            is_debian: true,
            dry_run: false,
        }
    }

    /// The route and whether `rustup target add` was tried.
    fn decide(f: RouteFacts, rustup_add_works: bool) -> (Result<(Route, &'static str)>, bool) {
        let mut tried = false;
        let result = choose_route(f, &mut || {
            tried = true;
            rustup_add_works
        });
        (result, tried)
    }

    #[test]
    fn a_rustup_toolchain_with_wasm32_is_used_without_network() {
        let (r, tried) = decide(
            RouteFacts {
                rustup_has_wasm32: true,
                ..facts()
            },
            false,
        );
        assert_eq!(r.unwrap().0, Route::Rustup);
        assert!(!tried);
    }

    #[test]
    fn an_installed_debian_route_is_used_before_trying_rustup() {
        let (r, tried) = decide(
            RouteFacts {
                debian_ready: true,
                ..facts()
            },
            true,
        );
        assert_eq!(r.unwrap().0, Route::Debian);
        assert!(!tried, "a ready machine must not wait on the network");
    }

    #[test]
    fn a_fresh_machine_tries_rustup_first() {
        let (r, tried) = decide(facts(), true);
        assert_eq!(
            r.unwrap(),
            (
                Route::Rustup,
                "rustup target add wasm32-unknown-unknown succeeded"
            )
        );
        assert!(tried);
    }

    #[test]
    fn a_fresh_debian_machine_without_rustup_wasm32_falls_back_to_debian() {
        let (r, tried) = decide(facts(), false);
        assert_eq!(r.unwrap().0, Route::Debian);
        assert!(tried);
        assert_eq!(
            system_packages(Route::Debian, true),
            [
                "rustc-web",
                "rust-web-src",
                "lld-22",
                "binaryen",
                "rust-web-clippy",
                "chromium",
                "chromium-driver"
            ]
        );
    }

    #[test]
    fn off_debian_without_rustup_wasm32_says_what_to_install() {
        let (r, _) = decide(
            RouteFacts {
                is_debian: false,
                ..facts()
            },
            false,
        );
        let msg = r.unwrap_err().msg;
        assert!(
            msg.contains("rustup target add wasm32-unknown-unknown"),
            "{msg}"
        );
        assert!(
            msg.contains("apt-get install rustc-web rust-web-src lld-22 binaryen rust-web-clippy"),
            "{msg}"
        );
        assert!(system_packages(Route::Rustup, false).is_empty());
    }

    #[test]
    fn forced_routes() {
        let forced_debian = RouteFacts {
            forced: Some(Route::Debian),
            rustup_has_wasm32: true,
            ..facts()
        };
        assert_eq!(decide(forced_debian, true).0.unwrap().0, Route::Debian);
        let forced_rustup = RouteFacts {
            forced: Some(Route::Rustup),
            ..facts()
        };
        let (r, tried) = decide(forced_rustup, false);
        assert!(tried);
        assert!(r.unwrap_err().msg.contains("FLEXPA_WASM_ROUTE=rustup"));
        // A dry run only reports.
        assert_eq!(
            decide(
                RouteFacts {
                    dry_run: true,
                    ..forced_rustup
                },
                false
            )
            .0
            .unwrap()
            .0,
            Route::Rustup
        );
    }

    #[test]
    fn the_rustup_route_on_debian_still_needs_chromium_and_wasm_opt() {
        assert_eq!(
            system_packages(Route::Rustup, true),
            ["binaryen", "chromium", "chromium-driver"]
        );
    }

    #[test]
    fn parses_simulate_and_dry_run() {
        let opts = Options::parse(&["--simulate=fresh,noroot".to_owned()]).unwrap();
        assert!(opts.dry_run);
        assert_eq!(
            opts.simulate,
            Simulate {
                fresh: true,
                noroot: true,
                ..Simulate::default()
            }
        );
        assert_eq!(
            Options::parse(&["--simulate=cloud".to_owned()])
                .unwrap_err()
                .code,
            2
        );
        assert!(Options::parse(&["-n".to_owned()]).unwrap().dry_run);
    }

    #[test]
    fn version_is_the_last_word() {
        assert_eq!(version_word("wasm-bindgen 0.2.130\n"), "0.2.130");
        assert_eq!(version_word(""), "");
    }
}
