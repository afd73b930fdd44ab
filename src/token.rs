//! Secret-bearing newtypes shared by both sides.
//!
//! Every type here prints redacted in [`Debug`](core::fmt::Debug) and
//! [`Display`](core::fmt::Display): a token can only be read through an explicit call such as
//! [`PublicToken::as_str`], so it never ends up in a log line, a panic message or an error by
//! accident.

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

/// Defines a redacted `Debug`/`Display` for a secret-bearing newtype.
macro_rules! redacted_fmt {
    ($ty:ident) => {
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
    };
}
#[allow(unused_imports)]
pub(crate) use redacted_fmt;

/// The short-lived, single-use token that Flexpa Link hands to `onSuccess`.
///
/// Send it to your backend (for instance as JSON: it serializes as a plain string), where it is
/// exchanged together with your secret key for an access token. It cannot read any data by
/// itself, but it is still a credential until exchanged, so it prints as `<redacted>`.
///
/// ```
/// let token = flexpa_link::PublicToken::new("public_token_950fae5f-7903-4ce1-9414-9b44c4e55263")?;
/// assert_eq!(format!("{token:?}"), "PublicToken(<redacted>)");
/// assert!(token.as_str().starts_with("public_token_"));
/// # Ok::<(), flexpa_link::InvalidValue>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PublicToken(String);

redacted_fmt!(PublicToken);

impl PublicToken {
    /// Accepts a public token received from a browser (untrusted input).
    ///
    /// The check is deliberately about shape, not format: non-empty, at most 2048 bytes,
    /// printable ASCII without whitespace. Flexpa's tokens look like `public_token_<uuid>`, but
    /// the crate does not reject a token because Flexpa changed its format; the API does that.
    pub fn new(token: impl Into<String>) -> Result<Self, InvalidValue> {
        let token = token.into();
        check_opaque("public token", &token)?;
        Ok(Self(token))
    }

    /// The token itself, to send to your backend. Handle it as a credential.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The token itself, by value.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for PublicToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::new(raw).map_err(serde::de::Error::custom)
    }
}

impl core::str::FromStr for PublicToken {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
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
        assert_eq!(t.as_str(), "public_token_1");
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
