//! The server half (feature `ssr`): configuration, the Flexpa client the server function uses,
//! and reading a patient's records from Flexpa's FHIR API.

pub mod config;
mod fhir;
#[cfg(feature = "sandbox")]
pub mod sandbox;

use flexpa_link::server::{Client, Error};
use flexpa_link::PublicToken;

use crate::app::LinkSettings;
use crate::records::{LinkError, Records};

/// Flexpa as the server function sees it (provided to it as context): the API client with the
/// secret key, and what the page needs to create Link.
#[derive(Debug, Clone)]
pub struct Flexpa {
    client: Client,
    settings: LinkSettings,
}

impl Flexpa {
    /// `client` holds the secret key and the API's base URL; `settings` go to the page.
    pub fn new(client: Client, settings: LinkSettings) -> Self {
        Flexpa { client, settings }
    }

    /// What the page needs to create Link (no secret in it).
    pub fn settings(&self) -> &LinkSettings {
        &self.settings
    }

    /// Exchanges the public token, then reads the patient, their coverage and their claims
    /// with the access token, which is dropped here: only display data leaves.
    pub async fn link_records(&self, public_token: String) -> Result<Records, LinkError> {
        let public_token = PublicToken::new(public_token).map_err(|_| LinkError::MalformedToken)?;
        let tokens = self
            .client
            .exchange(&public_token)
            .await
            .map_err(|e| match e {
                Error::Api(api) if api.status().is_client_error() => LinkError::TokenRefused,
                other => link_error(other),
            })?;
        let plan = tokens
            .endpoint
            .as_ref()
            .map(|e| e.label.first().cloned().unwrap_or_else(|| e.name.clone()));
        let mut records = fhir::read(&self.client, &tokens.access_token)
            .await
            .map_err(|e| {
                // The crate's error texts hold no token or key: safe to log and to show.
                eprintln!("records: {e}");
                link_error(e)
            })?;
        records.plan = plan;
        Ok(records)
    }
}

/// The page's words for a failure of Flexpa's API.
fn link_error(e: Error) -> LinkError {
    match e {
        Error::SyncFailed(_) => LinkError::SyncFailed,
        Error::StillSyncing { .. } => LinkError::StillSyncing,
        other => LinkError::Flexpa(other.to_string()),
    }
}
