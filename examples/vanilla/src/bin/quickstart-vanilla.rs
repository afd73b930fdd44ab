//! The README's quick start for plain wasm-bindgen, compiled with the examples so it cannot rot.
#[rustfmt::skip]
mod quickstart {
// README:begin
use flexpa_link::{FlexpaLink, LinkConfig};
use gloo_events::EventListener;

pub fn main() {
    wasm_bindgen_futures::spawn_local(async {
        let link = FlexpaLink::load().await.expect("the Flexpa Link script");
        let config = LinkConfig::new("pk_test_...").unwrap().on_success(send_to_backend);
        let session = link.create(config).unwrap();
        let button = web_sys::window().unwrap().document().unwrap().get_element_by_id("link-button").unwrap();
        EventListener::new(&button, "click", move |_| { let _ = session.open(); }).forget(); // lives with the page
    });
}
// README:end

fn send_to_backend(token: flexpa_link::PublicToken) {
    // POST token.expose_secret() to your backend, which exchanges it (see examples/vanilla).
    drop(token);
}
}

fn main() {
    quickstart::main();
}
