//! A patient's records through Flexpa's FHIR API, read into the views the page shows
//! (`example-records`: its rules read what a resource has; a missing or odd field is `None`).
//!
//! Right after linking, Flexpa is still syncing the patient's data: the FHIR client waits for
//! it (the client's sync wait, 60 s by default) while the page shows "Syncing…".

use flexpa_link::server::{AccessToken, Client, Error};

use crate::records::Records;

/// The patient, their coverage and every claim (`example_records::read`). `plan` is left for
/// the caller, who knows the linked endpoint.
pub async fn read(client: &Client, access_token: &AccessToken) -> Result<Records, Error> {
    let read = example_records::read(&client.fhir(access_token)).await?;
    Ok(Records {
        patient: read.patient,
        plan: None,
        coverage: read.coverage,
        claims: read.claims,
        claim_pages: read.claim_pages,
    })
}
