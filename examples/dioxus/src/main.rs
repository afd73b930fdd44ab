//! Flexpa Link in a Dioxus app, on `flexpa-link-dioxus`.
//!
//! - `App` switches between two views with a signal (no router for two views): leaving the
//!   Link view unmounts `LinkView`, and the hook closes an open Link and frees its callbacks.
//! - `LinkView` fetches the config with `use_resource`; the hook is not ready until it is there,
//!   then loads the script it names. The public token is a reactive value, and the exchange is
//!   a `use_resource` that follows it (and starts over when the next opening clears it).

use dioxus::prelude::*;
use example_api::Status;
use flexpa_link::{LinkConfig, ScriptLoader};
use flexpa_link_dioxus::{use_flexpa_link_with, FlexpaLinkButton};

mod view;

fn main() {
    dioxus::launch(App);
}

#[component]
fn App() -> Element {
    let mut linking = use_signal(|| true);
    rsx! {
        main {
            h1 { "Flexpa Link " small { "Dioxus" } }
            nav {
                button { id: "nav-link", onclick: move |_| linking.set(true), "Link" }
                button { id: "nav-about", onclick: move |_| linking.set(false), "About" }
            }
            if linking() { LinkView {} } else { view::About {} }
        }
    }
}

#[component]
fn LinkView() -> Element {
    let api = use_resource(example_api::config);
    let mut exited = use_signal(|| false);
    let api = api.read().clone().transpose();
    let loaded = api.as_ref().ok().and_then(Option::as_ref);
    let config = loaded
        .map(|c| LinkConfig::new(&c.publishable_key))
        .transpose();
    let key_error = config.as_ref().err().map(ToString::to_string);
    let script = loaded.map(|c| c.script_url.clone()).unwrap_or_default();
    let link = use_flexpa_link_with(
        || ScriptLoader::new().src(script),
        config
            .ok()
            .flatten()
            .map(|c| c.on_exit(move |_| exited.set(true))),
    );
    let exchange = use_resource(move || async move {
        let token = link.token()?;
        Some(example_api::exchange(&token).await)
    });
    let exchanged = exchange().flatten();
    let error = (api.clone().err())
        .or(key_error)
        .or(link.error().map(|e| e.to_string()))
        .or(exchanged.clone().and_then(Result::err));
    let status = match &exchanged {
        _ if error.is_some() => Status::Error,
        _ if link.is_open() => Status::Open,
        Some(Ok(_)) => Status::Success,
        _ if link.token().is_some() => Status::Exchanging,
        _ if exited() => Status::Exited,
        _ if link.ready() => Status::Ready,
        _ => Status::Loading,
    };
    rsx! {
        view::Banner { sandbox: loaded.is_some_and(|c| c.sandbox) }
        FlexpaLinkButton { link, id: "link-button", busy: !status.can_click(), "Link your health data" }
        p { class: "status", "Status: ", span { id: "status", "{status.as_str()}" } }
        p { id: "error", role: "alert", hidden: error.is_none(), {error.clone().unwrap_or_default()} }
        view::Linked { exchange: exchanged.and_then(Result::ok) }
    }
}
