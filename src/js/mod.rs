//! The JavaScript API of the npm package (feature `js`, wasm32 only).
//!
//! Built with `wasm-pack build --target web --features js` (see `package.json`). From
//! JavaScript:
//!
//! ```js
//! import init, { loadFlexpaLink } from "flexpa-link";
//!
//! await init();                                   // instantiate the wasm module once
//! const link = await loadFlexpaLink();            // injects https://js.flexpa.com/v1/ once
//! const session = link.create({
//!   publishableKey: "pk_test_...",
//!   onSuccess: (publicToken) => fetch("/api/exchange", { method: "POST", body: publicToken }),
//!   onExit: (reason) => console.log("exited", reason),
//! });
//! button.onclick = () => session.open();
//! const token = await session.publicToken();      // or use onSuccess: the same token
//! ```
//!
//! Every error is a JavaScript `Error` with `name === "FlexpaLinkError"` and a stable `code`
//! (see [`error_code`]). The live session stays alive without a JavaScript reference (Flexpa
//! Link is one global); `destroy()` closes it and frees its callbacks, and creating a new
//! session replaces it.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

mod config;
mod error;

use config::{field, link_config, string_field};
pub use error::error_code;
use error::{config_error, destroyed, to_js_error, ERROR_NAME};

use crate::{CrossOrigin, ScriptLoader};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options of `loadFlexpaLink()`: how the Flexpa Link script is injected. */
export interface LoadOptions {
  /** The script URL. Default: `"https://js.flexpa.com/v1/"`. Relative URLs resolve against the page. */
  src?: string;
  /** The `nonce` attribute of the `<script>` tag, for a Content Security Policy with nonces. */
  nonce?: string;
  /** A Subresource Integrity hash (`"sha384-..."`). Implies `crossOrigin: "anonymous"` unless set. */
  integrity?: string;
  /** The `crossorigin` attribute of the `<script>` tag. */
  crossOrigin?: "anonymous" | "use-credentials";
  /** How long to wait for the script, in milliseconds. Default: 15000. */
  timeoutMs?: number;
}

/** `usage`: `"ONE_TIME"` (a single read) or `"MULTIPLE"` (continued access, with a refresh token). */
export type Usage = "ONE_TIME" | "MULTIPLE";

/** The configuration of `FlexpaLink.create(config)`. */
export interface LinkConfig {
  /** Your publishable key: `pk_test_...` or `pk_live_...`. */
  publishableKey: string;
  /** Your own id for the user, returned by introspection. */
  user?: { externalId: string };
  usage?: Usage;
  /** The id of a health plan to preselect. */
  endpoint?: string;
  /** Flexpa's default: `true`. */
  strict?: boolean;
  /** Flexpa's default: `true`. */
  autoExit?: boolean;
  /** Called with the public token, once per opening. Send it to your backend. */
  onSuccess?: (publicToken: string) => void;
  /** Called when the user leaves without linking, with what Link reported (a string, or its payload as JSON). */
  onExit?: (reason: string | undefined) => void;
  /** Called when the Link app inside the iframe has loaded. */
  onLoad?: () => void;
}

/** The `code` of every error this package throws or rejects with. */
export type FlexpaLinkErrorCode =
  | "NO_WINDOW"        // not in a page (a worker, server-side rendering)
  | "SCRIPT_FAILED"    // the script's `error` event: network, HTTP error, CSP, integrity
  | "MISSING_GLOBAL"   // the script loaded but defined no `window.FlexpaLink`
  | "TIMEOUT"          // the script did not load within `timeoutMs`
  | "INVALID_GLOBAL"   // `window.FlexpaLink` is not a Flexpa Link object
  | "INVALID_VALUE"    // a key or token did not validate (e.g. a secret key as publishableKey)
  | "INVALID_CONFIG"   // a LinkConfig or LoadOptions field has the wrong type or value
  | "RESERVED_OPTION"  // an extra option used a reserved key
  | "INVALID_OPTION"   // an extra option's JSON value does not parse
  | "LOAD_ABANDONED"   // the script load ended without a result
  | "THROWN"           // a method of `window.FlexpaLink` threw
  | "DOM"              // a DOM operation failed
  | "SUPERSEDED"       // a newer session replaced this one
  | "DESTROYED"        // `destroy()` was called on this session
  | "EXITED"           // the user left Link without linking
  | "CLOSED"           // `close()` was called before a token arrived
  | "SESSION_DROPPED"  // the session went away before a token arrived
  | "INVALID_TOKEN"    // Link delivered something that is not a public token
  | "TAG_OPTIONS_NOT_APPLIED"; // nonce/integrity/crossOrigin asked for, but the script came from a tag without them

/** Every error of this package: a plain `Error` with a stable `name` and `code`. */
export interface FlexpaLinkError extends Error {
  name: "FlexpaLinkError";
  code: FlexpaLinkErrorCode;
  /** The script URL (`SCRIPT_FAILED`, `MISSING_GLOBAL`, `TIMEOUT`, `TAG_OPTIONS_NOT_APPLIED`). */
  src?: string;
  /** The timeout that elapsed, in milliseconds (`TIMEOUT`). */
  timeoutMs?: number;
  /** What Link reported on exit, if anything (`EXITED`). */
  reason?: string;
  /** The method of `window.FlexpaLink` that threw (`THROWN`). */
  method?: string;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `LoadOptions` (see the TypeScript section).
    #[wasm_bindgen(typescript_type = "LoadOptions")]
    #[derive(Debug)]
    pub type LoadOptions;

    /// `LinkConfig` (see the TypeScript section).
    #[wasm_bindgen(typescript_type = "LinkConfig")]
    #[derive(Debug)]
    pub type JsLinkConfig;
}

/// Loads the Flexpa Link script once (or reuses it) and resolves to a handle on it.
///
/// Concurrent calls share one load; a failed load removes its tag, so calling again retries.
#[wasm_bindgen(js_name = loadFlexpaLink, unchecked_return_type = "Promise<FlexpaLink>")]
pub fn load_flexpa_link(options: Option<LoadOptions>) -> js_sys::Promise {
    let loader = options
        .map(|o| loader(o.as_ref()))
        .unwrap_or_else(|| Ok(ScriptLoader::new()));
    wasm_bindgen_futures::future_to_promise(async move {
        let link = loader?.load().await.map_err(to_js_error)?;
        Ok(FlexpaLink { link }.into())
    })
}

fn loader(options: &JsValue) -> Result<ScriptLoader, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(ScriptLoader::new());
    }
    if !options.is_object() {
        return Err(config_error("loadFlexpaLink options must be an object"));
    }
    let mut loader = ScriptLoader::new();
    if let Some(src) = string_field(options, "src")? {
        loader = loader.src(src);
    }
    if let Some(nonce) = string_field(options, "nonce")? {
        loader = loader.nonce(nonce);
    }
    if let Some(integrity) = string_field(options, "integrity")? {
        loader = loader.integrity(integrity);
    }
    match string_field(options, "crossOrigin")?.as_deref() {
        None => {}
        Some("anonymous") => loader = loader.crossorigin(CrossOrigin::Anonymous),
        Some("use-credentials") => loader = loader.crossorigin(CrossOrigin::UseCredentials),
        Some(_) => {
            return Err(config_error(
                r#"crossOrigin must be "anonymous" or "use-credentials""#,
            ))
        }
    }
    let timeout = field(options, "timeoutMs")?;
    if !timeout.is_undefined() {
        match timeout.as_f64() {
            Some(ms) if ms.is_finite() && ms >= 0.0 => {
                loader = loader.timeout(core::time::Duration::from_millis(ms as u64));
            }
            _ => return Err(config_error("timeoutMs must be a non-negative number")),
        }
    }
    Ok(loader)
}

/// The loaded `window.FlexpaLink`. Get one with `loadFlexpaLink()`.
#[wasm_bindgen]
#[derive(Debug)]
pub struct FlexpaLink {
    link: crate::FlexpaLink,
}

#[wasm_bindgen]
impl FlexpaLink {
    /// Creates Flexpa Link (`FlexpaLink.create(config)`) and returns the session.
    ///
    /// The global is a singleton: a session created earlier is replaced (its iframe closed,
    /// its callbacks detached, its methods throwing `SUPERSEDED`).
    pub fn create(&self, config: JsLinkConfig) -> Result<LinkSession, JsValue> {
        let config = link_config(config.as_ref())?;
        let session = Rc::new(self.link.create(config).map_err(to_js_error)?);
        LIVE.with(|live| *live.borrow_mut() = Some(session.clone()));
        Ok(LinkSession {
            session: RefCell::new(Some(session)),
        })
    }
}

thread_local! {
    /// The live session, kept alive for as long as it is live even when JavaScript holds no
    /// reference to it (the global keeps calling it): replaced by the next `create`, emptied
    /// by `destroy()`.
    static LIVE: RefCell<Option<Rc<crate::LinkSession>>> = const { RefCell::new(None) };
}

/// A created Flexpa Link session.
///
/// The live session keeps working without a JavaScript reference (the global calls it);
/// `destroy()` closes Link and detaches the callbacks. `free()` only releases this handle.
#[wasm_bindgen]
#[derive(Debug)]
pub struct LinkSession {
    session: RefCell<Option<Rc<crate::LinkSession>>>,
}

#[wasm_bindgen]
impl LinkSession {
    /// Opens the Flexpa Link iframe. Call it from a user action such as a click. Does nothing
    /// if it is already open.
    pub fn open(&self) -> Result<(), JsValue> {
        self.with(|s| s.open())
    }

    /// Opens Flexpa Link with a health plan preselected, for this opening only.
    #[wasm_bindgen(js_name = openWithEndpoint)]
    pub fn open_with_endpoint(&self, endpoint_id: &str) -> Result<(), JsValue> {
        self.with(|s| s.open_with_endpoint(endpoint_id))
    }

    /// Removes the iframe without calling `onExit`; `publicToken()` promises of this opening
    /// reject with `CLOSED`.
    pub fn close(&self) -> Result<(), JsValue> {
        self.with(|s| s.close())
    }

    /// Closes the iframe and calls `onExit`, as if the user had left.
    pub fn exit(&self) -> Result<(), JsValue> {
        self.with(|s| s.exit())
    }

    /// The public token of the current opening (or the next one), the same one `onSuccess`
    /// receives. Rejects with `EXITED`, `CLOSED`, `SUPERSEDED`, `DESTROYED` or
    /// `SESSION_DROPPED` once the opening ends without one: it never hangs.
    #[wasm_bindgen(js_name = publicToken, unchecked_return_type = "Promise<string>")]
    pub fn public_token(&self) -> js_sys::Promise {
        let future = match &*self.session.borrow() {
            Some(session) => session.public_token(),
            None => return js_sys::Promise::reject(&destroyed()),
        };
        wasm_bindgen_futures::future_to_promise(async move {
            let token = future.await.map_err(to_js_error)?;
            Ok(JsValue::from_str(token.expose_secret()))
        })
    }

    /// Whether this is the live session (not replaced by a newer one, nor destroyed).
    #[wasm_bindgen(getter, js_name = isLive)]
    pub fn is_live(&self) -> bool {
        self.session.borrow().as_ref().is_some_and(|s| s.is_live())
    }

    /// Whether the iframe is open.
    #[wasm_bindgen(getter, js_name = isOpen)]
    pub fn is_open(&self) -> bool {
        self.session.borrow().as_ref().is_some_and(|s| s.is_open())
    }

    /// Closes Link if it is open, detaches the callbacks and makes this session inert (its
    /// methods throw `DESTROYED`). Call it when the page part that owns Link goes away.
    /// Idempotent.
    pub fn destroy(&self) {
        let Some(session) = self.session.borrow_mut().take() else {
            return;
        };
        LIVE.with(|live| {
            let mut live = live.borrow_mut();
            if live.as_ref().is_some_and(|l| Rc::ptr_eq(l, &session)) {
                *live = None;
            }
        });
        // The last reference: dropping it closes the iframe and frees the callbacks.
        drop(session);
    }
}

impl LinkSession {
    fn with(
        &self,
        f: impl FnOnce(&crate::LinkSession) -> crate::browser::Result<()>,
    ) -> Result<(), JsValue> {
        // Clone the Rc so that a callback that runs inside `f` may call `destroy()`.
        let session = self.session.borrow().clone().ok_or_else(destroyed)?;
        f(&session).map_err(to_js_error)
    }
}

/// Whether `value` is an error thrown or rejected by this package.
#[wasm_bindgen(js_name = isFlexpaLinkError, unchecked_return_type = "value is FlexpaLinkError")]
pub fn is_flexpa_link_error(value: &JsValue) -> bool {
    value.is_instance_of::<js_sys::Error>()
        && value.unchecked_ref::<js_sys::Error>().name() == ERROR_NAME
        && field(value, "code").is_ok_and(|c| c.is_string())
}
