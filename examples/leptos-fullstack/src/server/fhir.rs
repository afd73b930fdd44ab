//! A patient's records through Flexpa's FHIR API, read into the few typed fields the page
//! shows (unknown fields are ignored; a missing one is `None`).
//!
//! Right after linking, Flexpa is still syncing the patient's data: the FHIR client waits for
//! it (the client's sync wait, 60 s by default) while the page shows "Syncing…".

use flexpa_link::server::{AccessToken, Client, Error};
use serde::Deserialize;

use crate::records::{Claim, Coverage, Money, Patient, Records};

/// The patient, their coverage and every claim (`search_pages`: page by page, following
/// Flexpa's next links). `plan` is left for the caller, who knows the linked endpoint.
pub async fn read(client: &Client, access_token: &AccessToken) -> Result<Records, Error> {
    let fhir = client.fhir(access_token);
    let patient: FhirPatient = fhir.read("Patient", "$PATIENT_ID").await?;
    let coverage: Vec<FhirCoverage> = fhir
        .search_all("Coverage", &[("patient", "$PATIENT_ID")])
        .await?;
    let mut pages =
        fhir.search_pages::<FhirClaim>("ExplanationOfBenefit", &[("patient", "$PATIENT_ID")]);
    let mut claims = Vec::new();
    while let Some(page) = pages.next().await? {
        claims.extend(page.into_resources().map(FhirClaim::view));
    }
    Ok(Records {
        patient: patient.view(),
        plan: None,
        coverage: coverage.into_iter().map(FhirCoverage::view).collect(),
        claims,
        claim_pages: pages.pages_read(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FhirPatient {
    #[serde(default)]
    name: Vec<HumanName>,
    birth_date: Option<String>,
    gender: Option<String>,
}

#[derive(Deserialize)]
struct HumanName {
    #[serde(rename = "use")]
    usage: Option<String>,
    text: Option<String>,
    #[serde(default)]
    given: Vec<String>,
    family: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FhirCoverage {
    status: Option<String>,
    subscriber_id: Option<String>,
    #[serde(default)]
    identifier: Vec<Identifier>,
    #[serde(default)]
    payor: Vec<Reference>,
    #[serde(default)]
    class: Vec<CoverageClass>,
    period: Option<Period>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FhirClaim {
    billable_period: Option<Period>,
    created: Option<String>,
    provider: Option<Reference>,
    #[serde(rename = "type")]
    kind: Option<CodeableConcept>,
    #[serde(default)]
    total: Vec<Total>,
}

#[derive(Deserialize)]
struct Identifier {
    #[serde(rename = "type")]
    kind: Option<CodeableConcept>,
    value: Option<String>,
}

#[derive(Deserialize)]
struct Reference {
    display: Option<String>,
    reference: Option<String>,
}

#[derive(Deserialize)]
struct CoverageClass {
    #[serde(rename = "type")]
    kind: Option<CodeableConcept>,
    name: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
struct Period {
    start: Option<String>,
    end: Option<String>,
}

#[derive(Deserialize)]
struct CodeableConcept {
    #[serde(default)]
    coding: Vec<Coding>,
}

#[derive(Deserialize)]
struct Coding {
    code: Option<String>,
    display: Option<String>,
}

#[derive(Deserialize)]
struct Total {
    category: Option<CodeableConcept>,
    amount: Option<FhirMoney>,
}

#[derive(Deserialize)]
struct FhirMoney {
    value: Option<f64>,
    currency: Option<String>,
}

impl CodeableConcept {
    fn has_code(&self, code: &str) -> bool {
        self.coding.iter().any(|c| c.code.as_deref() == Some(code))
    }
}

fn has_code(concept: &Option<CodeableConcept>, code: &str) -> bool {
    concept.as_ref().is_some_and(|c| c.has_code(code))
}

impl FhirPatient {
    fn view(self) -> Patient {
        let name = self
            .name
            .iter()
            .find(|n| n.usage.as_deref() == Some("official"))
            .or(self.name.first())
            .and_then(|n| {
                n.text.clone().or_else(|| {
                    let parts: Vec<&str> = n
                        .given
                        .iter()
                        .map(String::as_str)
                        .chain(n.family.as_deref())
                        .collect();
                    (!parts.is_empty()).then(|| parts.join(" "))
                })
            });
        Patient {
            name,
            birth_date: self.birth_date,
            gender: self.gender,
        }
    }
}

impl FhirCoverage {
    fn view(self) -> Coverage {
        // The plan's class (else the group's): its name, else its value.
        let class = |code: &str| {
            self.class
                .iter()
                .find(|c| has_code(&c.kind, code))
                .and_then(|c| c.name.clone().or_else(|| c.value.clone()))
        };
        let plan = class("plan").or_else(|| class("group"));
        // The subscriber id, else the member-number identifier (MB), else the first one.
        let member_id = self.subscriber_id.clone().or_else(|| {
            self.identifier
                .iter()
                .find(|i| has_code(&i.kind, "MB"))
                .or(self.identifier.first())
                .and_then(|i| i.value.clone())
        });
        let (start, end) = self.period.map_or((None, None), |p| (p.start, p.end));
        Coverage {
            plan,
            payor: self.payor.into_iter().next().and_then(|p| p.display),
            status: self.status,
            member_id,
            start,
            end,
        }
    }
}

impl FhirClaim {
    /// The date is the billable period's start (else when the claim was created); billed is
    /// the `submitted` total and paid the `benefit` total (CARIN Blue Button).
    fn view(self) -> Claim {
        let date = self
            .billable_period
            .and_then(|p| p.start)
            .or(self.created)
            .map(|d| d.chars().take(10).collect());
        let total = |code: &str| {
            self.total
                .iter()
                .find(|t| has_code(&t.category, code))
                .and_then(|t| t.amount.as_ref())
                .and_then(|m| {
                    Some(Money {
                        value: m.value?,
                        currency: m.currency.clone().unwrap_or_else(|| "USD".into()),
                    })
                })
        };
        Claim {
            date,
            provider: self.provider.and_then(|p| p.display.or(p.reference)),
            kind: self
                .kind
                .and_then(|k| k.coding.into_iter().next())
                .and_then(|c| c.display),
            billed: total("submitted"),
            paid: total("benefit"),
        }
    }
}
