//! `GET /api/records`: the linked patient's records as the page shows them, read on the server
//! through the crate's FHIR client with the session's access token (which the browser never
//! sees): the `Patient`, their `Coverage`, and their claims (`ExplanationOfBenefit`) page by page
//! (`search_pages`, following Flexpa's next links).
//!
//! Answers:
//! - `200 {"status": "ready", "patient", "coverage", "claims": [{"id", "date", "provider",
//!   "type", "billed", "paid", "currency"}], "claimPages", "plan", "webhook"}` (`webhook`: the
//!   last event Flexpa's webhooks announced for this user, if any);
//! - `202 {"status": "syncing", "retryAfter": <seconds>}` while Flexpa is still fetching the
//!   patient's data (its 429 `transient`): the call does not wait (`sync_wait(0)`), the page
//!   polls and shows "syncing";
//! - `401` when this browser has linked nothing; errors otherwise (`502` when Flexpa could not
//!   sync the data, `503` when rate limited).

use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use flexpa_link::server::{AccessToken, Client, Error};
use serde_json::{json, Value};

use crate::backend::{no_store, page_error, Shared};
use crate::sessions::cookie_id;

/// The wait the page is told when Flexpa named none.
const DEFAULT_RETRY: Duration = Duration::from_secs(2);

/// The patient, their coverage and every claim, read now (`Error::StillSyncing` at once while
/// the data syncs).
pub async fn read(client: &Client, access_token: &AccessToken) -> Result<Value, Error> {
    let fhir = client.fhir(access_token).sync_wait(Duration::ZERO);
    let read = example_records::read(&fhir).await?;
    Ok(json!({
        "status": "ready",
        "patient": read.patient,
        "coverage": read.coverage,
        "claims": read.claims,
        "claimPages": read.claim_pages,
    }))
}

/// A FHIR error of the crate as the page should see it (its text never holds a secret), after
/// `context` ("reading the records failed").
pub fn fhir_error(e: &Error, context: &str) -> Response {
    let with_retry = |status: StatusCode, retry_after: Option<Duration>| {
        let mut response = page_error(status, format!("{context}: {e}"));
        if let Some(wait) = retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(wait.as_secs().max(1)),
            );
        }
        response
    };
    match e {
        Error::StillSyncing { retry_after, .. } => {
            with_retry(StatusCode::SERVICE_UNAVAILABLE, *retry_after)
        }
        Error::RateLimited { retry_after, .. } => {
            with_retry(StatusCode::SERVICE_UNAVAILABLE, *retry_after)
        }
        Error::SyncFailed(_) => page_error(
            StatusCode::BAD_GATEWAY,
            format!("{context}: Flexpa could not sync this health plan's data. Try linking again later."),
        ),
        Error::Timeout { .. } => page_error(StatusCode::GATEWAY_TIMEOUT, format!("{context}: {e}")),
        _ => page_error(StatusCode::BAD_GATEWAY, format!("{context}: {e}")),
    }
}

/// `GET /api/records`.
pub(crate) async fn handler(axum::extract::State(app): Shared, headers: HeaderMap) -> Response {
    let session = cookie_id(&headers).and_then(|id| app.sessions.get(&id));
    let Some((linked, user)) = session.and_then(|s| Some((s.linked?, s.external_id))) else {
        return page_error(
            StatusCode::UNAUTHORIZED,
            "No health plan is linked in this browser yet.",
        );
    };
    // What Flexpa's webhooks said for this user, if they said anything yet.
    let webhook = app.webhook_events.last(&user);
    match read(app.backend.flexpa.client(), &linked.access_token).await {
        Ok(mut records) => {
            records["plan"] = json!(linked.plan);
            records["webhook"] = json!(webhook);
            no_store(Json(records).into_response())
        }
        Err(Error::StillSyncing { retry_after, .. }) => {
            let wait = retry_after.unwrap_or(DEFAULT_RETRY).as_secs().max(1);
            let mut response = no_store(
                (
                    StatusCode::ACCEPTED,
                    Json(json!({
                        "status": "syncing",
                        "retryAfter": wait,
                        "plan": linked.plan,
                        "webhook": webhook,
                    })),
                )
                    .into_response(),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
            response
        }
        Err(e) => {
            eprintln!("records: {e}");
            fhir_error(&e, "Reading the records failed")
        }
    }
}
