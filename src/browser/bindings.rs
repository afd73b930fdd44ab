//! The raw wasm-bindgen view of `core.js`, the browser core, and nothing more: the state
//! machines live there, the typed API over them in `script.rs` and `session.rs`.
//!
//! Functions marked `catch` throw the error arrays that [`Error::from_js`](super::Error)
//! decodes. On native targets these imports exist but must not be called: every entry point
//! returns [`Error::NoWindow`](super::Error::NoWindow) first.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/browser/core.js")]
extern "C" {
    /// The `window.FlexpaLink` singleton defined by `https://js.flexpa.com/v1/`.
    #[derive(Debug, Clone)]
    pub(crate) type FlexpaLinkGlobal;

    /// One `FlexpaLink.create`d session in `core.js`.
    #[derive(Debug)]
    pub(crate) type Session;

    /// The global, `undefined` when it is not defined (yet), or an error array.
    #[wasm_bindgen(js_name = readGlobal)]
    pub(crate) fn read_global() -> JsValue;

    /// Starts or joins a load; returns the waiter id (never 0). `done` gets that id and the
    /// global or an error array, once and later, unless [`cancel`]led first.
    pub(crate) fn load(
        src: &str,
        nonce: Option<&str>,
        integrity: Option<&str>,
        crossorigin: Option<&str>,
        timeout_ms: f64,
        done: &Closure<dyn Fn(u32, JsValue)>,
    ) -> u32;

    /// Forgets a waiter: its `done` is never called.
    pub(crate) fn cancel(id: u32);

    /// `FlexpaLink.create(config)` with the session's handlers; `notify(event, payload)` gets
    /// the session's events until it is retired.
    #[wasm_bindgen(catch)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn create(
        global: &FlexpaLinkGlobal,
        notify: &Closure<dyn Fn(u32, JsValue)>,
        publishable_key: &str,
        user_external_id: Option<&str>,
        usage: Option<&str>,
        endpoint: Option<&str>,
        strict: Option<bool>,
        auto_exit: Option<bool>,
        extras: &JsValue,
    ) -> Result<Session, JsValue>;

    #[wasm_bindgen(method, structural, catch)]
    pub(crate) fn open(this: &Session, endpoint: Option<&str>) -> Result<(), JsValue>;

    #[wasm_bindgen(method, structural, catch)]
    pub(crate) fn close(this: &Session) -> Result<(), JsValue>;

    #[wasm_bindgen(method, structural, catch)]
    pub(crate) fn exit(this: &Session) -> Result<(), JsValue>;

    /// A promise of the current (or next) opening's token.
    #[wasm_bindgen(method, structural)]
    pub(crate) fn token(this: &Session) -> js_sys::Promise;

    /// Makes the session inert with the error code `code`; it never calls `notify` again.
    #[wasm_bindgen(method, structural)]
    pub(crate) fn retire(this: &Session, code: u32);

    #[wasm_bindgen(method, structural, getter)]
    pub(crate) fn live(this: &Session) -> bool;

    #[wasm_bindgen(method, structural, getter, js_name = isOpen)]
    pub(crate) fn is_open(this: &Session) -> bool;
}

/// The events `notify` receives (`SUCCESS`, `EXIT`, `LOAD` in core.js).
pub(crate) const SUCCESS: u32 = 0;
pub(crate) const EXIT: u32 = 1;
pub(crate) const LOAD: u32 = 2;

/// The error code of a session dropped by its owner (`E_SESSION_DROPPED` in core.js).
pub(crate) const E_SESSION_DROPPED: u32 = 10;
