//! The raw wasm-bindgen view of `core.js`, the browser core, and nothing more: the state
//! machines live there, the typed API over them in `script.rs` and `session.rs`.
//!
//! `core.js` is shipped to every app as written (wasm-bindgen copies it next to the glue), so
//! its comments are short and its design notes are here.
//!
//! **Ownership.** Rust owns every closure it hands over and frees it; `core.js` calls one only
//! while Rust owns it: a load waiter's `done` until it ran or was [`cancel`]led (then Rust
//! drops it, from inside its own call if need be: wasm-bindgen defers the free), a session's
//! `notify` until `retire` (a newer session, or the Rust handle dropped), after which `core.js`
//! has let go of it and the detached global holds no-op functions instead.
//!
//! **Errors** cross as arrays `[code, ...details]`, decoded by `Error::from_js`:
//! 1 no window; 2 script failed `[2, src]`; 3 missing global `[3, src]`; 4 timeout
//! `[4, src, ms]`; 5 invalid global `[5, reason index]`; 6 DOM; 7 superseded; 8 exited
//! `[8, reason]`; 9 closed; 10 session dropped; 11 thrown `[11, method index, name, message]`;
//! 12 tag options not applied `[12, src]` (made by `script.rs`, delivered by `load`).
//!
//! **Loader.** One tag per `src`, ever: `src` is resolved against the page as the browser
//! will (so `/v1/` and its absolute URL are one script); concurrent loads share one in-flight
//! load; a tag the page already has is reused and awaited; nothing is injected when the global
//! exists. A failed load (error event, no global, timeout) removes its tag so that a later load
//! retries. Results known at once are delivered from a zero-delay timer: `done` never runs
//! before `load` returns. Timeouts of 2^31 ms or more wait 2^31 - 1 ms (`setTimeout` would
//! fire at once).
//!
//! **Sessions.** The global is a singleton: `create` retires the live session first (closes its
//! iframe, detaches its callbacks, fails its futures), and clears the optional keys the previous
//! `create` set and this one does not (the global keeps every key it was given). Each opening
//! delivers one outcome: the first `onSuccess` or `onExit` (a leaky script repeats them), one
//! `onLoad`. The iframe watcher: both published scripts append the iframe (or a box holding
//! it) to the body on `open`; when it leaves the page and nothing ended the opening, the script
//! closed Link without telling (the version published on npm as `@flexpa/link` 0.0.8 does so
//! on a cancel), which is reported as an exit without a reason. Mutation records arrive in a
//! microtask, after a script's synchronous `close(); onSuccess(token)`, so a real outcome wins.
//! `detach` points the global's callbacks at no-ops and re-runs `create` with them, for a
//! script that kept the config object instead of copying it.
//!
//! On native targets these imports exist but must not be called: every entry point returns
//! [`Error::NoWindow`](super::Error::NoWindow) first.

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
    /// global or an error array, once and later, unless [`cancel`]led first. With a `refused`
    /// error array, nothing is loaded: `done` gets that array, later all the same.
    pub(crate) fn load(
        src: &str,
        nonce: Option<&str>,
        integrity: Option<&str>,
        crossorigin: Option<&str>,
        timeout_ms: f64,
        done: &Closure<dyn Fn(u32, JsValue)>,
        refused: &JsValue,
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
