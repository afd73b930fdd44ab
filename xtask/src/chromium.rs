//! Browser test runs (wasm-bindgen-test in headless Chromium, through wasm-bindgen-test-runner)
//! that neither hang nor fail because the runner's server dropped a request.
//!
//! wasm-bindgen-test-runner serves the test page with tiny_http 0.12, whose task pool can leave
//! a connection unserved when several arrive at once: a thread woken for one connection still
//! counts as waiting when the next one arrives, so the last one waits for a free thread, and
//! keep-alive connections hold the threads for minutes. The page then never gets a JS snippet
//! or its wasm, and no test starts. Chromium's net log of such a run shows the request sent
//! and never answered. flexpa-link-dioxus's suites (five or more snippets fetched at once) hit
//! it in about one run in five, more on a busy machine, at the snippets or at the wasm.
//!
//! So [`run`] puts a [`SerialProxy`] between Chromium and the runner's server: the server gets
//! one request at a time, each on its own connection. Should a page still not load, the
//! page-load bound of `webdriver.json` (`timeouts.pageLoad`, 30 s) ends the run and [`run`]
//! starts it again, at most [`RETRIES`] times, and never when a test started, so a failing
//! test still fails.

mod serial_proxy;

use std::path::PathBuf;
use std::process::Command;

use crate::cmd::{self, Fail, Result};
use serial_proxy::SerialProxy;

/// How many times a run whose page never loaded is started again.
pub const RETRIES: usize = 2;

/// Runs `make()`'s command (a `cargo test --target wasm32-unknown-unknown ...` or `wasm-pack
/// test`) like [`cmd::run`], with Chromium behind a [`SerialProxy`], again if a test page never
/// loaded.
pub fn run(make: impl Fn() -> Result<Command>) -> Result {
    let proxy = SerialProxy::start()
        .map_err(|e| Fail::new(format!("cannot start the test pages' proxy: {e}")))?;
    let capabilities = Capabilities::through(&proxy)?;
    let mut tries = 0;
    loop {
        let mut command = make()?;
        command.env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &capabilities.0);
        let (result, output) = cmd::run_teed(&mut command);
        if result.is_ok() || tries == RETRIES || !page_never_loaded(&output) {
            return result;
        }
        tries += 1;
        println!(
            "the test page never loaded (see xtask/src/chromium.rs): running it again \
             ({tries} of {RETRIES})"
        );
    }
}

/// The WebDriver capabilities file the runner reads (WASM_BINDGEN_TEST_WEBDRIVER_JSON, set by
/// `Toolchain::detect` to the repository's webdriver.json) with Chromium sent through the proxy,
/// loopback included; removed on drop.
struct Capabilities(PathBuf);

impl Capabilities {
    fn through(proxy: &SerialProxy) -> Result<Capabilities> {
        let source = std::env::var_os("WASM_BINDGEN_TEST_WEBDRIVER_JSON")
            .map(PathBuf::from)
            .ok_or_else(|| Fail::new("WASM_BINDGEN_TEST_WEBDRIVER_JSON is not set"))?;
        let json = std::fs::read_to_string(&source)
            .map_err(|e| Fail::new(format!("cannot read {}: {e}", source.display())))?;
        let args = format!(
            r#""args": ["--proxy-server={}", "--proxy-bypass-list=<-loopback>", "#,
            proxy.url()
        );
        let Some(with_proxy) = json
            .contains(r#""args": ["#)
            .then(|| json.replacen(r#""args": ["#, &args, 1))
        else {
            return Err(Fail::new(format!(
                "{} has no \"args\": [ list of Chromium flags to add the proxy to",
                source.display()
            )));
        };
        let path = std::env::temp_dir().join(format!(
            "flexpa-link-webdriver-{}-{}.json",
            std::process::id(),
            proxy.url().rsplit(':').next().unwrap_or("0")
        ));
        std::fs::write(&path, with_proxy)
            .map_err(|e| Fail::new(format!("cannot write {}: {e}", path.display())))?;
        Ok(Capabilities(path))
    }
}

impl Drop for Capabilities {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Whether the last browser run in `output` started a browser and no test: the runner said it
/// was starting Chromium and nothing after it says "running N tests".
fn page_never_loaded(output: &str) -> bool {
    let Some(start) = output.rfind("Running headless tests in") else {
        return false;
    };
    !output[start..].lines().any(|line| {
        let line = line.trim();
        line.starts_with("running ") && (line.ends_with(" tests") || line.ends_with(" test"))
    })
}

#[cfg(test)]
mod tests {
    use super::page_never_loaded;

    const STARTED: &str =
        "     Running tests/web_app.rs (target/wasm32-unknown-unknown/debug/deps/web_app.wasm)\n\
        Running headless tests in Chrome on `http://127.0.0.1:34655/`\n\
        Try find `webdriver.json` for configure browser's capabilities:\nOk\n";

    #[test]
    fn a_page_that_never_loaded_is_recognised() {
        let stalled =
            format!("{STARTED}Error: timeout: Timed out receiving message from renderer: 29.8\n");
        assert!(page_never_loaded(&stalled));
    }

    #[test]
    fn a_run_whose_tests_started_is_not_run_again() {
        let failed = format!(
            "{STARTED}Loading Wasm module...\n\nrunning 9 tests\ntest a ... FAILED\n\ntest result: FAILED.\n"
        );
        assert!(!page_never_loaded(&failed));
        let one = format!("{STARTED}Loading Wasm module...\n\nrunning 1 test\ntest a ... FAILED\n");
        assert!(!page_never_loaded(&one));
    }

    #[test]
    fn a_failure_before_any_browser_run_is_not_run_again() {
        assert!(!page_never_loaded(
            "error[E0425]: cannot find value `x` in this scope\n"
        ));
    }

    #[test]
    fn only_the_last_browser_run_counts() {
        let earlier_ok = format!("{STARTED}running 3 tests\ntest result: ok.\n{STARTED}");
        assert!(page_never_loaded(&earlier_ok));
    }
}
