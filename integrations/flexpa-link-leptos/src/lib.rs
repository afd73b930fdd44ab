//! # flexpa-link-leptos
//!
//! [Flexpa Link](https://www.flexpa.com/docs/link) in a [Leptos](https://leptos.dev) 0.8 app:
//! the [`use_flexpa_link`] hook and the [`FlexpaLinkButton`] component, on
//! [`flexpa_link`]'s `LinkController`.
//!
//! ```no_run
//! use flexpa_link::{LinkConfig, PublicToken};
//! use flexpa_link_leptos::use_flexpa_link;
//! use leptos::prelude::*;
//!
//! #[component]
//! fn LinkButton() -> impl IntoView {
//!     let link = use_flexpa_link(LinkConfig::new("pk_test_...").ok().map(|config| {
//!         config.on_success(|token: PublicToken| { /* POST token.expose_secret() to your server */ })
//!     }));
//!     view! {
//!         <button on:click=move |_| { let _ = link.open(); } disabled=move || !link.ready.get()>
//!             "Link your health data"
//!         </button>
//!         <p hidden=move || link.error.with(Option::is_none)>
//!             {move || link.error.get().map(|e| e.to_string())}
//!             <button on:click=move |_| link.retry()>"Try again"</button>
//!         </p>
//!     }
//! }
//! ```
//!
//! What the hook takes care of:
//! - **one script** per page, however many components use the hook (a load failure shows in
//!   `error`, and `retry()` loads again);
//! - **the latest callbacks**: the config's `on_success` / `on_exit` that run are those of
//!   the latest config, once per opening; new closures do not re-create the session, a change
//!   of the data that matters (publishable key, user, usage, endpoint) does;
//! - **unmount**: an open Link is closed and every callback freed (`on_cleanup`);
//! - **several components**: `window.FlexpaLink` is a singleton, so each component's button
//!   re-creates its own session before opening when another one was created since;
//! - **a config that comes later** (fetched from your backend): pass `None` or a closure
//!   that reads signals (see [`ConfigSource`]);
//! - **server-side rendering** (`ssr`): nothing touches `window`, the state is "loading" and
//!   buttons render disabled; after hydration (`hydrate`) the hook loads Link in the browser.
//!
//! The token also arrives as a signal ([`UseFlexpaLinkReturn::token`]) and a future
//! ([`UseFlexpaLinkReturn::public_token`]). It is a secret: it never prints (`Debug` and
//! `Display` show `<redacted>`); read it with `expose_secret()` to send it to your server.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs, missing_debug_implementations)]
#![forbid(unsafe_code)]

mod button;
mod hook;
mod slot;

pub use button::{FlexpaLinkButton, FlexpaLinkButtonProps};
pub use hook::{
    use_flexpa_link, use_flexpa_link_with_options, ConfigSource, UseFlexpaLinkOptions,
    UseFlexpaLinkReturn,
};
