//! The size benchmark's baseline: what `examples/minimal` does, written by hand with only
//! `wasm-bindgen`, `js-sys` and `web-sys`, the way a careful developer would without the crate.
//!
//! Inject the Flexpa Link script, create Link with an `onSuccess` that logs the public token,
//! and open it when `#link-button` is clicked. Errors are reported on the console, not
//! swallowed; the page-lifetime callbacks are leaked on purpose (`forget`), as is usual for a
//! handler that lives as long as the page.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{console, Document, HtmlScriptElement};

/// The published Flexpa Link script.
const SCRIPT_SRC: &str = "https://js.flexpa.com/v1/";
/// Your publishable key (Flexpa Portal → API keys).
const PUBLISHABLE_KEY: &str = "pk_test_minimal_example";

#[wasm_bindgen]
extern "C" {
    /// `FlexpaLink.create(config)`; throws a string when a required key is missing.
    #[wasm_bindgen(js_namespace = FlexpaLink, js_name = create, catch)]
    fn flexpa_create(config: &Object) -> Result<(), JsValue>;

    /// `FlexpaLink.open()`; throws when `create` was not called.
    #[wasm_bindgen(js_namespace = FlexpaLink, js_name = open, catch)]
    fn flexpa_open() -> Result<(), JsValue>;
}

/// Callback style (the baseline): the script's `onload` creates Link.
#[cfg(not(feature = "async"))]
#[wasm_bindgen(start)]
fn start() -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let script: HtmlScriptElement = document.create_element("script")?.unchecked_into();
    script.set_src(SCRIPT_SRC);
    script.set_async(true);
    let on_load = Closure::once_into_js({
        let document = document.clone();
        move || {
            if let Err(e) = ready(&document) {
                console::error_2(&"Flexpa Link:".into(), &e);
            }
        }
    });
    script.set_onload(Some(on_load.unchecked_ref()));
    let on_error = Closure::once_into_js(move || {
        console::error_2(&"Flexpa Link: could not load".into(), &SCRIPT_SRC.into());
    });
    script.set_onerror(Some(on_error.unchecked_ref()));
    document.head().ok_or("no head")?.append_child(&script)?;
    Ok(())
}

/// Async style (feature `async`, an informational second baseline): the same app awaiting the
/// script's load as a `Promise`, with js-sys's own executor (`js_sys::futures`), as an async
/// `load().await` API needs.
#[cfg(feature = "async")]
#[wasm_bindgen(start)]
fn start() {
    js_sys::futures::spawn_local(async {
        if let Err(e) = load_and_wire().await {
            console::error_2(&"Flexpa Link:".into(), &e);
        }
    });
}

#[cfg(feature = "async")]
async fn load_and_wire() -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let script: HtmlScriptElement = document.create_element("script")?.unchecked_into();
    script.set_src(SCRIPT_SRC);
    script.set_async(true);
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        script.set_onload(Some(&resolve));
        script.set_onerror(Some(&reject));
    });
    document.head().ok_or("no head")?.append_child(&script)?;
    js_sys::futures::JsFuture::from(loaded)
        .await
        .map_err(|_| JsValue::from_str("could not load the Flexpa Link script"))?;
    ready(&document)
}

/// The script has loaded: create Link and wire the button.
fn ready(document: &Document) -> Result<(), JsValue> {
    let config = Object::new();
    Reflect::set(&config, &"publishableKey".into(), &PUBLISHABLE_KEY.into())?;
    let on_success = Closure::<dyn FnMut(String)>::new(|token: String| {
        console::log_1(&token.into());
    });
    Reflect::set(&config, &"onSuccess".into(), on_success.as_ref())?;
    flexpa_create(&config)?;
    on_success.forget();

    let button = document
        .get_element_by_id("link-button")
        .ok_or("no #link-button")?;
    // As in examples/minimal, a failed open is ignored (it can only fail before `create`).
    let on_click = Closure::<dyn FnMut()>::new(|| {
        let _ = flexpa_open();
    });
    button.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())?;
    on_click.forget();
    Ok(())
}
