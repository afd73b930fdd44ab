//! Server-side rendering (native, yew's `ssr`): the hook renders "not ready" without a window.
#![cfg(not(target_arch = "wasm32"))]

use flexpa_link::{LinkConfig, ScriptLoader};
use flexpa_link_yew::{use_flexpa_link, use_flexpa_link_with, FlexpaLinkButton};
use yew::prelude::*;
use yew::ServerRenderer;

#[component]
fn HookApp() -> Html {
    let link = use_flexpa_link(Some(
        LinkConfig::new("pk_test_4YhpxYOsBMHp1FWhX2v0Amj7")
            .unwrap()
            .on_success(|_| unreachable!("no Link on the server")),
    ));
    let status = if link.ready() { "ready" } else { "not ready" };
    html! {
        <>
            <button id="link-button" disabled={!link.ready()}>{ "Link your health data" }</button>
            <span id="status">{ status }</span>
            <span id="open">{ link.is_open().to_string() }</span>
            <span id="error">{ link.error().map(|e| e.to_string()) }</span>
        </>
    }
}

#[component]
fn NoConfigApp() -> Html {
    let link = use_flexpa_link_with(ScriptLoader::new().src("/sandbox/link.js"), None);
    html! { <span id="status">{ if link.ready() { "ready" } else { "not ready" } }</span> }
}

#[component]
fn ButtonApp() -> Html {
    html! {
        <FlexpaLinkButton publishable_key="pk_test_4YhpxYOsBMHp1FWhX2v0Amj7"
            on_success={Callback::from(|_| unreachable!("no Link on the server"))} />
    }
}

fn render<C: BaseComponent>() -> String
where
    C::Properties: Default,
{
    futures::executor::block_on(ServerRenderer::<C>::new().hydratable(false).render())
}

#[test]
fn the_hook_renders_not_ready_on_the_server() {
    let html = render::<HookApp>();
    assert_eq!(
        html,
        r#"<button id="link-button" disabled="disabled">Link your health data</button><span id="status">not ready</span><span id="open">false</span><span id="error"></span>"#
    );
}

#[test]
fn the_hook_without_a_config_renders_not_ready() {
    assert_eq!(
        render::<NoConfigApp>(),
        r#"<span id="status">not ready</span>"#
    );
}

#[test]
fn the_button_renders_disabled_and_busy_on_the_server() {
    let html = render::<ButtonApp>();
    assert!(html.starts_with("<button"), "{html}");
    for part in [
        " disabled",
        r#"aria-busy="true""#,
        r#"data-link-status="loading""#,
        ">Link your health data</button>",
    ] {
        assert!(html.contains(part), "{part} in {html}");
    }
}

#[test]
fn a_hydratable_render_has_the_same_disabled_button() {
    let html = futures::executor::block_on(ServerRenderer::<ButtonApp>::new().render());
    assert!(html.contains(" disabled"), "{html}");
    assert!(html.contains("Link your health data"), "{html}");
}
