//! Keys, tokens and the typed responses of Flexpa's API.
//!
//! Responses tolerate what Flexpa may add or change: unknown fields are ignored, optional fields
//! may be missing or `null`, and loosely typed values (such as `timeUntilMaxAuth`) fall back to
//! an `Unknown` variant instead of failing the whole response.

use core::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

pub use crate::credentials::{AccessToken, RefreshToken, SecretKey};

/// How long Flexpa may still re-authorize with the health plan (`timeUntilMaxAuth`).
///
/// Serializes back to the wire form (a number, `"indefinite"` or `"unknown"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimeUntilMaxAuth {
    /// This many seconds remain.
    Seconds(u64),
    /// No limit (`"indefinite"`).
    Indefinite,
    /// Flexpa does not know (`"unknown"`), or sent something this crate does not understand
    /// (missing, `null`, a negative number, an unexpected string).
    #[default]
    Unknown,
}

impl TimeUntilMaxAuth {
    /// The remaining time, if it is a known number of seconds.
    pub fn as_duration(&self) -> Option<Duration> {
        match self {
            Self::Seconds(s) => Some(Duration::from_secs(*s)),
            _ => None,
        }
    }
}

impl Serialize for TimeUntilMaxAuth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Seconds(s) => serializer.serialize_u64(*s),
            Self::Indefinite => serializer.serialize_str("indefinite"),
            Self::Unknown => serializer.serialize_str("unknown"),
        }
    }
}

impl<'de> Deserialize<'de> for TimeUntilMaxAuth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TimeUntilMaxAuth;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of seconds, \"indefinite\" or \"unknown\"")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(TimeUntilMaxAuth::Seconds(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(u64::try_from(v).map_or(TimeUntilMaxAuth::Unknown, TimeUntilMaxAuth::Seconds))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(
                    seconds_from_f64(v)
                        .map_or(TimeUntilMaxAuth::Unknown, TimeUntilMaxAuth::Seconds),
                )
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                let v = v.trim();
                Ok(if v.eq_ignore_ascii_case("indefinite") {
                    TimeUntilMaxAuth::Indefinite
                } else if let Ok(n) = v.parse::<u64>() {
                    TimeUntilMaxAuth::Seconds(n)
                } else {
                    TimeUntilMaxAuth::Unknown
                })
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(TimeUntilMaxAuth::Unknown)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(TimeUntilMaxAuth::Unknown)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(TimeUntilMaxAuth::Unknown)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(TimeUntilMaxAuth::Unknown)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(TimeUntilMaxAuth::Unknown)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A finite, non-negative number of seconds (fractions dropped).
fn seconds_from_f64(v: f64) -> Option<u64> {
    (v.is_finite() && v >= 0.0 && v < u64::MAX as f64).then_some(v as u64)
}

/// Seconds as Flexpa sends them: an integer, tolerating a float or a numeric string.
fn de_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_opt_seconds(d)?.ok_or_else(|| de::Error::custom("expected a number of seconds, got null"))
}

fn de_opt_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative number of seconds")
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            u64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom("a negative number of seconds"))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            seconds_from_f64(v)
                .map(Some)
                .ok_or_else(|| E::custom("a negative or non-finite number of seconds"))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            // Never echo the string: this is the place a misplaced token would show up.
            v.trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| E::custom("a string that is not a number of seconds"))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
    }
    d.deserialize_any(V)
}

/// `null` becomes the default instead of an error.
fn de_null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A list of strings, tolerating a single string or `null`.
fn de_string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    // A hand-written visitor: `#[serde(untagged)]` would buffer every value into serde's
    // private `Content` tree and try each variant, an allocation per string on the hot path
    // of every exchange.
    struct StringList;

    impl<'de> serde::de::Visitor<'de> for StringList {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("a string, a list of strings or null")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![v.to_owned()])
        }

        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(vec![v])
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(item) = seq.next_element::<String>()? {
                out.push(item);
            }
            Ok(out)
        }
    }

    d.deserialize_any(StringList)
}

/// Serializes `Option<RefreshExpiry>` back to the wire form (`null`, `0` or seconds).
fn ser_refresh_expiry<S: Serializer>(v: &Option<RefreshExpiry>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        None => s.serialize_none(),
        Some(RefreshExpiry::Never) => s.serialize_u64(0),
        Some(RefreshExpiry::After(d)) => s.serialize_u64(d.as_secs()),
    }
}

fn de_refresh_expiry<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RefreshExpiry>, D::Error> {
    Ok(de_opt_seconds(d)?.map(|s| {
        if s == 0 {
            RefreshExpiry::Never
        } else {
            RefreshExpiry::After(Duration::from_secs(s))
        }
    }))
}

/// When a refresh token expires (`refresh_expires_in`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefreshExpiry {
    /// It never expires (Flexpa sends `0`).
    Never,
    /// It expires after this long.
    After(Duration),
}

/// The health plan the patient linked (`endpoint`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Endpoint {
    /// Flexpa's id of the endpoint (use it to preselect the plan next time).
    #[serde(deserialize_with = "de_null_default")]
    pub id: String,
    /// Display labels, such as the plan's brand names.
    #[serde(deserialize_with = "de_string_list")]
    pub label: Vec<String>,
    /// The endpoint's name.
    #[serde(deserialize_with = "de_null_default")]
    pub name: String,
    /// Whether the plan supports refresh (long-lived `MULTIPLE` access).
    #[serde(deserialize_with = "de_null_default")]
    pub refreshable: bool,
    /// The FHIR resource types the plan serves.
    #[serde(deserialize_with = "de_string_list")]
    pub resources: Vec<String>,
}

/// The bare id in a FHIR reference such as `Patient/abc` (`abc`); a value without the prefix is
/// returned as is. `None` for an empty id.
fn bare_patient_id(reference: &str) -> Option<&str> {
    let reference = reference.trim();
    let id = match reference.rfind("Patient/") {
        Some(i) => &reference[i + "Patient/".len()..],
        None => reference,
    };
    let id = id.split(['/', '?', '#']).next().unwrap_or_default();
    (!id.is_empty()).then_some(id)
}

/// What `POST /link/exchange` returns for a public token.
///
/// Only `access_token` and `expires_in` are required; every other field tolerates being
/// missing or `null`, and unknown fields are ignored. `Debug` keeps the tokens redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExchangeResponse {
    /// The access token for Flexpa's FHIR API. Keep it on the server.
    pub access_token: AccessToken,
    /// Seconds until the access token expires.
    #[serde(deserialize_with = "de_seconds")]
    pub expires_in: u64,
    /// Present only for `MULTIPLE` usage.
    #[serde(default, deserialize_with = "de_opt_refresh_token")]
    pub refresh_token: Option<RefreshToken>,
    /// When the refresh token expires; `None` when Flexpa sent `null` or nothing.
    #[serde(
        default,
        deserialize_with = "de_refresh_expiry",
        serialize_with = "ser_refresh_expiry"
    )]
    pub refresh_expires_in: Option<RefreshExpiry>,
    /// The patient as a FHIR reference, `Patient/<id>`; see [`patient_id`](Self::patient_id).
    #[serde(default)]
    pub patient: Option<String>,
    /// The health plan the patient linked.
    #[serde(default)]
    pub endpoint: Option<Endpoint>,
    /// How long Flexpa may still re-authorize with the plan.
    #[serde(rename = "timeUntilMaxAuth", default)]
    pub time_until_max_auth: TimeUntilMaxAuth,
}

impl ExchangeResponse {
    /// The bare patient id (`abc` for `Patient/abc`), for `GET /fhir/Patient/<id>` and
    /// `?patient=<id>` searches.
    pub fn patient_id(&self) -> Option<&str> {
        self.patient.as_deref().and_then(bare_patient_id)
    }

    /// The access token's lifetime.
    pub fn expires_after(&self) -> Duration {
        Duration::from_secs(self.expires_in)
    }
}

/// A refresh token field that tolerates `null` and an empty string (both mean "none").
fn de_opt_refresh_token<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RefreshToken>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => RefreshToken::new(s).map(Some).map_err(de::Error::custom),
    }
}

/// Defines an enum of the values Flexpa documents for a string field, plus `Other(String)` for
/// any value it adds later, so that parsing never fails on a new one: `as_str` (the wire
/// form), `From<&str>`, `Display`, and serde as a plain string. `$normalize` turns the wire
/// value into the form the match compares (e.g. upper case).
macro_rules! open_enum {
    (
        $(#[$attr:meta])*
        pub enum $name:ident normalize($normalize:expr) {
            $( $(#[$vattr:meta])* $variant:ident = $wire:literal, )*
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vattr])* $variant, )*
            /// A value this crate does not know yet, as Flexpa spelled it.
            Other(String),
        }

        impl $name {
            /// The wire form.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                let normalize: fn(&str) -> String = $normalize;
                match normalize(s).as_str() {
                    $( $wire => Self::$variant, )*
                    _ => Self::Other(s.to_owned()),
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Self::from(String::deserialize(d)?.as_str()))
            }
        }
    };
}
pub(crate) use open_enum;

open_enum! {
    /// The state of a Link authorization, from [`Introspection::state`] (read case-insensitively).
    pub enum LinkState normalize(|s| s.trim().to_ascii_uppercase()) {
        /// The flow was just opened.
        Created = "CREATED",
        /// The patient was sent to their health plan's login.
        Authorizing = "AUTHORIZING",
        /// The patient authorized; the public token is not yet exchanged.
        Authorized = "AUTHORIZED",
        /// The public token was exchanged for an access token.
        Exchanged = "EXCHANGED",
        /// This token was superseded by a refresh and no longer works (the new one does).
        Refreshed = "REFRESHED",
        /// The access was revoked.
        Revoked = "REVOKED",
        /// The patient bounced (left before finishing).
        Bounced = "BOUNCED",
        /// The patient abandoned the flow.
        Abandoned = "ABANDONED",
        /// The authorization failed.
        Errored = "ERRORED",
    }
}

impl LinkState {
    /// Whether the introspected token is usable: authorized or exchanged. (`REFRESHED` marks a
    /// token replaced by a refresh, which no longer works.)
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Authorized | Self::Exchanged)
    }
}

/// The user you named when opening Link (`user.externalId`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct LinkUser {
    /// Your own id for the user.
    #[serde(rename = "externalId")]
    pub external_id: Option<String>,
}

/// What `GET /link/introspect` says about an access token.
///
/// Every field is optional: an introspection of a revoked or unknown token may carry little.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Introspection {
    /// The token's unique id.
    pub jti: Option<String>,
    /// Issued at, in seconds since the Unix epoch.
    #[serde(deserialize_with = "de_opt_seconds")]
    pub iat: Option<u64>,
    /// Expires at, in seconds since the Unix epoch.
    #[serde(deserialize_with = "de_opt_seconds")]
    pub exp: Option<u64>,
    /// The patient as a FHIR reference, `Patient/<id>`.
    pub patient: Option<String>,
    /// The authorization's state; unknown states are kept as [`LinkState::Other`].
    pub state: Option<LinkState>,
    /// The linked health plan.
    pub endpoint: Option<Endpoint>,
    /// How long Flexpa may still re-authorize with the plan.
    #[serde(rename = "timeUntilMaxAuth", deserialize_with = "de_null_default")]
    pub time_until_max_auth: TimeUntilMaxAuth,
    /// The user named when Link was opened.
    pub user: Option<LinkUser>,
}

impl Introspection {
    /// The bare patient id (`abc` for `Patient/abc`).
    pub fn patient_id(&self) -> Option<&str> {
        self.patient.as_deref().and_then(bare_patient_id)
    }

    /// When the token was issued.
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.iat
            .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s)))
    }

    /// When the token expires.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.exp
            .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s)))
    }

    /// The user's external id, if one was given.
    pub fn external_id(&self) -> Option<&str> {
        self.user.as_ref()?.external_id.as_deref()
    }
}

/// What `POST /link/token` returns: for [`Client::refresh`](super::Client::refresh) and for the
/// PKCE code exchange, [`Client::exchange_code`](super::Client::exchange_code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The new access token.
    pub access_token: AccessToken,
    /// Seconds until it expires.
    #[serde(deserialize_with = "de_seconds")]
    pub expires_in: u64,
    /// A new refresh token, when Flexpa rotates it (store it in place of the old one).
    #[serde(default, deserialize_with = "de_opt_refresh_token")]
    pub refresh_token: Option<RefreshToken>,
    /// When the refresh token expires.
    #[serde(
        default,
        deserialize_with = "de_refresh_expiry",
        serialize_with = "ser_refresh_expiry"
    )]
    pub refresh_expires_in: Option<RefreshExpiry>,
    /// The token type, normally `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// The granted scope.
    #[serde(default)]
    pub scope: Option<String>,
    /// The patient as a FHIR reference, `Patient/<id>`.
    #[serde(default)]
    pub patient: Option<String>,
    /// The linked health plan.
    #[serde(default)]
    pub endpoint: Option<Endpoint>,
    /// How long Flexpa may still re-authorize with the plan.
    #[serde(rename = "timeUntilMaxAuth", default)]
    pub time_until_max_auth: TimeUntilMaxAuth,
}

impl TokenResponse {
    /// The bare patient id (`abc` for `Patient/abc`).
    pub fn patient_id(&self) -> Option<&str> {
        self.patient.as_deref().and_then(bare_patient_id)
    }

    /// The access token's lifetime.
    pub fn expires_after(&self) -> Duration {
        Duration::from_secs(self.expires_in)
    }
}

/// An application access token from the `client_credentials` grant: `{"access_token",
/// "expires_in", "token_type"}`. See [`Client::application_token`](super::Client::application_token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ApplicationToken {
    /// The token, sent as `Authorization: Bearer`. It reads no patient's data.
    pub access_token: AccessToken,
    /// Seconds until it expires (1,800 at Flexpa).
    #[serde(deserialize_with = "de_seconds")]
    pub expires_in: u64,
    /// `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
}

/// What `POST /link/revoke` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RevokeResponse {
    /// How many authorizations were revoked.
    #[serde(deserialize_with = "de_seconds")]
    pub count: u64,
}

/// Flexpa's error body: `{"statusCode": 400, "error": "Bad Request", "message": "..."}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ErrorBody {
    #[serde(deserialize_with = "de_lossy_string")]
    pub error: Option<String>,
    #[serde(deserialize_with = "de_lossy_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "de_lossy_string")]
    pub error_description: Option<String>,
}

/// A string, or a list of strings (NestJS validation errors) joined by `; `; anything else is
/// dropped.
fn de_lossy_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Array(items) => {
            let parts: Vec<String> = items
                .into_iter()
                .filter_map(|i| match i {
                    serde_json::Value::String(s) => Some(s),
                    _ => None,
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: for<'de> Deserialize<'de>>(s: &str) -> T {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn time_until_max_auth_forms() {
        let t = |s: &str| parse::<TimeUntilMaxAuth>(s);
        assert_eq!(t("3600"), TimeUntilMaxAuth::Seconds(3600));
        assert_eq!(t("3600.9"), TimeUntilMaxAuth::Seconds(3600));
        assert_eq!(t("\"indefinite\""), TimeUntilMaxAuth::Indefinite);
        assert_eq!(t("\"INDEFINITE\""), TimeUntilMaxAuth::Indefinite);
        assert_eq!(t("\"unknown\""), TimeUntilMaxAuth::Unknown);
        assert_eq!(t("\"42\""), TimeUntilMaxAuth::Seconds(42));
        for odd in [
            "-5",
            "null",
            "true",
            "\"soon\"",
            "[1]",
            "{\"a\":1}",
            "1e400",
        ] {
            if let Ok(v) = serde_json::from_str::<TimeUntilMaxAuth>(odd) {
                assert_eq!(v, TimeUntilMaxAuth::Unknown, "{odd}");
            }
        }
        assert_eq!(
            serde_json::to_string(&TimeUntilMaxAuth::Indefinite).unwrap(),
            "\"indefinite\""
        );
    }

    #[test]
    fn patient_id_forms() {
        assert_eq!(bare_patient_id("Patient/abc"), Some("abc"));
        assert_eq!(bare_patient_id("abc"), Some("abc"));
        assert_eq!(
            bare_patient_id("https://api.flexpa.com/fhir/Patient/abc"),
            Some("abc")
        );
        assert_eq!(bare_patient_id("Patient/abc/_history/2"), Some("abc"));
        assert_eq!(bare_patient_id("Patient/"), None);
        assert_eq!(bare_patient_id(""), None);
    }

    #[test]
    fn link_state_unknown_is_kept() {
        assert_eq!(parse::<LinkState>("\"EXCHANGED\""), LinkState::Exchanged);
        assert_eq!(
            parse::<LinkState>("\"PAUSED\""),
            LinkState::Other("PAUSED".into())
        );
        assert!(LinkState::Exchanged.is_active());
        // A refreshed token was replaced by the refresh: it no longer works.
        assert!(!LinkState::Refreshed.is_active());
        assert!(!LinkState::Revoked.is_active());
        assert_eq!(
            parse::<LinkState>("\" authorizing \""),
            LinkState::Authorizing
        );
    }

    #[test]
    fn secret_key_validation_never_echoes() {
        for bad in ["", "sk_test_", "sk_prod_abcdef", "sk_test_has space", "xx"] {
            let e = SecretKey::new(bad).unwrap_err();
            assert!(!bad.is_empty() && !e.to_string().contains("abcdef") || bad.is_empty());
        }
        assert!(SecretKey::new("sk_live_x").is_ok());
        assert!(
            SecretKey::new(" sk_live_x\n").is_ok(),
            "env values are trimmed"
        );
    }

    #[test]
    fn endpoint_tolerates_odd_shapes() {
        let e: Endpoint =
            parse(r#"{"id":null,"label":"One","name":"N","refreshable":null,"extra":1}"#);
        assert_eq!(e.label, vec!["One".to_string()]);
        assert_eq!(e.id, "");
        assert!(!e.refreshable);
        let e: Endpoint = parse("{}");
        assert_eq!(e, Endpoint::default());
    }

    #[test]
    fn error_body_lossy() {
        let b: ErrorBody = parse(r#"{"statusCode":400,"error":"Bad Request","message":["a","b"]}"#);
        assert_eq!(b.message.as_deref(), Some("a; b"));
        let b: ErrorBody = parse(r#"{"error":{"nested":true},"message":5}"#);
        assert!(b.error.is_none() && b.message.is_none());
    }
}
