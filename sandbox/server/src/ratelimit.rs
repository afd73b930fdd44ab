//! Rate limiting of the stand-in API, as the real one does it: past the limit, HTTP 429 with a
//! `Retry-After` header (whole seconds) and Flexpa's JSON error body
//! `{"statusCode": 429, "error": "Too Many Requests", "message": "Rate limit exceeded, retry in
//! N seconds"}`; on the FHIR routes the body is an `OperationOutcome` with the issue code
//! `throttled` instead (what tells it apart from the "still syncing" 429, `transient`).
//!
//! Flexpa does not publish its limits or how it keys them; the sandbox gives every client
//! address a token bucket ([`RateLimit`]: `burst` requests at once, one more earned back every
//! `refill`). The check runs before a request's body is read, so a rate-limited call has no
//! effect at all: a rate-limited exchange does not spend its public token, a rate-limited code
//! exchange does not spend its code.
//!
//! The limiter's own memory is bounded: it keeps at most [`MAX_BUCKETS`] client addresses,
//! forgetting full buckets first, then the least recently seen (a forgotten client starts
//! again with a full bucket).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::fhir::operation_outcome;
use super::{flexpa_error, Sandbox};
use crate::bounded::make_room;

/// The API's rate limit per client address (a token bucket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// How many requests a client may make at once (the bucket's size; at least 1).
    pub burst: u32,
    /// How long a client takes to earn back one request (zero: no limit at all).
    pub refill: Duration,
}

impl RateLimit {
    /// The default: 600 requests at once, then 100 a second. The demo never comes near it.
    pub const GENEROUS: RateLimit = RateLimit {
        burst: 600,
        refill: Duration::from_millis(10),
    };
}

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Go ahead; this many requests are left right now.
    Allowed { remaining: u32 },
    /// Refused: retry after this many whole seconds (at least 1).
    Limited { retry_after: u64 },
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Buckets per client address (`None`: a caller whose address is unknown, e.g. a router
/// served without connection info).
pub(crate) struct Limiter {
    limit: Option<RateLimit>,
    buckets: Mutex<HashMap<Option<IpAddr>, Bucket>>,
    max_buckets: usize,
}

/// The most client addresses the limiter remembers.
pub const MAX_BUCKETS: usize = 10_000;

impl Limiter {
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        Limiter {
            limit: limit.filter(|l| !l.refill.is_zero()),
            buckets: Mutex::new(HashMap::new()),
            max_buckets: MAX_BUCKETS,
        }
    }

    /// How many client addresses it remembers now.
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.buckets.lock().map(|b| b.len()).unwrap_or(0)
    }

    pub(crate) fn limit(&self) -> Option<RateLimit> {
        self.limit
    }

    /// Takes one request from `client`'s bucket, if it has one.
    pub(crate) fn check(&self, client: Option<IpAddr>) -> Decision {
        let Some(limit) = self.limit else {
            return Decision::Allowed {
                remaining: u32::MAX,
            };
        };
        let burst = f64::from(limit.burst.max(1));
        let per_token = limit.refill.as_secs_f64();
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= self.max_buckets && !buckets.contains_key(&client) {
            // Full buckets first: forgetting them changes nothing.
            let full_after = limit.refill.saturating_mul(limit.burst.max(1));
            buckets.retain(|_, b| now.duration_since(b.updated) < full_after);
            make_room(&mut buckets, self.max_buckets, |b| b.updated);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let earned = now.duration_since(bucket.updated).as_secs_f64() / per_token;
        bucket.tokens = (bucket.tokens + earned).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Decision::Allowed {
                remaining: bucket.tokens.floor() as u32,
            }
        } else {
            let wait = (1.0 - bucket.tokens) * per_token;
            Decision::Limited {
                retry_after: (wait.ceil() as u64).max(1),
            }
        }
    }
}

/// The middleware in front of every API route.
pub(crate) async fn middleware(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    let limiter = &sandbox.inner.limiter;
    let Some(limit) = limiter.limit() else {
        return next.run(request).await;
    };
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let is_fhir = request.uri().path().starts_with("/fhir/");
    let decision = limiter.check(client);
    let (mut response, remaining) = match decision {
        Decision::Allowed { remaining } => (next.run(request).await, remaining),
        Decision::Limited { retry_after } => {
            let unit = if retry_after == 1 {
                "second"
            } else {
                "seconds"
            };
            let message = format!("Rate limit exceeded, retry in {retry_after} {unit}");
            let mut response = if is_fhir {
                operation_outcome(StatusCode::TOO_MANY_REQUESTS, "throttled", message)
            } else {
                flexpa_error(StatusCode::TOO_MANY_REQUESTS, message)
            };
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            (response, 0)
        }
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit.burst.max(1)));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_and_names_the_wait() {
        let limiter = Limiter::new(Some(RateLimit {
            burst: 2,
            refill: Duration::from_secs(30),
        }));
        let me = Some(IpAddr::from([127, 0, 0, 1]));
        assert_eq!(limiter.check(me), Decision::Allowed { remaining: 1 });
        assert_eq!(limiter.check(me), Decision::Allowed { remaining: 0 });
        assert_eq!(limiter.check(me), Decision::Limited { retry_after: 30 });
        // Another client has its own bucket.
        let other = Some(IpAddr::from([127, 0, 0, 2]));
        assert_eq!(limiter.check(other), Decision::Allowed { remaining: 1 });
    }

    #[test]
    fn a_bucket_refills() {
        let limiter = Limiter::new(Some(RateLimit {
            burst: 1,
            refill: Duration::from_millis(50),
        }));
        assert_eq!(limiter.check(None), Decision::Allowed { remaining: 0 });
        assert_eq!(limiter.check(None), Decision::Limited { retry_after: 1 });
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(limiter.check(None), Decision::Allowed { remaining: 0 });
    }

    #[test]
    fn the_map_stays_at_its_cap_under_100k_addresses() {
        let limiter = Limiter::new(Some(RateLimit {
            burst: 5,
            refill: Duration::from_secs(60),
        }));
        for i in 0..100_000u32 {
            let ip = Some(IpAddr::from(i.to_be_bytes()));
            assert!(matches!(limiter.check(ip), Decision::Allowed { .. }));
            assert!(limiter.remembered() <= MAX_BUCKETS);
        }
        assert!(limiter.remembered() > MAX_BUCKETS / 2);
        // A recent client is still remembered (and still limited).
        let recent = Some(IpAddr::from(99_999u32.to_be_bytes()));
        for _ in 0..4 {
            limiter.check(recent);
        }
        assert!(matches!(limiter.check(recent), Decision::Limited { .. }));
    }

    #[test]
    fn a_zero_refill_means_no_limit() {
        let limiter = Limiter::new(Some(RateLimit {
            burst: 1,
            refill: Duration::ZERO,
        }));
        for _ in 0..10 {
            assert!(matches!(limiter.check(None), Decision::Allowed { .. }));
        }
    }
}
