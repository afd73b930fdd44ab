//! The README's quick start for Leptos, compiled with the examples so it cannot rot.
#[rustfmt::skip]
mod quickstart {
// README:begin
use flexpa_link::{FlexpaLink, LinkConfig, LinkSession};
use leptos::{prelude::*, task::spawn_local};

#[component]
pub fn LinkButton() -> impl IntoView {
    let session = StoredValue::new_local(None::<LinkSession>); // dropped (Link closed) on unmount
    spawn_local(async move {
        let link = FlexpaLink::load().await.expect("the Flexpa Link script");
        let config = LinkConfig::new("pk_test_...").unwrap().on_success(send_to_backend);
        if !session.is_disposed() { session.set_value(link.create(config).ok()); }
    });
    let open = move |_| session.with_value(|s| { if let Some(s) = s { let _ = s.open(); } });
    view! { <button on:click=open>"Link your health data"</button> }
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
