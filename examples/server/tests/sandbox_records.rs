//! The sandbox's records side over real HTTP on 127.0.0.1, as `docs/flexpa.md` describes
//! Flexpa's: FHIR search paging with absolute next links, `$PATIENT_ID`, `$everything`,
//! `metadata`, the "still syncing" 429 and the failed-sync 422, `client_credentials`, signed
//! webhooks, and the bounds that keep a hammered sandbox's memory in check.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::HeaderMap;
use flexpa_link_demo_server::sandbox::{data, SandboxConfig, Usage};
use hmac::{Hmac, Mac};
use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::mpsc;

mod support;
use support::{config, header, request_id, start_with, Running, JANE};

/// An answer: status, headers, JSON body (`Null` if not JSON).
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    fn link(&self, relation: &str) -> Option<String> {
        self.body["link"]
            .as_array()?
            .iter()
            .find(|l| l["relation"] == relation)
            .map(|l| l["url"].as_str().unwrap().to_string())
    }

    fn ids(&self) -> Vec<String> {
        self.body["entry"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| e["resource"]["id"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Running {
    /// Signs in to `plan` and exchanges the public token: the access token.
    async fn link(&self, plan: &str, external_id: Option<&str>) -> String {
        let public = self.sign_in(plan, Usage::OneTime, external_id);
        let response = self
            .http
            .post(format!("{}/link/exchange", self.base))
            .json(&json!({ "public_token": public, "secret_key": self.sandbox.secret_key() }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    /// `GET` of a path on the sandbox, or of an absolute URL.
    async fn get(&self, path_or_url: &str, token: &str) -> Answer {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.base)
        };
        let response = self.http.get(url).bearer_auth(token).send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn client_credentials(&self, body: Value, basic: (&str, &str)) -> Answer {
        let response = self
            .http
            .post(format!("{}/link/token", self.base))
            .basic_auth(basic.0, Some(basic.1))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        Answer {
            status,
            headers,
            body: response.json().await.unwrap(),
        }
    }
}

fn assert_outcome(answer: &Answer, status: StatusCode, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert!(answer
        .header("content-type")
        .starts_with("application/fhir+json"));
    assert_eq!(answer.body["resourceType"], "OperationOutcome");
    assert_eq!(answer.body["issue"][0]["severity"], "error");
    assert_eq!(answer.body["issue"][0]["code"], code, "{}", answer.body);
}

#[tokio::test]
async fn a_search_pages_through_absolute_next_links_to_every_claim() {
    let s = start_with(config()).await;
    let token = s.link("evergreen-health-sandbox", None).await;
    let first = s
        .get("/fhir/ExplanationOfBenefit?patient=$PATIENT_ID", &token)
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["type"], "searchset");
    assert_eq!(first.body["total"], 46);
    assert_eq!(first.ids().len(), 20, "the default page size is 20");
    assert!(first.link("previous").is_none());
    let self_link = first.link("self").unwrap();
    assert!(self_link.starts_with(&format!("{}/fhir/ExplanationOfBenefit?", s.base)));

    // Follow next links verbatim: 20 + 20 + 6, every claim once, then no next link.
    let mut seen: Vec<String> = first.ids();
    let mut next = first.link("next");
    let mut pages = 1;
    while let Some(url) = next {
        assert!(
            url.starts_with(&format!("{}/fhir/", s.base)),
            "absolute: {url}"
        );
        let page = s.get(&url, &token).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.body["total"], 46);
        assert!(page.link("previous").is_some());
        seen.extend(page.ids());
        next = page.link("next");
        pages += 1;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 46);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        46,
        "no claim twice"
    );

    // Each claim has what the demo shows: a date, a provider, billed and paid totals.
    let page = s
        .get(
            "/fhir/ExplanationOfBenefit?patient=$PATIENT_ID&_count=1",
            &token,
        )
        .await;
    let eob = &page.body["entry"][0]["resource"];
    assert_eq!(
        eob["billablePeriod"]["start"], "2025-02-12",
        "most recent first"
    );
    assert_eq!(eob["provider"]["display"], "Pearl Street Pharmacy");
    let total = |code: &str| {
        eob["total"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["category"]["coding"][0]["code"] == code)
            .map(|t| t["amount"]["value"].as_f64().unwrap())
    };
    assert_eq!(total("submitted"), Some(24.99));
    assert_eq!(total("benefit"), Some(2.10));
}

#[tokio::test]
async fn count_is_validated_and_capped() {
    let s = start_with(SandboxConfig {
        search_count_default: 7,
        search_count_max: 10,
        ..config()
    })
    .await;
    let token = s.link("evergreen-health-sandbox", None).await;
    let search = |q: &'static str| {
        let token = token.clone();
        let s = &s;
        async move {
            s.get(
                &format!("/fhir/ExplanationOfBenefit?patient={JANE}{q}"),
                &token,
            )
            .await
        }
    };
    assert_eq!(search("").await.ids().len(), 7, "the configured default");
    assert_eq!(search("&_count=3").await.ids().len(), 3);
    let capped = search("&_count=500").await;
    assert_eq!(capped.ids().len(), 10, "the configured maximum");
    assert!(capped.link("next").unwrap().contains("_count=10"));
    // _count=0: the total only, and no next link to loop on.
    let zero = search("&_count=0").await;
    assert_eq!(zero.status, StatusCode::OK);
    assert_eq!(zero.body["total"], 46);
    assert!(zero.ids().is_empty());
    assert!(zero.link("next").is_none());
    // Past the end: an empty page.
    let past = search("&_offset=1000").await;
    assert!(past.ids().is_empty());
    assert!(past.link("next").is_none());
    for bad in ["&_count=abc", "&_count=-1", "&_offset=x"] {
        assert_outcome(&search(bad).await, StatusCode::BAD_REQUEST, "invalid");
    }
}

#[tokio::test]
async fn patient_id_wildcard_works_in_path_and_query() {
    let s = start_with(config()).await;
    let token = s.link("evergreen-health-sandbox", None).await;
    for path in ["/fhir/Patient/$PATIENT_ID", "/fhir/Patient/%24PATIENT_ID"] {
        let patient = s.get(path, &token).await;
        assert_eq!(patient.status, StatusCode::OK, "{path}");
        assert_eq!(patient.body["id"], JANE);
    }
    for query in [
        "patient=$PATIENT_ID",
        "patient=Patient/%24PATIENT_ID",
        "beneficiary=$PATIENT_ID",
    ] {
        let coverage = s.get(&format!("/fhir/Coverage?{query}"), &token).await;
        assert_eq!(coverage.status, StatusCode::OK, "{query}");
        assert_eq!(coverage.body["total"], 2);
        assert_eq!(coverage.ids(), ["cov-evergreen-2024", "cov-evergreen-2022"]);
    }
    // Another patient's id is refused, an unknown resource is not found.
    let other = data::plan("summit-medicare-sandbox").unwrap().patient_id;
    assert_outcome(
        &s.get(&format!("/fhir/Coverage?patient={other}"), &token)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_outcome(
        &s.get("/fhir/ExplanationOfBenefit/eob-summit-0001", &token)
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
}

#[tokio::test]
async fn everything_is_one_unpaginated_bundle_of_every_resource() {
    let s = start_with(config()).await;
    let token = s.link("evergreen-health-sandbox", None).await;
    let everything = s.get("/fhir/Patient/$PATIENT_ID/$everything", &token).await;
    assert_eq!(everything.status, StatusCode::OK);
    assert_eq!(everything.body["type"], "searchset");
    // 1 Patient + 2 Coverage + 46 ExplanationOfBenefit, all at once (more than _count's 20).
    assert_eq!(everything.body["total"], 49);
    assert_eq!(everything.ids().len(), 49);
    assert!(everything.link("next").is_none());
    let types: HashSet<String> = everything.body["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["resourceType"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(types.len(), 3);
    assert_eq!(
        s.get(&format!("/fhir/Patient/{JANE}/$everything"), &token)
            .await
            .body["total"],
        49
    );
    let other = data::plan("summit-medicare-sandbox").unwrap().patient_id;
    assert_outcome(
        &s.get(&format!("/fhir/Patient/{other}/$everything"), &token)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_outcome(
        &s.get("/fhir/Patient/$PATIENT_ID/$summary", &token).await,
        StatusCode::NOT_FOUND,
        "not-supported",
    );
    // Deeper paths and other methods under /fhir/ are FHIR errors too.
    assert_outcome(
        &s.get("/fhir/Patient/x/_history/1/more", &token).await,
        StatusCode::NOT_FOUND,
        "not-supported",
    );
    let post = s
        .http
        .post(format!("{}/fhir/Patient", s.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
    let body: Value = post.json().await.unwrap();
    assert_eq!(body["issue"][0]["code"], "not-supported");
}

#[tokio::test]
async fn metadata_lists_the_types_and_the_everything_operation() {
    let s = start_with(config()).await;
    let token = s.link("summit-medicare-sandbox", None).await;
    let statement = s.get("/fhir/metadata", &token).await;
    assert_eq!(statement.status, StatusCode::OK);
    assert_eq!(statement.body["resourceType"], "CapabilityStatement");
    assert_eq!(statement.body["fhirVersion"], "4.0.1");
    let resources = statement.body["rest"][0]["resource"].as_array().unwrap();
    let types: Vec<&str> = resources
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["Patient", "Coverage", "ExplanationOfBenefit"]);
    assert_eq!(resources[0]["operation"][0]["name"], "everything");
    // A token is needed (Flexpa's 401 JSON without one).
    let anonymous = s.get("/fhir/metadata", "not-a-token").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.body["statusCode"], 401);
}

#[tokio::test]
async fn still_syncing_is_429_transient_with_retry_after_then_the_data() {
    let s = start_with(SandboxConfig {
        sync_window: Duration::from_millis(1500),
        ..config()
    })
    .await;
    let token = s.link("evergreen-health-sandbox", None).await;
    for path in [
        "/fhir/Patient/$PATIENT_ID",
        "/fhir/Coverage?patient=$PATIENT_ID",
        "/fhir/Patient/$PATIENT_ID/$everything",
    ] {
        let answer = s.get(path, &token).await;
        assert_outcome(&answer, StatusCode::TOO_MANY_REQUESTS, "transient");
        assert_eq!(
            answer.header("retry-after"),
            "2",
            "{path}: whole seconds, rounded up"
        );
        assert_eq!(answer.header("x-retry-after"), "2");
    }
    // The CapabilityStatement describes the endpoint, not the patient: not held back.
    assert_eq!(s.get("/fhir/metadata", &token).await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let patient = s.get("/fhir/Patient/$PATIENT_ID", &token).await;
    assert_eq!(patient.status, StatusCode::OK);
    assert_eq!(patient.body["id"], JANE);
}

#[tokio::test]
async fn the_plan_whose_sync_fails_answers_422_processing() {
    let s = start_with(config()).await;
    let token = s.link("lakeshore-sync-fails-sandbox", None).await;
    for path in [
        "/fhir/Patient/$PATIENT_ID",
        "/fhir/ExplanationOfBenefit?patient=$PATIENT_ID",
        "/fhir/Patient/$PATIENT_ID/$everything",
    ] {
        let answer = s.get(path, &token).await;
        assert_outcome(&answer, StatusCode::UNPROCESSABLE_ENTITY, "processing");
        assert!(
            answer.header("retry-after").is_empty(),
            "nothing to wait for"
        );
    }
}

#[tokio::test]
async fn client_credentials_gives_an_application_token_without_patient_access() {
    let s = start_with(config()).await;
    let (pk, sk) = (
        s.sandbox.publishable_key().to_string(),
        s.sandbox.secret_key().to_string(),
    );
    let answer = s
        .client_credentials(json!({ "grant_type": "client_credentials" }), (&pk, &sk))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["expires_in"], 1800);
    assert_eq!(answer.body["token_type"], "Bearer");
    assert!(answer.body.get("refresh_token").is_none());
    let app_token = answer.body["access_token"].as_str().unwrap();
    // It reads the CapabilityStatement, not a patient's records.
    assert_eq!(
        s.get("/fhir/metadata", app_token).await.status,
        StatusCode::OK
    );
    assert_outcome(
        &s.get("/fhir/Patient/$PATIENT_ID", app_token).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // Wrong credentials: Flexpa's 401.
    let wrong = s
        .client_credentials(
            json!({ "grant_type": "client_credentials" }),
            (&pk, "sk_test_wrong"),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body["statusCode"], 401);
    // Another grant type in JSON is not accepted (refresh and code grants are forms).
    let response = s
        .http
        .post(format!("{}/link/token", s.base))
        .basic_auth(&pk, Some(&sk))
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"grant_type":"password"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn client_credentials_with_test_keys_can_be_refused_as_flexpa_does() {
    let s = start_with(SandboxConfig {
        refuse_test_client_credentials: true,
        ..config()
    })
    .await;
    let (pk, sk) = (
        s.sandbox.publishable_key().to_string(),
        s.sandbox.secret_key().to_string(),
    );
    let answer = s
        .client_credentials(json!({ "grant_type": "client_credentials" }), (&pk, &sk))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body["statusCode"], 403);
    assert!(answer.body["message"]
        .as_str()
        .unwrap()
        .contains("live-mode"));
}

// ---------------------------------------------------------------------------------------------
// Webhooks

/// A webhook receiver on 127.0.0.1: its URL and what it got (headers, raw body).
async fn receiver() -> (String, mpsc::UnboundedReceiver<(HeaderMap, Bytes)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

/// Checks `X-Flexpa-Signature` the documented way: `t=<secs>,v1=<hex HMAC-SHA256("{t}.{body}")>`,
/// `t` within 5 minutes of now.
fn assert_signed(headers: &HeaderMap, body: &[u8], secret: &str) {
    let header = headers["x-flexpa-signature"].to_str().unwrap();
    let (t, v1) = header.split_once(',').unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let v1 = v1.strip_prefix("v1=").unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(t.parse::<u64>().unwrap()) <= 300);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, expected);
}

async fn next_event(rx: &mut mpsc::UnboundedReceiver<(HeaderMap, Bytes)>) -> (HeaderMap, Bytes) {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a webhook within 10 s")
        .unwrap()
}

#[tokio::test]
async fn signed_webhooks_announce_completed_and_failed_syncs() {
    let s = start_with(SandboxConfig {
        sync_window: Duration::from_millis(300),
        ..config()
    })
    .await;
    let (url, mut rx) = receiver().await;
    let (pk, sk) = (
        s.sandbox.publishable_key().to_string(),
        s.sandbox.secret_key().to_string(),
    );

    // Registration needs the app's keys and a usable URL; it answers the signing secret.
    let register = |basic: (String, String), url: String| {
        let http = s.http.clone();
        let endpoint = format!("{}/sandbox/webhook", s.base);
        async move {
            let response = http
                .post(endpoint)
                .basic_auth(basic.0, Some(basic.1))
                .json(&json!({ "url": url }))
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, _) = register((pk.clone(), "sk_test_wrong".into()), url.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = register((pk.clone(), sk.clone()), "ftp://x/hooks".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = register((pk.clone(), sk.clone()), url.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["url"], url.as_str());
    let secret = body["secret"].as_str().unwrap().to_string();
    assert_eq!(secret, s.sandbox.webhook_secret());

    // Linking starts the sync; when the window ends, sync_completed arrives, signed.
    let unix_ms = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    };
    let started = std::time::Instant::now();
    let linked_ms = unix_ms();
    let token = s.link("evergreen-health-sandbox", Some("user-42")).await;
    let (headers, body) = next_event(&mut rx).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "not before the window ends"
    );
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["user-agent"], "Flexpa-Webhook/1.0");
    assert_signed(&headers, &body, &secret);
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["event"], "sync_completed");
    assert_eq!(event["version"], 1);
    assert!(uuid::Uuid::parse_str(event["event_id"].as_str().unwrap()).is_ok());
    // Unix milliseconds, stamped when the sync ended (not when it began).
    let stamped = event["timestamp"].as_u64().unwrap();
    assert!(
        stamped >= linked_ms + 300 && stamped <= unix_ms(),
        "{stamped}"
    );
    assert_eq!(event["data"]["mode"], "test");
    assert_eq!(event["data"]["external_id"], "user-42");
    assert!(
        uuid::Uuid::parse_str(event["data"]["patient_authorization_id"].as_str().unwrap()).is_ok()
    );
    assert!(uuid::Uuid::parse_str(event["data"]["consent_id"].as_str().unwrap()).is_ok());
    // And the data is there when the webhook says so.
    assert_eq!(
        s.get("/fhir/Patient/$PATIENT_ID", &token).await.status,
        StatusCode::OK
    );

    // The failing plan: sync_failed.
    s.link("lakeshore-sync-fails-sandbox", None).await;
    let (headers, body) = next_event(&mut rx).await;
    assert_signed(&headers, &body, &secret);
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["event"], "sync_failed");
    assert_eq!(event["data"]["external_id"], Value::Null);
}

// ---------------------------------------------------------------------------------------------
// Bounds

#[tokio::test]
async fn pending_consent_requests_and_sign_ins_stay_at_the_store_cap() {
    let s = start_with(SandboxConfig {
        store_cap: 50,
        rate_limit: None,
        ..config()
    })
    .await;
    let verifier = flexpa_link::pkce::CodeVerifier::generate().unwrap();
    let pk = flexpa_link::PublishableKey::new(s.sandbox.publishable_key().to_string()).unwrap();
    let url = flexpa_link::pkce::AuthorizationUrl::new(
        &pk,
        "http://127.0.0.1:9/cb",
        &verifier.challenge(),
        "user",
    )
    .base_url(&s.base)
    .build()
    .unwrap();
    // 300 consent pages opened and never finished: at most 50 are kept.
    for _ in 0..300 {
        let page = s.http.get(&url).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
    }
    assert!(
        s.sandbox.stored_entries() <= 50,
        "{}",
        s.sandbox.stored_entries()
    );
    // Thousands of sign-ins (authorizations and public tokens): each map at most 50.
    for _ in 0..5_000 {
        s.sign_in("bayside-medicaid-sandbox", Usage::OneTime, None);
    }
    assert!(
        s.sandbox.stored_entries() <= 3 * 50,
        "{}",
        s.sandbox.stored_entries()
    );
}

// ---------------------------------------------------------------------------------------------
// The crate's own client against the sandbox: the two speak the same protocol.

#[tokio::test]
async fn the_crates_fhir_client_reads_the_sandbox_syncing_paging_and_failing() {
    use flexpa_link::server::{AccessToken, Error};
    let s = start_with(SandboxConfig {
        sync_window: Duration::from_millis(1200),
        ..config()
    })
    .await;
    let client = s.crate_client();
    let token = AccessToken::new(s.link("evergreen-health-sandbox", None).await).unwrap();

    // No waiting: still syncing at once, with the sandbox's Retry-After.
    let quick = client.fhir(&token).sync_wait(Duration::ZERO);
    match quick.read::<Value>("Patient", "$PATIENT_ID").await {
        Err(Error::StillSyncing { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(2)))
        }
        other => panic!("expected StillSyncing, got {other:?}"),
    }
    // With its default budget the client waits the sync out, then pages through every claim.
    let fhir = client.fhir(&token);
    let claims: Vec<Value> = fhir
        .search_all("ExplanationOfBenefit", &[("patient", "$PATIENT_ID")])
        .await
        .unwrap();
    assert_eq!(claims.len(), 46);
    let mut pages = fhir.search_pages::<Value>(
        "ExplanationOfBenefit",
        &[("patient", "$PATIENT_ID"), ("_count", "5")],
    );
    let mut seen = 0;
    while let Some(page) = pages.next().await.unwrap() {
        seen += page.resources().count();
    }
    assert_eq!((seen, pages.pages_read()), (46, 10));
    let everything: flexpa_link::server::fhir::Bundle = fhir.everything().await.unwrap();
    assert_eq!(everything.resources().count(), 49);
    let statement: Value = fhir.capability_statement().await.unwrap();
    assert_eq!(
        statement["rest"][0]["resource"][0]["operation"][0]["name"],
        "everything"
    );

    // The failing plan: SyncFailed, not retried.
    let failing = AccessToken::new(s.link("lakeshore-sync-fails-sandbox", None).await).unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    match client
        .fhir(&failing)
        .read::<Value>("Patient", "$PATIENT_ID")
        .await
    {
        Err(Error::SyncFailed(api)) => assert_eq!(api.status().as_u16(), 422),
        other => panic!("expected SyncFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn the_crates_application_token_comes_from_the_sandbox() {
    let s = start_with(config()).await;
    let client = s.crate_client();
    let app = client.application_token().await.unwrap();
    let again = client.application_token().await.unwrap();
    assert_eq!(app, again, "cached by the crate");
    let statement: Value = client.fhir(&app).capability_statement().await.unwrap();
    assert_eq!(statement["resourceType"], "CapabilityStatement");
    // Flexpa's refusal of test keys, when the sandbox is told to make it, is an API error.
    let strict = start_with(SandboxConfig {
        refuse_test_client_credentials: true,
        ..config()
    })
    .await;
    let err = strict.crate_client().application_token().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403), "{err}");
}

#[tokio::test]
async fn every_answer_has_a_request_id_and_the_oauth_paths_work_too() {
    let s = start_with(config()).await;
    let token = s.link("evergreen-health-sandbox", None).await;
    let mut ids = HashSet::new();
    for (path, status) in [
        ("/fhir/Patient/$PATIENT_ID", StatusCode::OK),
        ("/fhir/Nope?patient=$PATIENT_ID", StatusCode::NOT_FOUND),
        ("/link/introspect", StatusCode::OK),
        ("/no/such/route", StatusCode::NOT_FOUND),
        ("/", StatusCode::OK),
    ] {
        let answer = s.get(path, &token).await;
        assert_eq!(answer.status, status, "{path}");
        let id = answer.header("x-request-id").to_string();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{path}: {id:?}");
        ids.insert(id);
    }
    assert_eq!(ids.len(), 5, "one id per answer");

    // /oauth/token is /link/token; /oauth/authorize is /link/auth.
    let (pk, sk) = (
        s.sandbox.publishable_key().to_string(),
        s.sandbox.secret_key().to_string(),
    );
    let response = s
        .http
        .post(format!("{}/oauth/token", s.base))
        .basic_auth(&pk, Some(&sk))
        .json(&json!({ "grant_type": "client_credentials" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let verifier = flexpa_link::pkce::CodeVerifier::generate().unwrap();
    let url = flexpa_link::pkce::AuthorizationUrl::new(
        &flexpa_link::PublishableKey::new(pk).unwrap(),
        "http://127.0.0.1:9/cb",
        &verifier.challenge(),
        "user",
    )
    .base_url(&s.base)
    .build()
    .unwrap()
    .replace("/link/auth?", "/oauth/authorize?");
    let page = s.http.get(url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains(r#"id="screen-plans""#));
}

#[tokio::test]
async fn the_crate_tells_rate_limiting_from_syncing_on_the_sandboxs_fhir() {
    use flexpa_link::server::{AccessToken, Error};
    // Two requests per minute: the exchange, then one FHIR read; the next is throttled.
    let s = start_with(SandboxConfig {
        rate_limit: Some(flexpa_link_demo_server::sandbox::RateLimit {
            burst: 2,
            refill: Duration::from_secs(60),
        }),
        ..config()
    })
    .await;
    let token = AccessToken::new(s.link("evergreen-health-sandbox", None).await).unwrap();
    let fhir = s.crate_client().fhir(&token);
    let _: Value = fhir.read("Patient", "$PATIENT_ID").await.unwrap();
    match fhir.read::<Value>("Patient", "$PATIENT_ID").await {
        Err(Error::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(60)))
        }
        other => panic!("expected RateLimited (throttled), got {other:?}"),
    }
}

#[tokio::test]
async fn consent_takes_the_crates_flows_and_offline_access() {
    use flexpa_link::pkce::{Callback, CodeVerifier, Flow};
    const REDIRECT: &str = "http://127.0.0.1:9/cb";
    let s = start_with(SandboxConfig {
        consent_usage: Usage::OneTime,
        ..config()
    })
    .await;
    let client = s.crate_client();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let evergreen = data::plan("evergreen-health-sandbox").unwrap();
    for offline_access in [false, true] {
        let verifier = CodeVerifier::generate().unwrap();
        let mut url = client
            .authorization_url(REDIRECT, &verifier.challenge(), "user-1")
            .unwrap()
            .flow(Flow::Search)
            .state("st")
            .param("flexpa_chatbot_mode", "true")
            .unwrap();
        if offline_access {
            url = url.offline_access();
        }
        let page = browser.get(url.build().unwrap()).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let page = page.text().await.unwrap();
        assert!(page.contains(r#"id="screen-plans""#));
        let signed_in = browser
            .post(format!("{}/link/auth", s.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(
                serde_urlencoded::to_string([
                    ("request", request_id(&page).as_str()),
                    ("endpoint", evergreen.id),
                    ("username", evergreen.username),
                    ("password", evergreen.password),
                    ("action", "sign_in"),
                ])
                .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let location = header(&signed_in, "location");
        let Ok(Callback::Code { code, .. }) =
            Callback::from_query(location.split_once('?').unwrap().1)
        else {
            panic!("no code in {location}");
        };
        let tokens = client
            .exchange_code(&code, &verifier, REDIRECT)
            .await
            .unwrap();
        // offline_access asks for a refresh token; without it the configured usage (ONE_TIME
        // here) gives none.
        assert_eq!(tokens.refresh_token.is_some(), offline_access);
        let scope = if offline_access {
            "launch/patient offline_access"
        } else {
            "launch/patient"
        };
        assert_eq!(tokens.scope.as_deref(), Some(scope));
    }

    // IAL2 with a preselected endpoint is refused, as Flexpa does (the crate does not even
    // build it; here by hand).
    let verifier = CodeVerifier::generate().unwrap();
    let url = client
        .authorization_url(REDIRECT, &verifier.challenge(), "user-1")
        .unwrap()
        .endpoint_id(evergreen.id)
        .build()
        .unwrap()
        + "&flexpa_ial2_mode=true";
    let refused = browser.get(url).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FOUND);
    let location = header(&refused, "location");
    assert!(
        location.starts_with(REDIRECT) && location.contains("error=invalid_request"),
        "{location}"
    );
    // An unknown scope is still refused.
    let url = client
        .authorization_url(REDIRECT, &verifier.challenge(), "user-1")
        .unwrap()
        .scope("launch/patient patient/*.write")
        .build()
        .unwrap();
    let refused = browser.get(url).send().await.unwrap();
    assert!(header(&refused, "location").contains("error=invalid_scope"));
}
