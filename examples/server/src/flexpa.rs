//! The backend's calls to Flexpa: the token exchange and introspection through the crate's
//! `flexpa_link::server::Client`, and FHIR reads with the access token.
//!
//! The crate has no FHIR client (FHIR is plain authenticated `GET`s), so [`Flexpa::fhir`]
//! makes them with a `reqwest::Client` of its own (timeouts, no redirects, a size cap).

use std::time::Duration;

use flexpa_link::server::{AccessToken, Client, Error, ExchangeResponse, Introspection, SecretKey};
use flexpa_link::{PublicToken, PublishableKey};
use reqwest::header::{ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::Value;

/// FHIR answers larger than this are refused (the demo reads one patient's records).
const FHIR_MAX_BYTES: usize = 8 * 1024 * 1024;
/// How long FHIR reads keep retrying HTTP 429 (Flexpa answers 429 with `Retry-After` while it
/// is still fetching a newly linked patient's data).
const FHIR_MAX_WAIT: Duration = Duration::from_secs(60);

/// Flexpa as the backend sees it.
#[derive(Debug, Clone)]
pub struct Flexpa {
    client: Client,
    http: reqwest::Client,
    fhir_base: String,
}

/// Why a FHIR read failed, in words safe to show and log (no token, no body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FhirError {
    /// The HTTP status, when the API answered.
    pub status: Option<StatusCode>,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for FhirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Flexpa {
    /// A client for the API at `api_base` (`https://api.flexpa.com`, or a loopback sandbox).
    pub fn new(
        secret_key: SecretKey,
        publishable_key: PublishableKey,
        api_base: &str,
    ) -> Result<Self, Error> {
        // The crate's client first: building it installs the TLS crypto provider (ring) that
        // the FHIR client below needs too.
        let client = Client::builder(secret_key)
            .publishable_key(publishable_key)
            .base_url(api_base)
            .build()?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!(
                "flexpa-link-demo-server/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(Error::Build)?;
        let fhir_base = format!("{}/fhir", client.base_url().trim_end_matches('/'));
        Ok(Flexpa {
            client,
            http,
            fhir_base,
        })
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

    /// `GET {api}/fhir/<path_and_query>` with the access token: the JSON resource or bundle.
    /// Retries HTTP 429 as `Retry-After` says, for at most a minute in all.
    pub async fn fhir(
        &self,
        access_token: &AccessToken,
        path_and_query: &str,
    ) -> Result<Value, FhirError> {
        let url = format!("{}/{}", self.fhir_base, path_and_query);
        let what = path_and_query.split('?').next().unwrap_or(path_and_query);
        let started = tokio::time::Instant::now();
        loop {
            let response = self
                .http
                .get(&url)
                .header(
                    AUTHORIZATION,
                    format!("Bearer {}", access_token.expose_secret()),
                )
                .header(ACCEPT, "application/fhir+json, application/json")
                .send()
                .await
                .map_err(|e| FhirError {
                    status: None,
                    message: if e.is_timeout() {
                        format!("FHIR {what}: Flexpa did not answer in time")
                    } else {
                        format!("FHIR {what}: could not reach Flexpa")
                    },
                })?;
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs)
                    .unwrap_or(Duration::from_secs(1))
                    .max(Duration::from_millis(200));
                if started.elapsed() + wait <= FHIR_MAX_WAIT {
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            let body = read_capped(response).await.map_err(|message| FhirError {
                status: Some(status),
                message: format!("FHIR {what}: {message}"),
            })?;
            let json: Option<Value> = serde_json::from_slice(&body).ok();
            if !status.is_success() {
                let detail = json
                    .as_ref()
                    .and_then(|j| {
                        j.get("message")
                            .or_else(|| j.pointer("/issue/0/diagnostics"))
                            .and_then(Value::as_str)
                    })
                    .map(|m| format!(": {}", m.chars().take(200).collect::<String>()))
                    .unwrap_or_default();
                return Err(FhirError {
                    status: Some(status),
                    message: format!("FHIR {what}: HTTP {}{detail}", status.as_u16()),
                });
            }
            return json.ok_or_else(|| FhirError {
                status: Some(status),
                message: format!("FHIR {what}: the answer is not JSON"),
            });
        }
    }
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|_| "the answer was cut off".to_string())?
    {
        if body.len() + chunk.len() > FHIR_MAX_BYTES {
            return Err(format!("the answer is larger than {FHIR_MAX_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
