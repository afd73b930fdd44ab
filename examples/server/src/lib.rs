//! The demo's backend and an offline sandbox of Flexpa.
//!
//! - [`backend`]: `GET /api/config`, `POST /api/exchange` (through `flexpa_link::server`),
//!   and the frontend's static files;
//! - [`sandbox`]: the Link script, a stand-in Link app and a stand-in Flexpa API with sample
//!   FHIR data, all following the protocol notes, for running the whole flow offline.
//!
//! The binary (`flexpa-link-demo-server`) puts them together; see its `--help`.
#![cfg(not(target_arch = "wasm32"))]

pub mod backend;
pub mod flexpa;
pub mod sandbox;
