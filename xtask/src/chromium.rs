//! Browser test runs (wasm-bindgen-test in headless Chromium, through wasm-bindgen-test-runner)
//! that a page which never loaded neither hangs nor fails.
//!
//! wasm-bindgen-test-runner serves the test page with tiny_http 0.12, whose task pool can leave
//! a request unanswered when the browser opens several connections at once: a thread woken for
//! one connection still counts as waiting when the next one arrives, so the last connection
//! waits for a free thread, and keep-alive connections hold them for minutes. The page then
//! never loads its module and no test starts. Chromium's net log of such a run shows the request
//! for one JS snippet sent and never answered. flexpa-link-dioxus's suites hit it in about one run
//! in five (their page fetches five snippets at once); the others have not been seen to.
//!
//! So `webdriver.json` bounds a page load to 30 s (`timeouts.pageLoad`; a test page loads in
//! well under a second), and [`run`] runs a command again when its page never loaded: at most
//! [`RETRIES`] times, and never when a test started, so a failing test still fails.

use std::process::Command;

use crate::cmd::{self, Result};

/// How many times a run whose page never loaded is started again.
pub const RETRIES: usize = 2;

/// Runs `make()`'s command (a `cargo test --target wasm32-unknown-unknown ...`) like
/// [`cmd::run`], again if a test page never loaded.
pub fn run(make: impl Fn() -> Result<Command>) -> Result {
    let mut tries = 0;
    loop {
        let (result, output) = cmd::run_teed(&mut make()?);
        if result.is_ok() || tries == RETRIES || !page_never_loaded(&output) {
            return result;
        }
        tries += 1;
        println!(
            "the test page never loaded (wasm-bindgen-test-runner left a request unanswered; see \
             xtask/src/chromium.rs): running it again ({tries} of {RETRIES})"
        );
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
