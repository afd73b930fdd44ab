//! The hook and the button mounted as real Yew components in headless Chromium, against the
//! stand-in script (`sandbox/flexpa-link.js`, which behaves as the published one does).
#![cfg(target_arch = "wasm32")]

#[path = "../../../tests/support/mod.rs"]
mod support;

use std::rc::Rc;

use flexpa_link::{Error, LinkConfig, PublicToken, ScriptLoader};
use flexpa_link_yew::{use_flexpa_link_with, FlexpaLinkButton, FlexpaLinkButtonProps};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;
use yew::AppHandle;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function count_creates() {
  const link = window.FlexpaLink;
  if (link.__counted) return;
  const create = link.create;
  link.__counted = true;
  link.__creates = 0;
  link.create = function (config) { link.__creates += 1; return create.call(this, config); };
}
export function creates() { return window.FlexpaLink.__creates; }
export function created_user() {
  const user = window.FlexpaLink.user;
  return user ? user.externalId : undefined;
}
"#)]
extern "C" {
    /// Counts `FlexpaLink.create` calls from now on (the global must exist). Replacing a
    /// session calls it twice: once to detach the old callbacks, once for the new session.
    fn count_creates();
    fn creates() -> u32;
    /// The `user.externalId` Link was created with last.
    fn created_user() -> Option<String>;
}

// ---- A probe component: the hook, its state as text, and an open button -------------------

/// The test's log, compared by identity (props must be PartialEq).
#[derive(Clone, Default)]
struct Shared(Log);

impl PartialEq for Shared {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq, Clone)]
struct ProbeProps {
    src: AttrValue,
    key: Option<AttrValue>,
    #[prop_or_default]
    user: Option<AttrValue>,
    /// Written into each token the on_success closure records: which render's closure ran.
    #[prop_or_default]
    render: u32,
    log: Shared,
}

#[component]
fn Probe(props: &ProbeProps) -> Html {
    let config = props.key.as_deref().map(|key| {
        let (log, render) = (props.log.0.clone(), props.render);
        let config = LinkConfig::new(key)
            .unwrap()
            .on_success(move |t: PublicToken| {
                log.borrow_mut()
                    .tokens
                    .push(format!("render {render}: {}", t.expose_secret()))
            });
        match &props.user {
            Some(user) => config.user_external_id(user.to_string()),
            None => config,
        }
    });
    let link = use_flexpa_link_with(ScriptLoader::new().src(props.src.to_string()), config);
    let status = match link.error() {
        Some(error) => format!("error {}", error.code()),
        None if link.is_open() => "open".into(),
        None if link.ready() => "ready".into(),
        None => "loading".into(),
    };
    let open = {
        let link = link.clone();
        move |_| link.open().unwrap()
    };
    let retry = {
        let link = link.clone();
        move |_| link.retry()
    };
    html! {
        <>
            <button class="open" onclick={open} disabled={!link.ready()}>{ "open" }</button>
            <button class="retry" onclick={retry}>{ "retry" }</button>
            <span class="status">{ status }</span>
            <span class="token">{ link.token().map(|t| t.expose_secret().to_owned()) }</span>
        </>
    }
}

fn probe(src: &str, log: &Shared) -> ProbeProps {
    ProbeProps {
        src: src.to_owned().into(),
        key: Some(KEY.into()),
        user: None,
        render: 0,
        log: log.clone(),
    }
}

// ---- Helpers --------------------------------------------------------------------------------

/// A new `<div>` in the page to mount into.
fn root() -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div
}

fn mount<C: BaseComponent>(props: C::Properties) -> (AppHandle<C>, Element) {
    let root = root();
    let app = yew::Renderer::<C>::with_root_and_props(root.clone(), props).render();
    (app, root)
}

fn find(root: &Element, selector: &str) -> HtmlElement {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector} in {}", root.inner_html()))
        .unchecked_into()
}

fn text(root: &Element, selector: &str) -> String {
    find(root, selector).text_content().unwrap_or_default()
}

/// Lets yew render and the page run, until `done` holds (2 s at most).
async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..200 {
        yew::scheduler::flush().await;
        if done() {
            return;
        }
        sleep_ms(10).await;
    }
    panic!("timed out waiting for: {what}");
}

async fn status_is(root: &Element, status: &str) {
    until(&format!("status {status}"), || {
        text(root, ".status") == status
    })
    .await;
    assert_eq!(text(root, ".status"), status);
}

/// A fresh page with the stand-in already loaded from `src`, and `create` calls counted.
async fn loaded() -> String {
    fresh();
    let (_link, src) = load_standin().await;
    count_creates();
    src
}

// ---- The tests ------------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn mount_shows_loading_then_ready_with_one_session() {
    fresh();
    let src = blob_url(STANDIN);
    let log = Shared::default();
    let (app, root) = mount::<Probe>(probe(&src, &log));
    yew::scheduler::flush().await;
    assert_eq!(text(&root, ".status"), "loading");
    assert!(find(&root, ".open").has_attribute("disabled"));
    status_is(&root, "ready").await;
    assert!(!find(&root, ".open").has_attribute("disabled"));
    assert_eq!(scripts_with_src(&src), 1);
    app.destroy();
}

#[wasm_bindgen_test]
async fn no_config_yet_means_not_ready_and_nothing_created() {
    let src = loaded().await;
    let log = Shared::default();
    let (mut app, root) = mount::<Probe>(ProbeProps {
        key: None,
        ..probe(&src, &log)
    });
    sleep_ms(50).await;
    yew::scheduler::flush().await;
    assert_eq!(text(&root, ".status"), "loading");
    assert_eq!(creates(), 0);
    app.update(probe(&src, &log)); // the key arrives
    status_is(&root, "ready").await;
    assert_eq!(creates(), 1);
    app.destroy();
}

#[wasm_bindgen_test]
async fn a_click_on_the_button_opens_link_and_the_token_reaches_on_success_once() {
    let src = loaded().await;
    let tokens = Shared::default();
    let on_success = {
        let tokens = tokens.0.clone();
        Callback::from(move |t: PublicToken| {
            tokens
                .borrow_mut()
                .tokens
                .push(t.expose_secret().to_owned())
        })
    };
    let (app, root) = mount::<FlexpaLinkButton>(yew::props!(FlexpaLinkButtonProps {
        publishable_key: Some(AttrValue::from(KEY)),
        loader: ScriptLoader::new().src(src.clone()),
        on_success,
    }));
    yew::scheduler::flush().await;
    let button = || find(&root, "button");
    until("the button is ready", || {
        button().get_attribute("data-link-status").as_deref() == Some("ready")
    })
    .await;
    assert!(!button().has_attribute("disabled"));
    assert_eq!(button().text_content().unwrap(), "Link your health data");

    button().click();
    assert_eq!(iframes(), 1, "a click opens Link");
    until("the button shows Link open", || {
        button().has_attribute("disabled")
    })
    .await;
    from_link("SUCCESS", TOKEN);
    assert_eq!(tokens.0.borrow().tokens, [TOKEN]);
    assert_eq!(iframes(), 0);
    until("the button is ready again", || {
        !button().has_attribute("disabled")
    })
    .await;

    button().click(); // a second opening: its own token, once
    from_link("SUCCESS", "public_token_second");
    yew::scheduler::flush().await;
    assert_eq!(tokens.0.borrow().tokens, [TOKEN, "public_token_second"]);
    app.destroy();
}

#[wasm_bindgen_test]
async fn the_button_is_disabled_and_busy_until_ready_and_shows_its_children() {
    fresh();
    let src = blob_url(STANDIN);
    let (app, root) = mount::<FlexpaLinkButton>(yew::props!(FlexpaLinkButtonProps {
        publishable_key: Some(AttrValue::from(KEY)),
        loader: ScriptLoader::new().src(src),
        on_success: Callback::noop(),
        loading: html! { "Loading…" },
        children: html! { "Connect your plan" },
    }));
    yew::scheduler::flush().await;
    let button = find(&root, "button");
    assert!(button.has_attribute("disabled"));
    assert_eq!(button.get_attribute("aria-busy").as_deref(), Some("true"));
    assert_eq!(button.text_content().unwrap(), "Loading…");
    until("ready", || !find(&root, "button").has_attribute("disabled")).await;
    let button = find(&root, "button");
    assert_eq!(button.get_attribute("aria-busy"), None);
    assert_eq!(button.text_content().unwrap(), "Connect your plan");
    app.destroy();
}

#[wasm_bindgen_test]
async fn the_token_reaches_the_closure_of_the_latest_render_once_and_without_re_creating() {
    let src = loaded().await;
    let log = Shared::default();
    let (mut app, root) = mount::<Probe>(probe(&src, &log));
    status_is(&root, "ready").await;
    assert_eq!(creates(), 1);
    for render in 1..=3 {
        // New closures each time, same data.
        app.update(ProbeProps {
            render,
            ..probe(&src, &log)
        });
        yew::scheduler::flush().await;
    }
    assert_eq!(
        creates(),
        1,
        "new closures alone do not re-create the session"
    );
    find(&root, ".open").click();
    status_is(&root, "open").await;
    from_link("SUCCESS", TOKEN);
    status_is(&root, "ready").await;
    assert_eq!(log.0.borrow().tokens, [format!("render 3: {TOKEN}")]);
    assert_eq!(
        text(&root, ".token"),
        TOKEN,
        "the token as a reactive value"
    );
    app.destroy();
}

#[wasm_bindgen_test]
async fn a_config_change_that_matters_re_creates_the_session() {
    let src = loaded().await;
    let log = Shared::default();
    let (mut app, root) = mount::<Probe>(probe(&src, &log));
    status_is(&root, "ready").await;
    assert_eq!((creates(), created_user()), (1, None));
    app.update(ProbeProps {
        user: Some("user-2".into()),
        ..probe(&src, &log)
    });
    until("re-created for the new user", || {
        created_user().as_deref() == Some("user-2")
    })
    .await;
    status_is(&root, "ready").await;
    let recreated = creates();
    assert!(recreated > 1);
    app.update(ProbeProps {
        user: Some("user-2".into()),
        render: 9,
        ..probe(&src, &log)
    });
    sleep_ms(30).await;
    yew::scheduler::flush().await;
    assert_eq!(creates(), recreated, "the same data again: no new session");
    find(&root, ".open").click();
    assert_eq!(iframes(), 1);
    from_link("SUCCESS", TOKEN);
    assert_eq!(log.0.borrow().tokens, [format!("render 9: {TOKEN}")]);
    app.destroy();
}

#[wasm_bindgen_test]
async fn unmount_closes_an_open_link_and_frees_its_listener() {
    let src = loaded().await;
    let log = Shared::default();
    let listeners = message_listeners();
    let (app, root) = mount::<Probe>(probe(&src, &log));
    status_is(&root, "ready").await;
    find(&root, ".open").click();
    assert_eq!(iframes(), 1);
    app.destroy();
    yew::scheduler::flush().await;
    assert_eq!(iframes(), 0, "no iframe left after unmount");
    assert_eq!(message_listeners(), listeners, "no message listener left");
    from_link("SUCCESS", TOKEN); // a late message reaches nothing
    assert!(log.0.borrow().tokens.is_empty());
    assert_eq!(uncaught_errors(), 0, "{}", last_uncaught_error());
}

#[wasm_bindgen_test]
async fn two_components_share_one_script_tag_and_each_button_works() {
    fresh();
    let src = blob_url(STANDIN);
    let (first_log, second_log) = (Shared::default(), Shared::default());
    let (first, a) = mount::<Probe>(probe(&src, &first_log));
    let (second, b) = mount::<Probe>(ProbeProps {
        render: 2,
        ..probe(&src, &second_log)
    });
    status_is(&a, "ready").await;
    status_is(&b, "ready").await;
    assert_eq!(
        scripts_with_src(&src),
        1,
        "one script tag for two components"
    );

    // The second created the global's session last; the first still opens its own.
    find(&a, ".open").click();
    assert_eq!(iframes(), 1);
    from_link("SUCCESS", TOKEN);
    find(&b, ".open").click();
    assert_eq!(iframes(), 1);
    from_link("SUCCESS", "public_token_b");
    assert_eq!(first_log.0.borrow().tokens, [format!("render 0: {TOKEN}")]);
    assert_eq!(second_log.0.borrow().tokens, ["render 2: public_token_b"]);
    first.destroy();
    second.destroy();
}

#[wasm_bindgen_test]
async fn a_double_mount_leaves_exactly_one_working_session() {
    fresh();
    let src = blob_url(STANDIN);
    let log = Shared::default();
    let listeners = message_listeners();
    // Mounted and unmounted before the script loaded, then mounted again (what a toggle or a
    // quick route change does).
    let (gone, _) = mount::<Probe>(probe(&src, &log));
    yew::scheduler::flush().await;
    gone.destroy();
    let (app, root) = mount::<Probe>(ProbeProps {
        render: 1,
        ..probe(&src, &log)
    });
    status_is(&root, "ready").await;
    sleep_ms(30).await;
    find(&root, ".open").click();
    assert_eq!(iframes(), 1, "one iframe");
    from_link("SUCCESS", TOKEN);
    assert_eq!(
        log.0.borrow().tokens,
        [format!("render 1: {TOKEN}")],
        "one callback, the live one"
    );
    app.destroy();
    assert_eq!(message_listeners(), listeners);
    assert_eq!(scripts_with_src(&src), 1);
}

#[wasm_bindgen_test]
async fn a_load_failure_shows_a_typed_error_and_retry_loads_again() {
    fresh();
    // A script that runs but defines no FlexpaLink.
    let broken = blob_url("window.NOT_FLEXPA_LINK = 1;");
    let log = Shared::default();
    let (app, root) = mount::<Probe>(probe(&broken, &log));
    until("an error", || text(&root, ".status").starts_with("error")).await;
    let shown = text(&root, ".status");
    assert!(
        find(&root, ".open").has_attribute("disabled"),
        "not ready after a failure"
    );

    // The script becomes available (a flaky network recovering); retry() gets there.
    load_standin().await;
    find(&root, ".retry").click();
    status_is(&root, "ready").await;
    find(&root, ".open").click();
    assert_eq!(iframes(), 1, "after {shown}, retry made a working session");
    from_link("SUCCESS", TOKEN);
    assert_eq!(log.0.borrow().tokens.len(), 1);
    app.destroy();
}

#[wasm_bindgen_test]
async fn the_button_reports_errors_and_a_click_retries() {
    fresh();
    let broken = blob_url("window.NOT_FLEXPA_LINK = 1;");
    let errors = Rc::new(std::cell::RefCell::new(Vec::<Error>::new()));
    let on_error = {
        let errors = errors.clone();
        Callback::from(move |e: Error| errors.borrow_mut().push(e))
    };
    let (app, root) = mount::<FlexpaLinkButton>(yew::props!(FlexpaLinkButtonProps {
        publishable_key: Some(AttrValue::from(KEY)),
        loader: ScriptLoader::new().src(broken),
        on_success: Callback::noop(),
        on_error,
    }));
    let button = || find(&root, "button");
    until("the button shows the error", || {
        button().get_attribute("data-link-status").as_deref() == Some("error")
    })
    .await;
    assert_eq!(
        errors.borrow().len(),
        1,
        "reported once: {:?}",
        errors.borrow()
    );
    assert!(
        !button().has_attribute("disabled"),
        "enabled: a click retries"
    );
    load_standin().await;
    button().click();
    until("ready after the retry", || {
        button().get_attribute("data-link-status").as_deref() == Some("ready")
    })
    .await;
    assert_eq!(errors.borrow().len(), 1);
    app.destroy();
}

#[wasm_bindgen_test]
async fn a_refused_key_is_a_typed_error_and_the_button_stays_disabled() {
    let src = loaded().await;
    let errors = Rc::new(std::cell::RefCell::new(Vec::<Error>::new()));
    let on_error = {
        let errors = errors.clone();
        Callback::from(move |e: Error| errors.borrow_mut().push(e))
    };
    let (app, root) = mount::<FlexpaLinkButton>(yew::props!(FlexpaLinkButtonProps {
        publishable_key: Some(AttrValue::from("sk_test_not_a_publishable_key")),
        loader: ScriptLoader::new().src(src),
        on_success: Callback::noop(),
        on_error,
    }));
    until("the error is reported", || errors.borrow().len() == 1).await;
    let button = find(&root, "button");
    assert!(button.has_attribute("disabled"));
    assert_eq!(
        button.get_attribute("data-link-status").as_deref(),
        Some("error")
    );
    let shown = errors.borrow()[0].to_string();
    assert!(
        !shown.contains("sk_test_not_a_publishable_key"),
        "the key is not echoed: {shown}"
    );
    assert_eq!(creates(), 0);
    app.destroy();
}

#[wasm_bindgen_test]
async fn server_rendered_html_hydrates_into_a_working_button() {
    let src = loaded().await;
    let tokens = Shared::default();
    let props = || {
        let tokens = tokens.0.clone();
        yew::props!(FlexpaLinkButtonProps {
            publishable_key: Some(AttrValue::from(KEY)),
            loader: ScriptLoader::new().src(src.clone()),
            on_success: Callback::from(move |t: PublicToken| {
                tokens
                    .borrow_mut()
                    .tokens
                    .push(t.expose_secret().to_owned())
            }),
        })
    };
    let html = yew::LocalServerRenderer::<FlexpaLinkButton>::with_props(props())
        .render()
        .await;
    assert_eq!(creates(), 0, "rendering on the server creates nothing");
    let root = root();
    root.set_inner_html(&html);
    assert!(find(&root, "button").has_attribute("disabled"), "{html}");

    let app =
        yew::Renderer::<FlexpaLinkButton>::with_root_and_props(root.clone(), props()).hydrate();
    let button = || find(&root, "button");
    until("hydrated and ready", || !button().has_attribute("disabled")).await;
    assert_eq!(
        root.query_selector_all("button").unwrap().length(),
        1,
        "hydrated in place"
    );
    button().click();
    assert_eq!(iframes(), 1);
    from_link("SUCCESS", TOKEN);
    assert_eq!(tokens.0.borrow().tokens, [TOKEN]);
    assert_eq!(creates(), 1);
    app.destroy();
}
