//! The demo backend's server-side sessions: what a browser has linked (its access token) and
//! the consent flow it is in the middle of (PKCE verifier, `state`, redirect URI). The browser
//! holds only a random id in an `HttpOnly` cookie; nothing secret ever reaches it.
//!
//! Bounded: at most [`MAX_SESSIONS`] sessions, each forgotten [`SESSION_TTL`] after it was last
//! used; the oldest go first when full.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use flexpa_link::pkce::{random_state, CodeVerifier};
use flexpa_link::server::AccessToken;

use crate::backend::page_error;
use flexpa_sandbox::bounded::make_room;

/// The session cookie's name.
pub const COOKIE: &str = "demo_session";
/// The most sessions kept.
pub const MAX_SESSIONS: usize = 10_000;
/// How long an unused session lives.
pub const SESSION_TTL: Duration = Duration::from_secs(60 * 60);

/// A consent flow started by this browser, waiting for its callback. Prints without its
/// verifier or state.
#[derive(Clone)]
pub struct PendingConsent {
    /// The PKCE verifier whose challenge went into the authorization URL.
    pub verifier: CodeVerifier,
    /// The `state` sent; the callback must bring it back.
    pub state: String,
    /// The redirect URI of the authorization URL (the code exchange repeats it).
    pub redirect_uri: String,
}

impl std::fmt::Debug for PendingConsent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingConsent")
            .field("verifier", &"<redacted>")
            .field("state", &"<redacted>")
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// A linked health plan: the patient's access token (never sent to the browser).
#[derive(Debug, Clone)]
pub struct Linked {
    /// The patient's access token.
    pub access_token: AccessToken,
    /// The plan's name, when Flexpa said it.
    pub plan: Option<String>,
}

/// One browser's session.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// What the browser linked, once it has.
    pub linked: Option<Linked>,
    /// The consent flow in progress, if any.
    pub consent: Option<PendingConsent>,
    /// The id the app gives Flexpa for this user (`flexpa_external_id`).
    pub external_id: String,
}

struct Entry {
    session: Session,
    used: Instant,
}

/// The sessions, keyed by the cookie's random id.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Entry>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

/// The session id in the request's cookies, if any.
pub fn cookie_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|id| !id.is_empty() && id.len() <= 64)
}

/// The `Set-Cookie` value for a session id: not readable by scripts, sent on the top-level
/// redirect back from Flexpa (`SameSite=Lax`), for the whole site.
pub fn set_cookie(id: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}",
        SESSION_TTL.as_secs()
    ))
    .ok()
}

/// Changes the session of the request's cookie (a new one if there is none) and returns
/// `response` with the cookie set when the session is new.
pub fn respond_with_session(
    sessions: &Sessions,
    headers: &HeaderMap,
    change: impl FnOnce(&mut Session),
    mut response: Response,
) -> Response {
    let current = cookie_id(headers);
    let Some(id) = sessions.update(current.as_deref(), change) else {
        return page_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "No secure random generator for the session id.",
        );
    };
    if current.as_deref() != Some(id.as_str()) {
        if let Some(cookie) = set_cookie(&id) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
    }
    response
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A copy of the live session with this id.
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.lock();
        let entry = map.get_mut(id)?;
        if entry.used.elapsed() >= SESSION_TTL {
            map.remove(id);
            return None;
        }
        entry.used = Instant::now();
        Some(entry.session.clone())
    }

    /// Changes the session with this id (made fresh if it is gone), or a new session when
    /// `id` is `None`. Returns the id, which may be new: set the cookie when it is.
    pub fn update(&self, id: Option<&str>, change: impl FnOnce(&mut Session)) -> Option<String> {
        let mut map = self.lock();
        let existing = id.filter(|id| map.get(*id).is_some_and(|e| e.used.elapsed() < SESSION_TTL));
        let id = match existing {
            Some(id) => id.to_string(),
            None => {
                make_room(&mut map, MAX_SESSIONS, |e| e.used);
                let id = random_state().ok()?;
                let external_id = format!("demo-user-{}", uuid::Uuid::new_v4().simple());
                map.insert(
                    id.clone(),
                    Entry {
                        session: Session {
                            external_id,
                            ..Session::default()
                        },
                        used: Instant::now(),
                    },
                );
                id
            }
        };
        let entry = map.get_mut(&id)?;
        entry.used = Instant::now();
        change(&mut entry.session);
        Some(id)
    }

    /// Takes the session's pending consent out (a callback is used once).
    pub fn take_consent(&self, id: &str) -> Option<PendingConsent> {
        let mut map = self.lock();
        let entry = map.get_mut(id)?;
        if entry.used.elapsed() >= SESSION_TTL {
            return None;
        }
        entry.session.consent.take()
    }

    /// How many sessions are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_read_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; demo_session=abc; b=2"),
        );
        assert_eq!(cookie_id(&headers).as_deref(), Some("abc"));
        assert_eq!(cookie_id(&HeaderMap::new()), None);
    }

    #[test]
    fn sessions_stay_bounded() {
        let sessions = Sessions::default();
        for _ in 0..(MAX_SESSIONS + 5_000) {
            sessions.update(None, |_| {});
        }
        assert!(sessions.len() <= MAX_SESSIONS);
    }

    #[test]
    fn a_session_prints_no_secret() {
        let verifier = CodeVerifier::generate().unwrap();
        let session = Session {
            linked: Some(Linked {
                access_token: AccessToken::new("eyJ.secret-access-token.sig").unwrap(),
                plan: None,
            }),
            consent: Some(PendingConsent {
                verifier: verifier.clone(),
                state: "the-state-value".into(),
                redirect_uri: "http://127.0.0.1/cb".into(),
            }),
            external_id: "demo-user-1".into(),
        };
        let printed = format!("{session:?} {session:#?}");
        for secret in [
            verifier.expose_secret(),
            "the-state-value",
            "secret-access-token",
        ] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }

    #[test]
    fn a_consent_is_taken_once() {
        let sessions = Sessions::default();
        let id = sessions
            .update(None, |s| {
                s.consent = Some(PendingConsent {
                    verifier: CodeVerifier::generate().unwrap(),
                    state: "s".into(),
                    redirect_uri: "http://127.0.0.1/cb".into(),
                })
            })
            .unwrap();
        assert!(sessions.take_consent(&id).is_some());
        assert!(sessions.take_consent(&id).is_none());
    }
}
