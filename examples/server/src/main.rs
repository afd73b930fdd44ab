//! `flexpa-link-demo-server`: serves a frontend and its backend, against the offline sandbox
//! (default) or the real Flexpa (with `FLEXPA_PUBLISHABLE_KEY` and `FLEXPA_SECRET_KEY`).

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
