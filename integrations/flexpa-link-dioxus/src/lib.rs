//! # flexpa-link-dioxus
//!
//! [Flexpa Link](https://www.flexpa.com/docs/link) in a [Dioxus](https://dioxuslabs.com) 0.7
//! app: a hook, [`use_flexpa_link`], and a ready-made [`FlexpaLinkButton`], on the
//! [`flexpa-link`](flexpa_link) crate's `LinkController`.
//!
//! ```no_run
//! use dioxus::prelude::*;
//! use flexpa_link::{LinkConfig, PublicToken};
//! use flexpa_link_dioxus::{use_flexpa_link, FlexpaLinkButton};
//!
//! #[component]
//! fn Connect() -> Element {
//!     // None (not ready) until there is a config; the closures of the last render are called.
//!     let link = use_flexpa_link(LinkConfig::new("pk_test_...").ok());
//!     rsx! {
//!         FlexpaLinkButton { link, ontoken: move |token: PublicToken| send_to_backend(token),
//!             "Link your health data"
//!         }
//!         if let Some(error) = link.error() { p { role: "alert", "{error}" } }
//!     }
//! }
//! # fn send_to_backend(_: PublicToken) {}
//! ```
//!
//! What the hook guarantees, whatever the app does:
//! - one `<script>` load per page, however many components use the hook;
//! - one live session: a re-render or a double mount does not create another, and each
//!   mounted button opens its own component's Link;
//! - the session is created again only when the data of the config changes (publishable key,
//!   user, usage, endpoint, options), never for new closures, and Link calls the closures of the
//!   last render, once per opening;
//! - unmounting the component closes an open Link and frees every callback;
//! - a failed load shows in [`UseFlexpaLink::error`], and [`UseFlexpaLink::retry`] tries again;
//! - on the server (server-side rendering), nothing touches `window`: the handle is not ready
//!   and the button renders disabled; in the browser, the server's HTML hydrates (Dioxus
//!   fullstack) into a working button: the same `<button>` becomes ready once the script is
//!   loaded, or once the config arrives if the app had none yet.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod button;
mod hook;
pub use button::FlexpaLinkButton;
pub use hook::{use_flexpa_link, use_flexpa_link_with, UseFlexpaLink};
