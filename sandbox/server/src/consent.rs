//! Flexpa's OAuth 2.0 PKCE flow ("Consent"), as `docs/flexpa.md` describes it:
//!
//! 1. the app sends the browser to `GET /link/auth?response_type=code&client_id=<publishable
//!    key>&redirect_uri=..&code_challenge=..&code_challenge_method=S256&scope=launch/patient
//!    [ offline_access]&flexpa_external_id=..[&state=..][&flexpa_endpoint_id=..]
//!    [&flexpa_search_mode=true | &flexpa_ial2_mode=true]` (what
//!    `flexpa_link::pkce::AuthorizationUrl` builds; `offline_access` gives a refresh token, IAL2
//!    with an endpoint is refused);
//! 2. the consent page (plain HTML forms posting back to `POST /link/auth`, no script) lets the
//!    patient pick a sample plan (unless `flexpa_endpoint_id` preselects a known one), sign in
//!    with the sample credentials shown on screen, or cancel;
//! 3. the browser is redirected to `redirect_uri?code=..&state=..`, or
//!    `redirect_uri?error=..&error_description=..&state=..`;
//! 4. the app's backend exchanges the code at `POST /link/token` (see `api.rs`).
//!
//! Bad requests follow RFC 6749 4.1.2.1: a missing, repeated or unknown `client_id`, or a
//! missing, repeated or malformed `redirect_uri`, is shown as an error page and never
//! redirected (the page cannot know the redirect is the app's); every other problem is
//! redirected with `error=invalid_request`, `unsupported_response_type` or `invalid_scope`.
//! Cancelling redirects with `error=access_denied`.
//!
//! The page's forms carry the id of the checked request (random, kept server side for 30
//! minutes), so the app's parameters cannot be changed between the pages. The sandbox has no
//! app registration: any absolute `http`/`https` redirect URI without a fragment or
//! credentials is accepted.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use reqwest::Url;

use super::data::{self, Plan};
use super::store::{AuthRequest, Usage};
use super::{check_credentials, Sandbox};

/// The scope every authorization request asks for.
pub const SCOPE: &str = "launch/patient";
/// The optional scope asking for a refresh token (Flexpa's discovery documents list it).
pub const OFFLINE_ACCESS: &str = "offline_access";

/// Query or form parameters, every value of each name kept (to refuse repeated ones).
struct Params(HashMap<String, Vec<String>>);

/// A parameter given more than once (RFC 6749 3.1: "MUST NOT be included more than once").
struct Repeated(&'static str);

impl Params {
    fn parse(raw: &[u8]) -> Option<Self> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(raw).ok()?;
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in pairs {
            map.entry(name).or_default().push(value);
        }
        Some(Params(map))
    }

    fn one(&self, name: &'static str) -> Result<Option<&str>, Repeated> {
        match self.0.get(name).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([value]) => Ok(Some(value)),
            Some(_) => Err(Repeated(name)),
        }
    }

    /// The first value, for echoing `state` even when something else is wrong.
    fn first(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.first()).map(String::as_str)
    }
}

/// Escapes text for HTML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Headers of every consent page and redirect: never cached, never framed (no clickjacking
/// of the consent), no referrer (the URL holds the request), no script at all.
fn protect(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
}

fn page(status: StatusCode, title: &str, screen: &str) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} - Flexpa (sandbox)</title>
  <link rel="stylesheet" href="/style.css">
</head>
<body>
  <div class="backdrop">
    <main class="dialog" aria-labelledby="title">
      <header>
        <span class="brand">Flexpa</span>
        <span class="badge">Sandbox</span>
      </header>
      <p id="sandbox-notice" class="notice">
        <strong>Sandbox with sample data.</strong> These health plans, accounts and records are
        made up for the offline demo. Nothing you enter here reaches a real health plan.
      </p>
{screen}
    </main>
  </div>
</body>
</html>
"#,
        title = esc(title)
    );
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        html,
    )
        .into_response();
    protect(&mut response);
    response
}

/// An error shown on the page, not redirected.
fn error_page(status: StatusCode, message: &str) -> Response {
    page(
        status,
        "Authorization error",
        &format!(
            r#"      <section id="screen-error" class="screen">
        <h1 id="title">This link to Flexpa is not valid</h1>
        <p id="fatal-error" role="alert">{}</p>
        <p class="muted">Go back to the app and start again.</p>
      </section>"#,
            esc(message)
        ),
    )
}

/// A redirect to the app's `redirect_uri` (already checked) with these parameters added to
/// its query.
fn redirect(status: StatusCode, redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let location = match Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (name, value) in params {
                    query.append_pair(name, value);
                }
            }
            url.to_string()
        }
        Err(_) => return error_page(StatusCode::BAD_REQUEST, "The redirect_uri is not valid."),
    };
    let Ok(location) = HeaderValue::from_str(&location) else {
        return error_page(StatusCode::BAD_REQUEST, "The redirect_uri is not valid.");
    };
    let mut response = (status, [(header::LOCATION, location)]).into_response();
    protect(&mut response);
    response
}

fn redirect_error(
    status: StatusCode,
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Response {
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        params.push(("state", state));
    }
    redirect(status, redirect_uri, &params)
}

/// Why a redirect URI cannot be used, if it cannot.
fn redirect_uri_problem(uri: &str) -> Option<&'static str> {
    if uri.contains('#') {
        return Some("The redirect_uri must not have a fragment (OAuth 2.0 forbids it).");
    }
    let Ok(url) = Url::parse(uri) else {
        return Some("The redirect_uri must be an absolute http or https URL.");
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Some("The redirect_uri must be an absolute http or https URL.");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some("The redirect_uri must not carry credentials.");
    }
    None
}

/// A base64url SHA-256: 43 characters of `A-Z a-z 0-9 - _`.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `GET /link/auth?...`: checks the authorization request, then shows the consent page.
pub async fn authorize(State(sandbox): State<Sandbox>, RawQuery(query): RawQuery) -> Response {
    let Some(params) = Params::parse(query.as_deref().unwrap_or("").as_bytes()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The authorization request's query cannot be read.",
        );
    };

    // First the client and where to send the answer: until both are known good, nothing is
    // redirected (RFC 6749 4.1.2.1).
    let client_id = match params.one("client_id") {
        Err(_) => return error_page(StatusCode::BAD_REQUEST, "client_id is repeated."),
        Ok(None) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "client_id is missing: it must be the app's publishable key.",
            )
        }
        Ok(Some(id)) if id != sandbox.publishable_key() => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Unknown client_id: it is not the publishable key of an app of this sandbox.",
            )
        }
        Ok(Some(id)) => id,
    };
    let redirect_uri = match params.one("redirect_uri") {
        Err(_) => return error_page(StatusCode::BAD_REQUEST, "redirect_uri is repeated."),
        Ok(None) => return error_page(StatusCode::BAD_REQUEST, "redirect_uri is missing."),
        Ok(Some(uri)) => match redirect_uri_problem(uri) {
            Some(problem) => return error_page(StatusCode::BAD_REQUEST, problem),
            None => uri,
        },
    };

    // Everything else goes back to the app.
    let state = params.first("state");
    let fail = |error: &str, description: &str| {
        redirect_error(StatusCode::FOUND, redirect_uri, error, description, state)
    };
    let mut one = HashMap::new();
    for name in [
        "response_type",
        "code_challenge",
        "code_challenge_method",
        "scope",
        "flexpa_external_id",
        "state",
        "flexpa_endpoint_id",
        "flexpa_search_mode",
        "flexpa_ial2_mode",
    ] {
        match params.one(name) {
            Ok(value) => {
                one.insert(name, value);
            }
            Err(Repeated(name)) => {
                return fail(
                    "invalid_request",
                    &format!("Parameter '{name}' is repeated."),
                )
            }
        }
    }
    match one["response_type"] {
        None => return fail("invalid_request", "response_type is required (code)."),
        Some("code") => {}
        Some(_) => {
            return fail(
                "unsupported_response_type",
                "Only response_type=code is supported.",
            )
        }
    }
    let Some(code_challenge) = one["code_challenge"] else {
        return fail(
            "invalid_request",
            "code_challenge is required: the flow uses PKCE (RFC 7636).",
        );
    };
    if one["code_challenge_method"] != Some("S256") {
        return fail("invalid_request", "code_challenge_method must be S256.");
    }
    if !is_s256_challenge(code_challenge) {
        return fail(
            "invalid_request",
            "code_challenge must be base64url(SHA-256(code_verifier)): 43 characters.",
        );
    }
    // `launch/patient`, optionally with `offline_access` (a refresh token).
    let scopes: Vec<&str> = one["scope"].unwrap_or("").split(' ').collect();
    if !scopes.contains(&SCOPE) || !scopes.iter().all(|s| *s == SCOPE || *s == OFFLINE_ACCESS) {
        return fail(
            "invalid_scope",
            "scope must be launch/patient, optionally with offline_access.",
        );
    }
    let offline_access = scopes.contains(&OFFLINE_ACCESS);
    // The search (IAL1) and identity-verified (IAL2) flows look the same in the sandbox; IAL2
    // with a preselected endpoint is refused, as Flexpa does since 2026-07-10.
    if one["flexpa_ial2_mode"] == Some("true") && one["flexpa_endpoint_id"].is_some() {
        return fail(
            "invalid_request",
            "flexpa_ial2_mode cannot be combined with flexpa_endpoint_id.",
        );
    }
    let external_id = match one["flexpa_external_id"] {
        Some(id) if !id.is_empty() => id,
        _ => {
            return fail(
                "invalid_request",
                "flexpa_external_id is required: the app's own id for the user.",
            )
        }
    };

    let request = AuthRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        code_challenge: code_challenge.to_owned(),
        state: one["state"].map(str::to_owned),
        external_id: external_id.to_owned(),
        endpoint: one["flexpa_endpoint_id"].map(str::to_owned),
        scope: if offline_access {
            format!("{SCOPE} {OFFLINE_ACCESS}")
        } else {
            SCOPE.to_owned()
        },
    };
    let preselected = request.endpoint.as_deref().map(|e| (e, data::plan(e)));
    let id = sandbox.store().begin_request(request.clone());
    match preselected {
        Some((_, Some(plan))) => sign_in_screen(&id, &request, plan, None),
        Some((requested, None)) => plans_screen(
            &id,
            &request,
            Some(&format!(
                "The requested health plan ({}) is not in the sandbox. Choose one below.",
                requested.chars().take(80).collect::<String>()
            )),
        ),
        None => plans_screen(&id, &request, None),
    }
}

fn hidden_request(id: &str) -> String {
    format!(
        r#"<input type="hidden" name="request" value="{}">"#,
        esc(id)
    )
}

/// The app and what it asks for, above every screen.
fn asks(request: &AuthRequest) -> String {
    let back_to = Url::parse(&request.redirect_uri)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    format!(
        r#"        <p id="consent-request">The app <code>{}</code> asks to read your health plan data
          ({}). You go back to <code id="redirect-origin">{}</code> afterwards.</p>"#,
        esc(&request.client_id),
        data::RESOURCES.join(", "),
        esc(&back_to)
    )
}

fn cancel_form(id: &str) -> String {
    format!(
        r#"      <footer>
        <form method="post" action="/link/auth">
          {}
          <button id="cancel" type="submit" name="action" value="cancel" class="secondary">Cancel</button>
        </form>
      </footer>"#,
        hidden_request(id)
    )
}

fn plans_screen(id: &str, request: &AuthRequest, notice: Option<&str>) -> Response {
    let notice = notice
        .map(|n| {
            format!(
                r#"        <p id="plans-notice" class="warning">{}</p>"#,
                esc(n)
            )
        })
        .unwrap_or_default();
    let buttons: String = data::PLANS
        .iter()
        .map(|p| {
            format!(
                r#"          <li><button type="submit" class="plan" name="endpoint" value="{}" data-endpoint="{}">{}<small>{}</small></button></li>
"#,
                esc(p.id),
                esc(p.name),
                esc(p.label[0]),
                esc(p.kind)
            )
        })
        .collect();
    page(
        StatusCode::OK,
        "Connect your health plan",
        &format!(
            r#"      <section id="screen-plans" class="screen">
        <h1 id="title">Connect your health plan</h1>
{asks}
        <p>Choose the health plan you want to share data from.</p>
{notice}
        <form method="post" action="/link/auth">
          {hidden}
          <input type="hidden" name="action" value="choose">
          <ul id="plans" class="plans">
{buttons}          </ul>
        </form>
      </section>
{cancel}"#,
            asks = asks(request),
            hidden = hidden_request(id),
            cancel = cancel_form(id),
        ),
    )
}

fn sign_in_screen(
    id: &str,
    request: &AuthRequest,
    plan: &Plan,
    error: Option<(&str, &str)>,
) -> Response {
    let (error_html, typed) = match error {
        Some((message, typed)) => (
            format!(
                r#"          <p id="sign-in-error" class="error" role="alert">{}</p>
"#,
                esc(message)
            ),
            typed,
        ),
        None => (String::new(), ""),
    };
    page(
        StatusCode::OK,
        &format!("Sign in to {}", plan.label[0]),
        &format!(
            r#"      <section id="screen-sign-in" class="screen">
        <h1 id="title">Sign in to <span id="plan-name">{label}</span></h1>
        <p id="plan-kind" class="muted">{kind}</p>
{asks}
        <div id="sample-credentials" class="sample">
          <p><strong>Sample credentials</strong> for this sandbox plan:</p>
          <dl>
            <dt>Username</dt><dd><code id="sample-username">{username}</code></dd>
            <dt>Password</dt><dd><code id="sample-password">{password}</code></dd>
          </dl>
        </div>
        <form id="sign-in-form" method="post" action="/link/auth" autocomplete="off">
          {hidden}
          <input type="hidden" name="endpoint" value="{plan_id}">
          <label for="username">Username</label>
          <input id="username" name="username" autocomplete="off" required value="{typed}">
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="off" required>
{error_html}          <button id="sign-in" type="submit" name="action" value="sign_in" class="primary">Allow and share my data</button>
          <button id="back" type="submit" name="action" value="back" class="link" formnovalidate>Choose a different plan</button>
        </form>
      </section>
{cancel}"#,
            label = esc(plan.label[0]),
            kind = esc(plan.kind),
            asks = asks(request),
            username = esc(plan.username),
            password = esc(plan.password),
            hidden = hidden_request(id),
            plan_id = esc(plan.id),
            typed = esc(typed),
            cancel = cancel_form(id),
        ),
    )
}

/// `POST /link/auth`: the consent page's forms (`request` id, `action` = `choose` | `back` |
/// `sign_in` | `cancel`, `endpoint`, `username`, `password`).
pub async fn consent(State(sandbox): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Response {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if form_type != Some(true) {
        return error_page(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The consent form must be posted as application/x-www-form-urlencoded.",
        );
    }
    let Some(form) = Params::parse(&body) else {
        return error_page(StatusCode::BAD_REQUEST, "The form cannot be read.");
    };
    let field = |name: &'static str| form.one(name).ok().flatten();
    let expired = || {
        error_page(
            StatusCode::BAD_REQUEST,
            "This sign-in request is no longer valid: it expired, or was already completed.",
        )
    };
    let Some(id) = field("request") else {
        return expired();
    };
    let Some(request) = sandbox.store().pending_request(id) else {
        return expired();
    };
    let chosen = field("endpoint").and_then(data::plan);
    let unknown_plan = || {
        plans_screen(
            id,
            &request,
            Some("That health plan is not available. Choose one below."),
        )
    };
    match field("action") {
        Some("choose") => match chosen {
            Some(plan) => sign_in_screen(id, &request, plan, None),
            None => unknown_plan(),
        },
        Some("back") => plans_screen(id, &request, None),
        Some("cancel") => {
            let Some(request) = sandbox.store().finish_request(id) else {
                return expired();
            };
            redirect_error(
                StatusCode::SEE_OTHER,
                &request.redirect_uri,
                "access_denied",
                "The user cancelled the authorization.",
                request.state.as_deref(),
            )
        }
        Some("sign_in") => {
            let Some(plan) = chosen else {
                return unknown_plan();
            };
            let username = field("username").unwrap_or("");
            let password = field("password").unwrap_or("");
            if let Err(e) = check_credentials(plan, username, password) {
                return sign_in_screen(id, &request, plan, Some((&e.to_string(), username)));
            }
            let code = {
                let mut store = sandbox.store();
                let Some(request) = store.finish_request(id) else {
                    drop(store);
                    return expired();
                };
                // offline_access asks for a refresh token; otherwise the configured usage
                // (how Flexpa chooses is not documented).
                let usage = if request.scope.contains(OFFLINE_ACCESS) {
                    Usage::Multiple
                } else {
                    sandbox.inner.config.consent_usage
                };
                store.authorize_code(plan, &request, usage)
            };
            let mut params = vec![("code", code.as_str())];
            if let Some(state) = request.state.as_deref() {
                params.push(("state", state));
            }
            redirect(StatusCode::SEE_OTHER, &request.redirect_uri, &params)
        }
        _ => error_page(StatusCode::BAD_REQUEST, "Unknown action."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn redirect_uri_rules() {
        assert_eq!(redirect_uri_problem("https://app.example/cb?x=1"), None);
        assert_eq!(redirect_uri_problem("http://127.0.0.1:9/cb"), None);
        assert!(redirect_uri_problem("https://app.example/cb#f").is_some());
        assert!(redirect_uri_problem("/cb").is_some());
        assert!(redirect_uri_problem("javascript:alert(1)").is_some());
        assert!(redirect_uri_problem("https://u:p@app.example/cb").is_some());
    }

    #[test]
    fn challenge_shape() {
        assert!(is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c"
        ));
        assert!(!is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"
        ));
    }
}
