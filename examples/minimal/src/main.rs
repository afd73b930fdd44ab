//! The least app that uses the crate: load the script, create Link with an `on_success`
//! that logs the public token, open Link when the button is clicked.
//!
//! Callback style (`FlexpaLink::load_with`), so the app links no async executor: this is the
//! size benchmark's subject. `FlexpaLink::load().await` is the same load as a future.
//!
//! (A real app sends the token to its backend instead of logging it: see examples/vanilla.)

use flexpa_link::{Error, FlexpaLink, LinkConfig};
use gloo_events::EventListener;

/// Your publishable key (Flexpa Portal → API keys).
const PUBLISHABLE_KEY: &str = "pk_test_minimal_example";

fn main() {
    // The page lives as long as the app, so the callback is never cancelled.
    FlexpaLink::load_with(|result| {
        if let Err(e) = result.and_then(ready) {
            web_sys::console::error_1(&e.to_string().into());
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
    // The listener owns the session; both live as long as the page.
    EventListener::new(&button, "click", move |_| {
        let _ = session.open();
    })
    .forget();
    Ok(())
}
