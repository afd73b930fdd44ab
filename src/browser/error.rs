//! The browser side's one error type.

use core::time::Duration;

use crate::token::InvalidValue;

/// Everything that can go wrong in the browser side of the crate.
///
/// Values thrown by `window.FlexpaLink` (the published script throws plain strings such as
/// `'publishableKey required'`) arrive as [`Error::Thrown`], never as a raw `JsValue`. No
/// variant ever holds a public token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// There is no `window`: the code runs on a native target (server-side rendering) or in a
    /// web worker. Load and create Flexpa Link from code that runs in the page.
    #[error(
        "no browser window: Flexpa Link needs a page (this runs on a native target, \
         e.g. server-side rendering, or in a web worker)"
    )]
    NoWindow,

    /// The `<script>` fired its `error` event: the network failed, the URL answered 4xx/5xx,
    /// a Content Security Policy blocked it, or its `integrity` did not match.
    #[error(
        "the Flexpa Link script {src} failed to load (network error, HTTP error, \
         Content-Security-Policy or integrity mismatch)"
    )]
    ScriptFailed {
        /// The absolute URL of the script.
        src: String,
    },

    /// The script loaded but did not define `window.FlexpaLink`.
    #[error("the script {src} loaded but did not define window.FlexpaLink")]
    MissingGlobal {
        /// The absolute URL of the script.
        src: String,
    },

    /// The script did not finish loading in time. The tag was removed; loading again retries.
    #[error("the Flexpa Link script {src} did not load within {} ms", u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX))]
    Timeout {
        /// The absolute URL of the script.
        src: String,
        /// The timeout that elapsed.
        timeout: Duration,
    },

    /// `window.FlexpaLink` exists but is not an object with `create`, `open` and `close`.
    #[error("window.FlexpaLink is not a Flexpa Link object: {0}")]
    InvalidGlobal(&'static str),

    /// A key or token did not validate (for instance a publishable key without `pk_test_` or
    /// `pk_live_`).
    #[error(transparent)]
    Invalid(#[from] InvalidValue),

    /// A passthrough option used a key that the crate sets itself, or an empty key.
    #[error("option `{0}` cannot be passed through: use the LinkConfig method for it")]
    ReservedOption(String),

    /// A method of `window.FlexpaLink` threw.
    #[error("FlexpaLink.{method}() threw {}{message}", name.as_deref().map(|n| format!("{n}: ")).unwrap_or_default())]
    Thrown {
        /// The method that threw: `create`, `open`, `close` or `exit`.
        method: &'static str,
        /// The `name` of a thrown `Error` (`None` for a thrown string or other value).
        name: Option<String>,
        /// The thrown string, or the `message` of a thrown `Error`.
        message: String,
    },

    /// A DOM operation the crate needs failed (for instance inserting the `<script>` tag).
    #[error("a DOM operation failed: {0}")]
    Dom(&'static str),

    /// A newer session was created: `window.FlexpaLink` is a singleton, so only the most
    /// recently created [`LinkSession`](crate::LinkSession) is live.
    #[error("this Flexpa Link session was replaced by a newer one (the global is a singleton)")]
    Superseded,

    /// The user left Flexpa Link without linking a health plan (`onExit`).
    #[error("the user exited Flexpa Link{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Exited {
        /// What the Link app reported, if anything.
        reason: Option<String>,
    },

    /// The opening was closed with [`LinkSession::close`](crate::LinkSession::close) before a
    /// public token arrived.
    #[error("Flexpa Link was closed before a public token arrived")]
    Closed,

    /// The session was dropped while a [`PublicTokenFuture`](crate::PublicTokenFuture) waited.
    #[error("the Flexpa Link session was dropped before a public token arrived")]
    SessionDropped,

    /// Flexpa Link delivered something that is not a public token.
    #[error("Flexpa Link delivered an invalid public token: {0}")]
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

/// The browser side's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
