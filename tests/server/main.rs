//! The server client against real HTTP servers on 127.0.0.1, as one test binary: the
//! stand-in (`tests/support/standin.rs`: the offline sandbox, `flexpa-sandbox`, behind a
//! recording fault layer) is built once, and each concern is a module.
//!
//! - `api`: exact requests and every success shape of the token calls;
//! - `errors`: every failure as a typed error (statuses, bodies, timeouts, transport);
//! - `records`: FHIR reads, paging and its limits, the two 429s, 422, application tokens,
//!   webhooks;
//! - `redaction`: no credential in any text, in any encoding;
//! - `tls`: HTTPS with a certificate made for the test;
//! - `chaos`: the fault suite (ignored here; `cargo test --features server --test server --
//!   --ignored chaos` runs it, as the test command's fault-suite step does).
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "../support/standin.rs"]
mod standin;

mod api;
mod chaos;
mod errors;
mod records;
mod redaction;
mod tls;
