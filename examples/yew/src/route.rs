//! The app's two views, named by the URL's hash, so that links and the browser's back button
//! move between them (two views need no router).

use gloo_events::EventListener;
use yew::prelude::*;

#[derive(Clone, Copy, PartialEq)]
pub enum View {
    /// `#link` or no hash.
    Link,
    /// `#about`.
    About,
}

fn view_in_url() -> View {
    let hash = web_sys::window().and_then(|w| w.location().hash().ok());
    match hash.as_deref() {
        Some("#about") => View::About,
        _ => View::Link,
    }
}

/// The view the URL names, updated on every `hashchange`.
#[hook]
pub fn use_view() -> View {
    let view = use_state(view_in_url);
    {
        let view = view.clone();
        use_effect_with((), move |_| {
            let window = web_sys::window().expect("a page");
            let listener =
                EventListener::new(&window, "hashchange", move |_| view.set(view_in_url()));
            move || drop(listener)
        });
    }
    *view
}
