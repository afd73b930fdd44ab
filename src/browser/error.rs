//! The browser side's one error type.

use core::time::Duration;

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

    /// `window.FlexpaLink` exists but is not an object with `create`, `open` and `close`.
    #[error("window.FlexpaLink is invalid: {0}")]
    InvalidGlobal(&'static str),

    /// A key or token did not validate (for instance a publishable key without `pk_test_` or
    /// `pk_live_`).
    #[error(transparent)]
    Invalid(#[from] InvalidValue),

    /// A passthrough option used a key that the crate sets itself (use the
    /// [`LinkConfig`](crate::LinkConfig) method for it instead), or an empty key, or a value
    /// that is not valid JSON.
    #[error("option `{0}` cannot be passed through")]
    ReservedOption(String),

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
}

impl Error {
    /// Converts a value thrown by a method of the global into a typed error.
    pub(crate) fn thrown(method: &'static str, value: wasm_bindgen::JsValue) -> Self {
        use wasm_bindgen::JsCast;
        if let Some(message) = value.as_string() {
            return Error::Thrown {
                method,
                name: None,
                message,
            };
        }
        if let Some(error) = value.dyn_ref::<js_sys::Error>() {
            return Error::Thrown {
                method,
                name: Some(error.name().into()),
                message: error.message().into(),
            };
        }
        let message = js_sys::JSON::stringify(&value)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_else(|| String::from("a value that is not JSON"));
        Error::Thrown {
            method,
            name: None,
            message,
        }
    }
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
