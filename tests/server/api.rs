//! The server client against the offline sandbox of Flexpa (behind the recording stand-in) on
//! 127.0.0.1, and against scripted answers:
//! exact requests (method, path, headers, body, auth) and every success shape.

use crate::standin;

use std::time::Duration;

use flexpa_link::pkce::{AuthorizationCode, Callback, CodeVerifier};
use flexpa_link::server::{
    AccessToken, Client, ClientBuilder, Error, LinkState, RefreshExpiry, RefreshToken, SecretKey,
    TimeUntilMaxAuth, USER_AGENT_VALUE,
};
use flexpa_link::{PublicToken, PublishableKey};
use serde_json::json;
use standin::{
    mint_public_token, Reply, Standin, Usage, PUBLISHABLE_KEY, REFRESHABLE_PLAN, SECRET_KEY,
};

fn builder(url: &str) -> ClientBuilder {
    Client::builder(SecretKey::new(SECRET_KEY).unwrap())
        .base_url(url)
        .timeout(Duration::from_secs(5))
}

fn client(url: &str) -> Client {
    builder(url)
        .publishable_key(PublishableKey::new(PUBLISHABLE_KEY).unwrap())
        .build()
        .unwrap()
}

fn token(s: &str) -> PublicToken {
    PublicToken::new(s).unwrap()
}

/// The headers every call sends.
fn assert_common_headers(r: &standin::Recorded) {
    assert_eq!(r.header("user-agent"), Some(USER_AGENT_VALUE));
    assert!(USER_AGENT_VALUE.starts_with("flexpa-link/0."));
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(r.header_count("user-agent"), 1);
}

#[tokio::test]
async fn exchange_sends_the_exact_request_and_parses_the_full_response() {
    let sandbox = standin::sandbox();
    let server = Standin::faithful(&sandbox).await;
    let public = mint_public_token(&sandbox, REFRESHABLE_PLAN, Usage::Multiple, "user-1");

    let tokens = client(&server.url())
        .exchange(&token(&public))
        .await
        .unwrap();

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), r.query.as_deref()),
        ("POST", "/link/exchange", None)
    );
    assert_common_headers(r);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("authorization"), None);
    assert_eq!(
        r.json(),
        json!({"public_token": public, "secret_key": SECRET_KEY})
    );
    assert_eq!(
        r.header("content-length"),
        Some(r.body.len().to_string().as_str())
    );

    // Shaped like Flexpa's: a JWT access token, an opaque refresh token.
    assert_eq!(tokens.access_token.expose_secret().split('.').count(), 3);
    assert_eq!(tokens.expires_in, 1800);
    assert_eq!(tokens.expires_after(), Duration::from_secs(1800));
    assert_eq!(
        tokens.refresh_token.as_ref().unwrap().expose_secret().len(),
        43
    );
    assert_eq!(tokens.refresh_expires_in, Some(RefreshExpiry::Never));
    assert!(tokens.patient.as_deref().unwrap().starts_with("Patient/"));
    assert_eq!(
        tokens.patient_id(),
        tokens.patient.as_deref().unwrap().strip_prefix("Patient/")
    );
    let endpoint = tokens.endpoint.as_ref().unwrap();
    assert_eq!(endpoint.id, "8d1c2f4e-5b6a-4c3d-9e8f-0a1b2c3d4e5f");
    assert_eq!(endpoint.name, REFRESHABLE_PLAN);
    assert_eq!(
        endpoint.label,
        vec!["Evergreen Health", "Evergreen Health PPO"]
    );
    assert!(endpoint.refreshable);
    assert_eq!(
        endpoint.resources,
        vec!["Patient", "Coverage", "ExplanationOfBenefit"]
    );
    // A refreshable plan's authorization lasts until revoked.
    assert_eq!(tokens.time_until_max_auth, TimeUntilMaxAuth::Indefinite);
}

#[tokio::test]
async fn exchange_minimal_response_without_refresh_token() {
    let server = Standin::always(Reply::json(
        200,
        &json!({"access_token": "acc_min", "expires_in": 600, "refresh_expires_in": null}),
    ))
    .await;
    let tokens = client(&server.url())
        .exchange(&token("public_token_min"))
        .await
        .unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "acc_min");
    assert_eq!(tokens.expires_in, 600);
    assert!(tokens.refresh_token.is_none());
    assert!(tokens.refresh_expires_in.is_none());
    assert!(tokens.patient.is_none() && tokens.patient_id().is_none());
    assert!(tokens.endpoint.is_none());
    assert_eq!(tokens.time_until_max_auth, TimeUntilMaxAuth::Unknown);
}

#[tokio::test]
async fn one_time_usage_exchange_has_null_refresh_fields() {
    let sandbox = standin::sandbox();
    let server = Standin::faithful(&sandbox).await;
    let public = mint_public_token(&sandbox, REFRESHABLE_PLAN, Usage::OneTime, "u");
    let tokens = client(&server.url())
        .exchange(&token(&public))
        .await
        .unwrap();
    assert!(tokens.refresh_token.is_none());
    assert_eq!(tokens.refresh_expires_in, None);
}

async fn exchange_with_time_until_max_auth(value: serde_json::Value) -> TimeUntilMaxAuth {
    let body = json!({"access_token": "acc", "expires_in": 1800, "patient": "Patient/p1",
                      "timeUntilMaxAuth": value});
    let server = Standin::always(Reply::json(200, &body)).await;
    client(&server.url())
        .exchange(&token("public_token_t"))
        .await
        .unwrap()
        .time_until_max_auth
}

#[tokio::test]
async fn time_until_max_auth_as_seconds() {
    let t = exchange_with_time_until_max_auth(json!(86400)).await;
    assert_eq!(t, TimeUntilMaxAuth::Seconds(86400));
    assert_eq!(t.as_duration(), Some(Duration::from_secs(86400)));
}

#[tokio::test]
async fn time_until_max_auth_indefinite() {
    let t = exchange_with_time_until_max_auth(json!("indefinite")).await;
    assert_eq!(t, TimeUntilMaxAuth::Indefinite);
    assert_eq!(t.as_duration(), None);
}

#[tokio::test]
async fn time_until_max_auth_unknown() {
    assert_eq!(
        exchange_with_time_until_max_auth(json!("unknown")).await,
        TimeUntilMaxAuth::Unknown
    );
}

#[tokio::test]
async fn time_until_max_auth_odd_values_are_tolerated() {
    for odd in [
        json!(null),
        json!(-1),
        json!("soon"),
        json!(true),
        json!({"s": 1}),
        json!([1]),
    ] {
        assert_eq!(
            exchange_with_time_until_max_auth(odd.clone()).await,
            TimeUntilMaxAuth::Unknown,
            "{odd}"
        );
    }
    assert_eq!(
        exchange_with_time_until_max_auth(json!(12.7)).await,
        TimeUntilMaxAuth::Seconds(12)
    );
}

#[tokio::test]
async fn unknown_fields_and_odd_endpoint_shapes_do_not_break_parsing() {
    let body = json!({
        "access_token": "acc", "expires_in": 1800.0, "patient": "Patient/abc",
        "newTopLevelField": {"deep": [1, 2, {"x": null}]}, "another": "value",
        "endpoint": {"id": "ep", "label": "Single Label", "name": "n", "refreshable": null,
                     "resources": null, "logo": "https://x"},
        "refresh_token": "", "refresh_expires_in": 3600
    });
    let server = Standin::always(Reply::json(200, &body)).await;
    let t = client(&server.url())
        .exchange(&token("public_token_x"))
        .await
        .unwrap();
    assert_eq!(t.expires_in, 1800);
    assert_eq!(t.patient_id(), Some("abc"));
    let e = t.endpoint.unwrap();
    assert_eq!(e.label, vec!["Single Label"]);
    assert!(!e.refreshable && e.resources.is_empty());
    assert!(
        t.refresh_token.is_none(),
        "an empty refresh token means none"
    );
    assert_eq!(
        t.refresh_expires_in,
        Some(RefreshExpiry::After(Duration::from_secs(3600)))
    );
}

#[tokio::test]
async fn a_public_token_is_single_use() {
    let sandbox = standin::sandbox();
    let server = Standin::faithful(&sandbox).await;
    let c = client(&server.url());
    let public = token(&mint_public_token(
        &sandbox,
        REFRESHABLE_PLAN,
        Usage::OneTime,
        "u",
    ));
    c.exchange(&public).await.unwrap();
    let err = c.exchange(&public).await.unwrap_err();
    let api_err = err.api().expect("an API error");
    assert_eq!(api_err.status().as_u16(), 400);
    assert_eq!(
        api_err.message(),
        Some("Invalid public token. Public token has already been used.")
    );
    assert_eq!(server.request_count(), 2, "a 400 is not retried");
}

#[tokio::test]
async fn introspect_sends_the_bearer_token_and_parses_every_field() {
    let sandbox = standin::sandbox();
    let server = Standin::faithful(&sandbox).await;
    let c = client(&server.url());
    let tokens = c
        .exchange(&token(&mint_public_token(
            &sandbox,
            REFRESHABLE_PLAN,
            Usage::OneTime,
            "ext-42",
        )))
        .await
        .unwrap();

    let info = c.introspect(&tokens.access_token).await.unwrap();

    let r = &server.requests()[1];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("GET", "/link/introspect")
    );
    assert_common_headers(r);
    assert_eq!(r.bearer(), Some(tokens.access_token.expose_secret()));
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-type"), None);

    assert!(info.jti.as_deref().is_some_and(|j| !j.is_empty()));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let iat = info.iat.unwrap();
    assert!(iat.abs_diff(now) < 60, "issued now: {iat} vs {now}");
    assert_eq!(info.exp, Some(iat + 1800));
    assert!(info.expires_at().unwrap() > info.issued_at().unwrap());
    assert_eq!(info.patient, tokens.patient);
    assert_eq!(info.patient_id(), tokens.patient_id());
    assert_eq!(info.state, Some(LinkState::Exchanged));
    assert_eq!(info.endpoint, tokens.endpoint);
    assert_eq!(info.time_until_max_auth, TimeUntilMaxAuth::Indefinite);
    assert_eq!(info.external_id(), Some("ext-42"));
}

#[tokio::test]
async fn introspect_keeps_an_unknown_state_and_tolerates_a_sparse_body() {
    let server =
        Standin::always(Reply::json(200, &json!({"state": "SUSPENDED", "extra": 1}))).await;
    let info = client(&server.url())
        .introspect(&AccessToken::new("acc").unwrap())
        .await
        .unwrap();
    assert_eq!(info.state, Some(LinkState::Other("SUSPENDED".into())));
    assert_eq!(info.state.as_ref().unwrap().as_str(), "SUSPENDED");
    assert!(info.patient.is_none() && info.user.is_none() && info.iat.is_none());
    assert_eq!(info.time_until_max_auth, TimeUntilMaxAuth::Unknown);
}

#[tokio::test]
async fn every_link_state_is_recognised() {
    for (wire, state) in [
        ("AUTHORIZED", LinkState::Authorized),
        ("EXCHANGED", LinkState::Exchanged),
        ("REFRESHED", LinkState::Refreshed),
        ("REVOKED", LinkState::Revoked),
        ("BOUNCED", LinkState::Bounced),
        ("ABANDONED", LinkState::Abandoned),
        ("ERRORED", LinkState::Errored),
    ] {
        let server = Standin::always(Reply::json(200, &json!({"state": wire}))).await;
        let info = client(&server.url())
            .introspect(&AccessToken::new("acc").unwrap())
            .await
            .unwrap();
        assert_eq!(info.state.as_ref(), Some(&state));
        assert_eq!(info.state.unwrap().to_string(), wire);
    }
}

#[tokio::test]
async fn refresh_sends_basic_auth_and_the_form_body() {
    let sandbox = standin::sandbox();
    let server = Standin::faithful(&sandbox).await;
    let c = client(&server.url());
    let first = c
        .exchange(&token(&mint_public_token(
            &sandbox,
            REFRESHABLE_PLAN,
            Usage::Multiple,
            "u",
        )))
        .await
        .unwrap();
    let refresh = first.refresh_token.clone().unwrap();

    let renewed = c.refresh(&refresh).await.unwrap();

    let r = &server.requests()[1];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/link/token")
    );
    assert_common_headers(r);
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        r.basic(),
        Some((PUBLISHABLE_KEY.to_owned(), SECRET_KEY.to_owned()))
    );
    assert_eq!(
        r.form(),
        vec![
            ("grant_type".to_owned(), "refresh_token".to_owned()),
            (
                "refresh_token".to_owned(),
                refresh.expose_secret().to_owned()
            ),
        ]
    );
    assert!(
        !r.body_str().contains(SECRET_KEY),
        "the secret key goes in the header only"
    );

    assert_ne!(renewed.access_token, first.access_token);
    assert_eq!(renewed.expires_in, 1800);
    // Flexpa's refresh answer has no token_type (the code exchange's has: see the PKCE test).
    assert_eq!(renewed.token_type, None);
    assert!(renewed.refresh_token.is_some());
    assert_eq!(renewed.patient_id(), first.patient_id());
    let info = c.introspect(&renewed.access_token).await.unwrap();
    assert_eq!(info.state, Some(LinkState::Refreshed));
}

#[tokio::test]
async fn refresh_and_code_exchange_need_the_publishable_key_and_send_nothing_without_it() {
    let server = Standin::always(Reply::json(200, &json!({}))).await;
    let c = builder(&server.url()).build().unwrap();
    let err = c
        .refresh(&RefreshToken::new("refresh_1").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidKey(_)), "{err:?}");
    assert!(err.to_string().contains("publishable key"), "{err}");
    let v = CodeVerifier::generate().unwrap();
    let err = c
        .exchange_code(
            &AuthorizationCode::new("code_1").unwrap(),
            &v,
            "https://app.example/cb",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidKey(_)), "{err:?}");
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn a_bad_secret_key_is_a_401_from_flexpa() {
    let sandbox = standin::sandbox();
    let server = Standin::faithful(&sandbox).await;
    let c = Client::builder(SecretKey::new("sk_test_wrongwrongwrong").unwrap())
        .base_url(server.url())
        .build()
        .unwrap();
    let err = c
        .exchange(&token(&mint_public_token(
            &sandbox,
            REFRESHABLE_PLAN,
            Usage::OneTime,
            "u",
        )))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.api().unwrap().error(), Some("Unauthorized"));
    assert_eq!(err.api().unwrap().message(), Some("Invalid secret key."));
    assert!(!err.is_transient());
}

#[tokio::test]
async fn revoke_sends_the_bearer_token_and_secret_key_and_returns_the_count() {
    let sandbox = standin::sandbox();
    let server = Standin::faithful(&sandbox).await;
    let c = client(&server.url());
    let tokens = c
        .exchange(&token(&mint_public_token(
            &sandbox,
            REFRESHABLE_PLAN,
            Usage::OneTime,
            "u",
        )))
        .await
        .unwrap();

    let revoked = c.revoke(&tokens.access_token).await.unwrap();
    assert_eq!(revoked.count, 1);

    let r = &server.requests()[1];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/link/revoke")
    );
    assert_common_headers(r);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.bearer(), Some(tokens.access_token.expose_secret()));
    assert_eq!(r.json(), json!({"secret_key": SECRET_KEY}));

    // A second revoke is refused (Flexpa answers 401 to a call with a revoked token); the
    // token's state shows it.
    let err = c.revoke(&tokens.access_token).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert!(!err.is_transient());
    let info = c.introspect(&tokens.access_token).await.unwrap();
    assert_eq!(info.state, Some(LinkState::Revoked));
    assert!(!info.state.unwrap().is_active());
}

#[tokio::test]
async fn pkce_flow_authorization_url_redirect_and_code_exchange() {
    let sandbox = standin::sandbox();
    let server = Standin::faithful(&sandbox).await;
    let c = client(&server.url());
    let verifier = CodeVerifier::generate().unwrap();
    let state = flexpa_link::pkce::random_state().unwrap();
    let redirect_uri = "http://localhost:3000/callback?from=test";
    let url = c
        .authorization_url(redirect_uri, &verifier.challenge(), "user-7")
        .unwrap()
        .state(&state)
        .endpoint_id("8d1c2f4e-5b6a-4c3d-9e8f-0a1b2c3d4e5f")
        .build()
        .unwrap();
    assert!(url.starts_with(&format!("{}/link/auth?", server.url())));

    // The browser follows the URL; the patient signs in and consents; the page redirects back.
    let resp = standin::consent(&url, REFRESHABLE_PLAN).await;
    assert_eq!(resp.status().as_u16(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("http://localhost:3000/callback?from=test&code="));
    let query = location.split_once('?').unwrap().1;
    let Callback::Code {
        code,
        state: echoed,
    } = Callback::from_query(query).unwrap()
    else {
        panic!("expected a code in {location}");
    };
    assert_eq!(echoed.as_deref(), Some(state.as_str()));
    let auth = &server.requests()[0];
    assert_eq!(auth.path, "/link/auth");
    let params: Vec<(String, String)> =
        form_urlencoded::parse(auth.query.as_deref().unwrap().as_bytes())
            .into_owned()
            .collect();
    let keys: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "response_type",
            "client_id",
            "redirect_uri",
            "code_challenge",
            "code_challenge_method",
            "scope",
            "flexpa_external_id",
            "state",
            "flexpa_endpoint_id"
        ]
    );
    assert!(params.contains(&("redirect_uri".into(), redirect_uri.into())));

    let tokens = c
        .exchange_code(&code, &verifier, redirect_uri)
        .await
        .unwrap();

    // 0: the consent page, 1: the patient's consent, 2: the code exchange.
    let r = &server.requests()[2];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/link/token")
    );
    assert_common_headers(r);
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(r.header("authorization"), None);
    assert_eq!(
        r.form(),
        vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code.expose_secret().to_owned()),
            (
                "code_verifier".to_owned(),
                verifier.expose_secret().to_owned()
            ),
            ("redirect_uri".to_owned(), redirect_uri.to_owned()),
            ("client_id".to_owned(), PUBLISHABLE_KEY.to_owned()),
        ]
    );
    assert_eq!(tokens.scope.as_deref(), Some("launch/patient"));
    assert_eq!(tokens.token_type.as_deref(), Some("Bearer"));
    assert!(tokens.refresh_token.is_some());
    let info = c.introspect(&tokens.access_token).await.unwrap();
    assert_eq!(info.external_id(), Some("user-7"));
}

#[tokio::test]
async fn code_exchange_with_the_wrong_verifier_is_rejected_by_the_server() {
    let sandbox = standin::sandbox();
    let server = Standin::faithful(&sandbox).await;
    let c = client(&server.url());
    let right = CodeVerifier::generate().unwrap();
    let url = c
        .authorization_url("https://app.example/cb", &right.challenge(), "u")
        .unwrap()
        .build()
        .unwrap();
    let resp = standin::consent(&url, REFRESHABLE_PLAN).await;
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let Callback::Code { code, .. } =
        Callback::from_query(location.split_once('?').unwrap().1).unwrap()
    else {
        panic!("no code");
    };
    let wrong = CodeVerifier::generate().unwrap();
    let err = c
        .exchange_code(&code, &wrong, "https://app.example/cb")
        .await
        .unwrap_err();
    let e = err.api().unwrap();
    assert_eq!(e.status().as_u16(), 400);
    assert_eq!(e.error(), Some("invalid_grant"));
    assert_eq!(
        e.message(),
        Some("PKCE verification failed: code_verifier does not match the code_challenge.")
    );
    // A code of the wrong shape cannot even be made, so it is never sent.
    let err = AuthorizationCode::new("bad code").unwrap_err();
    assert!(!err.to_string().contains("bad code"), "{err}");
}

#[tokio::test]
async fn one_connection_is_reused_across_calls_and_clones() {
    let sandbox = standin::sandbox();
    let server = Standin::faithful(&sandbox).await;
    let c = client(&server.url());
    for _ in 0..5 {
        let c2 = c.clone();
        c2.exchange(&token(&mint_public_token(
            &sandbox,
            REFRESHABLE_PLAN,
            Usage::OneTime,
            "u",
        )))
        .await
        .unwrap();
    }
    assert_eq!(server.request_count(), 5);
    assert_eq!(
        server.connections(),
        1,
        "every call used the pooled connection"
    );
}

#[tokio::test]
async fn an_existing_reqwest_client_is_used() {
    let sandbox = standin::sandbox();
    let server = Standin::faithful(&sandbox).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-app", "mine".parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let c = builder(&server.url()).http_client(http).build().unwrap();
    c.exchange(&token(&mint_public_token(
        &sandbox,
        REFRESHABLE_PLAN,
        Usage::OneTime,
        "u",
    )))
    .await
    .unwrap();
    let r = &server.requests()[0];
    assert_eq!(
        r.header("x-app"),
        Some("mine"),
        "the given client's defaults apply"
    );
    assert_eq!(r.header("user-agent"), Some(USER_AGENT_VALUE));
}

#[tokio::test]
async fn a_base_url_path_prefix_is_kept() {
    let server = Standin::always(Reply::json(200, &json!({"count": 3}))).await;
    let c = builder(&format!("{}/proxy/flexpa/", server.url()))
        .build()
        .unwrap();
    assert_eq!(c.base_url(), format!("{}/proxy/flexpa", server.url()));
    let out = c.revoke(&AccessToken::new("acc").unwrap()).await.unwrap();
    assert_eq!(out.count, 3);
    assert_eq!(server.requests()[0].path, "/proxy/flexpa/link/revoke");
}

#[tokio::test]
async fn the_builder_refuses_insecure_base_urls_before_any_request() {
    let key = || SecretKey::new(SECRET_KEY).unwrap();
    for bad in [
        "http://api.flexpa.com",
        "http://192.168.1.10:8080",
        "ftp://api.flexpa.com",
        "https://user:pass@api.flexpa.com",
        "https://api.flexpa.com?x=1",
        "api.flexpa.com",
    ] {
        let err = Client::builder(key()).base_url(bad).build().unwrap_err();
        assert!(matches!(err, Error::InvalidBaseUrl(_)), "{bad}: {err:?}");
    }
    for ok in [
        "https://api.flexpa.com",
        "http://localhost:9",
        "http://127.0.0.1:9",
        "http://[::1]:9",
    ] {
        Client::builder(key()).base_url(ok).build().unwrap();
    }
    let c = Client::new(key()).unwrap();
    assert_eq!(c.base_url(), "https://api.flexpa.com");
    assert!(c.publishable_key().is_none());
}
