//! [`Client`] and its [`ClientBuilder`].

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::error::{
    describe_json_error, scrub, ApiError, Error, Result, TransportKind, BODY_SNIPPET_CHARS,
};
use super::types::{
    AccessToken, ApplicationToken, ErrorBody, ExchangeResponse, Introspection, RefreshToken,
    RevokeResponse, SecretKey, TokenResponse,
};
use crate::credentials::InvalidValue;
use crate::pkce::{AuthorizationCode, AuthorizationUrl, CodeChallenge, CodeVerifier};
use crate::{PublicToken, PublishableKey};

/// Flexpa's API.
pub use crate::base_url::DEFAULT_BASE_URL;
/// The default total time for one call, retries included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times a call rate limited with HTTP 429 is retried by default.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The longest `Retry-After` the client waits by default; a longer one ends the call with
/// [`Error::RateLimited`] at once.
pub const DEFAULT_MAX_RETRY_WAIT: Duration = Duration::from_secs(10);
/// The default cap on a response body (1 MiB); Flexpa's token responses are about 1 KiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// The default cap on a FHIR response body (64 MiB): a patient's `$everything` Bundle runs to
/// tens of megabytes.
pub const DEFAULT_MAX_FHIR_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// How long a FHIR call waits in all, by default, for a patient's data to finish syncing.
pub const DEFAULT_SYNC_WAIT: Duration = Duration::from_secs(60);
/// The most pages a paged search reads by default.
pub const DEFAULT_MAX_PAGES: usize = 1000;
/// The `User-Agent` the client sends: `flexpa-link/<version>`.
pub const USER_AGENT_VALUE: &str = concat!("flexpa-link/", env!("CARGO_PKG_VERSION"));

/// First wait when a 429 has no `Retry-After`; doubled on each further attempt.
const BASE_BACKOFF: Duration = Duration::from_millis(250);

/// Flexpa's API client: exchange, introspect, refresh, revoke, and the PKCE code exchange.
///
/// Build one per process and share it (cloning is cheap and shares one connection pool).
///
/// ```no_run
/// use flexpa_link::server::{Client, SecretKey};
/// use flexpa_link::{PublicToken, PublishableKey};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder(SecretKey::new(std::env::var("FLEXPA_SECRET_KEY")?)?)
///     .publishable_key(PublishableKey::new(std::env::var("FLEXPA_PUBLISHABLE_KEY")?)?)
///     .build()?;
/// let public_token = PublicToken::new("public_token_...")?; // from your frontend
/// let tokens = client.exchange(&public_token).await?;
/// let info = client.introspect(&tokens.access_token).await?;
/// if let Some(refresh_token) = &tokens.refresh_token {
///     let renewed = client.refresh(refresh_token).await?;
///     # let _ = renewed;
/// }
/// let revoked = client.revoke(&tokens.access_token).await?;
/// # let _ = (info, revoked);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    secret: SecretKey,
    publishable: Option<PublishableKey>,
    base_url: String,
    exchange_url: Url,
    introspect_url: Url,
    token_url: Url,
    revoke_url: Url,
    timeout: Duration,
    connect_timeout: Duration,
    max_retries: u32,
    max_retry_wait: Duration,
    max_response_bytes: usize,
    fhir_base: Url,
    max_fhir_response_bytes: usize,
    sync_wait: Duration,
    max_pages: usize,
    application_token: ApplicationTokenCache,
}

/// Configures a [`Client`]; start with [`Client::builder`].
#[derive(Debug)]
#[must_use = "call `.build()` to get a Client"]
pub struct ClientBuilder {
    secret: SecretKey,
    publishable: Option<PublishableKey>,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    max_retries: u32,
    max_retry_wait: Duration,
    max_response_bytes: usize,
    max_fhir_response_bytes: usize,
    sync_wait: Duration,
    max_pages: usize,
    http: Option<reqwest::Client>,
}

impl ClientBuilder {
    /// Your publishable key: needed by [`Client::refresh`] (HTTP Basic auth) and by the PKCE
    /// flow ([`Client::exchange_code`], [`Client::authorization_url`]).
    pub fn publishable_key(mut self, key: PublishableKey) -> Self {
        self.publishable = Some(key);
        self
    }

    /// The API's base URL (default `https://api.flexpa.com`). Must be `https`; plain `http` is
    /// accepted only for loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`), for local
    /// stand-ins. A path prefix is kept (`https://proxy.example/flexpa` calls
    /// `https://proxy.example/flexpa/link/exchange`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The total time one call may take, connection, retries and body included
    /// (default 30 s). A call that runs out ends with [`Error::Timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The time to establish a connection (default 10 s). Ignored when you pass your own
    /// [`http_client`](Self::http_client): configure that one instead.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many times a call answered with HTTP 429 is retried (default 2; 0 disables).
    /// Only 429 is retried: Flexpa rejected the request without processing it, so a retry
    /// cannot use a single-use public token twice.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The longest `Retry-After` the client waits before retrying (default 10 s). When
    /// Flexpa asks for a longer wait, or the wait would not fit in the call's timeout, the
    /// call ends at once with [`Error::RateLimited`] carrying that `Retry-After`, so you can
    /// schedule the retry yourself.
    pub fn max_retry_wait(mut self, wait: Duration) -> Self {
        self.max_retry_wait = wait;
        self
    }

    /// The largest response body the client reads (default 1 MiB). A larger body is not
    /// buffered: the call ends with [`Error::ResponseTooLarge`] as soon as the cap is passed
    /// (at once when `Content-Length` announces it).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// The largest FHIR response body the client reads (default 64 MiB, sized for a
    /// patient's `$everything`). Enforced while streaming, like
    /// [`max_response_bytes`](Self::max_response_bytes).
    pub fn max_fhir_response_bytes(mut self, bytes: usize) -> Self {
        self.max_fhir_response_bytes = bytes;
        self
    }

    /// How long a FHIR call waits in all for a patient's data to finish syncing (Flexpa's
    /// `429` with an `OperationOutcome` code `transient`) before ending with
    /// [`Error::StillSyncing`] (default 60 s; `Duration::ZERO` never waits). This budget is
    /// separate from the rate-limit retries ([`max_retries`](Self::max_retries)).
    pub fn sync_wait(mut self, budget: Duration) -> Self {
        self.sync_wait = budget;
        self
    }

    /// The most pages a paged FHIR search reads before [`Error::TooManyPages`]
    /// (default 1,000).
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = pages;
        self
    }

    /// Uses your existing `reqwest::Client` (and its connection pool, proxy and TLS settings)
    /// instead of building one. Build it with
    /// `.redirect(reqwest::redirect::Policy::none())`: the client's own one never follows
    /// redirects, so that a request body holding the secret key is never re-sent to another
    /// host.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the configuration and builds the client.
    ///
    /// Building loads the system's TLS roots (tens of milliseconds): build one client and
    /// clone it. If the process has no rustls crypto provider yet, this installs *ring* as the
    /// process default (an application that installed its own keeps it).
    ///
    /// Errors: [`Error::InvalidBaseUrl`] for a non-https, non-loopback or malformed base URL;
    /// [`Error::Build`] if the HTTP client cannot be built.
    pub fn build(self) -> Result<Client> {
        let base = parse_base_url(&self.base_url)?;
        let base_str = base.as_str().trim_end_matches('/').to_owned();
        let endpoint = |path: &str| {
            Url::parse(&format!("{base_str}{path}")).map_err(|e| {
                Error::InvalidBaseUrl(InvalidValue::new(
                    "base URL",
                    format!("cannot join `{path}`: {e}"),
                ))
            })
        };
        let http = match self.http {
            Some(http) => http,
            None => {
                install_crypto_provider();
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .pool_idle_timeout(Duration::from_secs(60))
                    .tcp_nodelay(true)
                    .build()
                    .map_err(Error::Build)?
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                secret: self.secret,
                publishable: self.publishable,
                exchange_url: endpoint("/link/exchange")?,
                introspect_url: endpoint("/link/introspect")?,
                token_url: endpoint("/link/token")?,
                revoke_url: endpoint("/link/revoke")?,
                fhir_base: endpoint("/fhir/")?,
                base_url: base_str,
                timeout: self.timeout,
                connect_timeout: self.connect_timeout,
                max_retries: self.max_retries,
                max_retry_wait: self.max_retry_wait,
                max_response_bytes: self.max_response_bytes,
                max_fhir_response_bytes: self.max_fhir_response_bytes,
                sync_wait: self.sync_wait,
                max_pages: self.max_pages,
                application_token: ApplicationTokenCache::default(),
            }),
        })
    }
}

/// reqwest is built without a bundled crypto provider (so that no C toolchain is needed):
/// make *ring* the process default unless the application installed one.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An `Err` means another thread installed one first, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

fn parse_base_url(raw: &str) -> Result<Url> {
    crate::base_url::parse(raw).map_err(Error::InvalidBaseUrl)
}

/// How a request authenticates.
enum Auth<'a> {
    None,
    Bearer(&'a str),
    Basic(&'a str, &'a str),
}

/// One logical call (possibly several attempts).
struct Call<'a> {
    method: Method,
    url: &'a Url,
    auth: Auth<'a>,
    body: Option<(&'static str, Bytes)>,
    /// Every secret the request carries, scrubbed from any text that goes into an error.
    secrets: [&'a str; 2],
    /// A FHIR call: the FHIR body cap, and Flexpa's FHIR meanings of 429 and 422.
    fhir: bool,
}

impl Call<'_> {
    /// The secrets to scrub from error texts: the raw values, and the Basic credential as it
    /// went over the wire (`base64(user:password)`). [`scrub`] adds their encoded forms.
    fn error_secrets(&self) -> Vec<String> {
        let mut all: Vec<String> = self.secrets.iter().map(|s| (*s).to_owned()).collect();
        if let Auth::Basic(user, password) = self.auth {
            all.push(STANDARD.encode(format!("{user}:{password}")));
        }
        all
    }
}

const JSON: &str = "application/json";
const FHIR_JSON: &str = "application/fhir+json, application/json";
/// How much of an error body is read: enough for Flexpa's explanation.
const ERROR_BODY_CAP: usize = 16 * 1024;
const FORM: &str = "application/x-www-form-urlencoded";

impl Client {
    /// Starts a [`ClientBuilder`] with your secret key and the defaults.
    pub fn builder(secret_key: SecretKey) -> ClientBuilder {
        ClientBuilder {
            secret: secret_key,
            publishable: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            max_retry_wait: DEFAULT_MAX_RETRY_WAIT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_fhir_response_bytes: DEFAULT_MAX_FHIR_RESPONSE_BYTES,
            sync_wait: DEFAULT_SYNC_WAIT,
            max_pages: DEFAULT_MAX_PAGES,
            http: None,
        }
    }

    /// A client with the defaults (`https://api.flexpa.com`, no publishable key).
    pub fn new(secret_key: SecretKey) -> Result<Self> {
        Self::builder(secret_key).build()
    }

    /// The base URL calls go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The publishable key, if one was configured.
    pub fn publishable_key(&self) -> Option<&PublishableKey> {
        self.inner.publishable.as_ref()
    }

    /// Exchanges a public token from Link for an access token:
    /// `POST /link/exchange` with `{"public_token", "secret_key"}`.
    ///
    /// The public token is single-use and short-lived: a second exchange, or a late one, is an
    /// [`Error::Api`] with status 400.
    pub async fn exchange(&self, public_token: &PublicToken) -> Result<ExchangeResponse> {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            public_token: &'a str,
            secret_key: &'a str,
        }
        let secret = self.inner.secret.expose_secret();
        let body = Body {
            public_token: public_token.expose_secret(),
            secret_key: secret,
        };
        self.execute(Call {
            method: Method::POST,
            url: &self.inner.exchange_url,
            auth: Auth::None,
            body: Some((JSON, json_bytes(&body))),
            secrets: [secret, public_token.expose_secret()],
            fhir: false,
        })
        .await
    }

    /// Describes an access token: `GET /link/introspect` with the Bearer token.
    pub async fn introspect(&self, access_token: &AccessToken) -> Result<Introspection> {
        self.execute(Call {
            method: Method::GET,
            url: &self.inner.introspect_url,
            auth: Auth::Bearer(access_token.expose_secret()),
            body: None,
            secrets: [
                self.inner.secret.expose_secret(),
                access_token.expose_secret(),
            ],
            fhir: false,
        })
        .await
    }

    /// Gets a new access token with a refresh token (`MULTIPLE` usage): `POST /link/token`,
    /// form `grant_type=refresh_token&refresh_token=..`, HTTP Basic auth
    /// `publishable_key:secret_key`.
    ///
    /// Needs the [publishable key](ClientBuilder::publishable_key), else
    /// [`Error::InvalidKey`] without any request.
    pub async fn refresh(&self, refresh_token: &RefreshToken) -> Result<TokenResponse> {
        let publishable = self.require_publishable("refresh")?;
        let secret = self.inner.secret.expose_secret();
        let body = form_bytes(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
        ]);
        self.execute(Call {
            method: Method::POST,
            url: &self.inner.token_url,
            auth: Auth::Basic(publishable.as_str(), secret),
            body: Some((FORM, body)),
            secrets: [secret, refresh_token.expose_secret()],
            fhir: false,
        })
        .await
    }

    /// Revokes an access token (and the authorization behind it): `POST /link/revoke` with
    /// the Bearer token and `{"secret_key"}`.
    pub async fn revoke(&self, access_token: &AccessToken) -> Result<RevokeResponse> {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            secret_key: &'a str,
        }
        let secret = self.inner.secret.expose_secret();
        self.execute(Call {
            method: Method::POST,
            url: &self.inner.revoke_url,
            auth: Auth::Bearer(access_token.expose_secret()),
            body: Some((JSON, json_bytes(&Body { secret_key: secret }))),
            secrets: [secret, access_token.expose_secret()],
            fhir: false,
        })
        .await
    }

    /// Completes the PKCE flow: exchanges the `code` from the redirect, with the verifier that
    /// made the challenge, for an access token. `POST /link/token`, form
    /// `grant_type=authorization_code&code=..&code_verifier=..&redirect_uri=..&client_id=..`.
    ///
    /// `redirect_uri` must be the one in the authorization URL. Needs the
    /// [publishable key](ClientBuilder::publishable_key) (the `client_id`).
    pub async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        verifier: &CodeVerifier,
        redirect_uri: &str,
    ) -> Result<TokenResponse> {
        let publishable = self.require_publishable("exchange_code")?;
        let code = code.expose_secret();
        if redirect_uri.is_empty() {
            return Err(Error::InvalidInput(InvalidValue::new(
                "redirect URI",
                "it is empty; pass the redirect URI of the authorization URL",
            )));
        }
        let body = form_bytes(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier.expose_secret()),
            ("redirect_uri", redirect_uri),
            ("client_id", publishable.as_str()),
        ]);
        self.execute(Call {
            method: Method::POST,
            url: &self.inner.token_url,
            auth: Auth::None,
            body: Some((FORM, body)),
            secrets: [code, verifier.expose_secret()],
            fhir: false,
        })
        .await
    }

    /// Starts the PKCE authorization URL with this client's base URL and publishable key; add
    /// `.state(..)` / `.endpoint_id(..)` and call `.build()`.
    pub fn authorization_url(
        &self,
        redirect_uri: impl Into<String>,
        challenge: &CodeChallenge,
        external_id: impl Into<String>,
    ) -> Result<AuthorizationUrl> {
        let publishable = self.require_publishable("authorization_url")?;
        Ok(
            AuthorizationUrl::new(publishable, redirect_uri, challenge, external_id)
                .base_url(self.inner.base_url.clone()),
        )
    }

    /// An application access token (OAuth `client_credentials`), for calls without a patient
    /// such as Flexpa's provider directory: `POST /link/token` with
    /// `{"grant_type":"client_credentials"}` and HTTP Basic `publishable_key:secret_key`.
    ///
    /// Cached: the same token comes back until shortly before it expires (a minute before,
    /// or a tenth of its lifetime when that is shorter), then a new one is fetched.
    /// Concurrent callers share one request; a failed request is not cached (the next call
    /// tries again). Flexpa issues these to live keys only: test keys get [`Error::Api`] 403.
    /// Needs the [publishable key](ClientBuilder::publishable_key).
    ///
    /// ```no_run
    /// # async fn run(client: flexpa_link::server::Client) -> Result<(), flexpa_link::server::Error> {
    /// let token = client.application_token().await?;
    /// let practitioners: Vec<serde_json::Value> = client
    ///     .fhir(&token)
    ///     .search_all("Practitioner", &[("name", "smith")])
    ///     .await?;
    /// # let _ = practitioners; Ok(()) }
    /// ```
    pub async fn application_token(&self) -> Result<AccessToken> {
        let mut cached = self.inner.application_token.0.lock().await;
        if let Some((token, fresh_until)) = &*cached {
            if Instant::now() < *fresh_until {
                return Ok(token.clone());
            }
        }
        *cached = None;
        let requested_at = Instant::now();
        let response = self.request_application_token().await?;
        // A day at most: a token is never cached longer than that, whatever the answer says
        // (and an absurd `expires_in` cannot overflow the clock).
        let lifetime = Duration::from_secs(response.expires_in.min(86_400));
        let margin = (lifetime / 10).min(Duration::from_secs(60));
        *cached = Some((
            response.access_token.clone(),
            requested_at + (lifetime - margin),
        ));
        Ok(response.access_token)
    }

    /// A new application access token, uncached: what
    /// [`application_token`](Self::application_token) fetches.
    pub async fn request_application_token(&self) -> Result<ApplicationToken> {
        let publishable = self.require_publishable("application_token")?;
        let secret = self.inner.secret.expose_secret();
        self.execute(Call {
            method: Method::POST,
            url: &self.inner.token_url,
            auth: Auth::Basic(publishable.as_str(), secret),
            body: Some((
                JSON,
                Bytes::from_static(br#"{"grant_type":"client_credentials"}"#),
            )),
            secrets: [secret, ""],
            fhir: false,
        })
        .await
    }

    fn require_publishable(&self, what: &str) -> Result<&PublishableKey> {
        self.inner.publishable.as_ref().ok_or_else(|| {
            Error::InvalidKey(InvalidValue::new(
                "publishable key",
                format!(
                    "`{what}` needs it: set it with `ClientBuilder::publishable_key` \
                     (`pk_test_...` or `pk_live_...`)"
                ),
            ))
        })
    }

    /// Runs a call within the total timeout.
    async fn execute<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T> {
        match self.execute_outcome(&call).await? {
            Outcome::Done(value) => Ok(value),
            // Only FHIR calls tell "still syncing" apart, and they go through `fhir_get`.
            Outcome::Syncing { retry_after } => Err(Error::StillSyncing {
                retry_after,
                waited: Duration::ZERO,
            }),
        }
    }

    async fn execute_outcome<T: DeserializeOwned>(&self, call: &Call<'_>) -> Result<Outcome<T>> {
        let timeout = self.inner.timeout;
        let deadline = Instant::now() + timeout;
        match tokio::time::timeout_at(deadline, self.attempts(call, deadline)).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout { after: timeout }),
        }
    }

    /// One FHIR `GET` with the Bearer token: the value, or "still syncing" for the caller's
    /// sync-wait loop ([`Fhir`](super::fhir::Fhir)).
    pub(crate) async fn fhir_get<T: DeserializeOwned>(
        &self,
        url: &Url,
        token: &AccessToken,
    ) -> Result<Outcome<T>> {
        self.execute_outcome(&Call {
            method: Method::GET,
            url,
            auth: Auth::Bearer(token.expose_secret()),
            body: None,
            secrets: [token.expose_secret(), self.inner.secret.expose_secret()],
            fhir: true,
        })
        .await
    }

    pub(crate) fn fhir_base(&self) -> &Url {
        &self.inner.fhir_base
    }

    pub(crate) fn sync_wait(&self) -> Duration {
        self.inner.sync_wait
    }

    pub(crate) fn max_pages(&self) -> usize {
        self.inner.max_pages
    }

    /// Sends the request, retrying rate-limit 429s within the limits, and reads the answer.
    async fn attempts<T: DeserializeOwned>(
        &self,
        call: &Call<'_>,
        deadline: Instant,
    ) -> Result<Outcome<T>> {
        let inner = &*self.inner;
        let mut attempts: u32 = 0;
        loop {
            attempts += 1;
            let accept = if call.fhir { FHIR_JSON } else { JSON };
            let mut request = inner
                .http
                .request(call.method.clone(), call.url.clone())
                .header(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE))
                .header(ACCEPT, HeaderValue::from_static(accept));
            request = match call.auth {
                Auth::None => request,
                Auth::Bearer(token) => request.bearer_auth(token),
                Auth::Basic(user, password) => request.basic_auth(user, Some(password)),
            };
            if let Some((content_type, body)) = &call.body {
                request = request
                    .header(CONTENT_TYPE, HeaderValue::from_static(content_type))
                    .body(body.clone());
            }
            let mut response = request
                .send()
                .await
                .map_err(|e| self.transport_error(e, TransportKind::Request))?;

            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                let retry_after = parse_retry_after(response.headers());
                // On the FHIR API a 429 also means "the patient's data is still syncing"
                // (an OperationOutcome with code `transient`): the caller waits that out on
                // its own budget. Anything else is rate limiting.
                if call.fhir {
                    let body = match read_capped(&mut response, ERROR_BODY_CAP).await {
                        Ok(Capped::Whole(body)) => body,
                        _ => Vec::new(),
                    };
                    if outcome_code(&body).as_deref() == Some("transient") {
                        return Ok(Outcome::Syncing { retry_after });
                    }
                }
                drop(response);
                if attempts > inner.max_retries {
                    return Err(Error::RateLimited {
                        retry_after,
                        attempts,
                    });
                }
                let wait = retry_after
                    .unwrap_or_else(|| BASE_BACKOFF.saturating_mul(1u32 << (attempts - 1).min(16)));
                let fits = Instant::now()
                    .checked_add(wait)
                    .is_some_and(|end| end < deadline);
                if wait > inner.max_retry_wait || !fits {
                    return Err(Error::RateLimited {
                        retry_after,
                        attempts,
                    });
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            return self.read_response(response, call).await.map(Outcome::Done);
        }
    }

    async fn read_response<T: DeserializeOwned>(
        &self,
        mut response: Response,
        call: &Call<'_>,
    ) -> Result<T> {
        let status = response.status();
        let cap = if call.fhir {
            self.inner.max_fhir_response_bytes
        } else {
            self.inner.max_response_bytes
        };
        if status.is_success() {
            let body = match read_capped(&mut response, cap).await {
                Ok(Capped::Whole(body)) => body,
                Ok(Capped::Over) => return Err(Error::ResponseTooLarge { status, limit: cap }),
                Err(e) => return Err(self.transport_error(e, TransportKind::Body)),
            };
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            return parse_success(status, &body, content_type).map_err(|e| match e {
                // A data error of the caller's own type may quote a value: scrub it.
                Error::InvalidResponse { status, reason } => Error::InvalidResponse {
                    status,
                    reason: scrub(&reason, &call.error_secrets(), usize::MAX),
                },
                other => other,
            });
        }

        if status.is_redirection() {
            return Err(Error::InvalidResponse {
                status,
                reason: "unexpected redirect; not followed, so that credentials are only ever \
                         sent to the configured base URL"
                    .to_owned(),
            });
        }
        if !status.is_client_error() && !status.is_server_error() {
            return Err(Error::InvalidResponse {
                status,
                reason: "unexpected status".to_owned(),
            });
        }

        // An error status: what matters is the status and Flexpa's explanation. Read at most
        // a few KiB of it, and a body cut off mid-way still leaves the status to report.
        let body = match read_capped(&mut response, cap.min(ERROR_BODY_CAP)).await {
            Ok(Capped::Whole(body)) => body,
            Ok(Capped::Over) | Err(_) => Vec::new(),
        };
        let error = api_error(status, &body, &call.error_secrets());
        if call.fhir && status == StatusCode::UNPROCESSABLE_ENTITY {
            return Err(Error::SyncFailed(error));
        }
        Err(Error::Api(error))
    }

    fn transport_error(&self, e: reqwest::Error, default_kind: TransportKind) -> Error {
        if e.is_timeout() {
            let after = if e.is_connect() {
                self.inner.connect_timeout
            } else {
                self.inner.timeout
            };
            return Error::Timeout { after };
        }
        let kind = if e.is_connect() {
            TransportKind::Connect
        } else if e.is_body() || e.is_decode() {
            TransportKind::Body
        } else {
            default_kind
        };
        // The URL may be a next link chosen by the server: keep it out of error texts.
        Error::Transport {
            kind,
            source: e.without_url(),
        }
    }
}

/// The cached application access token and when it stops being handed out. The async lock
/// is held during a fetch, so that concurrent callers wait for that one request.
#[derive(Debug, Default)]
struct ApplicationTokenCache(tokio::sync::Mutex<Option<(AccessToken, Instant)>>);

/// What one FHIR request came to: the value, or "still syncing, try again".
pub(crate) enum Outcome<T> {
    Done(T),
    Syncing { retry_after: Option<Duration> },
}

/// The `issue[0].code` of a FHIR `OperationOutcome` body, such as `transient` or `throttled`.
fn outcome_code(body: &[u8]) -> Option<String> {
    let value = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    outcome_issue(&value)?.0
}

/// The first issue of a FHIR `OperationOutcome`: its `code`, and its text (`diagnostics`, else
/// `details.text`). `None` when `value` is not an `OperationOutcome`.
fn outcome_issue(value: &serde_json::Value) -> Option<(Option<String>, Option<String>)> {
    if value["resourceType"] != "OperationOutcome" {
        return None;
    }
    let issue = &value["issue"][0];
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    let message = text(&issue["diagnostics"]).or_else(|| text(&issue["details"]["text"]));
    Some((text(&issue["code"]), message))
}

/// Parses a 2xx body: it must be a JSON object (serde would also read an array by position).
pub(crate) fn parse_success<T: DeserializeOwned>(
    status: StatusCode,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<T> {
    let invalid = |reason: String| Error::InvalidResponse { status, reason };
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(invalid("the body is empty".to_owned())),
        Some(b'{') => {}
        Some(_) => {
            let err = serde_json::from_slice::<serde::de::IgnoredAny>(body).err();
            return Err(invalid(match err {
                Some(e) => describe_json_error(&e, content_type),
                None => "the body is JSON but not an object".to_owned(),
            }));
        }
    }
    // One UTF-8 check of the whole body (word-at-a-time over ASCII) costs less than serde's
    // check of each string in turn; a body that is not UTF-8 goes through `from_slice`, which
    // says where.
    let parsed = match core::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    };
    parsed.map_err(|e| invalid(describe_json_error(&e, content_type)))
}

fn json_bytes<T: serde::Serialize>(value: &T) -> Bytes {
    // Serializing a struct of strings cannot fail.
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

fn form_bytes(pairs: &[(&str, &str)]) -> Bytes {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(pairs);
    Bytes::from(form.finish())
}

enum Capped {
    Whole(Vec<u8>),
    Over,
}

/// Reads the body chunk by chunk, stopping as soon as it passes `cap` (or at once when
/// `Content-Length` announces more).
async fn read_capped(response: &mut Response, cap: usize) -> Result<Capped, reqwest::Error> {
    let announced = response.content_length();
    if announced.is_some_and(|len| len > cap as u64) {
        return Ok(Capped::Over);
    }
    let mut body = Vec::with_capacity(announced.map_or(1024, |n| n as usize).min(cap));
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > cap {
            return Ok(Capped::Over);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Capped::Whole(body))
}

pub(crate) fn api_error<S: AsRef<str>>(status: StatusCode, body: &[u8], secrets: &[S]) -> ApiError {
    const FIELD_CHARS: usize = 1000;
    // Only a JSON object is Flexpa's error body (serde would also read an array by position).
    // The FHIR API explains errors with an OperationOutcome: its first issue's code and
    // diagnostics play the parts of `error` and `message`.
    let parsed = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => match outcome_issue(&v) {
            Some((code, text)) => Some(ErrorBody {
                error: code,
                message: text,
                error_description: None,
            }),
            None if v.is_object() => serde_json::from_value::<ErrorBody>(v).ok(),
            None => None,
        },
        Err(_) => None,
    };
    let (error, message) = match parsed {
        Some(b) => (
            b.error.map(|e| scrub(&e, secrets, FIELD_CHARS)),
            b.message
                .or(b.error_description)
                .map(|m| scrub(&m, secrets, FIELD_CHARS)),
        ),
        None => (None, None),
    };
    let body_snippet = if error.is_none() && message.is_none() && !body.is_empty() {
        Some(scrub(
            String::from_utf8_lossy(body).trim(),
            secrets,
            BODY_SNIPPET_CHARS,
        ))
    } else {
        None
    };
    ApiError {
        status,
        error,
        message,
        body_snippet,
    }
}

/// `Retry-After` as delay-seconds or as an HTTP date (a date in the past means now);
/// Flexpa's FHIR API may name the wait in `X-Retry-After` instead (same forms).
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_value(headers.get(RETRY_AFTER))
        .or_else(|| retry_after_value(headers.get("x-retry-after")))
}

fn retry_after_value(value: Option<&HeaderValue>) -> Option<Duration> {
    let value = value?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            parse_retry_after(&headers("3")),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after(&headers("0.5")),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let d = parse_retry_after(&headers(&future)).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        assert_eq!(parse_retry_after(&headers("soon")), None);
        assert_eq!(parse_retry_after(&headers("-1")), None);
        assert_eq!(parse_retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn base_url_rules() {
        assert!(parse_base_url("https://api.flexpa.com").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_base_url("http://localhost:1/prefix/").is_ok());
        assert!(parse_base_url("http://[::1]:9").is_ok());
        for bad in [
            "http://api.flexpa.com",
            "http://10.0.0.1",
            "ftp://api.flexpa.com",
            "https://u:p@api.flexpa.com",
            "https://api.flexpa.com/?x=1",
            "not a url",
            "",
        ] {
            assert!(
                matches!(parse_base_url(bad), Err(Error::InvalidBaseUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn bodies_that_are_not_utf8_are_invalid_responses_that_say_where() {
        let ok = br#"{"access_token":"a","expires_in":1,"patient":"Patient/p"}"#;
        let parsed: crate::server::ExchangeResponse =
            parse_success(StatusCode::OK, ok, Some("application/json")).unwrap();
        assert_eq!(parsed.patient_id(), Some("p"));

        // A stray 0xFF inside a string, and a truncated multi-byte character at the end.
        for body in [
            &b"{\"access_token\":\"a\xFFb\",\"expires_in\":1,\"patient\":\"Patient/p\"}"[..],
            &b"{\"access_token\":\"a\",\"expires_in\":1,\"patient\":\"Patient/\xC3"[..],
        ] {
            let err = parse_success::<crate::server::ExchangeResponse>(
                StatusCode::OK,
                body,
                Some("application/json"),
            )
            .unwrap_err();
            match err {
                Error::InvalidResponse { status, reason } => {
                    assert_eq!(status, StatusCode::OK);
                    assert!(reason.contains("line 1"), "{reason}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn user_agent_names_crate_and_version() {
        assert_eq!(
            USER_AGENT_VALUE,
            format!("flexpa-link/{}", env!("CARGO_PKG_VERSION"))
        );
    }
}
