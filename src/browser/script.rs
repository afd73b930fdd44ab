//! Injecting the `<script>` once and awaiting it.
//!
//! One tag per `src`, ever: concurrent loads of the same URL share one in-flight load, a tag
//! that the page already has is reused (and awaited), and nothing is injected when
//! `window.FlexpaLink` already exists. A failed load removes its tag, so a later load retries.

use core::cell::{Cell, RefCell};
use core::time::Duration;

use futures_channel::oneshot;
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use web_sys::{Document, HtmlScriptElement};

use super::error::{Error, Result};
use super::global::{self, FlexpaLinkGlobal};
use super::{window, FlexpaLink};

/// The published Flexpa Link script.
pub const DEFAULT_SRC: &str = "https://js.flexpa.com/v1/";

/// How long [`ScriptLoader::load`] waits by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// The value of the `crossorigin` attribute of the injected tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrossOrigin {
    /// `crossorigin="anonymous"`: no credentials (what Subresource Integrity needs).
    Anonymous,
    /// `crossorigin="use-credentials"`.
    UseCredentials,
}

impl CrossOrigin {
    fn as_str(self) -> &'static str {
        match self {
            CrossOrigin::Anonymous => "anonymous",
            CrossOrigin::UseCredentials => "use-credentials",
        }
    }
}

/// Loads the Flexpa Link script, with options for the tag.
///
/// ```no_run
/// # async fn run() -> Result<(), flexpa_link::Error> {
/// use std::time::Duration;
/// let link = flexpa_link::ScriptLoader::new()
///     .nonce("r4nd0m")                       // your page's CSP nonce
///     .timeout(Duration::from_secs(10))
///     .load()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a ScriptLoader does nothing until `.load().await`"]
pub struct ScriptLoader {
    src: String,
    nonce: Option<String>,
    integrity: Option<String>,
    crossorigin: Option<CrossOrigin>,
    timeout: Duration,
}

impl Default for ScriptLoader {
    fn default() -> Self {
        Self::new()
    }
}

impl ScriptLoader {
    /// The published script (`https://js.flexpa.com/v1/`), a 15 s timeout, no nonce.
    pub fn new() -> Self {
        Self {
            src: DEFAULT_SRC.to_owned(),
            nonce: None,
            integrity: None,
            crossorigin: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Loads the script from another URL (a self-hosted copy, a sandbox). Relative URLs are
    /// resolved against the page.
    pub fn src(mut self, src: impl Into<String>) -> Self {
        self.src = src.into();
        self
    }

    /// Sets the `nonce` attribute, for pages whose Content Security Policy uses nonces.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// Sets the Subresource Integrity hash (`sha384-...`). Also sets `crossorigin="anonymous"`
    /// unless [`crossorigin`](Self::crossorigin) says otherwise, since SRI needs CORS.
    pub fn integrity(mut self, integrity: impl Into<String>) -> Self {
        self.integrity = Some(integrity.into());
        self
    }

    /// Sets the `crossorigin` attribute.
    pub fn crossorigin(mut self, crossorigin: CrossOrigin) -> Self {
        self.crossorigin = Some(crossorigin);
        self
    }

    /// How long to wait for the script before giving up with [`Error::Timeout`]. When several
    /// loads share one in-flight load, the first one's timeout applies.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Loads the script (or reuses it) and returns a handle on `window.FlexpaLink`.
    ///
    /// Returns at once, without touching the DOM, when the global already exists. Dropping the
    /// returned future does not abort a load that other callers (or a later call) can use.
    /// [`load_with`](Self::load_with) is the same load with a callback instead of a future.
    pub async fn load(self) -> Result<FlexpaLink> {
        let load = match self.begin()? {
            Begun::Ready(global) => return Ok(FlexpaLink { global }),
            Begun::Pending(load) => load,
        };
        let (sender, receiver) = oneshot::channel();
        let _waiting = wait(
            load,
            Box::new(move |result| {
                let _ = sender.send(result);
            }),
        );
        receiver
            .await
            .unwrap_or(Err(Error::InvalidGlobal("the load was abandoned")))
    }

    /// Loads the script (or reuses it) and calls `callback` with the result: the same load as
    /// [`load`](Self::load) (one tag per src, shared with concurrent `load`s and `load_with`s,
    /// typed errors, the broken tag removed so that a later load retries), without futures.
    ///
    /// An app that only uses callbacks links no async executor, which makes its wasm smaller.
    ///
    /// The callback is called exactly once, and always later, from the browser's event loop:
    /// never before `load_with` returns, even when the global already exists or the load
    /// fails at once. (On native targets, where there is no event loop, it gets
    /// [`Error::NoWindow`] before `load_with` returns.)
    ///
    /// Dropping the returned [`LoadHandle`] before then cancels the callback (it is never
    /// called, and is freed) but not the load, which others may share.
    /// [`LoadHandle::forget`] keeps the callback without keeping the handle.
    ///
    /// ```no_run
    /// flexpa_link::ScriptLoader::new()
    ///     .nonce("r4nd0m")
    ///     .load_with(|result| match result {
    ///         Ok(link) => { /* link.create(..) */ let _ = link; }
    ///         Err(e) => { /* show e.to_string() */ let _ = e; }
    ///     })
    ///     .forget();
    /// ```
    pub fn load_with<F>(self, callback: F) -> LoadHandle
    where
        F: FnOnce(Result<FlexpaLink>) + 'static,
    {
        self.load_boxed(Box::new(callback))
    }

    fn load_boxed(self, callback: Callback) -> LoadHandle {
        match self.begin() {
            Ok(Begun::Pending(load)) => wait(load, callback),
            Ok(Begun::Ready(global)) => defer(Ok(FlexpaLink { global }), callback),
            Err(e) => defer(Err(e), callback),
        }
    }

    /// The global if it exists, or the id of the in-flight load of the script (joined, or
    /// started: the tag reused or injected, its listeners and timer set).
    fn begin(&self) -> Result<Begun> {
        let window = window()?;
        if let Some(global) = global::read(&window)? {
            return Ok(Begun::Ready(global));
        }
        let document = window.document().ok_or(Error::NoWindow)?;
        let src = resolve(&document, &self.src)?;
        let joined = LOADS.with(|loads| {
            loads
                .borrow()
                .iter()
                .find(|load| load.src == src)
                .map(|load| load.id)
        });
        if let Some(id) = joined {
            return Ok(Begun::Pending(id));
        }

        let script = match find_tag(&document, &src) {
            Some(existing) => existing,
            None => self.inject(&document, &src)?,
        };
        let id = next_id();
        let on_load = EventListener::once(&script, "load", move |_| finish(id, Outcome::Loaded));
        let on_error = EventListener::once(&script, "error", move |_| finish(id, Outcome::Failed));
        let timeout = self.timeout;
        let millis = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
        let timer = Timeout::new(millis, move || finish(id, Outcome::TimedOut(timeout)));
        LOADS.with(|loads| {
            loads.borrow_mut().push(Load {
                id,
                src,
                script,
                on_load,
                on_error,
                timer,
            })
        });
        Ok(Begun::Pending(id))
    }

    fn inject(&self, document: &Document, src: &str) -> Result<HtmlScriptElement> {
        let script = create_script(document)?;
        script.set_src(src);
        script.set_async(true);
        if let Some(nonce) = &self.nonce {
            // The `nonce` content attribute, which is what CSP checks on insertion.
            script.set_attribute("nonce", nonce).map_err(dom_error)?;
        }
        if let Some(integrity) = &self.integrity {
            script.set_integrity(integrity);
        }
        match (self.crossorigin, &self.integrity) {
            (Some(c), _) => script.set_cross_origin(Some(c.as_str())),
            (None, Some(_)) => script.set_cross_origin(Some(CrossOrigin::Anonymous.as_str())),
            (None, None) => {}
        }
        let parent: web_sys::Node = match document.head() {
            Some(head) => head.into(),
            None => document.document_element().ok_or(Error::NoWindow)?.into(),
        };
        parent.append_child(&script).map_err(dom_error)?;
        Ok(script)
    }
}

/// A pending [`load_with`](ScriptLoader::load_with) callback: dropping it cancels the callback.
///
/// The callback belongs to the loader, not to this handle: the handle only says "still
/// wanted". Dropping it before the callback ran removes (and frees) the callback; the load
/// itself goes on, since other callers may share it. Like gloo's `Timeout`, it has
/// [`forget`](Self::forget) for code that never cancels.
#[derive(Debug)]
#[must_use = "dropping a LoadHandle cancels the callback: keep it, or call `.forget()`"]
pub struct LoadHandle {
    /// The waiter's id; 0 once forgotten.
    id: u32,
}

impl LoadHandle {
    /// Lets the callback run without keeping the handle. Nothing leaks: the loader owns the
    /// callback and frees it once it has been called, which it always is.
    pub fn forget(mut self) {
        self.id = 0;
    }
}

impl Drop for LoadHandle {
    fn drop(&mut self) {
        if self.id != 0 {
            let removed = WAITERS.with(|waiters| take(waiters, |w| w.id == self.id));
            // Dropped outside the borrow: the callback may own other handles.
            drop(removed);
        }
    }
}

type Callback = Box<dyn FnOnce(Result<FlexpaLink>)>;

thread_local! {
    /// In-flight loads. An entry exists only while its load is pending, and it owns the
    /// listeners and the timer, which are dropped (freed) when the load settles. A page has
    /// one or two at most, so a `Vec` (smaller in wasm than a `HashMap`).
    static LOADS: RefCell<Vec<Load>> = const { RefCell::new(Vec::new()) };
    /// Callbacks (and the senders of `load()` futures) waiting for a load, in call order.
    static WAITERS: RefCell<Vec<Waiter>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

/// Takes the first item that `matches` out of `list`, keeping the order of the others.
fn take<T>(list: &RefCell<Vec<T>>, matches: impl Fn(&T) -> bool) -> Option<T> {
    let mut list = list.borrow_mut();
    let index = list.iter().position(matches)?;
    Some(list.remove(index))
}

/// A fresh id for a load or a waiter, never 0.
fn next_id() -> u32 {
    NEXT_ID.with(|next| {
        let id = next.get().wrapping_add(1).max(1);
        next.set(id);
        id
    })
}

enum Begun {
    Ready(FlexpaLinkGlobal),
    Pending(u32),
}

struct Load {
    id: u32,
    /// The absolute URL.
    src: String,
    script: HtmlScriptElement,
    on_load: EventListener,
    on_error: EventListener,
    timer: Timeout,
}

struct Waiter {
    id: u32,
    /// The load it waits for (its own id for a result delivered by `_deferred`).
    load: u32,
    callback: Callback,
    /// The zero-delay timer that delivers a result known at once; cleared when dropped.
    _deferred: Option<Timeout>,
}

/// Queues `callback` for the in-flight load `load`.
fn wait(load: u32, callback: Callback) -> LoadHandle {
    let id = next_id();
    WAITERS.with(|waiters| {
        waiters.borrow_mut().push(Waiter {
            id,
            load,
            callback,
            _deferred: None,
        })
    });
    LoadHandle { id }
}

/// Calls `callback` with a result known now, from a zero-delay timer (never synchronously).
fn defer(result: Result<FlexpaLink>, callback: Callback) -> LoadHandle {
    if cfg!(not(target_arch = "wasm32")) {
        // No event loop (and no `setTimeout`) on native targets.
        callback(result);
        return LoadHandle { id: 0 };
    }
    let id = next_id();
    let timer = Timeout::new(0, move || settle(id, result));
    WAITERS.with(|waiters| {
        waiters.borrow_mut().push(Waiter {
            id,
            load: id,
            callback,
            _deferred: Some(timer),
        })
    });
    LoadHandle { id }
}

/// Calls, in order, every callback waiting for `load`, each taken out of the list first, so
/// that a callback may start a new load or drop other handles.
fn settle(load: u32, result: Result<FlexpaLink>) {
    while let Some(waiter) = WAITERS.with(|waiters| take(waiters, |w| w.load == load)) {
        (waiter.callback)(result.clone());
    }
}

enum Outcome {
    Loaded,
    Failed,
    TimedOut(Duration),
}

/// Settles the in-flight load `id`: removes a broken tag, frees the listeners and the timer,
/// and calls every waiter.
fn finish(id: u32, outcome: Outcome) {
    let taken = LOADS.with(|loads| take(loads, |load| load.id == id));
    let Some(Load {
        src,
        script,
        on_load,
        on_error,
        timer,
        ..
    }) = taken
    else {
        return;
    };
    let result = match outcome {
        Outcome::Loaded => match window().and_then(|w| global::read(&w)) {
            Ok(Some(global)) => Ok(FlexpaLink { global }),
            Ok(None) => Err(Error::MissingGlobal { src }),
            Err(e) => Err(e),
        },
        Outcome::Failed => Err(Error::ScriptFailed { src }),
        Outcome::TimedOut(timeout) => Err(Error::Timeout { src, timeout }),
    };
    if result.is_err() {
        script.remove();
    }
    // Dropping a listener from inside its own callback is fine: wasm-bindgen defers the free
    // until the call returns.
    drop((on_load, on_error));
    timer.cancel();
    settle(id, result);
}

/// Resolves `src` against the page the way the browser will, so that `/v1/` and the absolute
/// URL name the same script.
fn resolve(document: &Document, src: &str) -> Result<String> {
    let probe = create_script(document)?;
    probe.set_src(src);
    let resolved = probe.src();
    if resolved.is_empty() {
        return Err(Error::ScriptFailed {
            src: src.to_owned(),
        });
    }
    Ok(resolved)
}

fn find_tag(document: &Document, src: &str) -> Option<HtmlScriptElement> {
    let scripts = document.scripts();
    (0..scripts.length())
        .filter_map(|i| scripts.item(i))
        .filter_map(|e| e.dyn_into::<HtmlScriptElement>().ok())
        .find(|s| s.src() == src)
}

fn create_script(document: &Document) -> Result<HtmlScriptElement> {
    document
        .create_element("script")
        .map_err(dom_error)?
        .dyn_into::<HtmlScriptElement>()
        .map_err(|_| Error::Dom("createElement('script') made no script"))
}

fn dom_error(_: wasm_bindgen::JsValue) -> Error {
    Error::Dom("creating or inserting the <script> threw")
}
