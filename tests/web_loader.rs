//! Loading the script, in headless Chromium: one tag per src, typed failures, retries.
#![cfg(all(feature = "browser", target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use flexpa_link::{CrossOrigin, Error, FlexpaLink, ScriptLoader};
use futures::future::join_all;
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn load_injects_one_async_script_and_returns_the_global() {
    fresh();
    assert!(FlexpaLink::get().unwrap().is_none());
    let (_link, src) = load_standin().await;
    assert_eq!(scripts_with_src(&src), 1);
    assert_eq!(script_attr(&src, "async").as_deref(), Some(""));
    assert!(FlexpaLink::get().unwrap().is_some());
}

#[wasm_bindgen_test]
async fn concurrent_loads_share_one_in_flight_load_and_one_tag() {
    fresh();
    let src = blob_url(STANDIN);
    let loads = (0..8).map(|_| ScriptLoader::new().src(src.clone()).load());
    let results = join_all(loads).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(
        scripts_with_src(&src),
        1,
        "one <script> for eight concurrent loads"
    );
}

#[wasm_bindgen_test]
async fn later_loads_reuse_the_global_without_a_new_tag() {
    fresh();
    let (_link, src) = load_standin().await;
    for _ in 0..3 {
        ScriptLoader::new().src(src.clone()).load().await.unwrap();
        FlexpaLink::load()
            .await
            .expect("the default src is not fetched: the global exists");
    }
    assert_eq!(scripts_with_src(&src), 1);
    assert_eq!(scripts_with_src(flexpa_link::browser::DEFAULT_SRC), 0);
}

#[wasm_bindgen_test]
async fn an_existing_global_means_no_tag_is_added() {
    fresh();
    plant_fake_global("ok");
    let src = blob_url(STANDIN);
    ScriptLoader::new().src(src.clone()).load().await.unwrap();
    assert_eq!(scripts_with_src(&src), 0);
}

#[wasm_bindgen_test]
async fn a_tag_the_page_already_has_is_reused_and_awaited() {
    fresh();
    let src = blob_url(STANDIN);
    add_page_tag(&src, None); // as if in the page's HTML, still loading
    assert!(FlexpaLink::get().unwrap().is_none(), "not executed yet");
    let link = ScriptLoader::new().src(src.clone()).load().await;
    assert!(link.is_ok(), "{link:?}");
    assert_eq!(
        scripts_with_src(&src),
        1,
        "the page's tag was reused, none added"
    );
}

#[wasm_bindgen_test]
async fn a_script_error_is_typed_and_its_tag_removed() {
    fresh();
    let src = revoked_blob_url();
    let err = ScriptLoader::new()
        .src(src.clone())
        .load()
        .await
        .unwrap_err();
    assert_eq!(err, Error::ScriptFailed { src: src.clone() });
    assert!(err.to_string().contains("failed to load"));
    assert_eq!(scripts_with_src(&src), 0, "the broken tag is removed");
}

#[wasm_bindgen_test]
async fn a_script_without_the_global_is_typed_and_a_later_load_retries() {
    fresh();
    // Defines nothing the first time it runs and the real stand-in from the second run on,
    // like a flaky deploy: the retry must inject the tag again.
    set_window("__runs", 0.into());
    let flaky = format!("window.__runs += 1; if (window.__runs >= 2) {{ {STANDIN} }}");
    let src = blob_url(&flaky);
    let err = ScriptLoader::new()
        .src(src.clone())
        .load()
        .await
        .unwrap_err();
    assert_eq!(err, Error::MissingGlobal { src: src.clone() });
    assert_eq!(scripts_with_src(&src), 0);

    let link = ScriptLoader::new().src(src.clone()).load().await;
    assert!(link.is_ok(), "retry after a failure works: {link:?}");
    assert_eq!(scripts_with_src(&src), 1);
}

#[wasm_bindgen_test]
async fn a_timeout_is_typed_removes_the_tag_and_a_retry_succeeds() {
    fresh();
    let src = blob_url(STANDIN);
    // A tag that never finishes loading (a type the browser does not run never fires `load`).
    add_page_tag(&src, Some("text/x-never-loads"));
    let err = ScriptLoader::new()
        .src(src.clone())
        .timeout(Duration::from_millis(50))
        .load()
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::Timeout {
            src: src.clone(),
            timeout: Duration::from_millis(50)
        }
    );
    assert!(err.to_string().contains("50 ms"), "{err}");
    assert_eq!(scripts_with_src(&src), 0, "the stuck tag is removed");

    let link = ScriptLoader::new().src(src.clone()).load().await;
    assert!(link.is_ok(), "{link:?}");
    assert_eq!(scripts_with_src(&src), 1);
}

#[wasm_bindgen_test]
async fn nonce_integrity_and_crossorigin_are_set_on_the_tag() {
    fresh();
    let src = blob_url(STANDIN);
    let integrity = sha384_integrity(STANDIN).await;
    ScriptLoader::new()
        .src(src.clone())
        .nonce("n0nce-value")
        .integrity(integrity.clone())
        .load()
        .await
        .expect("the right hash loads");
    assert_eq!(script_attr(&src, "nonce").as_deref(), Some("n0nce-value"));
    assert_eq!(script_attr(&src, "integrity"), Some(integrity));
    assert_eq!(
        script_attr(&src, "crossorigin").as_deref(),
        Some("anonymous")
    );
}

#[wasm_bindgen_test]
async fn a_wrong_integrity_hash_fails_to_load() {
    fresh();
    let src = blob_url(STANDIN);
    let wrong = sha384_integrity("something else").await;
    let err = ScriptLoader::new()
        .src(src.clone())
        .integrity(wrong)
        .crossorigin(CrossOrigin::UseCredentials)
        .load()
        .await
        .unwrap_err();
    assert_eq!(err, Error::ScriptFailed { src: src.clone() });
    assert!(
        FlexpaLink::get().unwrap().is_none(),
        "the script did not run"
    );
}

#[wasm_bindgen_test]
async fn a_global_that_is_not_flexpa_link_is_a_typed_error() {
    fresh();
    set_window("FlexpaLink", 42.into());
    let err = FlexpaLink::load().await.unwrap_err();
    assert!(matches!(err, Error::InvalidGlobal(_)), "{err:?}");
    set_window("FlexpaLink", js_sys::Object::new().into());
    let err = FlexpaLink::get().unwrap_err();
    assert_eq!(err, Error::InvalidGlobal("it has no `create` function"));
    reset_page();
}
