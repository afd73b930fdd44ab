//! What the page shows of a linked patient, and the server function that gets it.
//!
//! [`link_records`] runs on the server: it exchanges the public token, reads the records with
//! the access token and drops the token when it returns. Only [`Records`] (display data) or a
//! [`LinkError`] (whose texts never hold a token or a key) reach the browser.

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// The views of the patient, a coverage and a claim, and their texts, shared with the other
/// examples (`examples/records`).
pub use example_records::{Claim, Coverage, Money, Patient};

/// What the page shows after linking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Records {
    /// The patient.
    pub patient: Patient,
    /// The health plan the patient linked through (its label).
    pub plan: Option<String>,
    /// The patient's coverage.
    pub coverage: Vec<Coverage>,
    /// Their claims, as Flexpa's FHIR API lists them (newest first).
    pub claims: Vec<Claim>,
    /// How many pages of `ExplanationOfBenefit` the server read.
    pub claim_pages: usize,
}

/// Why linking did not show records. The texts are the page's; none holds a token or a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum LinkError {
    /// What the browser sent is not a public token.
    #[error("Link gave a malformed public token")]
    MalformedToken,
    /// Flexpa refused the public token: expired or already exchanged.
    #[error("Flexpa refused the public token (expired or already used): link again")]
    TokenRefused,
    /// Flexpa could not fetch the patient's data from the health plan.
    #[error("Flexpa could not sync this health plan's data. Try linking again later.")]
    SyncFailed,
    /// The data was still syncing when the server stopped waiting.
    #[error("Flexpa is still syncing this health plan's data: try again in a minute")]
    StillSyncing,
    /// Any other failure of Flexpa's API or of the way there (the crate's error text).
    #[error("Flexpa: {0}")]
    Flexpa(String),
    /// The server function itself failed (network, server set-up).
    #[error("{0}")]
    ServerFn(ServerFnErrorErr),
}

impl FromServerFnError for LinkError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        LinkError::ServerFn(value)
    }
}

/// Exchanges Link's public token and reads the patient's records, on the server.
///
/// The token is a `String` here so that no input fails to decode (a decoding error could
/// echo it); `server::Flexpa::link_records` checks its shape and does the work.
#[server]
pub async fn link_records(
    /// Link's public token, as Link gave it.
    public_token: String,
) -> Result<Records, LinkError> {
    let flexpa = use_context::<crate::server::Flexpa>().ok_or_else(|| {
        LinkError::ServerFn(ServerFnErrorErr::ServerError(
            "the server has no Flexpa client".into(),
        ))
    })?;
    flexpa.link_records(public_token).await
}
