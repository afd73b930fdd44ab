//! Everything that touches `window.FlexpaLink`: loading the script, creating and opening Link,
//! and receiving the public token.
//!
//! The data flows one way: [`ScriptLoader`] → [`FlexpaLink`] → [`LinkSession`] →
//! [`PublicToken`](crate::PublicToken) → your backend. [`LinkController`] wraps that flow in
//! the lifecycle of a UI component, for framework hooks.
//!
//! This module compiles on every target so that server-side rendered apps (Leptos, Dioxus)
//! build; outside a page (native targets, web workers) its entry points return
//! [`Error::NoWindow`].

mod bindings;
pub(crate) mod config;
mod controller;
mod error;
mod script;
mod session;

pub use config::{LinkConfig, OptionValue, Usage};
pub use controller::{ControllerState, LinkController, LinkStatus};
pub use error::{Error, Result};
pub use script::{CrossOrigin, LoadHandle, ScriptLoader, DEFAULT_SRC, DEFAULT_TIMEOUT};
pub use session::{LinkSession, PublicTokenFuture, INVALID_TOKEN_EXIT};

use bindings::FlexpaLinkGlobal;
use wasm_bindgen::JsCast;

/// A handle on the loaded `window.FlexpaLink` global.
///
/// Get one with [`FlexpaLink::load`] (or [`ScriptLoader`] for options), then
/// [`create`](FlexpaLink::create) a session. Cloning is cheap: every clone is the same global.
#[derive(Debug, Clone)]
pub struct FlexpaLink {
    global: FlexpaLinkGlobal,
}

impl FlexpaLink {
    /// Loads `https://js.flexpa.com/v1/` once (or reuses it) and returns the global.
    ///
    /// Concurrent calls share one load; nothing is injected when the global already exists.
    pub async fn load() -> Result<Self> {
        ScriptLoader::new().load().await
    }

    /// [`load`](Self::load) with a callback instead of a future (no async executor needed):
    /// `callback` gets the global or the typed error, exactly once and always later, from the
    /// event loop. Dropping the returned [`LoadHandle`] first cancels the callback;
    /// [`LoadHandle::forget`] lets it run without keeping the handle.
    /// See [`ScriptLoader::load_with`].
    ///
    /// ```no_run
    /// use flexpa_link::{FlexpaLink, LinkConfig};
    ///
    /// FlexpaLink::load_with(|result| {
    ///     let created = result.and_then(|link| {
    ///         link.create(LinkConfig::new("pk_test_...")?.on_success(|token| {
    ///             /* send token.expose_secret() to your server */
    ///             let _ = token;
    ///         }))
    ///     });
    ///     match created {
    ///         Ok(session) => { /* keep it; call session.open() from a click handler */ let _ = session; }
    ///         Err(e) => { /* show e.to_string() */ let _ = e; }
    ///     }
    /// })
    /// .forget();
    /// ```
    pub fn load_with<F>(callback: F) -> LoadHandle
    where
        F: FnOnce(Result<Self>) + 'static,
    {
        ScriptLoader::new().load_with(callback)
    }

    /// The global if it is already loaded, without injecting anything.
    pub fn get() -> Result<Option<Self>> {
        if cfg!(not(target_arch = "wasm32")) {
            // No page on native targets (and core.js cannot run there).
            return Err(Error::NoWindow);
        }
        let global = bindings::read_global();
        if global.is_undefined() {
            Ok(None)
        } else if global.is_instance_of::<js_sys::Array>() {
            Err(Error::from_js(&global))
        } else {
            Ok(Some(Self {
                global: global.unchecked_into(),
            }))
        }
    }

    /// `FlexpaLink.create(config)`: creates the one live session.
    ///
    /// A previously created session is retired first (its iframe closed, its callbacks
    /// detached, its handle made inert), since the global is a singleton. Values the global
    /// throws come back as [`Error::Thrown`].
    pub fn create(&self, config: LinkConfig) -> Result<LinkSession> {
        session::create(&self.global, config)
    }
}
