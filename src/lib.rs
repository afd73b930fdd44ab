//! # flexpa-link
//!
//! [Flexpa Link](https://www.flexpa.com/docs/link) for Rust web apps: the widget in which a
//! patient connects their health-plan data to your app.
//!
//! - **In the browser** (wasm32; Yew, Leptos, Dioxus or plain wasm-bindgen): safe Rust over the
//!   `window.FlexpaLink` global. The crate injects the script once, creates Link with Rust
//!   callbacks it owns and frees, and hands you the public token as a callback and a future.
//! - **On your server** (feature `server`, native targets only): Flexpa's consent flow (OAuth
//!   PKCE, Flexpa's recommended path; `pkce`), the patient's records through Flexpa's FHIR
//!   API (`server::fhir`), webhook verification (`server::webhooks`), and the token life cycle
//!   (Link's exchange, introspect, refresh, revoke, application tokens).
//!
//! ## In the browser
//!
//! ```no_run
//! use flexpa_link::{FlexpaLink, LinkConfig, Usage};
//!
//! # async fn run() -> Result<(), flexpa_link::Error> {
//! let link = FlexpaLink::load().await?; // injects https://js.flexpa.com/v1/ once
//! let session = link.create(
//!     LinkConfig::new("pk_test_...")?
//!         .user_external_id("user-123")
//!         .usage(Usage::OneTime)
//!         .on_success(|token| { /* send token.expose_secret() to your server */ let _ = token; })
//!         .on_exit(|reason| { let _ = reason; }),
//! )?;
//! session.open()?; // call it from a click handler
//! let token = session.public_token().await?; // the same token, as a future
//! # let _ = token; Ok(()) }
//! ```
//!
//! Keep the [`LinkSession`] alive while the user links: dropping it closes the iframe and
//! detaches its callbacks. The global is a singleton, so creating a new session retires the
//! previous one.
//!
//! Secrets never print: [`PublicToken`] and every other key, token, code and secret show as
//! `<redacted>` in `Debug` and `Display`, and are read only with `expose_secret()`.
//!
//! ## Feature flags
//!
//! | feature | what it adds | targets |
//! |---|---|---|
//! | `browser` (default) | the browser binding: `FlexpaLink`, `LinkConfig`, `LinkSession` | wasm32 (compiles everywhere; `Error::NoWindow` off the browser); turn default features off for a server-only build without web-sys |
//! | `pkce` | `pkce`: verifier, challenge, the consent flow's authorization URL and callback | all |
//! | `server` | `server`: the client (consent code exchange, FHIR records, application tokens, Link's exchange and the token life cycle) and `server::webhooks`; implies `pkce` | native only: it refuses to compile for wasm32, so a secret key cannot reach a browser |
//! | `js` | `js`: the JavaScript API of the npm package | wasm32 |
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs, missing_debug_implementations)]
#![forbid(unsafe_code)]

// docs.rs builds the wasm32 page with every feature: there only, `server` is let through (its
// module is native-only and simply absent from that page).
#[cfg(all(feature = "server", target_arch = "wasm32", not(docsrs)))]
compile_error!(
    "the `server` feature of flexpa-link is for native targets only: it handles your Flexpa \
     secret key, and a secret key must stay on the server, never in a browser (wasm32) build. \
     Enable `server` only in your backend's Cargo.toml."
);

#[cfg(feature = "pkce")]
mod base_url;
#[cfg(feature = "browser")]
#[cfg_attr(docsrs, doc(cfg(feature = "browser")))]
pub mod browser;
mod credentials;
#[cfg(all(feature = "js", target_arch = "wasm32"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "js", target_arch = "wasm32"))))]
pub mod js;
#[cfg(feature = "pkce")]
#[cfg_attr(docsrs, doc(cfg(feature = "pkce")))]
pub mod pkce;
#[cfg(all(feature = "server", not(target_arch = "wasm32")))]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod server;
mod usage;

#[cfg(feature = "browser")]
pub use browser::{
    ControllerState, CrossOrigin, Error, FlexpaLink, LinkConfig, LinkController, LinkSession,
    LinkStatus, LoadHandle, OptionValue, PublicTokenFuture, ScriptLoader, INVALID_TOKEN_EXIT,
};
pub use credentials::{InvalidValue, PublicToken, PublishableKey};
pub use usage::Usage;
