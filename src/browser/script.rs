//! Injecting the `<script>` once and awaiting it.
//!
//! One tag per `src`, ever: concurrent loads of the same URL share one in-flight load, a tag
//! that the page already has is reused (and awaited), and nothing is injected when
//! `window.FlexpaLink` already exists. A failed load removes its tag, so a later load retries.

use core::cell::RefCell;
use core::time::Duration;
use std::rc::Rc;

use futures_channel::oneshot;
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use web_sys::{Document, HtmlScriptElement, Window};

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
    pub async fn load(self) -> Result<FlexpaLink> {
        let window = window()?;
        if let Some(global) = global::read(&window)? {
            return Ok(FlexpaLink { global });
        }
        let receiver = self.start_or_join(&window)?;
        let global = receiver
            .await
            .unwrap_or(Err(Error::InvalidGlobal("the load was abandoned")))?;
        Ok(FlexpaLink { global })
    }

    fn start_or_join(
        &self,
        window: &Window,
    ) -> Result<oneshot::Receiver<Result<FlexpaLinkGlobal>>> {
        let document = window.document().ok_or(Error::NoWindow)?;
        let src = resolve(&document, &self.src)?;
        let (sender, receiver) = oneshot::channel();
        let joined = LOADS.with(|loads| {
            if let Some((_, load)) = loads.borrow().iter().find(|(s, _)| *s == src) {
                load.waiters.borrow_mut().push(sender);
                None
            } else {
                Some(sender)
            }
        });
        let Some(sender) = joined else {
            return Ok(receiver);
        };

        let script = match find_tag(&document, &src) {
            Some(existing) => existing,
            None => self.inject(&document, &src)?,
        };
        let load = Rc::new(InFlight {
            waiters: RefCell::new(vec![sender]),
            _listeners: RefCell::new(None),
        });
        let on_load = {
            let src = src.clone();
            EventListener::once(&script, "load", move |_| finish(&src, Outcome::Loaded))
        };
        let on_error = {
            let src = src.clone();
            EventListener::once(&script, "error", move |_| finish(&src, Outcome::Failed))
        };
        let timer = {
            let src = src.clone();
            let millis = u32::try_from(self.timeout.as_millis()).unwrap_or(u32::MAX);
            let timeout = self.timeout;
            Timeout::new(millis, move || finish(&src, Outcome::TimedOut(timeout)))
        };
        *load._listeners.borrow_mut() = Some(Listeners {
            script,
            on_load,
            on_error,
            timer,
        });
        LOADS.with(|loads| loads.borrow_mut().push((src, load)));
        Ok(receiver)
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

thread_local! {
    /// In-flight loads by absolute URL. An entry exists only while its load is pending, and
    /// it owns the listeners and the timer, which are dropped (freed) when the load settles.
    /// A page has one or two at most, so a `Vec` (smaller in wasm than a `HashMap`).
    static LOADS: RefCell<Vec<(String, Rc<InFlight>)>> = const { RefCell::new(Vec::new()) };
}

struct InFlight {
    waiters: RefCell<Vec<oneshot::Sender<Result<FlexpaLinkGlobal>>>>,
    _listeners: RefCell<Option<Listeners>>,
}

struct Listeners {
    script: HtmlScriptElement,
    on_load: EventListener,
    on_error: EventListener,
    timer: Timeout,
}

enum Outcome {
    Loaded,
    Failed,
    TimedOut(Duration),
}

/// Settles the in-flight load of `src`: tells every waiter, removes a broken tag, and frees
/// the listeners and the timer.
fn finish(src: &str, outcome: Outcome) {
    let taken = LOADS.with(|loads| {
        let mut loads = loads.borrow_mut();
        let index = loads.iter().position(|(s, _)| s == src)?;
        Some(loads.swap_remove(index).1)
    });
    let Some(load) = taken else {
        return;
    };
    let listeners = load._listeners.borrow_mut().take();
    let result = match outcome {
        Outcome::Loaded => match window().and_then(|w| global::read(&w)) {
            Ok(Some(global)) => Ok(global),
            Ok(None) => Err(Error::MissingGlobal {
                src: src.to_owned(),
            }),
            Err(e) => Err(e),
        },
        Outcome::Failed => Err(Error::ScriptFailed {
            src: src.to_owned(),
        }),
        Outcome::TimedOut(timeout) => Err(Error::Timeout {
            src: src.to_owned(),
            timeout,
        }),
    };
    if let Some(listeners) = listeners {
        let Listeners {
            script,
            on_load,
            on_error,
            timer,
        } = listeners;
        if result.is_err() {
            script.remove();
        }
        // Dropping a listener from inside its own callback is fine: wasm-bindgen defers the
        // free until the call returns.
        drop((on_load, on_error));
        timer.cancel();
    }
    for waiter in load.waiters.take() {
        let _ = waiter.send(result.clone());
    }
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
        .map_err(|_| Error::Dom("document.createElement('script') made no script element"))
}

fn dom_error(_: wasm_bindgen::JsValue) -> Error {
    Error::Dom("creating or inserting the <script> tag threw")
}
