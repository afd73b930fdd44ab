//! Server-side rendering: the hook and the button render "not ready" (a disabled, busy button)
//! without touching `window`, with a config or without one yet.
#![cfg(not(target_arch = "wasm32"))]

use dioxus::prelude::*;
use flexpa_link::LinkConfig;
use flexpa_link_dioxus::{use_flexpa_link, FlexpaLinkButton};

#[component]
fn Connect(configured: bool) -> Element {
    let config = configured.then(|| {
        LinkConfig::new("pk_test_4YhpxYOsBMHp1FWhX2v0Amj7")
            .unwrap()
            .on_success(|_| {})
    });
    let link = use_flexpa_link(config);
    rsx! {
        FlexpaLinkButton { link, id: "link-button", "Link your health data" }
        p { id: "ready", "{link.ready()}" }
        if let Some(error) = link.error() { p { id: "error", "{error}" } }
    }
}

/// Renders `Connect` on the server, as a server renders a page: build once, to a string.
fn render(configured: bool) -> String {
    let mut vdom = VirtualDom::new_with_props(Connect, ConnectProps { configured });
    vdom.rebuild_in_place();
    dioxus::ssr::render(&vdom)
}

fn assert_not_ready(html: &str) {
    assert!(html.contains(r#"id="link-button""#), "{html}");
    // dioxus-ssr writes boolean attributes unquoted.
    assert!(
        html.contains("disabled=true"),
        "the button is disabled: {html}"
    );
    assert!(html.contains("aria-busy=true"), "{html}");
    assert!(html.contains(r#"data-state="loading""#), "{html}");
    assert!(html.contains("Link your health data"), "{html}");
    assert!(html.contains(r#"<p id="ready">false</p>"#), "{html}");
    assert!(
        !html.contains(r#"id="error""#),
        "no error on the server: {html}"
    );
}

#[test]
fn renders_a_disabled_button_with_a_config() {
    assert_not_ready(&render(true));
}

#[test]
fn renders_a_disabled_button_without_a_config() {
    assert_not_ready(&render(false));
}
