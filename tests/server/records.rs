//! The records half of the server client against stand-ins on 127.0.0.1: FHIR reads,
//! searches and paging (and the limits on paging), Flexpa's two 429s and its 422, the FHIR
//! body cap, application tokens (cache, one request for many callers, no cached failure),
//! and no credential in any error in any encoding.

use crate::standin;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use flexpa_link::server::fhir::Bundle;
use flexpa_link::server::{AccessToken, Client, ClientBuilder, Error, SecretKey};
use flexpa_link::PublishableKey;
use serde_json::{json, Value};
use standin::{
    assert_no_secret_in, echoed_forms, Recorded, Reply, Standin, PUBLISHABLE_KEY, SECRET_KEY,
};

const ACCESS: &str = "eyJhbGciOiJFUzI1NiJ9.PATIENT/ACCESS+TOKEN=\"x\".sig";

fn builder(url: &str) -> ClientBuilder {
    Client::builder(SecretKey::new(SECRET_KEY).unwrap())
        .base_url(url)
        .publishable_key(PublishableKey::new(PUBLISHABLE_KEY).unwrap())
        .timeout(Duration::from_secs(5))
}

fn access() -> AccessToken {
    AccessToken::new(ACCESS).unwrap()
}

fn outcome(code: &str, diagnostics: &str) -> Value {
    json!({"resourceType": "OperationOutcome",
           "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}]})
}

fn bundle(ids: &[&str], next: Option<&str>) -> Value {
    let mut links = vec![json!({"relation": "self", "url": "ignored"})];
    if let Some(next) = next {
        links.push(json!({"relation": "next", "url": next}));
    }
    json!({
        "resourceType": "Bundle", "type": "searchset", "total": 99, "link": links,
        "entry": ids.iter().map(|id| json!({"fullUrl": format!("x/{id}"),
            "resource": {"resourceType": "ExplanationOfBenefit", "id": id}})).collect::<Vec<_>>(),
    })
}

/// A stand-in whose handler also knows its own URL (for absolute next links).
async fn standin_with_url(
    handler: impl Fn(&Recorded, &str) -> Reply + Send + Sync + 'static,
) -> Standin {
    let own = Arc::new(OnceLock::<String>::new());
    let seen = own.clone();
    let s = Standin::scripted(move |r| handler(r, seen.get().map_or("", String::as_str))).await;
    own.set(s.url()).unwrap();
    s
}

fn ids(resources: &[Value]) -> Vec<&str> {
    resources
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn read_sends_the_bearer_token_to_the_fhir_path_and_returns_your_type() {
    let s = Standin::always(Reply::json(
        200,
        &json!({"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01"}),
    ))
    .await;
    let fhir = builder(&s.url()).build().unwrap().fhir(&access());

    let patient: Value = fhir.read("Patient", "$PATIENT_ID").await.unwrap();
    assert_eq!(patient["id"], "p1");

    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Patient {
        id: String,
        birth_date: String,
    }
    let typed: Patient = fhir.read("Patient", "p1").await.unwrap();
    assert_eq!(
        (typed.id.as_str(), typed.birth_date.as_str()),
        ("p1", "1970-01-01")
    );

    let requests = s.requests();
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/fhir/Patient/$PATIENT_ID");
    assert_eq!(requests[0].bearer(), Some(ACCESS));
    assert_eq!(
        requests[0].header("accept"),
        Some("application/fhir+json, application/json")
    );
    assert_eq!(requests[1].path, "/fhir/Patient/p1");
}

#[tokio::test]
async fn search_encodes_parameters_and_repeated_keys_and_returns_one_bundle() {
    let s = Standin::always(Reply::json(200, &bundle(&["a", "b"], Some("/fhir/next")))).await;
    let fhir = builder(&format!("{}/", s.url()))
        .build()
        .unwrap()
        .fhir(&access());
    let page: Bundle = fhir
        .search(
            "ExplanationOfBenefit",
            &[("patient", "$PATIENT_ID"), ("code", "a b&c"), ("code", "d")],
        )
        .await
        .unwrap();
    assert_eq!(
        ids(&page.resources().cloned().collect::<Vec<_>>()),
        ["a", "b"]
    );
    assert_eq!(page.total, Some(99));
    assert_eq!(page.next_link(), Some("/fhir/next"));
    let r = &s.requests()[0];
    assert_eq!(r.path, "/fhir/ExplanationOfBenefit");
    assert_eq!(
        r.query.as_deref(),
        Some("patient=%24PATIENT_ID&code=a+b%26c&code=d")
    );
    assert_eq!(s.request_count(), 1, "search reads one page only");
}

#[tokio::test]
async fn search_all_follows_absolute_and_relative_next_links_in_order() {
    let s = standin_with_url(|r, own| {
        let page = r.query.as_deref().unwrap_or_default();
        Reply::json(
            200,
            &match page {
                q if q.starts_with("patient=") => {
                    bundle(&["1", "2"], Some(&format!("{own}/fhir/EOB?page=2")))
                }
                "page=2" => bundle(&["3"], Some("ExplanationOfBenefit?page=3")),
                "page=3" => bundle(&["4", "5"], None),
                _ => outcome("not-found", "no such page"),
            },
        )
    })
    .await;
    let fhir = builder(&s.url()).build().unwrap().fhir(&access());
    let all: Vec<Value> = fhir
        .search_all("ExplanationOfBenefit", &[("patient", "$PATIENT_ID")])
        .await
        .unwrap();
    assert_eq!(ids(&all), ["1", "2", "3", "4", "5"]);
    let requests = s.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2].path, "/fhir/ExplanationOfBenefit");
    assert!(requests.iter().all(|r| r.bearer() == Some(ACCESS)));

    // The streaming form reads a page only when asked.
    let mut pages = fhir.search_pages::<Value>("ExplanationOfBenefit", &[("patient", "x")]);
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(first.entry.len(), 2);
    assert_eq!(s.request_count(), 4);
    assert!(pages.next().await.unwrap().is_some());
    assert!(pages.next().await.unwrap().is_some());
    assert!(pages.next().await.unwrap().is_none());
    assert_eq!(pages.pages_read(), 3);
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_refused_and_gets_no_token() {
    let elsewhere = Standin::always(Reply::json(200, &bundle(&["stolen"], None))).await;
    let foreign = [
        format!("{}/fhir/EOB?page=2", elsewhere.url()),
        // Same host, other port; and another scheme on the same host and port.
        elsewhere.url().replace("127.0.0.1", "localhost") + "/fhir/x",
        "https://evil.example/fhir/EOB?page=2".to_owned(),
    ];
    for link in foreign {
        let next = link.clone();
        let s = Standin::always(Reply::json(200, &bundle(&["1"], Some(&next)))).await;
        let fhir = builder(&s.url()).build().unwrap().fhir(&access());
        let err = fhir
            .search_all::<Value>("ExplanationOfBenefit", &[])
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::ForeignNextLink { .. }),
            "{link}: {err:?}"
        );
        assert!(err.to_string().contains("another origin"), "{err}");
        assert_no_secret_in(&err, &[ACCESS]);
    }
    assert_eq!(
        elsewhere.request_count(),
        0,
        "the token went to another origin"
    );

    // The same origin with another scheme is another origin too.
    let s = standin_with_url(|_, own| {
        Reply::json(
            200,
            &bundle(&["1"], Some(&own.replace("http://", "https://"))),
        )
    })
    .await;
    let err = builder(&s.url())
        .build()
        .unwrap()
        .fhir(&access())
        .search_all::<Value>("Coverage", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ForeignNextLink { .. }), "{err:?}");
}

#[tokio::test]
async fn a_next_link_loop_ends_with_an_error_not_a_hang() {
    let s = standin_with_url(|r, own| {
        let next = match r.query.as_deref() {
            Some("page=2") => format!("{own}/fhir/Coverage?page=3"),
            // Page 3 points back to page 2.
            _ => format!("{own}/fhir/Coverage?page=2"),
        };
        Reply::json(200, &bundle(&["x"], Some(&next)))
    })
    .await;
    let err = builder(&s.url())
        .build()
        .unwrap()
        .fhir(&access())
        .search_all::<Value>("Coverage", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PagingLoop { page: 3 }), "{err:?}");
    assert_eq!(s.request_count(), 3);
}

#[tokio::test]
async fn the_page_cap_is_configurable_and_typed() {
    let n = Arc::new(AtomicUsize::new(0));
    let count = n.clone();
    let s = standin_with_url(move |_, own| {
        let i = count.fetch_add(1, Ordering::SeqCst);
        Reply::json(
            200,
            &bundle(&["x"], Some(&format!("{own}/fhir/Coverage?page={}", i + 2))),
        )
    })
    .await;
    let client = builder(&s.url()).max_pages(5).build().unwrap();
    let err = client
        .fhir(&access())
        .search_all::<Value>("Coverage", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooManyPages { limit: 5 }), "{err:?}");
    assert_eq!(s.request_count(), 5);
    // Per handle, too.
    let err = client
        .fhir(&access())
        .max_pages(2)
        .search_all::<Value>("Coverage", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooManyPages { limit: 2 }), "{err:?}");
}

#[tokio::test]
async fn still_syncing_is_waited_out_as_told_then_the_data_arrives() {
    let syncing = |h: &str| {
        Reply::json(429, &outcome("transient", "Patient data is still syncing")).with_header(h, "0")
    };
    let s = Standin::sequence(vec![
        syncing("retry-after"),
        syncing("x-retry-after"),
        Reply::json(200, &json!({"resourceType": "Patient", "id": "p"})),
    ])
    .await;
    // No 429 retries at all: the sync wait has its own budget.
    let client = builder(&s.url()).max_retries(0).build().unwrap();
    let patient: Value = client
        .fhir(&access())
        .read("Patient", "$PATIENT_ID")
        .await
        .unwrap();
    assert_eq!(patient["id"], "p");
    assert_eq!(s.request_count(), 3);
}

#[tokio::test]
async fn a_sync_that_outlasts_the_budget_says_still_syncing() {
    let s = Standin::always(
        Reply::json(429, &outcome("transient", "still syncing")).with_header("x-retry-after", "1"),
    )
    .await;
    let client = builder(&s.url())
        .sync_wait(Duration::from_millis(1500))
        .build()
        .unwrap();
    let err = client
        .fhir(&access())
        .read::<Value>("Patient", "$PATIENT_ID")
        .await
        .unwrap_err();
    match &err {
        Error::StillSyncing {
            retry_after,
            waited,
        } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(1)));
            assert!(*waited >= Duration::from_secs(1), "{waited:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("still syncing"), "{err}");
    assert!(err.is_transient());
    assert_eq!(
        s.request_count(),
        2,
        "one wait of 1 s fits in 1.5 s, a second does not"
    );

    // A zero budget answers at once, for a page that shows "syncing" and polls.
    let err = client
        .fhir(&access())
        .sync_wait(Duration::ZERO)
        .read::<Value>("Patient", "$PATIENT_ID")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StillSyncing { .. }), "{err:?}");
    assert_eq!(s.request_count(), 3);
}

#[tokio::test]
async fn rate_limiting_has_its_own_budget_and_its_own_error() {
    // `throttled`, and a 429 that is not an OperationOutcome, are rate limits.
    for body in [
        outcome("throttled", "slow down"),
        json!({"message": "Too Many Requests"}),
    ] {
        let s = Standin::always(Reply::json(429, &body).with_header("retry-after", "0")).await;
        let client = builder(&s.url()).max_retries(2).build().unwrap();
        let err = client
            .fhir(&access())
            .read::<Value>("Patient", "p")
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::RateLimited { attempts: 3, .. }),
            "{err:?}"
        );
        assert_eq!(s.request_count(), 3);
    }

    // Syncing, then throttled, then data: each budget is spent on its own kind.
    let s = Standin::sequence(vec![
        Reply::json(429, &outcome("transient", "")).with_header("retry-after", "0"),
        Reply::json(429, &outcome("throttled", "")).with_header("retry-after", "0"),
        Reply::json(429, &outcome("transient", "")).with_header("retry-after", "0"),
        Reply::json(200, &bundle(&["ok"], None)),
    ])
    .await;
    let client = builder(&s.url()).max_retries(1).build().unwrap();
    let page: Bundle = client
        .fhir(&access())
        .search("Coverage", &[])
        .await
        .unwrap();
    assert_eq!(page.entry.len(), 1);
}

#[tokio::test]
async fn a_failed_sync_is_a_typed_error_and_never_retried() {
    let s = Standin::always(Reply::json(
        422,
        &outcome("processing", "Sync with the health plan failed"),
    ))
    .await;
    let err = builder(&s.url())
        .build()
        .unwrap()
        .fhir(&access())
        .everything::<Value>()
        .await
        .unwrap_err();
    match &err {
        Error::SyncFailed(api) => {
            assert_eq!(api.status().as_u16(), 422);
            assert_eq!(api.error(), Some("processing"));
            assert_eq!(api.message(), Some("Sync with the health plan failed"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_transient());
    assert_eq!(s.request_count(), 1);
    assert_eq!(
        s.requests()[0].path,
        "/fhir/Patient/$PATIENT_ID/$everything"
    );
}

#[tokio::test]
async fn other_statuses_are_api_errors_with_the_outcome() {
    for (status, code) in [
        (401, "login"),
        (403, "forbidden"),
        (404, "not-supported"),
        (418, "x"),
        (503, "exception"),
    ] {
        let s = Standin::always(Reply::json(status, &outcome(code, "because"))).await;
        let err = builder(&s.url())
            .build()
            .unwrap()
            .fhir(&access())
            .capability_statement::<Value>()
            .await
            .unwrap_err();
        let api = err.api().unwrap_or_else(|| panic!("{status}: {err:?}"));
        assert_eq!((api.status().as_u16(), api.error()), (status, Some(code)));
        assert!(matches!(err, Error::Api(_)));
        assert_eq!(s.requests()[0].path, "/fhir/metadata");
    }
}

#[tokio::test]
async fn fhir_bodies_have_their_own_cap_enforced_while_streaming() {
    // 2 MiB: over the 1 MiB cap of the token calls, well under the FHIR cap.
    let big =
        json!({"resourceType": "Bundle", "entry": [{"resource": {"id": "x".repeat(2 << 20)}}]});
    let s = Standin::always(Reply::json(200, &big)).await;
    let client = builder(&s.url()).build().unwrap();
    let page: Bundle = client.fhir(&access()).everything().await.unwrap();
    assert_eq!(page.entry.len(), 1);

    // Announced too large: refused before reading.
    let client = builder(&s.url())
        .max_fhir_response_bytes(1 << 20)
        .build()
        .unwrap();
    let err = client
        .fhir(&access())
        .everything::<Value>()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit, .. } if limit == 1 << 20),
        "{err:?}"
    );

    // No Content-Length, an endless body: stopped at the cap, not buffered.
    let s = Standin::always(Reply::Stream {
        status: 200,
        chunk_size: 64 * 1024,
        chunks: 10_000,
    })
    .await;
    let client = builder(&s.url())
        .max_fhir_response_bytes(4 << 20)
        .build()
        .unwrap();
    let err = client
        .fhir(&access())
        .everything::<Value>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
    assert!(
        s.bytes_written() < 64 << 20,
        "the client read {} bytes",
        s.bytes_written()
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let s = Standin::always(Reply::json(200, &json!({"resourceType": "Patient"}))).await;
    let fhir = builder(&s.url()).build().unwrap().fhir(&access());
    for (resource_type, id) in [
        ("Patient/x", "1"),
        ("", "1"),
        ("Patient", "../../link/revoke"),
        ("Patient", ""),
    ] {
        let err = fhir.read::<Value>(resource_type, id).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput(_)),
            "{resource_type} {id}: {err:?}"
        );
    }
    let err = fhir
        .search_all::<Value>("../Patient", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    // A resource that is not a Bundle where one is expected.
    let err = fhir.search::<Value>("Patient", &[]).await.unwrap_err();
    assert!(matches!(err, Error::InvalidResponse { .. }), "{err:?}");
    assert_eq!(s.request_count(), 1);
}

#[tokio::test]
async fn no_error_shows_the_access_token_in_any_encoding() {
    for echoed in echoed_forms(ACCESS) {
        for status in [400, 401, 403, 404, 422, 500] {
            let body = json!({"resourceType": "OperationOutcome", "issue": [{
                "code": format!("bad {echoed}"), "diagnostics": format!("token {echoed} is bad")}]});
            // Raw text too, since JSON escaping would hide a raw echo.
            let text = format!("nope: {echoed}");
            for reply in [
                Reply::json(status, &body),
                Reply::raw(status, "text/plain", text),
            ] {
                let s = Standin::always(reply).await;
                let err = builder(&s.url())
                    .build()
                    .unwrap()
                    .fhir(&access())
                    .read::<Value>("Patient", "p")
                    .await
                    .unwrap_err();
                let mut all = echoed_forms(ACCESS);
                all.push("ACCESS+TOKEN".into());
                assert_no_secret_in(&err, &all.iter().map(String::as_str).collect::<Vec<_>>());
            }
        }
    }
    // A 200 whose value does not fit the caller's type, quoting the token.
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    enum Kind {
        Patient,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Typed {
        kind: Kind,
    }
    let s = Standin::always(Reply::json(200, &json!({"kind": ACCESS}))).await;
    let err = builder(&s.url())
        .build()
        .unwrap()
        .fhir(&access())
        .read::<Typed>("Patient", "p")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidResponse { .. }), "{err:?}");
    assert_no_secret_in(&err, &["ACCESS+TOKEN"]);
}

// ---------------------------------------------------------------------------------------------
// Application tokens (client_credentials).

fn app_token(n: usize, expires_in: u64) -> Reply {
    Reply::json(
        200,
        &json!({"access_token": format!("app-token-{n}"), "expires_in": expires_in, "token_type": "Bearer"}),
    )
}

#[tokio::test]
async fn application_token_sends_client_credentials_and_is_cached() {
    let s = Standin::sequence(vec![app_token(1, 1800), app_token(2, 1800)]).await;
    let client = builder(&s.url()).build().unwrap();
    let a = client.application_token().await.unwrap();
    let b = client.clone().application_token().await.unwrap();
    assert_eq!(a.expose_secret(), "app-token-1");
    assert_eq!(a, b);
    assert_eq!(s.request_count(), 1, "the second call used the cache");
    let r = &s.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/link/token")
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), json!({"grant_type": "client_credentials"}));
    assert_eq!(
        r.basic(),
        Some((PUBLISHABLE_KEY.to_owned(), SECRET_KEY.to_owned()))
    );

    // The uncached form always asks.
    let fresh = client.request_application_token().await.unwrap();
    assert_eq!(fresh.expires_in, 1800);
    assert_eq!(s.request_count(), 2);
}

#[tokio::test]
async fn sixty_four_concurrent_callers_share_one_request() {
    let s = Standin::always(app_token(1, 1800).delayed(Duration::from_millis(300))).await;
    let client = builder(&s.url()).build().unwrap();
    let calls = (0..64).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.application_token().await })
    });
    for call in calls.collect::<Vec<_>>() {
        assert_eq!(call.await.unwrap().unwrap().expose_secret(), "app-token-1");
    }
    assert_eq!(s.request_count(), 1);
}

#[tokio::test]
async fn a_failed_fetch_is_not_cached_and_an_expiring_token_is_renewed() {
    let s = Standin::sequence(vec![
        Reply::flexpa_error(503, "try later"),
        app_token(1, 1),
        app_token(2, 1800),
    ])
    .await;
    let client = builder(&s.url()).build().unwrap();
    let err = client.application_token().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(
        client.application_token().await.unwrap().expose_secret(),
        "app-token-1"
    );
    // A 1 s token stops being handed out before it expires.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        client.application_token().await.unwrap().expose_secret(),
        "app-token-2"
    );
    assert_eq!(s.request_count(), 3);
}

#[tokio::test]
async fn application_token_errors_hide_the_basic_credential_in_every_form() {
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{PUBLISHABLE_KEY}:{SECRET_KEY}"));
    let mut leaks = echoed_forms(SECRET_KEY);
    leaks.extend(echoed_forms(&basic));
    for leak in &leaks {
        let s = Standin::always(Reply::flexpa_error(
            403,
            &format!("test keys cannot: {leak}"),
        ))
        .await;
        let err = builder(&s.url())
            .build()
            .unwrap()
            .application_token()
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
        assert_no_secret_in(&err, &leaks.iter().map(String::as_str).collect::<Vec<_>>());
    }
    // Without the publishable key there is no request.
    let s = Standin::always(app_token(1, 1800)).await;
    let client = Client::builder(SecretKey::new(SECRET_KEY).unwrap())
        .base_url(s.url())
        .build()
        .unwrap();
    assert!(matches!(
        client.application_token().await,
        Err(Error::InvalidKey(_))
    ));
    assert_eq!(s.request_count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Webhooks: vectors computed here from the documented scheme, independently of the crate.

mod webhooks {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use flexpa_link::server::webhooks::{
        signature_header, verify, verify_at, EventKind, WebhookError, WebhookSecret,
    };
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    const SECRET: &str = "whsec_test_Q2hhbmdlTWUxMjM0NTY3ODkw";
    const T: u64 = 1_704_067_200;
    const BODY: &[u8] = br#"{"event_id":"5b0e0b8c-3f6e-4f7a-9e3a-000000000001","event":"sync_completed","version":1,"timestamp":1704067200000,"data":{"mode":"test","external_id":"user_123","patient_authorization_id":"pa-1","consent_id":"c-1"}}"#;

    fn secret() -> WebhookSecret {
        WebhookSecret::new(SECRET).unwrap()
    }

    /// HMAC-SHA256 keyed with the secret over `"{t}.{body}"`, lowercase hex.
    fn documented_signature(secret: &str, t: u64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn header() -> String {
        format!("t={T},v1={}", documented_signature(SECRET, T, BODY))
    }

    #[test]
    fn a_documented_signature_verifies_and_the_event_is_typed() {
        assert_eq!(signature_header(&secret(), T, BODY), header());
        let event = verify_at(&secret(), &header(), BODY, at(T + 10)).unwrap();
        assert_eq!(event.kind, EventKind::SyncCompleted);
        assert_eq!(event.id, "5b0e0b8c-3f6e-4f7a-9e3a-000000000001");
        assert_eq!(event.timestamp, Some(1_704_067_200_000));
        assert_eq!(event.data.external_id.as_deref(), Some("user_123"));
        assert_eq!(event.data.consent_id.as_deref(), Some("c-1"));
        assert_eq!(event.data.mode.as_deref(), Some("test"));
        // With the real clock, a fresh signature verifies.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let fresh = format!("t={now},v1={}", documented_signature(SECRET, now, BODY));
        assert!(verify(&secret(), &fresh, BODY).is_ok());
    }

    #[test]
    fn the_tolerance_is_five_minutes_both_ways() {
        for now in [T - 300, T + 300, T] {
            assert!(
                verify_at(&secret(), &header(), BODY, at(now)).is_ok(),
                "{now}"
            );
        }
        // A replay six minutes later, and a timestamp from the future.
        for (now, skew) in [(T + 301, -301), (T + 3600, -3600), (T - 301, 301)] {
            let err = verify_at(&secret(), &header(), BODY, at(now)).unwrap_err();
            assert_eq!(err, WebhookError::OutsideTolerance { skew_secs: skew });
        }
    }

    #[test]
    fn tampering_and_wrong_secrets_are_refused() {
        let tampered = String::from_utf8(BODY.to_vec())
            .unwrap()
            .replace("user_123", "user_124");
        let cases: Vec<(String, Vec<u8>)> = vec![
            (header(), tampered.into_bytes()),
            (header(), [BODY, b" "].concat()),
            // Signed with another secret, or for another timestamp.
            (
                format!("t={T},v1={}", documented_signature("other", T, BODY)),
                BODY.to_vec(),
            ),
            (
                format!("t={T},v1={}", documented_signature(SECRET, T + 1, BODY)),
                BODY.to_vec(),
            ),
            // The signature in upper case hex is the same bytes; a flipped digit is not.
            (
                header().replacen("v1=", "v1=0", 1)[..header().len()].to_owned(),
                BODY.to_vec(),
            ),
        ];
        for (h, body) in cases {
            let err = verify_at(&secret(), &h, &body, at(T)).unwrap_err();
            assert!(
                matches!(
                    err,
                    WebhookError::SignatureMismatch | WebhookError::MalformedHeader(_)
                ),
                "{h}: {err:?}"
            );
        }
        // Several signatures (a secret being rotated): one match is enough.
        let rotated = format!(
            "t={T}, v1={}, v1={}, v0=legacy",
            documented_signature("old-secret", T, BODY),
            documented_signature(SECRET, T, BODY).to_uppercase()
        );
        assert!(verify_at(&secret(), &rotated, BODY, at(T)).is_ok());
    }

    #[test]
    fn malformed_headers_are_typed_errors_not_panics() {
        let sig = documented_signature(SECRET, T, BODY);
        let long = "v1=00,".repeat(2000);
        let bad = [
            String::new(),
            "garbage".into(),
            format!("v1={sig}"),
            format!("t={T}"),
            format!("t=abc,v1={sig}"),
            format!("t=-5,v1={sig}"),
            format!("t=99999999999999999999999999,v1={sig}"),
            format!("t=18446744073709551615,v1={sig}"),
            format!("t={T},t={T},v1={sig}"),
            format!("t={T},v1=zz{}", &sig[2..]),
            format!("t={T},v1={}", &sig[..10]),
            format!("t={T},v1=é{}", &sig[2..]),
            long,
        ];
        for h in bad {
            let err = verify_at(&secret(), &h, BODY, at(T)).unwrap_err();
            assert!(
                matches!(
                    err,
                    WebhookError::MalformedHeader(_) | WebhookError::OutsideTolerance { .. }
                ),
                "{h:.80}: {err:?}"
            );
            assert!(!err.to_string().contains(SECRET));
        }
    }

    #[test]
    fn bodies_that_are_not_events_are_refused_after_the_signature() {
        for body in [&b"not json"[..], b"{}", b"[1,2]", b"{\"event\":5}"] {
            let h = signature_header(&secret(), T, body);
            let err = verify_at(&secret(), &h, body, at(T)).unwrap_err();
            assert!(matches!(err, WebhookError::InvalidBody(_)), "{err:?}");
        }
        // Unknown events and fields pass through.
        let body = br#"{"event":"patient_linked","event_id":"e","data":{"endpoint_status":"BROKEN"},"new":1}"#;
        let event = verify_at(
            &secret(),
            &signature_header(&secret(), T, body),
            body,
            at(T),
        )
        .unwrap();
        assert_eq!(event.kind, EventKind::Other("patient_linked".into()));
        assert_eq!(event.data.other["endpoint_status"], "BROKEN");
    }

    #[test]
    fn the_secret_never_prints() {
        let s = secret();
        assert_eq!(
            format!("{s:?} {s} {s:#?}"),
            "WebhookSecret(<redacted>) <redacted> WebhookSecret(<redacted>)"
        );
        let err = WebhookSecret::new("has space inside").unwrap_err();
        assert!(!err.to_string().contains("space inside"));
        assert!(WebhookSecret::new("").is_err());
        assert_eq!(WebhookSecret::new(format!(" {SECRET}\n")).unwrap(), s);
    }
}

#[tokio::test]
async fn large_reads_can_keep_each_resource_as_json_text() {
    use flexpa_link::server::fhir::RawResource;
    let s = Standin::always(Reply::json(200, &bundle(&["a", "b", "c"], None))).await;
    let fhir = builder(&s.url()).build().unwrap().fhir(&access());
    let everything: Bundle<RawResource> = fhir.everything().await.unwrap();
    let raw: Vec<&RawResource> = everything.resources().collect();
    assert_eq!(raw.len(), 3);
    assert_eq!(raw[1].id().as_deref(), Some("b"));
    assert_eq!(
        raw[1].resource_type().as_deref(),
        Some("ExplanationOfBenefit")
    );
    assert_eq!(
        raw[1].json(),
        r#"{"id":"b","resourceType":"ExplanationOfBenefit"}"#
    );
    let parsed: Value = raw[2].parse().unwrap();
    assert_eq!(parsed["id"], "c");
    // Paged searches too.
    let all: Vec<RawResource> = fhir.search_all("ExplanationOfBenefit", &[]).await.unwrap();
    assert_eq!(all.len(), 3);
}

#[tokio::test]
async fn a_zero_retry_after_does_not_turn_the_sync_wait_into_a_busy_loop() {
    let s = Standin::always(
        Reply::json(429, &outcome("transient", "")).with_header("retry-after", "0"),
    )
    .await;
    let client = builder(&s.url())
        .sync_wait(Duration::from_secs(1))
        .build()
        .unwrap();
    let err = client
        .fhir(&access())
        .read::<Value>("Patient", "p")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StillSyncing { .. }), "{err:?}");
    // One request, then one every 250 ms at most within the 1 s budget.
    assert!(s.request_count() <= 5, "{} requests", s.request_count());
}

#[tokio::test]
async fn an_absurd_application_token_lifetime_is_capped_not_a_panic() {
    let s = Standin::always(app_token(1, u64::MAX)).await;
    let client = builder(&s.url()).build().unwrap();
    assert_eq!(
        client.application_token().await.unwrap().expose_secret(),
        "app-token-1"
    );
    assert_eq!(
        client.application_token().await.unwrap().expose_secret(),
        "app-token-1"
    );
    assert_eq!(s.request_count(), 1);
}
