//! `use_flexpa_link`: one component's Flexpa Link as signals and methods.

use std::future::Future;

use flexpa_link::{ControllerState, Error, LinkConfig, LinkStatus, PublicToken, ScriptLoader};
use leptos::prelude::*;

use crate::slot::Slot;

/// The config [`use_flexpa_link`] creates Link from.
///
/// Made with `.into()` (the hook takes `impl Into<ConfigSource>`) from:
/// - a [`LinkConfig`]: known when the component is created;
/// - `None::<LinkConfig>` or an `Option`: not known yet (the hook stays not ready);
/// - a closure `Fn() -> Option<LinkConfig>` that reads signals: it runs in an effect (in the
///   browser only, after the component is mounted) and again whenever a signal it read
///   changes. Returning `None` means "no config yet"; for instance
///   `move || key.get().map(|key| LinkConfig::new(key).ok()).flatten()`.
///
/// Each run hands Link new callbacks (the closures of the latest run are the ones called),
/// and re-creates the Link session only when the data changed (publishable key, user, usage,
/// endpoint, strict / auto-exit, options).
pub struct ConfigSource(Source);

enum Source {
    Fixed(Option<LinkConfig>),
    Reactive(Box<dyn Fn() -> Option<LinkConfig>>),
}

impl From<LinkConfig> for ConfigSource {
    fn from(config: LinkConfig) -> Self {
        Self(Source::Fixed(Some(config)))
    }
}

impl From<Option<LinkConfig>> for ConfigSource {
    fn from(config: Option<LinkConfig>) -> Self {
        Self(Source::Fixed(config))
    }
}

impl<F: Fn() -> Option<LinkConfig> + 'static> From<F> for ConfigSource {
    fn from(config: F) -> Self {
        Self(Source::Reactive(Box::new(config)))
    }
}

impl std::fmt::Debug for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Source::Fixed(config) => f.debug_tuple("Fixed").field(config).finish(),
            Source::Reactive(_) => f.write_str("Reactive(..)"),
        }
    }
}

/// Options of [`use_flexpa_link_with_options`].
#[derive(Debug, Clone, Default)]
pub struct UseFlexpaLinkOptions {
    loader: Option<ScriptLoader>,
}

impl UseFlexpaLinkOptions {
    /// How to load the Flexpa Link script: another `src` (a sandbox, a self-hosted copy), a
    /// CSP `nonce`, `integrity`, a timeout. Default: [`ScriptLoader::new`]. The script is
    /// loaded once per page, whichever component asks first.
    pub fn loader(mut self, loader: ScriptLoader) -> Self {
        self.loader = Some(loader);
        self
    }
}

/// What [`use_flexpa_link`] returns: Link's state as signals, and the methods that act on it.
///
/// `Copy`: move it into as many closures and child components as needed. Everything it
/// refers to belongs to the component that called the hook and is freed with it.
#[derive(Debug, Clone, Copy)]
pub struct UseFlexpaLinkReturn {
    /// The whole state: status (loading, ready, open, failed) and the last public token.
    pub state: Signal<ControllerState>,
    /// Link can be opened: the script is loaded and the session created (also while open).
    pub ready: Signal<bool>,
    /// Link's iframe is open.
    pub is_open: Signal<bool>,
    /// Why Link is not ready, if it failed (the script did not load, the config was
    /// refused...). [`retry`](Self::retry) tries again.
    pub error: Signal<Option<Error>>,
    /// The public token of the last successful opening; `None` again when an opening starts.
    pub token: Signal<Option<PublicToken>>,
    slot: Slot,
}

/// Flexpa Link for the calling component, with the default script (`https://js.flexpa.com/v1/`).
///
/// Loads the script once per page (however many components call this), creates Link when
/// the config is known and keeps the session as long as the component lives: when it is
/// unmounted, an open Link is closed and every callback freed. On the server (`ssr`) nothing
/// runs and the state stays "loading", so a server-rendered button is disabled.
///
/// See [`ConfigSource`] for a config that arrives later or depends on signals.
pub fn use_flexpa_link(config: impl Into<ConfigSource>) -> UseFlexpaLinkReturn {
    use_flexpa_link_with_options(config, UseFlexpaLinkOptions::default())
}

/// [`use_flexpa_link`] with options (another script `src`, a CSP nonce, ...).
pub fn use_flexpa_link_with_options(
    config: impl Into<ConfigSource>,
    options: UseFlexpaLinkOptions,
) -> UseFlexpaLinkReturn {
    let state = RwSignal::new(ControllerState {
        status: LinkStatus::Loading,
        token: None,
    });
    let slot = Slot::new(options.loader.unwrap_or_default(), move |new| {
        // The component may be going away while Link reports its last change.
        state.try_set(new.clone());
    });
    // Unmounting closes an open Link and frees its callbacks (dropping the arena's value
    // would too; this does it at the moment Leptos cleans the component up).
    on_cleanup(move || slot.dispose());

    match config.into().0 {
        Source::Fixed(config) => slot.set_config(config),
        Source::Reactive(config) => {
            // Effects run in the browser only, after mounting: never on the server.
            Effect::new(move || slot.set_config(config()));
        }
    }

    UseFlexpaLinkReturn {
        state: state.into(),
        ready: Signal::derive(move || state.with(|s| s.status.is_ready())),
        is_open: Signal::derive(move || state.with(|s| s.status.is_open())),
        error: Signal::derive(move || state.with(|s| s.status.error().cloned())),
        token: Signal::derive(move || state.with(|s| s.token.clone())),
        slot,
    }
}

impl UseFlexpaLinkReturn {
    /// Opens Link (call it from a click handler). The token arrives through the config's
    /// `on_success`, [`token`](Self::token) and [`public_token`](Self::public_token).
    ///
    /// Errors when Link is not ready yet (`Error::NotReady`), the component is gone
    /// (`Error::SessionDropped`), the global threw (`Error::Thrown`), or on the server
    /// (`Error::NoWindow`).
    pub fn open(&self) -> Result<(), Error> {
        self.slot.with(|c| c.open())
    }

    /// Opens Link on one health plan's endpoint.
    pub fn open_with_endpoint(&self, endpoint_id: &str) -> Result<(), Error> {
        self.slot.with(|c| c.open_with_endpoint(endpoint_id))
    }

    /// Closes an open Link as if the user left it (`on_exit` runs).
    pub fn exit(&self) -> Result<(), Error> {
        self.slot.with(|c| c.exit())
    }

    /// After a failure ([`error`](Self::error) is `Some`): loads the script and creates Link
    /// again.
    pub fn retry(&self) {
        let _ = self.slot.with(|c| {
            c.retry();
            Ok(())
        });
    }

    /// The public token of the next successful opening, as a future: `Err` if that opening
    /// ends otherwise (the user exits, the component is unmounted...).
    pub fn public_token(&self) -> impl Future<Output = Result<PublicToken, Error>> + 'static {
        let waiting = self.slot.with(|c| Ok(c.public_token()));
        async move { waiting?.await }
    }
}
