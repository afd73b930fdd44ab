//! The one error type of the server client.
//!
//! No message, `Debug` output or source of an [`Error`] contains your secret key or a token:
//! text that comes from Flexpa (its `error`/`message`, or a raw snippet of a body that is not
//! JSON) is scrubbed of every secret the request carried and of anything shaped like a secret
//! key, and parse errors never quote values from the response.

use core::fmt;
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::StatusCode;

use crate::credentials::InvalidValue;

/// A `Result` whose error is the server client's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// How many characters of a non-JSON error body an [`ApiError`] keeps.
pub const BODY_SNIPPET_CHARS: usize = 256;

/// Everything that can go wrong talking to Flexpa.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Flexpa answered with an error status (4xx other than 429, or 5xx).
    #[error("{0}")]
    Api(ApiError),
    /// Still rate limited (HTTP 429) after the bounded retries, or told to wait longer than the
    /// client may wait ([`ClientBuilder::max_retry_wait`](super::ClientBuilder::max_retry_wait)).
    #[error(
        "rate limited by Flexpa (HTTP 429) after {attempts} attempt(s){}",
        RetryAfter(*retry_after)
    )]
    RateLimited {
        /// The last `Retry-After` Flexpa sent, if any: when to try again.
        retry_after: Option<Duration>,
        /// How many requests were made.
        attempts: u32,
    },
    /// The patient's data is still syncing (Flexpa's FHIR API answered `429` with an
    /// `OperationOutcome` code `transient`) and the sync-wait budget
    /// ([`ClientBuilder::sync_wait`](super::ClientBuilder::sync_wait)) ran out. Try again
    /// later, or wait for the `sync_completed` webhook.
    #[error(
        "the patient's data is still syncing at Flexpa (waited {}){}",
        DurationText(*waited),
        RetryAfter(*retry_after)
    )]
    StillSyncing {
        /// When Flexpa suggested trying again, if it said.
        retry_after: Option<Duration>,
        /// How long the call waited for the sync in all.
        waited: Duration,
    },
    /// Flexpa could not sync the patient's data from their health plan (FHIR API `422`).
    /// Not retried: the patient may need to link again.
    #[error("Flexpa could not sync the patient's data: {0}")]
    SyncFailed(ApiError),
    /// A search page's next link points to another origin than the client's base URL; it was
    /// not followed, so that the access token never goes there.
    #[error("refused to follow a next link to another origin ({origin})")]
    ForeignNextLink {
        /// The origin the link pointed to (`scheme://host:port`).
        origin: String,
    },
    /// A search page's next link points to a page already read: the server's paging loops.
    #[error("the search's next links loop (after page {page})")]
    PagingLoop {
        /// How many pages had been read.
        page: usize,
    },
    /// A search has more pages than the client reads
    /// ([`ClientBuilder::max_pages`](super::ClientBuilder::max_pages)).
    #[error("the search has more than {limit} pages")]
    TooManyPages {
        /// The page cap.
        limit: usize,
    },
    /// The call did not finish in time (connect timeout, or the total timeout of the call
    /// including retries).
    #[error("the request to Flexpa timed out after {}", DurationText(*after))]
    Timeout {
        /// The timeout that expired.
        after: Duration,
    },
    /// The connection failed: refused, reset, TLS, DNS, or a body cut off mid-way.
    #[error("could not talk to Flexpa ({kind})")]
    Transport {
        /// At which step it failed.
        kind: TransportKind,
        /// The underlying error (it carries the URL, which never holds a secret).
        #[source]
        source: reqwest::Error,
    },
    /// Flexpa answered, but not with what the API promises (not JSON, truncated JSON, a
    /// missing field, an unexpected redirect...).
    #[error("invalid response from Flexpa (HTTP {}): {reason}", status.as_u16())]
    InvalidResponse {
        /// The response's status.
        status: StatusCode,
        /// What is wrong, in words safe to log (never a value from the response).
        reason: String,
    },
    /// The response body exceeded the client's cap
    /// ([`ClientBuilder::max_response_bytes`](super::ClientBuilder::max_response_bytes)); it
    /// was not read further.
    #[error("Flexpa's response (HTTP {}) is larger than the {limit}-byte cap", status.as_u16())]
    ResponseTooLarge {
        /// The response's status.
        status: StatusCode,
        /// The cap, in bytes.
        limit: usize,
    },
    /// A key is missing or invalid for this call (for instance `refresh` needs the
    /// publishable key).
    #[error("{0}")]
    InvalidKey(InvalidValue),
    /// An argument was rejected before any request was made.
    #[error("{0}")]
    InvalidInput(InvalidValue),
    /// The base URL is malformed, or not `https` (plain `http` is allowed only for loopback
    /// hosts); the text says which.
    #[error("{0}")]
    InvalidBaseUrl(InvalidValue),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    Build(#[source] reqwest::Error),
}

impl Error {
    /// The HTTP status, when Flexpa answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(e) | Self::SyncFailed(e) => Some(e.status),
            Self::StillSyncing { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Self::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Self::InvalidResponse { status, .. } | Self::ResponseTooLarge { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// Flexpa's error, when it answered with an error status.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) | Self::SyncFailed(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the call timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// Whether trying the same call again later may succeed: rate limits, timeouts, transport
    /// failures and 5xx. (A public token is single-use: if an exchange timed out after Flexpa
    /// processed it, a retry gets a 400.)
    pub fn is_transient(&self) -> bool {
        match self {
            Self::RateLimited { .. }
            | Self::StillSyncing { .. }
            | Self::Timeout { .. }
            | Self::Transport { .. } => true,
            Self::Api(e) => e.status.is_server_error(),
            _ => false,
        }
    }
}

/// At which step a [`Error::Transport`] failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// Connecting (refused, unreachable, DNS, TLS handshake).
    Connect,
    /// Sending the request or reading the response head.
    Request,
    /// Reading the response body (reset or cut off mid-way).
    Body,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect failed",
            Self::Request => "request failed",
            Self::Body => "response body cut off",
        })
    }
}

/// An error status from Flexpa, with its `error` and `message` when the body was Flexpa's
/// JSON error, or a short scrubbed snippet of the body otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) error: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) body_snippet: Option<String>,
}

impl ApiError {
    /// The HTTP status, such as 400 or 401.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Flexpa's `error` field, such as `"Bad Request"`.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Flexpa's `message` field, such as `"Invalid public token. Public token has expired."`.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The start of the body (at most 256 characters, secrets removed) when it was not
    /// Flexpa's JSON error.
    pub fn body_snippet(&self) -> Option<&str> {
        self.body_snippet.as_deref()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flexpa API error: HTTP {}", self.status.as_u16())?;
        match (&self.error, &self.message) {
            (Some(e), Some(m)) => write!(f, " {e}: {m}"),
            (Some(e), None) => write!(f, " {e}"),
            (None, Some(m)) => write!(f, ": {m}"),
            (None, None) => match &self.body_snippet {
                Some(s) if !s.is_empty() => write!(f, " (body: {s})"),
                _ => match self.status.canonical_reason() {
                    Some(r) => write!(f, " {r}"),
                    None => Ok(()),
                },
            },
        }
    }
}

struct RetryAfter(Option<Duration>);

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => write!(f, "; retry after {}", DurationText(d)),
            None => Ok(()),
        }
    }
}

struct DurationText(Duration);

impl fmt::Display for DurationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d.subsec_nanos() == 0 {
            write!(f, "{}s", d.as_secs())
        } else if d < Duration::from_secs(1) {
            write!(f, "{}ms", d.as_millis())
        } else {
            write!(f, "{:.1}s", d.as_secs_f64())
        }
    }
}

/// Removes from `text` every occurrence of `secrets`, in every form a server could echo them
/// back in (raw, percent-encoded, JSON-escaped), and anything shaped like a secret key
/// (`sk_test_…`, `sk_live_…`); keeps at most `max_chars` characters, and replaces control
/// characters (so a hostile body cannot forge log lines).
pub(crate) fn scrub<S: AsRef<str>>(text: &str, secrets: &[S], max_chars: usize) -> String {
    let mut s = text.to_owned();
    for secret in secrets.iter().map(AsRef::as_ref).filter(|s| s.len() >= 4) {
        for form in encoded_forms(secret) {
            if s.contains(&*form) {
                s = s.replace(&*form, "<redacted>");
            }
        }
    }
    for prefix in ["sk_test_", "sk_live_"] {
        let mut out = String::with_capacity(s.len());
        let mut rest = s.as_str();
        while let Some(i) = rest.find(prefix) {
            out.push_str(&rest[..i]);
            out.push_str("<redacted>");
            let tail = &rest[i + prefix.len()..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(tail.len());
            rest = &tail[end..];
        }
        out.push_str(rest);
        s = out;
    }
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max_chars)
        .collect();
    if s.chars().count() > max_chars {
        out.push('…');
    }
    out
}

/// A secret as it may come back: raw, percent-encoded (as in a form or a query), and
/// JSON-escaped (with and without `\/`).
fn encoded_forms(secret: &str) -> Vec<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    let mut forms = vec![Cow::Borrowed(secret)];
    let mut push = |form: String| {
        if !forms.iter().any(|f| *f == form) {
            forms.push(Cow::Owned(form));
        }
    };
    push(form_urlencoded::byte_serialize(secret.as_bytes()).collect());
    // RFC 3986: everything but the unreserved characters, as a URL path or a JavaScript
    // `encodeURIComponent`-style encoder writes it.
    const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    push(utf8_percent_encode(secret, ESCAPED).to_string());
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json[1..json.len().saturating_sub(1).max(1)].to_owned();
    push(json.replace('/', "\\/"));
    push(json);
    forms
}

/// Describes a JSON parse failure without quoting any value from the body.
pub(crate) fn describe_json_error(e: &serde_json::Error, content_type: Option<&str>) -> String {
    use serde_json::error::Category;
    let at = format!("line {} column {}", e.line(), e.column());
    let ct = match content_type {
        Some(ct) if !ct.to_ascii_lowercase().contains("json") => {
            format!(" (content type `{}`)", scrub::<&str>(ct, &[], 64))
        }
        _ => String::new(),
    };
    match e.classify() {
        Category::Eof => format!("the JSON body ends early, at {at} (truncated?){ct}"),
        Category::Syntax => format!("the body is not valid JSON (at {at}){ct}"),
        Category::Io => format!("the body could not be read (at {at})"),
        Category::Data => {
            // serde's data errors quote offending strings as "…": drop what is between the
            // first and the last double quote, which may be a token.
            let msg = e.to_string();
            let msg = match (msg.find('"'), msg.rfind('"')) {
                (Some(a), Some(b)) if b > a => format!("{}\"…\"{}", &msg[..a], &msg[b + 1..]),
                _ => msg,
            };
            // ... and an unknown enum variant as `…` (the value, not the expected names).
            let msg = match (
                msg.strip_prefix("unknown variant `"),
                msg.rfind("`, expected"),
            ) {
                (Some(_), Some(end)) => format!("unknown variant `…{}", &msg[end..]),
                _ => msg,
            };
            format!("unexpected JSON content: {}", scrub::<&str>(&msg, &[], 300))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_known_and_shaped_secrets() {
        let s = scrub(
            "bad key sk_live_ABC-123_x, token tok_SECRET in\nbody",
            &["tok_SECRET"],
            200,
        );
        assert_eq!(s, "bad key <redacted>, token <redacted> in body");
        assert_eq!(scrub::<&str>("abcdef", &[], 3), "abc…");
        let secret = "tok/a+b=\"c\"";
        for echoed in [
            "tok/a+b=\"c\"",
            "tok%2Fa%2Bb%3D%22c%22",
            "tok\\/a+b=\\\"c\\\"",
            "tok/a+b=\\\"c\\\"",
        ] {
            let s = scrub(&format!("x {echoed} y"), &[secret], 200);
            assert_eq!(s, "x <redacted> y", "{echoed}");
        }
    }

    #[test]
    fn json_data_errors_do_not_quote_values() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            n: u64,
        }
        let e = serde_json::from_str::<T>(r#"{"n":"SECRET_VALUE"}"#).unwrap_err();
        let d = describe_json_error(&e, None);
        assert!(!d.contains("SECRET_VALUE"), "{d}");
        assert!(d.contains("invalid type"), "{d}");
    }

    #[test]
    fn errors_and_clients_cross_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_send_sync::<super::super::Client>();
    }

    #[test]
    fn display_forms() {
        let e = Error::RateLimited {
            retry_after: Some(Duration::from_secs(3)),
            attempts: 3,
        };
        assert_eq!(
            e.to_string(),
            "rate limited by Flexpa (HTTP 429) after 3 attempt(s); retry after 3s"
        );
        let e = Error::Timeout {
            after: Duration::from_millis(250),
        };
        assert_eq!(e.to_string(), "the request to Flexpa timed out after 250ms");
        let api = ApiError {
            status: StatusCode::BAD_REQUEST,
            error: Some("Bad Request".into()),
            message: Some("Invalid public token.".into()),
            body_snippet: None,
        };
        assert_eq!(
            api.to_string(),
            "Flexpa API error: HTTP 400 Bad Request: Invalid public token."
        );
    }
}
