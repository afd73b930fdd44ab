//! What the page shows of a linked patient, and the server function that gets it.
//!
//! [`link_records`] runs on the server: it exchanges the public token, reads the records with
//! the access token and drops the token when it returns. Only [`Records`] (display data) or a
//! [`LinkError`] (whose texts never hold a token or a key) reach the browser.

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

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

/// The patient's name and details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patient {
    /// The official name (else the first one), as written or as given names and family.
    pub name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// FHIR's administrative gender.
    pub gender: Option<String>,
}

/// One coverage (insurance plan) of the patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// The plan's name (else its group's).
    pub plan: Option<String>,
    /// The insurer.
    pub payor: Option<String>,
    /// `active`, `cancelled`, ...
    pub status: Option<String>,
    /// The member id on the card.
    pub member_id: Option<String>,
    /// The coverage period's start.
    pub start: Option<String>,
    /// The coverage period's end (`None`: still covered).
    pub end: Option<String>,
}

/// One claim (a FHIR `ExplanationOfBenefit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// When the service was billed (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// Who billed it.
    pub provider: Option<String>,
    /// Pharmacy, Professional, Institutional, ...
    pub kind: Option<String>,
    /// What the provider billed.
    pub billed: Option<Money>,
    /// What the plan paid.
    pub paid: Option<Money>,
}

/// An amount in a currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Money {
    /// The amount.
    pub value: f64,
    /// ISO 4217 (`USD`).
    pub currency: String,
}

impl Patient {
    /// "Born 1980-01-01 · female".
    pub fn details(&self) -> String {
        format!(
            "Born {} · {}",
            self.birth_date.as_deref().unwrap_or("unknown"),
            self.gender.as_deref().unwrap_or("unknown")
        )
    }
}

impl Coverage {
    /// "Payor · active · member 123 · 2024-01-01 – present".
    pub fn details(&self) -> String {
        let member = self.member_id.as_ref().map(|m| format!("member {m}"));
        let period = format!(
            "{} – {}",
            self.start.as_deref().unwrap_or("?"),
            self.end.as_deref().unwrap_or("present")
        );
        [
            self.payor.as_deref(),
            self.status.as_deref(),
            member.as_deref(),
        ]
        .into_iter()
        .flatten()
        .chain([period.as_str()])
        .collect::<Vec<_>>()
        .join(" · ")
    }
}

impl std::fmt::Display for Money {
    /// `$1,234.50` for US dollars, `1,234.50 EUR` for other currencies.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cents = (self.value.abs() * 100.0).round() as u64;
        let digits = (cents / 100).to_string();
        let mut units = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                units.push(',');
            }
            units.push(digit);
        }
        let sign = if self.value < 0.0 { "-" } else { "" };
        let amount = format!("{units}.{:02}", cents % 100);
        if self.currency == "USD" {
            write!(f, "{sign}${amount}")
        } else {
            write!(f, "{sign}{amount} {}", self.currency)
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(value: f64) -> String {
        Money {
            value,
            currency: "USD".into(),
        }
        .to_string()
    }

    #[test]
    fn money_reads_as_the_page_shows_it() {
        assert_eq!(usd(18.4), "$18.40");
        assert_eq!(usd(0.0), "$0.00");
        assert_eq!(usd(1234.5), "$1,234.50");
        assert_eq!(usd(1_234_567.891), "$1,234,567.89");
        assert_eq!(usd(-95.0), "-$95.00");
        let eur = Money {
            value: 1000.0,
            currency: "EUR".into(),
        };
        assert_eq!(eur.to_string(), "1,000.00 EUR");
    }

    #[test]
    fn coverage_details_skip_what_is_missing() {
        let coverage = Coverage {
            plan: None,
            payor: Some("Evergreen".into()),
            status: None,
            member_id: Some("M1".into()),
            start: Some("2024-01-01".into()),
            end: None,
        };
        assert_eq!(
            coverage.details(),
            "Evergreen · member M1 · 2024-01-01 – present"
        );
    }
}
