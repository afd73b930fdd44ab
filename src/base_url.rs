//! The one rule for Flexpa base URLs (the server client's and the authorization URL's), and
//! for the consent flow's redirect URI: parsed by the `url` crate (WHATWG), so what is checked
//! is exactly what a browser or reqwest will connect to.

use url::{Host, Url};

use crate::credentials::InvalidValue;

/// Flexpa's API: the token calls, the FHIR API and the consent page (`/link/auth`).
pub const DEFAULT_BASE_URL: &str = "https://api.flexpa.com";

/// Checks a base URL: `https`, or plain `http` on a loopback host only (`localhost`,
/// `*.localhost`, `127.0.0.0/8`, `[::1]`, for local stand-ins); no credentials, query or
/// fragment. A path prefix is kept.
pub(crate) fn parse(raw: &str) -> Result<Url, InvalidValue> {
    const KIND: &str = "base URL";
    let url = parse_http(KIND, raw)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(InvalidValue::new(
            KIND,
            "it must not have a query or a fragment",
        ));
    }
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(InvalidValue::new(
            KIND,
            "plain http is allowed only for loopback hosts (localhost, 127.0.0.1, [::1]); use https",
        ));
    }
    Ok(url)
}

/// Checks a redirect URI: an absolute `http(s)` URL without credentials or fragment (OAuth 2.0
/// forbids one). Flexpa compares it with the registered one, so plain `http` is the app's call.
pub(crate) fn check_redirect_uri(raw: &str) -> Result<(), InvalidValue> {
    const KIND: &str = "redirect URI";
    if raw.is_empty() {
        return Err(InvalidValue::new(KIND, "it is empty"));
    }
    let url = parse_http(KIND, raw)?;
    if url.fragment().is_some() {
        return Err(InvalidValue::new(
            KIND,
            "it must not have a fragment (OAuth 2.0 forbids it)",
        ));
    }
    Ok(())
}

fn parse_http(kind: &'static str, raw: &str) -> Result<Url, InvalidValue> {
    let url = Url::parse(raw.trim())
        .map_err(|_| InvalidValue::new(kind, "it is not an absolute http(s) URL"))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(InvalidValue::new(
            kind,
            "its scheme must be https (or http on a loopback host)",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(InvalidValue::new(
            kind,
            "it must not carry credentials (`user:password@`)",
        ));
    }
    if url.host().is_none() {
        return Err(InvalidValue::new(kind, "it has no host"));
    }
    Ok(url)
}

/// Whether the URL's host, as the `url` crate resolved it, is a loopback name or address.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.');
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        for good in [
            DEFAULT_BASE_URL,
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:1/prefix/",
            "http://LOCALHOST.",
            "http://app.localhost",
            "http://[::1]:9",
            "https://proxy.example/flexpa",
        ] {
            assert!(parse(good).is_ok(), "{good}");
        }
        for bad in [
            "http://api.flexpa.com",
            "http://10.0.0.1",
            // A backslash is a path separator to WHATWG: the host is evil.com.
            "http://evil.com\\.localhost",
            "http://localhost.evil.com",
            "http://127.0.0.1.evil.com",
            "ftp://api.flexpa.com",
            "https://u:p@api.flexpa.com",
            "https://api.flexpa.com/?x=1",
            "https://api.flexpa.com/#x",
            "api.flexpa.com",
            "not a url",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn redirect_uris() {
        assert!(check_redirect_uri("https://app.example/cb?x=1").is_ok());
        assert!(check_redirect_uri("http://app.example/cb").is_ok());
        for bad in [
            "",
            "/cb",
            "app://cb",
            "https://app.example/cb#f",
            "https://u@app.example/",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_never_echo_the_value() {
        let err = parse("http://SECRET-HOST.example").unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }
}
