//! Flexpa Link for [Yew](https://yew.rs): the [`use_flexpa_link`] hook and the ready-made
//! [`FlexpaLinkButton`], on [`flexpa_link`]'s `LinkController`.
//!
//! The hook does the lifecycle a component would otherwise write by hand: one script load
//! shared by every component, a session created when the config arrives and again only when
//! its data changes, the latest closures called once per opening, Link closed and every
//! callback freed on unmount, and a typed error with [`retry`](UseFlexpaLinkHandle::retry).
//!
//! # Quick start
//!
//! ```no_run
//! use flexpa_link::LinkConfig;
//! use flexpa_link_yew::use_flexpa_link;
//! use yew::prelude::*;
//!
//! #[component]
//! fn LinkButton() -> Html {
//!     let link = use_flexpa_link(LinkConfig::new("pk_test_...").ok().map(|config| {
//!         config.on_success(|token| { /* POST token.expose_secret() to your backend */ let _ = token; })
//!     }));
//!     let onclick = { let link = link.clone(); move |_| { let _ = link.open(); } };
//!     html! {
//!         <>
//!             <button {onclick} disabled={!link.ready()}>{ "Link your health data" }</button>
//!             if let Some(error) = link.error() { <p role="alert">{ error.to_string() }</p> }
//!         </>
//!     }
//! }
//! ```
//!
//! Or the button alone: `<FlexpaLinkButton publishable_key="pk_test_..." {on_success} />`.
//!
//! # Feature flags
//!
//! - `ssr`: yew's server-side rendering. The hook renders "not ready" (a disabled button) and
//!   touches no `window`; effects, which create Link, run only in the browser.
//! - `hydration`: yew's `Renderer::hydrate`, turning the server's HTML into a working button.
//!
//! Enable yew's `csr` in your app as usual.
#![deny(missing_docs)]

mod button;
mod hook;

pub use button::{FlexpaLinkButton, FlexpaLinkButtonProps, DEFAULT_LABEL};
pub use hook::{use_flexpa_link, use_flexpa_link_with, UseFlexpaLinkHandle};
