//! The README's quick start for Dioxus, compiled with the examples so it cannot rot.
#[rustfmt::skip]
mod quickstart {
// README:begin
use dioxus::prelude::*;
use flexpa_link::{FlexpaLink, LinkConfig, LinkSession};

#[component]
pub fn LinkButton() -> Element {
    let mut session = use_signal(|| None::<LinkSession>); // dropped (Link closed) on unmount
    use_future(move || async move {
        let link = FlexpaLink::load().await.expect("the Flexpa Link script");
        let config = LinkConfig::new("pk_test_...").unwrap().on_success(send_to_backend);
        session.set(link.create(config).ok());
    });
    let open = move |_| { if let Some(s) = &*session.read() { let _ = s.open(); } };
    rsx! { button { onclick: open, "Link your health data" } }
}
// README:end

fn send_to_backend(token: flexpa_link::PublicToken) {
    // POST token.expose_secret() to your backend, which exchanges it (see examples/dioxus).
    drop(token);
}
}

fn main() {
    dioxus::launch(quickstart::LinkButton);
}
