//! The demo's backend. The access token never leaves the server: pages get views of the
//! records (patient, coverage, claims), kept server side per browser session (a cookie).
//!
//! - `GET /api/config`, `POST /api/exchange`: the contract of `examples/README.md` (Link's
//!   public token for the patient, their coverage, the plan and the expiry), the frontends'
//!   path;
//! - "Connect with Flexpa", the consent flow (OAuth PKCE), the main path
//!   ([`crate::consent_flow`]): `GET /api/consent/start`, `GET /api/consent/callback`;
//! - `POST /api/link`: Link's public token exchanged into the session (the legacy path of the
//!   built-in page);
//! - `GET /api/records`: the session's patient, coverage and claims ([`crate::records`]), or
//!   "syncing";
//! - `POST /api/webhooks`: Flexpa's signed webhooks ([`crate::webhook_receiver`]).

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use example_records::{Coverage, Patient};
use flexpa_link::server::webhooks::WebhookSecret;
use flexpa_link::server::{Error, ExchangeResponse};
use flexpa_link::PublicToken;
use serde::Deserialize;
use serde_json::{json, Value};
use tower_http::services::ServeDir;

use crate::flexpa::Flexpa;
use crate::records::{self, fhir_error};
use crate::sandbox::is_plain_host;
use crate::sessions::{self, Linked, Sessions};
use crate::webhook_receiver::LastEvents;
use crate::{consent_flow, webhook_receiver};

/// The page shown when no `--static` frontend is given: plain JavaScript over the Link
/// script, same element ids as the examples.
const BUILTIN_PAGE: &str = include_str!("../static/index.html");

/// Where the page loads the Link script from.
#[derive(Debug, Clone)]
pub enum ScriptUrl {
    /// A fixed URL (`https://js.flexpa.com/v1/` or `FLEXPA_LINK_SCRIPT_URL`).
    Fixed(String),
    /// The sandbox's `/v1/` on this port, on whatever host name the page used to reach us
    /// (so the page and the Link app are different origins).
    SandboxPort(u16),
}

/// What the backend needs.
#[derive(Debug, Clone)]
pub struct Backend {
    /// Flexpa (real or sandbox).
    pub flexpa: Flexpa,
    /// The publishable key given to the page.
    pub publishable_key: String,
    /// The Link script's URL given to the page.
    pub script: ScriptUrl,
    /// Whether this is the offline sandbox (the page says so).
    pub sandbox: bool,
    /// The consent flow's redirect URI; `None`: `http://<the host the browser used>/api/consent/callback`
    /// (set it when the demo runs behind a proxy or on HTTPS; Flexpa needs it registered).
    pub redirect_uri: Option<String>,
    /// The secret webhooks are signed with; `None` refuses every webhook.
    pub webhook_secret: Option<WebhookSecret>,
}

/// The backend and its sessions, shared by the routes.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) backend: Backend,
    pub(crate) sessions: Sessions,
    pub(crate) webhook_events: LastEvents,
}

/// The routes' state.
pub(crate) type Shared = State<Arc<App>>;

/// The routes, with `static_dir` (or the built-in page) at `/`.
pub fn router(backend: Backend, static_dir: Option<PathBuf>) -> Router {
    let app = Arc::new(App {
        backend,
        sessions: Sessions::default(),
        webhook_events: LastEvents::default(),
    });
    let api = Router::new()
        .route("/api/config", get(config))
        .route("/api/exchange", post(exchange))
        .route("/api/link", post(link))
        .route("/api/consent/start", get(consent_flow::start))
        .route("/api/consent/callback", get(consent_flow::callback))
        .route("/api/records", get(records::handler))
        .route("/api/webhooks", post(webhook_receiver::handler))
        .with_state(app);
    match static_dir {
        Some(dir) => {
            api.fallback_service(ServeDir::new(dir).append_index_html_on_directories(true))
        }
        None => api.route("/", get(|| async { Html(BUILTIN_PAGE) })),
    }
}

/// The contract's error answer: `{"error": <reason phrase>, "message": <words>}`.
pub(crate) fn page_error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": message.into(),
    });
    no_store((status, Json(body)).into_response())
}

pub(crate) fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The `Host` the client used to reach us, if it is a plain host name or address.
pub(crate) fn request_host(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| is_plain_host(h))
}

/// The host name (without port) the client used to reach us.
fn request_hostname(headers: &HeaderMap) -> String {
    let host = request_host(headers).unwrap_or("127.0.0.1");
    if let Some(rest) = host.strip_prefix('[') {
        // [::1]:8080
        return match rest.split_once(']') {
            Some((ip, _)) => format!("[{ip}]"),
            None => "127.0.0.1".to_string(),
        };
    }
    host.split(':').next().unwrap_or(host).to_string()
}

/// `GET /api/config`.
async fn config(State(app): Shared, headers: HeaderMap) -> Response {
    let backend = &app.backend;
    let script_url = match &backend.script {
        ScriptUrl::Fixed(url) => url.clone(),
        ScriptUrl::SandboxPort(port) => {
            format!("http://{}:{port}/v1/", request_hostname(&headers))
        }
    };
    no_store(
        Json(json!({
            "publishableKey": backend.publishable_key,
            "scriptUrl": script_url,
            "sandbox": backend.sandbox,
        }))
        .into_response(),
    )
}

#[derive(Deserialize)]
struct ExchangeRequest {
    public_token: PublicToken,
}

/// Reads `{"public_token"}` and exchanges it.
async fn exchange_public_token(flexpa: &Flexpa, body: Body) -> Result<ExchangeResponse, Response> {
    let Ok(bytes) = to_bytes(body, 16 * 1024).await else {
        return Err(page_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        ));
    };
    let Ok(request) = serde_json::from_slice::<ExchangeRequest>(&bytes) else {
        return Err(page_error(
            StatusCode::BAD_REQUEST,
            r#"The body must be JSON: {"public_token": "public_token_..."}."#,
        ));
    };
    flexpa.exchange(&request.public_token).await.map_err(|e| {
        eprintln!("exchange failed: {e}");
        exchange_error(&e)
    })
}

/// `POST /api/link` `{"public_token"}` (the built-in page's Link path): exchanges it and keeps
/// the access token in this browser's session; answers `{"linked": true, "plan", "expiresIn"}`
/// at once, without waiting for the data to sync (the page then polls `GET /api/records`).
async fn link(State(app): Shared, headers: HeaderMap, body: Body) -> Response {
    let tokens = match exchange_public_token(&app.backend.flexpa, body).await {
        Ok(tokens) => tokens,
        Err(response) => return response,
    };
    let plan = tokens
        .endpoint
        .as_ref()
        .map(|e| e.label.first().cloned().unwrap_or_else(|| e.name.clone()));
    let answer = json!({ "linked": true, "plan": plan, "expiresIn": tokens.expires_in });
    let linked = Linked {
        access_token: tokens.access_token,
        plan,
    };
    sessions::respond_with_session(
        &app.sessions,
        &headers,
        |session| session.linked = Some(linked),
        no_store(Json(answer).into_response()),
    )
}

/// `POST /api/exchange` `{"public_token"}`: exchange it, read who the patient is and their
/// coverage with the access token (waiting for the data to sync, within the crate's budget),
/// and answer with only that.
async fn exchange(State(app): Shared, body: Body) -> Response {
    let backend = &app.backend;
    let tokens = match exchange_public_token(&backend.flexpa, body).await {
        Ok(tokens) => tokens,
        Err(response) => return response,
    };
    match linked(&backend.flexpa, &tokens).await {
        Ok(view) => {
            eprintln!(
                "exchange: linked {} through {}",
                view["patient"]["id"].as_str().unwrap_or("?"),
                tokens
                    .endpoint
                    .as_ref()
                    .map(|e| e.name.as_str())
                    .unwrap_or("an unnamed endpoint")
            );
            no_store(Json(view).into_response())
        }
        Err(e) => {
            eprintln!("exchange: linked, but {e}");
            fhir_error(
                &e,
                "The health plan was linked, but reading its records failed",
            )
        }
    }
}

/// The crate's error of a token exchange as the page should see it. Its text never holds a
/// secret.
pub(crate) fn exchange_error(e: &Error) -> Response {
    match e {
        Error::Api(api)
            if api.status() == StatusCode::UNAUTHORIZED
                || api.status() == StatusCode::FORBIDDEN =>
        {
            page_error(
                StatusCode::BAD_GATEWAY,
                format!(
                    "Flexpa refused this server's secret key (HTTP {}{}). Check FLEXPA_SECRET_KEY.",
                    api.status().as_u16(),
                    api.message().map(|m| format!(": {m}")).unwrap_or_default()
                ),
            )
        }
        // An expired, reused or unknown public token: the user should link again.
        Error::Api(api) if api.status().is_client_error() => page_error(
            StatusCode::BAD_REQUEST,
            api.message()
                .map(str::to_owned)
                .unwrap_or_else(|| e.to_string()),
        ),
        Error::RateLimited { retry_after, .. } => {
            let mut response = page_error(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("{e}. Try again in a moment."),
            );
            if let Some(wait) = retry_after {
                if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            response
        }
        Error::Timeout { .. } => page_error(StatusCode::GATEWAY_TIMEOUT, e.to_string()),
        _ => page_error(StatusCode::BAD_GATEWAY, e.to_string()),
    }
}

/// After a successful exchange: introspect (informational), then the patient and their
/// coverage from FHIR; the page's JSON.
async fn linked(flexpa: &Flexpa, tokens: &ExchangeResponse) -> Result<Value, Error> {
    let introspection = match flexpa.introspect(&tokens.access_token).await {
        Ok(info) => Some(info),
        Err(e) => {
            eprintln!("exchange: introspection failed (continuing): {e}");
            None
        }
    };
    // The patient Flexpa named, else its `$PATIENT_ID` wildcard (the token's patient).
    let patient_id = tokens
        .patient_id()
        .or_else(|| introspection.as_ref().and_then(|i| i.patient_id()))
        .unwrap_or("$PATIENT_ID")
        .to_owned();
    let fhir = flexpa.client().fhir(&tokens.access_token);
    let coverage_search = [("patient", patient_id.as_str())];
    let (patient, coverage) = tokio::join!(
        fhir.read::<Value>("Patient", &patient_id),
        fhir.search_all::<Value>("Coverage", &coverage_search),
    );
    let patient = patient?;
    let coverage = coverage?;
    let endpoint = tokens
        .endpoint
        .as_ref()
        .or_else(|| introspection.as_ref().and_then(|i| i.endpoint.as_ref()))
        .map(|e| {
            json!({
                "name": e.name,
                "label": e.label.first().cloned().unwrap_or_else(|| e.name.clone()),
            })
        });
    let mut patient = Patient::from_fhir(&patient);
    if patient.id.is_empty() {
        // A resource without an id: the one it was read by.
        patient.id = patient_id;
    }
    Ok(json!({
        "patient": patient,
        "coverage": Coverage::list_from_fhir(&coverage),
        "endpoint": endpoint,
        "expiresIn": tokens.expires_in,
    }))
}
