//! The least app that uses the crate: load the script, create Link with an `on_success`
//! that logs the public token, open Link when the button is clicked.
//!
//! Callback style (`FlexpaLink::load_with`), so the app links no async executor: this is the
//! size benchmark's subject. `FlexpaLink::load().await` is the same load as a future.
//!
//! Errors are logged as their stable code (`Error::code()`, e.g. `Flexpa Link: SCRIPT_FAILED`),
//! not their text: `e.to_string()` would link `core::fmt`, which a size-conscious app avoids
//! (see BENCHMARKS.md). An app that can afford it shows `e.to_string()`, which also names the
//! script URL or what was thrown.
//!
//! (A real app sends the token to its backend instead of logging it: see examples/vanilla.)

use flexpa_link::{Error, FlexpaLink, LinkConfig};
use wasm_bindgen::prelude::*;

/// Your publishable key (Flexpa Portal → API keys).
const PUBLISHABLE_KEY: &str = "pk_test_minimal_example";

#[wasm_bindgen(start)]
fn start() {
    // The page lives as long as the app, so the callback is never cancelled.
    FlexpaLink::load_with(|result| {
        if let Err(e) = result.and_then(ready) {
            web_sys::console::error_2(&"Flexpa Link:".into(), &e.code().into());
        }
    })
    .forget();
}

fn ready(link: FlexpaLink) -> Result<(), Error> {
    let session = link.create(
        LinkConfig::new(PUBLISHABLE_KEY)?
            .on_success(|token| web_sys::console::log_1(&token.expose_secret().into())),
    )?;
    let button = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("link-button"))
        .ok_or(Error::Dom("#link-button is missing"))?;
    // The listener owns the session; both live as long as the page, so the closure is leaked
    // on purpose, as bench/handwritten-minimal does (gloo-events' `EventListener` is the
    // owned alternative, at some size).
    let on_click = Closure::<dyn Fn()>::new(move || {
        let _ = session.open();
    });
    button
        .add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())
        .map_err(|_| Error::Dom("addEventListener threw"))?;
    on_click.forget();
    Ok(())
}
