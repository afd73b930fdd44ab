//! Browser benchmark harness (see `bench/js/browser.mjs`): the crate's `load()` and
//! create/open/close cycles, exported to the page that measures them.

use std::cell::RefCell;

use flexpa_link::{FlexpaLink, LinkConfig, ScriptLoader};
use wasm_bindgen::prelude::*;

thread_local! {
    static LINK: RefCell<Option<FlexpaLink>> = const { RefCell::new(None) };
}

fn js_error(e: flexpa_link::Error) -> JsValue {
    JsValue::from_str(&e.to_string())
}

/// `ScriptLoader::new().src(src).load()`: resolves once `window.FlexpaLink` is ready.
#[wasm_bindgen]
pub async fn load(src: String) -> Result<(), JsValue> {
    let link = ScriptLoader::new()
        .src(src)
        .load()
        .await
        .map_err(js_error)?;
    LINK.with(|l| *l.borrow_mut() = Some(link));
    Ok(())
}

/// `n` cycles of create (with `on_success`, `on_exit` and `on_load` callbacks), open, close,
/// drop. Returns how many public tokens the callbacks saw (always 0 here: nobody links).
#[wasm_bindgen]
pub fn cycles(n: u32) -> Result<u32, JsValue> {
    let link = LINK
        .with(|l| l.borrow().clone())
        .ok_or_else(|| JsValue::from_str("call load() first"))?;
    let seen = std::rc::Rc::new(std::cell::Cell::new(0u32));
    for _ in 0..n {
        let on_success = seen.clone();
        let session = link
            .create(
                LinkConfig::new("pk_test_bench")
                    .map_err(js_error)?
                    .on_success(move |_token| on_success.set(on_success.get() + 1))
                    .on_exit(|_reason| {})
                    .on_load(|| {}),
            )
            .map_err(js_error)?;
        session.open().map_err(js_error)?;
        session.close().map_err(js_error)?;
        drop(session);
    }
    Ok(seen.get())
}

thread_local! {
    static PROBE: RefCell<Option<flexpa_link::LinkSession>> = const { RefCell::new(None) };
}

/// Creates and opens one session and keeps it, so the page can check that its counters see
/// the iframe and the `message` listener. [`close_probe`] closes and drops it.
#[wasm_bindgen]
pub fn open_probe() -> Result<(), JsValue> {
    let link = LINK
        .with(|l| l.borrow().clone())
        .ok_or_else(|| JsValue::from_str("call load() first"))?;
    let session = link
        .create(
            LinkConfig::new("pk_test_bench")
                .map_err(js_error)?
                .on_success(|_| {}),
        )
        .map_err(js_error)?;
    session.open().map_err(js_error)?;
    PROBE.with(|p| *p.borrow_mut() = Some(session));
    Ok(())
}

/// Closes and drops the session [`open_probe`] made.
#[wasm_bindgen]
pub fn close_probe() {
    PROBE.with(|p| p.borrow_mut().take());
}
