//! The README's quick start for Yew, compiled with the examples so it cannot rot.
#[rustfmt::skip]
mod quickstart {
// README:begin
use flexpa_link::{FlexpaLink, LinkConfig, LinkSession};
use yew::{platform::spawn_local, prelude::*};

#[component]
pub fn LinkButton() -> Html {
    let session = use_mut_ref(|| None::<LinkSession>); // dropped (Link closed) on unmount
    use_effect_with((), { let session = session.clone(); move |_| spawn_local(async move {
        let link = FlexpaLink::load().await.expect("the Flexpa Link script");
        let config = LinkConfig::new("pk_test_...").unwrap().on_success(send_to_backend);
        *session.borrow_mut() = link.create(config).ok();
    })});
    let onclick = move |_| { if let Some(s) = &*session.borrow() { let _ = s.open(); } };
    html! { <button {onclick}>{ "Link your health data" }</button> }
}
// README:end

fn send_to_backend(token: flexpa_link::PublicToken) {
    // POST token.expose_secret() to your backend, which exchanges it (see examples/yew).
    drop(token);
}
}

fn main() {
    yew::Renderer::<quickstart::LinkButton>::new().render();
}
