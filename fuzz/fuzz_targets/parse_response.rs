//! Fuzzes the server client's response parsing: every typed response (exchange, introspect,
//! token, revoke) for 2xx bodies, and the error-body path (Flexpa's JSON error, or a scrubbed
//! snippet) for every other status; and the PKCE redirect's query string.
//!
//! Input layout: byte 0 picks the status, byte 1 the `Content-Type`, the rest is the body.
//! Invariants: no panic, and no error text contains a secret the request carried, even when
//! the body echoes it.
#![no_main]

use libfuzzer_sys::fuzz_target;

const STATUSES: [u16; 16] = [
    200, 201, 204, 301, 307, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504,
];
const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("application/json"),
    Some("text/html; charset=utf-8"),
    Some("text/plain"),
];
const SECRET_KEY: &str = "sk_test_FuzzSecretKey0123456789";
const TOKEN: &str = "public_token_0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5";

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let status = STATUSES[usize::from(data[0]) % STATUSES.len()];
    let content_type = CONTENT_TYPES[usize::from(data[1]) % CONTENT_TYPES.len()];
    let body = &data[2..];
    // Half the time, plant the secrets in the body the way an echoing server would.
    let planted;
    let body = if data[1] & 0x80 != 0 {
        let text = String::from_utf8_lossy(body);
        planted = text
            .replace("$K", SECRET_KEY)
            .replace("$T", TOKEN)
            .into_bytes();
        &planted[..]
    } else {
        body
    };
    let texts = flexpa_link::server::fuzzing::parse_response(
        status,
        body,
        content_type,
        &[SECRET_KEY, TOKEN],
    );
    // The PKCE redirect's query string is a response too.
    if let Err(e) = flexpa_link::pkce::Callback::from_query(&String::from_utf8_lossy(body)) {
        assert!(!e.to_string().contains(TOKEN));
    }
    for text in texts {
        assert!(!text.contains(SECRET_KEY), "secret key in an error: {text}");
        assert!(!text.contains(TOKEN), "token in an error: {text}");
    }
});
