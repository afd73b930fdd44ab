//! The server's command line and environment.
//!
//! Flexpa's keys and URLs come from the environment (`FLEXPA_*`, the real Flexpa's URLs by
//! default), or, with `--sandbox`, from an offline sandbox run in this process.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use flexpa_link::browser::DEFAULT_SRC;
use flexpa_link::server::{SecretKey, DEFAULT_BASE_URL};
use flexpa_link::PublishableKey;

/// `--help`.
pub const HELP: &str = "\
example-leptos-fullstack: Flexpa Link in a full-stack Leptos app (server-side rendering,
hydration, the token exchange and the FHIR records in a server function)

USAGE:
    example-leptos-fullstack [--site-root DIR] [--port PORT] [--host ADDR]
                             [--sandbox [--sandbox-sync-seconds SECS]]

OPTIONS:
    --site-root DIR      the built browser half: DIR/pkg/app.js, app_bg.wasm (default:
                         $LEPTOS_SITE_ROOT, else target/site; `cargo xtask leptos-fullstack`
                         builds it)
    --port PORT          the port (default: $PORT, else 3000; 0 = any free port)
    --host ADDR          the address to listen on (default: 127.0.0.1)
    --sandbox            run the offline Flexpa sandbox (sample plans and data) in this process
                         and use it (a build with the `sandbox` feature)
    --sandbox-sync-seconds SECS
                         how long a newly linked patient's data stays \"syncing\" in the
                         sandbox (default 3; 0 to 600)
    -h, --help           this help

ENVIRONMENT (without --sandbox):
    FLEXPA_PUBLISHABLE_KEY  pk_test_... or pk_live_... (required)
    FLEXPA_SECRET_KEY       sk_test_... or sk_live_... (required; never printed)
    FLEXPA_API_URL          Flexpa's API (default https://api.flexpa.com)
    FLEXPA_LINK_SCRIPT_URL  the Link script (default https://js.flexpa.com/v1/)
";

/// Where Flexpa is.
#[derive(Debug)]
pub enum FlexpaSource {
    /// Keys and URLs from the environment.
    Configured {
        /// The publishable key (for the page).
        publishable_key: PublishableKey,
        /// The secret key (for the server function only).
        secret_key: SecretKey,
        /// Flexpa's API.
        api_url: String,
        /// The Link script.
        script_url: String,
    },
    /// The offline sandbox, run in this process.
    Sandbox {
        /// How long new patients' data is "syncing".
        sync_window: Duration,
    },
}

/// The server's settings.
#[derive(Debug)]
pub struct Config {
    /// The browser half's directory (pkg/ inside).
    pub site_root: PathBuf,
    /// Where to listen.
    pub host: String,
    /// The port (0: any free one).
    pub port: u16,
    /// Flexpa.
    pub flexpa: FlexpaSource,
}

impl Config {
    /// From the command line (without the program name) and an environment lookup.
    /// `Ok(None)`: `--help` was asked for.
    pub fn parse(
        args: impl IntoIterator<Item = OsString>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Config>, String> {
        use lexopt::prelude::*;
        // Unset when empty.
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let mut parser = lexopt::Parser::from_args(args);
        let text = |value: OsString, name: &str| {
            value
                .into_string()
                .map_err(|_| format!("{name} must be text"))
        };
        let mut site_root = env("LEPTOS_SITE_ROOT").map(PathBuf::from);
        let mut host = "127.0.0.1".to_owned();
        let mut port = env("PORT");
        let mut sandbox = false;
        let mut sync_seconds = None;
        while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
            let value = |parser: &mut lexopt::Parser| parser.value().map_err(|e| e.to_string());
            match arg {
                Long("site-root") => site_root = Some(value(&mut parser)?.into()),
                Long("host") => host = text(value(&mut parser)?, "--host")?,
                Long("port") => port = Some(text(value(&mut parser)?, "--port")?),
                Long("sandbox") => sandbox = true,
                Long("sandbox-sync-seconds") => {
                    sync_seconds = Some(text(value(&mut parser)?, "--sandbox-sync-seconds")?)
                }
                Short('h') | Long("help") => return Ok(None),
                other => return Err(other.unexpected().to_string()),
            }
        }
        let port = match port {
            Some(p) => p
                .trim()
                .parse()
                .map_err(|_| "the port must be a number from 0 to 65535".to_owned())?,
            None => 3000,
        };
        let flexpa = if sandbox {
            let sync_window = match sync_seconds {
                Some(s) => s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && (0.0..=600.0).contains(s))
                    .map(Duration::from_secs_f64)
                    .ok_or("--sandbox-sync-seconds needs a number of seconds from 0 to 600")?,
                None => Duration::from_secs(3),
            };
            FlexpaSource::Sandbox { sync_window }
        } else {
            if sync_seconds.is_some() {
                return Err("--sandbox-sync-seconds goes with --sandbox".into());
            }
            let (Some(pk), Some(sk)) = (env("FLEXPA_PUBLISHABLE_KEY"), env("FLEXPA_SECRET_KEY"))
            else {
                return Err(
                    "set FLEXPA_PUBLISHABLE_KEY and FLEXPA_SECRET_KEY (or run with --sandbox)"
                        .into(),
                );
            };
            // The errors name the variable and the problem, never the value.
            FlexpaSource::Configured {
                publishable_key: PublishableKey::new(pk)
                    .map_err(|e| format!("FLEXPA_PUBLISHABLE_KEY: {e}"))?,
                secret_key: SecretKey::new(sk).map_err(|e| format!("FLEXPA_SECRET_KEY: {e}"))?,
                api_url: env("FLEXPA_API_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
                script_url: env("FLEXPA_LINK_SCRIPT_URL").unwrap_or_else(|| DEFAULT_SRC.to_owned()),
            }
        };
        Ok(Some(Config {
            site_root: site_root.unwrap_or_else(|| PathBuf::from("target/site")),
            host,
            port,
            flexpa,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "sk_test_configTestSecret000000000000000";

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Option<Config>, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::parse(args.iter().map(OsString::from), move |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn real_flexpa_by_default_with_overrides_from_the_environment() {
        let keys = [
            ("FLEXPA_PUBLISHABLE_KEY", "pk_test_configTestKey0000000000"),
            ("FLEXPA_SECRET_KEY", SECRET),
        ];
        let config = parse(&[], &keys).unwrap().unwrap();
        assert_eq!(config.port, 3000);
        assert_eq!(config.site_root, PathBuf::from("target/site"));
        let FlexpaSource::Configured {
            api_url,
            script_url,
            ..
        } = &config.flexpa
        else {
            panic!("expected the configured Flexpa");
        };
        assert_eq!(api_url, "https://api.flexpa.com");
        assert_eq!(script_url, "https://js.flexpa.com/v1/");
        // The secret key never prints.
        assert!(!format!("{config:?}").contains(SECRET));

        let overridden = [
            keys[0],
            keys[1],
            ("FLEXPA_API_URL", "http://127.0.0.1:9"),
            ("FLEXPA_LINK_SCRIPT_URL", "http://127.0.0.1:9/v1/"),
            ("PORT", "8081"),
        ];
        let config = parse(&["--site-root", "site"], &overridden)
            .unwrap()
            .unwrap();
        assert_eq!(config.port, 8081);
        assert_eq!(config.site_root, PathBuf::from("site"));
        assert!(matches!(
            &config.flexpa,
            FlexpaSource::Configured { api_url, script_url, .. }
                if api_url == "http://127.0.0.1:9" && script_url == "http://127.0.0.1:9/v1/"
        ));
    }

    #[test]
    fn bad_input_is_an_error_that_names_no_secret() {
        let missing = parse(&[], &[]).unwrap_err();
        assert!(missing.contains("FLEXPA_SECRET_KEY"), "{missing}");
        let bad_key = parse(
            &[],
            &[
                ("FLEXPA_PUBLISHABLE_KEY", "pk_test_configTestKey0000000000"),
                ("FLEXPA_SECRET_KEY", "not a key\u{7}"),
            ],
        )
        .unwrap_err();
        assert!(bad_key.starts_with("FLEXPA_SECRET_KEY: "), "{bad_key}");
        assert!(!bad_key.contains("not a key"), "{bad_key}");
        assert!(parse(&["--port", "70000", "--sandbox"], &[]).is_err());
        assert!(parse(&["--sandbox", "--sandbox-sync-seconds", "-1"], &[]).is_err());
        assert!(parse(&["--sandbox-sync-seconds", "1"], &[]).is_err());
        assert!(parse(&["--nope"], &[]).is_err());
        assert!(parse(&["--help"], &[]).unwrap().is_none());
    }

    #[test]
    fn sandbox_mode_needs_no_keys() {
        let config = parse(
            &["--sandbox", "--sandbox-sync-seconds", "0.5", "--port", "0"],
            &[],
        )
        .unwrap()
        .unwrap();
        assert_eq!(config.port, 0);
        assert!(matches!(
            config.flexpa,
            FlexpaSource::Sandbox { sync_window } if sync_window == Duration::from_millis(500)
        ));
    }
}
