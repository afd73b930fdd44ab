//! What the examples show of a patient's records: [`Patient`], [`Coverage`] and [`Claim`]
//! views of Flexpa's FHIR resources, read from them by one set of rules, and the texts the
//! pages show of them.
//!
//! The views' JSON is the demo backend's HTTP contract (`examples/server`: `POST
//! /api/exchange`, `GET /api/records`; `examples/README.md`): camelCase keys, every key present,
//! `null` for what the resource does not say. The browser examples read it back
//! (`examples/api`), and the full-stack Leptos app sends the same types through its server
//! function.
//!
//! The conversions read a `serde_json::Value` and never fail: a missing field, an array that is
//! not one or a value of another type gives `None` (an empty list), never an error or a panic.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A FHIR `Patient` as the pages show it:
/// `{"id", "name", "birthDate", "gender"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    /// The resource's id (empty when it has none).
    pub id: String,
    /// The official name, else the first one: its `text`, else its given names and family name
    /// joined by spaces (`None`: no name, or an empty one).
    pub name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// FHIR's administrative gender (`female`, `male`, `other`, `unknown`).
    pub gender: Option<String>,
}

/// A FHIR `Coverage` (a health plan of the patient) as the pages show it:
/// `{"payor", "plan", "status", "memberId", "start", "end"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// The first payor's display name (the insurer).
    pub payor: Option<String>,
    /// The `plan` class (else the `group` class): its name, else its value.
    pub plan: Option<String>,
    /// `active`, `cancelled`, ...
    pub status: Option<String>,
    /// The member id on the card: the `subscriberId`, else the identifier of type `MB` (member
    /// number), else the first identifier's value.
    pub member_id: Option<String>,
    /// The coverage period's start.
    pub start: Option<String>,
    /// The coverage period's end (`None`: still covered).
    pub end: Option<String>,
}

/// A FHIR `ExplanationOfBenefit` (a claim) as the pages show it:
/// `{"id", "date", "provider", "type", "billed", "paid", "currency"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// The resource's id.
    pub id: Option<String>,
    /// The billable period's start, else when the claim was created: its first 10 characters
    /// (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// Who billed it: the provider's display name, else its reference.
    pub provider: Option<String>,
    /// The claim type's first coding's display: Pharmacy, Professional, Institutional, ...
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// What the provider billed: the amount of the `submitted` total (CARIN Blue Button).
    pub billed: Option<f64>,
    /// What the plan paid: the amount of the `benefit` total.
    pub paid: Option<f64>,
    /// The first total's currency (a claim's totals share one), else `USD`.
    pub currency: String,
}

/// An amount in a currency, shown as `$1,234.50` (US dollars) or `1,234.50 EUR`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Money {
    /// The amount.
    pub value: f64,
    /// ISO 4217 (`USD`).
    pub currency: String,
}

/// The elements of a JSON array; none for anything else (missing, `null`, another type).
fn items(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// A string value as an owned `String`; `None` for anything else.
fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

/// Whether a FHIR `CodeableConcept` has a coding with this code.
fn has_code(concept: &Value, code: &str) -> bool {
    items(&concept["coding"]).iter().any(|c| c["code"] == code)
}

impl Patient {
    /// The view of a FHIR `Patient` resource (see the fields for the rules).
    pub fn from_fhir(patient: &Value) -> Patient {
        let names = items(&patient["name"]);
        let name = names
            .iter()
            .find(|n| n["use"] == "official")
            .or(names.first())
            .and_then(|n| {
                text(&n["text"]).or_else(|| {
                    let parts: Vec<&str> = items(&n["given"])
                        .iter()
                        .filter_map(Value::as_str)
                        .chain(n["family"].as_str())
                        .collect();
                    (!parts.is_empty()).then(|| parts.join(" "))
                })
            });
        Patient {
            id: patient["id"].as_str().unwrap_or_default().to_owned(),
            name,
            birth_date: text(&patient["birthDate"]),
            gender: text(&patient["gender"]),
        }
    }

    /// "Born 1980-01-01 · female" (`unknown` for what is missing).
    pub fn details(&self) -> String {
        format!(
            "Born {} · {}",
            self.birth_date.as_deref().unwrap_or("unknown"),
            self.gender.as_deref().unwrap_or("unknown")
        )
    }

    /// [`details`](Self::details) and the resource: "Born 1980-01-01 · female · Patient/123".
    pub fn details_with_id(&self) -> String {
        format!("{} · Patient/{}", self.details(), self.id)
    }
}

impl Coverage {
    /// The view of a FHIR `Coverage` resource (see the fields for the rules).
    pub fn from_fhir(coverage: &Value) -> Coverage {
        // The first class of this type that has a name or a value.
        let class = |code: &str| {
            items(&coverage["class"])
                .iter()
                .filter(|c| has_code(&c["type"], code))
                .find_map(|c| text(&c["name"]).or_else(|| text(&c["value"])))
        };
        let member_id = text(&coverage["subscriberId"]).or_else(|| {
            let ids = items(&coverage["identifier"]);
            ids.iter()
                .find(|i| has_code(&i["type"], "MB"))
                .or(ids.first())
                .and_then(|i| text(&i["value"]))
        });
        Coverage {
            payor: text(&coverage["payor"][0]["display"]),
            plan: class("plan").or_else(|| class("group")),
            status: text(&coverage["status"]),
            member_id,
            start: text(&coverage["period"]["start"]),
            end: text(&coverage["period"]["end"]),
        }
    }

    /// The views of the `Coverage` resources among these, in order (others are skipped: a
    /// search may mix resource types, e.g. an `OperationOutcome`).
    pub fn list_from_fhir<'a>(resources: impl IntoIterator<Item = &'a Value>) -> Vec<Coverage> {
        resources
            .into_iter()
            .filter(|r| r["resourceType"] == "Coverage")
            .map(Coverage::from_fhir)
            .collect()
    }

    /// "Payor · active · member 123 · 2024-01-01 – present": what is known of payor, status
    /// and member id, then the period (`?` for an unknown start).
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
            Some(&period),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
    }
}

impl Claim {
    /// The view of a FHIR `ExplanationOfBenefit` resource (see the fields for the rules).
    pub fn from_fhir(eob: &Value) -> Claim {
        // The first total in this category that has a numeric amount.
        let total = |code: &str| {
            items(&eob["total"])
                .iter()
                .filter(|t| has_code(&t["category"], code))
                .find_map(|t| t["amount"]["value"].as_f64())
        };
        Claim {
            id: text(&eob["id"]),
            date: eob["billablePeriod"]["start"]
                .as_str()
                .or(eob["created"].as_str())
                .map(|d| d.chars().take(10).collect()),
            provider: text(&eob["provider"]["display"])
                .or_else(|| text(&eob["provider"]["reference"])),
            kind: text(&eob["type"]["coding"][0]["display"]),
            billed: total("submitted"),
            paid: total("benefit"),
            currency: text(&eob["total"][0]["amount"]["currency"]).unwrap_or_else(|| "USD".into()),
        }
    }

    /// What the provider billed, in the claim's currency.
    pub fn billed_money(&self) -> Option<Money> {
        self.money(self.billed)
    }

    /// What the plan paid, in the claim's currency.
    pub fn paid_money(&self) -> Option<Money> {
        self.money(self.paid)
    }

    fn money(&self, value: Option<f64>) -> Option<Money> {
        Some(Money {
            value: value?,
            currency: self.currency.clone(),
        })
    }
}

impl fmt::Display for Money {
    /// `$1,234.50` for US dollars, `1,234.50 EUR` for other currencies: thousands separated by
    /// commas, rounded to cents, `-` first when negative.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

#[cfg(test)]
mod tests;

/// A patient's records as read from Flexpa's FHIR API by [`read`].
#[cfg(feature = "read")]
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    /// The patient.
    pub patient: Patient,
    /// Their coverage.
    pub coverage: Vec<Coverage>,
    /// Every claim, as Flexpa lists them.
    pub claims: Vec<Claim>,
    /// How many pages of `ExplanationOfBenefit` were read.
    pub claim_pages: usize,
}

/// Reads the linked patient, their coverage and every claim (`search_pages`: page by page,
/// following Flexpa's next links) into the views. How long it waits while Flexpa is still
/// syncing is `fhir`'s sync wait.
#[cfg(feature = "read")]
pub async fn read(
    fhir: &flexpa_link::server::fhir::Fhir,
) -> Result<Read, flexpa_link::server::Error> {
    let patient: Value = fhir.read("Patient", "$PATIENT_ID").await?;
    let coverage: Vec<Value> = fhir
        .search_all("Coverage", &[("patient", "$PATIENT_ID")])
        .await?;
    let mut pages =
        fhir.search_pages::<Value>("ExplanationOfBenefit", &[("patient", "$PATIENT_ID")]);
    let mut claims = Vec::new();
    while let Some(page) = pages.next().await? {
        claims.extend(page.resources().map(Claim::from_fhir));
    }
    Ok(Read {
        patient: Patient::from_fhir(&patient),
        coverage: Coverage::list_from_fhir(&coverage),
        claims,
        claim_pages: pages.pages_read(),
    })
}
