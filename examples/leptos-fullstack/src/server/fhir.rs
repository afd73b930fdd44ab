//! A patient's records through Flexpa's FHIR API, read into the views the page shows
//! (`example-records`: its rules read what a resource has; a missing or odd field is `None`).
//!
//! Right after linking, Flexpa is still syncing the patient's data: the FHIR client waits for
//! it (the client's sync wait, 60 s by default) while the page shows "Syncing…".

use example_records::{Claim, Coverage, Patient};
use flexpa_link::server::{AccessToken, Client, Error};
use serde_json::Value;

use crate::records::Records;

/// The patient, their coverage and every claim (`search_pages`: page by page, following
/// Flexpa's next links). `plan` is left for the caller, who knows the linked endpoint.
pub async fn read(client: &Client, access_token: &AccessToken) -> Result<Records, Error> {
    let fhir = client.fhir(access_token);
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
    Ok(Records {
        patient: Patient::from_fhir(&patient),
        plan: None,
        coverage: Coverage::list_from_fhir(&coverage),
        claims,
        claim_pages: pages.pages_read(),
    })
}
