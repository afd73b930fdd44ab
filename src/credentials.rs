//! Every credential the crate handles, made one way.
//!
//! Each secret-bearing type ([`PublicToken`]; with `pkce`, `CodeVerifier` and
//! `AuthorizationCode`; with `server`, `SecretKey`, `AccessToken`, `RefreshToken` and
//! `WebhookSecret`) is a newtype over a `String` that
//! - is checked when made (`new`, `FromStr`, `Deserialize`), with an [`InvalidValue`] that says
//!   what is wrong without ever echoing the value;
//! - prints as `<redacted>` in `Debug` and `Display`, so it never ends up in a log line, a
//!   panic message or an error by accident;
//! - is read only through `expose_secret()` (or `into_string()` by value): every place that
//!   handles the raw value says so.
//!
//! The types live in the modules that use them (`flexpa_link::PublicToken`,
//! `pkce::CodeVerifier`, `server::SecretKey`, `server::webhooks::WebhookSecret`...); they are
//! all defined here.

use core::fmt;
use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};

/// The longest token or key the crate accepts, in bytes. Real values are far shorter; the cap
/// keeps a hostile caller from making the crate hold or forward megabytes.
pub(crate) const MAX_SECRET_LEN: usize = 2048;

/// Why a token or key was rejected. It never contains the rejected value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {reason}")]
pub struct InvalidValue {
    kind: &'static str,
    reason: Cow<'static, str>,
}

impl InvalidValue {
    pub(crate) fn new(kind: &'static str, reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            reason: reason.into(),
        }
    }

    /// What was being validated, such as `"publishable key"` or `"public token"`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// What is wrong with it, in words safe to log (never the value itself).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Checks the shape every token and key shares: non-empty, bounded, printable ASCII without
/// whitespace (which also rules out header and URL injection).
pub(crate) fn check_opaque(kind: &'static str, value: &str) -> Result<(), InvalidValue> {
    // Static reasons (no formatting) keep `core::fmt` out of a browser build that never
    // displays an error.
    if value.is_empty() {
        return Err(InvalidValue::new(kind, "it is empty"));
    }
    if value.len() > MAX_SECRET_LEN {
        return Err(InvalidValue::new(
            kind,
            "it is longer than the 2048 bytes allowed",
        ));
    }
    // Branch-free over the whole value (printable ASCII is 0x21..=0x7E), so it vectorizes:
    // an access token is ~500 bytes, checked on every exchange. `all` would stop early, byte
    // by byte, for the rare bad value only.
    let printable = value
        .as_bytes()
        .iter()
        .fold(true, |ok, &b| ok & (b.wrapping_sub(0x21) < 0x5e));
    if !printable {
        return Err(InvalidValue::new(
            kind,
            "it contains whitespace or a non-printable character",
        ));
    }
    Ok(())
}

/// Checks that `value` starts with one of `prefixes` and has something after it; `expected`
/// says which prefixes, in words.
pub(crate) fn check_prefixed(
    kind: &'static str,
    value: &str,
    prefixes: &[&str],
    expected: &'static str,
) -> Result<(), InvalidValue> {
    check_opaque(kind, value)?;
    match prefixes.iter().find(|p| value.starts_with(*p)) {
        Some(p) if value.len() > p.len() => Ok(()),
        Some(_) => Err(InvalidValue::new(kind, "nothing follows its prefix")),
        None => Err(InvalidValue::new(kind, expected)),
    }
}

/// Defines a secret-bearing newtype: the struct, `new` through `$check` (which may normalize
/// the value), `expose_secret`, `into_string`, redacted `Debug`/`Display`, `FromStr` and a
/// validating `Deserialize`. Attributes (docs, `derive(Serialize)`) go on the struct.
macro_rules! secret {
    ($(#[$attr:meta])* $vis:vis struct $ty:ident; kind = $kind:literal; check = $check:expr;) => {
        $(#[$attr])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        $vis struct $ty(String);

        impl $ty {
            #[doc = concat!("Checks the shape of the ", $kind, " and keeps it. The error never contains the value.")]
            pub fn new(value: impl Into<String>) -> Result<Self, InvalidValue> {
                let check: fn(&'static str, String) -> Result<String, InvalidValue> = $check;
                check($kind, value.into()).map(Self)
            }

            #[doc = concat!("The ", $kind, " itself. Handle it as a credential.")]
            pub fn expose_secret(&self) -> &str {
                &self.0
            }

            #[doc = concat!("The ", $kind, " itself, by value.")]
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl ::core::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(concat!(stringify!($ty), "(<redacted>)"))
            }
        }

        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str("<redacted>")
            }
        }

        impl ::core::str::FromStr for $ty {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Self::new(String::deserialize(d)?).map_err(::serde::de::Error::custom)
            }
        }
    };
}

/// The shape check shared by tokens: see [`check_opaque`].
fn opaque(kind: &'static str, value: String) -> Result<String, InvalidValue> {
    check_opaque(kind, &value).map(|()| value)
}

secret! {
    /// The short-lived, single-use token that Flexpa Link hands to `onSuccess`.
    ///
    /// Send it to your backend (for instance as JSON: it serializes as a plain string), where
    /// it is exchanged together with your secret key for an access token. It cannot read any
    /// data by itself, but it is still a credential until exchanged, so it prints as
    /// `<redacted>`.
    ///
    /// The check is deliberately about shape, not format: non-empty, at most 2048 bytes,
    /// printable ASCII without whitespace. Flexpa's tokens look like `public_token_<uuid>`, but
    /// the crate does not reject a token because Flexpa changed its format; the API does that.
    ///
    /// ```
    /// let token = flexpa_link::PublicToken::new("public_token_950fae5f-7903-4ce1-9414-9b44c4e55263")?;
    /// assert_eq!(format!("{token:?}"), "PublicToken(<redacted>)");
    /// assert!(token.expose_secret().starts_with("public_token_"));
    /// # Ok::<(), flexpa_link::InvalidValue>(())
    /// ```
    #[derive(Serialize)]
    #[serde(transparent)]
    pub struct PublicToken;
    kind = "public token";
    check = opaque;
}

#[cfg(feature = "pkce")]
secret! {
    /// The single-use authorization code Flexpa's consent flow sends back to your redirect URI;
    /// your backend exchanges it, with the verifier, for an access token
    /// (`server::Client::exchange_code`).
    pub struct AuthorizationCode;
    kind = "authorization code";
    check = opaque;
}

#[cfg(feature = "pkce")]
secret! {
    /// A PKCE code verifier (RFC 7636): 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`. Keep it
    /// (a server session, `sessionStorage`) until the code exchange; its hash, the
    /// `CodeChallenge`, goes in the authorization URL.
    ///
    /// ```
    /// use flexpa_link::pkce::CodeVerifier;
    /// // The example of RFC 7636, appendix B.
    /// let v = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")?;
    /// assert_eq!(v.challenge().as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    /// assert_eq!(format!("{v:?}"), "CodeVerifier(<redacted>)");
    ///
    /// let err = CodeVerifier::new("too-short").unwrap_err();
    /// assert_eq!(err.to_string(), "invalid code verifier: it is 9 characters long; PKCE needs 43 to 128");
    /// # Ok::<(), flexpa_link::InvalidValue>(())
    /// ```
    #[derive(Serialize)]
    #[serde(transparent)]
    pub struct CodeVerifier;
    kind = "code verifier";
    check = check_verifier;
}

/// RFC 7636: 43 to 128 unreserved characters.
#[cfg(feature = "pkce")]
fn check_verifier(kind: &'static str, verifier: String) -> Result<String, InvalidValue> {
    use crate::pkce::{MAX_VERIFIER_LEN, MIN_VERIFIER_LEN};
    let len = verifier.len();
    if !(MIN_VERIFIER_LEN..=MAX_VERIFIER_LEN).contains(&len) {
        return Err(InvalidValue::new(
            kind,
            format!(
                "it is {len} characters long; PKCE needs {MIN_VERIFIER_LEN} to {MAX_VERIFIER_LEN}"
            ),
        ));
    }
    if let Some(pos) = verifier
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')))
    {
        return Err(InvalidValue::new(
            kind,
            format!(
                "the character at byte {pos} is not allowed; use only A-Z, a-z, 0-9, `-`, `.`, \
                 `_` and `~` (base64url)"
            ),
        ));
    }
    Ok(verifier)
}

#[cfg(all(feature = "server", not(target_arch = "wasm32")))]
secret! {
    /// Your Flexpa secret key (`sk_test_...` or `sk_live_...`). It never leaves the server.
    ///
    /// It prints as `<redacted>` in `Debug` and `Display`, and it does not implement
    /// `Serialize`, so it cannot end up in a log line or a JSON document by accident.
    /// Surrounding whitespace (a pasted value) is trimmed.
    ///
    /// ```
    /// use flexpa_link::server::SecretKey;
    /// let key = SecretKey::new("sk_test_0123456789")?;
    /// assert_eq!(format!("{key:?} {key}"), "SecretKey(<redacted>) <redacted>");
    /// assert!(key.is_test());
    /// let err = SecretKey::new("pk_test_0123456789").unwrap_err();
    /// assert!(err.to_string().contains("publishable key"));
    /// # Ok::<(), flexpa_link::InvalidValue>(())
    /// ```
    pub struct SecretKey;
    kind = "secret key";
    check = check_secret_key;
}

#[cfg(all(feature = "server", not(target_arch = "wasm32")))]
fn check_secret_key(kind: &'static str, key: String) -> Result<String, InvalidValue> {
    let key = key.trim().to_owned();
    match check_prefixed(
        kind,
        &key,
        &["sk_test_", "sk_live_"],
        "it must start with `sk_test_` or `sk_live_`",
    ) {
        Ok(()) => Ok(key),
        Err(_) if key.starts_with("pk_") => Err(InvalidValue::new(
            kind,
            "this is a publishable key (`pk_...`); the server needs the secret key \
             (`sk_test_` or `sk_live_`)",
        )),
        Err(e) => Err(e),
    }
}

#[cfg(all(feature = "server", not(target_arch = "wasm32")))]
impl SecretKey {
    /// Whether this is a test-mode key (`sk_test_`).
    pub fn is_test(&self) -> bool {
        self.0.starts_with("sk_test_")
    }
}

#[cfg(all(feature = "server", not(target_arch = "wasm32")))]
secret! {
    /// An access token: reads a patient's FHIR data (or, from the `client_credentials` grant,
    /// the application's) until it expires. Keep it on the server.
    ///
    /// Prints as `<redacted>`; it serializes as a plain string so you can store it.
    #[derive(Serialize)]
    #[serde(transparent)]
    pub struct AccessToken;
    kind = "access token";
    check = opaque;
}

#[cfg(all(feature = "server", not(target_arch = "wasm32")))]
secret! {
    /// A refresh token (only for `MULTIPLE` usage): gets a new access token with
    /// `server::Client::refresh`. Keep it on the server.
    ///
    /// Prints as `<redacted>`; it serializes as a plain string so you can store it.
    #[derive(Serialize)]
    #[serde(transparent)]
    pub struct RefreshToken;
    kind = "refresh token";
    check = opaque;
}

#[cfg(all(feature = "server", not(target_arch = "wasm32")))]
secret! {
    /// Your webhook signing secret, from the Flexpa Portal (one per mode, test and live); see
    /// `server::webhooks`. Surrounding whitespace (a pasted value) is trimmed. It prints as
    /// `<redacted>` and does not serialize.
    pub struct WebhookSecret;
    kind = "webhook secret";
    check = |kind, secret| opaque(kind, secret.trim().to_owned());
}

/// A publishable key (`pk_test_...` or `pk_live_...`): the key the browser uses to open Link.
///
/// It is not a secret, so it prints in full.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PublishableKey(String);

impl PublishableKey {
    /// Validates the `pk_test_` / `pk_live_` prefix and the shape of the key.
    ///
    /// ```
    /// use flexpa_link::PublishableKey;
    /// assert!(PublishableKey::new("pk_test_abc123").is_ok());
    /// let err = PublishableKey::new("pk_abc123").unwrap_err();
    /// assert_eq!(err.to_string(), "invalid publishable key: it must start with `pk_test_` or `pk_live_`");
    /// ```
    pub fn new(key: impl Into<String>) -> Result<Self, InvalidValue> {
        let key = key.into();
        check_prefixed(
            "publishable key",
            &key,
            &["pk_test_", "pk_live_"],
            "it must start with `pk_test_` or `pk_live_`",
        )
        .map_err(|e| {
            if key.starts_with("sk_") {
                InvalidValue::new(
                    "publishable key",
                    "this is a secret key (`sk_...`); it must never reach a browser, use the \
                     publishable key (`pk_test_` or `pk_live_`)",
                )
            } else {
                e
            }
        })?;
        Ok(Self(key))
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a test-mode key (`pk_test_`).
    pub fn is_test(&self) -> bool {
        self.0.starts_with("pk_test_")
    }
}

impl fmt::Debug for PublishableKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublishableKey").field(&self.0).finish()
    }
}

impl fmt::Display for PublishableKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PublishableKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::new(raw).map_err(serde::de::Error::custom)
    }
}

impl core::str::FromStr for PublishableKey {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<&str> for PublishableKey {
    type Error = InvalidValue;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl TryFrom<String> for PublishableKey {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_token_is_redacted_everywhere() {
        let t = PublicToken::new("public_token_secret-uuid").unwrap();
        assert!(!format!("{t:?}").contains("secret"));
        assert!(!format!("{t}").contains("secret"));
        assert!(!format!("{t:#?}").contains("secret"));
    }

    #[test]
    fn public_token_rejects_bad_shapes_without_echoing_them() {
        for bad in [
            "",
            "has space",
            "new\nline",
            &"x".repeat(MAX_SECRET_LEN + 1),
        ] {
            let err = PublicToken::new(bad).unwrap_err();
            if !bad.is_empty() {
                assert!(!err.to_string().contains(bad.trim()), "{err}");
            }
        }
    }

    #[test]
    fn exactly_printable_ascii_without_whitespace_is_accepted() {
        for c in (0u32..0x250).filter_map(char::from_u32) {
            let value = format!("ab{c}cd");
            assert_eq!(
                check_opaque("token", &value).is_ok(),
                c.is_ascii_graphic(),
                "{c:?}"
            );
        }
    }

    #[test]
    fn public_token_serde_round_trip_validates() {
        let t: PublicToken = serde_json_like("\"public_token_1\"");
        assert_eq!(t.expose_secret(), "public_token_1");
    }

    fn serde_json_like(s: &str) -> PublicToken {
        // A tiny deserializer for a JSON string literal, so the test needs no serde_json.
        let inner = s.trim_matches('"').to_owned();
        PublicToken::deserialize(serde::de::value::StringDeserializer::<
            serde::de::value::Error,
        >::new(inner))
        .unwrap()
    }

    #[test]
    fn publishable_key_prefixes() {
        assert!(PublishableKey::new("pk_live_x").unwrap().as_str() == "pk_live_x");
        assert!(PublishableKey::new("pk_test_x").unwrap().is_test());
        assert!(PublishableKey::new("pk_test_").is_err());
        assert!(PublishableKey::new("pk_prod_x").is_err());
        let err = PublishableKey::new("sk_live_topsecret").unwrap_err();
        assert!(err.to_string().contains("secret key"));
        assert!(!err.to_string().contains("topsecret"));
    }
}
