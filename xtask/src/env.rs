//! The build environment: which wasm32 toolchain route this machine has, and the environment
//! the wasm32 commands and the browser tests need.
//!
//! Routes (`cargo xtask setup` installs what the chosen one needs):
//! - rustup: the active rustup toolchain has the wasm32-unknown-unknown std; plain cargo.
//! - debian: no wasm32 std in rustup, Debian's rustc-web is installed; cargo builds std from
//!   source (build-std) with /usr/bin/rustc, and clippy is Debian's cargo-clippy.
//! - none: neither; the wasm32 commands fail with a message to run `cargo xtask setup`.
//!
//! `FLEXPA_WASM_ROUTE=rustup|debian` forces a route. The wasm32 environment is applied to wasm32
//! commands only, never to native builds: build-std needs an explicit `--target`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, Fail, Result};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Where the Debian packages rustc-web, rust-web-src, lld-22 and rust-web-clippy put things.
pub const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
pub const DEBIAN_RUSTDOC: &str = "/usr/bin/rustdoc";
pub const DEBIAN_RUST_SRC: &str = "/usr/lib/rustlib/src/rust/library";
pub const DEBIAN_RUST_LLD: &str = "/usr/bin/rust-lld";
pub const DEBIAN_CARGO_CLIPPY: &str = "/usr/bin/cargo-clippy";
/// The oldest rustc the crate builds with (Cargo.toml's rust-version): bookworm's plain `rustc`
/// package is 1.63, too old, hence rustc-web.
const MIN_RUSTC_MINOR: u32 = 85;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Rustup,
    Debian,
    None,
}

impl Route {
    pub fn name(self) -> &'static str {
        match self {
            Route::Rustup => "rustup",
            Route::Debian => "debian",
            Route::None => "none",
        }
    }

    /// The route forced by `FLEXPA_WASM_ROUTE`, if any.
    pub fn forced() -> Result<Option<Route>> {
        match std::env::var("FLEXPA_WASM_ROUTE")
            .unwrap_or_default()
            .as_str()
        {
            "" => Ok(None),
            "rustup" => Ok(Some(Route::Rustup)),
            "debian" => Ok(Some(Route::Debian)),
            other => Err(Fail::usage(format!(
                "FLEXPA_WASM_ROUTE must be rustup or debian, not '{other}'"
            ))),
        }
    }
}

/// Whether the active rustup/rustc toolchain ships the wasm32 standard library.
pub fn rustup_has_wasm32() -> bool {
    let Ok(sysroot) = cmd::output(&mut cmd::cmd("rustc", ["--print", "sysroot"])) else {
        return false;
    };
    !sysroot.is_empty()
        && Path::new(&sysroot)
            .join("lib/rustlib")
            .join(WASM_TARGET)
            .join("lib")
            .is_dir()
}

/// Whether the Debian build-std route is fully installed: a /usr/bin/rustc new enough for the
/// crate (rustc-web), its rustdoc, the std sources (rust-web-src) and rust-lld (lld-22).
pub fn debian_route_ready() -> bool {
    let files_there = cmd::is_executable(Path::new(DEBIAN_RUSTC))
        && cmd::is_executable(Path::new(DEBIAN_RUSTDOC))
        && Path::new(DEBIAN_RUST_SRC).is_dir()
        && cmd::is_executable(Path::new(DEBIAN_RUST_LLD));
    files_there
        && cmd::output(&mut cmd::cmd(DEBIAN_RUSTC, ["--version"]))
            .ok()
            .and_then(|v| rustc_minor(&v))
            .is_some_and(|minor| minor >= MIN_RUSTC_MINOR)
}

/// `rustc 1.96.0 (...)` -> 96.
fn rustc_minor(version: &str) -> Option<u32> {
    version
        .strip_prefix("rustc 1.")?
        .split('.')
        .next()?
        .parse()
        .ok()
}

pub fn detect_route() -> Route {
    if rustup_has_wasm32() {
        Route::Rustup
    } else if debian_route_ready() {
        Route::Debian
    } else {
        Route::None
    }
}

/// `$CARGO_HOME/bin`, where `cargo install` puts wasm-bindgen, its test runner and wasm-pack.
pub fn cargo_bin_dir() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

/// Puts `$CARGO_HOME/bin` on this process's PATH (and so its children's) if it is not there,
/// so that tools `cargo install`ed by set-up are found in the same run.
pub fn put_cargo_bin_on_path() {
    let bin = cargo_bin_dir();
    let path = std::env::var_os("PATH").unwrap_or_default();
    if !std::env::split_paths(&path).any(|p| p == bin) {
        let mut dirs = vec![bin];
        dirs.extend(std::env::split_paths(&path));
        if let Ok(joined) = std::env::join_paths(dirs) {
            std::env::set_var("PATH", joined);
        }
    }
}

/// Undoes what `cargo run` (the `cargo xtask` alias) adds to this process's environment, so that
/// the commands xtask runs see the environment the user had, as when the tooling was shell
/// scripts: the package variables of xtask itself (CARGO_PKG_NAME=xtask and the like would
/// otherwise reach every tool that cargo does not override them for), and the entries cargo put
/// on LD_LIBRARY_PATH (xtask's target directory and the toolchain's own libraries, which a
/// different rustc, such as Debian's on the Debian route, must not pick up).
pub fn undo_cargo_run(root: &Path) {
    let toolchain = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .and_then(|cargo| Some(cargo.parent()?.parent()?.to_owned()));
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let from_cargo_run = matches!(
            key,
            "CARGO"
                | "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
        ) || key.starts_with("CARGO_PKG_");
        if from_cargo_run {
            std::env::remove_var(key);
        }
    }
    let Some(paths) = std::env::var_os("LD_LIBRARY_PATH") else {
        return;
    };
    let target = target_dir(root);
    let kept: Vec<PathBuf> = std::env::split_paths(&paths)
        .filter(|p| {
            !p.starts_with(&target) && !toolchain.as_ref().is_some_and(|t| p.starts_with(t))
        })
        .collect();
    if kept.is_empty() {
        std::env::remove_var("LD_LIBRARY_PATH");
    } else if let Ok(joined) = std::env::join_paths(kept) {
        std::env::set_var("LD_LIBRARY_PATH", joined);
    }
}

fn set_default(key: &str, value: impl Into<OsString>) {
    if std::env::var_os(key).is_none_or(|v| v.is_empty()) {
        std::env::set_var(key, value.into());
    }
}

/// The wasm32 toolchain of this machine and the commands that use it.
pub struct Toolchain {
    pub route: Route,
}

impl Toolchain {
    /// Detects the route (or takes `FLEXPA_WASM_ROUTE`) and sets, for this process and every
    /// command it runs, what the browser tests need (existing values win):
    /// - CHROMEDRIVER: /usr/bin/chromedriver (Debian's chromium-driver) or one on PATH;
    /// - CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner;
    /// - WASM_BINDGEN_TEST_WEBDRIVER_JSON=ROOT/webdriver.json: wasm-bindgen-test-runner merges
    ///   these Chrome capabilities (offline, headless as root, a 30 s page-load bound: see
    ///   chromium.rs) into its own; pointing at the repository's file gives every workspace
    ///   member and wasm-pack the same flags;
    /// - WASM_BINDGEN_TEST_TIMEOUT=300 and WASM_BINDGEN_TEST_DRIVER_TIMEOUT=60: the defaults
    ///   (20 s per test binary, 5 s for chromedriver start-up) are too tight on a busy 2-core
    ///   machine. These are limits, not expectations.
    pub fn detect(root: &Path) -> Result<Toolchain> {
        put_cargo_bin_on_path();
        let route = Route::forced()?.unwrap_or_else(detect_route);
        if std::env::var_os("CHROMEDRIVER").is_none_or(|v| v.is_empty()) {
            let system = Path::new("/usr/bin/chromedriver");
            let found = if cmd::is_executable(system) {
                Some(system.to_owned())
            } else {
                cmd::which("chromedriver")
            };
            match found {
                Some(path) => std::env::set_var("CHROMEDRIVER", path),
                None => std::env::remove_var("CHROMEDRIVER"),
            }
        }
        set_default(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        );
        let webdriver_json = root.join("webdriver.json");
        if webdriver_json.is_file() {
            set_default("WASM_BINDGEN_TEST_WEBDRIVER_JSON", webdriver_json);
        }
        set_default("WASM_BINDGEN_TEST_TIMEOUT", "300");
        set_default("WASM_BINDGEN_TEST_DRIVER_TIMEOUT", "60");
        Ok(Toolchain { route })
    }

    /// The variables a wasm32 command needs on this route: on the Debian route, Debian's rustc
    /// and rustdoc, and cargo's build-std (unstable, hence RUSTC_BOOTSTRAP) to build std for
    /// wasm32 from rust-web-src. Nothing on the rustup route.
    pub fn wasm_env(&self) -> Vec<(&'static str, &'static str)> {
        match self.route {
            Route::Debian => vec![
                ("RUSTC", DEBIAN_RUSTC),
                ("RUSTDOC", DEBIAN_RUSTDOC),
                ("RUSTC_BOOTSTRAP", "1"),
                ("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort"),
            ],
            Route::Rustup | Route::None => Vec::new(),
        }
    }

    fn need_route(&self) -> Result {
        if self.route == Route::None {
            return Err(Fail::new(
                "no wasm32 toolchain (no rustup wasm32 target, no Debian rustc-web): run `cargo xtask setup`",
            ));
        }
        Ok(())
    }

    /// `program` with the route's wasm32 environment.
    pub fn wasm_command(&self, program: &str) -> Result<Command> {
        self.need_route()?;
        let mut c = Command::new(program);
        c.envs(self.wasm_env());
        Ok(c)
    }

    /// cargo for wasm32 with the route's environment (pass `--target wasm32-unknown-unknown`).
    pub fn wasm_cargo(&self, args: &[&str]) -> Result<Command> {
        let mut c = self.wasm_command("cargo")?;
        c.args(args);
        Ok(c)
    }

    /// clippy for wasm32, `--target wasm32-unknown-unknown` added. On the Debian route rustup's
    /// clippy cannot read a std built by Debian's newer rustc, so Debian's cargo-clippy
    /// (rust-web-clippy) runs instead.
    pub fn wasm_clippy(&self, args: &[&str]) -> Result<Command> {
        let mut c = if self.route == Route::Debian {
            if !cmd::is_executable(Path::new(DEBIAN_CARGO_CLIPPY)) {
                return Err(Fail::new(format!(
                    "{DEBIAN_CARGO_CLIPPY} missing: apt-get install rust-web-clippy (or run `cargo xtask setup`)"
                )));
            }
            self.wasm_command(DEBIAN_CARGO_CLIPPY)?
        } else {
            self.wasm_command("cargo")?
        };
        c.args(["clippy", "--target", WASM_TARGET]).args(args);
        Ok(c)
    }

    /// Makes a `cargo build` / `cargo test` command lint the workspace's crates with clippy
    /// (`-D warnings`) as it compiles them: clippy-driver becomes the workspace wrapper, as in
    /// `cargo clippy`, but in a real build, so the dependencies are compiled once instead of
    /// once checked for clippy and once built for the tests (see the `hooks` step). Returns
    /// false, leaving `c` unchanged, where that cannot work: no clippy-driver on PATH, or wasm32
    /// on the Debian route (rustup's clippy cannot read Debian's std; use [`wasm_clippy`]).
    ///
    /// [`wasm_clippy`]: Toolchain::wasm_clippy
    pub fn lint_while_building(&self, c: &mut Command, wasm: bool) -> bool {
        let Some(driver) = self.clippy_driver(wasm) else {
            return false;
        };
        // clippy-driver reads its own flags from CLIPPY_ARGS, separated as cargo-clippy does.
        c.env("RUSTC_WORKSPACE_WRAPPER", driver).env(
            "CLIPPY_ARGS",
            "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
        );
        true
    }

    /// Whether [`lint_while_building`](Toolchain::lint_while_building) works for this target.
    pub fn lints_while_building(&self, wasm: bool) -> bool {
        self.clippy_driver(wasm).is_some()
    }

    fn clippy_driver(&self, wasm: bool) -> Option<PathBuf> {
        if wasm && self.route != Route::Rustup {
            return None;
        }
        cmd::which("clippy-driver")
    }

    /// wasm-pack with the route's environment (add `--mode no-install` where wanted).
    pub fn wasm_pack(&self, args: &[&str]) -> Result<Command> {
        let mut c = self.wasm_command("wasm-pack")?;
        c.args(args);
        Ok(c)
    }
}

/// The workspace's target directory: `$CARGO_TARGET_DIR` or ROOT/target.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(|d| root.join(d))
        .unwrap_or_else(|| root.join("target"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_rustc_minor_version() {
        assert_eq!(
            rustc_minor("rustc 1.96.0 (17067e9ac 2026-05-01) (built from a source tarball)"),
            Some(96)
        );
        assert_eq!(rustc_minor("rustc 1.63.0"), Some(63));
        assert_eq!(rustc_minor("something else"), None);
    }

    #[test]
    fn the_debian_route_sets_build_std_for_wasm_only() {
        let debian = Toolchain {
            route: Route::Debian,
        };
        let vars: Vec<_> = debian.wasm_env().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            vars,
            [
                "RUSTC",
                "RUSTDOC",
                "RUSTC_BOOTSTRAP",
                "CARGO_UNSTABLE_BUILD_STD"
            ]
        );
        assert!(Toolchain {
            route: Route::Rustup
        }
        .wasm_env()
        .is_empty());
        let clippy = Toolchain {
            route: Route::Rustup,
        }
        .wasm_clippy(&["-p", "x"])
        .unwrap();
        assert_eq!(
            cmd::display(&clippy),
            "cargo clippy --target wasm32-unknown-unknown -p x"
        );
    }

    #[test]
    fn undoes_what_cargo_sets_for_xtask() {
        // `cargo test` sets the same variables for this test binary as `cargo run` for xtask.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
        let cargo = PathBuf::from(std::env::var_os("CARGO").unwrap());
        let toolchain = cargo.parent().unwrap().parent().unwrap().to_owned();
        undo_cargo_run(root);
        assert!(std::env::var_os("CARGO_PKG_NAME").is_none());
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_none());
        let ld = std::env::var_os("LD_LIBRARY_PATH").unwrap_or_default();
        for p in std::env::split_paths(&ld) {
            assert!(
                !p.starts_with(target_dir(root)) && !p.starts_with(&toolchain),
                "{}",
                p.display()
            );
        }
    }

    #[test]
    fn no_route_fails_with_the_fix() {
        let err = Toolchain { route: Route::None }
            .wasm_cargo(&["build"])
            .unwrap_err();
        assert!(err.msg.contains("cargo xtask setup"), "{}", err.msg);
    }
}
