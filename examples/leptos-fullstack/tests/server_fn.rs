//! The server function's body (`Flexpa::link_records`) against the offline sandbox over real
//! HTTP: the records the page gets for a sample plan, and a typed error for each failure.
#![cfg(feature = "sandbox")]

use std::time::Duration;

use example_leptos_fullstack::app::LinkSettings;
use example_leptos_fullstack::records::{LinkError, Money};
use example_leptos_fullstack::server::Flexpa;
use flexpa_link::server::{Client, SecretKey};
use flexpa_sandbox::{data, Sandbox, SandboxConfig, SignIn, Usage};
use tokio::net::TcpListener;

/// A sandbox served on a free port, and the app's Flexpa pointed at it.
async fn start(sync_window: Duration, sync_wait: Duration) -> (Sandbox, Flexpa) {
    let sandbox = Sandbox::new(SandboxConfig {
        sync_window,
        ..SandboxConfig::random()
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sandbox.clone().serve(listener));
    let client = Client::builder(SecretKey::new(sandbox.secret_key()).unwrap())
        .base_url(url.as_str())
        .sync_wait(sync_wait)
        .build()
        .unwrap();
    let settings = LinkSettings {
        publishable_key: sandbox.publishable_key().to_owned(),
        script_url: format!("{url}/v1/"),
        sandbox: true,
    };
    (sandbox, Flexpa::new(client, settings))
}

/// The public token Link would hand the page after signing in to `plan`.
fn public_token(sandbox: &Sandbox, plan: &str) -> String {
    let plan = data::plan(plan).unwrap();
    sandbox
        .sign_in(&SignIn {
            publishable_key: sandbox.publishable_key(),
            endpoint: plan.id,
            username: plan.username,
            password: plan.password,
            external_id: None,
            usage: Usage::OneTime,
        })
        .unwrap()
}

fn usd(value: f64) -> Option<Money> {
    Some(Money {
        value,
        currency: "USD".into(),
    })
}

#[tokio::test]
async fn a_linked_plan_gives_the_patient_coverage_and_every_claim() {
    let (sandbox, flexpa) = start(Duration::ZERO, Duration::from_secs(10)).await;
    let token = public_token(&sandbox, "evergreen-health-sandbox");
    let records = flexpa.link_records(token.clone()).await.unwrap();

    assert_eq!(records.patient.name.as_deref(), Some("Jane Q. Doe"));
    assert_eq!(records.patient.birth_date.as_deref(), Some("1980-01-01"));
    assert_eq!(records.plan.as_deref(), Some("Evergreen Health"));
    let coverage = &records.coverage[0];
    assert_eq!(coverage.plan.as_deref(), Some("Evergreen PPO 1500"));
    assert_eq!(coverage.member_id.as_deref(), Some("EVG100234501"));
    assert_eq!(coverage.end, None);
    assert_eq!(records.claims.len(), 46);
    assert_eq!(records.claim_pages, 3);
    let first = &records.claims[0];
    assert_eq!(first.date.as_deref(), Some("2025-02-12"));
    assert_eq!(first.provider.as_deref(), Some("Pearl Street Pharmacy"));
    assert_eq!(first.kind.as_deref(), Some("Pharmacy"));
    assert_eq!(
        (first.billed_money(), first.paid_money()),
        (usd(24.99), usd(2.10))
    );

    // A public token is good for one exchange.
    assert_eq!(
        flexpa.link_records(token).await.unwrap_err(),
        LinkError::TokenRefused
    );
}

#[tokio::test]
async fn bad_tokens_and_failed_syncs_are_typed_errors() {
    let (sandbox, flexpa) = start(Duration::ZERO, Duration::from_secs(10)).await;
    for malformed in ["", "public_token_\n", &"x".repeat(10_000)] {
        assert_eq!(
            flexpa.link_records(malformed.to_owned()).await.unwrap_err(),
            LinkError::MalformedToken
        );
    }
    // Well formed, but not one the sandbox issued; the error does not echo it.
    let unknown = "public_token_00000000-0000-4000-8000-000000000000";
    let refused = flexpa.link_records(unknown.into()).await.unwrap_err();
    assert_eq!(refused, LinkError::TokenRefused);
    assert!(!refused.to_string().contains(unknown));

    let token = public_token(&sandbox, "lakeshore-sync-fails-sandbox");
    assert_eq!(
        flexpa.link_records(token).await.unwrap_err(),
        LinkError::SyncFailed
    );
}

#[tokio::test]
async fn a_sync_longer_than_the_wait_says_still_syncing() {
    let (sandbox, flexpa) = start(Duration::from_secs(60), Duration::ZERO).await;
    let token = public_token(&sandbox, "summit-medicare-sandbox");
    assert_eq!(
        flexpa.link_records(token).await.unwrap_err(),
        LinkError::StillSyncing
    );
}
