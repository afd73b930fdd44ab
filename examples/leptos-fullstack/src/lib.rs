//! Flexpa Link in a full-stack Leptos app.
//!
//! - The server (feature `ssr`, `src/main.rs`) renders every page on axum and answers the
//!   server function [`records::link_records`]: it exchanges Link's public token with
//!   `flexpa_link::server::Client`, reads the patient, their coverage and their claims from
//!   Flexpa's FHIR API, and returns only what the page shows. The access token stays in that
//!   function: no cookie, no page field, no log line carries it.
//! - The browser (feature `hydrate`, this library built for wasm32) hydrates the server's HTML:
//!   the Link button, rendered disabled ("not ready") on the server, becomes a working one once
//!   the Link script has loaded.
#![deny(missing_docs)]

pub mod app;
pub mod records;
#[cfg(feature = "ssr")]
pub mod server;

/// The browser's entry point, called by the hydration script of [`app::shell`].
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_body(app::App);
}
