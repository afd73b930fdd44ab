//! The crate against the older script published on npm as `@flexpa/link` 0.0.8, in headless
//! Chromium. That version has no `exit`, never calls `onExit` or `onLoad` (a `CLOSED` message
//! only removes the iframe) and leaks one `message` listener per opening. A page that still
//! loads it must get the same guarantees as with v1: one token per opening, an exit that ends
//! the opening (callback and future), nothing called after drop. The last test covers any
//! script that closes Link on its own without telling, with the iframe inside a container.
#![cfg(all(feature = "browser", target_arch = "wasm32"))]

mod support;

use flexpa_link::{Error, FlexpaLink, LinkController, LinkStatus, ScriptLoader};
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn setup() -> (FlexpaLink, Log) {
    fresh();
    let src = blob_url(STANDIN_0_0_8);
    let link = flexpa_link::ScriptLoader::new()
        .src(src)
        .load()
        .await
        .expect("the 0.0.8 stand-in loads and passes the global check");
    (link, Log::default())
}

/// Mutation records, and so the crate's view of a removed iframe, arrive in a microtask.
async fn settle() {
    sleep_ms(0).await;
}

#[wasm_bindgen_test]
async fn the_0_0_8_script_links_and_the_token_reaches_callback_and_future() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    assert_eq!(all_iframes(), 1);
    assert!(session.is_open());
    let waiting = session.public_token();
    from_link("SUCCESS", TOKEN);
    assert_eq!(waiting.await.unwrap().expose_secret(), TOKEN);
    settle().await;
    assert_eq!(log.borrow().tokens, vec![TOKEN.to_owned()]);
    assert!(log.borrow().exits.is_empty(), "a success is not an exit");
    assert_eq!(all_iframes(), 0);
    assert!(!session.is_open());
}

#[wasm_bindgen_test]
async fn a_cancel_in_the_0_0_8_script_ends_the_opening_as_an_exit() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    let waiting = session.public_token();
    // The Link app's cancel: 0.0.8 removes the iframe and calls nothing.
    from_link("CLOSED", wasm_bindgen::JsValue::UNDEFINED);
    assert_eq!(all_iframes(), 0);
    settle().await;
    assert_eq!(log.borrow().exits, vec![None], "on_exit ran once");
    assert!(
        matches!(waiting.await, Err(Error::Exited { reason: None })),
        "the future does not wait forever"
    );
    assert!(!session.is_open());
    assert_eq!(uncaught_errors(), 0);

    // The next opening works and gets its token.
    session.open().unwrap();
    from_link("SUCCESS", TOKEN);
    settle().await;
    assert_eq!(log.borrow().tokens, vec![TOKEN.to_owned()]);
    assert_eq!(log.borrow().exits.len(), 1, "no second exit");
}

#[wasm_bindgen_test]
async fn exit_on_the_0_0_8_script_closes_and_calls_on_exit() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    let waiting = session.public_token();
    session.exit().expect("exit works without FlexpaLink.exit");
    assert_eq!(all_iframes(), 0);
    assert!(matches!(waiting.await, Err(Error::Exited { reason: None })));
    settle().await;
    assert_eq!(
        log.borrow().exits,
        vec![None],
        "once, not again from the watcher"
    );
}

#[wasm_bindgen_test]
async fn close_on_the_0_0_8_script_is_not_an_exit() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    let waiting = session.public_token();
    session.close().unwrap();
    assert!(matches!(waiting.await, Err(Error::Closed)));
    settle().await;
    assert!(
        log.borrow().exits.is_empty(),
        "close() does not call on_exit"
    );
}

#[wasm_bindgen_test]
async fn reopening_the_0_0_8_script_still_gives_one_token_per_opening() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    let listeners = message_listeners();
    for _ in 0..3 {
        session.open().unwrap();
        from_link("CLOSED", wasm_bindgen::JsValue::UNDEFINED);
        settle().await;
    }
    session.open().unwrap();
    assert_eq!(
        message_listeners(),
        listeners + 4,
        "the script leaked one listener per opening"
    );
    // Four leaked listeners: the script calls onSuccess four times for this one message.
    from_link("SUCCESS", TOKEN);
    settle().await;
    assert_eq!(log.borrow().tokens, vec![TOKEN.to_owned()]);
    assert_eq!(log.borrow().exits, vec![None, None, None]);
    assert_eq!(session.public_token().await.unwrap().expose_secret(), TOKEN);
}

#[wasm_bindgen_test]
async fn after_drop_the_0_0_8_scripts_leaked_listeners_reach_no_rust_code() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    drop(session);
    assert_eq!(all_iframes(), 0, "drop closed the iframe");
    // The leaked listener still runs `this.onSuccess(payload)`.
    from_link("SUCCESS", TOKEN);
    from_link("CLOSED", wasm_bindgen::JsValue::UNDEFINED);
    settle().await;
    assert_eq!(uncaught_errors(), 0, "{}", last_uncaught_error());
    assert!(log.borrow().tokens.is_empty());
    assert!(log.borrow().exits.is_empty());
}

#[wasm_bindgen_test]
async fn a_second_session_on_the_0_0_8_script_retires_the_first() {
    let (link, log) = setup().await;
    let first = link.create(config(&log)).unwrap();
    first.open().unwrap();
    let first_token = first.public_token();
    let log2 = Log::default();
    let second = link.create(config(&log2)).unwrap();
    assert!(matches!(first_token.await, Err(Error::Superseded)));
    assert_eq!(all_iframes(), 0, "the first session's iframe is closed");
    second.open().unwrap();
    from_link("SUCCESS", TOKEN);
    settle().await;
    assert!(log.borrow().tokens.is_empty());
    assert!(log.borrow().exits.is_empty());
    assert_eq!(log2.borrow().tokens, vec![TOKEN.to_owned()]);
}

#[wasm_bindgen_test]
async fn open_with_endpoint_reaches_the_0_0_8_script() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open_with_endpoint("humana").unwrap();
    let src = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .query_selector("iframe")
        .unwrap()
        .unwrap()
        .get_attribute("src")
        .unwrap();
    let url = web_sys::Url::new(&src).unwrap();
    assert_eq!(url.origin(), LINK_ORIGIN);
    let params = url.search_params();
    assert_eq!(params.get("publishableKey").as_deref(), Some(KEY));
    assert_eq!(params.get("endpoint").as_deref(), Some("humana"));
    session.close().unwrap();
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export function plant_container_global() {
  let box = null;
  window.FlexpaLink = {
    create(config) { Object.assign(this, config); },
    open() {
      if (box) return;
      box = document.createElement("div");
      box.appendChild(document.createElement("iframe"));
      document.body.appendChild(box);
    },
    close() { if (box) { box.remove(); box = null; } },
  };
}
"#)]
extern "C" {
    fn plant_container_global();
}

#[wasm_bindgen_test]
async fn a_script_that_removes_a_container_without_on_exit_ends_the_opening() {
    fresh();
    plant_container_global();
    let link = FlexpaLink::load()
        .await
        .expect("the planted global is used");
    let log = Log::default();
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    let waiting = session.public_token();
    // The script closes on its own (as on a cancel) and calls nothing.
    call_global("close", wasm_bindgen::JsValue::UNDEFINED);
    settle().await;
    assert_eq!(log.borrow().exits, vec![None]);
    assert!(matches!(waiting.await, Err(Error::Exited { reason: None })));
    // Unrelated changes to the page while Link is open end nothing.
    session.open().unwrap();
    let other = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .create_element("p")
        .unwrap();
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .body()
        .unwrap()
        .append_child(&other)
        .unwrap();
    other.remove();
    settle().await;
    assert!(session.is_open());
    assert_eq!(log.borrow().exits.len(), 1);
    session.close().unwrap();
}

/// The framework hooks sit on `LinkController`: on the 0.0.8 script a cancel (which that
/// script never reports) must bring the button back to ready, a success must reach the latest
/// callback once, and disposing while open must leave no iframe behind.
#[wasm_bindgen_test]
async fn the_hooks_controller_on_the_0_0_8_script_cancels_links_and_disposes() {
    fresh();
    let controller = LinkController::new(ScriptLoader::new().src(blob_url(STANDIN_0_0_8)), |_| {});
    let log = Log::default();
    controller.set_config(Some(config(&log)));
    until_status(&controller, LinkStatus::Ready).await;

    controller.open().unwrap();
    assert_eq!(controller.state().status, LinkStatus::Open);
    from_link("CLOSED", wasm_bindgen::JsValue::UNDEFINED);
    until_status(&controller, LinkStatus::Ready).await;
    assert_eq!(
        log.borrow().exits,
        vec![None],
        "the cancel reached on_exit once"
    );
    assert_eq!(all_iframes(), 0);

    let latest = Log::default();
    controller.set_config(Some(config(&latest)));
    let waiting = controller.public_token();
    controller.open().unwrap();
    from_link("SUCCESS", TOKEN);
    assert_eq!(waiting.await.unwrap().expose_secret(), TOKEN);
    until_status(&controller, LinkStatus::Ready).await;
    assert_eq!(latest.borrow().tokens, vec![TOKEN.to_owned()]);
    assert!(log.borrow().tokens.is_empty(), "no stale closure runs");

    controller.open().unwrap();
    assert_eq!(all_iframes(), 1);
    controller.dispose();
    settle().await;
    assert_eq!(all_iframes(), 0, "disposing while open closes Link");
    from_link("SUCCESS", TOKEN);
    assert_eq!(
        latest.borrow().tokens.len(),
        1,
        "nothing runs after dispose"
    );
    assert_eq!(uncaught_errors(), 0);
}
