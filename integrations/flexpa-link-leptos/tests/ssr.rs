//! Server-side rendering (Leptos `ssr`, native): the hook renders "not ready" without
//! touching `window` (there is none here: any attempt would fail or panic).
#![cfg(not(target_arch = "wasm32"))]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use flexpa_link::{Error, LinkConfig};
use flexpa_link_leptos::{use_flexpa_link, FlexpaLinkButton};
use leptos::prelude::*;

const KEY: &str = "pk_test_4YhpxYOsBMHp1FWhX2v0Amj7";

fn config() -> LinkConfig {
    LinkConfig::new(KEY).unwrap().on_success(|_| {})
}

/// Renders `view` to HTML under its own reactive owner, as a server renders a page.
fn render<V: IntoView + 'static>(view: impl FnOnce() -> V) -> String {
    Owner::new().with(|| view().into_view().to_html())
}

#[test]
fn the_button_renders_disabled_and_busy_with_its_label() {
    let html = render(|| {
        let link = use_flexpa_link(config());
        view! { <FlexpaLinkButton link attr:id="link-button" /> }
    });
    assert!(html.starts_with("<button"), "{html}");
    assert!(html.contains(r#"type="button""#), "{html}");
    assert!(html.contains(" disabled"), "{html}");
    assert!(html.contains(r#"aria-busy="true""#), "{html}");
    assert!(html.contains(r#"id="link-button""#), "{html}");
    assert!(html.contains(">Link your health data</button>"), "{html}");
}

#[test]
fn children_replace_the_label() {
    let html = render(|| {
        let link = use_flexpa_link(None::<LinkConfig>);
        view! { <FlexpaLinkButton link>"Connect your plan"</FlexpaLinkButton> }
    });
    assert!(html.contains("Connect your plan"), "{html}");
    assert!(!html.contains("Link your health data"), "{html}");
    assert!(html.contains(" disabled"), "{html}");
}

#[test]
fn the_state_is_not_ready_and_actions_say_there_is_no_window() {
    Owner::new().with(|| {
        let link = use_flexpa_link(config());
        assert!(!link.ready.get_untracked());
        assert!(!link.is_open.get_untracked());
        assert_eq!(
            link.error.get_untracked(),
            None,
            "not ready is not an error"
        );
        assert_eq!(link.token.get_untracked(), None);
        assert_eq!(link.open(), Err(Error::NoWindow));
        assert_eq!(link.exit(), Err(Error::NoWindow));
        link.retry(); // does nothing, does not panic
        let mut waiting = pin!(link.public_token());
        let poll = waiting
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()));
        assert!(
            matches!(poll, Poll::Ready(Err(Error::NoWindow))),
            "{poll:?}"
        );
    });
}

#[test]
fn a_reactive_config_is_not_even_built_on_the_server() {
    let built = Arc::new(AtomicBool::new(false));
    let html = render({
        let built = built.clone();
        move || {
            let link = use_flexpa_link(move || {
                built.store(true, Ordering::SeqCst);
                Some(config())
            });
            view! { <FlexpaLinkButton link /> }
        }
    });
    assert!(html.contains(" disabled"), "{html}");
    assert!(
        !built.load(Ordering::SeqCst),
        "effects do not run on the server"
    );
}

#[test]
fn a_page_rendered_on_one_thread_can_be_dropped_on_another() {
    // A server's runtime may move a rendered page between worker threads: nothing the hook
    // keeps may be tied to the rendering thread.
    let owner = std::thread::spawn(|| {
        let owner = Owner::new();
        let html = owner.with(|| {
            let link = use_flexpa_link(config());
            view! { <FlexpaLinkButton link /> }.to_html()
        });
        assert!(html.contains(" disabled"), "{html}");
        owner
    })
    .join()
    .unwrap();
    std::thread::spawn(move || drop(owner)).join().unwrap();
}
