//! The README's quick start for Leptos, compiled with the examples so it cannot rot.
#[rustfmt::skip]
mod quickstart {
// README:begin
use flexpa_link::LinkConfig;
use flexpa_link_leptos::{use_flexpa_link, FlexpaLinkButton};
use leptos::prelude::*;

#[component]
pub fn LinkButton() -> impl IntoView {
    // One script per page; Link closed and its callbacks freed when the component unmounts.
    let link = use_flexpa_link(LinkConfig::new("pk_test_...").ok().map(|c| c.on_success(send_to_backend)));
    view! { <FlexpaLinkButton link /> } // disabled until ready; "Link your health data"
}
// README:end

fn send_to_backend(token: flexpa_link::PublicToken) {
    // POST token.expose_secret() to your backend, which exchanges it (see examples/leptos).
    drop(token);
}
}

fn main() {
    leptos::mount::mount_to_body(quickstart::LinkButton);
}
