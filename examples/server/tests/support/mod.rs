//! What the sandbox's test files share: a sandbox on 127.0.0.1 with test defaults, a signed-in
//! sample patient, the crate's client pointed at it. (Each test file uses part of it.)
#![allow(dead_code)]

use std::time::Duration;

use flexpa_link_demo_server::sandbox::{data, Sandbox, SandboxConfig, SignIn, Usage};

/// The sample member of Evergreen Health.
pub const JANE: &str = "7f3c9a1e-2b4d-4e8f-9a6b-1c2d3e4f5a6b";

/// The sandbox's defaults, without the syncing window (tests of it set their own).
pub fn config() -> SandboxConfig {
    SandboxConfig {
        sync_window: Duration::ZERO,
        ..SandboxConfig::random()
    }
}

/// A sandbox served on a free port of 127.0.0.1.
pub struct Running {
    pub sandbox: Sandbox,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub http: reqwest::Client,
}

pub async fn start_with(config: SandboxConfig) -> Running {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sandbox = Sandbox::new(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sandbox.clone().serve(listener));
    Running {
        sandbox,
        base,
        http: reqwest::Client::new(),
    }
}

pub async fn start() -> Running {
    start_with(config()).await
}

impl Running {
    /// Signs the sample member of `plan` in (as the Link app does): a public token.
    pub fn sign_in(&self, plan: &str, usage: Usage, external_id: Option<&str>) -> String {
        let plan = data::plan(plan).unwrap();
        self.sandbox
            .sign_in(&SignIn {
                publishable_key: self.sandbox.publishable_key(),
                endpoint: plan.name,
                username: plan.username,
                password: plan.password,
                external_id: external_id.map(String::from),
                usage,
            })
            .unwrap()
    }

    /// The crate's client with the sandbox's keys and base URL.
    pub fn crate_client(&self) -> flexpa_link::server::Client {
        flexpa_link::server::Client::builder(
            flexpa_link::server::SecretKey::new(self.sandbox.secret_key().to_string()).unwrap(),
        )
        .publishable_key(
            flexpa_link::PublishableKey::new(self.sandbox.publishable_key().to_string()).unwrap(),
        )
        .base_url(&self.base)
        .build()
        .unwrap()
    }
}

/// A response header as text ("" when absent).
pub fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The `value` of the consent page's hidden `request` field.
pub fn request_id(html: &str) -> String {
    let start = html
        .find(r#"name="request" value=""#)
        .unwrap_or_else(|| panic!("no request id in {html}"))
        + r#"name="request" value=""#.len();
    html[start..].split('"').next().unwrap().to_string()
}
