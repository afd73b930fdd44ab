//! The browser side's one error type.

use core::time::Duration;

use wasm_bindgen::{JsCast, JsValue};

use crate::credentials::InvalidValue;

/// Everything that can go wrong in the browser side of the crate.
///
/// Values thrown by `window.FlexpaLink` (the published script throws plain strings such as
/// `'publishableKey required'`) arrive as [`Error::Thrown`], never as a raw `JsValue`. No
/// variant ever holds a public token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// There is no `window`: the code runs on a native target (server-side rendering) or in a
    /// web worker. Flexpa Link needs a page: load and create it from code that runs in the
    /// page (for instance in an effect, which does not run during server-side rendering).
    #[error("no browser window (server-side rendering or a web worker)")]
    NoWindow,

    /// The `<script>` fired its `error` event: the network failed, the URL answered 4xx/5xx,
    /// a Content Security Policy blocked it (see [`ScriptLoader::nonce`](crate::ScriptLoader::nonce)),
    /// or its `integrity` did not match. The tag was removed; loading again retries.
    #[error("Flexpa Link script {src} failed to load")]
    ScriptFailed {
        /// The absolute URL of the script.
        src: String,
    },

    /// The script loaded but did not define `window.FlexpaLink` (a wrong `src`, or a script
    /// that failed while running). The tag was removed; loading again retries.
    #[error("script {src} did not define window.FlexpaLink")]
    MissingGlobal {
        /// The absolute URL of the script.
        src: String,
    },

    /// The script did not finish loading in time. The tag was removed; loading again retries.
    #[error("Flexpa Link script {src} did not load within {} ms", u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX))]
    Timeout {
        /// The absolute URL of the script.
        src: String,
        /// The timeout that elapsed.
        timeout: Duration,
    },

    /// The load asked for a `nonce`, an `integrity` hash or a `crossorigin` mode, but the
    /// script came from a `<script>` tag that does not carry them: a tag the page already had,
    /// a load of the same `src` already in flight without them, or a `window.FlexpaLink` that
    /// was there before (so the browser did not check the hash). The global is loaded; this
    /// error says the requested attributes were not what loaded it. Nothing was removed.
    #[error(
        "Flexpa Link script {src} was loaded without the requested nonce, integrity or crossorigin"
    )]
    TagOptionsNotApplied {
        /// The absolute URL of the script.
        src: String,
    },

    /// `window.FlexpaLink` exists but is not an object with `create`, `open` and `close`.
    #[error("window.FlexpaLink is invalid: {0}")]
    InvalidGlobal(&'static str),

    /// A key or token did not validate (for instance a publishable key without `pk_test_` or
    /// `pk_live_`).
    #[error(transparent)]
    Invalid(#[from] InvalidValue),

    /// A passthrough option used a key that the crate sets itself (use the
    /// [`LinkConfig`](crate::LinkConfig) method for it instead), or an empty key.
    #[error("option `{0}` cannot be passed through")]
    ReservedOption(String),

    /// A passthrough option's [`OptionValue::Json`](crate::OptionValue::Json) value is not
    /// valid JSON (the option's key; the value is not repeated).
    #[error("option `{0}` is not valid JSON")]
    InvalidOption(String),

    /// A load ended without a result: the loader dropped the waiting callback (the page is
    /// being torn down). Loading again retries.
    #[error("the Flexpa Link script load was abandoned")]
    LoadAbandoned,

    /// A method of `window.FlexpaLink` threw.
    #[error("FlexpaLink.{method}() threw {}{message}", Affixed("", name, ": "))]
    Thrown {
        /// The method that threw: `create`, `open`, `close` or `exit`.
        method: &'static str,
        /// The `name` of a thrown `Error` (`None` for a thrown string or other value).
        name: Option<String>,
        /// The thrown string, or the `message` of a thrown `Error`.
        message: String,
    },

    /// A DOM operation the crate needs failed (for instance inserting the `<script>` tag).
    #[error("DOM operation failed: {0}")]
    Dom(&'static str),

    /// A newer session was created: `window.FlexpaLink` is a singleton, so only the most
    /// recently created [`LinkSession`](crate::LinkSession) is live.
    #[error("Flexpa Link session replaced by a newer one")]
    Superseded,

    /// The user left Flexpa Link without linking a health plan (`onExit`).
    #[error("user exited Flexpa Link{}", Affixed(": ", reason, ""))]
    Exited {
        /// What the Link app reported, if anything.
        reason: Option<String>,
    },

    /// The opening was closed with [`LinkSession::close`](crate::LinkSession::close) before a
    /// public token arrived.
    #[error("Flexpa Link closed before a public token arrived")]
    Closed,

    /// The session was dropped while a [`PublicTokenFuture`](crate::PublicTokenFuture) waited.
    #[error("Flexpa Link session dropped before a public token arrived")]
    SessionDropped,

    /// Flexpa Link delivered something that is not a public token.
    #[error("invalid public token: {0}")]
    InvalidToken(InvalidValue),

    /// [`LinkController::open`](crate::LinkController::open) before Link was ready: the
    /// script is still loading, there is no config yet, or loading failed.
    #[error("Flexpa Link is not ready yet")]
    NotReady,
}

impl Error {
    /// A stable code for the variant, for logs and for apps that show errors without
    /// formatting them (`Display` links `core::fmt` into the wasm; see BENCHMARKS.md):
    /// `NO_WINDOW`, `SCRIPT_FAILED`, `MISSING_GLOBAL`, `TIMEOUT`, `INVALID_GLOBAL`,
    /// `INVALID_VALUE`, `RESERVED_OPTION`, `INVALID_OPTION`, `LOAD_ABANDONED`, `THROWN`, `DOM`, `SUPERSEDED`, `EXITED`, `CLOSED`,
    /// `SESSION_DROPPED`, `INVALID_TOKEN`, `TAG_OPTIONS_NOT_APPLIED`, `NOT_READY`. The npm package's errors carry the same `code`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NoWindow => "NO_WINDOW",
            Error::ScriptFailed { .. } => "SCRIPT_FAILED",
            Error::MissingGlobal { .. } => "MISSING_GLOBAL",
            Error::Timeout { .. } => "TIMEOUT",
            Error::InvalidGlobal(_) => "INVALID_GLOBAL",
            Error::Invalid(_) => "INVALID_VALUE",
            Error::ReservedOption(_) => "RESERVED_OPTION",
            Error::InvalidOption(_) => "INVALID_OPTION",
            Error::LoadAbandoned => "LOAD_ABANDONED",
            Error::Thrown { .. } => "THROWN",
            Error::Dom(_) => "DOM",
            Error::Superseded => "SUPERSEDED",
            Error::Exited { .. } => "EXITED",
            Error::Closed => "CLOSED",
            Error::SessionDropped => "SESSION_DROPPED",
            Error::InvalidToken(_) => "INVALID_TOKEN",
            Error::TagOptionsNotApplied { .. } => "TAG_OPTIONS_NOT_APPLIED",
            Error::NotReady => "NOT_READY",
        }
    }

    /// Decodes an error array of `core.js`: `[code, ...details]`, the codes being its
    /// constants (`NO_WINDOW` = 1 ... `THROWN` = 11).
    pub(crate) fn from_js(value: &JsValue) -> Self {
        let parts: &js_sys::Array = value.unchecked_ref();
        let number = |i| parts.get(i).as_f64().unwrap_or(0.0);
        let text = |i| parts.get(i).as_string();
        let src = || text(1).unwrap_or_default();
        match number(0) as u32 {
            1 => Error::NoWindow,
            2 => Error::ScriptFailed { src: src() },
            3 => Error::MissingGlobal { src: src() },
            4 => Error::Timeout {
                src: src(),
                timeout: from_millis(number(2)),
            },
            5 => Error::InvalidGlobal(pick(&INVALID_GLOBAL, number(1))),
            7 => Error::Superseded,
            8 => Error::Exited { reason: text(1) },
            9 => Error::Closed,
            10 => Error::SessionDropped,
            TAG_OPTIONS_NOT_APPLIED => Error::TagOptionsNotApplied { src: src() },
            11 => Error::Thrown {
                method: pick(&["create", "open", "close", "exit"], number(1)),
                name: text(2),
                message: text(3).unwrap_or_default(),
            },
            _ => Error::Dom("creating or inserting the <script> threw"),
        }
    }
}

/// `table[index]`, or its last entry for an index out of range (no panic path).
fn pick(table: &[&'static str], index: f64) -> &'static str {
    table
        .get(index as usize)
        .or(table.last())
        .copied()
        .unwrap_or_default()
}

/// The code of [`Error::TagOptionsNotApplied`] in an error array (`[12, src]`, made by
/// `script.rs` and delivered by `core.js` like its own).
pub(crate) const TAG_OPTIONS_NOT_APPLIED: u32 = 12;

/// Why `window.FlexpaLink` is invalid, by the index `core.js` gives.
const INVALID_GLOBAL: [&str; 5] = [
    "reading it threw",
    "it is not an object",
    "it has no `create` function",
    "it has no `open` function",
    "it has no `close` function",
];

/// A timeout in milliseconds (as `script.rs` gave it to `core.js`) back as a `Duration`.
pub(crate) fn from_millis(ms: f64) -> Duration {
    Duration::from_nanos((ms * 1e6 + 0.5) as u64)
}

/// A `Duration` in milliseconds, to the nanosecond, for `core.js` (exact up to about 104 days).
pub(crate) fn to_millis(timeout: Duration) -> f64 {
    timeout.as_nanos() as f64 / 1e6
}

/// Prints `before`, the value and `after` when there is a value, nothing otherwise (no
/// allocation, unlike `format!`).
struct Affixed<'a>(&'static str, &'a Option<String>, &'static str);

impl core::fmt::Display for Affixed<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.1 {
            Some(value) => write!(f, "{}{value}{}", self.0, self.2),
            None => Ok(()),
        }
    }
}

/// The browser side's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
