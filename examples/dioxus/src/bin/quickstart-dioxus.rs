//! The README's quick start for Dioxus, compiled with the examples so it cannot rot.
#[rustfmt::skip]
mod quickstart {
// README:begin
use dioxus::prelude::*;
use flexpa_link::{LinkConfig, PublicToken};
use flexpa_link_dioxus::{use_flexpa_link, FlexpaLinkButton};

#[component]
pub fn LinkButton() -> Element {
    // Not ready until loaded; unmounting closes Link. `None` while you have no config yet.
    let link = use_flexpa_link(LinkConfig::new("pk_test_...").ok());
    rsx! {
        FlexpaLinkButton { link, ontoken: move |token: PublicToken| send_to_backend(token),
            "Link your health data"
        }
        if let Some(error) = link.error() { p { role: "alert", "{error}" } }
    }
}
// README:end

fn send_to_backend(token: PublicToken) {
    // POST token.expose_secret() to your backend, which exchanges it (see examples/dioxus).
    drop(token);
}
}

fn main() {
    dioxus::launch(quickstart::LinkButton);
}
