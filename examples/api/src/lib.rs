//! What the Yew, Leptos and Dioxus examples share: the demo backend's two endpoints (see
//! `examples/README.md`) and the page's states. Errors come back in words, ready to show.

use flexpa_link::PublicToken;
use gloo_net::http::{Request, Response};
use serde::{Deserialize, Serialize};

/// The patient and coverage views of the backend's JSON, with their texts (`details`).
pub use example_records::{Coverage, Patient};

/// `GET /api/config`: what the page needs to load and create Flexpa Link.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// `pk_test_...` or `pk_live_...`.
    pub publishable_key: String,
    /// The Flexpa Link script: `https://js.flexpa.com/v1/` or the offline sandbox's.
    pub script_url: String,
    /// Whether the backend runs the offline sandbox (sample data).
    #[serde(default)]
    pub sandbox: bool,
}

/// `POST /api/exchange`: what the backend tells the page after exchanging the public token.
/// The access token stays on the server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    pub patient: Patient,
    #[serde(default)]
    pub coverage: Vec<Coverage>,
    pub endpoint: Option<Endpoint>,
    /// Seconds until the access token expires.
    pub expires_in: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Endpoint {
    pub name: Option<String>,
    pub label: Option<String>,
}

#[derive(Deserialize)]
struct ApiError {
    message: Option<String>,
}

#[derive(Serialize)]
struct ExchangeRequest<'a> {
    public_token: &'a str,
}

/// `GET /api/config`.
pub async fn config() -> Result<Config, String> {
    let response = Request::get("/api/config")
        .send()
        .await
        .map_err(|e| format!("/api/config: {e}"))?;
    decode(response).await
}

/// `POST /api/exchange` with the public token.
pub async fn exchange(token: &PublicToken) -> Result<Exchange, String> {
    let response = Request::post("/api/exchange")
        .json(&ExchangeRequest {
            public_token: token.expose_secret(),
        })
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| format!("/api/exchange: {e}"))?;
    decode(response).await
}

async fn decode<T: for<'de> Deserialize<'de>>(response: Response) -> Result<T, String> {
    if !response.ok() {
        let message = response
            .json::<ApiError>()
            .await
            .ok()
            .and_then(|e| e.message);
        return Err(message
            .unwrap_or_else(|| format!("{} answered HTTP {}", response.url(), response.status())));
    }
    response
        .json()
        .await
        .map_err(|e| format!("{}: unexpected answer: {e}", response.url()))
}

/// The page's state, shown in `#status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Loading,
    Ready,
    Open,
    Exchanging,
    Success,
    Error,
    Exited,
}

impl Status {
    /// The text of `#status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Loading => "loading",
            Status::Ready => "ready",
            Status::Open => "open",
            Status::Exchanging => "exchanging",
            Status::Success => "success",
            Status::Error => "error",
            Status::Exited => "exited",
        }
    }

    /// Whether `#link-button` is clickable: not while something is under way.
    pub fn can_click(self) -> bool {
        !matches!(self, Status::Loading | Status::Open | Status::Exchanging)
    }
}

impl Exchange {
    /// "Linked through <plan>", if the backend said which.
    pub fn linked_through(&self) -> Option<String> {
        let e = self.endpoint.as_ref()?;
        Some(format!(
            "Linked through {}",
            e.label.as_deref().or(e.name.as_deref())?
        ))
    }

    /// "Access expires in 30 minutes", if the backend said when.
    pub fn expiry(&self) -> Option<String> {
        Some(format!(
            "Access expires in {} minutes",
            (self.expires_in? / 60.0).round()
        ))
    }
}
