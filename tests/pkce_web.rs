//! PKCE in the browser build (feature `pkce`, wasm32, headless Chromium): the verifier's
//! randomness comes from `crypto.getRandomValues`, with no RUSTFLAGS.
//!
//! `wasm_cargo test -p flexpa-link --target wasm32-unknown-unknown --features pkce --test pkce_web`
#![cfg(all(target_arch = "wasm32", feature = "pkce"))]

use flexpa_link::pkce::{random_state, AuthorizationUrl, Callback, CodeVerifier};
use flexpa_link::PublishableKey;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn verifiers_come_from_the_browsers_secure_random_generator() {
    let mut seen = std::collections::HashSet::new();
    for _ in 0..32 {
        let v = CodeVerifier::generate().expect("crypto.getRandomValues");
        assert_eq!(v.expose_secret().len(), 43);
        assert!(v
            .expose_secret()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(
            seen.insert(v.expose_secret().to_owned()),
            "a repeated verifier"
        );
    }
    assert_ne!(random_state().unwrap(), random_state().unwrap());
}

#[wasm_bindgen_test]
fn the_s256_challenge_matches_rfc_7636_in_the_browser() {
    let v = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    assert_eq!(
        v.challenge().as_str(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[wasm_bindgen_test]
fn the_authorization_url_parses_back_with_the_browsers_url_parser() {
    let key = PublishableKey::new("pk_test_abc").unwrap();
    let v = CodeVerifier::generate().unwrap();
    let href = AuthorizationUrl::new(&key, "https://app.example/cb?x=1", &v.challenge(), "user 1")
        .state("s t")
        .build()
        .unwrap();
    let url = web_sys::Url::new(&href).unwrap();
    assert_eq!(url.origin(), "https://api.flexpa.com");
    assert_eq!(url.pathname(), "/link/auth");
    let q = url.search_params();
    assert_eq!(q.get("client_id").as_deref(), Some("pk_test_abc"));
    assert_eq!(
        q.get("redirect_uri").as_deref(),
        Some("https://app.example/cb?x=1")
    );
    assert_eq!(
        q.get("code_challenge").as_deref(),
        Some(v.challenge().as_str())
    );
    assert_eq!(q.get("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(q.get("scope").as_deref(), Some("launch/patient"));
    assert_eq!(q.get("flexpa_external_id").as_deref(), Some("user 1"));
    assert_eq!(q.get("state").as_deref(), Some("s t"));
    assert_eq!(
        Callback::from_query("?code=abc&state=s+t").unwrap(),
        Callback::Code {
            code: flexpa_link::pkce::AuthorizationCode::new("abc").unwrap(),
            state: Some("s t".into())
        }
    );
}
