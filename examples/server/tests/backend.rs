//! The demo backend over real HTTP on 127.0.0.1, against the sandbox: the contract of
//! `examples/README.md` (`GET /api/config`, `POST /api/exchange`, static files), the consent
//! flow (`/api/consent/start`, `/api/consent/callback`), Link into the session (`/api/link`),
//! the records (`/api/records`: patient, coverage, claims page by page, "syncing"), webhooks
//! (`/api/webhooks`), and the access token never in an answer.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::time::Duration;

use flexpa_link::server::webhooks::WebhookSecret;
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

mod support;
use support::{config, request_id};

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
            redirect_uri: None,
            webhook_secret: Some(WebhookSecret::new(sandbox.webhook_secret()).unwrap()),
        },
        static_dir,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // As the demo binary does: the sandbox's webhooks go to this backend.
    sandbox
        .register_webhook(&format!("{base}/api/webhooks"))
        .unwrap();
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
    assert!(page.contains(r#"id="consent-button""#) && page.contains("Connect with Flexpa"));
    assert!(page.contains(r#"id="link-button""#) && page.contains("Link widget (legacy)"));
    // Consent comes first: it is the main path.
    assert!(page.find("consent-button") < page.find("link-button"));
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

// ---------------------------------------------------------------------------------------------
// The session's records: consent flow, Link into the session, syncing, webhooks.

/// A browser: keeps cookies per origin, follows no redirects (the test follows them).
fn new_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

impl Demo {
    /// "Connect with Flexpa" in `browser`, through the sandbox's consent page signing in to
    /// `plan`: the callback URL the sandbox sends the browser back to.
    async fn consent(&self, browser: &reqwest::Client, plan: &str) -> String {
        let start = browser
            .get(format!("{}/api/consent/start", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), StatusCode::SEE_OTHER);
        let cookie = start.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let authorize = location(&start);
        let sandbox = format!("http://127.0.0.1:{}", self.sandbox_port);
        assert!(
            authorize.starts_with(&format!("{sandbox}/link/auth?")),
            "{authorize}"
        );
        let url = reqwest::Url::parse(&authorize).unwrap();
        let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(
            query["redirect_uri"],
            format!("{}/api/consent/callback", self.base)
        );
        assert_eq!(query["code_challenge_method"], "S256");
        assert!(query["state"].len() >= 43, "a random state");
        assert!(query["flexpa_external_id"].starts_with("demo-user-"));

        let page = browser
            .get(&authorize)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let plan = data::plan(plan).unwrap();
        let signed_in = browser
            .post(format!("{sandbox}/link/auth"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(
                serde_urlencoded::to_string([
                    ("request", request_id(&page).as_str()),
                    ("endpoint", plan.id),
                    ("username", plan.username),
                    ("password", plan.password),
                    ("action", "sign_in"),
                ])
                .unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        location(&signed_in)
    }

    async fn records(&self, browser: &reqwest::Client) -> (StatusCode, String, Value) {
        let response = browser
            .get(format!("{}/api/records", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        assert!(!text.contains("eyJ"), "no access token: {text}");
        (status, retry_after, serde_json::from_str(&text).unwrap())
    }
}

#[tokio::test]
async fn connect_with_flexpa_shows_patient_coverage_and_every_claim() {
    let demo = start(None, None).await;
    let browser = new_browser();
    let callback = demo.consent(&browser, "evergreen-health-sandbox").await;
    assert!(callback.starts_with(&format!("{}/api/consent/callback?code=", demo.base)));
    let back = browser.get(&callback).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&back), "/?connected=1");

    let (status, _, records) = demo.records(&browser).await;
    assert_eq!(status, StatusCode::OK, "{records}");
    assert_eq!(records["status"], "ready");
    assert_eq!(records["plan"], "Evergreen Health");
    assert_eq!(records["patient"]["name"], "Jane Q. Doe");
    assert_eq!(records["coverage"][0]["plan"], "Evergreen PPO 1500");
    let claims = records["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 46, "every page of claims");
    assert_eq!(records["claimPages"], 3, "20 + 20 + 6");
    assert_eq!(
        claims[0],
        json!({
            "id": "eob-evergreen-0002",
            "date": "2025-02-12",
            "provider": "Pearl Street Pharmacy",
            "type": "Pharmacy",
            "billed": 24.99,
            "paid": 2.1,
            "currency": "USD"
        })
    );

    // The callback is used once: replaying it is refused, the records stay.
    let replay = browser.get(&callback).send().await.unwrap();
    assert!(location(&replay).starts_with("/?consent_error="));
    assert_eq!(demo.records(&browser).await.0, StatusCode::OK);

    // Another browser (no session) gets nothing.
    let (status, _, body) = demo.records(&new_browser()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn a_callback_with_another_state_or_without_the_session_is_refused() {
    let demo = start(None, None).await;
    let browser = new_browser();
    let callback = demo.consent(&browser, "summit-medicare-sandbox").await;
    let url = reqwest::Url::parse(&callback).unwrap();
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .to_string();
    // Someone else's browser brings the code: no session, refused.
    let stranger = new_browser().get(&callback).send().await.unwrap();
    let to = location(&stranger);
    assert!(
        to.starts_with("/?consent_error=") && to.contains("not+for+a+connection"),
        "{to}"
    );
    // This browser, but a forged state: refused, and the flow is spent.
    let forged = browser
        .get(format!(
            "{}/api/consent/callback?code={code}&state=forged",
            demo.base
        ))
        .send()
        .await
        .unwrap();
    let to = location(&forged);
    assert!(
        to.starts_with("/?consent_error=") && to.contains("state"),
        "{to}"
    );
    assert_eq!(demo.records(&browser).await.0, StatusCode::UNAUTHORIZED);
    // Flexpa's own error (the user cancelled) is shown as such.
    let browser = new_browser();
    demo.consent(&browser, "summit-medicare-sandbox").await;
    let cancelled = browser
        .get(format!(
            "{}/api/consent/callback?error=access_denied&error_description=The+user+cancelled",
            demo.base
        ))
        .send()
        .await
        .unwrap();
    assert!(location(&cancelled).contains("access_denied"));
}

#[tokio::test]
async fn records_say_syncing_first_then_come_and_the_webhook_is_noted() {
    let demo = start_with(
        SandboxConfig {
            sync_window: Duration::from_millis(1500),
            ..config()
        },
        None,
        None,
    )
    .await;
    let browser = new_browser();
    let callback = demo.consent(&browser, "bayside-medicaid-sandbox").await;
    browser.get(&callback).send().await.unwrap();
    let (status, retry_after, body) = demo.records(&browser).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "syncing");
    assert_eq!(body["retryAfter"], 2);
    assert_eq!(retry_after, "2");
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let (status, _, body) = demo.records(&browser).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["patient"]["name"], "María Elena García");
    assert_eq!(body["claims"].as_array().unwrap().len(), 8);
    assert_eq!(body["claimPages"], 1);
    // The sandbox's signed sync_completed reaches the backend, for this user (it is sent when
    // the window ends; give the delivery a moment).
    let mut webhook = body["webhook"].clone();
    for _ in 0..50 {
        if webhook != Value::Null {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        webhook = demo.records(&browser).await.2["webhook"].clone();
    }
    assert_eq!(webhook, "sync_completed");
}

#[tokio::test]
async fn link_into_the_session_then_records_and_a_failed_sync_is_said() {
    let demo = start(None, None).await;
    let browser = new_browser();
    let link = |token: String| {
        let browser = browser.clone();
        let url = format!("{}/api/link", demo.base);
        async move {
            let response = browser
                .post(url)
                .json(&json!({ "public_token": token }))
                .send()
                .await
                .unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            assert!(!text.contains("eyJ"), "{text}");
            (status, serde_json::from_str::<Value>(&text).unwrap())
        }
    };
    let (status, body) = link(demo.sign_in("summit-medicare-sandbox")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({ "linked": true, "plan": "Summit Medicare Advantage", "expiresIn": 1800 })
    );
    let (status, _, records) = demo.records(&browser).await;
    assert_eq!(status, StatusCode::OK, "{records}");
    assert_eq!(records["patient"]["name"], "Robert James Miller");
    assert_eq!(records["claims"].as_array().unwrap().len(), 27);
    assert_eq!(records["claimPages"], 2);

    // The plan whose sync fails: linked, but the records say the sync failed.
    let (status, _) = link(demo.sign_in("lakeshore-sync-fails-sandbox")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = demo.records(&browser).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(body["message"].as_str().unwrap().contains("could not sync"));
}

#[tokio::test]
async fn forged_webhooks_are_refused() {
    let demo = start(None, None).await;
    let body = r#"{"event_id":"1","event":"sync_completed","version":1,"timestamp":1,"data":{"external_id":"demo-user-x"}}"#;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let send = |signature: String| {
        let http = demo.http.clone();
        let url = format!("{}/api/webhooks", demo.base);
        async move {
            http.post(url)
                .header("x-flexpa-signature", signature)
                .header(CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let wrong = WebhookSecret::new("whsec_not_the_sandboxs").unwrap();
    let forged = flexpa_link::server::webhooks::signature_header(&wrong, now, body.as_bytes());
    assert_eq!(send(forged).await, StatusCode::UNAUTHORIZED);
    assert_eq!(send("t=1,v1=zz".to_string()).await, StatusCode::BAD_REQUEST);
    let right = WebhookSecret::new(demo.sandbox.webhook_secret()).unwrap();
    let signed = flexpa_link::server::webhooks::signature_header(&right, now, body.as_bytes());
    assert_eq!(send(signed).await, StatusCode::NO_CONTENT);
}
