//! The pages: rendered on the server, hydrated in the browser.
//!
//! `/` links a health plan and shows the records; `/about` is another view of the app, so that
//! leaving the Link view (a click or the Back button, routed in the browser) unmounts it, and
//! with it any open Link.

use flexpa_link::{LinkConfig, PublicToken, ScriptLoader};
use flexpa_link_leptos::{use_flexpa_link_with_options, FlexpaLinkButton, UseFlexpaLinkOptions};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;
use serde::{Deserialize, Serialize};

use crate::records::{Claim, LinkRecords, Records};

/// What the page needs to create Link: chosen by the server, sent with the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkSettings {
    /// `pk_test_...` or `pk_live_...` (public by design).
    pub publishable_key: String,
    /// The Link script.
    pub script_url: String,
    /// Whether Flexpa is the offline sandbox (the page says so).
    pub sandbox: bool,
}

/// The HTML document around [`App`], for the server; its hydration script loads the
/// browser half (`/pkg/app.js` and `/pkg/app_bg.wasm`) and calls [`crate::hydrate`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>"Flexpa Link · Leptos full-stack"</title>
                <link rel="stylesheet" href="/style.css"/>
                <HydrationScripts options/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The app: a router over the Link view and an about page.
#[component]
pub fn App() -> impl IntoView {
    // Computed on the server from the context it provides, and read back from the page while
    // the browser hydrates (so later client-side navigations have it too).
    let settings = SharedValue::new(use_context::<LinkSettings>).into_inner();
    view! {
        <Router>
            <main>
                <h1>"Flexpa Link " <small>"Leptos full-stack"</small></h1>
                <nav>
                    <A href="/">"Link"</A>
                    " · "
                    <A href="/about">"About"</A>
                </nav>
                <Routes fallback=|| view! { <p>"Not found."</p> }>
                    <Route
                        path=path!("/")
                        view=move || view! { <LinkView settings=settings.clone()/> }
                    />
                    <Route path=path!("/about") view=About/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn About() -> impl IntoView {
    view! {
        <section id="about">
            <h2>"About"</h2>
            <p>
                "The server renders this app and hydrates it in the browser. Linking sends Link's "
                "public token to a server function, which exchanges it and reads your records; "
                "the access token never reaches the browser."
            </p>
        </section>
    }
}

/// The Link button, the status, and the records once linked.
#[component]
fn LinkView(settings: Option<LinkSettings>) -> impl IntoView {
    let Some(LinkSettings {
        publishable_key,
        script_url,
        sandbox,
    }) = settings
    else {
        return view! { <p id="error" role="alert">"The server sent no Link settings."</p> }
            .into_any();
    };
    let records = ServerAction::<LinkRecords>::new();
    let exited = RwSignal::new(false);
    // Link hands the public token to the server function, which keeps the access token.
    let config = LinkConfig::new(publishable_key).map(|config| {
        config
            .on_success(move |token: PublicToken| {
                records.dispatch(LinkRecords {
                    public_token: token.into_string(),
                });
            })
            .on_exit(move |_| exited.set(true))
    });
    let config_error = StoredValue::new(config.as_ref().err().map(ToString::to_string));
    let loader = ScriptLoader::new().src(script_url);
    let link =
        use_flexpa_link_with_options(config.ok(), UseFlexpaLinkOptions::default().loader(loader));
    // A new opening: the last outcome goes.
    Effect::new(move || {
        if link.is_open.get() {
            exited.set(false);
            records.value().set(None);
        }
    });

    let syncing = records.pending();
    let result = records.value();
    let status = move || {
        if link.is_open.get() {
            "open"
        } else if syncing.get() {
            "syncing"
        } else if let Some(ok) = result.with(|r| r.as_ref().map(Result::is_ok)) {
            if ok {
                "success"
            } else {
                "error"
            }
        } else if exited.get() {
            "exited"
        } else if link.error.with(Option::is_some) || config_error.with_value(Option::is_some) {
            "error"
        } else if link.ready.get() {
            "ready"
        } else {
            "not ready"
        }
    };
    let error = move || match result.get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => link
            .error
            .get()
            .map(|e| e.to_string())
            .or_else(|| config_error.get_value()),
    };
    let shown = move || result.get().and_then(Result::ok);

    view! {
        <p id="sandbox-banner" class="banner" hidden=!sandbox>
            "Sandbox: every health plan and record here is sample data."
        </p>
        <FlexpaLinkButton link attr:id="link-button"/>
        <p class="status">"Status: " <span id="status">{status}</span></p>
        <p id="syncing" hidden=move || !syncing.get()>
            "Syncing… Flexpa is fetching your records from the health plan."
        </p>
        <p id="error" role="alert" hidden=move || error().is_none()>
            {move || error().unwrap_or_default()}
        </p>
        {move || shown().map(|r| view! { <RecordsView records=r/> })}
    }
    .into_any()
}

/// The patient, their coverage and their claims.
#[component]
fn RecordsView(records: Records) -> impl IntoView {
    let Records {
        patient,
        plan,
        coverage,
        claims,
        claim_pages,
    } = records;
    let summary = format!(
        "{} claims, read in {claim_pages} {} through Flexpa's FHIR API",
        claims.len(),
        if claim_pages == 1 { "page" } else { "pages" }
    );
    view! {
        <section id="patient">
            <h2>"Patient"</h2>
            <p class="patient-name">{patient.name.clone().unwrap_or_else(|| "(no name)".into())}</p>
            <p>{patient.details()}</p>
            {plan.map(|plan| view! { <p>"Linked through " {plan}</p> })}
        </section>
        <section id="coverage">
            <h2>"Coverage"</h2>
            <ul>
                {coverage.is_empty().then(|| view! { <li>"No coverage on file"</li> })}
                {coverage
                    .into_iter()
                    .map(|c| {
                        let details = format!(" {}", c.details());
                        view! {
                            <li>
                                <strong>{c.plan.unwrap_or_else(|| "Plan".into())}</strong>
                                {details}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
        <section id="claims">
            <h2>"Claims"</h2>
            <p class="claims-summary">{summary}</p>
            <table id="claims-table">
                <thead>
                    <tr>
                        <th>"Date"</th>
                        <th>"Provider"</th>
                        <th>"Type"</th>
                        <th class="amount">"Billed"</th>
                        <th class="amount">"Paid by plan"</th>
                    </tr>
                </thead>
                <tbody>{claims.into_iter().map(claim_row).collect_view()}</tbody>
            </table>
        </section>
    }
}

fn claim_row(claim: Claim) -> impl IntoView {
    let text = |value: Option<String>| value.unwrap_or_else(|| "–".into());
    let billed = text(claim.billed_money().map(|m| m.to_string()));
    let paid = text(claim.paid_money().map(|m| m.to_string()));
    view! {
        <tr class="claim">
            <td>{text(claim.date)}</td>
            <td>{text(claim.provider)}</td>
            <td>{text(claim.kind)}</td>
            <td class="amount billed">{billed}</td>
            <td class="amount paid">{paid}</td>
        </tr>
    }
}
