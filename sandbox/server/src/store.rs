//! The sandbox's memory: authorizations and the public, access and refresh tokens minted for
//! them. Public tokens are single-use and expire; access tokens expire and can be revoked;
//! refresh tokens rotate on use.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::json;
use uuid::Uuid;

use super::data::Plan;
use crate::bounded::make_room;

/// How the app asked to use the authorization (`usage` in `FlexpaLink.create`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// One exchange, no refresh token (Flexpa's default).
    OneTime,
    /// A refresh token too, where the endpoint supports it.
    Multiple,
}

impl Usage {
    /// `"MULTIPLE"` is multiple; anything else (or nothing) is one-time.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some(v) if v.eq_ignore_ascii_case("MULTIPLE") => Usage::Multiple,
            _ => Usage::OneTime,
        }
    }
}

/// The life cycle states of an authorization, as `GET /link/introspect` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthState {
    /// Signed in, public token not yet exchanged.
    Authorized,
    /// The public token was exchanged for an access token.
    Exchanged,
    /// A refresh token was used.
    Refreshed,
    /// Revoked through `POST /link/revoke`.
    Revoked,
}

impl AuthState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthState::Authorized => "AUTHORIZED",
            AuthState::Exchanged => "EXCHANGED",
            AuthState::Refreshed => "REFRESHED",
            AuthState::Revoked => "REVOKED",
        }
    }
}

/// One patient's authorization of one app, made by signing in through the Link app.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// The sample plan signed in to.
    pub plan: &'static Plan,
    /// `user.externalId` passed to `FlexpaLink.create`, if any.
    pub external_id: Option<String>,
    /// The requested usage.
    pub usage: Usage,
    /// The life cycle state.
    pub state: AuthState,
    /// The consent it belongs to (`consent_id` of the webhooks; one authorization per consent
    /// in the sandbox).
    pub consent_id: Uuid,
    /// When its data sync began: when its first access token was issued.
    pub sync_started: Option<Instant>,
    /// The scope granted through the consent flow (`None` for Link).
    pub scope: Option<String>,
    created: Instant,
}

/// Where an authorization's data sync is, seen from a FHIR call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    /// Still fetching from the plan: done in this long.
    Syncing(Duration),
    /// Done: the data can be read.
    Completed,
    /// Fetching from the plan failed.
    Failed,
}

impl Authorization {
    /// The sync's status now, for a syncing window of `window`.
    pub fn sync_status(&self, window: Duration) -> SyncStatus {
        let started = self.sync_started.unwrap_or_else(Instant::now);
        let left = (started + window).saturating_duration_since(Instant::now());
        if !left.is_zero() {
            SyncStatus::Syncing(left)
        } else if self.plan.sync_fails {
            SyncStatus::Failed
        } else {
            SyncStatus::Completed
        }
    }
}

struct PublicGrant {
    authorization: Uuid,
    expires: Instant,
    used: bool,
}

/// An access token's record.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    /// The authorization it belongs to.
    pub authorization: Uuid,
    /// JWT id.
    pub jti: Uuid,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expires at (Unix seconds).
    pub exp: u64,
    expires: Instant,
    revoked: bool,
}

impl AccessGrant {
    /// Seconds until it expires (0 once expired).
    pub fn remaining(&self) -> u64 {
        self.expires
            .saturating_duration_since(Instant::now())
            .as_secs()
    }
}

struct RefreshGrant {
    authorization: Uuid,
    issued: Instant,
    expires: Option<Instant>,
    revoked: bool,
}

/// Why a public token was refused (each has Flexpa's message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicTokenError {
    /// Never minted (or long forgotten).
    Unknown,
    /// Already exchanged once: public tokens are single-use.
    Used,
    /// Older than the public token lifetime.
    Expired,
}

impl PublicTokenError {
    /// The `message` of the 400 answer.
    pub fn message(self) -> &'static str {
        match self {
            PublicTokenError::Unknown => "Invalid public token.",
            PublicTokenError::Used => "Invalid public token. Public token has already been used.",
            PublicTokenError::Expired => "Invalid public token. Public token has expired.",
        }
    }
}

/// Why an access token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessTokenError {
    /// Not one the sandbox minted.
    Invalid,
    /// Past its expiry.
    Expired,
    /// Revoked.
    Revoked,
}

impl AccessTokenError {
    /// The `message` of the 401 answer.
    pub fn message(self) -> &'static str {
        match self {
            AccessTokenError::Invalid => "Invalid access token.",
            AccessTokenError::Expired => "Access token has expired.",
            AccessTokenError::Revoked => "Access token has been revoked.",
        }
    }
}

/// Why a refresh token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTokenError {
    /// Unknown, already rotated, or revoked.
    Invalid,
    /// Past its expiry.
    Expired,
}

/// An authorization request of the OAuth PKCE flow (`GET /link/auth`), checked and waiting for
/// the patient on the consent page.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    /// The app's publishable key.
    pub client_id: String,
    /// Where the patient goes back to.
    pub redirect_uri: String,
    /// The S256 `code_challenge`.
    pub code_challenge: String,
    /// The app's `state`, echoed on the redirect.
    pub state: Option<String>,
    /// `flexpa_external_id`.
    pub external_id: String,
    /// `flexpa_endpoint_id`, if the app preselected a plan.
    pub endpoint: Option<String>,
    /// The granted scope (`launch/patient`, maybe with `offline_access`).
    pub scope: String,
}

struct PendingRequest {
    request: AuthRequest,
    expires: Instant,
}

struct CodeGrant {
    authorization: Uuid,
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    expires: Instant,
    used: bool,
}

/// Why an authorization code was refused (`invalid_grant`, RFC 6749 5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeError {
    /// Never issued (or long forgotten).
    Unknown,
    /// Already presented once: codes are single-use (and its tokens are now revoked).
    Used,
    /// Older than the code lifetime.
    Expired,
    /// `client_id` is not the one the code was issued to.
    ClientMismatch,
    /// `redirect_uri` is not the one of the authorization request.
    RedirectMismatch,
    /// `code_verifier` is not 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`.
    MalformedVerifier,
    /// base64url(SHA-256(`code_verifier`)) is not the `code_challenge`.
    VerifierMismatch,
}

impl CodeError {
    /// The `error_description` of the 400 answer.
    pub fn description(self) -> &'static str {
        match self {
            CodeError::Unknown => "Invalid authorization code.",
            CodeError::Used => {
                "Invalid authorization code. Authorization code has already been used; \
                 the tokens issued for it are revoked."
            }
            CodeError::Expired => "Invalid authorization code. Authorization code has expired.",
            CodeError::ClientMismatch => {
                "client_id does not match the client the authorization code was issued to."
            }
            CodeError::RedirectMismatch => {
                "redirect_uri does not match the redirect_uri of the authorization request."
            }
            CodeError::MalformedVerifier => {
                "code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' \
                 and '~' (RFC 7636)."
            }
            CodeError::VerifierMismatch => {
                "PKCE verification failed: code_verifier does not match the code_challenge."
            }
        }
    }
}

/// What an exchange or a refresh hands out.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The new access token.
    pub access_token: String,
    /// Its lifetime in seconds.
    pub expires_in: u64,
    /// A refresh token, for `MULTIPLE` usage on a refreshable endpoint.
    pub refresh_token: Option<String>,
    /// Its lifetime in seconds (0 = never expires); `None` without a refresh token.
    pub refresh_expires_in: Option<u64>,
    /// The authorization.
    pub authorization: Authorization,
    /// Its id (`patient_authorization_id` of the webhooks).
    pub authorization_id: Uuid,
    /// Whether this issue began the authorization's data sync (its first access token).
    pub began_sync: bool,
}

/// An application access token (`client_credentials`): no patient, no refresh.
struct AppGrant {
    expires: Instant,
}

/// The token store.
pub struct Store {
    public_ttl: Duration,
    access_ttl: Duration,
    authorizations: HashMap<Uuid, Authorization>,
    public: HashMap<String, PublicGrant>,
    access: HashMap<String, AccessGrant>,
    refresh: HashMap<String, RefreshGrant>,
    code_ttl: Duration,
    requests: HashMap<String, PendingRequest>,
    codes: HashMap<String, CodeGrant>,
    app_tokens: HashMap<String, AppGrant>,
    inserts: u64,
    cap: usize,
}

/// The most entries each of the store's maps keeps by default (see [`Store::with_cap`]).
pub const DEFAULT_CAP: usize = 10_000;

/// How long the consent page waits for the patient.
const REQUEST_TTL: Duration = Duration::from_secs(30 * 60);

/// How long spent tokens are remembered, to answer "already used" / "expired" precisely.
const REMEMBER: Duration = Duration::from_secs(3600);

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// 32 random bytes, base64url: two v4 UUIDs' worth of the OS's randomness.
fn random_part() -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Store {
    /// An empty store with these lifetimes.
    pub fn new(public_ttl: Duration, access_ttl: Duration) -> Self {
        Store {
            public_ttl,
            access_ttl,
            authorizations: HashMap::new(),
            public: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            code_ttl: Duration::from_secs(60),
            requests: HashMap::new(),
            codes: HashMap::new(),
            app_tokens: HashMap::new(),
            inserts: 0,
            cap: DEFAULT_CAP,
        }
    }

    /// The most entries each map keeps (authorizations, public, access, refresh and
    /// application tokens, codes, pending consent requests): when one is full, its oldest
    /// entries are forgotten, so a hammered sandbox stays bounded. Default [`DEFAULT_CAP`].
    pub fn with_cap(mut self, cap: usize) -> Self {
        self.cap = cap;
        self
    }

    /// How many entries the store holds in all (for tests of its bounds).
    pub fn len(&self) -> usize {
        self.authorizations.len()
            + self.public.len()
            + self.access.len()
            + self.refresh.len()
            + self.codes.len()
            + self.requests.len()
            + self.app_tokens.len()
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Mints an application access token (`client_credentials`) living `ttl`.
    pub fn issue_app_token(&mut self, ttl: Duration) -> String {
        self.prune();
        make_room(&mut self.app_tokens, self.cap, |g| g.expires);
        let token = format!("app.{}", random_part());
        self.app_tokens.insert(
            token.clone(),
            AppGrant {
                expires: Instant::now() + ttl,
            },
        );
        token
    }

    /// Whether this is a live application access token.
    pub fn is_app_token(&self, token: &str) -> bool {
        self.app_tokens
            .get(token)
            .is_some_and(|g| Instant::now() < g.expires)
    }

    /// The lifetime of authorization codes (default 60 seconds).
    pub fn with_code_ttl(mut self, code_ttl: Duration) -> Self {
        self.code_ttl = code_ttl;
        self
    }

    /// Keeps a checked authorization request for the consent page; returns its id (random,
    /// the consent page's forms carry it).
    pub fn begin_request(&mut self, request: AuthRequest) -> String {
        self.prune();
        let id = random_part();
        make_room(&mut self.requests, self.cap, |p| p.expires);
        self.requests.insert(
            id.clone(),
            PendingRequest {
                request,
                expires: Instant::now() + REQUEST_TTL,
            },
        );
        id
    }

    /// The pending authorization request with this id, unless it expired or was completed.
    pub fn pending_request(&self, id: &str) -> Option<AuthRequest> {
        self.requests
            .get(id)
            .filter(|p| Instant::now() < p.expires)
            .map(|p| p.request.clone())
    }

    /// Completes (removes) a pending authorization request.
    pub fn finish_request(&mut self, id: &str) -> Option<AuthRequest> {
        self.requests
            .remove(id)
            .filter(|p| Instant::now() < p.expires)
            .map(|p| p.request)
    }

    /// The patient consented on the consent page: a new authorization and its single-use,
    /// short-lived authorization code.
    pub fn authorize_code(
        &mut self,
        plan: &'static Plan,
        request: &AuthRequest,
        usage: Usage,
    ) -> String {
        let id = self.new_authorization(plan, Some(request.external_id.clone()), usage);
        if let Some(auth) = self.authorizations.get_mut(&id) {
            auth.scope = Some(request.scope.clone());
        }
        let code = random_part();
        make_room(&mut self.codes, self.cap, |g| g.expires);
        self.codes.insert(
            code.clone(),
            CodeGrant {
                authorization: id,
                client_id: request.client_id.clone(),
                redirect_uri: request.redirect_uri.clone(),
                code_challenge: request.code_challenge.clone(),
                expires: Instant::now() + self.code_ttl,
                used: false,
            },
        );
        code
    }

    /// Redeems an authorization code (`grant_type=authorization_code`). `challenge` is
    /// base64url(SHA-256(code_verifier)), `None` for a malformed verifier.
    ///
    /// Any presentation spends the code, successful or not (a code shown with the wrong
    /// verifier may have been stolen); presenting a spent code again also revokes every
    /// token issued for it (RFC 6749 4.1.2).
    pub fn redeem_code(
        &mut self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        challenge: Option<&str>,
    ) -> Result<Issued, CodeError> {
        let grant = self.codes.get_mut(code).ok_or(CodeError::Unknown)?;
        if grant.used {
            let id = grant.authorization;
            self.revoke_authorization(id);
            return Err(CodeError::Used);
        }
        grant.used = true;
        if Instant::now() >= grant.expires {
            return Err(CodeError::Expired);
        }
        if grant.client_id != client_id {
            return Err(CodeError::ClientMismatch);
        }
        if grant.redirect_uri != redirect_uri {
            return Err(CodeError::RedirectMismatch);
        }
        let challenge = challenge.ok_or(CodeError::MalformedVerifier)?;
        if grant.code_challenge != challenge {
            return Err(CodeError::VerifierMismatch);
        }
        let id = grant.authorization;
        let auth = self.authorizations.get_mut(&id).ok_or(CodeError::Unknown)?;
        auth.state = AuthState::Exchanged;
        self.issue(id).ok_or(CodeError::Unknown)
    }

    fn new_authorization(
        &mut self,
        plan: &'static Plan,
        external_id: Option<String>,
        usage: Usage,
    ) -> Uuid {
        self.prune();
        let id = Uuid::new_v4();
        make_room(&mut self.authorizations, self.cap, |a| a.created);
        self.authorizations.insert(
            id,
            Authorization {
                plan,
                external_id,
                usage,
                state: AuthState::Authorized,
                consent_id: Uuid::new_v4(),
                sync_started: None,
                scope: None,
                created: Instant::now(),
            },
        );
        id
    }

    /// A signed-in patient: a new authorization and its public token `public_token_<uuid>`.
    pub fn authorize(
        &mut self,
        plan: &'static Plan,
        external_id: Option<String>,
        usage: Usage,
    ) -> String {
        let id = self.new_authorization(plan, external_id, usage);
        let token = format!("public_token_{}", Uuid::new_v4());
        make_room(&mut self.public, self.cap, |g| g.expires);
        self.public.insert(
            token.clone(),
            PublicGrant {
                authorization: id,
                expires: Instant::now() + self.public_ttl,
                used: false,
            },
        );
        token
    }

    /// Exchanges a public token: once, before it expires.
    pub fn exchange(&mut self, public_token: &str) -> Result<Issued, PublicTokenError> {
        let grant = self
            .public
            .get_mut(public_token)
            .ok_or(PublicTokenError::Unknown)?;
        if grant.used {
            return Err(PublicTokenError::Used);
        }
        if Instant::now() >= grant.expires {
            return Err(PublicTokenError::Expired);
        }
        grant.used = true;
        let id = grant.authorization;
        let auth = self
            .authorizations
            .get_mut(&id)
            .ok_or(PublicTokenError::Unknown)?;
        auth.state = AuthState::Exchanged;
        self.issue(id).ok_or(PublicTokenError::Unknown)
    }

    /// Uses a refresh token: a new access token and a new refresh token; the old one is spent.
    pub fn refresh(&mut self, refresh_token: &str) -> Result<Issued, RefreshTokenError> {
        let grant = self
            .refresh
            .get_mut(refresh_token)
            .ok_or(RefreshTokenError::Invalid)?;
        if grant.revoked {
            return Err(RefreshTokenError::Invalid);
        }
        if grant.expires.is_some_and(|e| Instant::now() >= e) {
            return Err(RefreshTokenError::Expired);
        }
        grant.revoked = true;
        let id = grant.authorization;
        let auth = self
            .authorizations
            .get_mut(&id)
            .ok_or(RefreshTokenError::Invalid)?;
        if auth.state == AuthState::Revoked {
            return Err(RefreshTokenError::Invalid);
        }
        auth.state = AuthState::Refreshed;
        self.issue(id).ok_or(RefreshTokenError::Invalid)
    }

    /// New tokens for the authorization `id` (`None` if it is not known).
    fn issue(&mut self, id: Uuid) -> Option<Issued> {
        self.prune();
        let auth = self.authorizations.get_mut(&id)?;
        let began_sync = auth.sync_started.is_none();
        auth.sync_started.get_or_insert_with(Instant::now);
        let auth = auth.clone();
        let iat = unix_now();
        let expires_in = self.access_ttl.as_secs().max(1);
        let exp = iat + expires_in;
        let jti = Uuid::new_v4();
        // Shaped like Flexpa's (a JWT); the sandbox looks it up rather than verifying it.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(
            json!({
                "iss": "flexpa-link-sandbox",
                "sub": format!("Patient/{}", auth.plan.patient_id),
                "jti": jti,
                "iat": iat,
                "exp": exp,
                "endpoint": auth.plan.id,
            })
            .to_string(),
        );
        let access_token = format!("{header}.{claims}.{}", random_part());
        make_room(&mut self.access, self.cap, |g| g.expires);
        self.access.insert(
            access_token.clone(),
            AccessGrant {
                authorization: id,
                jti,
                iat,
                exp,
                expires: Instant::now() + self.access_ttl,
                revoked: false,
            },
        );
        let (refresh_token, refresh_expires_in) = if auth.usage == Usage::Multiple
            && auth.plan.refreshable
        {
            let token = random_part();
            let lifetime = auth.plan.refresh_expires_in;
            make_room(&mut self.refresh, self.cap, |g| g.issued);
            self.refresh.insert(
                token.clone(),
                RefreshGrant {
                    authorization: id,
                    issued: Instant::now(),
                    expires: (lifetime > 0).then(|| Instant::now() + Duration::from_secs(lifetime)),
                    revoked: false,
                },
            );
            (Some(token), Some(lifetime))
        } else {
            (None, None)
        };
        Some(Issued {
            access_token,
            expires_in,
            refresh_token,
            refresh_expires_in,
            authorization: auth,
            authorization_id: id,
            began_sync,
        })
    }

    /// The record of a live access token and its authorization. Revoked tokens are refused
    /// unless `allow_revoked` (introspection reports them as `REVOKED`).
    pub fn access(
        &self,
        token: &str,
        allow_revoked: bool,
    ) -> Result<(AccessGrant, Authorization), AccessTokenError> {
        let grant = self.access.get(token).ok_or(AccessTokenError::Invalid)?;
        if Instant::now() >= grant.expires {
            return Err(AccessTokenError::Expired);
        }
        let auth = self
            .authorizations
            .get(&grant.authorization)
            .ok_or(AccessTokenError::Invalid)?;
        if (grant.revoked || auth.state == AuthState::Revoked) && !allow_revoked {
            return Err(AccessTokenError::Revoked);
        }
        Ok((grant.clone(), auth.clone()))
    }

    /// Revokes the authorization behind this access token: every access and refresh token of
    /// it. Returns how many tokens were revoked.
    pub fn revoke(&mut self, token: &str) -> Result<u64, AccessTokenError> {
        let (grant, _) = self.access(token, false)?;
        Ok(self.revoke_authorization(grant.authorization))
    }

    fn revoke_authorization(&mut self, id: Uuid) -> u64 {
        let mut count = 0;
        for g in self.access.values_mut() {
            if g.authorization == id && !g.revoked {
                g.revoked = true;
                count += 1;
            }
        }
        for g in self.refresh.values_mut() {
            if g.authorization == id && !g.revoked {
                g.revoked = true;
                count += 1;
            }
        }
        if let Some(auth) = self.authorizations.get_mut(&id) {
            auth.state = AuthState::Revoked;
        }
        count
    }

    /// Forgets long-dead tokens now and then, so a long benchmark does not grow memory.
    fn prune(&mut self) {
        self.inserts += 1;
        if !self.inserts.is_multiple_of(1024) {
            return;
        }
        let now = Instant::now();
        let dead = |expires: Instant| expires + REMEMBER < now;
        self.public.retain(|_, g| !dead(g.expires));
        self.access.retain(|_, g| !dead(g.expires));
        self.refresh
            .retain(|_, g| !(g.revoked || g.expires.is_some_and(dead)));
        self.codes.retain(|_, g| !dead(g.expires));
        self.requests.retain(|_, p| now < p.expires);
        self.app_tokens.retain(|_, g| now < g.expires);
        let live: std::collections::HashSet<Uuid> = self
            .public
            .values()
            .map(|g| g.authorization)
            .chain(self.access.values().map(|g| g.authorization))
            .chain(self.refresh.values().map(|g| g.authorization))
            .chain(self.codes.values().map(|g| g.authorization))
            .collect();
        self.authorizations.retain(|id, _| live.contains(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data;

    fn request() -> AuthRequest {
        AuthRequest {
            client_id: "pk_test_x".into(),
            redirect_uri: "http://127.0.0.1:9/cb".into(),
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            state: None,
            external_id: "user".into(),
            endpoint: None,
            scope: "launch/patient".into(),
        }
    }

    #[test]
    fn every_map_stays_at_its_cap_when_hammered() {
        let ttl = Duration::from_secs(600);
        let mut store = Store::new(ttl, ttl).with_cap(500);
        let plan = data::plan("evergreen-health-sandbox").unwrap();
        let mut last_token = String::new();
        for _ in 0..20_000 {
            store.begin_request(request());
            store.authorize_code(plan, &request(), Usage::Multiple);
            let public = store.authorize(plan, None, Usage::Multiple);
            last_token = store.exchange(&public).unwrap().access_token;
            store.issue_app_token(ttl);
        }
        // 7 maps of at most 500 entries each.
        assert!(store.len() <= 7 * 500, "{}", store.len());
        // The newest token still works: the oldest went, not the newest.
        assert!(store.access(&last_token, false).is_ok());
    }

    #[test]
    fn the_sync_begins_with_the_first_token_only() {
        let ttl = Duration::from_secs(600);
        let mut store = Store::new(ttl, ttl);
        let plan = data::plan("evergreen-health-sandbox").unwrap();
        let public = store.authorize(plan, None, Usage::Multiple);
        let issued = store.exchange(&public).unwrap();
        assert!(issued.began_sync);
        let refreshed = store
            .refresh(issued.refresh_token.as_deref().unwrap())
            .unwrap();
        assert!(!refreshed.began_sync, "a refresh does not sync again");
        let auth = refreshed.authorization;
        assert!(matches!(
            auth.sync_status(Duration::from_secs(60)),
            SyncStatus::Syncing(left) if left > Duration::from_secs(58)
        ));
        assert_eq!(auth.sync_status(Duration::ZERO), SyncStatus::Completed);
        let failing = data::plan("lakeshore-sync-fails-sandbox").unwrap();
        let public = store.authorize(failing, None, Usage::OneTime);
        let issued = store.exchange(&public).unwrap();
        assert_eq!(
            issued.authorization.sync_status(Duration::ZERO),
            SyncStatus::Failed
        );
    }
}
