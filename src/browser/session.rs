//! A created Flexpa Link: [`LinkSession`] owns the callbacks it gave the global, opens and
//! closes the iframe, and hands out the public token as a callback and as a future.

use core::cell::{Cell, RefCell};
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::rc::{Rc, Weak};

use futures_channel::oneshot;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::credentials::PublicToken;

use super::config::{ExitFn, LinkConfig, LoadFn, OptionValue, SuccessFn};
use super::error::{Error, Result};
use super::global::{self, FlexpaLinkGlobal};

thread_local! {
    /// The live session: `window.FlexpaLink` is a singleton, so there is at most one.
    static LIVE: RefCell<Weak<Inner>> = const { RefCell::new(Weak::new()) };
    /// The optional config keys the last `create` set, so that the next one clears those it
    /// does not set (the global keeps every key it was ever given).
    static SET_KEYS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// A created Flexpa Link: the handle on the current `FlexpaLink.create(config)`.
///
/// `window.FlexpaLink` is a singleton, so only the most recently created session is live;
/// creating another one closes this one's iframe and makes this handle inert (its methods
/// return [`Error::Superseded`]).
///
/// Dropping a live session closes its iframe if it is open and points the global's callbacks
/// at a built-in no-op before freeing the Rust closures, so a message that arrives later
/// neither calls freed code nor throws.
#[must_use = "dropping a LinkSession closes Flexpa Link if it is open and detaches its callbacks: \
              keep it for as long as the user may link"]
pub struct LinkSession {
    inner: Rc<Inner>,
}

struct Inner {
    global: FlexpaLinkGlobal,
    live: Cell<bool>,
    state: RefCell<State>,
    /// Watches `document.body` for the iframe of the current opening leaving the page; see
    /// [`Inner::iframe_removed`]. `None` where `MutationObserver` is missing.
    watcher: Option<web_sys::MutationObserver>,
    /// The closures the global (and the watcher) hold. Owned here, freed when the session is.
    trampolines: RefCell<Option<Trampolines>>,
}

struct Trampolines {
    _success: Closure<dyn FnMut(JsValue)>,
    _exit: Closure<dyn FnMut(JsValue)>,
    _load: Closure<dyn FnMut(JsValue)>,
    _watch: Closure<dyn FnMut(JsValue)>,
}

#[derive(Default)]
struct State {
    /// Whether the iframe is open, as far as this session knows.
    open: bool,
    /// The current opening got its token or its exit (both are delivered at most once).
    finished: bool,
    /// The current opening reported `LOADED`.
    loaded: bool,
    /// The iframe the script appended for the current opening (or the element holding it),
    /// while it is watched.
    iframe: Option<web_sys::Element>,
    /// How the current opening ended, for futures created after the fact.
    outcome: Option<Result<PublicToken>>,
    /// Futures waiting for the current or next outcome.
    waiters: Vec<oneshot::Sender<Result<PublicToken>>>,
    /// Why this session is no longer live.
    retired: Option<Error>,
    on_success: Option<SuccessFn>,
    on_exit: Option<ExitFn>,
    on_load: Option<LoadFn>,
}

impl State {
    fn settle(
        &mut self,
        outcome: Result<PublicToken>,
    ) -> Vec<oneshot::Sender<Result<PublicToken>>> {
        self.finished = true;
        self.open = false;
        self.outcome = Some(outcome);
        core::mem::take(&mut self.waiters)
    }
}

fn notify(waiters: Vec<oneshot::Sender<Result<PublicToken>>>, outcome: &Result<PublicToken>) {
    for waiter in waiters {
        let _ = waiter.send(outcome.clone());
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

    // The closures hold a Weak: the session owns them, not the other way round.
    let mut trampolines = None;
    let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
        let t = trampolines_for(weak);
        let watcher = web_sys::MutationObserver::new(t._watch.as_ref().unchecked_ref()).ok();
        trampolines = Some(t);
        Inner {
            global: global.clone(),
            live: Cell::new(false),
            state: RefCell::new(State {
                on_success,
                on_exit,
                on_load,
                ..State::default()
            }),
            watcher,
            trampolines: RefCell::new(None),
        }
    });
    let weak = Rc::downgrade(&inner);
    let trampolines = trampolines.expect("set by new_cyclic");

    let object = js_sys::Object::new();
    let set = |key: &str, value: &JsValue| {
        js_sys::Reflect::set(&object, &JsValue::from_str(key), value)
            .map(drop)
            .map_err(|_| Error::Dom("building the config object threw"))
    };
    set(
        "publishableKey",
        &JsValue::from_str(publishable_key.as_str()),
    )?;
    set("onSuccess", trampolines._success.as_ref())?;
    set("onExit", trampolines._exit.as_ref())?;
    set("onLoad", trampolines._load.as_ref())?;

    let mut optional: Vec<(String, JsValue)> = Vec::new();
    if let Some(id) = user_external_id {
        let user = js_sys::Object::new();
        js_sys::Reflect::set(&user, &"externalId".into(), &JsValue::from_str(&id))
            .map_err(|_| Error::Dom("building the config object threw"))?;
        optional.push(("user".into(), user.into()));
    }
    if let Some(usage) = usage {
        optional.push(("usage".into(), JsValue::from_str(usage.as_str())));
    }
    if let Some(endpoint) = endpoint {
        optional.push(("endpoint".into(), JsValue::from_str(&endpoint)));
    }
    if let Some(strict) = strict {
        optional.push(("strict".into(), JsValue::from_bool(strict)));
    }
    if let Some(auto_exit) = auto_exit {
        optional.push(("autoExit".into(), JsValue::from_bool(auto_exit)));
    }
    for (key, value) in options {
        optional.push((key.clone(), option_to_js(&key, value)?));
    }
    // Keys the previous session set and this one does not: clear them, so that the previous
    // session's `endpoint` or `user` cannot leak into this one.
    let stale: Vec<String> = SET_KEYS.with(|keys| {
        keys.borrow()
            .iter()
            .filter(|k| !optional.iter().any(|(o, _)| o == *k))
            .cloned()
            .collect()
    });
    for key in &stale {
        set(key, &JsValue::UNDEFINED)?;
    }
    for (key, value) in &optional {
        set(key, value)?;
    }

    // One live session: retire the previous one before the global forgets its callbacks.
    if let Some(previous) = LIVE.with(|live| live.borrow().upgrade()) {
        previous.retire(Error::Superseded);
    }
    if let Err(thrown) = global.create(&object) {
        // The global may hold some of our closures now; they are about to be freed.
        global::detach_callbacks(global);
        return Err(Error::thrown("create", thrown));
    }
    inner.live.set(true);
    *inner.trampolines.borrow_mut() = Some(trampolines);
    LIVE.with(|live| *live.borrow_mut() = weak);
    SET_KEYS.with(|keys| *keys.borrow_mut() = optional.into_iter().map(|(k, _)| k).collect());
    Ok(LinkSession { inner })
}

/// The closures handed to the global and to the iframe watcher. Each holds a `Weak`, so a call
/// after the session is gone does nothing.
fn trampolines_for(weak: &Weak<Inner>) -> Trampolines {
    Trampolines {
        _success: Closure::new({
            let weak = weak.clone();
            move |payload: JsValue| {
                if let Some(inner) = weak.upgrade() {
                    inner.handle_success(payload);
                }
            }
        }),
        _exit: Closure::new({
            let weak = weak.clone();
            move |payload: JsValue| {
                if let Some(inner) = weak.upgrade() {
                    inner.handle_exit(payload);
                }
            }
        }),
        _load: Closure::new({
            let weak = weak.clone();
            // Same signature as the others: one shim less in the wasm and its JS glue.
            move |_: JsValue| {
                if let Some(inner) = weak.upgrade() {
                    inner.handle_load();
                }
            }
        }),
        _watch: Closure::new({
            let weak = weak.clone();
            move |_records: JsValue| {
                if let Some(inner) = weak.upgrade() {
                    inner.iframe_removed();
                }
            }
        }),
    }
}

fn option_to_js(key: &str, value: OptionValue) -> Result<JsValue> {
    Ok(match value {
        OptionValue::Bool(b) => JsValue::from_bool(b),
        OptionValue::Number(n) => JsValue::from_f64(n),
        OptionValue::String(s) => JsValue::from_str(&s),
        OptionValue::Json(json) => js_sys::JSON::parse(&json)
            .map_err(|_| Error::ReservedOption(format!("{key} (its value is not valid JSON)")))?,
    })
}

/// What `onExit` received, in words: a string as is, nothing as `None`, anything else as JSON.
fn exit_reason(payload: &JsValue) -> Option<String> {
    if payload.is_undefined() || payload.is_null() {
        return None;
    }
    if let Some(s) = payload.as_string() {
        return Some(s);
    }
    js_sys::JSON::stringify(payload)
        .ok()
        .and_then(|s| s.as_string())
}

fn last_body_element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.body()?.last_element_child()
}

impl Inner {
    fn handle_success(&self, payload: JsValue) {
        if !self.live.get() {
            return;
        }
        let outcome = match payload.as_string() {
            Some(token) => PublicToken::new(token).map_err(Error::InvalidToken),
            None => Err(Error::InvalidToken(crate::credentials::InvalidValue::new(
                "public token",
                "onSuccess received something that is not a string",
            ))),
        };
        let (waiters, callback) = {
            let mut state = self.state.borrow_mut();
            if state.finished {
                return; // a second delivery for the same opening
            }
            let waiters = state.settle(outcome.clone());
            let callback = if outcome.is_ok() {
                state.on_success.take()
            } else {
                None
            };
            (waiters, callback)
        };
        notify(waiters, &outcome);
        if let (Ok(token), Some(mut callback)) = (outcome, callback) {
            // No borrow is held: the callback may call back into the session, or drop it.
            callback(token);
            let mut state = self.state.borrow_mut();
            if state.on_success.is_none() {
                state.on_success = Some(callback);
            }
        }
    }

    fn handle_exit(&self, payload: JsValue) {
        if !self.live.get() {
            return;
        }
        let reason = exit_reason(&payload);
        let (waiters, callback) = {
            let mut state = self.state.borrow_mut();
            if state.finished {
                return;
            }
            let waiters = state.settle(Err(Error::Exited {
                reason: reason.clone(),
            }));
            (waiters, state.on_exit.take())
        };
        notify(
            waiters,
            &Err(Error::Exited {
                reason: reason.clone(),
            }),
        );
        if let Some(mut callback) = callback {
            callback(reason);
            let mut state = self.state.borrow_mut();
            if state.on_exit.is_none() {
                state.on_exit = Some(callback);
            }
        }
    }

    fn handle_load(&self) {
        if !self.live.get() {
            return;
        }
        let callback = {
            let mut state = self.state.borrow_mut();
            if state.loaded {
                return;
            }
            state.loaded = true;
            state.on_load.take()
        };
        if let Some(mut callback) = callback {
            callback();
            let mut state = self.state.borrow_mut();
            if state.on_load.is_none() {
                state.on_load = Some(callback);
            }
        }
    }

    fn ensure_live(&self) -> Result<()> {
        if self.live.get() {
            Ok(())
        } else {
            Err(self
                .state
                .borrow()
                .retired
                .clone()
                .unwrap_or(Error::Superseded))
        }
    }

    /// Makes the session inert: closes its iframe, detaches its callbacks from the global and
    /// fails the futures still waiting. Idempotent.
    fn retire(&self, why: Error) {
        if !self.live.replace(false) {
            return;
        }
        let (was_open, waiters) = {
            let mut state = self.state.borrow_mut();
            state.retired = Some(why.clone());
            let was_open = state.open;
            state.open = false;
            (was_open, core::mem::take(&mut state.waiters))
        };
        self.stop_watching();
        if was_open {
            let _ = self.global.close();
        }
        global::detach_callbacks(&self.global);
        LIVE.with(|live| {
            let mut live = live.borrow_mut();
            if core::ptr::eq(live.as_ptr(), self) {
                *live = Weak::new();
            }
        });
        notify(waiters, &Err(why));
    }

    /// Calls `open` on the global (`open_with` when `options` are given) and, when this starts
    /// a new opening, watches the element the script appended to `document.body`.
    fn open(&self, options: Option<&js_sys::Object>) -> Result<()> {
        self.ensure_live()?;
        let starts = !self.state.borrow().open;
        let before = if starts { last_body_element() } else { None };
        let opened = match options {
            Some(options) => self.global.open_with(options),
            None => self.global.open(),
        };
        opened.map_err(|thrown| Error::thrown("open", thrown))?;
        if starts {
            {
                let mut state = self.state.borrow_mut();
                state.open = true;
                state.finished = false;
                state.loaded = false;
                state.outcome = None;
            }
            // Both published versions append the iframe to the body: the body's last element
            // changed means `open` appended it (or a container holding it).
            match last_body_element() {
                Some(appended) if Some(&appended) != before.as_ref() => self.watch(appended),
                _ => self.stop_watching(),
            }
        }
        Ok(())
    }

    /// Watches `document.body`'s children until `appended` leaves it.
    fn watch(&self, appended: web_sys::Element) {
        let (Some(watcher), Some(body)) = (&self.watcher, appended.parent_node()) else {
            return;
        };
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"childList".into(), &JsValue::TRUE);
        if watcher
            .observe_with_options(&body, options.unchecked_ref())
            .is_ok()
        {
            self.state.borrow_mut().iframe = Some(appended);
        }
    }

    fn stop_watching(&self) {
        if let Some(watcher) = &self.watcher {
            watcher.disconnect();
        }
        self.state.borrow_mut().iframe = None;
    }

    /// `document.body` changed while an opening is watched. When its iframe is gone and neither
    /// `onSuccess` nor `onExit` ended the opening, the script closed Link without telling:
    /// the version published on npm as `@flexpa/link` 0.0.8 does so when the user cancels
    /// (its `CLOSED` handler only closes). That is reported as an exit without a reason, so
    /// `on_exit` runs and the token future ends instead of waiting forever.
    ///
    /// Mutation records arrive in a microtask, after the script's synchronous
    /// `close(); onSuccess(token)` or `close(); onExit(payload)`, so those always win.
    fn iframe_removed(&self) {
        if !self.live.get() {
            return;
        }
        let gone = self
            .state
            .borrow()
            .iframe
            .as_ref()
            .is_some_and(|iframe| !iframe.is_connected());
        if gone {
            self.stop_watching();
            // Does nothing when the opening already ended.
            self.handle_exit(JsValue::UNDEFINED);
        }
    }
}

impl LinkSession {
    /// Opens the Flexpa Link iframe (`FlexpaLink.open()`). Does nothing if it is already open.
    pub fn open(&self) -> Result<()> {
        self.inner.open(None)
    }

    /// Opens Flexpa Link with a health plan preselected, for this opening only
    /// (`FlexpaLink.open({ endpoint })`).
    pub fn open_with_endpoint(&self, endpoint_id: &str) -> Result<()> {
        self.inner.ensure_live()?;
        let options = js_sys::Object::new();
        js_sys::Reflect::set(
            &options,
            &"endpoint".into(),
            &JsValue::from_str(endpoint_id),
        )
        .map_err(|_| Error::Dom("building the open options threw"))?;
        self.inner.open(Some(&options))
    }

    /// Removes the iframe without calling `onExit` (`FlexpaLink.close()`). Futures still
    /// waiting for this opening's token resolve to [`Error::Closed`].
    pub fn close(&self) -> Result<()> {
        self.inner.ensure_live()?;
        self.inner.stop_watching();
        self.inner
            .global
            .close()
            .map_err(|e| Error::thrown("close", e))?;
        let waiters = {
            let mut state = self.inner.state.borrow_mut();
            if state.finished {
                state.open = false;
                Vec::new()
            } else {
                state.settle(Err(Error::Closed))
            }
        };
        notify(waiters, &Err(Error::Closed));
        Ok(())
    }

    /// Closes the iframe and calls `onExit` (`FlexpaLink.exit()`), as if the user had left.
    ///
    /// On a version of the script without `exit` (the one published on npm as `@flexpa/link`
    /// 0.0.8), the crate does the same itself: `FlexpaLink.close()`, then `on_exit(None)`.
    pub fn exit(&self) -> Result<()> {
        self.inner.ensure_live()?;
        if global::has_method(&self.inner.global, "exit") {
            return self
                .inner
                .global
                .exit()
                .map_err(|e| Error::thrown("exit", e));
        }
        self.inner.stop_watching();
        self.inner
            .global
            .close()
            .map_err(|e| Error::thrown("close", e))?;
        self.inner.handle_exit(JsValue::UNDEFINED);
        Ok(())
    }

    /// The public token of the current opening (or of the next one, if none is under way),
    /// as a future. It resolves to the same token `on_success` receives, or to
    /// [`Error::Exited`], [`Error::Closed`], [`Error::Superseded`] or
    /// [`Error::SessionDropped`]: it never hangs once the opening is over.
    ///
    /// Any number of futures can wait at once; they all get the same outcome.
    pub fn public_token(&self) -> PublicTokenFuture {
        if let Err(e) = self.inner.ensure_live() {
            return PublicTokenFuture::ready(Err(e));
        }
        let mut state = self.inner.state.borrow_mut();
        if let Some(outcome) = state.outcome.clone() {
            return PublicTokenFuture::ready(outcome);
        }
        let (sender, receiver) = oneshot::channel();
        // Forget futures that were dropped unresolved, so polling code cannot grow the list.
        state.waiters.retain(|waiter| !waiter.is_canceled());
        state.waiters.push(sender);
        PublicTokenFuture {
            ready: None,
            receiver: Some(receiver),
        }
    }

    /// Whether this is the live session (not superseded by a newer one, nor dropped).
    pub fn is_live(&self) -> bool {
        self.inner.live.get()
    }

    /// Whether the iframe is open, as far as this session knows.
    pub fn is_open(&self) -> bool {
        self.inner.live.get() && self.inner.state.borrow().open
    }
}

impl Drop for LinkSession {
    fn drop(&mut self) {
        self.inner.retire(Error::SessionDropped);
        // The closures are freed with `inner`, after the global stopped pointing at them.
        self.inner.trampolines.borrow_mut().take();
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
    ready: Option<Result<PublicToken>>,
    receiver: Option<oneshot::Receiver<Result<PublicToken>>>,
}

impl PublicTokenFuture {
    fn ready(outcome: Result<PublicToken>) -> Self {
        Self {
            ready: Some(outcome),
            receiver: None,
        }
    }
}

impl Future for PublicTokenFuture {
    type Output = Result<PublicToken>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(outcome) = self.ready.take() {
            return Poll::Ready(outcome);
        }
        match self.receiver.as_mut() {
            Some(receiver) => match Pin::new(receiver).poll(cx) {
                Poll::Ready(Ok(outcome)) => Poll::Ready(outcome),
                Poll::Ready(Err(_canceled)) => Poll::Ready(Err(Error::SessionDropped)),
                Poll::Pending => Poll::Pending,
            },
            None => Poll::Ready(Err(Error::SessionDropped)),
        }
    }
}
