//! What flexpa-link-yew adds to a minimal Yew app (`cargo xtask bench hooks`): one button,
//! without the `link` feature a plain one, with it the hook crate's `FlexpaLinkButton` (which
//! is `use_flexpa_link` and a button, as in the README).

use yew::prelude::*;

/// Without Link: a button that reacts to its click (state and an event handler, as the Link
/// button has).
#[cfg(not(feature = "link"))]
#[component]
fn App() -> Html {
    let clicked = use_state(|| false);
    let onclick = {
        let clicked = clicked.clone();
        move |_| clicked.set(true)
    };
    html! { <button {onclick} disabled={*clicked}>{ "Link your health data" }</button> }
}

/// With Link: the README's `FlexpaLinkButton`, the token handed to the app.
#[cfg(feature = "link")]
#[component]
fn App() -> Html {
    use flexpa_link_yew::FlexpaLinkButton;
    let on_success = Callback::from(send_to_backend);
    html! { <FlexpaLinkButton publishable_key="pk_test_hook_size" {on_success} /> }
}

#[cfg(feature = "link")]
fn send_to_backend(token: flexpa_link::PublicToken) {
    // An app POSTs token.expose_secret() to its backend.
    drop(token);
}

fn main() {
    yew::Renderer::<App>::new().render();
}
