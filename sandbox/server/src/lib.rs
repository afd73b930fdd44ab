//! An offline stand-in for Flexpa, following `docs/flexpa.md`: the one the demo serves
//! (`examples/server`), the root crate's server tests put their fault layer in front of
//! (`tests/support/standin.rs`), and the server benchmark measures against (`bench/loadgen`).
//!
//!
//! - `GET /v1/`: the Link script (the repository's `sandbox/flexpa-link.js`, a faithful copy
//!   of `https://js.flexpa.com/v1/`), pointed at this sandbox's Link app;
//! - `GET /`: the Link app (`sandbox/link/`): pick a sample health plan, sign in with the
//!   sample credentials shown on screen, or cancel. It posts `LOADED`, `SUCCESS` (with a
//!   `public_token_<uuid>`) and `CLOSED` to the page that opened it, with that page's origin as
//!   the target origin. Its sign-in (`POST /sandbox/sign-in`) is the only way to mint a public
//!   token;
//! - the API: `POST /link/exchange`, `GET /link/introspect`, `POST /link/token` (refresh, and
//!   the PKCE code exchange), `POST /link/revoke`, and FHIR `Patient`, `Coverage`,
//!   `ExplanationOfBenefit` reads and searches with sample R4 data (see [`data`]);
//! - Flexpa's OAuth 2.0 PKCE flow ("Consent"): `GET /link/auth?response_type=code&client_id=..`
//!   shows a consent page (pick a sample plan, sign in with the sample credentials, or cancel)
//!   and redirects to the app's `redirect_uri` with a single-use `code` (or an OAuth `error`);
//!   `POST /link/token` `grant_type=authorization_code` turns the code into tokens.
//!
//! The API is rate limited per client address ([`RateLimit`]; generous by default): past the
//! limit it answers 429 with `Retry-After`, as Flexpa does.
//!
//! Serve it on its own origin (its own port): the Link script only accepts messages from the
//! Link app's origin, so the page and the Link app must differ for the check to mean anything.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use flexpa_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::new(SandboxConfig::random());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! println!("sandbox on http://{}", listener.local_addr()?);
//! sandbox.serve(listener).await
//! # }
//! ```

#![cfg(not(target_arch = "wasm32"))]

pub mod bounded;
pub mod data;
pub mod store;
pub mod webhooks;

mod api;
mod consent;
mod fhir;
mod link_app;
mod ratelimit;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use axum::http::{header, HeaderMap};
use axum::Router;
use tokio::net::TcpListener;
use uuid::Uuid;

pub use api::flexpa_error;
pub use ratelimit::RateLimit;
pub use store::Usage;

use ratelimit::Limiter;
use store::Store;

/// The sandbox's app credentials and token lifetimes.
#[derive(Clone)]
pub struct SandboxConfig {
    /// The app's publishable key (`pk_test_...`), given to the page.
    pub publishable_key: String,
    /// The app's secret key (`sk_test_...`), known only to the backend.
    pub secret_key: String,
    /// How long a public token can be exchanged (Flexpa: short-lived; here 10 minutes).
    pub public_token_ttl: Duration,
    /// How long an access token lives (`expires_in`; here 30 minutes).
    pub access_token_ttl: Duration,
    /// How long an authorization code of the PKCE flow can be exchanged (here 60 seconds).
    pub authorization_code_ttl: Duration,
    /// The usage of authorizations made through the PKCE flow, whose authorization URL has no
    /// `usage` parameter (here `MULTIPLE`: refresh tokens on refreshable plans).
    pub consent_usage: Usage,
    /// The API's rate limit per client address; `None` turns it off. Default
    /// [`RateLimit::GENEROUS`].
    pub rate_limit: Option<RateLimit>,
    /// How long a newly linked patient's data "syncs" after their first access token: FHIR
    /// answers 429 `transient` until then (and the webhook is sent then). Default 3 seconds;
    /// zero for none.
    pub sync_window: Duration,
    /// Search page size when `_count` is not given (default 20, as Flexpa is said to use).
    pub search_count_default: usize,
    /// The largest `_count` honoured; larger asks get this many (default 1000).
    pub search_count_max: usize,
    /// How long application access tokens (`client_credentials`) live (Flexpa: 30 minutes).
    pub application_token_ttl: Duration,
    /// Refuse `client_credentials` for test-mode keys with 403, as Flexpa does. Off by default:
    /// the sandbox's own keys are test keys.
    pub refuse_test_client_credentials: bool,
    /// The secret webhooks are signed with (`X-Flexpa-Signature`).
    pub webhook_secret: String,
    /// Where webhooks go from the start (also settable later: [`Sandbox::register_webhook`]).
    pub webhook_url: Option<String>,
    /// The most entries each of the store's maps keeps (tokens, authorizations, pending
    /// consent requests); the oldest go first. Default [`store::DEFAULT_CAP`].
    pub store_cap: usize,
}

impl SandboxConfig {
    /// Fresh random keys for this run, 10-minute public tokens, 30-minute access tokens.
    pub fn random() -> Self {
        SandboxConfig {
            publishable_key: format!("pk_test_sandbox_{}", Uuid::new_v4().simple()),
            secret_key: format!(
                "sk_test_sandbox_{}{}",
                Uuid::new_v4().simple(),
                Uuid::new_v4().simple()
            ),
            public_token_ttl: Duration::from_secs(600),
            access_token_ttl: Duration::from_secs(1800),
            authorization_code_ttl: Duration::from_secs(60),
            consent_usage: Usage::Multiple,
            rate_limit: Some(RateLimit::GENEROUS),
            sync_window: Duration::from_secs(3),
            search_count_default: 20,
            search_count_max: 1000,
            application_token_ttl: Duration::from_secs(1800),
            refuse_test_client_credentials: false,
            webhook_secret: format!("whsec_sandbox_{}", Uuid::new_v4().simple()),
            webhook_url: None,
            store_cap: store::DEFAULT_CAP,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("publishable_key", &self.publishable_key)
            .field("secret_key", &"<redacted>")
            .field("public_token_ttl", &self.public_token_ttl)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("authorization_code_ttl", &self.authorization_code_ttl)
            .field("consent_usage", &self.consent_usage)
            .field("rate_limit", &self.rate_limit)
            .field("sync_window", &self.sync_window)
            .field("search_count_default", &self.search_count_default)
            .field("search_count_max", &self.search_count_max)
            .field("application_token_ttl", &self.application_token_ttl)
            .field(
                "refuse_test_client_credentials",
                &self.refuse_test_client_credentials,
            )
            .field("webhook_secret", &"<redacted>")
            .field("webhook_url", &self.webhook_url)
            .field("store_cap", &self.store_cap)
            .finish()
    }
}

/// A signed-in patient, as the Link app reports it.
#[derive(Debug, Clone)]
pub struct SignIn<'a> {
    /// The publishable key the page created Link with.
    pub publishable_key: &'a str,
    /// The chosen plan's endpoint id or name.
    pub endpoint: &'a str,
    /// The user name typed.
    pub username: &'a str,
    /// The password typed.
    pub password: &'a str,
    /// `user.externalId` from `FlexpaLink.create`, if any.
    pub external_id: Option<String>,
    /// `usage` from `FlexpaLink.create`.
    pub usage: Usage,
}

/// Why a sign-in failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInError {
    /// The page's publishable key is not this sandbox's.
    InvalidPublishableKey,
    /// No sample plan has that endpoint id or name.
    UnknownEndpoint,
    /// Wrong user name or password.
    WrongCredentials,
}

impl fmt::Display for SignInError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignInError::InvalidPublishableKey => {
                "This app's publishable key is not valid: Link cannot continue."
            }
            SignInError::UnknownEndpoint => "That health plan is not available.",
            SignInError::WrongCredentials => {
                "Incorrect username or password. Use the sample credentials shown above."
            }
        })
    }
}

/// The offline Flexpa: cheap to clone (shared state).
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    config: SandboxConfig,
    store: Mutex<Store>,
    limiter: Limiter,
    local_addr: OnceLock<SocketAddr>,
    webhook_url: Mutex<Option<reqwest::Url>>,
    webhook_client: OnceLock<Option<reqwest::Client>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A sandbox with these credentials and lifetimes.
    pub fn new(config: SandboxConfig) -> Self {
        let store = Store::new(config.public_token_ttl, config.access_token_ttl)
            .with_code_ttl(config.authorization_code_ttl)
            .with_cap(config.store_cap);
        let limiter = Limiter::new(config.rate_limit);
        // A configured URL that is not valid is dropped (and said so) rather than failing.
        let webhook_url = config.webhook_url.as_deref().and_then(|url| {
            let checked = webhooks::check_url(url).ok();
            if checked.is_none() {
                eprintln!("sandbox: the configured webhook URL is not valid; none is registered");
            }
            checked
        });
        Sandbox {
            inner: Arc::new(Inner {
                config,
                store: Mutex::new(store),
                limiter,
                local_addr: OnceLock::new(),
                webhook_url: Mutex::new(webhook_url),
                webhook_client: OnceLock::new(),
            }),
        }
    }

    /// Sends this sandbox's webhooks to `url` from now on (replacing any earlier one).
    pub fn register_webhook(&self, url: &str) -> Result<(), webhooks::InvalidWebhookUrl> {
        let url = webhooks::check_url(url)?;
        *self
            .inner
            .webhook_url
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(url);
        Ok(())
    }

    /// The secret webhooks are signed with (for the backend next to the sandbox; never log it).
    pub fn webhook_secret(&self) -> &str {
        &self.inner.config.webhook_secret
    }

    fn webhook_url(&self) -> Option<reqwest::Url> {
        self.inner
            .webhook_url
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The HTTP client webhooks are sent with (made on first use; no redirects followed).
    fn webhook_client(&self) -> Option<reqwest::Client> {
        self.inner
            .webhook_client
            .get_or_init(|| {
                // reqwest is built without a TLS provider: install the one the crate uses.
                let _ = rustls::crypto::ring::default_provider().install_default();
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .ok()
            })
            .clone()
    }

    /// How many entries the token store holds (for tests of its bounds).
    pub fn stored_entries(&self) -> usize {
        self.store().len()
    }

    /// The app's publishable key.
    pub fn publishable_key(&self) -> &str {
        &self.inner.config.publishable_key
    }

    /// The app's secret key (for the backend running next to the sandbox; never log it).
    pub fn secret_key(&self) -> &str {
        &self.inner.config.secret_key
    }

    fn is_secret_key(&self, candidate: &str) -> bool {
        // Length and content compared without an early exit.
        let expected = self.inner.config.secret_key.as_bytes();
        let candidate = candidate.as_bytes();
        expected.len() == candidate.len()
            && expected
                .iter()
                .zip(candidate)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters to a sandbox: keep serving.
        self.inner
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A patient signs in to a sample plan through the Link app: checks the publishable key
    /// and the credentials, and mints a single-use `public_token_<uuid>`.
    pub fn sign_in(&self, sign_in: &SignIn<'_>) -> Result<String, SignInError> {
        if sign_in.publishable_key != self.publishable_key() {
            return Err(SignInError::InvalidPublishableKey);
        }
        let plan = data::plan(sign_in.endpoint).ok_or(SignInError::UnknownEndpoint)?;
        check_credentials(plan, sign_in.username, sign_in.password)?;
        Ok(self
            .store()
            .authorize(plan, sign_in.external_id.clone(), sign_in.usage))
    }

    /// Everything: the Link script, the Link app, the API and the consent page.
    pub fn router(&self) -> Router {
        link_app::router(self.clone())
            .merge(api::router(self.clone()))
            .fallback(api::not_found)
            .layer(axum::middleware::map_response(request_id))
    }

    /// Only the API (`/link/*` including the consent page, `/fhir/*`).
    pub fn api_router(&self) -> Router {
        api::router(self.clone())
            .fallback(api::not_found)
            .layer(axum::middleware::map_response(request_id))
    }

    /// Serves [`Sandbox::router`] on `listener` until the task is dropped (with each
    /// connection's address, which the rate limit is kept by).
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        if let Ok(addr) = listener.local_addr() {
            let _ = self.inner.local_addr.set(addr);
        }
        axum::serve(
            listener,
            self.router()
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    }
}

/// Every answer carries an `X-Request-Id`, as Flexpa's do (support asks for it).
async fn request_id(mut response: axum::response::Response) -> axum::response::Response {
    if let Ok(id) = axum::http::HeaderValue::from_str(&Uuid::new_v4().to_string()) {
        response.headers_mut().insert("x-request-id", id);
    }
    response
}

/// The sample member's user name (surrounding spaces forgiven) and password.
fn check_credentials(plan: &data::Plan, username: &str, password: &str) -> Result<(), SignInError> {
    if username.trim() != plan.username || password != plan.password {
        return Err(SignInError::WrongCredentials);
    }
    Ok(())
}

/// `http://host[:port]` as the client reached us: the request's `Host` when it is a plain
/// host name or address, else the address we listen on.
pub(crate) fn request_origin(sandbox: &Sandbox, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| is_plain_host(h));
    match (host, sandbox.inner.local_addr.get()) {
        (Some(host), _) => format!("http://{host}"),
        (None, Some(addr)) => format!("http://{addr}"),
        (None, None) => "http://127.0.0.1".to_string(),
    }
}

/// A `Host` value made of host-name, IPv4/IPv6 and port characters only.
pub fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}
