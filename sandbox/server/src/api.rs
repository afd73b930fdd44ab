//! The stand-in Flexpa API: `POST /link/exchange`, `GET /link/introspect`, `POST /link/token`
//! (refresh, the PKCE flow's code exchange, and `client_credentials`), `POST /link/revoke`,
//! the PKCE flow's consent page `/link/auth` (see [`super::consent`]), the webhook
//! registration `POST /sandbox/webhook` (see [`super::webhooks`]) and the FHIR API under
//! `/fhir/` (see [`super::fhir`]), as `docs/flexpa.md` describes them.
//! Errors are Flexpa's JSON `{"statusCode", "error", "message"}` (the OAuth code exchange
//! answers OAuth's `{"error", "error_description"}`; FHIR answers `OperationOutcome`s). Every
//! route is rate limited (see [`super::ratelimit`]).

// The request helpers return the finished error `Response`; its size does not matter here.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::data::{self, Plan};
use super::store::{AccessGrant, Authorization, Issued, RefreshTokenError};
use super::{consent, fhir, ratelimit, webhooks, Sandbox};

/// Request bodies over this are refused with 413, as Flexpa's API server does.
const BODY_LIMIT: usize = 1024 * 1024;

/// The API routes (mounted at the root of the sandbox origin).
pub fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/link/exchange", post(exchange))
        .route("/link/introspect", get(introspect))
        .route("/link/token", post(token))
        // The discovery documents name /oauth/token and /oauth/authorize (docs/flexpa.md):
        // served the same as /link/token and /link/auth.
        .route("/oauth/token", post(token))
        .route("/link/revoke", post(revoke))
        .route("/link/auth", get(consent::authorize).post(consent::consent))
        .route(
            "/oauth/authorize",
            get(consent::authorize).post(consent::consent),
        )
        .route("/sandbox/webhook", post(webhooks::register))
        .merge(fhir::routes())
        .method_not_allowed_fallback(not_found)
        .layer(middleware::from_fn_with_state(
            sandbox.clone(),
            ratelimit::middleware,
        ))
        .with_state(sandbox)
}

/// Flexpa's error JSON with this status.
pub fn flexpa_error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({
        "statusCode": status.as_u16(),
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": message.into(),
    });
    let mut response = (status, Json(body)).into_response();
    no_store(&mut response);
    response
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// 404 for an unknown route or method, worded as Flexpa's API server words it (under
/// `/fhir/`: an `OperationOutcome` `not-supported`, as the FHIR API answers).
pub async fn not_found(method: Method, uri: Uri) -> Response {
    let path: String = uri.path().chars().take(200).collect();
    if path.starts_with("/fhir/") {
        return fhir::operation_outcome(
            StatusCode::NOT_FOUND,
            "not-supported",
            format!("{method} {path} is not supported by this endpoint"),
        );
    }
    flexpa_error(
        StatusCode::NOT_FOUND,
        format!("Route {method}:{path} not found"),
    )
}

pub(crate) fn json_ok(body: Value) -> Response {
    let mut response = Json(body).into_response();
    no_store(&mut response);
    response
}

/// The body, or the 413 Flexpa answers for an oversized one.
async fn read_body(body: Body) -> Result<axum::body::Bytes, Response> {
    to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| flexpa_error(StatusCode::PAYLOAD_TOO_LARGE, "Request body is too large"))
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

fn unsupported_media_type(headers: &HeaderMap) -> Response {
    let shown = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(100)
        .collect::<String>();
    flexpa_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!("Unsupported Media Type: {shown}"),
    )
}

/// A JSON object body, checked as Flexpa's API server checks it.
pub(crate) async fn json_object(
    headers: &HeaderMap,
    body: Body,
) -> Result<Map<String, Value>, Response> {
    let bytes = read_body(body).await?;
    match media_type(headers).as_deref() {
        Some("application/json") => {}
        None if bytes.is_empty() => {
            return Err(flexpa_error(StatusCode::BAD_REQUEST, "body must be object"))
        }
        _ => return Err(unsupported_media_type(headers)),
    }
    if bytes.is_empty() {
        return Err(flexpa_error(
            StatusCode::BAD_REQUEST,
            "Body cannot be empty when content-type is set to 'application/json'",
        ));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(flexpa_error(StatusCode::BAD_REQUEST, "body must be object")),
        Err(_) => Err(flexpa_error(
            StatusCode::BAD_REQUEST,
            "Body is not valid JSON but content-type is set to 'application/json'",
        )),
    }
}

/// A required string property of a body.
pub(crate) fn required<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a str, Response> {
    match body.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(flexpa_error(
            StatusCode::BAD_REQUEST,
            format!("body/{name} must be string"),
        )),
        None => Err(flexpa_error(
            StatusCode::BAD_REQUEST,
            format!("body must have required property '{name}'"),
        )),
    }
}

fn invalid_secret_key() -> Response {
    flexpa_error(StatusCode::UNAUTHORIZED, "Invalid secret key.")
}

/// The bearer token of `Authorization: Bearer <token>`.
pub(crate) fn bearer(headers: &HeaderMap) -> Result<&str, Response> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            flexpa_error(
                StatusCode::UNAUTHORIZED,
                "Missing Authorization header with a Bearer access token.",
            )
        })?;
    match value.trim().split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(flexpa_error(
            StatusCode::UNAUTHORIZED,
            "Authorization header must be 'Bearer <access token>'.",
        )),
    }
}

fn time_until_max_auth(plan: &Plan, grant_remaining: u64) -> Value {
    if plan.refreshable {
        json!("indefinite")
    } else {
        json!(grant_remaining)
    }
}

fn issued_json(issued: &Issued) -> Value {
    let plan = issued.authorization.plan;
    let mut body = json!({
        "access_token": issued.access_token,
        "expires_in": issued.expires_in,
        "refresh_expires_in": issued.refresh_expires_in,
        "patient": format!("Patient/{}", plan.patient_id),
        "endpoint": data::endpoint_json(plan),
        "timeUntilMaxAuth": time_until_max_auth(plan, issued.expires_in),
    });
    if let Some(refresh) = &issued.refresh_token {
        body["refresh_token"] = json!(refresh);
    }
    body
}

/// `POST /link/exchange` `{"public_token", "secret_key"}`.
async fn exchange(State(sandbox): State<Sandbox>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match json_object(&parts.headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let (public_token, secret_key) = match (
        required(&body, "public_token"),
        required(&body, "secret_key"),
    ) {
        (Ok(p), Ok(s)) => (p, s),
        (Err(response), _) | (_, Err(response)) => return response,
    };
    // The secret key first: a request with a wrong key must not spend the token.
    if !sandbox.is_secret_key(secret_key) {
        return invalid_secret_key();
    }
    let result = sandbox.store().exchange(public_token);
    match result {
        Ok(issued) => {
            webhooks::after_issue(&sandbox, &issued);
            json_ok(issued_json(&issued))
        }
        Err(e) => flexpa_error(StatusCode::BAD_REQUEST, e.message()),
    }
}

fn introspection(grant: &AccessGrant, auth: &Authorization) -> Value {
    json!({
        "jti": grant.jti,
        "iat": grant.iat,
        "exp": grant.exp,
        "patient": format!("Patient/{}", auth.plan.patient_id),
        "state": auth.state.as_str(),
        "endpoint": data::endpoint_json(auth.plan),
        "timeUntilMaxAuth": time_until_max_auth(auth.plan, grant.remaining()),
        "user": { "externalId": auth.external_id },
    })
}

/// `GET /link/introspect` with the bearer access token.
async fn introspect(State(sandbox): State<Sandbox>, headers: HeaderMap) -> Response {
    let token = match bearer(&headers) {
        Ok(token) => token,
        Err(response) => return response,
    };
    let result = sandbox.store().access(token, true);
    match result {
        Ok((grant, auth)) => json_ok(introspection(&grant, &auth)),
        Err(e) => flexpa_error(StatusCode::UNAUTHORIZED, e.message()),
    }
}

/// Whether the request carries the app's HTTP Basic `publishable_key:secret_key`.
pub(crate) fn app_credentials(sandbox: &Sandbox, headers: &HeaderMap) -> bool {
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, b64)| STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    credentials
        .as_deref()
        .and_then(|c| c.split_once(':'))
        .is_some_and(|(pk, sk)| pk == sandbox.publishable_key() && sandbox.is_secret_key(sk))
}

fn invalid_client_credentials() -> Response {
    flexpa_error(
        StatusCode::UNAUTHORIZED,
        "Invalid client credentials: HTTP Basic auth must be publishable_key:secret_key.",
    )
}

/// `POST /link/token`, form body: `grant_type=refresh_token&refresh_token=..` with HTTP Basic
/// `publishable_key:secret_key`, or the PKCE flow's
/// `grant_type=authorization_code&code=..&code_verifier=..&redirect_uri=..&client_id=..`
/// (a public client: no secret); or, JSON (or form) with HTTP Basic,
/// `{"grant_type": "client_credentials"}` (see [`client_credentials`]).
async fn token(State(sandbox): State<Sandbox>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match read_body(body).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    match media_type(&parts.headers).as_deref() {
        Some("application/x-www-form-urlencoded") => {}
        // JSON is Flexpa's body for client_credentials only (refresh needs a form).
        Some("application/json")
            if serde_json::from_slice::<Value>(&bytes)
                .is_ok_and(|b| b["grant_type"] == "client_credentials") =>
        {
            return client_credentials(&sandbox, &parts.headers);
        }
        _ => return unsupported_media_type(&parts.headers),
    }
    let pairs: Option<Vec<(String, String)>> = serde_urlencoded::from_bytes(&bytes).ok();
    let is_code_grant = pairs.as_ref().is_some_and(|pairs| {
        pairs
            .iter()
            .any(|(k, v)| k == "grant_type" && v == "authorization_code")
    });
    if let (true, Some(pairs)) = (is_code_grant, &pairs) {
        return code_grant(&sandbox, pairs);
    }
    if !app_credentials(&sandbox, &parts.headers) {
        return invalid_client_credentials();
    }
    let Some(pairs) = pairs else {
        return flexpa_error(StatusCode::BAD_REQUEST, "body must be a form");
    };
    let form: HashMap<String, String> = pairs.into_iter().collect();
    let Some(grant_type) = form.get("grant_type") else {
        return flexpa_error(
            StatusCode::BAD_REQUEST,
            "body must have required property 'grant_type'",
        );
    };
    if grant_type == "client_credentials" {
        return client_credentials(&sandbox, &parts.headers);
    }
    if grant_type != "refresh_token" {
        return flexpa_error(
            StatusCode::BAD_REQUEST,
            format!(
                "Unsupported grant_type '{}': the sandbox supports refresh_token, \
                 authorization_code and client_credentials",
                grant_type.chars().take(40).collect::<String>()
            ),
        );
    }
    let Some(refresh_token) = form.get("refresh_token") else {
        return flexpa_error(
            StatusCode::BAD_REQUEST,
            "body must have required property 'refresh_token'",
        );
    };
    let result = sandbox.store().refresh(refresh_token);
    match result {
        Ok(issued) => json_ok(issued_json(&issued)),
        Err(RefreshTokenError::Invalid) => {
            flexpa_error(StatusCode::BAD_REQUEST, "Invalid refresh token.")
        }
        Err(RefreshTokenError::Expired) => flexpa_error(
            StatusCode::BAD_REQUEST,
            "Invalid refresh token. Refresh token has expired.",
        ),
    }
}

/// `grant_type=client_credentials` with HTTP Basic: an application access token,
/// `{"access_token", "expires_in", "token_type": "Bearer"}`, no refresh token. Flexpa refuses
/// test-mode keys with 403; the sandbox does so only with
/// [`refuse_test_client_credentials`](super::SandboxConfig::refuse_test_client_credentials).
fn client_credentials(sandbox: &Sandbox, headers: &HeaderMap) -> Response {
    if !app_credentials(sandbox, headers) {
        return invalid_client_credentials();
    }
    let config = &sandbox.inner.config;
    if config.refuse_test_client_credentials && sandbox.publishable_key().starts_with("pk_test_") {
        return flexpa_error(
            StatusCode::FORBIDDEN,
            "Application access tokens need live-mode keys: test-mode keys cannot use \
             client_credentials.",
        );
    }
    let access_token = sandbox
        .store()
        .issue_app_token(config.application_token_ttl);
    json_ok(json!({
        "access_token": access_token,
        "expires_in": config.application_token_ttl.as_secs().max(1),
        "token_type": "Bearer",
    }))
}

/// An OAuth 2.0 error answer of the token endpoint (RFC 6749 5.2).
fn oauth_error(status: StatusCode, error: &str, description: impl Into<String>) -> Response {
    let mut response = (
        status,
        Json(json!({ "error": error, "error_description": description.into() })),
    )
        .into_response();
    no_store(&mut response);
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// `grant_type=authorization_code`: checks the parameters, the client, then redeems the code
/// (which checks its lifetime, single use, `redirect_uri`, `client_id` and the S256 challenge).
fn code_grant(sandbox: &Sandbox, pairs: &[(String, String)]) -> Response {
    const PARAMS: [&str; 5] = [
        "grant_type",
        "code",
        "code_verifier",
        "redirect_uri",
        "client_id",
    ];
    let mut values: [Option<&str>; 5] = [None; 5];
    for (name, value) in pairs {
        let Some(i) = PARAMS.iter().position(|p| p == name) else {
            continue;
        };
        if values[i].is_some() {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("Parameter '{name}' is repeated."),
            );
        }
        values[i] = Some(value);
    }
    let [_, code, verifier, redirect_uri, client_id] = values;
    let (Some(code), Some(verifier), Some(redirect_uri), Some(client_id)) =
        (code, verifier, redirect_uri, client_id)
    else {
        let missing: Vec<&str> = PARAMS
            .iter()
            .zip(values)
            .filter(|(_, v)| v.is_none())
            .map(|(p, _)| *p)
            .collect();
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("Missing required parameter(s): {}.", missing.join(", ")),
        );
    };
    if client_id != sandbox.publishable_key() {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unknown client_id: it must be the app's publishable key.",
        );
    }
    // A verifier of RFC 7636's shape; its S256 challenge is what the authorization request
    // carried.
    let challenge = s256_challenge(verifier);
    let result = sandbox
        .store()
        .redeem_code(code, client_id, redirect_uri, challenge.as_deref());
    match result {
        Ok(issued) => {
            webhooks::after_issue(sandbox, &issued);
            let mut body = issued_json(&issued);
            body["token_type"] = json!("Bearer");
            let scope = issued.authorization.scope.as_deref();
            body["scope"] = json!(scope.unwrap_or(consent::SCOPE));
            let mut response = json_ok(body);
            response
                .headers_mut()
                .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(e) => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", e.description()),
    }
}

/// `POST /link/revoke`, bearer access token, JSON `{"secret_key"}`: `{"count": n}`.
async fn revoke(State(sandbox): State<Sandbox>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match json_object(&parts.headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let secret_key = match required(&body, "secret_key") {
        Ok(s) => s,
        Err(response) => return response,
    };
    if !sandbox.is_secret_key(secret_key) {
        return invalid_secret_key();
    }
    let token = match bearer(&parts.headers) {
        Ok(token) => token,
        Err(response) => return response,
    };
    let result = sandbox.store().revoke(token);
    match result {
        Ok(count) => json_ok(json!({ "count": count })),
        Err(e) => flexpa_error(StatusCode::UNAUTHORIZED, e.message()),
    }
}

/// base64url(SHA-256(verifier)) for a verifier RFC 7636 allows (43 to 128 characters of
/// `[A-Za-z0-9-._~]`); `None` for any other.
fn s256_challenge(verifier: &str) -> Option<String> {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(unreserved) {
        return None;
    }
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())))
}
