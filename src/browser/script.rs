//! Injecting the `<script>` once and awaiting it.
//!
//! One tag per `src`, ever: concurrent loads of the same URL share one in-flight load, a tag
//! that the page already has is reused (and awaited), and nothing is injected when
//! `window.FlexpaLink` already exists. A failed load removes its tag, so a later load retries.
//! The loader itself is `load` in `core.js`; this module owns the Rust callbacks it calls.

use core::cell::Cell;
use core::time::Duration;

use futures_channel::oneshot;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::bindings;
use super::error::{to_millis, Error, Result, TAG_OPTIONS_NOT_APPLIED};
use super::FlexpaLink;

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
    /// Set with the tag options: checks before the load that they can apply.
    check: Option<CheckTag>,
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
            check: None,
        }
    }

    /// Loads the script from another URL (a self-hosted copy, a sandbox). Relative URLs are
    /// resolved against the page.
    pub fn src(mut self, src: impl Into<String>) -> Self {
        self.src = src.into();
        self
    }

    /// Sets the `nonce` attribute, for pages whose Content Security Policy uses nonces.
    ///
    /// Like [`integrity`](Self::integrity) and [`crossorigin`](Self::crossorigin), it applies
    /// to the tag this load injects. When the script comes from elsewhere (a tag the page
    /// already has, a load of the same `src` in flight, a global that was there before) and
    /// that tag does not carry what was asked, the load ends with
    /// [`Error::TagOptionsNotApplied`] instead of succeeding silently.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self.check = Some(check_tag);
        self
    }

    /// Sets the Subresource Integrity hash (`sha384-...`). Also sets `crossorigin="anonymous"`
    /// unless [`crossorigin`](Self::crossorigin) says otherwise, since SRI needs CORS.
    pub fn integrity(mut self, integrity: impl Into<String>) -> Self {
        self.integrity = Some(integrity.into());
        self.check = Some(check_tag);
        self
    }

    /// Sets the `crossorigin` attribute.
    pub fn crossorigin(mut self, crossorigin: CrossOrigin) -> Self {
        self.crossorigin = Some(crossorigin);
        self.check = Some(check_tag);
        self
    }

    /// How long to wait for the script before giving up with [`Error::Timeout`]. When several
    /// loads share one in-flight load, the first one's timeout applies. Timeouts of 2^31 ms
    /// (about 24.8 days) or more wait 2^31 - 1 ms: the browser's timer would fire at once.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Loads the script (or reuses it) and returns a handle on `window.FlexpaLink`.
    ///
    /// Returns at once, without touching the DOM, when the global already exists (and no tag
    /// options were set: those are checked first, see [`nonce`](Self::nonce)). Dropping the
    /// returned future does not abort a load that other callers (or a later call) can use.
    /// [`load_with`](Self::load_with) is the same load with a callback instead of a future.
    pub async fn load(self) -> Result<FlexpaLink> {
        if self.check.is_none() {
            if let Some(link) = FlexpaLink::get()? {
                return Ok(link);
            }
        }
        let (sender, receiver) = oneshot::channel();
        // Held until the result came: dropping this future cancels the callback.
        let _waiting = self.load_with(move |result| {
            let _ = sender.send(result);
        });
        receiver.await.unwrap_or(Err(Error::LoadAbandoned))
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
    ///         Err(e) => { /* show e.code() or e.to_string() */ let _ = e; }
    ///     })
    ///     .forget();
    /// ```
    pub fn load_with<F>(self, callback: F) -> LoadHandle
    where
        F: FnOnce(Result<FlexpaLink>) + 'static,
    {
        if cfg!(not(target_arch = "wasm32")) {
            // No page and no event loop on native targets.
            callback(Err(Error::NoWindow));
            return LoadHandle { id: 0 };
        }
        self.load_boxed(Box::new(callback))
    }

    fn load_boxed(self, callback: Callback) -> LoadHandle {
        let callback = Cell::new(Some(callback));
        // `core.js` passes the waiter id back, so the closure can free itself: it is taken out
        // of the list first (and freed when this call returns), so that the callback may start
        // other loads or drop other handles.
        let done = Done::new(move |id, result: JsValue| {
            let waiter = take_waiter(id);
            if let Some(callback) = callback.take() {
                callback(if result.is_instance_of::<js_sys::Array>() {
                    Err(Error::from_js(&result))
                } else {
                    Ok(FlexpaLink {
                        global: result.unchecked_into(),
                    })
                });
            }
            drop(waiter);
        });
        // Decided now, before this load may inject its own tag: a refusal is delivered later
        // like any result (the script's own load goes on without this waiter).
        let refused = self.check.map_or(JsValue::UNDEFINED, |check| check(&self));
        let id = bindings::load(
            &self.src,
            self.nonce.as_deref(),
            self.integrity.as_deref(),
            // Without one, core.js sets `anonymous` when there is an integrity hash.
            self.crossorigin.map(CrossOrigin::as_str),
            to_millis(self.timeout),
            &done,
            &refused,
        );
        WAITERS.with(|waiters| {
            let mut list = waiters.take();
            list.push((id, done));
            waiters.set(list);
        });
        LoadHandle { id }
    }
}

/// [`check_tag`], as a pointer that only the builder methods for tag options store: an app
/// that never calls them does not link the check (see BENCHMARKS.md).
type CheckTag = fn(&ScriptLoader) -> JsValue;

/// Before a load with tag options: when the script is already there (a tag of the page with
/// this `src`, loaded or in flight, or the global), whether one of those tags carries what was
/// asked. With neither, this load injects the tag with them. Returns `undefined`, or the
/// error array of [`Error::TagOptionsNotApplied`] for `core.js` to deliver.
fn check_tag(loader: &ScriptLoader) -> JsValue {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return JsValue::UNDEFINED; // the load reports it
    };
    let Ok(probe) = document.create_element("script") else {
        return JsValue::UNDEFINED;
    };
    let probe: web_sys::HtmlScriptElement = probe.unchecked_into();
    probe.set_src(&loader.src);
    let src = probe.src();
    // As injected: `anonymous` when there is an integrity hash and no explicit mode.
    let crossorigin = loader
        .crossorigin
        .or(loader.integrity.as_ref().map(|_| CrossOrigin::Anonymous));
    let carries = |tag: &web_sys::HtmlScriptElement| {
        loader.nonce.as_ref().is_none_or(|n| tag.nonce() == *n)
            && loader
                .integrity
                .as_ref()
                .is_none_or(|i| tag.integrity() == *i)
            && crossorigin.is_none_or(|c| tag.cross_origin().as_deref() == Some(c.as_str()))
    };
    let scripts = document.scripts();
    let tags: Vec<web_sys::HtmlScriptElement> = (0..scripts.length())
        .filter_map(|i| scripts.item(i))
        .map(|tag| tag.unchecked_into::<web_sys::HtmlScriptElement>())
        .filter(|tag| tag.src() == src)
        .collect();
    let loaded = matches!(FlexpaLink::get(), Ok(Some(_)));
    if (!loaded && tags.is_empty()) || tags.iter().any(carries) {
        JsValue::UNDEFINED
    } else {
        js_sys::Array::of2(&JsValue::from(TAG_OPTIONS_NOT_APPLIED), &src.into()).into()
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
    /// The waiter's id in `core.js`; 0 once forgotten (ids start at 1).
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
            bindings::cancel(self.id);
            // Dropped outside the list: the callback may own other handles.
            drop(take_waiter(self.id));
        }
    }
}

type Callback = Box<dyn FnOnce(Result<FlexpaLink>)>;

/// What `core.js` calls when a load settles: `(waiter id, global or error array)`.
type Done = Closure<dyn Fn(u32, JsValue)>;

thread_local! {
    /// The `done` closures of the waiters `core.js` holds, by waiter id: each is freed when it
    /// has been called or its handle is dropped, whichever comes first. A page has a few at
    /// most, so a `Vec`; a `Cell` (taken and put back), since nothing runs while it is out.
    static WAITERS: Cell<Vec<(u32, Done)>> = const { Cell::new(Vec::new()) };
}

/// Takes the waiter `id` out of [`WAITERS`].
fn take_waiter(id: u32) -> Option<Done> {
    WAITERS.with(|waiters| {
        let mut list = waiters.take();
        let taken = list
            .iter()
            .position(|(i, _)| *i == id)
            .map(|index| list.swap_remove(index).1);
        waiters.set(list);
        taken
    })
}
