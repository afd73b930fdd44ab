//! The demo's backend and an offline sandbox of Flexpa.
//!
//! - [`backend`]: the frontend's static files and its API (through `flexpa_link::server`):
//!   Link's exchange, Flexpa's consent flow ([`consent_flow`]), the patient's records
//!   ([`records`], read into the `example-records` views) kept server side per browser
//!   ([`sessions`]), and Flexpa's
//!   webhooks ([`webhook_receiver`]);
//! - [`sandbox`]: the Link script, a stand-in Link app and a stand-in Flexpa API with sample
//!   FHIR data, all following the protocol notes, for running the whole flow offline.
//!
//! The binary (`flexpa-link-demo-server`) puts them together; see its `--help`.
#![cfg(not(target_arch = "wasm32"))]

pub mod backend;
pub mod consent_flow;
pub mod flexpa;
pub mod records;
/// The offline Flexpa, the `flexpa-sandbox` crate (`sandbox/server/`), under its old path.
pub use flexpa_sandbox as sandbox;
pub mod sessions;
pub mod webhook_receiver;
