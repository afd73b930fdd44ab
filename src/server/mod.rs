//! The server side (feature `server`, native targets only): Flexpa's API with your secret key.
//!
//! - Consent (OAuth PKCE, Flexpa's recommended flow): [`Client::authorization_url`], then
//!   [`Client::exchange_code`] with the code from the redirect (see [`crate::pkce`]).
//! - Records: [`Client::fhir`] → [`fhir::Fhir`]: read, search (every page), `$everything`,
//!   the CapabilityStatement; [`Client::application_token`] for calls without a patient.
//! - Webhooks: [`webhooks::verify`] checks `X-Flexpa-Signature` and types the event.
//! - Tokens: [`Client::exchange`] (Link's legacy flow: public token → [`ExchangeResponse`],
//!   `POST /link/exchange`), [`Client::introspect`], [`Client::refresh`], [`Client::revoke`].
//!
//! The client uses reqwest with rustls (*ring*; no OpenSSL, no C toolchain), one connection
//! pool shared by every clone, connect and total timeouts, a `User-Agent` of
//! `flexpa-link/<version>`, a cap on the response size that is enforced while streaming, and a
//! bounded retry of HTTP 429 that honours `Retry-After`. Redirects are never followed, so a
//! request that carries the secret key only ever goes to the configured base URL.
//!
//! Secrets stay secret: [`SecretKey`], [`AccessToken`] and [`RefreshToken`] print as
//! `<redacted>`, and no [`Error`] message or `Debug` output contains a key or a token, in any
//! encoding the request sent it in or a server could echo it back in.
//!
//! # A complete `POST /api/exchange` handler (axum)
//!
//! The browser posts the public token; the server exchanges it, keeps the access token, and
//! answers with what the page may show. The access token never leaves the server.
//!
//! ```no_run
//! use std::collections::HashMap;
//! use std::sync::{Arc, Mutex};
//!
//! use axum::extract::State;
//! use axum::http::StatusCode;
//! use axum::response::{IntoResponse, Response};
//! use axum::routing::post;
//! use axum::{Json, Router};
//! use flexpa_link::server::{AccessToken, Client, Error, SecretKey};
//! use flexpa_link::PublicToken;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Clone)]
//! struct AppState {
//!     flexpa: Client,
//!     // Your session store or database; keyed here by the patient id for brevity.
//!     access_tokens: Arc<Mutex<HashMap<String, AccessToken>>>,
//! }
//!
//! #[derive(Deserialize)]
//! struct ExchangeRequest {
//!     // Deserializing validates the shape (non-empty, printable, bounded).
//!     public_token: PublicToken,
//! }
//!
//! #[derive(Serialize)]
//! #[serde(rename_all = "camelCase")]
//! struct ExchangeReply {
//!     patient_id: Option<String>,
//!     plan: Option<String>,
//!     expires_in: u64,
//! }
//!
//! async fn exchange(
//!     State(state): State<AppState>,
//!     Json(request): Json<ExchangeRequest>,
//! ) -> Result<Json<ExchangeReply>, ApiFailure> {
//!     let tokens = state.flexpa.exchange(&request.public_token).await?;
//!     let patient_id = tokens.patient_id().map(str::to_owned);
//!     let key = patient_id.clone().unwrap_or_default();
//!     // The access token stays here; only non-secret facts go back to the browser.
//!     state.access_tokens.lock().unwrap().insert(key, tokens.access_token.clone());
//!     Ok(Json(ExchangeReply {
//!         patient_id,
//!         plan: tokens.endpoint.as_ref().map(|e| e.name.clone()),
//!         expires_in: tokens.expires_in,
//!     }))
//! }
//!
//! /// Maps the crate's error to `{"error", "message"}`; its text never holds a secret.
//! struct ApiFailure(Error);
//!
//! impl From<Error> for ApiFailure {
//!     fn from(e: Error) -> Self {
//!         Self(e)
//!     }
//! }
//!
//! impl IntoResponse for ApiFailure {
//!     fn into_response(self) -> Response {
//!         let status = match &self.0 {
//!             // An expired or reused public token: the user should link again.
//!             Error::Api(e) if e.status().is_client_error() => StatusCode::BAD_REQUEST,
//!             Error::RateLimited { .. } => StatusCode::SERVICE_UNAVAILABLE,
//!             Error::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
//!             _ => StatusCode::BAD_GATEWAY,
//!         };
//!         let body = serde_json::json!({
//!             "error": status.canonical_reason().unwrap_or("Error"),
//!             "message": self.0.to_string(),
//!         });
//!         (status, Json(body)).into_response()
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let flexpa = Client::builder(SecretKey::new(std::env::var("FLEXPA_SECRET_KEY")?)?)
//!         .build()?;
//!     let state = AppState { flexpa, access_tokens: Default::default() };
//!     let app = Router::new()
//!         .route("/api/exchange", post(exchange))
//!         .with_state(state);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```

mod client;
mod error;
pub mod fhir;
mod types;
pub mod webhooks;

/// Entry points for the cargo-fuzz targets in `fuzz/` (compiled only under `cargo fuzz`,
/// which sets `--cfg fuzzing`).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    use reqwest::StatusCode;

    /// Parses `body` as the answer to every call with `status`, as the client does, and
    /// returns every error text it produced (`Display` and `Debug`). `secrets` are the values
    /// the request carried: none of them may appear in the texts.
    pub fn parse_response(
        status: u16,
        body: &[u8],
        content_type: Option<&str>,
        secrets: &[&str],
    ) -> Vec<String> {
        let Ok(status) = StatusCode::from_u16(status) else {
            return Vec::new();
        };
        let mut texts = Vec::new();
        let mut keep = |e: super::Error| {
            texts.push(e.to_string());
            texts.push(format!("{e:?}"));
        };
        if status.is_success() {
            use super::client::parse_success as p;
            if let Err(e) = p::<super::ExchangeResponse>(status, body, content_type) {
                keep(e);
            }
            if let Err(e) = p::<super::Introspection>(status, body, content_type) {
                keep(e);
            }
            if let Err(e) = p::<super::TokenResponse>(status, body, content_type) {
                keep(e);
            }
            if let Err(e) = p::<super::RevokeResponse>(status, body, content_type) {
                keep(e);
            }
        } else {
            keep(super::Error::Api(super::client::api_error(
                status, body, secrets,
            )));
        }
        texts
    }
}

pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_FHIR_RESPONSE_BYTES, DEFAULT_MAX_PAGES, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_WAIT, DEFAULT_SYNC_WAIT, DEFAULT_TIMEOUT,
    USER_AGENT_VALUE,
};
pub use error::{ApiError, Error, Result, TransportKind, BODY_SNIPPET_CHARS};
pub use types::{
    AccessToken, ApplicationToken, Endpoint, ExchangeResponse, Introspection, LinkState, LinkUser,
    RefreshExpiry, RefreshToken, RevokeResponse, SecretKey, TimeUntilMaxAuth, TokenResponse,
};
