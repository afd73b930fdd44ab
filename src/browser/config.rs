//! What Flexpa Link opens with: [`LinkConfig`] and its options.

use core::fmt;

use crate::credentials::{PublicToken, PublishableKey};

use super::error::{Error, Result};
pub use crate::usage::Usage;

/// A value for an option the crate does not know (yet), passed through to
/// `FlexpaLink.create` unchanged. See [`LinkConfig::option`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum OptionValue {
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    String(String),
    /// JSON text, parsed into a JavaScript value when the session is created (objects, arrays).
    Json(String),
}

impl From<bool> for OptionValue {
    fn from(v: bool) -> Self {
        OptionValue::Bool(v)
    }
}
impl From<f64> for OptionValue {
    fn from(v: f64) -> Self {
        OptionValue::Number(v)
    }
}
impl From<i32> for OptionValue {
    fn from(v: i32) -> Self {
        OptionValue::Number(v.into())
    }
}
impl From<&str> for OptionValue {
    fn from(v: &str) -> Self {
        OptionValue::String(v.to_owned())
    }
}
impl From<String> for OptionValue {
    fn from(v: String) -> Self {
        OptionValue::String(v)
    }
}

pub(crate) type SuccessFn = Box<dyn FnMut(PublicToken)>;
pub(crate) type ExitFn = Box<dyn FnMut(Option<String>)>;
pub(crate) type LoadFn = Box<dyn FnMut()>;

/// The configuration Flexpa Link is created with: the `config` of `FlexpaLink.create(config)`.
///
/// Plain Rust data: it builds anywhere, including on the server during server-side rendering.
///
/// ```
/// use flexpa_link::{LinkConfig, Usage};
/// let config = LinkConfig::new("pk_test_abc")?
///     .user_external_id("user-123")
///     .usage(Usage::Multiple)
///     .on_success(|token| { /* send token.expose_secret() to your backend */ let _ = token; })
///     .on_exit(|reason| { let _ = reason; });
/// # Ok::<(), flexpa_link::Error>(())
/// ```
#[must_use = "a LinkConfig does nothing until passed to FlexpaLink::create"]
pub struct LinkConfig {
    pub(crate) publishable_key: PublishableKey,
    pub(crate) user_external_id: Option<String>,
    pub(crate) usage: Option<Usage>,
    pub(crate) endpoint: Option<String>,
    pub(crate) strict: Option<bool>,
    pub(crate) auto_exit: Option<bool>,
    pub(crate) options: Vec<(String, OptionValue)>,
    pub(crate) on_success: Option<SuccessFn>,
    pub(crate) on_exit: Option<ExitFn>,
    pub(crate) on_load: Option<LoadFn>,
}

/// The keys of `FlexpaLink.create`'s config that the crate sets itself, the one list of them:
/// [`LinkConfig::option`] and the npm package's config parser (`js`) refuse them as extras.
pub(crate) const KNOWN_KEYS: [&str; 9] = [
    "publishableKey",
    "onSuccess",
    "onExit",
    "onLoad",
    "user",
    "usage",
    "endpoint",
    "strict",
    "autoExit",
];

impl LinkConfig {
    /// Starts a configuration with your publishable key, which must start with `pk_test_` or
    /// `pk_live_` (a secret key is refused with a message that says why).
    pub fn new(publishable_key: impl Into<String>) -> Result<Self> {
        Ok(Self::with_key(PublishableKey::new(publishable_key)?))
    }

    /// Starts a configuration with an already validated key.
    pub fn with_key(publishable_key: PublishableKey) -> Self {
        Self {
            publishable_key,
            user_external_id: None,
            usage: None,
            endpoint: None,
            strict: None,
            auto_exit: None,
            options: Vec::new(),
            on_success: None,
            on_exit: None,
            on_load: None,
        }
    }

    /// The publishable key.
    pub fn publishable_key(&self) -> &PublishableKey {
        &self.publishable_key
    }

    /// `user: { externalId }`: your own id for the user, returned by introspection.
    pub fn user_external_id(mut self, id: impl Into<String>) -> Self {
        self.user_external_id = Some(id.into());
        self
    }

    /// `usage`: one-time or continued access.
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = Some(usage);
        self
    }

    /// `endpoint`: the id of a health plan to preselect.
    pub fn endpoint(mut self, endpoint_id: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint_id.into());
        self
    }

    /// `strict` (Flexpa's default: `true`).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = Some(strict);
        self
    }

    /// `autoExit` (Flexpa's default: `true`).
    pub fn auto_exit(mut self, auto_exit: bool) -> Self {
        self.auto_exit = Some(auto_exit);
        self
    }

    /// Passes an option the crate has no method for straight to `FlexpaLink.create`, such as
    /// `brandColor` in older releases. Keys the crate sets itself are refused when the session
    /// is created ([`Error::ReservedOption`]).
    ///
    /// ```
    /// # use flexpa_link::LinkConfig;
    /// let config = LinkConfig::new("pk_test_abc")?.option("brandColor", "#5a3cf0");
    /// # Ok::<(), flexpa_link::Error>(())
    /// ```
    pub fn option(mut self, key: impl Into<String>, value: impl Into<OptionValue>) -> Self {
        self.options.push((key.into(), value.into()));
        self
    }

    /// `onSuccess`: called with the public token, exactly once per opening.
    ///
    /// Optional: [`LinkSession::public_token`](crate::LinkSession::public_token) gives the same
    /// token as a future.
    pub fn on_success(mut self, f: impl FnMut(PublicToken) + 'static) -> Self {
        self.on_success = Some(Box::new(f));
        self
    }

    /// `onExit`: called when the user leaves Link without linking, with the reason the Link
    /// app gave (a string, or its payload as JSON), if any. Once per opening.
    ///
    /// Also called, with `None`, when the script removes the Link iframe without calling
    /// `onExit`: the older script published on npm as `@flexpa/link` 0.0.8 does that when the
    /// user cancels, and the crate notices the iframe leaving the page.
    ///
    /// And called with `Some(`[`INVALID_TOKEN_EXIT`](crate::INVALID_TOKEN_EXIT)`)` when Link's
    /// success carried something that is not a public token: the opening is over without a
    /// token, and an app that only has callbacks learns of it here
    /// ([`public_token`](crate::LinkSession::public_token) gives [`Error::InvalidToken`]).
    pub fn on_exit(mut self, f: impl FnMut(Option<String>) + 'static) -> Self {
        self.on_exit = Some(Box::new(f));
        self
    }

    /// `onLoad`: called when the Link app inside the iframe has loaded. Once per opening.
    /// (The older script published as `@flexpa/link` 0.0.8 never calls it.)
    pub fn on_load(mut self, f: impl FnMut() + 'static) -> Self {
        self.on_load = Some(Box::new(f));
        self
    }

    /// Checks the passthrough options.
    pub(crate) fn validate(&self) -> Result<()> {
        for (key, _) in &self.options {
            if key.is_empty() || KNOWN_KEYS.contains(&key.as_str()) {
                return Err(Error::ReservedOption(key.clone()));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for LinkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkConfig")
            .field("publishable_key", &self.publishable_key)
            .field("user_external_id", &self.user_external_id)
            .field("usage", &self.usage)
            .field("endpoint", &self.endpoint)
            .field("strict", &self.strict)
            .field("auto_exit", &self.auto_exit)
            .field("options", &self.options)
            .field("on_success", &self.on_success.is_some())
            .field("on_exit", &self.on_exit.is_some())
            .field("on_load", &self.on_load.is_some())
            .finish()
    }
}
