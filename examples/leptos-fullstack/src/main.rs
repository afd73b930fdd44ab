//! The server: renders the app on axum, serves the browser half (`--site-root`) and answers
//! the server function. See `--help`.

use std::process::ExitCode;

use axum::Router;
use example_leptos_fullstack::app::{shell, App, LinkSettings};
use example_leptos_fullstack::server::config::{Config, FlexpaSource, HELP};
use example_leptos_fullstack::server::Flexpa;
use flexpa_link::server::Client;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::parse(std::env::args_os().skip(1), |name| std::env::var(name).ok()) {
        Ok(Some(config)) => config,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), String> {
    if !config.site_root.join("pkg/app.js").is_file() {
        return Err(format!(
            "--site-root {}: no pkg/app.js there (cargo xtask leptos-fullstack builds it)",
            config.site_root.display()
        ));
    }
    let flexpa = connect(&config).await?;
    let options = LeptosOptions::builder()
        .output_name("app")
        .site_root(config.site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .build();
    let routes = generate_route_list(App);
    let context = move || {
        provide_context(flexpa.settings().clone());
        provide_context(flexpa.clone());
    };
    let app = Router::new()
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options);

    let listener = TcpListener::bind((config.host.as_str(), config.port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}:{}: {e} (pick another with --port)",
                config.host, config.port
            )
        })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("Open http://{addr}/ in your browser (Ctrl-C to stop)");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| e.to_string())
}

/// The Flexpa client and the page's Link settings, from the configuration or a sandbox.
async fn connect(config: &Config) -> Result<Flexpa, String> {
    match &config.flexpa {
        FlexpaSource::Configured {
            publishable_key,
            secret_key,
            api_url,
            script_url,
        } => {
            let client = Client::builder(secret_key.clone())
                .base_url(api_url.as_str())
                .build()
                .map_err(|e| format!("FLEXPA_API_URL: {e}"))?;
            println!(
                "Flexpa ({} keys): API {}, Link script {script_url}",
                if publishable_key.is_test() {
                    "test"
                } else {
                    "LIVE"
                },
                client.base_url()
            );
            let settings = LinkSettings {
                publishable_key: publishable_key.as_str().to_owned(),
                script_url: script_url.clone(),
                sandbox: false,
            };
            Ok(Flexpa::new(client, settings))
        }
        FlexpaSource::Sandbox { sync_window } => sandbox(&config.host, *sync_window).await,
    }
}

#[cfg(feature = "sandbox")]
async fn sandbox(host: &str, sync_window: std::time::Duration) -> Result<Flexpa, String> {
    use example_leptos_fullstack::server::sandbox;
    use flexpa_link::server::SecretKey;

    let running = sandbox::start(host, sync_window).await?;
    let secret = SecretKey::new(running.secret_key).map_err(|e| e.to_string())?;
    let client = Client::builder(secret)
        .base_url(running.url.as_str())
        .build()
        .map_err(|e| e.to_string())?;
    println!(
        "Sandbox Flexpa (Link script, Link app, API): {}/",
        running.url
    );
    let settings = LinkSettings {
        publishable_key: running.publishable_key,
        script_url: format!("{}/v1/", running.url),
        sandbox: true,
    };
    Ok(Flexpa::new(client, settings))
}

#[cfg(not(feature = "sandbox"))]
async fn sandbox(_host: &str, _sync_window: std::time::Duration) -> Result<Flexpa, String> {
    Err("--sandbox needs a build with the `sandbox` feature".into())
}

async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
