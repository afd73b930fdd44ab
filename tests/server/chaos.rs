//! The fault suite: 64 concurrent clients against the sandbox behind the stand-in's chaos mode
//! (delays past the timeout, connection resets, 5xx, 429 storms, truncated, oversized and
//! garbage bodies) for a bounded time. Every call must end in `Ok` or a typed error within its
//! timeout, nothing may panic, and no error may contain a secret.
//!
//! The seed is fixed (override with `FLEXPA_CHAOS_SEED`), the run length is 3 s of new calls
//! (override with `FLEXPA_CHAOS_SECS`), and the whole test stops by itself.

use crate::standin;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flexpa_link::server::{Client, Error, SecretKey};
use flexpa_link::{PublicToken, PublishableKey};
use standin::{
    mint_public_token, Chaos, Sandbox, Standin, Usage, PUBLISHABLE_KEY, REFRESHABLE_PLAN,
    SECRET_KEY,
};

const CLIENTS: usize = 64;
const TIMEOUT: Duration = Duration::from_millis(600);
/// Scheduling slack on a busy 2-core machine: the client's own deadline is `TIMEOUT`.
const SLACK: Duration = Duration::from_millis(1200);

#[derive(Default, Debug)]
struct Tally {
    calls: u64,
    ok: u64,
    by_error: BTreeMap<String, u64>,
    slowest: Duration,
    late: Vec<String>,
    t0: Option<Instant>,
}

fn kind(e: &Error) -> String {
    match e {
        Error::Api(a) => format!("api-{}", a.status().as_u16()),
        Error::RateLimited { .. } => "rate-limited".into(),
        Error::Timeout { .. } => "timeout".into(),
        Error::Transport { kind, .. } => format!("transport-{kind:?}"),
        Error::InvalidResponse { .. } => "invalid-response".into(),
        Error::ResponseTooLarge { .. } => "too-large".into(),
        other => panic!("an error no chaos can cause: {other:?}"),
    }
}

fn check_error(e: &Error, secrets: &[&str]) {
    standin::assert_no_secret_in(e, secrets);
}

async fn timed<T>(
    tally: &mut Tally,
    secrets: &[&str],
    call: impl std::future::Future<Output = Result<T, Error>>,
) -> Option<T> {
    let started = Instant::now();
    let result = call.await;
    let took = started.elapsed();
    tally.calls += 1;
    tally.slowest = tally.slowest.max(took);
    if took > TIMEOUT + SLACK {
        tally.late.push(format!(
            "{took:?} at +{:?}: {:?}",
            started.duration_since(tally.t0.unwrap()),
            result.as_ref().err()
        ));
    }
    match result {
        Ok(v) => {
            tally.ok += 1;
            Some(v)
        }
        Err(e) => {
            check_error(&e, secrets);
            *tally.by_error.entry(kind(&e)).or_default() += 1;
            None
        }
    }
}

fn client(url: String) -> Client {
    Client::builder(SecretKey::new(SECRET_KEY).unwrap())
        .publishable_key(PublishableKey::new(PUBLISHABLE_KEY).unwrap())
        .base_url(url)
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .max_retries(2)
        .max_retry_wait(Duration::from_millis(500))
        .max_response_bytes(64 * 1024)
        .build()
        .unwrap()
}

async fn worker(
    id: usize,
    client: Client,
    sandbox: Sandbox,
    until: Instant,
    start0: Instant,
) -> Tally {
    let mut tally = Tally {
        t0: Some(start0),
        ..Tally::default()
    };
    let mut i = 0usize;
    while Instant::now() < until {
        i += 1;
        let usage = if (id + i) % 2 == 0 {
            Usage::Multiple
        } else {
            Usage::OneTime
        };
        let public = mint_public_token(&sandbox, REFRESHABLE_PLAN, usage, &format!("user-{id}"));
        let secrets = [SECRET_KEY, public.as_str()];
        let token = PublicToken::new(public.clone()).unwrap();
        let Some(tokens) = timed(&mut tally, &secrets, client.exchange(&token)).await else {
            continue;
        };
        let access = tokens.access_token.expose_secret().to_owned();
        let secrets = [SECRET_KEY, public.as_str(), access.as_str()];
        match i % 3 {
            0 => {
                timed(
                    &mut tally,
                    &secrets,
                    client.introspect(&tokens.access_token),
                )
                .await;
            }
            1 => {
                if let Some(refresh) = &tokens.refresh_token {
                    let r = refresh.expose_secret().to_owned();
                    let s = [SECRET_KEY, access.as_str(), r.as_str()];
                    timed(&mut tally, &s, client.refresh(refresh)).await;
                }
            }
            _ => {
                timed(&mut tally, &secrets, client.revoke(&tokens.access_token)).await;
            }
        }
    }
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the fault suite: run alone by the fault-suite step (cargo test --features server --test server -- --ignored chaos)"]
async fn sixty_four_clients_against_a_chaotic_api() {
    let seed: u64 = std::env::var("FLEXPA_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_F1E9);
    let secs: u64 = std::env::var("FLEXPA_CHAOS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .clamp(1, 60);
    let sandbox = standin::sandbox();
    let chaos = Arc::new(Chaos::new(seed, TIMEOUT + Duration::from_millis(400)));
    let server = Standin::chaos(&sandbox, chaos.clone()).await;

    // Build the clients first: building one loads the TLS roots, which blocks for a moment.
    let build_started = Instant::now();
    let clients: Vec<Client> = (0..CLIENTS).map(|_| client(server.url())).collect();
    let build_time = build_started.elapsed();

    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let run = async {
        let mut set = tokio::task::JoinSet::new();
        for (id, client) in clients.into_iter().enumerate() {
            set.spawn(worker(id, client, sandbox.clone(), until, started));
        }
        let mut total = Tally::default();
        while let Some(joined) = set.join_next().await {
            let t = joined.expect("a client task panicked");
            total.calls += t.calls;
            total.ok += t.ok;
            total.slowest = total.slowest.max(t.slowest);
            total.late.extend(t.late);
            for (k, v) in t.by_error {
                *total.by_error.entry(k).or_default() += v;
            }
        }
        total
    };
    // Hard bound: new calls stop at `until`, and each call is bounded by its timeout.
    let total = tokio::time::timeout(Duration::from_secs(secs + 30), run)
        .await
        .expect("the fault suite did not stop by itself");
    let wall = started.elapsed();

    let injected = chaos.injected();
    println!(
        "chaos seed={seed:#x} {secs}s wall={wall:?} clients={CLIENTS} (built in {build_time:?}) calls={} ok={} \
         slowest={:?} errors={:?} injected={injected:?} requests={}",
        total.calls,
        total.ok,
        total.slowest,
        total.by_error,
        server.request_count()
    );
    assert!(
        total.late.is_empty(),
        "calls past their timeout: {:#?}",
        total.late
    );
    assert!(total.calls >= CLIENTS as u64, "every client made calls");
    assert!(total.ok > 0, "some calls succeed through the chaos");
    assert!(total.ok < total.calls, "some calls fail");
    for fault in [
        "slow",
        "reset",
        "5xx",
        "429",
        "truncated",
        "oversized",
        "garbage",
    ] {
        assert!(
            injected.get(fault).copied().unwrap_or(0) > 0,
            "{fault} was never injected"
        );
    }
    for expected in ["timeout", "invalid-response", "too-large"] {
        assert!(
            total.by_error.contains_key(expected),
            "no {expected} error seen: {:?}",
            total.by_error
        );
    }
    assert!(
        total.by_error.keys().any(|k| k.starts_with("transport-")),
        "no transport error seen: {:?}",
        total.by_error
    );
    assert!(
        total.by_error.keys().any(|k| k.starts_with("api-5")),
        "no 5xx seen: {:?}",
        total.by_error
    );
}
