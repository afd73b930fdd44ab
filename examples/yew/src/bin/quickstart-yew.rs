//! The README's quick start for Yew, compiled with the examples so it cannot rot.
#[rustfmt::skip]
mod quickstart {
// README:begin
use flexpa_link::LinkConfig;
use flexpa_link_yew::use_flexpa_link;
use yew::prelude::*;

#[component]
pub fn LinkButton() -> Html {
    // Loads the script once, closes Link and frees its callbacks on unmount.
    let link = use_flexpa_link(LinkConfig::new("pk_test_...").ok().map(|c| c.on_success(send_to_backend)));
    let onclick = { let link = link.clone(); move |_| { let _ = link.open(); } };
    html! { <button {onclick} disabled={!link.ready()}>{ "Link your health data" }</button> }
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
