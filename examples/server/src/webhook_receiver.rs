//! `POST /api/webhooks`: Flexpa's signed webhooks, checked with the crate's
//! `webhooks::verify` (the `X-Flexpa-Signature` HMAC over the raw body, within five minutes).
//! A verified event is logged and remembered per user (`external_id`), so `GET /api/records`
//! can say what Flexpa announced (`sync_completed`, `sync_failed`) for this browser's user.
//! Anything else is refused with 400 (401 for a bad signature), before the body is used.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use flexpa_link::server::webhooks::{self, WebhookError};

use crate::backend::{page_error, Shared};
use flexpa_sandbox::bounded::make_room;

/// The largest webhook body read (Flexpa's events are a few hundred bytes).
const MAX_BODY: usize = 64 * 1024;
/// The most users whose last event is remembered.
const MAX_USERS: usize = 10_000;

/// The last event announced for each user (`external_id`).
#[derive(Debug, Default)]
pub struct LastEvents {
    map: Mutex<HashMap<String, (String, Instant)>>,
}

impl LastEvents {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant)>> {
        self.map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, external_id: &str, event: &str) {
        let mut map = self.lock();
        if !map.contains_key(external_id) {
            make_room(&mut map, MAX_USERS, |(_, at)| *at);
        }
        map.insert(external_id.to_owned(), (event.to_owned(), Instant::now()));
    }

    /// The last event announced for this user, if any.
    pub fn last(&self, external_id: &str) -> Option<String> {
        self.lock().get(external_id).map(|(event, _)| event.clone())
    }
}

/// `POST /api/webhooks`.
pub(crate) async fn handler(
    axum::extract::State(app): Shared,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(secret) = &app.backend.webhook_secret else {
        return page_error(
            StatusCode::NOT_FOUND,
            "Webhooks are not configured (no webhook secret).",
        );
    };
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return page_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The webhook body is too large.",
        );
    };
    let signature = headers
        .get(webhooks::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match webhooks::verify(secret, signature, &body) {
        Ok(event) => {
            eprintln!(
                "webhook: {} (authorization {})",
                event.kind,
                event
                    .data
                    .patient_authorization_id
                    .as_deref()
                    .unwrap_or("?")
            );
            if let Some(user) = &event.data.external_id {
                app.webhook_events.record(user, event.kind.as_str());
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            eprintln!("webhook refused: {e}");
            let status = match e {
                WebhookError::SignatureMismatch | WebhookError::OutsideTolerance { .. } => {
                    StatusCode::UNAUTHORIZED
                }
                _ => StatusCode::BAD_REQUEST,
            };
            page_error(status, e.to_string())
        }
    }
}
