//! Signed webhooks, as `docs/flexpa.md` ("Webhooks") describes Flexpa's: when a newly linked
//! patient's syncing window ends, the sandbox `POST`s `sync_completed` (or `sync_failed`, for
//! the plan whose sync fails) to the URL the app registered, with
//!
//! - the body `{"event_id", "event", "version": 1, "timestamp": <Unix ms>, "data": {"mode":
//!   "test", "external_id", "patient_authorization_id", "consent_id"}}`;
//! - `Content-Type: application/json`, `User-Agent: Flexpa-Webhook/1.0`;
//! - `X-Flexpa-Signature: t=<Unix seconds>,v1=<lowercase hex HMAC-SHA256 of "{t}.{body}" keyed
//!   with the webhook secret>`.
//!
//! The URL is registered with [`Sandbox::register_webhook`] or `POST /sandbox/webhook` (HTTP
//! Basic `publishable_key:secret_key`, JSON `{"url": "http://..."}`, answering `{"url",
//! "secret"}`, as Flexpa's Portal shows the secret of a new endpoint). One attempt per event
//! (Flexpa's retry schedule is unconfirmed); failures are logged without the URL or secret.
//!
//! The signature is made here, from the documented scheme, not with the client crate's
//! `signature_header`: a stand-in that borrowed the client's code would agree with the client's
//! mistakes (the crate's `verify` is tested against this sandbox).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use hmac::{Hmac, Mac};
use reqwest::Url;
use serde_json::{json, Value};
use sha2::Sha256;
use uuid::Uuid;

use super::api::{app_credentials, json_object, json_ok, required};
use super::store::Issued;
use super::{flexpa_error, Sandbox};

/// The header Flexpa signs webhooks in.
pub const SIGNATURE_HEADER: &str = "X-Flexpa-Signature";

/// `t=<seconds>,v1=<lowercase hex HMAC-SHA256 of "{t}.{body}" keyed with the secret>`.
pub fn signature_header(secret: &str, timestamp: u64, body: &str) -> String {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// How long a delivery may take before it counts as failed.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a webhook URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidWebhookUrl;

impl std::fmt::Display for InvalidWebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("The webhook URL must be an absolute http or https URL without credentials.")
    }
}

impl std::error::Error for InvalidWebhookUrl {}

/// `http`/`https`, a host, no user name or password.
pub(crate) fn check_url(url: &str) -> Result<Url, InvalidWebhookUrl> {
    let parsed = Url::parse(url).map_err(|_| InvalidWebhookUrl)?;
    let ok = matches!(parsed.scheme(), "http" | "https")
        && parsed.host_str().is_some()
        && parsed.username().is_empty()
        && parsed.password().is_none();
    ok.then_some(parsed).ok_or(InvalidWebhookUrl)
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// The event's body, stamped now (when the sync ends, not when it began).
fn event_body(event: &str, data: &Value) -> Value {
    json!({
        "event_id": Uuid::new_v4(),
        "event": event,
        "version": 1,
        "timestamp": u64::try_from(unix_now().as_millis()).unwrap_or(u64::MAX),
        "data": data,
    })
}

/// After an issue that began a sync: when the syncing window ends, sends `sync_completed` or
/// `sync_failed` to the registered URL (if one is registered by then).
pub(crate) fn after_issue(sandbox: &Sandbox, issued: &Issued) {
    if !issued.began_sync {
        return;
    }
    let event = if issued.authorization.plan.sync_fails {
        "sync_failed"
    } else {
        "sync_completed"
    };
    let data = json!({
        "mode": "test",
        "external_id": issued.authorization.external_id,
        "patient_authorization_id": issued.authorization_id,
        "consent_id": issued.authorization.consent_id,
    });
    let sandbox = sandbox.clone();
    tokio::spawn(async move {
        tokio::time::sleep(sandbox.inner.config.sync_window).await;
        deliver(&sandbox, event, &event_body(event, &data)).await;
    });
}

async fn deliver(sandbox: &Sandbox, event: &str, body: &Value) {
    let Some(url) = sandbox.webhook_url() else {
        return;
    };
    let Some(http) = sandbox.webhook_client() else {
        eprintln!("sandbox: webhook {event} not sent: no HTTP client");
        return;
    };
    let raw = body.to_string();
    let signature = signature_header(
        &sandbox.inner.config.webhook_secret,
        unix_now().as_secs(),
        &raw,
    );
    let sent = http
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "Flexpa-Webhook/1.0")
        .header(SIGNATURE_HEADER, signature)
        .timeout(DELIVERY_TIMEOUT)
        .body(raw)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => eprintln!(
            "sandbox: webhook {event} answered HTTP {}",
            r.status().as_u16()
        ),
        Err(_) => eprintln!("sandbox: webhook {event} could not be delivered"),
    }
}

/// `POST /sandbox/webhook` (HTTP Basic `publishable_key:secret_key`, JSON `{"url"}`): registers
/// where events go; answers `{"url", "secret"}`.
pub(crate) async fn register(State(sandbox): State<Sandbox>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if !app_credentials(&sandbox, &parts.headers) {
        return flexpa_error(
            StatusCode::UNAUTHORIZED,
            "Invalid client credentials: HTTP Basic auth must be publishable_key:secret_key.",
        );
    }
    let body = match json_object(&parts.headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let url = match required(&body, "url") {
        Ok(url) => url,
        Err(response) => return response,
    };
    match sandbox.register_webhook(url) {
        Ok(()) => json_ok(json!({
            "url": url,
            "secret": sandbox.inner.config.webhook_secret,
        })),
        Err(e) => flexpa_error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_are_checked() {
        assert!(check_url("http://127.0.0.1:8080/api/webhooks").is_ok());
        assert!(check_url("https://app.example/hooks").is_ok());
        assert!(check_url("ftp://app.example/hooks").is_err());
        assert!(check_url("/hooks").is_err());
        assert!(check_url("https://u:p@app.example/hooks").is_err());
    }
}
