//! `LinkController`, the lifecycle the framework hooks share, in headless Chromium: it
//! becomes ready, opens, calls the latest callbacks once per opening, re-creates Link only
//! when the config's data changes, lets several controllers share the singleton global,
//! recovers from a failed load, and leaves nothing behind when disposed.
#![cfg(all(feature = "browser", target_arch = "wasm32"))]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use flexpa_link::{ControllerState, Error, LinkConfig, LinkController, LinkStatus, ScriptLoader};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function count_creates() {
  const link = window.FlexpaLink;
  if (link.__counted) return;
  const create = link.create;
  // Retiring a session also calls create, with no-op callbacks and the same config: only
  // creations with a user or without one that differ from the last count.
  link.__configs = [];
  link.create = function (config) { link.__configs.push(config.user ? config.user.externalId : null); return create.call(this, config); };
  link.__counted = true;
}
export function creates() { return window.FlexpaLink.__configs.length; }
export function created_users() { return window.FlexpaLink.__configs.filter((u) => u).join(","); }
export function second_try_source(source) {
  return "window.__tries = (window.__tries || 0) + 1; if (window.__tries > 1) {\n" + source + "\n}";
}
"#)]
extern "C" {
    fn count_creates();
    fn creates() -> u32;
    fn created_users() -> String;
    fn second_try_source(source: &str) -> String;
}

/// The states a controller reported, in order.
type Reported = Rc<RefCell<Vec<ControllerState>>>;

/// A controller over the stand-in (a fresh blob URL), recording what it reports.
fn controller(src: &str) -> (LinkController, Reported) {
    let reported = Reported::default();
    let sink = reported.clone();
    let controller = LinkController::new(ScriptLoader::new().src(src), move |state| {
        sink.borrow_mut().push(state.clone())
    });
    (controller, reported)
}

fn statuses(reported: &Reported) -> Vec<LinkStatus> {
    reported.borrow().iter().map(|s| s.status.clone()).collect()
}

async fn ready_controller() -> (LinkController, Reported, Log, String) {
    fresh();
    let src = blob_url(STANDIN);
    let (controller, reported) = controller(&src);
    let log = Log::default();
    controller.set_config(Some(config(&log)));
    until_status(&controller, LinkStatus::Ready).await;
    count_creates();
    (controller, reported, log, src)
}

#[wasm_bindgen_test]
async fn becomes_ready_and_reports_it_never_from_set_config_itself() {
    fresh();
    let src = blob_url(STANDIN);
    let (controller, reported) = controller(&src);
    assert_eq!(controller.state().status, LinkStatus::Loading);
    controller.set_config(Some(config(&Log::default())));
    assert!(
        reported.borrow().is_empty(),
        "nothing reported during set_config"
    );
    until_status(&controller, LinkStatus::Ready).await;
    assert_eq!(statuses(&reported), [LinkStatus::Ready]);
    assert_eq!(scripts_with_src(&src), 1);
    assert_eq!(controller.open(), Ok(()));
    assert_eq!(iframes(), 1);
    assert!(controller.state().status.is_open());
}

#[wasm_bindgen_test]
async fn open_before_ready_is_a_typed_error_and_no_config_stays_loading() {
    fresh();
    let (controller, reported) = controller(&blob_url(STANDIN));
    assert_eq!(controller.open(), Err(Error::NotReady));
    controller.set_config(None);
    sleep_ms(50).await;
    assert_eq!(controller.state().status, LinkStatus::Loading);
    assert!(reported.borrow().is_empty());
    assert_eq!(iframes(), 0);
}

#[wasm_bindgen_test]
async fn the_token_reaches_the_latest_callback_once_and_the_state() {
    let (controller, _, first, _) = ready_controller().await;
    // A re-render passes new closures: they, not the first ones, get the token.
    let latest = Log::default();
    controller.set_config(Some(config(&latest)));
    let waiting = controller.public_token();
    controller.open().unwrap();
    from_link("SUCCESS", TOKEN);
    from_link("SUCCESS", TOKEN);
    assert_eq!(latest.borrow().tokens, [TOKEN], "once per opening");
    assert!(first.borrow().tokens.is_empty(), "no stale closure runs");
    assert_eq!(waiting.await.unwrap().expose_secret(), TOKEN);
    until_status(&controller, LinkStatus::Ready).await;
    let token = controller.state().token.expect("the token in the state");
    assert_eq!(token.expose_secret(), TOKEN);
    // A new opening clears the last token.
    controller.open().unwrap();
    assert_eq!(controller.state().token, None);
    assert_eq!(creates(), 0, "new closures alone never re-create Link");
}

#[wasm_bindgen_test]
async fn an_exit_reaches_on_exit_and_the_future_and_the_status_returns_to_ready() {
    let (controller, reported, log, _) = ready_controller().await;
    let waiting = controller.public_token();
    controller.open().unwrap();
    controller.exit().unwrap();
    assert_eq!(log.borrow().exits.len(), 1);
    assert!(matches!(waiting.await, Err(Error::Exited { .. })));
    until_status(&controller, LinkStatus::Ready).await;
    assert_eq!(iframes(), 0);
    assert_eq!(
        statuses(&reported),
        [LinkStatus::Ready, LinkStatus::Open, LinkStatus::Ready]
    );
}

#[wasm_bindgen_test]
async fn a_data_change_re_creates_link_and_the_same_data_does_not() {
    let (controller, _, log, _) = ready_controller().await;
    controller.set_config(Some(config(&log)));
    sleep_ms(30).await;
    assert_eq!(creates(), 0, "same data: not re-created");
    controller.set_config(Some(config(&log).user_external_id("user-2")));
    sleep_ms(30).await;
    assert_eq!(created_users(), "user-2", "another user: re-created");
    assert_eq!(controller.state().status, LinkStatus::Ready);
    controller.open().unwrap();
    from_link("SUCCESS", TOKEN);
    assert_eq!(log.borrow().tokens, [TOKEN]);
}

#[wasm_bindgen_test]
async fn two_controllers_share_one_script_and_each_can_open() {
    fresh();
    let src = blob_url(STANDIN);
    let (a, _) = controller(&src);
    let (b, _) = controller(&src);
    let (log_a, log_b) = (Log::default(), Log::default());
    a.set_config(Some(config(&log_a)));
    b.set_config(Some(config(&log_b)));
    until_status(&a, LinkStatus::Ready).await;
    until_status(&b, LinkStatus::Ready).await;
    assert_eq!(scripts_with_src(&src), 1, "one script tag");
    // b created last, so a's session was replaced: opening a re-creates it.
    a.open().unwrap();
    from_link("SUCCESS", TOKEN);
    assert_eq!(log_a.borrow().tokens, [TOKEN]);
    until_status(&a, LinkStatus::Ready).await;
    b.open().unwrap();
    assert_eq!(iframes(), 1);
    from_link("SUCCESS", TOKEN);
    assert_eq!(log_b.borrow().tokens, [TOKEN]);
    assert_eq!(log_a.borrow().tokens.len(), 1, "only the opener hears");
    // A double mount: the first one goes away, the second keeps working.
    a.dispose();
    until_status(&b, LinkStatus::Ready).await;
    b.open().unwrap();
    from_link("SUCCESS", TOKEN);
    assert_eq!(log_b.borrow().tokens.len(), 2);
}

#[wasm_bindgen_test]
async fn dispose_while_open_removes_the_iframe_and_the_listener_and_frees_callbacks() {
    fresh();
    let listeners = message_listeners();
    let (controller, reported, log, _) = ready_controller().await;
    let waiting = controller.public_token();
    controller.open().unwrap();
    assert_eq!(iframes(), 1);
    let seen = reported.borrow().len();
    controller.dispose();
    assert_eq!(iframes(), 0);
    assert_eq!(message_listeners(), listeners);
    assert_eq!(waiting.await, Err(Error::SessionDropped));
    from_link("SUCCESS", TOKEN);
    assert!(log.borrow().tokens.is_empty());
    assert_eq!(
        reported.borrow().len(),
        seen,
        "nothing reported after dispose"
    );
    assert_eq!(Rc::strong_count(&log), 1, "the app's callbacks were freed");
    assert_eq!(controller.open(), Err(Error::SessionDropped));
    assert_eq!(uncaught_errors(), 0);
}

#[wasm_bindgen_test]
async fn a_failed_load_is_reported_and_retry_loads_again() {
    fresh();
    let src = blob_url(&second_try_source(STANDIN));
    let (controller, reported) = controller(&src);
    let log = Log::default();
    controller.set_config(Some(config(&log)));
    for _ in 0..200 {
        if controller.state().status.error().is_some() {
            break;
        }
        sleep_ms(10).await;
    }
    assert_eq!(
        controller.state().status,
        LinkStatus::Failed(Error::MissingGlobal { src: src.clone() })
    );
    assert_eq!(controller.open(), Err(Error::NotReady));
    controller.retry();
    until_status(&controller, LinkStatus::Ready).await;
    assert_eq!(scripts_with_src(&src), 1);
    assert_eq!(
        statuses(&reported),
        [
            LinkStatus::Failed(Error::MissingGlobal { src }),
            LinkStatus::Loading,
            LinkStatus::Ready
        ]
    );
    controller.open().unwrap();
    from_link("SUCCESS", TOKEN);
    assert_eq!(log.borrow().tokens, [TOKEN]);
}

#[wasm_bindgen_test]
async fn a_callback_may_dispose_its_controller() {
    fresh();
    let src = blob_url(STANDIN);
    let (controller, _) = controller(&src);
    let handle = Rc::new(RefCell::new(Some(controller.clone())));
    let inside = handle.clone();
    controller.set_config(Some(LinkConfig::new(KEY).unwrap().on_success(move |_| {
        if let Some(c) = inside.borrow_mut().take() {
            c.dispose();
        }
    })));
    until_status(&controller, LinkStatus::Ready).await;
    controller.open().unwrap();
    from_link("SUCCESS", TOKEN);
    assert_eq!(iframes(), 0);
    assert_eq!(uncaught_errors(), 0);
}

#[wasm_bindgen_test]
async fn on_the_script_published_on_npm_0_0_8_a_cancel_and_a_link_both_end_the_opening() {
    fresh();
    let src = blob_url(STANDIN_0_0_8);
    let (controller, _) = controller(&src);
    let log = Log::default();
    controller.set_config(Some(config(&log)));
    until_status(&controller, LinkStatus::Ready).await;
    // That script never calls onExit: the iframe leaving the page is the exit.
    let waiting = controller.public_token();
    controller.open().unwrap();
    from_link("CLOSED", JsValue::UNDEFINED);
    assert!(matches!(waiting.await, Err(Error::Exited { .. })));
    until_status(&controller, LinkStatus::Ready).await;
    assert_eq!(log.borrow().exits, [None]);
    // It has no exit() either: the crate closes and reports the exit itself.
    controller.open().unwrap();
    controller.exit().unwrap();
    until_status(&controller, LinkStatus::Ready).await;
    assert_eq!(iframes(), 0);
    assert_eq!(log.borrow().exits.len(), 2);
    controller.open().unwrap();
    from_link("SUCCESS", TOKEN);
    until_status(&controller, LinkStatus::Ready).await;
    assert_eq!(log.borrow().tokens, [TOKEN]);
    assert_eq!(
        controller
            .state()
            .token
            .map(|t| t.expose_secret().to_owned()),
        Some(TOKEN.to_owned())
    );
}
