//! What the JavaScript browser core (`src/browser/core.js`) adds beyond the older suites, in
//! headless Chromium: a `SUCCESS` without a usable token ends the opening through `on_exit`,
//! huge load timeouts do not fire at once, errors have stable codes, and one `LinkSession`
//! owns no more than its callbacks.
#![cfg(all(feature = "browser", target_arch = "wasm32"))]

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use flexpa_link::{Error, FlexpaLink, ScriptLoader, INVALID_TOKEN_EXIT};
use support::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn setup() -> (FlexpaLink, Log) {
    fresh();
    let (link, _) = load_standin().await;
    (link, Log::default())
}

#[wasm_bindgen_test]
async fn a_success_without_a_string_reaches_on_exit_and_ends_the_opening() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    let waiting = session.public_token();
    from_link("SUCCESS", js_sys::Object::new());
    assert!(
        log.borrow().tokens.is_empty(),
        "nothing that is not a token"
    );
    assert_eq!(
        log.borrow().exits,
        [Some(INVALID_TOKEN_EXIT.to_owned())],
        "an app with only callbacks learns the opening is over"
    );
    assert!(matches!(waiting.await, Err(Error::InvalidToken(_))));
    assert!(!session.is_open());
    // Once per opening: a repeat changes nothing, and the next opening works.
    from_link("SUCCESS", TOKEN);
    assert!(log.borrow().tokens.is_empty());
    session.open().unwrap();
    from_link("SUCCESS", TOKEN);
    assert_eq!(log.borrow().tokens, [TOKEN]);
    assert_eq!(log.borrow().exits.len(), 1);
}

#[wasm_bindgen_test]
async fn a_success_with_a_malformed_token_reaches_on_exit_too() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    let waiting = session.public_token();
    from_link("SUCCESS", "not a token"); // whitespace: not a public token's shape
    assert!(log.borrow().tokens.is_empty());
    assert_eq!(log.borrow().exits, [Some(INVALID_TOKEN_EXIT.to_owned())]);
    assert!(matches!(waiting.await, Err(Error::InvalidToken(_))));
}

#[wasm_bindgen_test]
async fn timeouts_of_2_pow_31_ms_or_more_do_not_fire_at_once() {
    for timeout in [
        Duration::from_millis(1 << 31),
        Duration::from_secs(u64::from(u32::MAX)),
        Duration::MAX,
    ] {
        fresh();
        let src = blob_url(STANDIN);
        add_page_tag(&src, Some("text/x-never-loads")); // never fires `load`
        let called = Rc::new(Cell::new(false));
        let handle = ScriptLoader::new()
            .src(src.clone())
            .timeout(timeout)
            .load_with({
                let called = called.clone();
                move |_| called.set(true)
            });
        sleep_ms(100).await;
        assert!(!called.get(), "{timeout:?} fired at once");
        assert_eq!(scripts_with_src(&src), 1, "the tag is still awaited");
        drop(handle);
        reset_page();
    }
}

#[wasm_bindgen_test]
async fn a_timeout_reports_the_duration_it_was_given() {
    fresh();
    let src = blob_url(STANDIN);
    add_page_tag(&src, Some("text/x-never-loads"));
    let timeout = Duration::from_micros(20_500); // not a whole number of milliseconds
    let err = ScriptLoader::new()
        .src(src.clone())
        .timeout(timeout)
        .load()
        .await
        .unwrap_err();
    assert_eq!(err, Error::Timeout { src, timeout });
    assert_eq!(err.code(), "TIMEOUT");
}

#[wasm_bindgen_test]
async fn errors_from_the_core_have_stable_codes() {
    fresh();
    let err = ScriptLoader::new()
        .src(revoked_blob_url())
        .load()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "SCRIPT_FAILED");
    set_window("FlexpaLink", 42.into());
    assert_eq!(FlexpaLink::get().unwrap_err().code(), "INVALID_GLOBAL");
    reset_page();

    let (link, log) = setup().await;
    let first = link.create(config(&log)).unwrap();
    let _second = link.create(config(&log)).unwrap();
    assert_eq!(first.open().unwrap_err().code(), "SUPERSEDED");
    plant_fake_global("create-throws-string");
    let err = FlexpaLink::get()
        .unwrap()
        .unwrap()
        .create(config(&log))
        .unwrap_err();
    assert_eq!(err.code(), "THROWN");
    reset_page();
}

#[wasm_bindgen_test]
async fn a_dropped_session_frees_its_callbacks_at_once() {
    let (link, _) = setup().await;
    let owned = Rc::new(());
    let session = link
        .create(
            flexpa_link::LinkConfig::new(KEY)
                .unwrap()
                .on_success({
                    let owned = owned.clone();
                    move |_| {
                        let _ = &owned;
                    }
                })
                .on_exit({
                    let owned = owned.clone();
                    move |_| {
                        let _ = &owned;
                    }
                }),
        )
        .unwrap();
    session.open().unwrap();
    assert_eq!(Rc::strong_count(&owned), 3);
    drop(session);
    assert_eq!(Rc::strong_count(&owned), 1, "both callbacks freed");
    assert_eq!(iframes(), 0);
    let errors = uncaught_errors();
    call_global("onSuccess", TOKEN.into());
    call_global("onExit", JsValue::UNDEFINED);
    assert_eq!(uncaught_errors(), errors, "{}", last_uncaught_error());
}

#[wasm_bindgen_test]
fn the_token_future_and_the_load_handle_are_send_as_before() {
    fn send<T: Send>() {}
    send::<flexpa_link::PublicTokenFuture>();
    send::<flexpa_link::LoadHandle>();
}

#[wasm_bindgen_test]
async fn tag_options_asked_of_a_tag_the_page_already_has_are_a_typed_error() {
    fresh();
    let src = blob_url(STANDIN);
    add_page_tag(&src, None); // in the page's HTML, without a nonce
    let err = ScriptLoader::new()
        .src(src.clone())
        .nonce("n0nce")
        .load()
        .await
        .unwrap_err();
    assert_eq!(err, Error::TagOptionsNotApplied { src: src.clone() });
    assert_eq!(err.code(), "TAG_OPTIONS_NOT_APPLIED");
    assert_eq!(
        scripts_with_src(&src),
        1,
        "nothing injected, nothing removed"
    );
    // The page's tag itself loads: without options, the same load succeeds.
    assert!(ScriptLoader::new().src(src).load().await.is_ok());
}

#[wasm_bindgen_test]
async fn tag_options_asked_of_a_load_in_flight_without_them_are_a_typed_error() {
    fresh();
    let src = blob_url(STANDIN);
    let integrity = sha384_integrity(STANDIN).await;
    let plain = ScriptLoader::new().src(src.clone()).load();
    let checked = ScriptLoader::new()
        .src(src.clone())
        .integrity(integrity)
        .load();
    let (plain, checked) = futures::join!(plain, checked);
    assert!(plain.is_ok(), "{plain:?}");
    assert_eq!(
        checked.unwrap_err(),
        Error::TagOptionsNotApplied { src: src.clone() }
    );
    assert_eq!(scripts_with_src(&src), 1);
}

#[wasm_bindgen_test]
async fn tag_options_asked_of_a_global_that_was_already_there_are_a_typed_error() {
    fresh();
    plant_fake_global("ok");
    let err = ScriptLoader::new()
        .src("/v1/")
        .crossorigin(flexpa_link::CrossOrigin::Anonymous)
        .load()
        .await
        .unwrap_err();
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    assert_eq!(
        err,
        Error::TagOptionsNotApplied {
            src: format!("{origin}/v1/")
        }
    );
    reset_page();
}

#[wasm_bindgen_test]
async fn the_same_tag_options_again_reuse_the_tag_that_carries_them() {
    fresh();
    let src = blob_url(STANDIN);
    let integrity = sha384_integrity(STANDIN).await;
    for _ in 0..2 {
        let link = ScriptLoader::new()
            .src(src.clone())
            .nonce("n0nce")
            .integrity(integrity.clone())
            .load()
            .await;
        assert!(link.is_ok(), "{link:?}");
    }
    assert_eq!(scripts_with_src(&src), 1);
    // A different hash than the tag's is not what loaded it.
    let other = sha384_integrity("something else").await;
    let err = ScriptLoader::new()
        .src(src.clone())
        .integrity(other)
        .load()
        .await
        .unwrap_err();
    assert_eq!(err, Error::TagOptionsNotApplied { src });
}
