//! `--sandbox` (feature `sandbox`): the offline Flexpa of the `flexpa-sandbox` crate (the Link
//! script, a stand-in Link app and API with sample FHIR data) served in this process on a free
//! port.

use std::time::Duration;

use flexpa_sandbox::{Sandbox, SandboxConfig};
use tokio::net::TcpListener;

/// A running sandbox: its keys and its address.
pub struct Running {
    /// The sandbox's publishable key.
    pub publishable_key: String,
    /// The sandbox's secret key.
    pub secret_key: String,
    /// `http://host:port`: the API, and the Link script at `/v1/`.
    pub url: String,
}

/// Starts a sandbox with fresh keys on a free port of `host`; it serves until the process ends.
pub async fn start(host: &str, sync_window: Duration) -> Result<Running, String> {
    let sandbox = Sandbox::new(SandboxConfig {
        sync_window,
        ..SandboxConfig::random()
    });
    let listener = TcpListener::bind((host, 0))
        .await
        .map_err(|e| format!("cannot listen on {host} for the sandbox: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let running = Running {
        publishable_key: sandbox.publishable_key().to_owned(),
        secret_key: sandbox.secret_key().to_owned(),
        url: format!("http://{addr}"),
    };
    tokio::spawn(sandbox.serve(listener));
    Ok(running)
}
