//! Flexpa Link in a Dioxus app (web).
//!
//! - The [`LinkSession`] lives in a signal owned by the component: it is dropped (Link closed,
//!   callbacks freed) when the component is. Loading runs in a task of the component, which
//!   Dioxus cancels on unmount, so a component that went away creates nothing.
//! - The public token arrives through [`LinkSession::public_token`], a future awaited in a
//!   task started by the click: no callback captures any state, so none can go stale.
//! - If loading fails, the button stays enabled and a click tries again.

use dioxus::prelude::*;
use example_api::{Exchange, Status};
use flexpa_link::{Error, LinkConfig, LinkSession, ScriptLoader};

#[component]
fn App() -> Element {
    let mut status = use_signal(|| Status::Loading);
    let mut error = use_signal(|| None::<String>);
    let mut result = use_signal(|| None::<Exchange>);
    let mut sandbox = use_signal(|| false);
    let mut session = use_signal(|| None::<LinkSession>);

    let mut fail = move |message: String| {
        status.set(Status::Error);
        error.set(Some(message));
    };

    // Opens Link and follows this opening to its end.
    let mut open = move || {
        let opened = match &*session.read() {
            Some(s) if s.is_open() => return,
            Some(s) => s.open().map(|()| s.public_token()),
            None => return,
        };
        match opened {
            Ok(token) => {
                error.set(None);
                result.set(None);
                status.set(Status::Open);
                spawn(async move {
                    match token.await {
                        Ok(token) => {
                            status.set(Status::Exchanging);
                            match example_api::exchange(&token).await {
                                Ok(linked) => {
                                    result.set(Some(linked));
                                    status.set(Status::Success);
                                }
                                Err(message) => fail(message),
                            }
                        }
                        Err(Error::Exited { .. }) => status.set(Status::Exited),
                        Err(Error::Closed | Error::SessionDropped | Error::Superseded) => {}
                        Err(e) => fail(e.to_string()),
                    }
                });
            }
            Err(e) => fail(e.to_string()),
        }
    };

    // Fetches the config, loads the script and creates Link; opens it if `then_open`.
    let mut start = move |then_open: bool| {
        status.set(Status::Loading);
        error.set(None);
        spawn(async move {
            let loaded = async {
                let config = example_api::config().await?;
                sandbox.set(config.sandbox);
                let link = ScriptLoader::new()
                    .src(config.script_url)
                    .load()
                    .await
                    .map_err(|e| e.to_string())?;
                LinkConfig::new(config.publishable_key)
                    .and_then(|config| link.create(config))
                    .map_err(|e| e.to_string())
            };
            match loaded.await {
                Ok(created) => {
                    session.set(Some(created));
                    status.set(Status::Ready);
                    if then_open {
                        open();
                    }
                }
                Err(message) => fail(message),
            }
        });
    };
    use_hook(|| start(false));

    let onclick = move |_| {
        if session.read().is_some() {
            open();
        } else {
            start(true);
        }
    };

    let r = result.read();
    rsx! {
        main {
            h1 { "Flexpa Link " small { "Dioxus" } }
            p { id: "sandbox-banner", class: "banner", hidden: !sandbox(),
                "Sandbox: every health plan and record here is sample data."
            }
            button { id: "link-button", r#type: "button", disabled: !status().can_click(), onclick,
                "Link your health data"
            }
            p { class: "status", "Status: ", span { id: "status", "{status().as_str()}" } }
            p { id: "error", role: "alert", hidden: error.read().is_none(),
                {error.read().clone().unwrap_or_default()}
            }
            section { id: "patient", hidden: r.is_none(),
                if let Some(r) = &*r {
                    h2 { "Patient" }
                    p { class: "patient-name", {r.patient.name.clone().unwrap_or_else(|| "(no name)".into())} }
                    p { "{r.patient.details()}" }
                    if let Some(through) = r.linked_through() { p { "{through}" } }
                    if let Some(expiry) = r.expiry() { p { "{expiry}" } }
                }
            }
            section { id: "coverage", hidden: r.is_none(),
                if let Some(r) = &*r {
                    h2 { "Coverage" }
                    ul {
                        if r.coverage.is_empty() { li { "No coverage on file" } }
                        for c in r.coverage.iter() {
                            li {
                                strong { {c.plan.clone().unwrap_or_else(|| "Plan".into())} }
                                " {c.details()}"
                            }
                        }
                    }
                }
            }
        }
    }
}

fn main() {
    dioxus::launch(App);
}
