//! A created Flexpa Link: [`LinkSession`] owns the callbacks it gave the global, opens and
//! closes the iframe, and hands out the public token as a callback and as a future.
//!
//! The session's state machine (one live session, once per opening, the iframe watcher,
//! retiring) is `Session` in `core.js`; this module owns the Rust callbacks it calls and turns
//! what it reports into typed values.

use core::cell::Cell;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_channel::oneshot;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::credentials::{InvalidValue, PublicToken};

use super::bindings::{self, FlexpaLinkGlobal, Session, EXIT, LOAD, SUCCESS};
use super::config::{ExitFn, LinkConfig, LoadFn, OptionValue, SuccessFn};
use super::error::{Error, Result};

/// The reason `on_exit` gets when Link's `SUCCESS` carried something that is not a public
/// token: the opening is over without one (see [`LinkConfig::on_exit`]).
pub const INVALID_TOKEN_EXIT: &str = "INVALID_TOKEN";

/// A created Flexpa Link: the handle on the current `FlexpaLink.create(config)`.
///
/// `window.FlexpaLink` is a singleton, so only the most recently created session is live;
/// creating another one closes this one's iframe and makes this handle inert (its methods
/// return [`Error::Superseded`]).
///
/// Dropping a live session closes its iframe if it is open and points the global's callbacks
/// at a no-op before freeing the Rust closures, so a message that arrives later neither calls
/// freed code nor throws.
#[must_use = "dropping a LinkSession closes Flexpa Link if it is open and detaches its callbacks: \
              keep it for as long as the user may link"]
pub struct LinkSession {
    session: Session,
    /// The callbacks `core.js` calls until the session is retired; freed with the session,
    /// after `retire` made `core.js` forget them.
    _notify: Closure<dyn Fn(u32, JsValue)>,
}

/// The app's callbacks, each taken out while it runs: a callback may call back into the
/// session (or drop it) without a borrow held, and no `RefCell` can fail.
struct Callbacks {
    on_success: Cell<Option<SuccessFn>>,
    on_exit: Cell<Option<ExitFn>>,
    on_load: Cell<Option<LoadFn>>,
}

impl Callbacks {
    /// One event of the live session: `core.js` already made it once per opening.
    fn event(&self, event: u32, payload: JsValue) {
        match event {
            SUCCESS => match payload.as_string().map(PublicToken::new) {
                Some(Ok(token)) => call(&self.on_success, |f| f(token)),
                // The opening ended without a token: an app that only has callbacks hears of
                // it through `on_exit` (the future gets `Error::InvalidToken`).
                _ => call(&self.on_exit, |f| f(Some(INVALID_TOKEN_EXIT.into()))),
            },
            EXIT => call(&self.on_exit, |f| f(payload.as_string())),
            LOAD => call(&self.on_load, |f| f()),
            _ => {}
        }
    }
}

/// Runs the callback in `slot`, if any, taken out meanwhile. A session's callbacks are fixed at
/// `create`, so unlike the controller's `call` this need not keep a newer one set while it ran;
/// sharing that version would make the minimal app bigger (`cargo xtask bench size`).
fn call<F: ?Sized>(slot: &Cell<Option<Box<F>>>, run: impl FnOnce(&mut Box<F>)) {
    if let Some(mut callback) = slot.take() {
        run(&mut callback);
        slot.set(Some(callback));
    }
}

/// What `onSuccess` received, as a public token.
fn token(payload: JsValue) -> Result<PublicToken> {
    match payload.as_string() {
        Some(token) => PublicToken::new(token).map_err(Error::InvalidToken),
        None => Err(Error::InvalidToken(InvalidValue::new(
            "public token",
            "onSuccess received something that is not a string",
        ))),
    }
}

pub(crate) fn create(global: &FlexpaLinkGlobal, config: LinkConfig) -> Result<LinkSession> {
    config.validate()?;
    let LinkConfig {
        publishable_key,
        user_external_id,
        usage,
        endpoint,
        strict,
        auto_exit,
        options,
        on_success,
        on_exit,
        on_load,
    } = config;
    let extras = extras(options)?;
    let callbacks = Callbacks {
        on_success: Cell::new(on_success),
        on_exit: Cell::new(on_exit),
        on_load: Cell::new(on_load),
    };
    let notify =
        Closure::<dyn Fn(u32, JsValue)>::new(move |event, payload| callbacks.event(event, payload));
    let session = bindings::create(
        global,
        &notify,
        publishable_key.as_str(),
        user_external_id.as_deref(),
        usage.map(|u| u.as_str()),
        endpoint.as_deref(),
        strict,
        auto_exit,
        &extras,
    )
    .map_err(|thrown| Error::from_js(&thrown))?;
    Ok(LinkSession {
        session,
        _notify: notify,
    })
}

/// The passthrough options as one object (`undefined` when there are none).
fn extras(options: Vec<(String, OptionValue)>) -> Result<JsValue> {
    if options.is_empty() {
        return Ok(JsValue::UNDEFINED);
    }
    let object = js_sys::Object::new();
    for (key, value) in options {
        let value = match value {
            OptionValue::Bool(b) => JsValue::from_bool(b),
            OptionValue::Number(n) => JsValue::from_f64(n),
            OptionValue::String(s) => JsValue::from_str(&s),
            // Concatenated, not `format!`: see BENCHMARKS.md on `core::fmt`.
            OptionValue::Json(json) => {
                js_sys::JSON::parse(&json).map_err(|_| Error::InvalidOption(key.clone()))?
            }
        };
        js_sys::Reflect::set(&object, &JsValue::from_str(&key), &value)
            .map_err(|_| Error::Dom("building the config object threw"))?;
    }
    Ok(object.into())
}

impl LinkSession {
    /// Opens the Flexpa Link iframe (`FlexpaLink.open()`). Does nothing if it is already open.
    pub fn open(&self) -> Result<()> {
        self.session.open(None).map_err(|e| Error::from_js(&e))
    }

    /// Opens Flexpa Link with a health plan preselected, for this opening only
    /// (`FlexpaLink.open({ endpoint })`).
    pub fn open_with_endpoint(&self, endpoint_id: &str) -> Result<()> {
        self.session
            .open(Some(endpoint_id))
            .map_err(|e| Error::from_js(&e))
    }

    /// Removes the iframe without calling `onExit` (`FlexpaLink.close()`). Futures still
    /// waiting for this opening's token resolve to [`Error::Closed`].
    pub fn close(&self) -> Result<()> {
        self.session.close().map_err(|e| Error::from_js(&e))
    }

    /// Closes the iframe and calls `onExit` (`FlexpaLink.exit()`), as if the user had left.
    ///
    /// On a version of the script without `exit` (the one published on npm as `@flexpa/link`
    /// 0.0.8), the crate does the same itself: `FlexpaLink.close()`, then `on_exit(None)`.
    pub fn exit(&self) -> Result<()> {
        self.session.exit().map_err(|e| Error::from_js(&e))
    }

    /// The public token of the current opening (or of the next one, if none is under way),
    /// as a future. It resolves to the same token `on_success` receives, or to
    /// [`Error::Exited`], [`Error::Closed`], [`Error::Superseded`],
    /// [`Error::SessionDropped`] or [`Error::InvalidToken`]: it never hangs once the opening
    /// is over.
    ///
    /// Any number of futures can wait at once; they all get the same outcome. A future
    /// dropped unresolved is freed when the opening ends.
    pub fn public_token(&self) -> PublicTokenFuture {
        // The promise is awaited by a local task that forwards its outcome through a channel,
        // so that the future itself holds no JavaScript value and stays `Send`, as it was.
        let promise = JsFuture::from(self.session.token());
        let (sender, receiver) = oneshot::channel();
        wasm_bindgen_futures::spawn_local(async move {
            let outcome = match promise.await {
                Ok(payload) => token(payload),
                Err(error) => Err(Error::from_js(&error)),
            };
            let _ = sender.send(outcome);
        });
        PublicTokenFuture { receiver }
    }

    /// Whether this is the live session (not superseded by a newer one, nor dropped).
    pub fn is_live(&self) -> bool {
        self.session.live()
    }

    /// Whether the iframe is open, as far as this session knows.
    pub fn is_open(&self) -> bool {
        self.session.is_open()
    }
}

impl Drop for LinkSession {
    fn drop(&mut self) {
        // Closes the iframe, detaches the global's callbacks and makes core.js forget
        // `notify`, which is freed right after. Does nothing to a superseded session.
        self.session.retire(bindings::E_SESSION_DROPPED);
    }
}

impl fmt::Debug for LinkSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkSession")
            .field("live", &self.is_live())
            .field("open", &self.is_open())
            .finish_non_exhaustive()
    }
}

/// The public token as a future: see [`LinkSession::public_token`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct PublicTokenFuture {
    receiver: oneshot::Receiver<Result<PublicToken>>,
}

impl Future for PublicTokenFuture {
    type Output = Result<PublicToken>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.receiver)
            .poll(cx)
            .map(|outcome| outcome.unwrap_or(Err(Error::SessionDropped)))
    }
}
