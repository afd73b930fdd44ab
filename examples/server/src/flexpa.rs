//! The backend's Flexpa: the crate's `flexpa_link::server::Client` (token exchange, consent
//! code exchange, introspection, and the FHIR client), pointed at Flexpa or the sandbox.

use flexpa_link::server::{AccessToken, Client, Error, ExchangeResponse, Introspection, SecretKey};
use flexpa_link::{PublicToken, PublishableKey};

/// Flexpa as the backend sees it.
#[derive(Debug, Clone)]
pub struct Flexpa {
    client: Client,
}

impl Flexpa {
    /// A client for the API at `api_base` (`https://api.flexpa.com`, or a loopback sandbox).
    pub fn new(
        secret_key: SecretKey,
        publishable_key: PublishableKey,
        api_base: &str,
    ) -> Result<Self, Error> {
        let client = Client::builder(secret_key)
            .publishable_key(publishable_key)
            .base_url(api_base)
            .build()?;
        Ok(Flexpa { client })
    }

    /// The crate's client (FHIR: `client().fhir(&access_token)`).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The API's base URL.
    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }

    /// `POST /link/exchange`: the public token from the browser, for an access token.
    pub async fn exchange(&self, public_token: &PublicToken) -> Result<ExchangeResponse, Error> {
        self.client.exchange(public_token).await
    }

    /// `GET /link/introspect`.
    pub async fn introspect(&self, access_token: &AccessToken) -> Result<Introspection, Error> {
        self.client.introspect(access_token).await
    }
}
