//! What flexpa-link-dioxus adds to a minimal Dioxus app (`cargo xtask bench hooks`): one
//! button, without the `link` feature a plain one, with it `use_flexpa_link` and the hook
//! crate's `FlexpaLinkButton` (the README quick start, without its error paragraph).

use dioxus::prelude::*;

/// Without Link: a button that reacts to its click (a signal and an event handler, as the
/// Link button has).
#[cfg(not(feature = "link"))]
#[component]
fn App() -> Element {
    let mut clicked = use_signal(|| false);
    rsx! {
        button { onclick: move |_| clicked.set(true), disabled: clicked(), "Link your health data" }
    }
}

/// With Link: the README's quick start, the token handed to the app.
#[cfg(feature = "link")]
#[component]
fn App() -> Element {
    use flexpa_link::{LinkConfig, PublicToken};
    use flexpa_link_dioxus::{use_flexpa_link, FlexpaLinkButton};
    let link = use_flexpa_link(LinkConfig::new("pk_test_hook_size").ok());
    rsx! {
        FlexpaLinkButton { link, ontoken: move |token: PublicToken| send_to_backend(token),
            "Link your health data"
        }
    }
}

#[cfg(feature = "link")]
fn send_to_backend(token: flexpa_link::PublicToken) {
    // An app POSTs token.expose_secret() to its backend.
    drop(token);
}

fn main() {
    dioxus::launch(App);
}
