//! Flexpa Link in a Leptos app (client-side rendering).
//!
//! - The page state is a few signals; the [`LinkSession`] is a `StoredValue` owned by the
//!   component, so it is dropped (Link closed, callbacks freed) when the component is.
//!   A load that finishes after that creates nothing.
//! - The public token arrives through [`LinkSession::public_token`], a future awaited in a
//!   task started by the click: no callback captures any state, so none can go stale.
//! - If loading fails, the button stays enabled and a click tries again.

use example_api::{Exchange, Status};
use flexpa_link::{Error, LinkConfig, LinkSession, ScriptLoader};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
fn App() -> impl IntoView {
    let status = RwSignal::new(Status::Loading);
    let error = RwSignal::new(None::<String>);
    let result = RwSignal::new(None::<Exchange>);
    let sandbox = RwSignal::new(false);
    // `LinkSession` is not `Send`: keep it in local (single-threaded) storage.
    let session = StoredValue::new_local(None::<LinkSession>);

    let fail = move |message: String| {
        status.try_set(Status::Error);
        error.try_set(Some(message));
    };

    // Opens Link and follows this opening to its end.
    let open = move || {
        let Some(opened) = session.try_with_value(|s| {
            s.as_ref()
                .filter(|s| !s.is_open())
                .map(|s| s.open().map(|()| s.public_token()))
        }) else {
            return; // the component is gone
        };
        match opened {
            Some(Ok(token)) => {
                error.set(None);
                result.set(None);
                status.set(Status::Open);
                spawn_local(async move {
                    match token.await {
                        Ok(token) => {
                            status.try_set(Status::Exchanging);
                            match example_api::exchange(&token).await {
                                Ok(linked) => {
                                    result.try_set(Some(linked));
                                    status.try_set(Status::Success);
                                }
                                Err(message) => fail(message),
                            }
                        }
                        Err(Error::Exited { .. }) => {
                            status.try_set(Status::Exited);
                        }
                        // Closed or dropped with the component: nothing to show.
                        Err(Error::Closed | Error::SessionDropped | Error::Superseded) => {}
                        Err(e) => fail(e.to_string()),
                    }
                });
            }
            Some(Err(e)) => fail(e.to_string()),
            None => {}
        }
    };

    // Fetches the config, loads the script and creates Link; opens it if `then_open`.
    let start = move |then_open: bool| {
        status.set(Status::Loading);
        error.set(None);
        spawn_local(async move {
            let loaded = async {
                let config = example_api::config().await?;
                sandbox.try_set(config.sandbox);
                let link = ScriptLoader::new()
                    .src(config.script_url)
                    .load()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>((link, config.publishable_key))
            };
            match loaded.await {
                // The component went away while loading: create nothing.
                _ if session.is_disposed() => {}
                Ok((link, key)) => {
                    match LinkConfig::new(key).and_then(|config| link.create(config)) {
                        Ok(created) => {
                            session.set_value(Some(created));
                            status.set(Status::Ready);
                            if then_open {
                                open();
                            }
                        }
                        Err(e) => fail(e.to_string()),
                    }
                }
                Err(message) => fail(message),
            }
        });
    };
    start(false);

    let on_click = move |_| {
        if session.with_value(Option::is_some) {
            open();
        } else {
            start(true);
        }
    };

    view! {
        <main>
            <h1>"Flexpa Link " <small>"Leptos"</small></h1>
            <p id="sandbox-banner" class="banner" hidden=move || !sandbox.get()>
                "Sandbox: every health plan and record here is sample data."
            </p>
            <button id="link-button" type="button" disabled=move || !status.get().can_click() on:click=on_click>
                "Link your health data"
            </button>
            <p class="status">"Status: " <span id="status">{move || status.get().as_str()}</span></p>
            <p id="error" role="alert" hidden=move || error.with(Option::is_none)>
                {move || error.get().unwrap_or_default()}
            </p>
            <section id="patient" hidden=move || result.with(Option::is_none)>
                {move || result.get().map(|r| view! {
                    <h2>"Patient"</h2>
                    <p class="patient-name">{r.patient.name.clone().unwrap_or_else(|| "(no name)".into())}</p>
                    <p>{r.patient.details()}</p>
                    {r.linked_through().map(|t| view! { <p>{t}</p> })}
                    {r.expiry().map(|t| view! { <p>{t}</p> })}
                })}
            </section>
            <section id="coverage" hidden=move || result.with(Option::is_none)>
                {move || result.get().map(|r| view! {
                    <h2>"Coverage"</h2>
                    <ul>
                        {r.coverage.is_empty().then(|| view! { <li>"No coverage on file"</li> })}
                        {r.coverage.iter().map(|c| view! {
                            <li>
                                <strong>{c.plan.clone().unwrap_or_else(|| "Plan".into())}</strong>
                                {format!(" {}", c.details())}
                            </li>
                        }).collect_view()}
                    </ul>
                })}
            </section>
        </main>
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
