//! "Connect with Flexpa": Flexpa's consent flow (OAuth 2.0 with PKCE), the demo's main path.
//!
//! 1. `GET /api/consent/start`: a fresh PKCE verifier and `state`, kept in this browser's
//!    server-side session (a cookie), and a `303` to Flexpa's authorization page
//!    (`/link/auth?...`, built by the crate's `Client::authorization_url`);
//! 2. the patient picks a plan, signs in and consents on Flexpa's page, which sends the browser
//!    back to `GET /api/consent/callback?code=..&state=..` (or `?error=..`);
//! 3. the callback checks `state` against the session's (a callback this browser did not start
//!    is refused), exchanges the code with the verifier (`Client::exchange_code`), keeps the
//!    access token in the session and sends the browser to `/?connected=1`, where the page reads
//!    `GET /api/records`. Failures go to `/?consent_error=<words>` (never a secret).
//!
//! The verifier, the code and the access token never reach the browser or the logs.

use axum::extract::RawQuery;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use flexpa_link::pkce::{random_state, Callback, CodeVerifier};

use crate::backend::{no_store, page_error, request_host, Shared};
use crate::sessions::{self, cookie_id, Linked, PendingConsent};

/// The callback's path on this backend.
pub const CALLBACK_PATH: &str = "/api/consent/callback";

/// A `303` back to the page with these query parameters.
fn back_to_page(params: &[(&str, &str)]) -> Response {
    let query = serde_urlencoded::to_string(params).unwrap_or_default();
    let location = if query.is_empty() {
        "/".to_string()
    } else {
        format!("/?{query}")
    };
    match HeaderValue::from_str(&location) {
        Ok(location) => {
            no_store((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
        }
        Err(_) => page_error(StatusCode::INTERNAL_SERVER_ERROR, "bad redirect"),
    }
}

fn failed(message: &str) -> Response {
    back_to_page(&[("consent_error", message)])
}

/// `GET /api/consent/start`: to Flexpa's consent page.
pub(crate) async fn start(axum::extract::State(app): Shared, headers: HeaderMap) -> Response {
    let backend = &app.backend;
    let redirect_uri = match (&backend.redirect_uri, request_host(&headers)) {
        (Some(uri), _) => uri.clone(),
        (None, Some(host)) => format!("http://{host}{CALLBACK_PATH}"),
        (None, None) => {
            return page_error(
                StatusCode::BAD_REQUEST,
                "The request has no usable Host header for the redirect URI.",
            )
        }
    };
    let (Ok(verifier), Ok(state)) = (CodeVerifier::generate(), random_state()) else {
        return page_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "No secure random generator for the PKCE verifier.",
        );
    };
    // The user's id for Flexpa (`flexpa_external_id`): the session's, stable across links.
    let external_id = cookie_id(&headers)
        .and_then(|id| app.sessions.get(&id))
        .map(|s| s.external_id)
        .unwrap_or_else(|| format!("demo-user-{}", uuid::Uuid::new_v4().simple()));
    let url = backend
        .flexpa
        .client()
        .authorization_url(
            redirect_uri.clone(),
            &verifier.challenge(),
            external_id.clone(),
        )
        .and_then(|url| {
            url.state(state.clone())
                .build()
                .map_err(flexpa_link::server::Error::InvalidInput)
        });
    let location = match url.map(|u| HeaderValue::from_str(&u)) {
        Ok(Ok(location)) => location,
        Ok(Err(_)) => {
            return page_error(StatusCode::INTERNAL_SERVER_ERROR, "bad authorization URL")
        }
        Err(e) => {
            eprintln!("consent: cannot build the authorization URL: {e}");
            return page_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
        }
    };
    let pending = PendingConsent {
        verifier,
        state,
        redirect_uri,
    };
    sessions::respond_with_session(
        &app.sessions,
        &headers,
        |session| {
            session.external_id = external_id;
            session.consent = Some(pending);
        },
        no_store((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()),
    )
}

/// `GET /api/consent/callback?code=..&state=..` (or `?error=..&error_description=..`).
pub(crate) async fn callback(
    axum::extract::State(app): Shared,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Ok(callback) = Callback::from_query(query.as_deref().unwrap_or("")) else {
        return failed("Flexpa's answer could not be read.");
    };
    // The pending flow is used once, whatever the answer.
    let pending = cookie_id(&headers)
        .and_then(|id| app.sessions.take_consent(&id).map(|pending| (id, pending)));
    let Some((session_id, pending)) = pending else {
        return failed(
            "This answer from Flexpa is not for a connection this browser started (or it was \
             already used). Connect again.",
        );
    };
    let (code, state) = match callback {
        Callback::Error {
            error, description, ..
        } => {
            let words = match description {
                Some(d) => format!("Flexpa: {error}: {d}"),
                None => format!("Flexpa: {error}"),
            };
            return failed(&words.chars().take(300).collect::<String>());
        }
        Callback::Code { code, state } => (code, state),
    };
    if state.as_deref() != Some(pending.state.as_str()) {
        return failed("The answer's state does not match this browser's: it was refused.");
    }
    let client = app.backend.flexpa.client();
    let tokens = match client
        .exchange_code(&code, &pending.verifier, &pending.redirect_uri)
        .await
    {
        Ok(tokens) => tokens,
        Err(e) => {
            eprintln!("consent: code exchange failed: {e}");
            return failed(&format!("The code exchange failed: {e}"));
        }
    };
    // The plan's name, for the page (informational: a failure is not one of the flow).
    let plan = match client.introspect(&tokens.access_token).await {
        Ok(info) => info
            .endpoint
            .map(|e| e.label.first().cloned().unwrap_or(e.name)),
        Err(e) => {
            eprintln!("consent: introspection failed (continuing): {e}");
            None
        }
    };
    let linked = Linked {
        access_token: tokens.access_token,
        plan,
    };
    let updated = app.sessions.update(Some(&session_id), |session| {
        session.linked = Some(linked);
    });
    match updated {
        Some(id) if id == session_id => back_to_page(&[("connected", "1")]),
        // The session expired meanwhile: a new one, with its cookie.
        Some(id) => {
            let mut response = back_to_page(&[("connected", "1")]);
            if let Some(cookie) = sessions::set_cookie(&id) {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        None => failed("No secure random generator for the session id."),
    }
}
