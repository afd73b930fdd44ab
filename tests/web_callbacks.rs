//! The callback API (`load_with`), in headless Chromium: the same load as `load().await`
//! (one tag, shared, typed errors, retries), called exactly once and never synchronously, and
//! cancelled by dropping its handle.
#![cfg(all(feature = "browser", target_arch = "wasm32"))]

mod support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use flexpa_link::{Error, FlexpaLink, LoadHandle, ScriptLoader};
use futures::channel::oneshot;
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// How often a callback was called.
#[derive(Default)]
struct Calls {
    count: Cell<u32>,
}

type Loaded = Result<FlexpaLink, Error>;

/// A callback that counts its calls in `calls` and sends the first result to the receiver.
fn recorder(calls: &Rc<Calls>) -> (impl FnOnce(Loaded) + 'static, oneshot::Receiver<Loaded>) {
    let (sender, receiver) = oneshot::channel();
    let calls = calls.clone();
    let callback = move |result: Loaded| {
        calls.count.set(calls.count.get() + 1);
        let _ = sender.send(result);
    };
    (callback, receiver)
}

/// Waits for the callback's result (the test fails on its own timeout if it never comes).
async fn result_of(
    receiver: oneshot::Receiver<Result<FlexpaLink, Error>>,
) -> Result<FlexpaLink, Error> {
    receiver
        .await
        .expect("the callback was dropped without being called")
}

#[wasm_bindgen_test]
async fn load_with_calls_back_once_with_the_global_and_injects_one_tag() {
    fresh();
    let src = blob_url(STANDIN);
    let calls = Rc::new(Calls::default());
    let (callback, receiver) = recorder(&calls);
    let handle = ScriptLoader::new().src(src.clone()).load_with(callback);
    assert_eq!(calls.count.get(), 0, "not called before load_with returns");
    assert_eq!(scripts_with_src(&src), 1, "the tag is injected at once");

    let link = result_of(receiver).await;
    assert!(link.is_ok(), "{link:?}");
    assert!(FlexpaLink::get().unwrap().is_some());
    sleep_ms(20).await;
    assert_eq!(calls.count.get(), 1, "exactly once");
    assert_eq!(scripts_with_src(&src), 1);
    drop(handle); // after the call: a no-op
    assert_eq!(calls.count.get(), 1);
}

#[wasm_bindgen_test]
async fn the_handle_on_flexpa_link_creates_a_working_session() {
    fresh();
    let src = blob_url(STANDIN);
    let (callback, receiver) = recorder(&Rc::new(Calls::default()));
    let _handle = ScriptLoader::new().src(src).load_with(callback);
    let link = result_of(receiver).await.unwrap();
    let session = link
        .create(flexpa_link::LinkConfig::new(KEY).unwrap())
        .unwrap();
    session.open().unwrap();
    assert_eq!(iframes(), 1);
    drop(session);
    assert_eq!(iframes(), 0);
}

#[wasm_bindgen_test]
async fn load_with_and_load_await_share_one_in_flight_load_and_one_tag() {
    fresh();
    let src = blob_url(STANDIN);
    let first = Rc::new(Calls::default());
    let second = Rc::new(Calls::default());
    let (callback_1, receiver_1) = recorder(&first);
    let (callback_2, receiver_2) = recorder(&second);
    let _h1 = ScriptLoader::new().src(src.clone()).load_with(callback_1);
    let awaited = ScriptLoader::new().src(src.clone()).load();
    let _h2 = ScriptLoader::new().src(src.clone()).load_with(callback_2);
    let (awaited, one, two) = futures::join!(awaited, result_of(receiver_1), result_of(receiver_2));
    assert!(
        awaited.is_ok() && one.is_ok() && two.is_ok(),
        "{awaited:?} {one:?} {two:?}"
    );
    assert_eq!(scripts_with_src(&src), 1, "one <script> for all three");
    assert_eq!((first.count.get(), second.count.get()), (1, 1));
}

#[wasm_bindgen_test]
async fn a_failure_is_typed_the_tag_removed_and_a_retry_from_the_callback_succeeds() {
    fresh();
    let src = revoked_blob_url();
    let calls = Rc::new(Calls::default());
    let (callback, receiver) = recorder(&calls);
    let _handle = ScriptLoader::new().src(src.clone()).load_with(callback);
    let err = result_of(receiver).await.unwrap_err();
    assert_eq!(err, Error::ScriptFailed { src: src.clone() });
    assert_eq!(scripts_with_src(&src), 0, "the broken tag is removed");

    // A flaky deploy: no global on the first run, the stand-in from the second. The retry is
    // started from inside the failure callback.
    set_window("__runs", 0.into());
    let flaky = blob_url(&format!(
        "window.__runs += 1; if (window.__runs >= 2) {{ {STANDIN} }}"
    ));
    let (sender, receiver) = oneshot::channel();
    let retry: Rc<RefCell<Option<LoadHandle>>> = Rc::default();
    let first_error: Rc<RefCell<Option<Error>>> = Rc::default();
    let _first = ScriptLoader::new().src(flaky.clone()).load_with({
        let retry = retry.clone();
        let first_error = first_error.clone();
        let flaky = flaky.clone();
        move |result| {
            *first_error.borrow_mut() = result.err();
            let handle = ScriptLoader::new().src(flaky).load_with(move |result| {
                let _ = sender.send(result);
            });
            *retry.borrow_mut() = Some(handle);
        }
    });
    let retried = result_of(receiver).await;
    assert_eq!(
        first_error.borrow().clone(),
        Some(Error::MissingGlobal { src: flaky.clone() })
    );
    assert!(retried.is_ok(), "the retry loads: {retried:?}");
    assert_eq!(
        scripts_with_src(&flaky),
        1,
        "the retry injected the tag again"
    );
}

#[wasm_bindgen_test]
async fn a_timeout_reaches_the_callback_typed() {
    fresh();
    let src = blob_url(STANDIN);
    add_page_tag(&src, Some("text/x-never-loads"));
    let (callback, receiver) = recorder(&Rc::new(Calls::default()));
    let _handle = ScriptLoader::new()
        .src(src.clone())
        .timeout(Duration::from_millis(50))
        .load_with(callback);
    let err = result_of(receiver).await.unwrap_err();
    assert_eq!(
        err,
        Error::Timeout {
            src: src.clone(),
            timeout: Duration::from_millis(50)
        }
    );
    assert_eq!(scripts_with_src(&src), 0, "the stuck tag is removed");
}

#[wasm_bindgen_test]
async fn dropping_the_handle_before_the_load_settles_cancels_and_frees_the_callback() {
    fresh();
    let src = blob_url(STANDIN);
    let calls = Rc::new(Calls::default());
    let (callback, _receiver) = recorder(&calls);
    let handle = ScriptLoader::new().src(src.clone()).load_with(callback);
    assert_eq!(Rc::strong_count(&calls), 2, "the loader holds the callback");
    drop(handle);
    assert_eq!(
        Rc::strong_count(&calls),
        1,
        "dropping the handle frees the callback at once"
    );

    // The load itself goes on (it is shared): a load().await of the same src joins it.
    let link = ScriptLoader::new().src(src.clone()).load().await;
    assert!(link.is_ok(), "{link:?}");
    assert_eq!(scripts_with_src(&src), 1);
    sleep_ms(50).await;
    assert_eq!(calls.count.get(), 0, "a cancelled callback is never called");
    assert_eq!(uncaught_errors(), 0, "{}", last_uncaught_error());
}

#[wasm_bindgen_test]
async fn a_callback_that_drops_another_pending_handle_cancels_it() {
    fresh();
    let src = blob_url(STANDIN);
    let second = Rc::new(Calls::default());
    let (second_callback, _receiver) = recorder(&second);
    let slot: Rc<RefCell<Option<LoadHandle>>> = Rc::default();
    let (sender, receiver) = oneshot::channel();
    let _first = ScriptLoader::new().src(src.clone()).load_with({
        let slot = slot.clone();
        move |result| {
            drop(slot.borrow_mut().take()); // cancels the second callback, same load
            let _ = sender.send(result);
        }
    });
    *slot.borrow_mut() = Some(
        ScriptLoader::new()
            .src(src.clone())
            .load_with(second_callback),
    );
    assert!(result_of(receiver).await.is_ok());
    sleep_ms(20).await;
    assert_eq!(second.count.get(), 0);
    assert_eq!(Rc::strong_count(&second), 1, "and freed");
}

#[wasm_bindgen_test]
async fn when_already_loaded_the_callback_comes_later_once_and_no_tag_is_added() {
    fresh();
    let (_link, src) = load_standin().await;
    let calls = Rc::new(Calls::default());
    let (callback, receiver) = recorder(&calls);
    let _handle = ScriptLoader::new().src(src.clone()).load_with(callback);
    assert_eq!(
        calls.count.get(),
        0,
        "asynchronous even when the global exists"
    );
    assert!(result_of(receiver).await.is_ok());
    sleep_ms(20).await;
    assert_eq!(calls.count.get(), 1);
    assert_eq!(scripts_with_src(&src), 1);
    assert_eq!(scripts_with_src(flexpa_link::browser::DEFAULT_SRC), 0);

    // FlexpaLink::load_with (the default src) only reads the existing global.
    let (callback, receiver) = recorder(&calls);
    FlexpaLink::load_with(callback).forget();
    assert!(result_of(receiver).await.is_ok());
    assert_eq!(scripts_with_src(flexpa_link::browser::DEFAULT_SRC), 0);
    assert_eq!(calls.count.get(), 2);
}

#[wasm_bindgen_test]
async fn when_already_loaded_dropping_the_handle_at_once_cancels_the_callback() {
    fresh();
    let (_link, src) = load_standin().await;
    let calls = Rc::new(Calls::default());
    let (callback, _receiver) = recorder(&calls);
    drop(ScriptLoader::new().src(src).load_with(callback));
    assert_eq!(Rc::strong_count(&calls), 1, "freed at once");
    sleep_ms(50).await;
    assert_eq!(calls.count.get(), 0);
    assert_eq!(uncaught_errors(), 0, "{}", last_uncaught_error());
}

#[wasm_bindgen_test]
async fn an_error_known_at_once_is_typed_and_delivered_later() {
    fresh();
    set_window("FlexpaLink", 42.into());
    let calls = Rc::new(Calls::default());
    let (callback, receiver) = recorder(&calls);
    let _handle = FlexpaLink::load_with(callback);
    assert_eq!(calls.count.get(), 0);
    let err = result_of(receiver).await.unwrap_err();
    assert!(matches!(err, Error::InvalidGlobal(_)), "{err:?}");
    reset_page();
}

#[wasm_bindgen_test]
async fn a_forgotten_handle_still_gets_its_callback_and_frees_it_afterwards() {
    fresh();
    let src = blob_url(STANDIN);
    let calls = Rc::new(Calls::default());
    let (callback, receiver) = recorder(&calls);
    ScriptLoader::new()
        .src(src.clone())
        .load_with(callback)
        .forget();
    assert!(result_of(receiver).await.is_ok());
    assert_eq!(calls.count.get(), 1);
    assert_eq!(
        Rc::strong_count(&calls),
        1,
        "the loader freed the callback after calling it"
    );
}
