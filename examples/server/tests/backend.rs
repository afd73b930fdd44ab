//! The demo backend (`GET /api/config`, `POST /api/exchange`, static files) over real HTTP on
//! 127.0.0.1, against the sandbox: the contract in `examples/README.md`, and the access token
//! never in an answer.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::time::Duration;

use flexpa_link::server::SecretKey;
use flexpa_link::PublishableKey;
use flexpa_link_demo_server::backend::{self, Backend, ScriptUrl};
use flexpa_link_demo_server::flexpa::Flexpa;
use flexpa_link_demo_server::sandbox::{data, RateLimit, Sandbox, SandboxConfig, SignIn, Usage};
use reqwest::header::{CONTENT_TYPE, HOST};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Demo {
    sandbox: Sandbox,
    sandbox_port: u16,
    base: String,
    http: reqwest::Client,
}

/// The sandbox's defaults, without the syncing window (tests of it set their own).
fn config() -> SandboxConfig {
    SandboxConfig {
        sync_window: Duration::ZERO,
        ..SandboxConfig::random()
    }
}

/// The sandbox, and a backend using it with `secret_key` (the sandbox's when `None`).
async fn start(secret_key: Option<String>, static_dir: Option<PathBuf>) -> Demo {
    start_with(config(), secret_key, static_dir).await
}

async fn start_with(
    config: SandboxConfig,
    secret_key: Option<String>,
    static_dir: Option<PathBuf>,
) -> Demo {
    let sandbox = Sandbox::new(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sandbox_addr = listener.local_addr().unwrap();
    tokio::spawn(sandbox.clone().serve(listener));

    let secret =
        SecretKey::new(secret_key.unwrap_or_else(|| sandbox.secret_key().to_string())).unwrap();
    let publishable = PublishableKey::new(sandbox.publishable_key().to_string()).unwrap();
    let flexpa = Flexpa::new(secret, publishable, &format!("http://{sandbox_addr}")).unwrap();
    let app = backend::router(
        Backend {
            flexpa,
            publishable_key: sandbox.publishable_key().to_string(),
            script: ScriptUrl::SandboxPort(sandbox_addr.port()),
            sandbox: true,
        },
        static_dir,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Demo {
        sandbox,
        sandbox_port: sandbox_addr.port(),
        base,
        http: reqwest::Client::new(),
    }
}

impl Demo {
    fn sign_in(&self, plan: &str) -> String {
        let plan = data::plan(plan).unwrap();
        self.sandbox
            .sign_in(&SignIn {
                publishable_key: self.sandbox.publishable_key(),
                endpoint: plan.id,
                username: plan.username,
                password: plan.password,
                external_id: None,
                usage: Usage::OneTime,
            })
            .unwrap()
    }

    async fn exchange_body(&self, body: String) -> (StatusCode, String) {
        let response = self
            .http
            .post(format!("{}/api/exchange", self.base))
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }

    async fn exchange(&self, token: &str) -> (StatusCode, Value) {
        let (status, text) = self
            .exchange_body(json!({ "public_token": token }).to_string())
            .await;
        (status, serde_json::from_str(&text).unwrap())
    }
}

#[tokio::test]
async fn exchange_answers_patient_coverage_endpoint_and_expiry_only() {
    let demo = start(None, None).await;
    let token = demo.sign_in("evergreen-health-sandbox");
    let (status, text) = demo
        .exchange_body(json!({ "public_token": token }).to_string())
        .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(
        !text.contains("access_token") && !text.contains("eyJ"),
        "{text}"
    );
    assert!(!text.contains(demo.sandbox.secret_key()));
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body,
        json!({
            "patient": {
                "id": "7f3c9a1e-2b4d-4e8f-9a6b-1c2d3e4f5a6b",
                "name": "Jane Q. Doe",
                "birthDate": "1980-01-01",
                "gender": "female"
            },
            "coverage": [
                {
                    "payor": "Evergreen Health",
                    "plan": "Evergreen PPO 1500",
                    "status": "active",
                    "memberId": "EVG100234501",
                    "start": "2024-01-01",
                    "end": null
                },
                {
                    "payor": "Evergreen Health",
                    "plan": "Evergreen HMO Basic",
                    "status": "cancelled",
                    "memberId": "EVG100234501",
                    "start": "2022-01-01",
                    "end": "2023-12-31"
                }
            ],
            "endpoint": { "name": "evergreen-health-sandbox", "label": "Evergreen Health" },
            "expiresIn": 1800
        })
    );

    // The same token again: Flexpa's message, in the contract's error shape.
    assert_eq!(
        demo.exchange(&token).await,
        (
            StatusCode::BAD_REQUEST,
            json!({
                "error": "Bad Request",
                "message": "Invalid public token. Public token has already been used."
            })
        )
    );
}

#[tokio::test]
async fn each_sample_plan_links_its_own_patient() {
    let demo = start(None, None).await;
    for (plan, name, coverage) in [
        (
            "summit-medicare-sandbox",
            "Robert James Miller",
            "Summit Advantage Plus (HMO)",
        ),
        (
            "bayside-medicaid-sandbox",
            "María Elena García",
            "Bayside Medicaid Standard",
        ),
    ] {
        let (status, body) = demo.exchange(&demo.sign_in(plan)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["patient"]["name"], name);
        assert_eq!(body["coverage"][0]["plan"], coverage);
        assert_eq!(body["endpoint"]["name"], plan);
    }
}

#[tokio::test]
async fn bad_requests_get_the_contracts_error_shape() {
    let demo = start(None, None).await;
    for body in [
        "",
        "{}",
        "not json",
        r#"{"public_token": ""}"#,
        r#"{"public_token": "has space"}"#,
    ] {
        let (status, text) = demo.exchange_body(body.to_string()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let error: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(error["error"], "Bad Request");
        assert!(error["message"].as_str().unwrap().contains("public_token"));
    }
    assert_eq!(
        demo.exchange("public_token_00000000-0000-4000-8000-000000000000")
            .await,
        (
            StatusCode::BAD_REQUEST,
            json!({ "error": "Bad Request", "message": "Invalid public token." })
        )
    );
}

#[tokio::test]
async fn a_wrong_server_secret_key_is_a_502_that_does_not_show_the_key() {
    let wrong = SandboxConfig::random().secret_key;
    let demo = start(Some(wrong.clone()), None).await;
    let token = demo.sign_in("evergreen-health-sandbox");
    let (status, text) = demo
        .exchange_body(json!({ "public_token": token }).to_string())
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(
        !text.contains(&wrong)
            && !text.contains(demo.sandbox.secret_key())
            && !text.contains(&token)
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"], "Bad Gateway");
    assert!(
        body["message"].as_str().unwrap().contains("secret key"),
        "{body}"
    );
}

#[tokio::test]
async fn config_points_the_page_at_the_sandbox_script_on_the_host_it_used() {
    let demo = start(None, None).await;
    let get = |host: Option<&'static str>| {
        let mut request = demo.http.get(format!("{}/api/config", demo.base));
        if let Some(host) = host {
            request = request.header(HOST, host);
        }
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let port = demo.sandbox_port;
    assert_eq!(
        get(None).await,
        json!({
            "publishableKey": demo.sandbox.publishable_key(),
            "scriptUrl": format!("http://127.0.0.1:{port}/v1/"),
            "sandbox": true
        })
    );
    assert_eq!(
        get(Some("localhost:1234")).await["scriptUrl"],
        format!("http://localhost:{port}/v1/")
    );
    assert_eq!(
        get(Some("[::1]:1234")).await["scriptUrl"],
        format!("http://[::1]:{port}/v1/")
    );
    // A Host header that is not a plain host name is not echoed into a URL.
    assert_eq!(
        get(Some("evil\"<script>")).await["scriptUrl"],
        format!("http://127.0.0.1:{port}/v1/")
    );
}

#[tokio::test]
async fn serves_the_static_frontend_or_the_builtin_page() {
    let dir = std::env::temp_dir().join(format!("demo-static-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>frontend</h1>").unwrap();
    std::fs::write(dir.join("app.js"), "export default 1;").unwrap();
    let demo = start(None, Some(dir.clone())).await;
    let get = |path: &'static str| {
        let url = format!("{}{path}", demo.base);
        let http = demo.http.clone();
        async move {
            let response = http.get(url).send().await.unwrap();
            let ct = response
                .headers()
                .get(CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_string());
            (response.status(), ct, response.text().await.unwrap())
        }
    };
    assert_eq!(get("/").await.2, "<h1>frontend</h1>");
    let (status, ct, _) = get("/app.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.unwrap().contains("javascript"));
    assert_eq!(get("/missing.js").await.0, StatusCode::NOT_FOUND);
    std::fs::remove_dir_all(dir).unwrap();

    let builtin = start(None, None).await;
    let page = builtin
        .http
        .get(format!("{}/", builtin.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"id="link-button""#) && page.contains("Link your health data"));
}

#[tokio::test]
async fn a_rate_limited_exchange_is_a_503_with_retry_after_and_the_token_survives() {
    // One request per two minutes: the backend's exchange is refused with `Retry-After: 120`,
    // longer than the crate's client waits.
    let config = SandboxConfig {
        rate_limit: Some(RateLimit {
            burst: 1,
            refill: std::time::Duration::from_secs(120),
        }),
        ..config()
    };
    let demo = start_with(config, None, None).await;
    let token = demo.sign_in("evergreen-health-sandbox");
    let spent = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{}/link/introspect",
            demo.sandbox_port
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(spent.status(), StatusCode::UNAUTHORIZED);

    let response = demo
        .http
        .post(format!("{}/api/exchange", demo.base))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "public_token": token }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "120");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "Service Unavailable");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("Try again in a moment"), "{message}");
    assert!(!message.contains(&token));

    // The public token was not spent: exchanged directly from another address, it works.
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 4]))
        .build()
        .unwrap();
    let direct = other
        .post(format!(
            "http://127.0.0.1:{}/link/exchange",
            demo.sandbox_port
        ))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "public_token": token, "secret_key": demo.sandbox.secret_key() }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), StatusCode::OK);
}
