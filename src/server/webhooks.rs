//! Flexpa's webhooks: check that a delivery really comes from Flexpa, then read its event.
//!
//! Flexpa `POST`s JSON to the URL you registered in the Flexpa Portal, signed in the
//! `X-Flexpa-Signature` header as `t=<unix seconds>,v1=<hex HMAC-SHA256>`, where the HMAC is
//! keyed with your webhook secret over `"{t}.{raw body}"`. [`verify`] checks the signature in
//! constant time and that `t` is within five minutes of now (either way, so an old delivery
//! cannot be replayed), and only then parses the body into an [`Event`]. Verify the raw bytes as
//! they arrived: a re-serialized body no longer matches.
//!
//! # A complete axum handler
//!
//! ```no_run
//! use axum::body::Bytes;
//! use axum::extract::State;
//! use axum::http::{HeaderMap, StatusCode};
//! use axum::routing::post;
//! use axum::Router;
//! use flexpa_link::server::webhooks::{self, EventKind, WebhookSecret, SIGNATURE_HEADER};
//!
//! async fn flexpa_webhook(
//!     State(secret): State<WebhookSecret>,
//!     headers: HeaderMap,
//!     body: Bytes, // the raw body: verify before parsing
//! ) -> StatusCode {
//!     let signature = headers
//!         .get(SIGNATURE_HEADER)
//!         .and_then(|v| v.to_str().ok())
//!         .unwrap_or_default();
//!     let event = match webhooks::verify(&secret, signature, &body) {
//!         Ok(event) => event,
//!         // Not from Flexpa, replayed, or malformed: the error says which, never the secret.
//!         Err(e) => {
//!             eprintln!("webhook refused: {e}");
//!             return StatusCode::BAD_REQUEST;
//!         }
//!     };
//!     // Deliveries may repeat: de-duplicate on `event.id`. Answer fast, work later.
//!     match event.kind {
//!         EventKind::SyncCompleted => { /* the patient's records are ready: read them */ }
//!         EventKind::SyncFailed => { /* ask the patient to link again */ }
//!         EventKind::RefreshExpired => { /* access ends: ask for consent again */ }
//!         _ => {}
//!     }
//!     StatusCode::OK
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let secret = WebhookSecret::new(std::env::var("FLEXPA_WEBHOOK_SECRET")?)?;
//! let app = Router::new()
//!     .route("/webhooks/flexpa", post(flexpa_webhook))
//!     .with_state(secret);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::types::open_enum;
pub use crate::credentials::WebhookSecret;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "X-Flexpa-Signature";
/// How far a delivery's timestamp may be from now, either way.
pub const TOLERANCE: Duration = Duration::from_secs(5 * 60);
/// The longest signature header [`verify`] reads (a few signatures fit many times over).
const MAX_HEADER_LEN: usize = 4096;

/// Why a delivery was refused. No variant carries the secret, the signature or the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The signature header is missing parts or malformed; the text says what.
    #[error("malformed {SIGNATURE_HEADER} header: {0}")]
    MalformedHeader(&'static str),
    /// The signed timestamp is more than [`TOLERANCE`] away from now: a replay, or a clock
    /// far off.
    #[error("the webhook's timestamp is {} s {} now, outside the 300 s tolerance", .skew_secs.unsigned_abs(), if *.skew_secs < 0 { "before" } else { "after" })]
    OutsideTolerance {
        /// The timestamp minus now, in seconds (negative: in the past).
        skew_secs: i64,
    },
    /// No `v1` signature matches: not signed with this secret, or the body was changed.
    #[error("the webhook's signature does not match (wrong secret, or the body was altered)")]
    SignatureMismatch,
    /// The signature is valid but the body is not an event (not JSON, or missing `event`).
    #[error("the webhook body is not a Flexpa event: {0}")]
    InvalidBody(String),
}

/// Checks a delivery against `now` (the system clock) and returns its event.
///
/// `signature_header` is the value of [`SIGNATURE_HEADER`]; `body` the raw request body.
pub fn verify(
    secret: &WebhookSecret,
    signature_header: &str,
    body: &[u8],
) -> Result<Event, WebhookError> {
    verify_at(secret, signature_header, body, SystemTime::now())
}

/// [`verify`] with the time to check the timestamp against (for tests and replays).
pub fn verify_at(
    secret: &WebhookSecret,
    signature_header: &str,
    body: &[u8],
    now: SystemTime,
) -> Result<Event, WebhookError> {
    let header = SignatureHeader::parse(signature_header)?;
    let now = unix_seconds(now);
    let skew = i128::from(header.timestamp) - i128::from(now);
    if skew.unsigned_abs() > u128::from(TOLERANCE.as_secs()) {
        let skew_secs = i64::try_from(skew).unwrap_or(if skew < 0 { i64::MIN } else { i64::MAX });
        return Err(WebhookError::OutsideTolerance { skew_secs });
    }
    let expected = mac(secret, header.timestamp, body);
    // `verify_slice` compares in constant time (the `subtle` crate, through `hmac`).
    let matches = header
        .signatures
        .iter()
        .any(|sig| expected.clone().verify_slice(sig).is_ok());
    if !matches {
        return Err(WebhookError::SignatureMismatch);
    }
    serde_json::from_slice::<Event>(body).map_err(|e| {
        WebhookError::InvalidBody(match e.classify() {
            serde_json::error::Category::Data => "missing or mistyped fields".to_owned(),
            _ => format!("not JSON (line {} column {})", e.line(), e.column()),
        })
    })
}

/// The `X-Flexpa-Signature` value for `body` signed at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex>`. Use it to test your webhook handler, or in a stand-in of Flexpa.
pub fn signature_header(secret: &WebhookSecret, timestamp: u64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

fn mac(secret: &WebhookSecret, timestamp: u64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `t=<seconds>,v1=<hex>[,v1=<hex>...]`; unknown keys are ignored (a later scheme).
struct SignatureHeader {
    timestamp: u64,
    signatures: Vec<[u8; 32]>,
}

impl SignatureHeader {
    fn parse(header: &str) -> Result<Self, WebhookError> {
        use WebhookError::MalformedHeader as Bad;
        if header.len() > MAX_HEADER_LEN {
            return Err(Bad("it is too long"));
        }
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            let (key, value) = part
                .trim()
                .split_once('=')
                .ok_or(Bad("every part must be `key=value`"))?;
            match key.trim() {
                "t" => {
                    let value = value.trim();
                    if timestamp.is_some() {
                        return Err(Bad("`t` appears twice"));
                    }
                    if value.is_empty()
                        || value.len() > 19
                        || !value.bytes().all(|b| b.is_ascii_digit())
                    {
                        return Err(Bad("`t` must be a Unix time in seconds"));
                    }
                    timestamp = Some(
                        value
                            .parse::<u64>()
                            .map_err(|_| Bad("`t` is out of range"))?,
                    );
                }
                "v1" => {
                    let mut sig = [0u8; 32];
                    hex::decode_to_slice(value.trim(), &mut sig)
                        .map_err(|_| Bad("`v1` must be 64 hexadecimal digits"))?;
                    signatures.push(sig);
                }
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(Bad("`t` is missing"))?;
        if signatures.is_empty() {
            return Err(Bad("no `v1` signature"));
        }
        Ok(Self {
            timestamp,
            signatures,
        })
    }
}

/// A webhook event. Unknown events and fields are kept, not refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// The delivery's id: de-duplicate on it (deliveries may repeat).
    #[serde(rename = "event_id", default)]
    pub id: String,
    /// What happened.
    #[serde(rename = "event")]
    pub kind: EventKind,
    /// The payload version (1 today).
    #[serde(default)]
    pub version: Option<u64>,
    /// When it happened, in Unix milliseconds.
    #[serde(default)]
    pub timestamp: Option<u64>,
    /// About whom.
    #[serde(default)]
    pub data: EventData,
}

/// The event's `data`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventData {
    /// `live` or `test`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Your id for the user (`flexpa_external_id` / Link's `user.externalId`).
    #[serde(default)]
    pub external_id: Option<String>,
    /// The patient authorization the event is about.
    #[serde(default)]
    pub patient_authorization_id: Option<String>,
    /// The consent the authorization belongs to.
    #[serde(default)]
    pub consent_id: Option<String>,
    /// Every other field, as sent (for instance an endpoint's status).
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

open_enum! {
    /// The kinds of event Flexpa sends; any other is kept as [`EventKind::Other`].
    pub enum EventKind normalize(str::to_owned) {
        /// `sync_completed`: the patient's data is synced; reading it now finds it all.
        SyncCompleted = "sync_completed",
        /// `sync_failed`: Flexpa could not sync the patient's data.
        SyncFailed = "sync_failed",
        /// `refresh_expired`: Flexpa can no longer refresh the authorization; ask for consent
        /// again.
        RefreshExpired = "refresh_expired",
        /// `endpoint_status_changed`: a health plan's connectivity changed.
        EndpointStatusChanged = "endpoint_status_changed",
    }
}
