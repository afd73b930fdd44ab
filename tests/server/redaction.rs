//! No secret key or token ever shows in `Debug`, `Display`, or any error, whatever the server
//! sends back (including bodies and messages that echo the request).

use crate::standin;

use std::time::Duration;

use flexpa_link::pkce::{AuthorizationCode, Callback, CodeVerifier};
use flexpa_link::server::webhooks::WebhookSecret;
use flexpa_link::server::{AccessToken, Client, RefreshToken, SecretKey};
use flexpa_link::{PublicToken, PublishableKey};
use serde_json::json;
use standin::{
    mint_public_token, Recorded, Reply, Standin, Usage, PUBLISHABLE_KEY, REFRESHABLE_PLAN,
    SECRET_KEY,
};

const PUBLIC: &str = "public_token_11111111-2222-4333-8444-555555555555";
const ACCESS: &str = "eyJhbGciOiJFUzI1NiJ9.ACCESS-TOKEN-PAYLOAD.signature";
const REFRESH: &str = "refresh_RT-PAYLOAD-9f8e7d";
const CODE: &str = "code_AUTHCODE-PAYLOAD-1234";

fn verifier() -> CodeVerifier {
    CodeVerifier::new("VERIFIER-PAYLOAD-0123456789abcdefghijklmnopqrstuvwxyz").unwrap()
}

fn secrets() -> Vec<String> {
    vec![
        SECRET_KEY.into(),
        PUBLIC.into(),
        ACCESS.into(),
        REFRESH.into(),
        CODE.into(),
        verifier().expose_secret().to_owned(),
        // Distinctive parts, in case something prints a fragment.
        "SecretKeyValue42".into(),
        "ACCESS-TOKEN-PAYLOAD".into(),
        "RT-PAYLOAD".into(),
        "AUTHCODE-PAYLOAD".into(),
        "VERIFIER-PAYLOAD".into(),
        "11111111-2222".into(),
    ]
}

fn assert_no_secret(what: &str, text: &str) {
    for s in secrets() {
        assert!(!text.contains(&s), "{what} leaked `{s}`: {text}");
    }
    assert!(
        !text.contains("sk_test_"),
        "{what} leaked a secret-key-shaped value: {text}"
    );
}

#[test]
fn every_secret_type_prints_redacted() {
    let key = SecretKey::new(SECRET_KEY).unwrap();
    let public = PublicToken::new(PUBLIC).unwrap();
    let access = AccessToken::new(ACCESS).unwrap();
    let refresh = RefreshToken::new(REFRESH).unwrap();
    let v = verifier();
    let code = AuthorizationCode::new(CODE).unwrap();
    let webhook = WebhookSecret::new("whsec_WEBHOOK-SECRET-PAYLOAD").unwrap();
    let cases = [
        (format!("{key:?}"), "SecretKey(<redacted>)"),
        (format!("{key}"), "<redacted>"),
        (format!("{public:?}"), "PublicToken(<redacted>)"),
        (format!("{public}"), "<redacted>"),
        (format!("{access:?}"), "AccessToken(<redacted>)"),
        (format!("{access}"), "<redacted>"),
        (format!("{refresh:?}"), "RefreshToken(<redacted>)"),
        (format!("{refresh}"), "<redacted>"),
        (format!("{v:?}"), "CodeVerifier(<redacted>)"),
        (format!("{v}"), "<redacted>"),
        (format!("{code:?}"), "AuthorizationCode(<redacted>)"),
        (format!("{code}"), "<redacted>"),
        (format!("{webhook:?}"), "WebhookSecret(<redacted>)"),
        (format!("{webhook}"), "<redacted>"),
        (
            format!(
                "{:?}",
                Callback::from_query(&format!("code={CODE}")).unwrap()
            ),
            "Code { code: AuthorizationCode(<redacted>), state: None }",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
    for text in [
        format!("{key:#?}"),
        format!("{access:#?}"),
        format!("{refresh:#?}"),
    ] {
        assert_no_secret("pretty Debug", &text);
    }
}

#[test]
fn the_client_and_its_builder_print_no_secret() {
    let builder = Client::builder(SecretKey::new(SECRET_KEY).unwrap())
        .publishable_key(PublishableKey::new(PUBLISHABLE_KEY).unwrap());
    assert_no_secret("ClientBuilder Debug", &format!("{builder:?}"));
    let client = builder.build().unwrap();
    let text = format!("{client:?} {client:#?}");
    assert_no_secret("Client Debug", &text);
    assert!(text.contains("SecretKey(<redacted>)"), "{text}");
    assert!(
        text.contains(PUBLISHABLE_KEY),
        "the publishable key is not a secret"
    );
}

#[test]
fn rejected_keys_and_tokens_are_not_echoed() {
    let bad_key = "sk_live_TOPSECRET with space";
    let err = SecretKey::new(bad_key).unwrap_err();
    assert!(!err.to_string().contains("TOPSECRET"), "{err}");
    assert!(!format!("{err:?}").contains("TOPSECRET"), "{err:?}");
    let err = AccessToken::new("eyJ TOPSECRET").unwrap_err();
    assert!(!format!("{err} {err:?}").contains("TOPSECRET"));
    let err = CodeVerifier::new("TOPSECRET").unwrap_err();
    assert!(!format!("{err} {err:?}").contains("TOPSECRET"));
    // A publishable key passed as the secret key gets a helpful message.
    let err = SecretKey::new(PUBLISHABLE_KEY).unwrap_err();
    assert!(err.to_string().contains("publishable key"), "{err}");
}

#[tokio::test]
async fn responses_print_their_tokens_redacted() {
    let sandbox = standin::sandbox();
    let server = Standin::faithful(&sandbox).await;
    let c = Client::builder(SecretKey::new(SECRET_KEY).unwrap())
        .publishable_key(PublishableKey::new(PUBLISHABLE_KEY).unwrap())
        .base_url(server.url())
        .build()
        .unwrap();
    let tokens = c
        .exchange(
            &PublicToken::new(mint_public_token(
                &sandbox,
                REFRESHABLE_PLAN,
                Usage::Multiple,
                "u",
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    let text = format!("{tokens:?} {tokens:#?}");
    assert!(
        !text.contains(tokens.access_token.expose_secret()),
        "{text}"
    );
    assert!(!text.contains(tokens.refresh_token.as_ref().unwrap().expose_secret()));
    assert!(text.contains("AccessToken(<redacted>)"));
    let renewed = c
        .refresh(tokens.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    let text = format!("{renewed:?}");
    assert!(
        !text.contains(renewed.access_token.expose_secret()),
        "{text}"
    );
    // Serializing is explicit, for storage, and round-trips.
    let stored = serde_json::to_value(&tokens).unwrap();
    assert_eq!(
        stored["access_token"],
        json!(tokens.access_token.expose_secret())
    );
    let back: flexpa_link::server::ExchangeResponse = serde_json::from_value(stored).unwrap();
    assert_eq!(back, tokens);
}

/// A server that echoes everything it received into its answers, in every failing form.
fn echo(kind: usize) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    move |r: &Recorded| {
        let echo = format!(
            "{} {} auth={} body={}",
            r.method,
            r.path,
            r.header("authorization").unwrap_or(""),
            r.body_str()
        );
        match kind {
            0 => Reply::json(
                400,
                &json!({"statusCode": 400, "error": echo, "message": echo}),
            ),
            1 => Reply::raw(500, "text/html", format!("<pre>{echo}</pre>")),
            2 => Reply::json(
                401,
                &json!({"error": "invalid_client", "error_description": echo}),
            ),
            3 => Reply::raw(200, "text/plain", format!("not json: {echo}")),
            4 => Reply::json(
                200,
                &json!({"access_token": 5, "expires_in": echo, "count": echo, "state": 1}),
            ),
            5 => Reply::CloseDelimited {
                status: 200,
                body: format!("{{\"echo\":\"{}", echo.replace('"', "'")).into_bytes(),
            },
            6 => Reply::flexpa_error(429, &echo).with_header("retry-after", "3600"),
            7 => Reply::Reset {
                prefix: echo.into_bytes(),
            },
            8 => Reply::raw(302, "text/plain", echo.clone())
                .with_header("location", "http://127.0.0.1:1/x"),
            9 => Reply::json(200, &json!({"pad": "x".repeat(4096), "echo": echo})),
            _ => Reply::json(200, &json!({"echo": echo})).delayed(Duration::from_secs(3)),
        }
    }
}

#[tokio::test]
async fn no_error_of_any_call_contains_a_secret_even_when_the_server_echoes_them() {
    let mut checked = 0;
    for kind in 0..=10 {
        let server = Standin::scripted(echo(kind)).await;
        let c = Client::builder(SecretKey::new(SECRET_KEY).unwrap())
            .publishable_key(PublishableKey::new(PUBLISHABLE_KEY).unwrap())
            .base_url(server.url())
            .timeout(Duration::from_millis(300))
            .max_response_bytes(1024)
            .build()
            .unwrap();
        let access = AccessToken::new(ACCESS).unwrap();
        let errors = vec![
            c.exchange(&PublicToken::new(PUBLIC).unwrap())
                .await
                .unwrap_err(),
            c.introspect(&access).await.unwrap_err(),
            c.refresh(&RefreshToken::new(REFRESH).unwrap())
                .await
                .unwrap_err(),
            c.revoke(&access).await.unwrap_err(),
            c.exchange_code(
                &AuthorizationCode::new(CODE).unwrap(),
                &verifier(),
                "https://app.example/cb",
            )
            .await
            .unwrap_err(),
        ];
        for err in &errors {
            for text in standin::error_texts(err) {
                assert_no_secret(&format!("reply kind {kind}"), &text);
                checked += 1;
            }
        }
        // The server did receive the secrets: the echo really contained them.
        let reqs = server.requests();
        assert!(reqs.iter().any(|r| r.body_str().contains(SECRET_KEY)));
        assert!(reqs.iter().any(|r| r
            .header("authorization")
            .is_some_and(|a| a.contains(ACCESS))));
    }
    assert!(checked > 100);
}

#[tokio::test]
async fn no_error_contains_a_credential_in_any_encoding_it_was_sent_in() {
    use base64::Engine as _;
    // Tokens with characters that every encoding changes.
    const ACCESS_ODD: &str = "eyJ0/ACCESS+ODD=\"q\"\\z";
    const REFRESH_ODD: &str = "rt/REFRESH+ODD=\"q\"&x";
    const PUBLIC_ODD: &str = "public_token_ODD/+=\"q\"";
    const CODE_ODD: &str = "code_ODD/+=&\"q\"";
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{PUBLISHABLE_KEY}:{SECRET_KEY}"));
    let mut forbidden: Vec<String> = [ACCESS_ODD, REFRESH_ODD, PUBLIC_ODD, CODE_ODD, SECRET_KEY]
        .iter()
        .flat_map(|s| standin::echoed_forms(s))
        .collect();
    forbidden.push(basic);
    for kind in [0, 1, 2, 6] {
        let server = Standin::scripted(echo(kind)).await;
        let c = Client::builder(SecretKey::new(SECRET_KEY).unwrap())
            .publishable_key(PublishableKey::new(PUBLISHABLE_KEY).unwrap())
            .base_url(server.url())
            .max_retries(0)
            .build()
            .unwrap();
        let access = AccessToken::new(ACCESS_ODD).unwrap();
        let errors = vec![
            c.exchange(&PublicToken::new(PUBLIC_ODD).unwrap())
                .await
                .unwrap_err(),
            c.introspect(&access).await.unwrap_err(),
            c.refresh(&RefreshToken::new(REFRESH_ODD).unwrap())
                .await
                .unwrap_err(),
            c.revoke(&access).await.unwrap_err(),
            c.exchange_code(
                &AuthorizationCode::new(CODE_ODD).unwrap(),
                &verifier(),
                "https://app.example/cb",
            )
            .await
            .unwrap_err(),
            c.request_application_token().await.unwrap_err(),
            c.fhir(&access)
                .read::<serde_json::Value>("Patient", "p")
                .await
                .unwrap_err(),
        ];
        for err in &errors {
            for text in standin::error_texts(err) {
                for f in &forbidden {
                    assert!(
                        !text.contains(f.as_str()),
                        "kind {kind}: `{f}` leaked in {text}"
                    );
                }
            }
        }
    }
}
