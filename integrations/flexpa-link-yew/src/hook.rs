//! `use_flexpa_link`: one component's Flexpa Link, as a Yew hook over
//! [`LinkController`](flexpa_link::LinkController).

use std::future::Future;

use flexpa_link::{
    ControllerState, Error, LinkConfig, LinkController, LinkStatus, PublicToken, ScriptLoader,
};
use yew::prelude::*;

/// What [`use_flexpa_link`] returns: the state of the component's Link when it last rendered,
/// and the actions on it. The component re-renders whenever the state changes, so reading
/// [`ready`](Self::ready), [`error`](Self::error) or [`token`](Self::token) in `html!` is
/// always up to date. Cloning is cheap (the actions share one controller).
#[derive(Clone)]
pub struct UseFlexpaLinkHandle {
    state: ControllerState,
    controller: LinkController,
}

impl UseFlexpaLinkHandle {
    /// Loading, ready, open, or failed (with the typed error).
    pub fn status(&self) -> &LinkStatus {
        &self.state.status
    }

    /// Whether [`open`](Self::open) can open Link: the script is loaded and the session created
    /// (also while Link is open). False during server-side rendering and while the config is
    /// `None`.
    pub fn ready(&self) -> bool {
        self.state.status.is_ready()
    }

    /// Whether Link is open on the page.
    pub fn is_open(&self) -> bool {
        self.state.status.is_open()
    }

    /// Why the script could not be loaded or Link created; [`retry`](Self::retry) tries again.
    pub fn error(&self) -> Option<&Error> {
        self.state.status.error()
    }

    /// The public token of the last successful opening, until the next opening starts. The same
    /// token also goes to the config's `on_success`.
    pub fn token(&self) -> Option<&PublicToken> {
        self.state.token.as_ref()
    }

    /// The token of the next successful opening, as a future (an error if that opening ends
    /// otherwise, or if the component unmounts first).
    pub fn public_token(&self) -> impl Future<Output = Result<PublicToken, Error>> {
        self.controller.public_token()
    }

    /// Opens Link. Call it from a click handler: an error says why it could not (not ready yet).
    pub fn open(&self) -> Result<(), Error> {
        self.controller.open()
    }

    /// Opens Link straight on one health plan's login.
    pub fn open_with_endpoint(&self, endpoint_id: &str) -> Result<(), Error> {
        self.controller.open_with_endpoint(endpoint_id)
    }

    /// Closes an open Link (its `on_exit` runs).
    pub fn exit(&self) -> Result<(), Error> {
        self.controller.exit()
    }

    /// After an [`error`](Self::error): loads the script and creates Link again.
    pub fn retry(&self) {
        self.controller.retry()
    }
}

impl std::fmt::Debug for UseFlexpaLinkHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UseFlexpaLinkHandle")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Flexpa Link in a function component, loaded from `https://js.flexpa.com/v1/`.
///
/// `config` is `None` until the app has one (a publishable key fetched from its backend, say):
/// the handle is then not ready. Pass the config on every render: its callbacks (`on_success`,
/// `on_exit`, `on_load`) are replaced each time, so Link always calls the closures of the last
/// render, once per opening; the session is created again only when the config's data changes
/// (publishable key, user, usage, endpoint, options), never for new closures alone.
///
/// Every component shares one script load. Unmounting the component closes an open Link and
/// frees its callbacks. On the server (`ssr`) the hook touches nothing: the handle renders not
/// ready, and becomes ready after hydration.
///
/// ```no_run
/// use flexpa_link::LinkConfig;
/// use flexpa_link_yew::use_flexpa_link;
/// use yew::prelude::*;
///
/// #[component]
/// fn Connect() -> Html {
///     let link = use_flexpa_link(LinkConfig::new("pk_test_...").ok().map(|config| {
///         config.on_success(|token| { /* send token.expose_secret() to your backend */ let _ = token; })
///     }));
///     let onclick = { let link = link.clone(); move |_| { let _ = link.open(); } };
///     html! { <button {onclick} disabled={!link.ready()}>{ "Link your health data" }</button> }
/// }
/// ```
#[hook]
pub fn use_flexpa_link(config: Option<LinkConfig>) -> UseFlexpaLinkHandle {
    use_flexpa_link_with(ScriptLoader::new(), config)
}

/// [`use_flexpa_link`] with a [`ScriptLoader`] of your own: another script URL (a sandbox, a
/// self-hosted copy), a CSP nonce, integrity, a timeout. The loader of the first render is the
/// one used.
#[hook]
pub fn use_flexpa_link_with(
    loader: ScriptLoader,
    config: Option<LinkConfig>,
) -> UseFlexpaLinkHandle {
    let state = use_state_eq(|| ControllerState {
        status: LinkStatus::Loading,
        token: None,
    });
    let controller = {
        let set = state.setter();
        use_state(move || {
            LinkController::new(loader, move |now: &ControllerState| set.set(now.clone()))
        })
    };
    // After every render (never on the server): the config of this render, with its closures.
    {
        let controller = (*controller).clone();
        use_effect(move || controller.set_config(config));
    }
    // On unmount: close Link, free the callbacks, cancel a pending load.
    {
        let controller = (*controller).clone();
        use_effect_with((), move |_| move || controller.dispose());
    }
    UseFlexpaLinkHandle {
        state: (*state).clone(),
        controller: (*controller).clone(),
    }
}
