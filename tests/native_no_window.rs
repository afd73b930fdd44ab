//! The browser API builds and behaves on native targets (server-side rendering): typed
//! `NoWindow` errors at run time, never a panic.
#![cfg(all(feature = "browser", not(target_arch = "wasm32")))]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use flexpa_link::{Error, FlexpaLink, LinkConfig, ScriptLoader, Usage};

fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a native load must not wait for anything"),
    }
}

#[test]
fn load_on_a_native_target_is_a_typed_no_window_error() {
    assert_eq!(ready(FlexpaLink::load()).unwrap_err(), Error::NoWindow);
    let err = ready(ScriptLoader::new().src("/v1/").nonce("n").load()).unwrap_err();
    assert_eq!(err, Error::NoWindow);
    assert!(err.to_string().contains("server-side rendering"));
    assert_eq!(FlexpaLink::get().unwrap_err(), Error::NoWindow);
}

#[test]
fn a_config_builds_on_the_server_and_prints_without_callbacks_bodies() {
    let config = LinkConfig::new("pk_test_abc")
        .unwrap()
        .user_external_id("user-1")
        .usage(Usage::Multiple)
        .on_success(|_| {});
    let printed = format!("{config:?}");
    assert!(
        printed.contains("pk_test_abc") && printed.contains("on_success: true"),
        "{printed}"
    );
}

#[test]
fn a_secret_key_is_refused_as_a_publishable_key_without_echoing_it() {
    let err = LinkConfig::new("sk_test_very-secret").unwrap_err();
    assert!(matches!(err, Error::Invalid(_)));
    assert!(!err.to_string().contains("very-secret"));
    assert!(!format!("{err:?}").contains("very-secret"));
}

#[test]
fn a_controller_on_the_server_stays_loading_and_never_touches_a_window() {
    use flexpa_link::{LinkController, LinkStatus};
    let reported = std::rc::Rc::new(std::cell::Cell::new(0));
    let counter = reported.clone();
    let controller =
        LinkController::new(ScriptLoader::new(), move |_| counter.set(counter.get() + 1));
    controller.set_config(Some(
        LinkConfig::new("pk_test_abc").unwrap().on_success(|_| {}),
    ));
    controller.retry();
    assert_eq!(controller.state().status, LinkStatus::Loading);
    assert_eq!(controller.open(), Err(Error::NotReady));
    assert_eq!(controller.exit(), Ok(()));
    controller.dispose();
    assert_eq!(reported.get(), 0);
    assert_eq!(
        ready(controller.public_token()).unwrap_err(),
        Error::SessionDropped
    );
}
