//! Command line, environment, start-up and shutdown of the demo server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use flexpa_link::server::webhooks::WebhookSecret;
use flexpa_link::server::SecretKey;
use flexpa_link::PublishableKey;
use flexpa_link_demo_server::backend::{self, Backend, ScriptUrl};
use flexpa_link_demo_server::flexpa::Flexpa;
use flexpa_link_demo_server::sandbox::{Sandbox, SandboxConfig};
use tokio::net::TcpListener;

const HELP: &str = "\
flexpa-link-demo-server: the flexpa-link demo's backend

USAGE:
    flexpa-link-demo-server [--static DIR] [--port PORT] [--host ADDR] [--sandbox-port PORT]
                            [--sandbox-sync-seconds SECS]

OPTIONS:
    --static DIR         the frontend to serve at / (default: a built-in plain-JavaScript page)
    --port PORT          the port to listen on (default: $PORT, else 8080; 0 = any free port)
    --host ADDR          the address to listen on (default: 127.0.0.1)
    --sandbox-port PORT  the offline sandbox's port (default: any free port)
    --sandbox-sync-seconds SECS
                         how long the sandbox says a newly linked patient's data is still
                         syncing (FHIR answers 429 until then; default 3; 0 to 600, decimals ok)
    -h, --help           this help

ENVIRONMENT:
    FLEXPA_PUBLISHABLE_KEY, FLEXPA_SECRET_KEY
        Both set: use the real Flexpa. Neither: the offline sandbox (sample data, no network).
    FLEXPA_LINK_SCRIPT_URL  the Link script (default https://js.flexpa.com/v1/)
    FLEXPA_API_URL          the Flexpa API (default https://api.flexpa.com)
    FLEXPA_WEBHOOK_SECRET   the secret of the webhook endpoint registered in Flexpa's Portal
                            (POST /api/webhooks; in sandbox mode the sandbox's own is used)
    FLEXPA_REDIRECT_URI     the consent flow's redirect URI as registered with Flexpa (default:
                            http://<host the browser used>/api/consent/callback)
    PORT                    the port, when --port is not given

In sandbox mode the backend registers http://<its address>/api/webhooks with the sandbox, which
signs and sends sync_completed / sync_failed when a patient's syncing window ends.
";

const DEFAULT_SCRIPT_URL: &str = "https://js.flexpa.com/v1/";
const DEFAULT_API_URL: &str = "https://api.flexpa.com";

struct Args {
    static_dir: Option<PathBuf>,
    port: Option<u16>,
    host: String,
    sandbox_port: u16,
    sandbox_sync: Duration,
}

fn parse_args() -> Result<Option<Args>, String> {
    use lexopt::prelude::*;
    let mut args = Args {
        static_dir: None,
        port: None,
        host: "127.0.0.1".to_string(),
        sandbox_port: 0,
        sandbox_sync: Duration::from_secs(3),
    };
    let mut parser = lexopt::Parser::from_env();
    let port = |value: std::ffi::OsString, name: &str| -> Result<u16, String> {
        value
            .to_str()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a port number (0 to 65535)"))
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("static") => {
                args.static_dir = Some(parser.value().map_err(|e| e.to_string())?.into())
            }
            Long("port") => {
                args.port = Some(port(parser.value().map_err(|e| e.to_string())?, "--port")?)
            }
            Long("host") => {
                args.host = parser
                    .value()
                    .map_err(|e| e.to_string())?
                    .into_string()
                    .map_err(|_| "--host must be text".to_string())?
            }
            Long("sandbox-port") => {
                args.sandbox_port =
                    port(parser.value().map_err(|e| e.to_string())?, "--sandbox-port")?
            }
            Long("sandbox-sync-seconds") => {
                let value = parser.value().map_err(|e| e.to_string())?;
                args.sandbox_sync = value
                    .to_str()
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .filter(|s| s.is_finite() && (0.0..=600.0).contains(s))
                    .map(Duration::from_secs_f64)
                    .ok_or("--sandbox-sync-seconds needs a number of seconds from 0 to 600")?;
            }
            Short('h') | Long("help") => return Ok(None),
            other => return Err(other.unexpected().to_string()),
        }
    }
    Ok(Some(args))
}

/// An environment variable, unset when empty.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let port = match (args.port, env("PORT")) {
        (Some(port), _) => port,
        (None, Some(v)) => v
            .trim()
            .parse()
            .map_err(|_| "PORT must be a port number (0 to 65535)".to_string())?,
        (None, None) => 8080,
    };
    if let Some(dir) = &args.static_dir {
        if !dir.join("index.html").is_file() {
            return Err(format!(
                "--static {}: no index.html there (build the frontend first: scripts/demo.sh does)",
                dir.display()
            ));
        }
    }

    let keys = (env("FLEXPA_PUBLISHABLE_KEY"), env("FLEXPA_SECRET_KEY"));
    let (backend, sandbox) = match keys {
        (Some(pk), Some(sk)) => {
            // The key values are never printed, not even when invalid.
            let publishable = PublishableKey::new(pk).map_err(|e| format!("FLEXPA_PUBLISHABLE_KEY: {e}"))?;
            let secret = SecretKey::new(sk).map_err(|e| format!("FLEXPA_SECRET_KEY: {e}"))?;
            let api = env("FLEXPA_API_URL").unwrap_or_else(|| DEFAULT_API_URL.to_string());
            let script = env("FLEXPA_LINK_SCRIPT_URL").unwrap_or_else(|| DEFAULT_SCRIPT_URL.to_string());
            let flexpa = Flexpa::new(secret, publishable.clone(), &api)
                .map_err(|e| format!("FLEXPA_API_URL: {e}"))?;
            println!(
                "flexpa-link demo: using Flexpa ({} keys)",
                if publishable.is_test() { "test" } else { "LIVE" }
            );
            println!("Flexpa API: {}", flexpa.base_url());
            println!("Link script: {script}");
            let webhook_secret = env("FLEXPA_WEBHOOK_SECRET")
                .map(WebhookSecret::new)
                .transpose()
                .map_err(|e| format!("FLEXPA_WEBHOOK_SECRET: {e}"))?;
            let backend = Backend {
                flexpa,
                publishable_key: publishable.as_str().to_string(),
                script: ScriptUrl::Fixed(script),
                sandbox: false,
                redirect_uri: env("FLEXPA_REDIRECT_URI"),
                webhook_secret,
            };
            (backend, None)
        }
        (None, None) => {
            for name in ["FLEXPA_LINK_SCRIPT_URL", "FLEXPA_API_URL"] {
                if env(name).is_some() {
                    println!("note: {name} is ignored in sandbox mode (it applies with FLEXPA_PUBLISHABLE_KEY and FLEXPA_SECRET_KEY)");
                }
            }
            let sandbox = Sandbox::new(SandboxConfig {
                sync_window: args.sandbox_sync,
                ..SandboxConfig::random()
            });
            let listener = TcpListener::bind((args.host.as_str(), args.sandbox_port))
                .await
                .map_err(|e| format!("cannot listen on {}:{} for the sandbox: {e}", args.host, args.sandbox_port))?;
            let sandbox_addr = listener.local_addr().map_err(|e| e.to_string())?;
            let api = format!("http://{}", loopback_view(sandbox_addr));
            let publishable = PublishableKey::new(sandbox.publishable_key().to_string())
                .map_err(|e| format!("sandbox publishable key: {e}"))?;
            let secret = SecretKey::new(sandbox.secret_key().to_string())
                .map_err(|e| format!("sandbox secret key: {e}"))?;
            let flexpa = Flexpa::new(secret, publishable, &api).map_err(|e| e.to_string())?;
            println!("flexpa-link demo: offline SANDBOX (sample health plans and sample data; set FLEXPA_PUBLISHABLE_KEY and FLEXPA_SECRET_KEY to use Flexpa)");
            println!("Sandbox Flexpa (Link script, Link app, API): {api}/");
            let webhook_secret = WebhookSecret::new(sandbox.webhook_secret().to_string())
                .map_err(|e| format!("sandbox webhook secret: {e}"))?;
            let backend = Backend {
                flexpa,
                publishable_key: sandbox.publishable_key().to_string(),
                script: ScriptUrl::SandboxPort(sandbox_addr.port()),
                sandbox: true,
                redirect_uri: env("FLEXPA_REDIRECT_URI"),
                webhook_secret: Some(webhook_secret),
            };
            (backend, Some((sandbox, listener)))
        }
        _ => {
            return Err(
                "set both FLEXPA_PUBLISHABLE_KEY and FLEXPA_SECRET_KEY (real Flexpa), or neither (offline sandbox)"
                    .to_string(),
            )
        }
    };

    let listener = TcpListener::bind((args.host.as_str(), port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}:{port}: {e} (pick another with --port)",
                args.host
            )
        })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // The sandbox sends its webhooks to this backend.
    let sandbox_task = sandbox.map(|(sandbox, sandbox_listener)| {
        let hooks = format!("http://{}/api/webhooks", loopback_view(addr));
        if let Err(e) = sandbox.register_webhook(&hooks) {
            eprintln!("note: webhooks off: {e}");
        }
        tokio::spawn(sandbox.serve(sandbox_listener))
    });
    match &args.static_dir {
        Some(dir) => println!("Frontend: {}", dir.display()),
        None => println!("Frontend: built-in plain-JavaScript page (--static DIR serves another)"),
    }
    println!(
        "Open http://{}/ in your browser (Ctrl-C to stop)",
        loopback_view(addr)
    );

    let app = backend::router(backend, args.static_dir);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await;
    if let Some(task) = sandbox_task {
        task.abort();
    }
    served.map_err(|e| e.to_string())
}

/// The address to show: 127.0.0.1 instead of 0.0.0.0, [::1] instead of [::].
fn loopback_view(addr: SocketAddr) -> String {
    let ip = addr.ip();
    if ip.is_unspecified() {
        if ip.is_ipv4() {
            format!("127.0.0.1:{}", addr.port())
        } else {
            format!("[::1]:{}", addr.port())
        }
    } else {
        addr.to_string()
    }
}

async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    println!("stopping");
}
