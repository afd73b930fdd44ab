//! The sandbox's browser side: the Link script (`GET /v1/`) and the Link app (`GET /`), with
//! the app's two calls: `GET /sandbox/plans` and `POST /sandbox/sign-in`. Those two are rate
//! limited like the API (sign-in attempts included) and take small bodies only.

use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{data, flexpa_error, ratelimit, request_origin, Sandbox, SignIn, SignInError, Usage};

/// The largest sign-in body accepted (a few short strings).
const SIGN_IN_BODY_LIMIT: usize = 16 * 1024;

/// The Link script: a protocol-faithful copy of `https://js.flexpa.com/v1/`.
const LINK_SCRIPT: &str = include_str!("../../flexpa-link.js");
const APP_HTML: &str = include_str!("../../link/index.html");
const APP_JS: &str = include_str!("../../link/app.js");
const APP_CSS: &str = include_str!("../../link/style.css");

pub fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", APP_HTML) }),
        )
        .route(
            "/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/style.css",
            get(|| async { asset("text/css; charset=utf-8", APP_CSS) }),
        )
        .route("/v1/", get(script))
        .route("/v1", get(script))
        .merge(
            Router::new()
                .route("/sandbox/plans", get(plans))
                .route("/sandbox/sign-in", post(sign_in))
                .layer(DefaultBodyLimit::max(SIGN_IN_BODY_LIMIT))
                .layer(middleware::from_fn_with_state(
                    sandbox.clone(),
                    ratelimit::middleware,
                )),
        )
        .with_state(sandbox)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// The Link script, told where this sandbox's Link app is (unless the page already set
/// `window.FLEXPA_LINK_SANDBOX_URL`). The script itself is unchanged.
async fn script(State(sandbox): State<Sandbox>, headers: HeaderMap) -> Response {
    let link_url = format!("{}/", request_origin(&sandbox, &headers));
    let body = format!(
        "/* flexpa-link-demo-server sandbox: Flexpa Link opens this sandbox's Link app ({link_url}), \
         with sample data. */\n\
         window.FLEXPA_LINK_SANDBOX_URL = window.FLEXPA_LINK_SANDBOX_URL || {};\n{LINK_SCRIPT}",
        Value::String(link_url.clone())
    );
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlansQuery {
    publishable_key: Option<String>,
}

/// `GET /sandbox/plans?publishableKey=..`: the sample plans and their sample credentials.
async fn plans(State(sandbox): State<Sandbox>, Query(query): Query<PlansQuery>) -> Response {
    if query.publishable_key.as_deref() != Some(sandbox.publishable_key()) {
        return flexpa_error(
            StatusCode::UNAUTHORIZED,
            SignInError::InvalidPublishableKey.to_string(),
        );
    }
    let plans: Vec<Value> = data::PLANS
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "name": p.name,
                "label": p.label,
                "kind": p.kind,
                "username": p.username,
                "password": p.password,
            })
        })
        .collect();
    Json(json!({ "plans": plans })).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignInBody {
    publishable_key: String,
    endpoint: String,
    username: String,
    password: String,
    /// The `user` query parameter of the Link URL: JSON text such as `{"externalId":"..."}`.
    user: Option<String>,
    usage: Option<String>,
}

/// `POST /sandbox/sign-in`: the Link app's sign-in, which mints the public token.
async fn sign_in(State(sandbox): State<Sandbox>, body: Option<Json<SignInBody>>) -> Response {
    let Some(Json(body)) = body else {
        return flexpa_error(
            StatusCode::BAD_REQUEST,
            "body must be JSON with publishableKey, endpoint, username and password",
        );
    };
    let external_id = body
        .user
        .as_deref()
        .and_then(|u| serde_json::from_str::<Value>(u).ok())
        .and_then(|u| {
            u.get("externalId")
                .and_then(Value::as_str)
                .map(String::from)
        });
    let result = sandbox.sign_in(&SignIn {
        publishable_key: &body.publishable_key,
        endpoint: &body.endpoint,
        username: &body.username,
        password: &body.password,
        external_id,
        usage: Usage::parse(body.usage.as_deref()),
    });
    match result {
        Ok(public_token) => {
            let mut response = Json(json!({ "public_token": public_token })).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e @ SignInError::UnknownEndpoint) => {
            flexpa_error(StatusCode::BAD_REQUEST, e.to_string())
        }
        Err(e) => flexpa_error(StatusCode::UNAUTHORIZED, e.to_string()),
    }
}
