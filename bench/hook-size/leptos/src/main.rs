//! What flexpa-link-leptos adds to a minimal Leptos app (`cargo xtask bench hooks`): one
//! button, without the `link` feature a plain one, with it `use_flexpa_link` and the hook
//! crate's `FlexpaLinkButton` (the README quick start).

use leptos::prelude::*;

/// Without Link: a button that reacts to its click (a signal and an event handler, as the
/// Link button has).
#[cfg(not(feature = "link"))]
#[component]
fn App() -> impl IntoView {
    let clicked = RwSignal::new(false);
    view! {
        <button on:click=move |_| clicked.set(true) disabled=move || clicked.get()>
            "Link your health data"
        </button>
    }
}

/// With Link: the README's quick start, the token handed to the app.
#[cfg(feature = "link")]
#[component]
fn App() -> impl IntoView {
    use flexpa_link::LinkConfig;
    use flexpa_link_leptos::{use_flexpa_link, FlexpaLinkButton};
    let link = use_flexpa_link(
        LinkConfig::new("pk_test_hook_size")
            .ok()
            .map(|c| c.on_success(send_to_backend)),
    );
    view! { <FlexpaLinkButton link /> }
}

#[cfg(feature = "link")]
fn send_to_backend(token: flexpa_link::PublicToken) {
    // An app POSTs token.expose_secret() to its backend.
    drop(token);
}

fn main() {
    leptos::mount::mount_to_body(App);
}
