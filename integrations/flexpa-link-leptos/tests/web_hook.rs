//! `use_flexpa_link` and `FlexpaLinkButton` mounted as real Leptos components in headless
//! Chromium, against the core crate's stand-in of the published script.
#![cfg(target_arch = "wasm32")]

#[path = "../../../tests/support/mod.rs"]
mod support;

use std::any::Any;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use flexpa_link::{Error, LinkConfig, ScriptLoader};
use flexpa_link_leptos::{
    use_flexpa_link_with_options, ConfigSource, FlexpaLinkButton, UseFlexpaLinkOptions,
    UseFlexpaLinkReturn,
};
use leptos::prelude::*;
use support::{
    blob_url, config, fresh, from_link, iframes, message_listeners, scripts_with_src, sleep_ms,
    Log, KEY, STANDIN, TOKEN,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function count_creates() {
  const global = window.FlexpaLink;
  const create = global.create;
  window.__creates = 0;
  global.create = function (config) { window.__creates += 1; return create.call(this, config); };
}
export function creates() { return window.__creates; }
export function allow_link(allowed) { window.__allowLink = allowed; }
"#)]
extern "C" {
    /// Counts `FlexpaLink.create` calls from now on.
    fn count_creates();
    fn creates() -> u32;
    fn allow_link(allowed: bool);
}

/// A component mounted into its own `<div>`: its hook's handle, what its button handed out,
/// and the mount itself (dropping it unmounts the component).
struct Mounted {
    div: web_sys::HtmlElement,
    link: UseFlexpaLinkReturn,
    button_tokens: Arc<Mutex<Vec<String>>>,
    mount: Option<Box<dyn Any>>,
}

impl Mounted {
    fn button(&self) -> web_sys::HtmlButtonElement {
        self.div
            .query_selector("button")
            .unwrap()
            .expect("the component renders a button")
            .unchecked_into()
    }

    fn unmount(&mut self) {
        self.mount.take();
        self.div.remove();
    }
}

/// Mounts a component that calls the hook with `config` (the script from `src`) and renders a
/// `FlexpaLinkButton` for it.
fn mount(src: &str, config: impl Into<ConfigSource> + 'static) -> Mounted {
    let document = web_sys::window().unwrap().document().unwrap();
    let div: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&div).unwrap();
    let handle = Rc::new(Cell::new(None));
    let button_tokens = Arc::new(Mutex::new(Vec::new()));
    let options = UseFlexpaLinkOptions::default().loader(ScriptLoader::new().src(src));
    let mount = leptos::mount::mount_to(div.clone(), {
        let (handle, tokens) = (handle.clone(), button_tokens.clone());
        move || {
            let link = use_flexpa_link_with_options(config, options);
            handle.set(Some(link));
            let on_success = move |token: flexpa_link::PublicToken| {
                tokens
                    .lock()
                    .unwrap()
                    .push(token.expose_secret().to_owned())
            };
            view! { <FlexpaLinkButton link on_success>"Connect"</FlexpaLinkButton> }
        }
    });
    Mounted {
        div,
        link: handle.take().unwrap(),
        button_tokens,
        mount: Some(Box::new(mount)),
    }
}

/// Waits (up to 3 s) until `done()`.
async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        sleep_ms(10).await;
    }
    panic!("timed out waiting until {what}");
}

async fn ready(m: &Mounted) {
    until("ready", || m.link.ready.get_untracked()).await;
    until("the button is enabled", || !m.button().disabled()).await;
}

#[wasm_bindgen_test]
async fn the_button_is_disabled_and_busy_until_link_is_ready() {
    fresh();
    let src = blob_url(STANDIN);
    let m = mount(&src, LinkConfig::new(KEY).unwrap());
    let button = m.button();
    assert!(button.disabled(), "not ready on the first render");
    assert_eq!(button.get_attribute("aria-busy").as_deref(), Some("true"));
    assert_eq!(
        button.text_content().unwrap(),
        "Connect",
        "the children are the label"
    );
    ready(&m).await;
    assert_eq!(button.get_attribute("aria-busy").as_deref(), Some("false"));
    assert_eq!(m.link.error.get_untracked(), None);
    assert_eq!(scripts_with_src(&src), 1);
}

#[wasm_bindgen_test]
async fn a_click_opens_link_and_the_token_reaches_the_latest_callback_once() {
    fresh();
    let src = blob_url(STANDIN);
    let log = Log::default();
    // The config's closures change with `generation`: a new config each time, same data.
    let generation = RwSignal::new(1);
    let config = {
        let log = log.clone();
        move || {
            let (log, generation) = (log.clone(), generation.get());
            Some(LinkConfig::new(KEY).unwrap().on_success(move |token| {
                let token = token.expose_secret().to_owned();
                log.borrow_mut()
                    .tokens
                    .push(format!("{generation}:{token}"));
            }))
        }
    };
    let m = mount(&src, config);
    ready(&m).await;
    count_creates();
    generation.set(2);
    generation.set(3);
    sleep_ms(50).await; // the effect re-runs with the new closures
    assert_eq!(creates(), 0, "new closures do not re-create the session");

    let waiting = m.link.public_token();
    m.button().click();
    until("open", || m.link.is_open.get_untracked()).await;
    assert_eq!(iframes(), 1);
    until("the button is disabled while open", || {
        m.button().disabled()
    })
    .await;

    from_link("SUCCESS", TOKEN);
    from_link("SUCCESS", TOKEN); // a second message for the same opening
    until("closed", || !m.link.is_open.get_untracked()).await;
    assert_eq!(
        log.borrow().tokens,
        [format!("3:{TOKEN}")],
        "the latest closure, once"
    );
    assert_eq!(waiting.await.unwrap().expose_secret(), TOKEN);
    let signal = m
        .link
        .token
        .get_untracked()
        .map(|t| t.expose_secret().to_owned());
    assert_eq!(signal.as_deref(), Some(TOKEN));
    until("the button's callback", || {
        !m.button_tokens.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(*m.button_tokens.lock().unwrap(), [TOKEN]);
    assert_eq!(iframes(), 0);
}

#[wasm_bindgen_test]
async fn unmounting_while_open_removes_the_iframe_and_the_message_listener() {
    fresh();
    let src = blob_url(STANDIN);
    let log = Log::default();
    let listeners = message_listeners();
    let mut m = mount(&src, config(&log));
    ready(&m).await;
    let waiting = m.link.public_token();
    m.button().click();
    until("open", || iframes() == 1).await;
    assert!(message_listeners() > listeners);

    m.unmount();
    assert_eq!(iframes(), 0, "no iframe left");
    assert_eq!(message_listeners(), listeners, "no message listener left");
    assert!(waiting.await.is_err(), "the waiting future ends");
    from_link("SUCCESS", TOKEN);
    assert!(log.borrow().tokens.is_empty(), "no callback after unmount");
}

#[wasm_bindgen_test]
async fn two_components_load_one_script_and_each_button_opens_its_own_session() {
    fresh();
    let src = blob_url(STANDIN);
    let (first_log, second_log) = (Log::default(), Log::default());
    let first = mount(&src, config(&first_log));
    let second = mount(&src, config(&second_log));
    ready(&first).await;
    ready(&second).await;
    assert_eq!(scripts_with_src(&src), 1, "one script tag");

    // The second created the global's session last; the first button still works.
    first.button().click();
    until("the first open", || first.link.is_open.get_untracked()).await;
    from_link("SUCCESS", TOKEN);
    assert_eq!(first_log.borrow().tokens, [TOKEN]);
    assert!(second_log.borrow().tokens.is_empty());

    until("the first closed", || !first.link.is_open.get_untracked()).await;
    second.button().click();
    until("the second open", || second.link.is_open.get_untracked()).await;
    assert_eq!(iframes(), 1);
    from_link("SUCCESS", "public_token_second");
    assert_eq!(second_log.borrow().tokens, ["public_token_second"]);
    assert_eq!(
        first_log.borrow().tokens.len(),
        1,
        "not the first's callback"
    );
}

#[wasm_bindgen_test]
async fn a_double_mount_leaves_exactly_one_working_session() {
    fresh();
    let src = blob_url(STANDIN);
    let (gone_log, log) = (Log::default(), Log::default());
    let listeners = message_listeners();
    // Mounted and unmounted before the script loaded, then mounted again (as a double
    // render or a quick navigation does).
    let mut gone = mount(&src, config(&gone_log));
    gone.unmount();
    let m = mount(&src, config(&log));
    ready(&m).await;
    assert_eq!(scripts_with_src(&src), 1);
    m.button().click();
    until("open", || iframes() == 1).await;
    assert_eq!(message_listeners(), listeners + 1, "one opening listens");
    from_link("SUCCESS", TOKEN);
    assert_eq!(log.borrow().tokens, [TOKEN]);
    assert!(gone_log.borrow().tokens.is_empty());

    // Unmounted once ready, then mounted again: ready again, and it works.
    drop(m);
    let again_log = Log::default();
    let again = mount(&src, config(&again_log));
    ready(&again).await;
    again.button().click();
    until("open again", || iframes() == 1).await;
    from_link("SUCCESS", TOKEN);
    assert_eq!(again_log.borrow().tokens, [TOKEN]);
    assert_eq!(log.borrow().tokens.len(), 1);
}

#[wasm_bindgen_test]
async fn a_config_change_that_matters_re_creates_the_session() {
    fresh();
    let src = blob_url(STANDIN);
    let user = RwSignal::new("user-1".to_owned());
    let config = move || {
        Some(
            LinkConfig::new(KEY)
                .unwrap()
                .user_external_id(user.get())
                .on_success(|_| {}),
        )
    };
    let m = mount(&src, config);
    ready(&m).await;
    count_creates();
    user.set("user-2".to_owned());
    // Re-creating calls `FlexpaLink.create` (the old session is detached first, which may
    // call it once more with no-op callbacks).
    until("re-created", || creates() > 0).await;
    until("ready again", || m.link.ready.get_untracked()).await;
    let created = creates();
    m.button().click();
    until("open", || iframes() == 1).await;
    assert!(
        support::iframe_src().contains("user-2"),
        "Link opens for the new user: {}",
        support::iframe_src()
    );
    assert_eq!(creates(), created, "opening did not re-create it again");
}

#[wasm_bindgen_test]
async fn a_config_that_arrives_later_makes_it_ready() {
    fresh();
    let src = blob_url(STANDIN);
    let key = RwSignal::new(None::<String>);
    let m = mount(&src, move || {
        key.get().and_then(|k| LinkConfig::new(k).ok())
    });
    sleep_ms(100).await;
    assert!(!m.link.ready.get_untracked(), "no config, not ready");
    assert!(m.button().disabled());
    assert!(
        m.link.open().is_err(),
        "open says why instead of doing nothing"
    );
    key.set(Some(KEY.to_owned()));
    ready(&m).await;
}

#[wasm_bindgen_test]
async fn a_load_failure_shows_in_error_and_retry_loads_again() {
    fresh();
    allow_link(false);
    // A script that defines the global only once allowed: the first load fails.
    let src = blob_url(&format!("if (window.__allowLink) {{ {STANDIN} }}"));
    let log = Log::default();
    let m = mount(&src, config(&log));
    until("failed", || m.link.error.get_untracked().is_some()).await;
    assert!(
        matches!(
            m.link.error.get_untracked(),
            Some(Error::MissingGlobal { .. })
        ),
        "{:?}",
        m.link.error.get_untracked()
    );
    assert!(m.button().disabled());

    allow_link(true);
    m.link.retry();
    ready(&m).await;
    assert_eq!(m.link.error.get_untracked(), None);
    assert_eq!(scripts_with_src(&src), 1);
    m.button().click();
    until("open", || iframes() == 1).await;
    from_link("SUCCESS", TOKEN);
    assert_eq!(log.borrow().tokens, [TOKEN]);
}

#[wasm_bindgen_test]
async fn exit_closes_link_and_on_exit_runs() {
    fresh();
    let src = blob_url(STANDIN);
    let log = Log::default();
    let m = mount(&src, config(&log));
    ready(&m).await;
    let waiting = m.link.public_token();
    m.link.open().unwrap();
    until("open", || iframes() == 1).await;
    m.link.exit().unwrap();
    assert_eq!(iframes(), 0);
    assert_eq!(log.borrow().exits.len(), 1);
    assert!(matches!(waiting.await, Err(Error::Exited { .. })));
    until("ready", || {
        m.link.ready.get_untracked() && !m.link.is_open.get_untracked()
    })
    .await;
    assert!(m.link.token.get_untracked().is_none());
}

#[wasm_bindgen_test]
async fn a_click_that_cannot_open_reaches_on_error() {
    fresh();
    // A global already in the page (so nothing is loaded) whose open() throws.
    support::plant_fake_global("open-throws-error");
    let document = web_sys::window().unwrap().document().unwrap();
    let div: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&div).unwrap();
    let errors = Arc::new(Mutex::new(Vec::new()));
    let handle = Rc::new(Cell::new(None));
    let _mount = leptos::mount::mount_to(div.clone(), {
        let (errors, handle) = (errors.clone(), handle.clone());
        move || {
            let link = flexpa_link_leptos::use_flexpa_link(LinkConfig::new(KEY).unwrap());
            handle.set(Some(link));
            let on_error = move |e: Error| errors.lock().unwrap().push(e);
            view! { <FlexpaLinkButton link on_error /> }
        }
    });
    let link: UseFlexpaLinkReturn = handle.take().unwrap();
    until("ready", || link.ready.get_untracked()).await;
    let button: web_sys::HtmlButtonElement = div
        .query_selector("button")
        .unwrap()
        .unwrap()
        .unchecked_into();
    until("enabled", || !button.disabled()).await;
    assert_eq!(button.text_content().unwrap(), "Link your health data");
    button.click();
    let seen = errors.lock().unwrap().clone();
    assert!(
        matches!(seen.as_slice(), [Error::Thrown { method: "open", .. }]),
        "{seen:?}"
    );
    assert!(!link.is_open.get_untracked());
}

#[wasm_bindgen_test]
async fn open_with_endpoint_opens_link_on_that_health_plan() {
    fresh();
    let src = blob_url(STANDIN);
    let log = Log::default();
    let m = mount(&src, config(&log));
    ready(&m).await;
    m.link.open_with_endpoint("evergreen-health").unwrap();
    until("open", || iframes() == 1).await;
    assert!(
        support::iframe_src().contains("endpoint=evergreen-health"),
        "{}",
        support::iframe_src()
    );
    from_link("CLOSED", JsValue::UNDEFINED);
    until("closed", || !m.link.is_open.get_untracked()).await;
    assert_eq!(log.borrow().exits.len(), 1);
}
