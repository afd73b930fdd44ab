//! The demo's backend: the frontend's static files, `GET /api/config` and `POST /api/exchange`
//! (the contract in `examples/README.md`). The access token never leaves the server: the page
//! gets the patient, their coverage, the plan and the expiry.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use flexpa_link::server::{Error, ExchangeResponse};
use flexpa_link::PublicToken;
use serde::Deserialize;
use serde_json::{json, Value};
use tower_http::services::ServeDir;

use crate::flexpa::{FhirError, Flexpa};
use crate::sandbox::is_plain_host;

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
}

/// The routes, with `static_dir` (or the built-in page) at `/`.
pub fn router(backend: Backend, static_dir: Option<PathBuf>) -> Router {
    let api = Router::new()
        .route("/api/config", get(config))
        .route("/api/exchange", post(exchange))
        .with_state(Arc::new(backend));
    match static_dir {
        Some(dir) => {
            api.fallback_service(ServeDir::new(dir).append_index_html_on_directories(true))
        }
        None => api.route("/", get(|| async { Html(BUILTIN_PAGE) })),
    }
}

/// The contract's error answer: `{"error": <reason phrase>, "message": <words>}`.
fn page_error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": message.into(),
    });
    no_store((status, Json(body)).into_response())
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The host name (without port) the client used to reach us.
fn request_hostname(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| is_plain_host(h))
        .unwrap_or("127.0.0.1");
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
async fn config(State(backend): State<Arc<Backend>>, headers: HeaderMap) -> Response {
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

/// `POST /api/exchange` `{"public_token"}`: exchange it, read who the patient is and their
/// coverage with the access token, and answer with only that.
async fn exchange(State(backend): State<Arc<Backend>>, body: Body) -> Response {
    let Ok(bytes) = to_bytes(body, 16 * 1024).await else {
        return page_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        );
    };
    let Ok(request) = serde_json::from_slice::<ExchangeRequest>(&bytes) else {
        return page_error(
            StatusCode::BAD_REQUEST,
            r#"The body must be JSON: {"public_token": "public_token_..."}."#,
        );
    };
    let tokens = match backend.flexpa.exchange(&request.public_token).await {
        Ok(tokens) => tokens,
        Err(e) => {
            eprintln!("exchange failed: {e}");
            return exchange_error(&e);
        }
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
            let status = match e.status {
                Some(s) if s == StatusCode::TOO_MANY_REQUESTS => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_GATEWAY,
            };
            page_error(
                status,
                format!("The health plan was linked, but reading its records failed: {e}"),
            )
        }
    }
}

/// The crate's error as the page should see it. Its text never holds a secret.
fn exchange_error(e: &Error) -> Response {
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
async fn linked(flexpa: &Flexpa, tokens: &ExchangeResponse) -> Result<Value, FhirError> {
    let introspection = match flexpa.introspect(&tokens.access_token).await {
        Ok(info) => Some(info),
        Err(e) => {
            eprintln!("exchange: introspection failed (continuing): {e}");
            None
        }
    };
    let patient_id = tokens
        .patient_id()
        .or_else(|| introspection.as_ref().and_then(|i| i.patient_id()))
        .map(str::to_owned)
        .ok_or_else(|| FhirError {
            status: None,
            message: "Flexpa did not say which patient was linked".to_string(),
        })?;
    let encoded = form_encode(&patient_id);
    let (patient_path, coverage_path) = (
        format!("Patient/{encoded}"),
        format!("Coverage?patient={encoded}"),
    );
    let (patient, coverage) = tokio::join!(
        flexpa.fhir(&tokens.access_token, &patient_path),
        flexpa.fhir(&tokens.access_token, &coverage_path),
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
    Ok(json!({
        "patient": patient_view(&patient_id, &patient),
        "coverage": coverage_view(&coverage),
        "endpoint": endpoint,
        "expiresIn": tokens.expires_in,
    }))
}

/// Percent-encodes an id for a path segment or query value.
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `{"id", "name", "birthDate", "gender"}` from a FHIR `Patient`.
pub fn patient_view(id: &str, patient: &Value) -> Value {
    let name = patient["name"]
        .as_array()
        .and_then(|names| {
            names
                .iter()
                .find(|n| n["use"] == "official")
                .or_else(|| names.first())
        })
        .and_then(|n| {
            n["text"].as_str().map(str::to_owned).or_else(|| {
                let given: Vec<&str> = n["given"]
                    .as_array()
                    .map(|g| g.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let family = n["family"].as_str();
                let parts: Vec<&str> = given.into_iter().chain(family).collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            })
        });
    json!({
        "id": patient["id"].as_str().unwrap_or(id),
        "name": name,
        "birthDate": patient["birthDate"],
        "gender": patient["gender"],
    })
}

/// The contract's coverage list from a FHIR `Coverage` search bundle (or a single resource).
pub fn coverage_view(bundle: &Value) -> Value {
    let resources: Vec<&Value> = match bundle["resourceType"].as_str() {
        Some("Bundle") => bundle["entry"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| &e["resource"])
                    .filter(|r| r["resourceType"] == "Coverage")
                    .collect()
            })
            .unwrap_or_default(),
        Some("Coverage") => vec![bundle],
        _ => Vec::new(),
    };
    let class_name = |c: &Value, code: &str| -> Option<String> {
        c["class"].as_array()?.iter().find_map(|class| {
            let matches = class["type"]["coding"]
                .as_array()?
                .iter()
                .any(|coding| coding["code"] == code);
            matches.then(|| {
                class["name"]
                    .as_str()
                    .or(class["value"].as_str())
                    .map(str::to_owned)
            })?
        })
    };
    let list: Vec<Value> = resources
        .into_iter()
        .map(|c| {
            let member_id = c["subscriberId"].as_str().map(str::to_owned).or_else(|| {
                c["identifier"].as_array().and_then(|ids| {
                    ids.iter()
                        .find(|i| {
                            i["type"]["coding"]
                                .as_array()
                                .is_some_and(|cs| cs.iter().any(|cd| cd["code"] == "MB"))
                        })
                        .or_else(|| ids.first())
                        .and_then(|i| i["value"].as_str().map(str::to_owned))
                })
            });
            json!({
                "payor": c["payor"][0]["display"],
                "plan": class_name(c, "plan").or_else(|| class_name(c, "group")),
                "status": c["status"],
                "memberId": member_id,
                "start": c["period"]["start"],
                "end": c["period"]["end"],
            })
        })
        .collect();
    Value::Array(list)
}
