//! Link in a component: the script loaded and the session created in the browser (the server
//! renders "not ready" and never touches `window`), the token handed to `on_success`.
//!
//! The session lives in the component's local storage: when the component unmounts (the app
//! routes elsewhere), it is dropped, which closes an open Link, removes its iframe and frees
//! its callbacks. A load that finishes after that creates nothing.

use std::sync::Arc;

use flexpa_link::{Error, LinkConfig, LinkSession, PublicToken, ScriptLoader};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::LinkSettings;

/// One component's Link.
#[derive(Clone, Copy)]
pub struct LinkHandle {
    /// The script is loaded and Link created: `open` will open it.
    pub ready: ReadSignal<bool>,
    /// Link is open.
    pub is_open: ReadSignal<bool>,
    /// Why Link could not load or open.
    pub error: ReadSignal<Option<String>>,
    open: Callback<()>,
}

impl LinkHandle {
    /// Opens Link (nothing while it is not ready or already open).
    pub fn open(&self) {
        self.open.run(());
    }
}

/// Loads Link with `settings` once the component is in the browser. Each opening ends in
/// `on_success` (with the public token) or `on_exit` (the user closed Link).
pub fn use_link(
    settings: LinkSettings,
    on_success: impl Fn(PublicToken) + Send + Sync + 'static,
    on_exit: impl Fn() + Send + Sync + 'static,
) -> LinkHandle {
    let (ready, set_ready) = signal(false);
    let (is_open, set_open) = signal(false);
    let (error, set_error) = signal(None::<String>);
    // `LinkSession` is not `Send`: local storage, disposed with the component.
    let session = StoredValue::new_local(None::<LinkSession>);

    // Effects run in the browser only, after hydration.
    Effect::new(move |_| {
        let LinkSettings {
            publishable_key,
            script_url,
            ..
        } = settings.clone();
        spawn_local(async move {
            let created = async {
                let link = ScriptLoader::new().src(script_url).load().await?;
                link.create(LinkConfig::new(publishable_key)?)
            };
            match created.await {
                _ if session.is_disposed() => {}
                Ok(created) => {
                    session.set_value(Some(created));
                    set_ready.set(true);
                }
                Err(e) => set_error.set(Some(e.to_string())),
            }
        });
    });

    let (on_success, on_exit) = (Arc::new(on_success), Arc::new(on_exit));
    let open = Callback::new(move |()| {
        let opened = session.try_with_value(|s| {
            s.as_ref()
                .filter(|s| !s.is_open())
                .map(|s| s.open().map(|()| s.public_token()))
        });
        let token = match opened.flatten() {
            Some(Ok(token)) => token,
            Some(Err(e)) => return set_error.set(Some(e.to_string())),
            None => return,
        };
        set_error.set(None);
        set_open.set(true);
        let (on_success, on_exit) = (on_success.clone(), on_exit.clone());
        spawn_local(async move {
            let ended = token.await;
            if set_open.try_set(false).is_some() {
                return; // the component is gone
            }
            match ended {
                Ok(token) => on_success(token),
                Err(Error::Exited { .. }) => on_exit(),
                Err(Error::Closed | Error::SessionDropped | Error::Superseded) => {}
                Err(e) => {
                    set_error.try_set(Some(e.to_string()));
                }
            }
        });
    });
    LinkHandle {
        ready,
        is_open,
        error,
        open,
    }
}
