//! PKCE (RFC 7636) for Flexpa's OAuth 2.0 authorization-code flow ("Consent").
//!
//! Flexpa recommends this flow next to Link: instead of an iframe, the browser goes to Flexpa's
//! authorization page and comes back to your `redirect_uri` with a `code`, which your backend
//! exchanges for an access token together with the [`CodeVerifier`] that only it (or the
//! browser tab that started the flow) knows.
//!
//! Everything here works in the browser build (wasm32, randomness from
//! `crypto.getRandomValues`) and on native targets (the operating system's generator), so the
//! verifier can be made on whichever side starts the flow. The code exchange itself is
//! [`server::Client::exchange_code`](crate::server::Client::exchange_code) (feature `server`).
//!
//! ```
//! use flexpa_link::pkce::{AuthorizationUrl, CodeVerifier};
//! use flexpa_link::PublishableKey;
//!
//! let key = PublishableKey::new("pk_test_abc123")?;
//! let verifier = CodeVerifier::generate()?; // keep it (server session, sessionStorage)
//! let state = flexpa_link::pkce::random_state()?; // and this, to check the redirect
//! let url = AuthorizationUrl::new(&key, "https://app.example/callback", &verifier.challenge(), "user-123")
//!     .state(&state)
//!     .build()?;
//! assert!(url.starts_with("https://api.flexpa.com/link/auth?response_type=code&client_id=pk_test_abc123"));
//! assert!(url.contains("&code_challenge_method=S256&"));
//! // Send the browser to `url`; on the way back, `code` and `state` arrive on the redirect URI.
//! # Ok::<(), flexpa_link::InvalidValue>(())
//! ```

use core::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::credentials::InvalidValue;
pub use crate::credentials::{AuthorizationCode, CodeVerifier};
use crate::PublishableKey;

/// The shortest verifier RFC 7636 allows, in characters.
pub const MIN_VERIFIER_LEN: usize = 43;
/// The longest verifier RFC 7636 allows, in characters.
pub const MAX_VERIFIER_LEN: usize = 128;
/// The only challenge method Flexpa accepts (and the only one this crate makes).
pub const CHALLENGE_METHOD: &str = "S256";
/// The scope Flexpa's authorization endpoint expects.
pub const DEFAULT_SCOPE: &str = "launch/patient";
/// Flexpa's API, which serves the authorization page at `/link/auth`.
pub use crate::base_url::DEFAULT_BASE_URL;

/// Random bytes behind a generated verifier: 32 bytes, 256 bits, 43 base64url characters.
const VERIFIER_ENTROPY_BYTES: usize = 32;

fn random_base64url(bytes: usize) -> Result<String, InvalidValue> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| {
        InvalidValue::new(
            "random value",
            format!("the platform's secure random generator failed: {e}"),
        )
    })?;
    Ok(URL_SAFE_NO_PAD.encode(&buf))
}

/// A random, URL-safe `state` value (32 random bytes, base64url) for the authorization
/// request. Keep it next to the verifier and compare it with the `state` on the redirect to
/// reject forged callbacks.
///
/// Fails only if the platform has no secure random generator.
pub fn random_state() -> Result<String, InvalidValue> {
    random_base64url(32)
}

impl CodeVerifier {
    /// Makes a fresh verifier from 32 bytes of the platform's secure random generator
    /// (43 characters). Fails only if there is no such generator.
    pub fn generate() -> Result<Self, InvalidValue> {
        random_base64url(VERIFIER_ENTROPY_BYTES).and_then(Self::new)
    }

    /// The S256 challenge: base64url(SHA-256(verifier)), without padding.
    pub fn challenge(&self) -> CodeChallenge {
        CodeChallenge(URL_SAFE_NO_PAD.encode(Sha256::digest(self.expose_secret().as_bytes())))
    }
}

/// The S256 code challenge derived from a [`CodeVerifier`]; public, it goes in the
/// authorization URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// The challenge as sent in `code_challenge`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The challenge method, always `S256`.
    pub fn method(&self) -> &'static str {
        CHALLENGE_METHOD
    }
}

impl fmt::Display for CodeChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Builds Flexpa's authorization URL, `GET {base}/link/auth?...`: the consent flow's first
/// step, where the browser goes to pick a health plan and consent.
///
/// Always sent: `response_type=code`, `client_id` (the publishable key), `redirect_uri`,
/// `code_challenge`, `code_challenge_method=S256`, `scope` (default `launch/patient`) and
/// `flexpa_external_id`. Optional: `state`, `flexpa_endpoint_id` ([`endpoint_id`](Self::endpoint_id)),
/// the [`Flow`] (`flexpa_search_mode` / `flexpa_ial2_mode`), `offline_access`
/// ([`offline_access`](Self::offline_access), [`usage`](Self::usage)), and any parameter Flexpa
/// adds later ([`param`](Self::param)). Values are form-encoded, so any redirect URI or id is
/// safe to pass.
///
/// ```
/// use flexpa_link::pkce::{AuthorizationUrl, CodeVerifier, Flow};
/// use flexpa_link::{PublishableKey, Usage};
///
/// let key = PublishableKey::new("pk_test_abc123")?;
/// let verifier = CodeVerifier::generate()?;
/// let url = AuthorizationUrl::new(&key, "https://app.example/callback", &verifier.challenge(), "user-123")
///     .flow(Flow::Search)          // self-attested search across sources
///     .usage(Usage::Multiple)      // ask for a refresh token (`offline_access`)
///     .param("flexpa_chatbot_mode", "true")?
///     .build()?;
/// assert!(url.contains("&scope=launch%2Fpatient+offline_access&"));
/// assert!(url.contains("&flexpa_search_mode=true"));
/// # Ok::<(), flexpa_link::InvalidValue>(())
/// ```
#[derive(Debug, Clone)]
pub struct AuthorizationUrl {
    base_url: String,
    client_id: String,
    redirect_uri: String,
    challenge: String,
    external_id: String,
    scopes: Vec<String>,
    state: Option<String>,
    endpoint_id: Option<String>,
    flow: Flow,
    extra: Vec<(String, String)>,
}

/// Which consent flow the patient goes through (Flexpa's `flow` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Flow {
    /// The patient picks their health plan and signs in to it.
    #[default]
    Standard,
    /// Self-attested (IAL1) search for the patient's records across sources
    /// (`flexpa_search_mode=true`).
    Search,
    /// Identity-verified (IAL2, TEFCA) flow (`flexpa_ial2_mode=true`). Flexpa refuses it
    /// together with a preselected endpoint.
    Ial2,
}

/// The parameters the builder sets itself; [`AuthorizationUrl::param`] refuses them.
const BUILDER_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "code_challenge",
    "code_challenge_method",
    "scope",
    "state",
    "flexpa_external_id",
    "flexpa_endpoint_id",
    "flexpa_search_mode",
    "flexpa_ial2_mode",
];

/// The scope that asks for a refresh token.
pub const OFFLINE_ACCESS: &str = "offline_access";

impl AuthorizationUrl {
    /// Starts the URL with the required parameters. `external_id` is your own id for the user
    /// (`flexpa_external_id`), the same one Link calls `user.externalId`.
    pub fn new(
        publishable_key: &PublishableKey,
        redirect_uri: impl Into<String>,
        challenge: &CodeChallenge,
        external_id: impl Into<String>,
    ) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            client_id: publishable_key.as_str().to_owned(),
            redirect_uri: redirect_uri.into(),
            challenge: challenge.as_str().to_owned(),
            external_id: external_id.into(),
            scopes: vec![DEFAULT_SCOPE.to_owned()],
            state: None,
            endpoint_id: None,
            flow: Flow::Standard,
            extra: Vec::new(),
        }
    }

    /// The opaque value Flexpa hands back on the redirect; use [`random_state`] and check it
    /// there.
    pub fn state(mut self, state: impl Into<String>) -> Self {
        self.state = Some(state.into());
        self
    }

    /// Preselects a health plan (`flexpa_endpoint_id`), like Link's `endpoint` option.
    pub fn endpoint_id(mut self, endpoint_id: impl Into<String>) -> Self {
        self.endpoint_id = Some(endpoint_id.into());
        self
    }

    /// The consent flow (default [`Flow::Standard`]).
    pub fn flow(mut self, flow: Flow) -> Self {
        self.flow = flow;
        self
    }

    /// Replaces the scopes (space-separated; default `launch/patient`).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes = scope
            .into()
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        self
    }

    /// Adds `offline_access` to the scopes: ask for a refresh token (long-lived access).
    pub fn offline_access(mut self) -> Self {
        if !self.scopes.iter().any(|s| s == OFFLINE_ACCESS) {
            self.scopes.push(OFFLINE_ACCESS.to_owned());
        }
        self
    }

    /// Link's `usage` for the consent flow: [`Usage::Multiple`](crate::Usage::Multiple) asks
    /// for a refresh token (`offline_access`), [`Usage::OneTime`](crate::Usage::OneTime) does
    /// not. (Flexpa's discovery documents advertise `offline_access` as "issue a refresh
    /// token"; its pages do not say more. [`scope`](Self::scope) sets the scopes exactly.)
    pub fn usage(self, usage: crate::Usage) -> Self {
        match usage {
            crate::Usage::Multiple => self.offline_access(),
            _ => {
                let mut this = self;
                this.scopes.retain(|s| s != OFFLINE_ACCESS);
                this
            }
        }
    }

    /// Adds a parameter this builder has no method for, such as one Flexpa introduces later
    /// (`flexpa_chatbot_mode`). The name must be lowercase letters, digits and `_`, and not one
    /// the builder sets itself (use its method), else an error.
    pub fn param(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, InvalidValue> {
        let name = name.into();
        let well_formed = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !well_formed {
            return Err(InvalidValue::new(
                "authorization parameter",
                "its name must be 1 to 64 lowercase letters, digits or `_`",
            ));
        }
        if BUILDER_PARAMS.contains(&name.as_str()) {
            return Err(InvalidValue::new(
                "authorization parameter",
                format!("`{name}` is set by the builder: use its method instead"),
            ));
        }
        if self.extra.iter().any(|(k, _)| *k == name) {
            return Err(InvalidValue::new(
                "authorization parameter",
                format!("`{name}` is already set"),
            ));
        }
        self.extra.push((name, value.into()));
        Ok(self)
    }

    /// Another API base URL (default `https://api.flexpa.com`), such as a local stand-in.
    /// Must be `https`, or `http` on a loopback host (`localhost`, `127.0.0.1`, `[::1]`).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Checks the inputs and returns the URL to send the browser to.
    ///
    /// Errors: an insecure or malformed base URL; an empty or non-`http(s)` redirect URI; an
    /// empty external id or scope; [`Flow::Ial2`] with an endpoint id (Flexpa refuses it).
    pub fn build(&self) -> Result<String, InvalidValue> {
        let base = crate::base_url::parse(&self.base_url)?;
        crate::base_url::check_redirect_uri(&self.redirect_uri)?;
        if self.external_id.is_empty() {
            return Err(InvalidValue::new(
                "external id",
                "it is empty; pass your own id for the user (`flexpa_external_id`)",
            ));
        }
        if self.scopes.is_empty() {
            return Err(InvalidValue::new("scope", "it is empty"));
        }
        if self.flow == Flow::Ial2 && self.endpoint_id.is_some() {
            return Err(InvalidValue::new(
                "authorization URL",
                "Flexpa refuses the IAL2 flow together with a preselected endpoint \
                 (`flexpa_endpoint_id`): drop one",
            ));
        }
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("code_challenge", &self.challenge)
            .append_pair("code_challenge_method", CHALLENGE_METHOD)
            .append_pair("scope", &self.scopes.join(" "))
            .append_pair("flexpa_external_id", &self.external_id);
        if let Some(state) = &self.state {
            query.append_pair("state", state);
        }
        if let Some(endpoint) = &self.endpoint_id {
            query.append_pair("flexpa_endpoint_id", endpoint);
        }
        match self.flow {
            Flow::Standard => {}
            Flow::Search => {
                query.append_pair("flexpa_search_mode", "true");
            }
            Flow::Ial2 => {
                query.append_pair("flexpa_ial2_mode", "true");
            }
        }
        query.extend_pairs(&self.extra);
        Ok(format!(
            "{}/link/auth?{}",
            base.as_str().trim_end_matches('/'),
            query.finish()
        ))
    }
}

/// What the redirect back from Flexpa's authorization page carried. `Debug` keeps the code
/// redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// The user authorized: exchange `code` (with the verifier) on your backend. Compare
    /// `state` with the one you sent first.
    Code {
        /// The single-use authorization code, to exchange on your backend.
        code: AuthorizationCode,
        /// The `state` echoed back, if any.
        state: Option<String>,
    },
    /// The flow failed or the user declined (`error`, `error_description`).
    Error {
        /// The OAuth error code, such as `access_denied`.
        error: String,
        /// Flexpa's human-readable explanation, if any.
        description: Option<String>,
        /// The `state` echoed back, if any.
        state: Option<String>,
    },
}

impl Callback {
    /// Reads the query string of the redirect (with or without the leading `?`).
    ///
    /// ```
    /// use flexpa_link::pkce::Callback;
    /// let cb = Callback::from_query("?code=abc&state=xyz")?;
    /// assert!(matches!(&cb, Callback::Code { code, state } if code.expose_secret() == "abc" && state.as_deref() == Some("xyz")));
    /// assert_eq!(format!("{cb:?}"), r#"Code { code: AuthorizationCode(<redacted>), state: Some("xyz") }"#);
    /// let cb = Callback::from_query("error=access_denied&error_description=User+declined")?;
    /// assert!(matches!(cb, Callback::Error { ref error, .. } if error == "access_denied"));
    /// # Ok::<(), flexpa_link::InvalidValue>(())
    /// ```
    pub fn from_query(query: &str) -> Result<Self, InvalidValue> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let (mut code, mut state, mut error, mut description) = (None, None, None, None);
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match &*k {
                "code" => &mut code,
                "state" => &mut state,
                "error" => &mut error,
                "error_description" => &mut description,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(v.into_owned());
            }
        }
        match (error, code) {
            (Some(error), _) => Ok(Self::Error {
                error,
                description,
                state,
            }),
            (None, Some(code)) => Ok(Self::Code {
                code: AuthorizationCode::new(code)?,
                state,
            }),
            (None, None) => Err(InvalidValue::new(
                "authorization callback",
                "the query has neither `code` nor `error`",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PublishableKey {
        PublishableKey::new("pk_test_abc").unwrap()
    }

    #[test]
    fn generated_verifiers_are_valid_distinct_and_43_chars() {
        let a = CodeVerifier::generate().unwrap();
        let b = CodeVerifier::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose_secret().len(), 43);
        assert!(CodeVerifier::new(a.expose_secret()).is_ok());
        assert!(a
            .expose_secret()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }

    #[test]
    fn rfc7636_appendix_b_vector() {
        let v = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(
            v.challenge().as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(v.challenge().method(), "S256");
    }

    #[test]
    fn verifier_length_bounds() {
        assert!(CodeVerifier::new("a".repeat(42)).is_err());
        assert!(CodeVerifier::new("a".repeat(43)).is_ok());
        assert!(CodeVerifier::new("a".repeat(128)).is_ok());
        let err = CodeVerifier::new("a".repeat(129)).unwrap_err();
        assert!(err.to_string().contains("129 characters"), "{err}");
    }

    #[test]
    fn verifier_charset_is_checked_without_echoing() {
        let bad = format!("{}+/=", "s3cr3tvalue".repeat(4));
        let err = CodeVerifier::new(bad.clone()).unwrap_err();
        assert!(err.to_string().contains("byte 44"), "{err}");
        assert!(!err.to_string().contains("s3cr3t"));
        assert!(CodeVerifier::new(format!("{}.~-_", "a".repeat(40))).is_ok());
        assert!(CodeVerifier::new(format!("{}é", "a".repeat(42))).is_err());
    }

    #[test]
    fn verifier_is_redacted() {
        let v = CodeVerifier::generate().unwrap();
        assert!(!format!("{v:?}{v}{v:#?}").contains(v.expose_secret()));
    }

    #[test]
    fn authorization_url_has_every_parameter_in_order() {
        let v = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        let url = AuthorizationUrl::new(
            &key(),
            "https://app.example/cb?x=1&y=2",
            &v.challenge(),
            "user 1&2",
        )
        .state("st")
        .endpoint_id("ep-9")
        .build()
        .unwrap();
        assert_eq!(
            url,
            "https://api.flexpa.com/link/auth?response_type=code&client_id=pk_test_abc\
             &redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1%26y%3D2\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256&scope=launch%2Fpatient\
             &flexpa_external_id=user+1%262&state=st&flexpa_endpoint_id=ep-9"
        );
    }

    #[test]
    fn authorization_url_optional_parts_absent() {
        let v = CodeVerifier::generate().unwrap();
        let url = AuthorizationUrl::new(&key(), "http://localhost:3000/cb", &v.challenge(), "u")
            .base_url("http://127.0.0.1:9/")
            .build()
            .unwrap();
        assert!(url.starts_with("http://127.0.0.1:9/link/auth?response_type=code&"));
        assert!(!url.contains("state="));
        assert!(!url.contains("flexpa_endpoint_id="));
    }

    #[test]
    fn authorization_url_rejects_bad_inputs() {
        let c = CodeVerifier::generate().unwrap().challenge();
        let base = |b: &str| {
            AuthorizationUrl::new(&key(), "https://a.example/cb", &c, "u")
                .base_url(b)
                .build()
        };
        assert!(base("http://api.flexpa.com").is_err());
        assert!(base("ftp://api.flexpa.com").is_err());
        assert!(base("api.flexpa.com").is_err());
        assert!(base("https://user:pw@api.flexpa.com").is_err());
        assert!(base("https://api.flexpa.com?x=1").is_err());
        assert!(base("http://[::1]:8080").is_ok());
        assert!(base("http://localhost").is_ok());
        assert!(base("http://127.0.0.2:1").is_ok());
        assert!(base("https://api.flexpa.com/").is_ok());
        let r = |u: &str| AuthorizationUrl::new(&key(), u, &c, "u").build();
        assert!(r("").is_err());
        assert!(r("/relative").is_err());
        assert!(r("https://a.example/cb#frag").is_err());
        assert!(
            AuthorizationUrl::new(&key(), "https://a.example/cb", &c, "")
                .build()
                .is_err()
        );
    }

    #[test]
    fn callback_parsing() {
        assert_eq!(
            Callback::from_query("code=c%2B1&state=s").unwrap(),
            Callback::Code {
                code: AuthorizationCode::new("c+1").unwrap(),
                state: Some("s".into())
            }
        );
        assert_eq!(
            Callback::from_query("?error=access_denied&state=s").unwrap(),
            Callback::Error {
                error: "access_denied".into(),
                description: None,
                state: Some("s".into())
            }
        );
        assert!(Callback::from_query("").is_err());
        assert!(Callback::from_query("code=").is_err());
        assert!(Callback::from_query("code=has%20space").is_err());
    }

    #[test]
    fn random_state_is_urlsafe_and_fresh() {
        let a = random_state().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_state().unwrap());
    }
}

#[cfg(test)]
mod authorization_url_tests {
    use super::*;
    use crate::Usage;

    fn url() -> AuthorizationUrl {
        let key = PublishableKey::new("pk_test_abc").unwrap();
        let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        AuthorizationUrl::new(&key, "https://app.example/cb", &verifier.challenge(), "u1")
    }

    fn query(url: &str) -> Vec<(String, String)> {
        let q = url.split_once('?').unwrap().1;
        form_urlencoded::parse(q.as_bytes()).into_owned().collect()
    }

    fn get(url: &str, key: &str) -> Option<String> {
        query(url)
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    #[test]
    fn flows_scopes_and_usage() {
        let plain = url().build().unwrap();
        assert_eq!(get(&plain, "scope").as_deref(), Some("launch/patient"));
        assert_eq!(get(&plain, "flexpa_search_mode"), None);
        let search = url().flow(Flow::Search).build().unwrap();
        assert_eq!(get(&search, "flexpa_search_mode").as_deref(), Some("true"));
        let ial2 = url().flow(Flow::Ial2).build().unwrap();
        assert_eq!(get(&ial2, "flexpa_ial2_mode").as_deref(), Some("true"));
        assert_eq!(get(&ial2, "flexpa_search_mode"), None);
        let multiple = url()
            .usage(Usage::Multiple)
            .offline_access()
            .build()
            .unwrap();
        assert_eq!(
            get(&multiple, "scope").as_deref(),
            Some("launch/patient offline_access")
        );
        let one_time = url()
            .offline_access()
            .usage(Usage::OneTime)
            .build()
            .unwrap();
        assert_eq!(get(&one_time, "scope").as_deref(), Some("launch/patient"));
        assert!(url().scope(" ").build().is_err());
    }

    #[test]
    fn combinations_flexpa_refuses_are_refused() {
        let err = url()
            .flow(Flow::Ial2)
            .endpoint_id("ep-1")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("IAL2"), "{err}");
        assert!(url().flow(Flow::Search).endpoint_id("ep-1").build().is_ok());
    }

    #[test]
    fn extra_parameters_are_checked() {
        let u = url()
            .param("flexpa_chatbot_mode", "true")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(get(&u, "flexpa_chatbot_mode").as_deref(), Some("true"));
        for reserved in [
            "client_id",
            "scope",
            "state",
            "flexpa_ial2_mode",
            "redirect_uri",
        ] {
            assert!(url().param(reserved, "x").is_err(), "{reserved}");
        }
        for bad in ["", "Bad", "a b", "a&b=c", "é"] {
            assert!(url().param(bad, "x").is_err(), "{bad}");
        }
        assert!(url().param("x", "1").unwrap().param("x", "2").is_err());
        // Values are encoded, never break the query.
        let u = url().param("x", "a&scope=evil").unwrap().build().unwrap();
        assert_eq!(get(&u, "scope").as_deref(), Some("launch/patient"));
        assert_eq!(get(&u, "x").as_deref(), Some("a&scope=evil"));
    }
}
