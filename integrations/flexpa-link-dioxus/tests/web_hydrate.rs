//! Server-side rendering then hydration, as a Dioxus fullstack app serves and starts a page
//! (tests/fullstack/mod.rs): the server's HTML shows the button disabled and busy, and
//! dioxus-web hydrates that same `<button>` into a working one, against the stand-in script
//! (the core crate's browser test support). Every test asserts what a user sees: the button
//! node and its state, the script tags, the iframe, and the token reaching `on_success`.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use dioxus::prelude::*;
use flexpa_link::{LinkConfig, PublicToken, ScriptLoader};
use flexpa_link_dioxus::{use_flexpa_link_with, FlexpaLinkButton};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

#[path = "../../../tests/support/mod.rs"]
mod support;
use support::*;

mod fullstack;

wasm_bindgen_test_configure!(run_in_browser);

/// What the test shares with one side's app (the server's or the client's): the script to
/// load, the tokens its `on_success` got, and its "config arrived" signal.
#[derive(Clone)]
struct Harness {
    src: String,
    tokens: Rc<RefCell<Vec<String>>>,
    configured: Rc<Cell<Option<Signal<bool>>>>,
}

impl Harness {
    fn new(src: &str) -> Harness {
        Harness {
            src: src.to_owned(),
            tokens: Rc::default(),
            configured: Rc::default(),
        }
    }

    /// The app: `Connect`, starting with or without a config, with this harness in context.
    fn app(&self, configured: bool) -> VirtualDom {
        VirtualDom::new_with_props(Connect, ConnectProps { configured })
            .with_root_context(self.clone())
    }

    /// Gives the app its config, as the app does when, say, its key arrives from the backend.
    fn configure(&self) {
        let mut configured = self.configured.get().expect("app rendered");
        configured.set(true);
    }

    fn tokens(&self) -> Vec<String> {
        self.tokens.borrow().clone()
    }
}

/// A component as an app writes it: the hook with this render's config (none until it has
/// one), and the button. The same code runs on the server and in the browser.
#[component]
fn Connect(configured: bool) -> Element {
    let harness = use_context::<Harness>();
    let configured = use_signal(|| configured);
    harness.configured.set(Some(configured));
    let tokens = harness.tokens.clone();
    let config = configured().then(|| {
        LinkConfig::new(KEY)
            .unwrap()
            .on_success(move |token: PublicToken| {
                tokens.borrow_mut().push(token.expose_secret().to_owned());
            })
    });
    let src = harness.src.clone();
    let link = use_flexpa_link_with(move || ScriptLoader::new().src(src), config);
    rsx! {
        FlexpaLinkButton { link, id: "link-button", "Link your health data" }
    }
}

/// The page's buttons (one, unless the client re-created it next to the server's).
fn buttons(main: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    let found = main.query_selector_all("button").unwrap();
    (0..found.length())
        .map(|i| found.item(i).unwrap().dyn_into().unwrap())
        .collect()
}

/// What the user sees of `button`: its `data-state`, and whether it is disabled and busy.
fn seen(button: &web_sys::HtmlElement) -> (String, bool, Option<String>) {
    (
        button.get_attribute("data-state").unwrap_or_default(),
        button.has_attribute("disabled"),
        button.get_attribute("aria-busy"),
    )
}

fn not_ready() -> (String, bool, Option<String>) {
    ("loading".into(), true, Some("true".into()))
}

fn ready() -> (String, bool, Option<String>) {
    ("ready".into(), false, Some("false".into()))
}

/// The server's page is in `main`, and the user sees its button, disabled and busy, with the
/// label: returns that `<button>` node.
fn server_button(main: &web_sys::Element, html: &str) -> web_sys::HtmlElement {
    let found = buttons(main);
    assert_eq!(found.len(), 1, "{html}");
    let button = found[0].clone();
    assert_eq!(seen(&button), not_ready(), "{html}");
    assert_eq!(button.id(), "link-button");
    assert_eq!(
        button.text_content().as_deref(),
        Some("Link your health data")
    );
    button
}

/// `button`, the server's node, is still the page's only button: hydration adopted it.
fn assert_adopted(main: &web_sys::Element, button: &web_sys::HtmlElement) {
    let found = buttons(main);
    assert_eq!(found.len(), 1, "one button: {}", main.inner_html());
    assert!(
        found[0].is_same_node(Some(button)) && button.is_connected(),
        "the server's <button> is the page's button: {}",
        main.inner_html()
    );
}

/// Waits (up to 3 s) until `done`, then fails saying `what`.
async fn until(what: &str, main: &web_sys::Element, done: impl Fn() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        sleep_ms(10).await;
    }
    panic!(
        "timed out waiting until {what} (page: {}, iframes: {})",
        main.inner_html(),
        iframes()
    );
}

#[wasm_bindgen_test]
async fn server_rendered_html_hydrates_into_a_working_button() {
    fresh();
    let src = blob_url(STANDIN);
    let html = fullstack::server_html(Harness::new(&src).app(true));
    assert_eq!(
        scripts_with_src(&src),
        0,
        "rendering on the server loads nothing"
    );
    let main = fullstack::serve(&html);
    let button = server_button(&main, &html);
    // Nothing the server's (dropped) app queued loads the script later either.
    sleep_ms(100).await;
    assert_eq!(scripts_with_src(&src), 0, "no load before the app starts");

    let client = Harness::new(&src);
    let stop = fullstack::hydrate(client.app(true), &main);
    until("the button is ready", &main, || seen(&button) == ready()).await;
    assert_adopted(&main, &button);
    assert_eq!(scripts_with_src(&src), 1, "one script tag");

    button.click();
    until("Link is open", &main, || {
        iframes() == 1 && button.get_attribute("data-state").as_deref() == Some("open")
    })
    .await;
    from_link("SUCCESS", TOKEN);
    until("Link is closed and ready again", &main, || {
        iframes() == 0 && seen(&button) == ready()
    })
    .await;
    sleep_ms(50).await;
    assert_eq!(client.tokens(), [TOKEN], "on_success got the token once");
    assert_adopted(&main, &button);

    stop.abort();
    main.remove();
}

#[wasm_bindgen_test]
async fn hydrated_without_a_config_stays_disabled_until_the_config_arrives() {
    fresh();
    let src = blob_url(STANDIN);
    let html = fullstack::server_html(Harness::new(&src).app(false));
    let main = fullstack::serve(&html);
    let button = server_button(&main, &html);

    let client = Harness::new(&src);
    let stop = fullstack::hydrate(client.app(false), &main);
    // Hydrated (the app rendered and registered its signal), then given time to go wrong.
    until("the app runs", &main, || client.configured.get().is_some()).await;
    sleep_ms(200).await;
    assert_eq!(
        seen(&button),
        not_ready(),
        "disabled and busy without a config"
    );
    assert_eq!(scripts_with_src(&src), 0, "no load without a config");

    client.configure();
    until("the button is ready", &main, || seen(&button) == ready()).await;
    assert_adopted(&main, &button);
    assert_eq!(scripts_with_src(&src), 1);
    button.click();
    until("Link is open", &main, || iframes() == 1).await;

    // Stopping the app unmounts the component, which closes Link.
    stop.abort();
    until("Link is closed", &main, || iframes() == 0).await;
    main.remove();
}
