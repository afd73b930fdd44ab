//! `use_flexpa_link`: one component's Flexpa Link as reactive values, on the core crate's
//! [`LinkController`], which owns the lifecycle (one script load, one live session, the latest
//! callbacks, closing on dispose).

use std::future::Future;

use dioxus::prelude::*;
use flexpa_link::{
    ControllerState, Error, LinkConfig, LinkController, LinkStatus, PublicToken, ScriptLoader,
};

/// Flexpa Link for this component, loading the script from `https://js.flexpa.com/v1/`.
///
/// Call it on every render, like any hook, with the config of this render: `None` while the app
/// has none yet (for instance while the publishable key is being fetched), which keeps the
/// handle not ready. The callbacks of the config passed last are the ones Link calls; the
/// session is created again only when the data changes (publishable key, user, usage,
/// endpoint, options), not when only the closures are new.
///
/// The component's unmount closes an open Link and frees every callback. On the server
/// (server-side rendering) nothing touches `window`: the handle stays not ready.
///
/// See the [crate-level example](crate).
pub fn use_flexpa_link(config: Option<LinkConfig>) -> UseFlexpaLink {
    use_flexpa_link_with(ScriptLoader::new, config)
}

/// [`use_flexpa_link`] with the script loaded by your [`ScriptLoader`] (another `src`, a CSP
/// `nonce`, an `integrity` hash, a timeout).
///
/// `loader` runs once, at the first render that has a config, so the script's address can come
/// with the config (for instance from your backend); later loaders are ignored, as
/// `use_signal` ignores later initial values.
pub fn use_flexpa_link_with(
    loader: impl FnOnce() -> ScriptLoader,
    config: Option<LinkConfig>,
) -> UseFlexpaLink {
    let state = use_signal(|| ControllerState {
        status: LinkStatus::Loading,
        token: None,
    });
    let mut controller = use_hook(|| CopyValue::new(None::<LinkController>));
    if config.is_some() && controller.peek().is_none() {
        let created = LinkController::new(loader(), move |changed: &ControllerState| {
            // The controller reports from its own tasks, never after dispose; the signal may
            // still be gone if the scope is torn down first, and then there is nobody to tell.
            let mut state = state;
            if let Ok(mut current) = state.try_write() {
                *current = changed.clone();
            };
        });
        controller.set(Some(created));
    }
    if let Some(controller) = &*controller.peek() {
        controller.set_config(config);
    }
    use_drop(move || {
        // Dropping the scope drops this value too (and the last clone disposes), but closing
        // Link belongs to the unmount itself, not to whenever the storage goes.
        if let Some(controller) = controller.try_write().ok().and_then(|mut c| c.take()) {
            controller.dispose();
        }
    });
    UseFlexpaLink {
        controller,
        state: state.into(),
        ready: use_memo(move || state.read().status.is_ready()),
        is_open: use_memo(move || state.read().status.is_open()),
        error: use_memo(move || state.read().status.error().cloned()),
        token: use_memo(move || state.read().token.clone()),
    }
}

/// The handle [`use_flexpa_link`] returns: `Copy`, so move it into as many event handlers as
/// you like. Its readers are reactive: a component that reads `ready()` renders again when
/// it changes, and only then.
#[derive(Clone, Copy, PartialEq)]
pub struct UseFlexpaLink {
    controller: CopyValue<Option<LinkController>>,
    state: ReadSignal<ControllerState>,
    ready: Memo<bool>,
    is_open: Memo<bool>,
    error: Memo<Option<Error>>,
    token: Memo<Option<PublicToken>>,
}

impl UseFlexpaLink {
    /// Whether [`open`](Self::open) can work: the script is loaded and Link created (also while
    /// it is open). `false` without a config, while loading, after a failure and on the server.
    pub fn ready(&self) -> bool {
        (self.ready)()
    }

    /// Whether Link is open now.
    pub fn is_open(&self) -> bool {
        (self.is_open)()
    }

    /// Why Link could not be loaded or created, until [`retry`](Self::retry) or a new config.
    pub fn error(&self) -> Option<Error> {
        (self.error)()
    }

    /// The public token of the last successful opening; `None` again when the next opening
    /// starts. Exchange it on your server: it is also what a `use_resource` can follow.
    pub fn token(&self) -> Option<PublicToken> {
        (self.token)()
    }

    /// The whole state (status and token) as a signal.
    pub fn state(&self) -> ReadSignal<ControllerState> {
        self.state
    }

    /// Opens Link (call it from a click handler). [`Error::NotReady`] while not ready; nothing
    /// happens when Link is already open.
    pub fn open(&self) -> Result<(), Error> {
        self.with(LinkController::open)
    }

    /// Opens Link straight at one health plan (its endpoint id).
    pub fn open_with_endpoint(&self, endpoint_id: &str) -> Result<(), Error> {
        self.with(|c| c.open_with_endpoint(endpoint_id))
    }

    /// Closes an open Link as if the user had left it (`on_exit` runs).
    pub fn exit(&self) -> Result<(), Error> {
        self.with(LinkController::exit)
    }

    /// After a failure: loads the script and creates Link again (nothing otherwise).
    pub fn retry(&self) {
        if let Some(controller) = &*self.controller.peek() {
            controller.retry();
        }
    }

    /// The token of the current opening or of the next one, as a future (the token
    /// `on_success` gets); an error if that opening ends otherwise (the user left, Link was
    /// closed, the component went away), [`Error::NotReady`] if there has been no config yet.
    pub fn public_token(&self) -> impl Future<Output = Result<PublicToken, Error>> + 'static {
        let pending = self
            .controller
            .peek()
            .as_ref()
            .map(LinkController::public_token);
        async move {
            match pending {
                Some(token) => token.await,
                None => Err(Error::NotReady),
            }
        }
    }

    fn with(&self, f: impl FnOnce(&LinkController) -> Result<(), Error>) -> Result<(), Error> {
        match &*self.controller.peek() {
            Some(controller) => f(controller),
            None => Err(Error::NotReady),
        }
    }
}
