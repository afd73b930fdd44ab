//! Every way a call can fail, against a real HTTP server on 127.0.0.1 that misbehaves on
//! purpose: Flexpa's error bodies, rate limits, outages, broken bodies, resets, slowness,
//! oversized bodies, refused connections and redirects.

use crate::standin;

use std::time::{Duration, Instant, SystemTime};

use flexpa_link::server::{Client, ClientBuilder, Error, SecretKey, TransportKind};
use flexpa_link::PublicToken;
use serde_json::json;
use standin::{Reply, Standin, SECRET_KEY};

const PUBLIC: &str = "public_token_950fae5f-7903-4ce1-9414-9b44c4e55263";

fn builder(url: &str) -> ClientBuilder {
    Client::builder(SecretKey::new(SECRET_KEY).unwrap())
        .base_url(url)
        .timeout(Duration::from_secs(5))
}

async fn exchange_with(b: ClientBuilder) -> Error {
    b.build()
        .unwrap()
        .exchange(&PublicToken::new(PUBLIC).unwrap())
        .await
        .expect_err("the call must fail")
}

async fn exchange(server: &Standin) -> Error {
    exchange_with(builder(&server.url())).await
}

fn ok_body() -> serde_json::Value {
    json!({"access_token": "acc_ok", "expires_in": 1800, "patient": "Patient/p"})
}

/// No error text may hold a secret: checked for every error in this file.
fn assert_clean(err: &Error) {
    standin::assert_no_secret_in(err, &[SECRET_KEY, PUBLIC]);
}

#[tokio::test]
async fn bad_request_carries_flexpas_error_and_message() {
    let server = Standin::always(Reply::flexpa_error(
        400,
        "Invalid public token. Public token has expired.",
    ))
    .await;
    let err = exchange(&server).await;
    assert_clean(&err);
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status().as_u16(), 400);
    assert_eq!(api.error(), Some("Bad Request"));
    assert_eq!(
        api.message(),
        Some("Invalid public token. Public token has expired.")
    );
    assert_eq!(api.body_snippet(), None);
    assert_eq!(
        err.to_string(),
        "Flexpa API error: HTTP 400 Bad Request: Invalid public token. Public token has expired."
    );
    assert!(!err.is_transient());
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn unauthorized_401() {
    let server = Standin::always(Reply::flexpa_error(401, "Invalid secret key")).await;
    let err = exchange(&server).await;
    assert_clean(&err);
    assert_eq!(err.status().unwrap().as_u16(), 401);
    assert_eq!(err.api().unwrap().message(), Some("Invalid secret key"));
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn not_found_404() {
    let server = Standin::always(Reply::flexpa_error(404, "Cannot POST /link/exchange")).await;
    let err = exchange(&server).await;
    assert_clean(&err);
    assert_eq!(err.status().unwrap().as_u16(), 404);
    assert_eq!(err.api().unwrap().error(), Some("Not Found"));
}

#[tokio::test]
async fn rate_limited_then_ok_waits_for_retry_after() {
    let server = Standin::sequence(vec![
        Reply::flexpa_error(429, "Too Many Requests").with_header("Retry-After", "1"),
        Reply::json(200, &ok_body()),
    ])
    .await;
    let started = Instant::now();
    let tokens = builder(&server.url())
        .build()
        .unwrap()
        .exchange(&PublicToken::new(PUBLIC).unwrap())
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(tokens.access_token.expose_secret(), "acc_ok");
    assert_eq!(server.request_count(), 2);
    assert!(
        waited >= Duration::from_millis(950),
        "retried too early: {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    let reqs = server.requests();
    assert_eq!(
        reqs[0].body, reqs[1].body,
        "the retry sends the same request"
    );
}

#[tokio::test]
async fn rate_limited_forever_gives_up_after_the_bounded_retries() {
    let server = Standin::always(
        Reply::flexpa_error(429, "Too Many Requests").with_header("Retry-After", "0"),
    )
    .await;
    let err = exchange_with(builder(&server.url()).max_retries(2)).await;
    assert_clean(&err);
    let Error::RateLimited {
        retry_after,
        attempts,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(attempts, 3);
    assert_eq!(retry_after, Some(Duration::ZERO));
    assert_eq!(server.request_count(), 3);
    assert!(Error::RateLimited {
        retry_after,
        attempts
    }
    .is_transient());
}

#[tokio::test]
async fn no_retries_when_disabled() {
    let server = Standin::always(
        Reply::flexpa_error(429, "Too Many Requests").with_header("Retry-After", "7"),
    )
    .await;
    let err = exchange_with(builder(&server.url()).max_retries(0)).await;
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), attempts: 1 } if d == Duration::from_secs(7)),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "rate limited by Flexpa (HTTP 429) after 1 attempt(s); retry after 7s"
    );
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let server = Standin::sequence(vec![
        Reply::flexpa_error(429, "slow down").with_header("retry-after", &when),
        Reply::json(200, &ok_body()),
    ])
    .await;
    let started = Instant::now();
    builder(&server.url())
        .build()
        .unwrap()
        .exchange(&PublicToken::new(PUBLIC).unwrap())
        .await
        .unwrap();
    // HTTP dates have one-second resolution: the wait is between 1 and 2 seconds.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn a_huge_retry_after_ends_the_call_at_once_with_that_value() {
    let server = Standin::always(
        Reply::flexpa_error(429, "Too Many Requests").with_header("Retry-After", "86400"),
    )
    .await;
    let started = Instant::now();
    let err = exchange(&server).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "it must not sleep"
    );
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), attempts: 1 } if d == Duration::from_secs(86400)),
        "{err:?}"
    );
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_retry_after_past_the_total_timeout_ends_the_call_at_once() {
    let server = Standin::always(
        Reply::flexpa_error(429, "Too Many Requests").with_header("Retry-After", "3"),
    )
    .await;
    let err = exchange_with(builder(&server.url()).timeout(Duration::from_secs(1))).await;
    // Had it slept, the 1 s deadline would have made this a Timeout.
    assert!(
        matches!(err, Error::RateLimited { attempts: 1, retry_after: Some(d) } if d == Duration::from_secs(3)),
        "{err:?}"
    );
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_briefly() {
    let server = Standin::sequence(vec![
        Reply::flexpa_error(429, "Too Many Requests"),
        Reply::flexpa_error(429, "Too Many Requests").with_header("retry-after", "garbage"),
        Reply::json(200, &ok_body()),
    ])
    .await;
    let started = Instant::now();
    builder(&server.url())
        .build()
        .unwrap()
        .exchange(&PublicToken::new(PUBLIC).unwrap())
        .await
        .unwrap();
    let waited = started.elapsed();
    // 250 ms then 500 ms.
    assert!(
        waited >= Duration::from_millis(700) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn internal_server_error_500() {
    let server = Standin::always(Reply::flexpa_error(500, "Internal server error")).await;
    let err = exchange(&server).await;
    assert_clean(&err);
    assert_eq!(err.status().unwrap().as_u16(), 500);
    assert!(err.is_transient());
    assert_eq!(
        server.request_count(),
        1,
        "5xx is not retried: the token may be spent"
    );
}

#[tokio::test]
async fn service_unavailable_503_with_an_empty_body() {
    let server = Standin::always(Reply::raw(503, "text/plain", "")).await;
    let err = exchange(&server).await;
    assert_clean(&err);
    let api = err.api().unwrap();
    assert_eq!(api.status().as_u16(), 503);
    assert_eq!(
        (api.error(), api.message(), api.body_snippet()),
        (None, None, None)
    );
    assert_eq!(
        err.to_string(),
        "Flexpa API error: HTTP 503 Service Unavailable"
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_non_json_error_body_becomes_a_capped_scrubbed_snippet() {
    // A proxy's error page that echoes the request, secret key included.
    let page = format!(
        "<html><body><h1>502 Bad Gateway</h1>\n<pre>secret_key={SECRET_KEY}&public_token={PUBLIC}</pre>{}</body></html>",
        "x".repeat(2000)
    );
    let server = Standin::always(Reply::raw(502, "text/html", page)).await;
    let err = exchange(&server).await;
    assert_clean(&err);
    let snippet = err.api().unwrap().body_snippet().unwrap();
    assert!(
        snippet.starts_with("<html><body><h1>502 Bad Gateway</h1> <pre>secret_key=<redacted>"),
        "{snippet}"
    );
    assert!(snippet.chars().count() <= 257, "capped: {}", snippet.len());
    assert!(!snippet.contains('\n'), "control characters are replaced");
}

#[tokio::test]
async fn an_error_body_that_echoes_secrets_in_its_message_is_scrubbed() {
    let server = Standin::always(Reply::json(
        400,
        &json!({"statusCode": 400, "error": "Bad Request",
                "message": format!("bad public_token {PUBLIC} for key {SECRET_KEY}")}),
    ))
    .await;
    let err = exchange(&server).await;
    assert_clean(&err);
    assert_eq!(
        err.api().unwrap().message(),
        Some("bad public_token <redacted> for key <redacted>")
    );
}

#[tokio::test]
async fn json_error_bodies_of_other_shapes() {
    let server = Standin::always(Reply::json(422, &json!(["not", "an", "object"]))).await;
    let err = exchange(&server).await;
    assert_eq!(
        err.api().unwrap().body_snippet(),
        Some(r#"["not","an","object"]"#)
    );
    let server = Standin::always(Reply::json(
        400,
        &json!({"statusCode": 400, "message": ["public_token must be a string", "secret_key should not be empty"]}),
    ))
    .await;
    let err = exchange(&server).await;
    assert_eq!(
        err.api().unwrap().message(),
        Some("public_token must be a string; secret_key should not be empty")
    );
}

#[tokio::test]
async fn a_non_json_200_body_is_an_invalid_response() {
    let server = Standin::always(Reply::raw(200, "text/html", "<html>Maintenance</html>")).await;
    let err = exchange(&server).await;
    assert_clean(&err);
    let Error::InvalidResponse { status, reason } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(status.as_u16(), 200);
    assert!(reason.contains("not valid JSON"), "{reason}");
    assert!(
        reason.contains("text/html"),
        "the content type is named: {reason}"
    );
}

#[tokio::test]
async fn valid_json_under_a_wrong_content_type_is_accepted() {
    let server = Standin::always(Reply::raw(200, "text/plain", ok_body().to_string())).await;
    let tokens = builder(&server.url())
        .build()
        .unwrap()
        .exchange(&PublicToken::new(PUBLIC).unwrap())
        .await
        .unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "acc_ok");
}

#[tokio::test]
async fn an_empty_200_body_is_an_invalid_response() {
    let server = Standin::always(Reply::raw(200, "application/json", "")).await;
    let err = exchange(&server).await;
    assert!(
        matches!(&err, Error::InvalidResponse { reason, .. } if reason == "the body is empty"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_200_missing_the_access_token_or_with_wrong_types() {
    let server = Standin::always(Reply::json(200, &json!({"expires_in": 1800}))).await;
    let err = exchange(&server).await;
    assert!(
        err.to_string().contains("missing field `access_token`"),
        "{err}"
    );
    // A token-looking string where a number belongs is not quoted back.
    let server = Standin::always(Reply::json(
        200,
        &json!({"access_token": "acc", "expires_in": "eyJhbGciOiJSUzI1NiJ9.SECRETPAYLOAD"}),
    ))
    .await;
    let err = exchange(&server).await;
    assert!(!err.to_string().contains("SECRETPAYLOAD"), "{err}");
    let server = Standin::always(Reply::json(
        200,
        &json!({"access_token": "acc", "expires_in": 1, "endpoint": "eyJSECRETPAYLOAD"}),
    ))
    .await;
    let err = exchange(&server).await;
    assert!(matches!(err, Error::InvalidResponse { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("SECRETPAYLOAD"), "{err}");
}

#[tokio::test]
async fn truncated_json_that_ends_with_the_connection() {
    let server = Standin::always(Reply::CloseDelimited {
        status: 200,
        body: br#"{"access_token":"acc","expires_in":18"#.to_vec(),
    })
    .await;
    let err = exchange(&server).await;
    assert_clean(&err);
    let Error::InvalidResponse { reason, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("ends early"), "{reason}");
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_a_transport_error() {
    let server = Standin::always(Reply::ShortBody {
        status: 200,
        declared: 500,
        body: br#"{"access_token":"acc","#.to_vec(),
    })
    .await;
    let err = exchange(&server).await;
    assert_clean(&err);
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Body,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_connection_reset_mid_body() {
    let server = Standin::always(Reply::Reset {
        prefix: b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n{\"access_token\":\"ac".to_vec(),
    })
    .await;
    let err = exchange(&server).await;
    assert_clean(&err);
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Body,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_connection_reset_before_any_response() {
    let server = Standin::always(Reply::Reset { prefix: Vec::new() }).await;
    let err = exchange(&server).await;
    assert_clean(&err);
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Request,
                ..
            }
        ),
        "{err:?}"
    );
    let server = Standin::always(Reply::Close).await;
    let err = exchange(&server).await;
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn an_announced_body_over_the_cap_is_refused_without_reading_it() {
    let server = Standin::always(Reply::AnnounceAndHold {
        status: 200,
        declared: 10 * 1024 * 1024,
    })
    .await;
    let started = Instant::now();
    let err = exchange_with(builder(&server.url()).max_response_bytes(64 * 1024)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let Error::ResponseTooLarge { status, limit } = err else {
        panic!("{err:?}")
    };
    assert_eq!((status.as_u16(), limit), (200, 64 * 1024));
}

#[tokio::test]
async fn a_streamed_body_over_the_cap_is_cut_off_early() {
    let server = Standin::always(Reply::Stream {
        status: 200,
        chunk_size: 16 * 1024,
        chunks: 2048, // 32 MiB if it were all read
    })
    .await;
    let err = exchange_with(builder(&server.url()).max_response_bytes(100 * 1024)).await;
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 102_400, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("larger than the 102400-byte cap"),
        "{err}"
    );
    // Give the server a moment to notice the closed connection, then check it could not
    // push the whole body (socket buffers hold a few MiB at most).
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        server.bytes_written() < 16 * 1024 * 1024,
        "{}",
        server.bytes_written()
    );
}

#[tokio::test]
async fn a_server_slower_than_the_timeout() {
    let server =
        Standin::always(Reply::json(200, &ok_body()).delayed(Duration::from_secs(5))).await;
    let started = Instant::now();
    let err = exchange_with(builder(&server.url()).timeout(Duration::from_millis(300))).await;
    let took = started.elapsed();
    assert!(
        matches!(err, Error::Timeout { after } if after == Duration::from_millis(300)),
        "{err:?}"
    );
    assert!(err.is_timeout() && err.is_transient());
    assert!(
        took >= Duration::from_millis(290) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(
        err.to_string(),
        "the request to Flexpa timed out after 300ms"
    );
}

#[tokio::test]
async fn a_body_that_trickles_in_past_the_timeout() {
    let server = Standin::always(Reply::Trickle {
        status: 200,
        body: ok_body().to_string().into_bytes(),
        chunk: 4,
        interval: Duration::from_millis(100),
    })
    .await;
    let started = Instant::now();
    let err = exchange_with(builder(&server.url()).timeout(Duration::from_millis(500))).await;
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1500));
}

#[tokio::test]
async fn retries_count_against_the_total_timeout() {
    let server = Standin::always(
        Reply::flexpa_error(429, "Too Many Requests")
            .with_header("retry-after", "0")
            .delayed(Duration::from_millis(200)),
    )
    .await;
    let started = Instant::now();
    let err = exchange_with(
        builder(&server.url())
            .max_retries(50)
            .timeout(Duration::from_millis(700)),
    )
    .await;
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert!(server.request_count() <= 5);
}

#[tokio::test]
async fn a_refused_connection() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }; // closed again: nothing listens there now
    let err = exchange_with(builder(&format!("http://127.0.0.1:{port}"))).await;
    assert_clean(&err);
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("connect failed"), "{err}");
    assert!(err.status().is_none());
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_and_the_secret_stays_home() {
    let thief = Standin::always(Reply::json(200, &ok_body())).await;
    for status in [301u16, 302, 307, 308] {
        let server = Standin::always(
            Reply::raw(status, "text/plain", "")
                .with_header("location", &format!("{}/steal", thief.url())),
        )
        .await;
        let err = exchange(&server).await;
        assert_clean(&err);
        let Error::InvalidResponse { status: s, reason } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(s.as_u16(), status);
        assert!(reason.contains("redirect"), "{reason}");
    }
    assert_eq!(thief.request_count(), 0, "nothing reached the other host");
}

#[tokio::test]
async fn an_unexpected_informational_or_odd_status() {
    let server = Standin::always(Reply::raw(204, "application/json", "")).await;
    let err = exchange(&server).await;
    assert!(matches!(err, Error::InvalidResponse { .. }), "{err:?}");
}

#[tokio::test]
async fn a_server_that_closes_idle_connections_does_not_fail_the_next_call() {
    let server = Standin::always(Reply::FullThenClose {
        status: 200,
        body: ok_body().to_string().into_bytes(),
    })
    .await;
    let c = builder(&server.url()).build().unwrap();
    for _ in 0..3 {
        c.exchange(&PublicToken::new(PUBLIC).unwrap())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.request_count(), 3);
    assert_eq!(server.connections(), 3, "a fresh connection each time");
}
