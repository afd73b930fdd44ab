//! The sandbox's stand-in Flexpa API over real HTTP on 127.0.0.1: every answer is checked
//! against `docs/flexpa.md` (shapes, statuses, Flexpa's error bodies, single-use and
//! expiring public tokens, bearer checks).
#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use flexpa_link_demo_server::sandbox::{
    RateLimit, Sandbox, SandboxConfig, SignIn, SignInError, Usage,
};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

mod support;
use support::{config, header, request_id, start, start_with, Running, JANE};

impl Running {
    async fn exchange_raw(&self, public_token: &str, secret_key: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/link/exchange", self.base))
            .header(CONTENT_TYPE, "application/json")
            .body(json!({ "public_token": public_token, "secret_key": secret_key }).to_string())
            .send()
            .await
            .unwrap();
        let status = response.status();
        (
            status,
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
        )
    }

    async fn exchange(&self, public_token: &str) -> (StatusCode, Value) {
        let secret = self.sandbox.secret_key().to_string();
        self.exchange_raw(public_token, &secret).await
    }

    async fn get(&self, path: &str, bearer: Option<&str>) -> (StatusCode, String, Value) {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = bearer {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null);
        (status, content_type, body)
    }

    async fn refresh(&self, basic: (&str, &str), refresh_token: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/link/token", self.base))
            .basic_auth(basic.0, Some(basic.1))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=refresh_token&refresh_token={refresh_token}"
            ))
            .send()
            .await
            .unwrap();
        let status = response.status();
        (
            status,
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
        )
    }
}

fn flexpa_error(status: u16, error: &str, message: &str) -> Value {
    json!({ "statusCode": status, "error": error, "message": message })
}

#[tokio::test]
async fn exchange_answers_every_documented_field() {
    let s = start().await;
    let token = s.sign_in("evergreen-health-sandbox", Usage::OneTime, None);
    assert!(token.starts_with("public_token_"));
    assert!(uuid::Uuid::parse_str(&token["public_token_".len()..]).is_ok());
    let (status, body) = s.exchange(&token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3, "JWT-shaped");
    assert_eq!(body["expires_in"], 1800);
    assert_eq!(body["refresh_expires_in"], Value::Null);
    assert!(
        body.get("refresh_token").is_none(),
        "ONE_TIME usage has no refresh token"
    );
    assert_eq!(body["patient"], format!("Patient/{JANE}"));
    assert_eq!(
        body["endpoint"],
        json!({
            "id": "8d1c2f4e-5b6a-4c3d-9e8f-0a1b2c3d4e5f",
            "label": ["Evergreen Health", "Evergreen Health PPO"],
            "name": "evergreen-health-sandbox",
            "refreshable": true,
            "resources": ["Patient", "Coverage", "ExplanationOfBenefit"],
        })
    );
    assert_eq!(body["timeUntilMaxAuth"], "indefinite");

    // A non-refreshable endpoint reports the seconds left.
    let token = s.sign_in("bayside-medicaid-sandbox", Usage::Multiple, None);
    let (_, body) = s.exchange(&token).await;
    assert_eq!(body["timeUntilMaxAuth"], 1800);
    assert!(
        body.get("refresh_token").is_none(),
        "bayside is not refreshable"
    );
}

#[tokio::test]
async fn public_tokens_are_single_use() {
    let s = start().await;
    let token = s.sign_in("summit-medicare-sandbox", Usage::OneTime, None);
    assert_eq!(s.exchange(&token).await.0, StatusCode::OK);
    assert_eq!(
        s.exchange(&token).await,
        (
            StatusCode::BAD_REQUEST,
            flexpa_error(
                400,
                "Bad Request",
                "Invalid public token. Public token has already been used."
            )
        )
    );
}

#[tokio::test]
async fn public_tokens_expire() {
    let s = start_with(SandboxConfig {
        public_token_ttl: Duration::from_millis(300),
        ..config()
    })
    .await;
    let token = s.sign_in("summit-medicare-sandbox", Usage::OneTime, None);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        s.exchange(&token).await,
        (
            StatusCode::BAD_REQUEST,
            flexpa_error(
                400,
                "Bad Request",
                "Invalid public token. Public token has expired."
            )
        )
    );
}

#[tokio::test]
async fn unknown_public_tokens_are_refused() {
    let s = start().await;
    assert_eq!(
        s.exchange("public_token_00000000-0000-4000-8000-000000000000")
            .await,
        (
            StatusCode::BAD_REQUEST,
            flexpa_error(400, "Bad Request", "Invalid public token.")
        )
    );
}

#[tokio::test]
async fn a_wrong_secret_key_is_401_and_does_not_spend_the_token() {
    let s = start().await;
    let token = s.sign_in("evergreen-health-sandbox", Usage::OneTime, None);
    let other = SandboxConfig::random().secret_key;
    assert_eq!(
        s.exchange_raw(&token, &other).await,
        (
            StatusCode::UNAUTHORIZED,
            flexpa_error(401, "Unauthorized", "Invalid secret key.")
        )
    );
    assert_eq!(s.exchange(&token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn exchange_bodies_are_validated_like_flexpa() {
    let s = start().await;
    let url = format!("{}/link/exchange", s.base);
    let send = |content_type: Option<&'static str>, body: String| {
        let mut request = s.http.post(&url).body(body);
        if let Some(ct) = content_type {
            request = request.header(CONTENT_TYPE, ct);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
            (status, body)
        }
    };
    let secret = s.sandbox.secret_key().to_string();
    assert_eq!(
        send(
            Some("application/json"),
            json!({ "secret_key": secret }).to_string()
        )
        .await,
        (
            StatusCode::BAD_REQUEST,
            flexpa_error(
                400,
                "Bad Request",
                "body must have required property 'public_token'"
            )
        )
    );
    assert_eq!(
        send(
            Some("application/json"),
            json!({ "public_token": "public_token_x" }).to_string()
        )
        .await,
        (
            StatusCode::BAD_REQUEST,
            flexpa_error(
                400,
                "Bad Request",
                "body must have required property 'secret_key'"
            )
        )
    );
    assert_eq!(
        send(Some("application/json"), "{not json".to_string())
            .await
            .1["statusCode"],
        400
    );
    assert_eq!(
        send(Some("application/json"), "[1]".to_string()).await,
        (
            StatusCode::BAD_REQUEST,
            flexpa_error(400, "Bad Request", "body must be object")
        )
    );
    assert_eq!(
        send(Some("text/plain"), "public_token=x".to_string()).await,
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            flexpa_error(
                415,
                "Unsupported Media Type",
                "Unsupported Media Type: text/plain"
            )
        )
    );
    let (status, body) = send(Some("application/json"), "x".repeat(2 * 1024 * 1024)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["statusCode"], 413);
    // Unknown routes and methods: Flexpa's 404.
    let (status, _, body) = s.get("/link/exchange", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        flexpa_error(404, "Not Found", "Route GET:/link/exchange not found")
    );
}

#[tokio::test]
async fn sign_in_checks_key_plan_and_credentials() {
    let s = start().await;
    let pk = s.sandbox.publishable_key().to_string();
    let base = SignIn {
        publishable_key: &pk,
        endpoint: "evergreen-health-sandbox",
        username: "jane.doe",
        password: "sample-evergreen",
        external_id: None,
        usage: Usage::OneTime,
    };
    assert!(s.sandbox.sign_in(&base).is_ok());
    // By endpoint id too.
    assert!(s
        .sandbox
        .sign_in(&SignIn {
            endpoint: "8d1c2f4e-5b6a-4c3d-9e8f-0a1b2c3d4e5f",
            ..base.clone()
        })
        .is_ok());
    assert_eq!(
        s.sandbox.sign_in(&SignIn {
            password: "wrong",
            ..base.clone()
        }),
        Err(SignInError::WrongCredentials)
    );
    assert_eq!(
        s.sandbox.sign_in(&SignIn {
            username: "robert.miller",
            password: "sample-summit",
            ..base.clone()
        }),
        Err(SignInError::WrongCredentials),
        "credentials belong to their own plan"
    );
    assert_eq!(
        s.sandbox.sign_in(&SignIn {
            publishable_key: "pk_test_other",
            ..base.clone()
        }),
        Err(SignInError::InvalidPublishableKey)
    );
    assert_eq!(
        s.sandbox.sign_in(&SignIn {
            endpoint: "nope",
            ..base.clone()
        }),
        Err(SignInError::UnknownEndpoint)
    );

    // The Link app's HTTP sign-in.
    let response = s
        .http
        .post(format!("{}/sandbox/sign-in", s.base))
        .header(CONTENT_TYPE, "application/json")
        .body(
            json!({
                "publishableKey": pk, "endpoint": "evergreen-health-sandbox",
                "username": "jane.doe", "password": "nope"
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("Incorrect username or password"));
    let response = s
        .http
        .post(format!("{}/sandbox/sign-in", s.base))
        .header(CONTENT_TYPE, "application/json")
        .body(
            json!({
                "publishableKey": pk, "endpoint": "summit-medicare-sandbox",
                "username": "robert.miller", "password": "sample-summit",
                "user": "{\"externalId\":\"user-42\"}", "usage": "MULTIPLE"
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let token = response.json::<Value>().await.unwrap()["public_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = s.exchange(&token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["refresh_token"].is_string(),
        "MULTIPLE on a refreshable plan"
    );
    assert_eq!(body["refresh_expires_in"], 15_552_000);
    let (_, _, info) = s
        .get("/link/introspect", body["access_token"].as_str())
        .await;
    assert_eq!(info["user"], json!({ "externalId": "user-42" }));

    // The plan list needs the right publishable key.
    let (status, _, body) = s
        .get("/sandbox/plans?publishableKey=pk_test_other", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["statusCode"], 401);
    let (status, _, body) = s
        .get(&format!("/sandbox/plans?publishableKey={pk}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["plans"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn introspect_reports_the_authorization() {
    let s = start().await;
    let token = s.sign_in("evergreen-health-sandbox", Usage::OneTime, Some("user-7"));
    let (_, body) = s.exchange(&token).await;
    let access = body["access_token"].as_str().unwrap();
    let (status, _, info) = s.get("/link/introspect", Some(access)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["state"], "EXCHANGED");
    assert_eq!(info["patient"], format!("Patient/{JANE}"));
    assert_eq!(info["endpoint"]["name"], "evergreen-health-sandbox");
    assert_eq!(info["user"]["externalId"], "user-7");
    assert_eq!(info["timeUntilMaxAuth"], "indefinite");
    let (iat, exp) = (info["iat"].as_u64().unwrap(), info["exp"].as_u64().unwrap());
    assert_eq!(exp - iat, 1800);
    assert!(uuid::Uuid::parse_str(info["jti"].as_str().unwrap()).is_ok());

    let (status, _, body) = s.get("/link/introspect", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["statusCode"], 401);
    let (status, _, body) = s.get("/link/introspect", Some("not-a-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        flexpa_error(401, "Unauthorized", "Invalid access token.")
    );
}

#[tokio::test]
async fn fhir_serves_the_patients_own_records() {
    let s = start().await;
    let token = s.sign_in("evergreen-health-sandbox", Usage::OneTime, None);
    let (_, body) = s.exchange(&token).await;
    let access = body["access_token"].as_str().unwrap();

    let (status, content_type, patient) =
        s.get(&format!("/fhir/Patient/{JANE}"), Some(access)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("application/fhir+json"));
    assert_eq!(patient["resourceType"], "Patient");
    assert_eq!(patient["id"], JANE);
    assert_eq!(patient["name"][0]["family"], "Doe");
    assert_eq!(patient["birthDate"], "1980-01-01");

    for query in [
        format!("patient={JANE}"),
        format!("patient=Patient/{JANE}"),
        "patient=$PATIENT_ID".to_string(),
    ] {
        let (status, _, bundle) = s
            .get(&format!("/fhir/Coverage?{query}"), Some(access))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(bundle["resourceType"], "Bundle");
        assert_eq!(bundle["type"], "searchset");
        assert_eq!(bundle["total"], 2);
        let first = &bundle["entry"][0]["resource"];
        assert_eq!(first["resourceType"], "Coverage");
        assert_eq!(first["status"], "active");
        assert_eq!(first["beneficiary"]["reference"], format!("Patient/{JANE}"));
        assert!(bundle["entry"][0]["fullUrl"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/fhir/Coverage/", s.base)));
    }
    let (status, _, eobs) = s
        .get(
            &format!("/fhir/ExplanationOfBenefit?patient={JANE}"),
            Some(access),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(eobs["total"], 46);
    assert_eq!(
        eobs["entry"].as_array().unwrap().len(),
        20,
        "one page of 20"
    );
    for entry in eobs["entry"].as_array().unwrap() {
        let eob = &entry["resource"];
        assert_eq!(eob["resourceType"], "ExplanationOfBenefit");
        assert_eq!(eob["patient"]["reference"], format!("Patient/{JANE}"));
        assert!(eob["total"].as_array().unwrap().len() >= 3);
    }
    let (status, _, eob) = s
        .get(
            "/fhir/ExplanationOfBenefit/eob-evergreen-0001",
            Some(access),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        eob["item"][0]["productOrService"]["coding"][0]["code"],
        "99213"
    );

    // Someone else's records: refused or unknown.
    let other = "c4e5f6a7-8b9c-4d0e-a1f2-b3c4d5e6f708";
    let (status, _, body) = s
        .get(&format!("/fhir/Coverage?patient={other}"), Some(access))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["resourceType"], "OperationOutcome");
    assert_eq!(body["issue"][0]["code"], "forbidden");
    let (status, _, body) = s.get(&format!("/fhir/Patient/{other}"), Some(access)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["resourceType"], "OperationOutcome");
    let (status, _, body) = s
        .get("/fhir/Observation?patient=$PATIENT_ID", Some(access))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["issue"][0]["code"], "not-supported");

    // No or a bad bearer token: 401 with Flexpa's error.
    let (status, _, body) = s.get(&format!("/fhir/Patient/{JANE}"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["statusCode"], 401);
    let (status, _, body) = s
        .get(
            &format!("/fhir/Patient/{JANE}"),
            Some(&format!("{access}x")),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        flexpa_error(401, "Unauthorized", "Invalid access token.")
    );
    let response = s
        .http
        .get(format!("{}/fhir/Patient/{JANE}", s.base))
        .header(AUTHORIZATION, format!("Basic {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn access_tokens_expire() {
    let s = start_with(SandboxConfig {
        access_token_ttl: Duration::from_millis(300),
        ..config()
    })
    .await;
    let token = s.sign_in("evergreen-health-sandbox", Usage::OneTime, None);
    let (_, body) = s.exchange(&token).await;
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(
        s.get(&format!("/fhir/Patient/{JANE}"), Some(access))
            .await
            .0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, _, body) = s.get(&format!("/fhir/Patient/{JANE}"), Some(access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        flexpa_error(401, "Unauthorized", "Access token has expired.")
    );
}

#[tokio::test]
async fn refresh_rotates_tokens_with_basic_auth() {
    let s = start().await;
    let token = s.sign_in("evergreen-health-sandbox", Usage::Multiple, None);
    let (_, body) = s.exchange(&token).await;
    let refresh = body["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(body["refresh_expires_in"], 0, "0 = never expires");
    let (pk, sk) = (
        s.sandbox.publishable_key().to_string(),
        s.sandbox.secret_key().to_string(),
    );

    assert_eq!(
        s.refresh((&pk, "sk_test_wrong"), &refresh).await,
        (
            StatusCode::UNAUTHORIZED,
            flexpa_error(
                401,
                "Unauthorized",
                "Invalid client credentials: HTTP Basic auth must be publishable_key:secret_key."
            )
        )
    );
    let (status, renewed) = s.refresh((&pk, &sk), &refresh).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let new_access = renewed["access_token"].as_str().unwrap();
    assert_ne!(new_access, body["access_token"].as_str().unwrap());
    assert_eq!(renewed["expires_in"], 1800);
    let new_refresh = renewed["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, refresh);
    let (_, _, info) = s.get("/link/introspect", Some(new_access)).await;
    assert_eq!(info["state"], "REFRESHED");
    // The old refresh token is spent.
    assert_eq!(
        s.refresh((&pk, &sk), &refresh).await,
        (
            StatusCode::BAD_REQUEST,
            flexpa_error(400, "Bad Request", "Invalid refresh token.")
        )
    );
    // A form body is required.
    let response = s
        .http
        .post(format!("{}/link/token", s.base))
        .basic_auth(&pk, Some(&sk))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "grant_type": "refresh_token", "refresh_token": new_refresh }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn revoke_ends_the_authorization() {
    let s = start().await;
    let token = s.sign_in("summit-medicare-sandbox", Usage::Multiple, None);
    let (_, body) = s.exchange(&token).await;
    let access = body["access_token"].as_str().unwrap();
    let refresh = body["refresh_token"].as_str().unwrap();
    let revoke = |secret: String, bearer: Option<String>| {
        let mut request = s
            .http
            .post(format!("{}/link/revoke", s.base))
            .header(CONTENT_TYPE, "application/json")
            .body(json!({ "secret_key": secret }).to_string());
        if let Some(b) = bearer {
            request = request.header(AUTHORIZATION, format!("Bearer {b}"));
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(
        revoke("sk_test_wrong".into(), Some(access.into())).await,
        (
            StatusCode::UNAUTHORIZED,
            flexpa_error(401, "Unauthorized", "Invalid secret key.")
        )
    );
    assert_eq!(
        revoke(s.sandbox.secret_key().into(), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        revoke(s.sandbox.secret_key().into(), Some(access.into())).await,
        (StatusCode::OK, json!({ "count": 2 }))
    );
    let (status, _, body) = s
        .get(
            "/fhir/Patient/c4e5f6a7-8b9c-4d0e-a1f2-b3c4d5e6f708",
            Some(access),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        flexpa_error(401, "Unauthorized", "Access token has been revoked.")
    );
    let (status, _, info) = s.get("/link/introspect", Some(access)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["state"], "REVOKED");
    let (pk, sk) = (
        s.sandbox.publishable_key().to_string(),
        s.sandbox.secret_key().to_string(),
    );
    assert_eq!(
        s.refresh((&pk, &sk), refresh).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn the_link_script_points_at_this_sandboxs_link_app() {
    let s = start().await;
    let response = s.http.get(format!("{}/v1/", s.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let script = response.text().await.unwrap();
    assert!(script.contains(&format!(
        "window.FLEXPA_LINK_SANDBOX_URL = window.FLEXPA_LINK_SANDBOX_URL || \"{}/\";",
        s.base
    )));
    assert!(script.contains(include_str!("../../../sandbox/flexpa-link.js")));

    // Reached through another host name, it names that one (the page's view of the origin).
    let port = s.base.rsplit(':').next().unwrap();
    let script = s
        .http
        .get(format!("http://localhost:{port}/v1/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(script.contains(&format!("\"http://localhost:{port}/\"")));

    let page = s
        .http
        .get(format!("{}/", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sandbox with sample data."));
}

#[test]
fn debug_output_never_shows_the_secret_key() {
    let config = SandboxConfig::random();
    let sandbox = Sandbox::new(config.clone());
    for secret in [&config.secret_key, &config.webhook_secret] {
        assert!(!format!("{config:?}").contains(secret.as_str()));
        assert!(!format!("{sandbox:?}").contains(secret.as_str()));
    }
    assert!(format!("{sandbox:?}").contains("<redacted>"));
}

// ---------------------------------------------------------------------------------------------
// Rate limiting: 429 with Retry-After and Flexpa's error body.

/// A client connecting from another loopback address (its own rate-limit bucket).
fn http_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

fn limited(burst: u32, refill: Duration) -> SandboxConfig {
    SandboxConfig {
        rate_limit: Some(RateLimit { burst, refill }),
        ..config()
    }
}

#[tokio::test]
async fn rate_limited_calls_get_429_retry_after_and_flexpa_body() {
    let s = start_with(limited(2, Duration::from_secs(30))).await;
    let token = s.sign_in("evergreen-health-sandbox", Usage::OneTime, None);
    for remaining in ["1", "0"] {
        let response = s
            .http
            .get(format!("{}/link/introspect", s.base))
            .bearer_auth("not-a-token")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(header(&response, "x-ratelimit-limit"), "2");
        assert_eq!(header(&response, "x-ratelimit-remaining"), remaining);
    }
    let response = s
        .http
        .post(format!("{}/link/exchange", s.base))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "public_token": token, "secret_key": s.sandbox.secret_key() }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "retry-after"), "30");
    assert_eq!(header(&response, "x-ratelimit-remaining"), "0");
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert!(header(&response, "content-type").starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        flexpa_error(
            429,
            "Too Many Requests",
            "Rate limit exceeded, retry in 30 seconds"
        )
    );
    // FHIR is limited too, with an OperationOutcome `throttled` (not `transient`: that is the
    // "still syncing" 429) and the same Retry-After.
    let response = s
        .http
        .get(format!("{}/fhir/Patient", s.base))
        .bearer_auth("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "retry-after"), "30");
    assert!(header(&response, "content-type").starts_with("application/fhir+json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["resourceType"], "OperationOutcome");
    assert_eq!(body["issue"][0]["code"], "throttled");
    assert_eq!(
        body["issue"][0]["diagnostics"],
        "Rate limit exceeded, retry in 30 seconds"
    );
    // So are the consent page and the Link app's sign-in (guessing passwords is limited).
    let response = s
        .http
        .post(format!("{}/sandbox/sign-in", s.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        s.http
            .get(format!("{}/link/auth", s.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // The Link app's page and script are not limited.
    let page = s.http.get(format!("{}/", s.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    // Another client address has its own bucket; the refused exchange did not spend the token.
    let other = http_from([127, 0, 0, 2]);
    let response = other
        .post(format!("{}/link/exchange", s.base))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "public_token": token, "secret_key": s.sandbox.secret_key() }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["patient"], format!("Patient/{JANE}"));
}

#[tokio::test]
async fn the_crate_client_waits_out_a_429_and_spends_the_token_once() {
    let s = start_with(limited(1, Duration::from_secs(1))).await;
    let token = s.sign_in("summit-medicare-sandbox", Usage::OneTime, None);
    let public = flexpa_link::PublicToken::new(token).unwrap();
    let client = s.crate_client();
    // Empty the bucket.
    let (status, _, _) = s.get("/link/introspect", Some("x")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let started = std::time::Instant::now();
    let tokens = client.exchange(&public).await.unwrap();
    // It was refused with `Retry-After: 1`, waited, and the retry went through.
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(
        tokens.patient.as_deref(),
        Some("Patient/c4e5f6a7-8b9c-4d0e-a1f2-b3c4d5e6f708")
    );

    // The retried exchange used the token once: a second one is refused as a reuse.
    let err = client.exchange(&public).await.unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        api.message(),
        Some("Invalid public token. Public token has already been used.")
    );
}

#[tokio::test]
async fn a_long_retry_after_ends_the_clients_call_and_keeps_the_token() {
    let s = start_with(limited(1, Duration::from_secs(120))).await;
    let token = s.sign_in("bayside-medicaid-sandbox", Usage::OneTime, None);
    let client = s.crate_client();
    let (status, _, _) = s.get("/link/introspect", Some("x")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let err = client
        .exchange(&flexpa_link::PublicToken::new(token.clone()).unwrap())
        .await
        .unwrap_err();
    match err {
        flexpa_link::server::Error::RateLimited {
            retry_after,
            attempts,
        } => {
            assert_eq!(retry_after, Some(Duration::from_secs(120)));
            assert_eq!(attempts, 1);
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    let other = http_from([127, 0, 0, 3]);
    let response = other
        .post(format!("{}/link/exchange", s.base))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "public_token": token, "secret_key": s.sandbox.secret_key() }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the token was not spent");
}

#[tokio::test]
async fn the_default_rate_limit_is_generous_and_can_be_turned_off() {
    assert_eq!(
        SandboxConfig::random().rate_limit,
        Some(RateLimit::GENEROUS)
    );
    let s = start().await;
    for _ in 0..150 {
        let (status, _, _) = s.get("/link/introspect", Some("x")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let s = start_with(SandboxConfig {
        rate_limit: None,
        ..limited(1, Duration::from_secs(60))
    })
    .await;
    for _ in 0..5 {
        let response = s
            .http
            .get(format!("{}/link/introspect", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().get("x-ratelimit-limit").is_none());
    }
}

// ---------------------------------------------------------------------------------------------
// The OAuth 2.0 PKCE flow ("Consent"): /link/auth, then /link/token grant_type=authorization_code.

use flexpa_link::pkce::{random_state, AuthorizationCode, Callback, CodeVerifier};

const REDIRECT: &str = "http://127.0.0.1:9/callback?app=demo";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    header(response, "location")
}

/// The query of a redirect to `REDIRECT`, read as the app reads it.
fn callback(location: &str) -> Callback {
    let rest = location
        .strip_prefix(REDIRECT)
        .unwrap_or_else(|| panic!("not a redirect to the app: {location}"));
    Callback::from_query(rest.strip_prefix('&').unwrap()).unwrap()
}

impl Running {
    async fn consent_get(&self, url: &str) -> reqwest::Response {
        no_redirects().get(url).send().await.unwrap()
    }

    async fn consent_post(&self, fields: &[(&str, &str)]) -> reqwest::Response {
        no_redirects()
            .post(format!("{}/link/auth", self.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap())
            .send()
            .await
            .unwrap()
    }

    /// Through the consent page with a preselected plan: the code and the state it came with.
    async fn consent_code(&self, verifier: &CodeVerifier, plan: &str) -> (String, Option<String>) {
        let state = random_state().unwrap();
        let url = self
            .crate_client()
            .authorization_url(REDIRECT, &verifier.challenge(), "user-7")
            .unwrap()
            .state(&state)
            .endpoint_id(plan)
            .build()
            .unwrap();
        let page = self.consent_get(&url).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains(r#"id="screen-sign-in""#), "{html}");
        let plan = flexpa_link_demo_server::sandbox::data::plan(plan).unwrap();
        let id = request_id(&html);
        let response = self
            .consent_post(&[
                ("request", &id),
                ("endpoint", plan.id),
                ("username", plan.username),
                ("password", plan.password),
                ("action", "sign_in"),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        match callback(&location(&response)) {
            Callback::Code { code, state: got } => {
                assert_eq!(got.as_deref(), Some(state.as_str()));
                (code.into_string(), got)
            }
            other => panic!("expected a code, got {other:?}"),
        }
    }

    async fn token_form(&self, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/link/token", self.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap())
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }
}

fn oauth_error(error: &str, description: &str) -> Value {
    json!({ "error": error, "error_description": description })
}

#[tokio::test]
async fn pkce_flow_from_the_crates_url_to_fhir() {
    let s = start().await;
    let client = s.crate_client();
    let verifier = CodeVerifier::generate().unwrap();
    let state = random_state().unwrap();
    let url = client
        .authorization_url(REDIRECT, &verifier.challenge(), "user-42")
        .unwrap()
        .state(&state)
        .build()
        .unwrap();

    // The consent page: the sample plans, the sandbox banner, never framed or cached.
    let page = s.consent_get(&url).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(header(&page, "x-frame-options"), "DENY");
    assert_eq!(header(&page, "cache-control"), "no-store");
    assert!(header(&page, "content-type").starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Sandbox with sample data."));
    assert!(html.contains(r#"id="screen-plans""#));
    for plan in flexpa_link_demo_server::sandbox::data::PLANS {
        assert!(html.contains(plan.label[0]), "{}", plan.label[0]);
    }
    assert!(html.contains("<code id=\"redirect-origin\">http://127.0.0.1:9</code>"));
    let id = request_id(&html);

    // Pick a plan: its sign-in, with the sample credentials on screen.
    let evergreen =
        flexpa_link_demo_server::sandbox::data::plan("evergreen-health-sandbox").unwrap();
    let response = s
        .consent_post(&[
            ("request", &id),
            ("action", "choose"),
            ("endpoint", evergreen.id),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("Sign in to <span id=\"plan-name\">Evergreen Health</span>"));
    assert!(html.contains("<code id=\"sample-username\">jane.doe</code>"));
    assert!(html.contains("<code id=\"sample-password\">sample-evergreen</code>"));

    // Wrong password: the page says so, nothing is redirected.
    let response = s
        .consent_post(&[
            ("request", &id),
            ("endpoint", evergreen.id),
            ("username", "jane.doe"),
            ("password", "nope"),
            ("action", "sign_in"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("location").is_none());
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Incorrect username or password."));

    // Right credentials: back to the app with a code and the state.
    let response = s
        .consent_post(&[
            ("request", &id),
            ("endpoint", evergreen.id),
            ("username", "jane.doe"),
            ("password", "sample-evergreen"),
            ("action", "sign_in"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let Callback::Code { code, state: back } = callback(&location(&response)) else {
        panic!("no code");
    };
    assert_eq!(back, Some(state));

    // The request is complete: its forms are no longer accepted.
    let again = s
        .consent_post(&[("request", &id), ("action", "cancel")])
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.headers().get("location").is_none());

    // The crate's code exchange.
    let tokens = client
        .exchange_code(&code, &verifier, REDIRECT)
        .await
        .unwrap();
    assert_eq!(
        tokens.patient.as_deref(),
        Some(format!("Patient/{JANE}").as_str())
    );
    assert_eq!(tokens.expires_in, 1800);
    assert_eq!(tokens.token_type.as_deref(), Some("Bearer"));
    assert_eq!(tokens.scope.as_deref(), Some("launch/patient"));
    assert_eq!(
        tokens.endpoint.as_ref().map(|e| e.name.as_str()),
        Some("evergreen-health-sandbox")
    );
    let refresh = tokens
        .refresh_token
        .clone()
        .expect("MULTIPLE usage on a refreshable plan has a refresh token");

    // The access token works like one from Link.
    let info = client.introspect(&tokens.access_token).await.unwrap();
    assert_eq!(info.patient_id(), Some(JANE));
    let (_, _, raw) = s
        .get(
            "/link/introspect",
            Some(tokens.access_token.expose_secret()),
        )
        .await;
    assert_eq!(raw["state"], "EXCHANGED");
    assert_eq!(raw["user"]["externalId"], "user-42");
    let (status, _, bundle) = s
        .get(
            &format!("/fhir/Patient?patient={JANE}"),
            Some(tokens.access_token.expose_secret()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bundle["entry"][0]["resource"]["id"], JANE);

    // And the refresh grant keeps working for it.
    let renewed = client.refresh(&refresh).await.unwrap();
    assert_ne!(
        renewed.access_token.expose_secret(),
        tokens.access_token.expose_secret()
    );
}

#[tokio::test]
async fn pkce_a_wrong_verifier_is_refused_and_spends_the_code() {
    let s = start().await;
    let client = s.crate_client();
    let verifier = CodeVerifier::generate().unwrap();
    let (code, _) = s.consent_code(&verifier, "summit-medicare-sandbox").await;
    let wrong = CodeVerifier::generate().unwrap();
    let err = client
        .exchange_code(
            &AuthorizationCode::new(code.clone()).unwrap(),
            &wrong,
            REDIRECT,
        )
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.status(), StatusCode::BAD_REQUEST);
    assert_eq!(api.error(), Some("invalid_grant"));
    assert_eq!(
        api.message(),
        Some("PKCE verification failed: code_verifier does not match the code_challenge.")
    );
    assert!(!err.to_string().contains(&code));
    // A code shown with the wrong proof may be stolen: it is spent.
    let err = client
        .exchange_code(
            &AuthorizationCode::new(code.clone()).unwrap(),
            &verifier,
            REDIRECT,
        )
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().error(), Some("invalid_grant"));
}

#[tokio::test]
async fn pkce_a_reused_code_is_refused_and_revokes_its_tokens() {
    let s = start().await;
    let client = s.crate_client();
    let verifier = CodeVerifier::generate().unwrap();
    let (code, _) = s.consent_code(&verifier, "evergreen-health-sandbox").await;
    let tokens = client
        .exchange_code(
            &AuthorizationCode::new(code.clone()).unwrap(),
            &verifier,
            REDIRECT,
        )
        .await
        .unwrap();
    let (status, body) = s
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", verifier.expose_secret()),
            ("redirect_uri", REDIRECT),
            ("client_id", s.sandbox.publishable_key()),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        oauth_error(
            "invalid_grant",
            "Invalid authorization code. Authorization code has already been used; the tokens \
             issued for it are revoked."
        )
    );
    // RFC 6749 4.1.2: the tokens of a reused code are revoked.
    let (_, _, info) = s
        .get(
            "/link/introspect",
            Some(tokens.access_token.expose_secret()),
        )
        .await;
    assert_eq!(info["state"], "REVOKED");
    let (status, _, _) = s
        .get("/fhir/Patient", Some(tokens.access_token.expose_secret()))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let err = client
        .refresh(tokens.refresh_token.as_ref().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn pkce_code_exchange_checks_redirect_uri_client_and_parameters() {
    let s = start().await;
    let client = s.crate_client();
    let verifier = CodeVerifier::generate().unwrap();
    let pk = s.sandbox.publishable_key().to_string();

    // Another client_id is not this app: 401 invalid_client, and the code is not touched.
    let (code, _) = s.consent_code(&verifier, "bayside-medicaid-sandbox").await;
    let (status, body) = s
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", verifier.expose_secret()),
            ("redirect_uri", REDIRECT),
            ("client_id", "pk_test_someone_else"),
        ])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        oauth_error(
            "invalid_client",
            "Unknown client_id: it must be the app's publishable key."
        )
    );
    // A different redirect_uri than the authorization request's.
    let err = client
        .exchange_code(
            &AuthorizationCode::new(code.clone()).unwrap(),
            &verifier,
            "http://127.0.0.1:9/other",
        )
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.error(), Some("invalid_grant"));
    assert_eq!(
        api.message(),
        Some("redirect_uri does not match the redirect_uri of the authorization request.")
    );

    // Missing and repeated parameters.
    let (status, body) = s
        .token_form(&[("grant_type", "authorization_code"), ("code", "abc")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        oauth_error(
            "invalid_request",
            "Missing required parameter(s): code_verifier, redirect_uri, client_id."
        )
    );
    let (status, body) = s
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("code", "abc"),
            ("code", "def"),
            ("code_verifier", verifier.expose_secret()),
            ("redirect_uri", REDIRECT),
            ("client_id", &pk),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        oauth_error("invalid_request", "Parameter 'code' is repeated.")
    );
    // An unknown code; a malformed verifier.
    let (status, body) = s
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("code", "abc"),
            ("code_verifier", verifier.expose_secret()),
            ("redirect_uri", REDIRECT),
            ("client_id", &pk),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        oauth_error("invalid_grant", "Invalid authorization code.")
    );
    let (code, _) = s.consent_code(&verifier, "bayside-medicaid-sandbox").await;
    let (status, body) = s
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", "short"),
            ("redirect_uri", REDIRECT),
            ("client_id", &pk),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("code_verifier must be 43 to 128 characters"));
}

#[tokio::test]
async fn pkce_codes_expire_and_rate_limits_do_not_spend_them() {
    let s = start_with(SandboxConfig {
        authorization_code_ttl: Duration::from_millis(300),
        ..config()
    })
    .await;
    let client = s.crate_client();
    let verifier = CodeVerifier::generate().unwrap();
    let (code, _) = s.consent_code(&verifier, "evergreen-health-sandbox").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let err = client
        .exchange_code(
            &AuthorizationCode::new(code.clone()).unwrap(),
            &verifier,
            REDIRECT,
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.api().unwrap().message(),
        Some("Invalid authorization code. Authorization code has expired.")
    );

    // A code exchange refused with 429 leaves the code alone: the client's retry gets tokens.
    let s = start_with(limited(3, Duration::from_secs(1))).await;
    let client = s.crate_client();
    let (code, _) = s.consent_code(&verifier, "evergreen-health-sandbox").await;
    let _ = s.get("/link/introspect", Some("x")).await;
    let (status, body) = s
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", verifier.expose_secret()),
            ("redirect_uri", REDIRECT),
            ("client_id", s.sandbox.publishable_key()),
        ])
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let tokens = client
        .exchange_code(
            &AuthorizationCode::new(code.clone()).unwrap(),
            &verifier,
            REDIRECT,
        )
        .await
        .unwrap();
    assert_eq!(
        tokens.patient.as_deref(),
        Some(format!("Patient/{JANE}").as_str())
    );
}

#[tokio::test]
async fn pkce_cancel_redirects_access_denied_with_the_state() {
    let s = start().await;
    let verifier = CodeVerifier::generate().unwrap();
    let url = s
        .crate_client()
        .authorization_url(REDIRECT, &verifier.challenge(), "user-1")
        .unwrap()
        .state("st-1")
        .build()
        .unwrap();
    let html = s.consent_get(&url).await.text().await.unwrap();
    let id = request_id(&html);
    let response = s
        .consent_post(&[("request", &id), ("action", "cancel")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        callback(&location(&response)),
        Callback::Error {
            error: "access_denied".into(),
            description: Some("The user cancelled the authorization.".into()),
            state: Some("st-1".into()),
        }
    );
    // Cancelled is final.
    let response = s
        .consent_post(&[("request", &id), ("action", "sign_in")])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // A made-up request id is refused the same way.
    let response = s
        .consent_post(&[("request", "made-up"), ("action", "cancel")])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}

/// `/link/auth?..` from these parameters.
fn auth_url(base: &str, params: &[(&str, &str)]) -> String {
    format!(
        "{base}/link/auth?{}",
        serde_urlencoded::to_string(params).unwrap()
    )
}

#[tokio::test]
async fn pkce_a_bad_client_id_or_redirect_uri_is_an_error_page_not_a_redirect() {
    let s = start().await;
    let challenge = CodeVerifier::generate().unwrap().challenge();
    let pk = s.sandbox.publishable_key().to_string();
    let good = |client_id: Option<&str>, redirect: Option<&str>| {
        let mut p = vec![("response_type", "code")];
        if let Some(c) = client_id {
            p.push(("client_id", c));
        }
        if let Some(r) = redirect {
            p.push(("redirect_uri", r));
        }
        p.extend([
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("scope", "launch/patient"),
            ("flexpa_external_id", "u"),
            ("state", "s"),
        ]);
        p.into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let cases: Vec<(Vec<(String, String)>, &str)> = vec![
        (
            good(Some("pk_test_other"), Some(REDIRECT)),
            "Unknown client_id",
        ),
        (good(None, Some(REDIRECT)), "client_id is missing"),
        (good(Some(&pk), None), "redirect_uri is missing"),
        (
            good(Some(&pk), Some("http://127.0.0.1:9/cb#x")),
            "must not have a fragment",
        ),
        (
            good(Some(&pk), Some("javascript:alert(1)")),
            "absolute http or https URL",
        ),
        (
            good(Some(&pk), Some("/callback")),
            "absolute http or https URL",
        ),
        (
            {
                let mut p = good(Some(&pk), Some(REDIRECT));
                p.push(("client_id".into(), pk.clone()));
                p
            },
            "client_id is repeated",
        ),
    ];
    for (params, says) in cases {
        let params: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = s.consent_get(&auth_url(&s.base, &params)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{params:?}");
        assert!(response.headers().get("location").is_none(), "{params:?}");
        let html = response.text().await.unwrap();
        assert!(html.contains(says), "{params:?}: {html}");
        assert!(html.contains("Sandbox with sample data."));
    }
}

#[tokio::test]
async fn pkce_other_bad_parameters_are_redirected_as_oauth_errors() {
    let s = start().await;
    let challenge = CodeVerifier::generate().unwrap().challenge();
    let pk = s.sandbox.publishable_key().to_string();
    let base = [
        ("response_type", "code"),
        ("client_id", pk.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("scope", "launch/patient"),
        ("flexpa_external_id", "u"),
        ("state", "s-9"),
    ];
    let with = |name: &str, value: Option<&'static str>| -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = base
            .iter()
            .filter(|(k, _)| *k != name)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(v) = value {
            p.push((name.to_string(), v.to_string()));
        }
        p
    };
    let cases = [
        (
            with("response_type", Some("token")),
            "unsupported_response_type",
            "Only response_type=code is supported.",
        ),
        (
            with("response_type", None),
            "invalid_request",
            "response_type is required (code).",
        ),
        (
            with("code_challenge", None),
            "invalid_request",
            "code_challenge is required: the flow uses PKCE (RFC 7636).",
        ),
        (
            with("code_challenge", Some("too-short")),
            "invalid_request",
            "code_challenge must be base64url(SHA-256(code_verifier)): 43 characters.",
        ),
        (
            with("code_challenge_method", Some("plain")),
            "invalid_request",
            "code_challenge_method must be S256.",
        ),
        (
            with("code_challenge_method", None),
            "invalid_request",
            "code_challenge_method must be S256.",
        ),
        (
            with("scope", Some("openid")),
            "invalid_scope",
            "scope must be launch/patient, optionally with offline_access.",
        ),
        (
            with("flexpa_external_id", None),
            "invalid_request",
            "flexpa_external_id is required: the app's own id for the user.",
        ),
        (
            {
                let mut p = with("state", Some("s-9"));
                p.push(("scope".into(), "launch/patient".into()));
                p
            },
            "invalid_request",
            "Parameter 'scope' is repeated.",
        ),
    ];
    for (params, error, description) in cases {
        let params: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = s.consent_get(&auth_url(&s.base, &params)).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{params:?}");
        assert_eq!(
            callback(&location(&response)),
            Callback::Error {
                error: error.into(),
                description: Some(description.into()),
                state: Some("s-9".into()),
            },
            "{params:?}"
        );
    }

    // An unknown flexpa_endpoint_id is not an error: the plans, with a notice.
    let mut params = base.to_vec();
    params.push(("flexpa_endpoint_id", "no-such-plan"));
    let response = s.consent_get(&auth_url(&s.base, &params)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="screen-plans""#));
    assert!(html.contains("The requested health plan (no-such-plan) is not in the sandbox."));
}
