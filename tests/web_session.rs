//! Creating, opening and receiving the token, in headless Chromium, against the stand-in
//! global (`sandbox/flexpa-link.js`, which behaves as the published script does).
#![cfg(all(feature = "browser", target_arch = "wasm32"))]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use flexpa_link::{Error, FlexpaLink, LinkConfig, LinkSession, PublicToken, Usage};
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
async fn success_reaches_the_callback_and_the_future_with_the_same_token() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    let early = session.public_token(); // created before open
    session.open().unwrap();
    assert_eq!(iframes(), 1);
    from_link("SUCCESS", TOKEN);
    assert_eq!(log.borrow().tokens, vec![TOKEN.to_owned()]);
    assert_eq!(early.await.unwrap().expose_secret(), TOKEN);
    assert_eq!(
        session.public_token().await.unwrap().expose_secret(),
        TOKEN,
        "a late future too"
    );
    assert_eq!(iframes(), 0, "the global closed the iframe");
    assert!(!session.is_open());
}

#[wasm_bindgen_test]
async fn the_future_alone_is_enough_without_an_on_success_callback() {
    let (link, _log) = setup().await;
    let session = link.create(LinkConfig::new(KEY).unwrap()).unwrap();
    session.open().unwrap();
    let waiting = session.public_token();
    from_link("SUCCESS", TOKEN);
    assert_eq!(waiting.await.unwrap().expose_secret(), TOKEN);
}

#[wasm_bindgen_test]
async fn a_token_delivered_twice_reaches_on_success_once() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    // What a leaking script does: the same opening's onSuccess called twice.
    call_global("onSuccess", TOKEN.into());
    call_global("onSuccess", TOKEN.into());
    assert_eq!(log.borrow().tokens.len(), 1);
}

#[wasm_bindgen_test]
async fn the_leaky_published_script_still_gives_one_token_per_opening() {
    fresh();
    set_window("FLEXPA_LINK_SANDBOX_LEAKY", true.into());
    let (link, _) = load_standin().await;
    let log = Log::default();
    let session = link.create(config(&log)).unwrap();
    for round in 1..=3 {
        session.open().unwrap();
        // After n openings the leaky script has n listeners: SUCCESS arrives n times.
        from_link("SUCCESS", format!("public_token_round-{round}"));
        assert_eq!(log.borrow().tokens.len(), round, "exactly one per opening");
    }
    assert_eq!(
        log.borrow().tokens,
        [
            "public_token_round-1",
            "public_token_round-2",
            "public_token_round-3"
        ]
    );
}

#[wasm_bindgen_test]
async fn every_opening_delivers_its_own_token() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    from_link("SUCCESS", "public_token_first");
    session.open().unwrap();
    let second = session.public_token();
    from_link("SUCCESS", "public_token_second");
    assert_eq!(second.await.unwrap().expose_secret(), "public_token_second");
    assert_eq!(
        log.borrow().tokens,
        ["public_token_first", "public_token_second"]
    );
}

#[wasm_bindgen_test]
async fn messages_from_another_origin_are_ignored() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    post("SUCCESS", TOKEN.into(), "https://evil.example");
    post(
        "SUCCESS",
        TOKEN.into(),
        "https://link.flexpa.com.evil.example",
    );
    post("CLOSED", JsValue::UNDEFINED, "http://link.flexpa.com");
    assert!(log.borrow().tokens.is_empty());
    assert!(log.borrow().exits.is_empty());
    assert_eq!(iframes(), 1, "still open");
    from_link("SUCCESS", TOKEN);
    assert_eq!(log.borrow().tokens.len(), 1);
}

#[wasm_bindgen_test]
async fn loaded_calls_on_load_once_per_opening() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    from_link("LOADED", JsValue::UNDEFINED);
    from_link("LOADED", JsValue::UNDEFINED);
    assert_eq!(log.borrow().loads, 1);
    assert_eq!(iframes(), 1, "LOADED does not close");
    session.close().unwrap();
    session.open().unwrap();
    from_link("LOADED", JsValue::UNDEFINED);
    assert_eq!(log.borrow().loads, 2);
}

#[wasm_bindgen_test]
async fn closed_calls_on_exit_with_its_payload_and_the_future_reports_the_exit() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    let waiting = session.public_token();
    from_link("CLOSED", "user cancelled");
    assert_eq!(iframes(), 0);
    assert_eq!(log.borrow().exits, [Some("user cancelled".to_owned())]);
    assert!(log.borrow().tokens.is_empty());
    assert_eq!(
        waiting.await.unwrap_err(),
        Error::Exited {
            reason: Some("user cancelled".into())
        }
    );
}

#[wasm_bindgen_test]
async fn closed_without_payload_and_with_an_object_payload() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    from_link("CLOSED", JsValue::UNDEFINED);
    session.open().unwrap();
    let payload = js_sys::JSON::parse(r#"{"code":"USER_EXIT"}"#).unwrap();
    from_link("CLOSED", payload);
    assert_eq!(
        log.borrow().exits,
        [None, Some(r#"{"code":"USER_EXIT"}"#.to_owned())]
    );
}

#[wasm_bindgen_test]
async fn legacy_and_unknown_message_types_are_harmless() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    let errors = uncaught_errors();
    for kind in ["REJECTED", "TIMEOUT", "ERROR", "SOMETHING_NEW"] {
        from_link(kind, "a message");
    }
    post_raw("not an object".into(), LINK_ORIGIN);
    post_raw(JsValue::NULL, LINK_ORIGIN);
    assert_eq!(uncaught_errors(), errors, "{}", last_uncaught_error());
    assert!(log.borrow().tokens.is_empty() && log.borrow().exits.is_empty());
    assert_eq!(iframes(), 1);
}

#[wasm_bindgen_test]
async fn exit_closes_and_calls_on_exit_and_close_does_not() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    let waiting = session.public_token();
    session.close().unwrap();
    assert_eq!(iframes(), 0);
    assert!(log.borrow().exits.is_empty(), "close() is not an exit");
    assert_eq!(waiting.await.unwrap_err(), Error::Closed);

    session.open().unwrap();
    let waiting = session.public_token();
    session.exit().unwrap();
    assert_eq!(iframes(), 0);
    assert_eq!(log.borrow().exits, [None]);
    assert_eq!(waiting.await.unwrap_err(), Error::Exited { reason: None });
}

#[wasm_bindgen_test]
async fn open_appends_one_iframe_with_the_protocol_url_and_twice_is_once() {
    let (link, log) = setup().await;
    let session = link
        .create(
            config(&log)
                .user_external_id("user-123")
                .usage(Usage::Multiple)
                .endpoint("ep-1")
                .strict(false)
                .auto_exit(false),
        )
        .unwrap();
    session.open().unwrap();
    session.open().unwrap();
    assert_eq!(iframes(), 1);
    let url = web_sys::Url::new(&iframe_src()).unwrap();
    let q = url.search_params();
    assert_eq!(url.origin(), LINK_ORIGIN);
    assert_eq!(q.get("publishableKey").as_deref(), Some(KEY));
    assert_eq!(q.get("strict").as_deref(), Some("false"));
    assert_eq!(q.get("autoExit").as_deref(), Some("false"));
    assert_eq!(q.get("endpoint").as_deref(), Some("ep-1"));
    assert_eq!(
        q.get("user").as_deref(),
        Some(r#"{"externalId":"user-123"}"#)
    );
    assert!(q.get("openerUrl").is_some());
    assert!(session.is_open());
}

#[wasm_bindgen_test]
async fn open_with_endpoint_overrides_the_endpoint_for_that_opening() {
    let (link, log) = setup().await;
    let session = link.create(config(&log).endpoint("configured")).unwrap();
    session.open_with_endpoint("chosen-now").unwrap();
    let url = web_sys::Url::new(&iframe_src()).unwrap();
    assert_eq!(
        url.search_params().get("endpoint").as_deref(),
        Some("chosen-now")
    );
    session.close().unwrap();
    session.open().unwrap();
    let url = web_sys::Url::new(&iframe_src()).unwrap();
    assert_eq!(
        url.search_params().get("endpoint").as_deref(),
        Some("configured")
    );
}

#[wasm_bindgen_test]
async fn every_option_reaches_the_global_and_unknown_ones_pass_through() {
    let (link, log) = setup().await;
    let _session = link
        .create(
            config(&log)
                .user_external_id("u-1")
                .usage(Usage::OneTime)
                .endpoint("ep")
                .strict(true)
                .auto_exit(false)
                .option("brandColor", "#5a3cf0")
                .option("someFutureFlag", true)
                .option("someFutureNumber", 3)
                .option(
                    "someFutureObject",
                    flexpa_link::OptionValue::Json(r#"{"a":[1,2]}"#.into()),
                ),
        )
        .unwrap();
    assert_eq!(
        global_prop("publishableKey").as_string().as_deref(),
        Some(KEY)
    );
    assert_eq!(
        global_prop("usage").as_string().as_deref(),
        Some("ONE_TIME")
    );
    assert_eq!(global_prop("endpoint").as_string().as_deref(), Some("ep"));
    assert_eq!(global_prop("strict").as_bool(), Some(true));
    assert_eq!(global_prop("autoExit").as_bool(), Some(false));
    assert_eq!(
        global_prop("brandColor").as_string().as_deref(),
        Some("#5a3cf0")
    );
    assert_eq!(global_prop("someFutureFlag").as_bool(), Some(true));
    assert_eq!(global_prop("someFutureNumber").as_f64(), Some(3.0));
    let obj = js_sys::JSON::stringify(&global_prop("someFutureObject")).unwrap();
    assert_eq!(obj.as_string().as_deref(), Some(r#"{"a":[1,2]}"#));
    let user = js_sys::JSON::stringify(&global_prop("user")).unwrap();
    assert_eq!(user.as_string().as_deref(), Some(r#"{"externalId":"u-1"}"#));
    assert!(global_prop("onSuccess").is_function());
}

#[wasm_bindgen_test]
async fn a_new_session_does_not_inherit_the_previous_sessions_options() {
    let (link, log) = setup().await;
    let first = link
        .create(
            config(&log)
                .endpoint("old-plan")
                .user_external_id("old-user"),
        )
        .unwrap();
    drop(first);
    let second = link.create(config(&log)).unwrap();
    assert!(global_prop("endpoint").is_undefined());
    assert!(global_prop("user").is_undefined());
    second.open().unwrap();
    let url = web_sys::Url::new(&iframe_src()).unwrap();
    assert_eq!(url.search_params().get("endpoint"), None);
    assert_eq!(url.search_params().get("user"), None);
}

#[wasm_bindgen_test]
async fn reserved_or_bad_passthrough_options_are_refused() {
    let (link, log) = setup().await;
    let err = link
        .create(config(&log).option("onSuccess", "x"))
        .unwrap_err();
    assert_eq!(err, Error::ReservedOption("onSuccess".into()));
    let err = link.create(config(&log).option("", 1)).unwrap_err();
    assert_eq!(err, Error::ReservedOption(String::new()));
    let err = link
        .create(config(&log).option("x", flexpa_link::OptionValue::Json("{not json".into())))
        .unwrap_err();
    assert_eq!(err, Error::InvalidOption("x".into()));
    assert_eq!(err.to_string(), "option `x` is not valid JSON");
}

#[wasm_bindgen_test]
fn invalid_publishable_keys_are_refused_with_a_clear_error() {
    for bad in [
        "",
        "pk_test_",
        "pk_prod_abc",
        "pk_test_has space",
        "public_key",
    ] {
        let err = LinkConfig::new(bad).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{bad}: {err:?}");
    }
    let err = LinkConfig::new("sk_live_do-not-ship-me").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("secret key") && !msg.contains("do-not-ship-me"),
        "{msg}"
    );
    assert!(LinkConfig::new("pk_live_abc").is_ok());
}

#[wasm_bindgen_test]
async fn thrown_strings_and_errors_become_typed_errors() {
    fresh();
    let log = Log::default();
    plant_fake_global("create-throws-string");
    let link = FlexpaLink::get().unwrap().unwrap();
    let err = link.create(config(&log)).unwrap_err();
    assert_eq!(
        err,
        Error::Thrown {
            method: "create",
            name: None,
            message: "publishableKey required".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "FlexpaLink.create() threw publishableKey required"
    );

    plant_fake_global("create-throws-error");
    let err = FlexpaLink::get()
        .unwrap()
        .unwrap()
        .create(config(&log))
        .unwrap_err();
    assert_eq!(
        err,
        Error::Thrown {
            method: "create",
            name: Some("TypeError".into()),
            message: "config is frozen".into()
        }
    );

    plant_fake_global("create-throws-object");
    let err = FlexpaLink::get()
        .unwrap()
        .unwrap()
        .create(config(&log))
        .unwrap_err();
    assert_eq!(
        err,
        Error::Thrown {
            method: "create",
            name: None,
            message: r#"{"code":7}"#.into()
        }
    );

    plant_fake_global("open-throws-error");
    let session = FlexpaLink::get()
        .unwrap()
        .unwrap()
        .create(config(&log))
        .unwrap();
    let err = session.open().unwrap_err();
    assert!(
        matches!(&err, Error::Thrown { method: "open", name: Some(n), message } if n == "Error" && message.starts_with("You must call")),
        "{err:?}"
    );
    assert!(!session.is_open());
    drop(session);
    reset_page();
}

#[wasm_bindgen_test]
async fn dropping_an_open_session_removes_its_iframe_and_listener() {
    let (link, log) = setup().await;
    let before = message_listeners();
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    assert_eq!(iframes(), 1);
    assert_eq!(message_listeners(), before + 1);
    let waiting = session.public_token();
    drop(session);
    assert_eq!(iframes(), 0);
    assert_eq!(message_listeners(), before);
    assert_eq!(waiting.await.unwrap_err(), Error::SessionDropped);
    assert!(log.borrow().exits.is_empty(), "dropping is not a user exit");
}

#[wasm_bindgen_test]
async fn a_late_message_after_drop_calls_no_freed_code_and_throws_nothing() {
    fresh();
    // The leaky script keeps its listener after close, so a late SUCCESS still arrives.
    set_window("FLEXPA_LINK_SANDBOX_LEAKY", true.into());
    let (link, _) = load_standin().await;
    let log = Log::default();
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    drop(session);
    let errors = uncaught_errors();
    from_link("SUCCESS", TOKEN);
    from_link("LOADED", JsValue::UNDEFINED);
    from_link("CLOSED", "late");
    call_global("onSuccess", TOKEN.into());
    call_global("onExit", JsValue::UNDEFINED);
    call_global("onLoad", JsValue::UNDEFINED);
    assert_eq!(uncaught_errors(), errors, "{}", last_uncaught_error());
    assert!(log.borrow().tokens.is_empty() && log.borrow().exits.is_empty());
    assert_eq!(log.borrow().loads, 0);
}

#[wasm_bindgen_test]
async fn a_second_create_retires_the_first_session() {
    let (link, _) = setup().await;
    let (first_log, second_log) = (Log::default(), Log::default());
    let first = link.create(config(&first_log)).unwrap();
    first.open().unwrap();
    let first_waiting = first.public_token();
    let second = link.create(config(&second_log)).unwrap();

    assert_eq!(iframes(), 0, "the first session's iframe was closed");
    assert!(!first.is_live() && second.is_live());
    assert_eq!(first.open().unwrap_err(), Error::Superseded);
    assert_eq!(first.close().unwrap_err(), Error::Superseded);
    assert_eq!(first_waiting.await.unwrap_err(), Error::Superseded);
    assert_eq!(first.public_token().await.unwrap_err(), Error::Superseded);

    second.open().unwrap();
    drop(first); // an inert handle: must not close the live session's iframe
    assert_eq!(iframes(), 1);
    from_link("SUCCESS", TOKEN);
    assert!(
        first_log.borrow().tokens.is_empty(),
        "no stale closure called"
    );
    assert_eq!(second_log.borrow().tokens, [TOKEN]);
}

#[wasm_bindgen_test]
async fn a_double_mount_leaves_exactly_one_working_session() {
    // React StrictMode / a framework re-render: mount, mount again, unmount the first.
    let (link, _) = setup().await;
    let logs = [Log::default(), Log::default()];
    let a = link.create(config(&logs[0])).unwrap();
    let b = link.create(config(&logs[1])).unwrap();
    drop(a);
    b.open().unwrap();
    from_link("SUCCESS", TOKEN);
    from_link("SUCCESS", TOKEN);
    assert!(logs[0].borrow().tokens.is_empty());
    assert_eq!(logs[1].borrow().tokens.len(), 1);
}

#[wasm_bindgen_test]
async fn a_callback_may_drop_its_own_session() {
    let (link, _) = setup().await;
    let slot: Rc<RefCell<Option<LinkSession>>> = Rc::default();
    let got = Rc::new(RefCell::new(None::<String>));
    let (slot2, got2) = (slot.clone(), got.clone());
    let session = link
        .create(LinkConfig::new(KEY).unwrap().on_success(move |t| {
            *got2.borrow_mut() = Some(t.into_string());
            slot2.borrow_mut().take(); // unmount from inside the callback
        }))
        .unwrap();
    session.open().unwrap();
    *slot.borrow_mut() = Some(session);
    let errors = uncaught_errors();
    from_link("SUCCESS", TOKEN);
    assert_eq!(got.borrow().as_deref(), Some(TOKEN));
    assert!(slot.borrow().is_none());
    assert_eq!(uncaught_errors(), errors, "{}", last_uncaught_error());
    from_link("SUCCESS", TOKEN); // and nothing happens afterwards
    assert_eq!(uncaught_errors(), errors);
}

#[wasm_bindgen_test]
async fn a_callback_may_close_reopen_or_create_a_new_session() {
    let (link, _) = setup().await;
    let next: Rc<RefCell<Option<LinkSession>>> = Rc::default();
    let (link2, next2) = (link.clone(), next.clone());
    let session = link
        .create(LinkConfig::new(KEY).unwrap().on_exit(move |_| {
            let fresh = link2.create(LinkConfig::new(KEY).unwrap()).unwrap();
            fresh.open().unwrap();
            *next2.borrow_mut() = Some(fresh);
        }))
        .unwrap();
    session.open().unwrap();
    from_link("CLOSED", JsValue::UNDEFINED);
    assert!(!session.is_live());
    assert_eq!(iframes(), 1, "the session created inside on_exit is open");
    let fresh = next.borrow_mut().take().unwrap();
    let waiting = fresh.public_token();
    from_link("SUCCESS", TOKEN);
    assert_eq!(waiting.await.unwrap().expose_secret(), TOKEN);
}

#[wasm_bindgen_test]
async fn a_thousand_create_open_close_cycles_leave_nothing_behind() {
    fresh();
    // A same-origin Link URL: a cross-origin iframe costs Chromium a renderer process each
    // time, which would make this test about Chromium's speed rather than our clean-up.
    let link_url = format!(
        "{}/link-standin/",
        web_sys::window().unwrap().location().origin().unwrap()
    );
    set_window("FLEXPA_LINK_SANDBOX_URL", link_url.clone().into());
    let (link, _) = load_standin().await;
    let link_origin = web_sys::Url::new(&link_url).unwrap().origin();
    let listeners = message_listeners();
    for i in 0..1000 {
        let log = Log::default();
        let session = link.create(config(&log)).unwrap();
        session.open().unwrap();
        if i % 2 == 0 {
            session.close().unwrap();
        } // odd cycles: dropped while open
        if i % 10 == 9 {
            sleep_ms(0).await; // let the page breathe (the test runner polls it)
        }
    }
    assert_eq!(iframes(), 0);
    assert_eq!(message_listeners(), listeners);
    // And the global still works afterwards.
    let log = Log::default();
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    post("SUCCESS", TOKEN.into(), &link_origin);
    assert_eq!(log.borrow().tokens.len(), 1);
}

#[wasm_bindgen_test]
async fn a_non_string_token_is_reported_not_passed_on() {
    let (link, log) = setup().await;
    let session = link.create(config(&log)).unwrap();
    session.open().unwrap();
    let waiting = session.public_token();
    from_link("SUCCESS", 12345);
    assert!(log.borrow().tokens.is_empty());
    assert!(matches!(waiting.await.unwrap_err(), Error::InvalidToken(_)));
}

#[wasm_bindgen_test]
fn public_tokens_print_redacted() {
    let token = PublicToken::new(TOKEN).unwrap();
    assert_eq!(format!("{token:?}"), "PublicToken(<redacted>)");
    assert_eq!(token.to_string(), "<redacted>");
    let err = Error::Exited { reason: None };
    assert!(!format!("{err:?}").contains("public_token_"));
}
