//! `cargo xtask demo` (the README's `scripts/demo.sh`): installs what is missing, builds a
//! frontend for wasm32 (examples/vanilla unless --app says otherwise) and runs the demo server
//! (examples/server) serving it, until stopped (Ctrl-C).

use std::os::unix::process::CommandExt;
use std::path::Path;

use crate::cmd::{cmd, run, Fail, Result};
use crate::env::{self, Toolchain};
use crate::{examples, leptos_fullstack, setup};

pub const USAGE: &str = "\
cargo xtask demo [--app NAME] [SERVER ARGS...]   (scripts/demo.sh is the same command)

  scripts/demo.sh                     offline: the sandbox Flexpa (sample plans and data)
  scripts/demo.sh --app yew           another frontend: vanilla (default), yew, leptos, dioxus
  scripts/demo.sh --app leptos-fullstack
                                      the full-stack Leptos app (its own server: SSR, hydration,
                                      a server function; see examples/leptos-fullstack)
  scripts/demo.sh --port 3000         other arguments go to the server (see below)
  FLEXPA_PUBLISHABLE_KEY=pk_test_... FLEXPA_SECRET_KEY=sk_test_... scripts/demo.sh
                                      the real Flexpa (js.flexpa.com, api.flexpa.com;
                                      FLEXPA_LINK_SCRIPT_URL / FLEXPA_API_URL override them)

It prints the URL to open and serves until stopped (Ctrl-C).";

const APPS: [&str; 5] = ["vanilla", "yew", "leptos", "dioxus", leptos_fullstack::APP];

/// The frontend and the arguments for the server.
fn parse(args: &[String]) -> Result<(String, Vec<String>, bool)> {
    let mut app = "vanilla".to_owned();
    let mut server_args = Vec::new();
    let mut help = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--app" {
            app = args
                .next()
                .ok_or_else(|| Fail::usage("--app needs a name"))?
                .clone();
        } else if let Some(name) = arg.strip_prefix("--app=") {
            app = name.to_owned();
        } else if arg == "-h" || arg == "--help" {
            help = true;
        } else {
            server_args.push(arg.clone());
        }
    }
    if !APPS.contains(&app.as_str()) {
        return Err(Fail::usage(format!(
            "unknown --app '{app}' ({})",
            APPS.join(", ")
        )));
    }
    Ok((app, server_args, help))
}

pub fn main(root: &Path, args: &[String]) -> Result {
    let (app, server_args, help) = parse(args)?;
    if help {
        println!("{USAGE}\n");
        return run(cmd(
            "cargo",
            ["run", "-q", "-p", "flexpa-link-demo-server", "--", "--help"],
        )
        .current_dir(root));
    }
    setup::run(root, &setup::Options::default())?;
    let tc = Toolchain::detect(root)?;
    if app == leptos_fullstack::APP {
        return leptos_fullstack::demo(root, &tc, &server_args);
    }
    let target = env::target_dir(root);
    let static_dir = target.join("demo").join(&app);
    examples::build(root, &tc, false, &app, &static_dir)?;
    run(cmd("cargo", ["build", "-p", "flexpa-link-demo-server"]).current_dir(root))?;
    let server = target.join("debug/flexpa-link-demo-server");
    // exec: the server replaces this process, so Ctrl-C and exit codes are the server's own.
    let err = cmd(&server, ["--static".as_ref(), static_dir.as_os_str()])
        .args(&server_args)
        .exec();
    Err(Fail::new(format!("cannot run {}: {err}", server.display())))
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn app_and_server_arguments() {
        assert_eq!(
            parse(&args(&[])).unwrap(),
            ("vanilla".into(), vec![], false)
        );
        assert_eq!(
            parse(&args(&["--app", "yew", "--port", "3000"])).unwrap(),
            ("yew".into(), args(&["--port", "3000"]), false)
        );
        assert_eq!(parse(&args(&["--app=dioxus", "-h"])).unwrap().0, "dioxus");
        assert_eq!(
            parse(&args(&[
                "--app",
                "leptos-fullstack",
                "--sandbox-sync-seconds",
                "2"
            ]))
            .unwrap(),
            (
                "leptos-fullstack".into(),
                args(&["--sandbox-sync-seconds", "2"]),
                false
            )
        );
        assert_eq!(parse(&args(&["--app", "minimal"])).unwrap_err().code, 2);
    }
}
