//! # flexpa-link
//!
//! [Flexpa Link](https://www.flexpa.com/docs/link) for Rust web apps: the widget in which a
//! patient connects their health-plan data to your app.
//!
//! - **In the browser** (wasm32; Yew, Leptos, Dioxus or plain wasm-bindgen): safe Rust over the
//!   `window.FlexpaLink` global. The crate injects the script once, creates Link with Rust
//!   callbacks it owns and frees, and hands you the public token as a callback and a future.
//! - **On your server** (feature `server`, native targets only): exchange the public token and
//!   your secret key for an access token, and the rest of the token life cycle.
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
//!         .on_success(|token| { /* send token.as_str() to your server */ let _ = token; })
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
//! Secrets never print: [`PublicToken`] and the server's keys and tokens show as
//! `<redacted>` in `Debug` and `Display`.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs, missing_debug_implementations)]
#![forbid(unsafe_code)]

#[cfg(all(feature = "server", target_arch = "wasm32"))]
compile_error!(
    "the `server` feature of flexpa-link is for native targets only: it handles your Flexpa \
     secret key, and a secret key must stay on the server, never in a browser (wasm32) build. \
     Enable `server` only in your backend's Cargo.toml."
);

pub mod browser;
#[cfg(all(feature = "js", target_arch = "wasm32"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "js", target_arch = "wasm32"))))]
pub mod js;
#[cfg(feature = "pkce")]
#[cfg_attr(docsrs, doc(cfg(feature = "pkce")))]
pub mod pkce;
#[cfg(all(feature = "server", not(target_arch = "wasm32")))]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod server;
mod token;

pub use browser::{
    CrossOrigin, Error, FlexpaLink, LinkConfig, LinkSession, LoadHandle, OptionValue,
    PublicTokenFuture, ScriptLoader, Usage, INVALID_TOKEN_EXIT,
};
pub use token::{InvalidValue, PublicToken, PublishableKey};
