//! Flexpa Link in a Leptos app (client-side rendering), on `flexpa-link-leptos`.
//!
//! - `App` fetches the demo backend's config (a `LocalResource`) and routes between two views
//!   by the URL's hash (no router crate): leaving the Link view unmounts it, which closes an
//!   open Link.
//! - `Linker` uses the hook: the script comes from the backend's URL, the public token goes
//!   to an `Action` that exchanges it on the server.

use example_api::{Config, Exchange, Status};
use flexpa_link::{LinkConfig, PublicToken, ScriptLoader};
use flexpa_link_leptos::{use_flexpa_link_with_options, FlexpaLinkButton, UseFlexpaLinkOptions};
use leptos::{ev, prelude::*};

#[component]
fn App() -> impl IntoView {
    let config = LocalResource::new(example_api::config);
    let hash = RwSignal::new(location_hash().unwrap_or_default());
    let _ = window_event_listener(ev::hashchange, move |_| {
        hash.set(location_hash().unwrap_or_default())
    });
    view! {
        <main>
            <h1>"Flexpa Link " <small>"Leptos"</small></h1>
            <nav><a id="nav-link" href="#/">"Link"</a> " · " <a id="nav-about" href="#/about">"About"</a></nav>
            <Show when=move || hash.get() != "/about" fallback=|| view! { <p id="about">"Linking happens on the Link page."</p> }>
                {move || match config.get() {
                    None => view! { <StatusLine status=Status::Loading /> }.into_any(),
                    Some(Ok(config)) => view! { <Linker config /> }.into_any(),
                    Some(Err(message)) => view! { <StatusLine status=Status::Error /> <p id="error" role="alert">{message}</p> }.into_any(),
                }}
            </Show>
        </main>
    }
}

#[component]
fn Linker(config: Config) -> impl IntoView {
    let exchange = Action::new_local(|token: &PublicToken| {
        let token = token.clone();
        async move { example_api::exchange(&token).await }
    });
    let exited = RwSignal::new(false);
    let link_config = LinkConfig::new(config.publishable_key).map(|c| {
        c.on_success(move |token| {
            exited.try_set(false);
            exchange.dispatch_local(token);
        })
        .on_exit(move |_| _ = exited.try_set(true))
    });
    let key_error = link_config.as_ref().err().map(ToString::to_string);
    let loader = ScriptLoader::new().src(config.script_url);
    let link = use_flexpa_link_with_options(
        link_config.ok(),
        UseFlexpaLinkOptions::default().loader(loader),
    );

    let result = move || exchange.value().get();
    let failure = Memo::new(move |_| {
        key_error
            .clone()
            .or_else(|| link.error.get().map(|e| e.to_string()))
    });
    let status = Signal::derive(move || match result() {
        _ if failure.with(Option::is_some) => Status::Error,
        _ if !link.ready.get() => Status::Loading,
        _ if link.is_open.get() => Status::Open,
        _ if exchange.pending().get() => Status::Exchanging,
        _ if exited.get() => Status::Exited,
        Some(Ok(_)) => Status::Success,
        Some(Err(_)) => Status::Error,
        None => Status::Ready,
    });
    let error = Signal::derive(move || {
        failure
            .get()
            .or_else(|| result()?.err().filter(|_| status.get() == Status::Error))
    });
    view! {
        <p id="sandbox-banner" class="banner" hidden=!config.sandbox>"Sandbox: every health plan and record here is sample data."</p>
        <FlexpaLinkButton link attr:id="link-button" />
        <StatusLine status />
        <p id="error" role="alert" hidden=move || error.with(Option::is_none)>
            {error} " " <Show when=move || link.error.with(Option::is_some)><button on:click=move |_| link.retry()>"Try again"</button></Show>
        </p>
        <Records exchange=Signal::derive(move || result().and_then(Result::ok)) />
    }
}

#[component]
fn StatusLine(#[prop(into)] status: Signal<Status>) -> impl IntoView {
    view! { <p class="status">"Status: " <span id="status">{move || status.get().as_str()}</span></p> }
}

/// The patient and coverage the backend read with the access token.
#[component]
fn Records(exchange: Signal<Option<Exchange>>) -> impl IntoView {
    view! {
        <section id="patient" hidden=move || exchange.with(Option::is_none)>
            {move || exchange.get().map(|r| view! {
                <h2>"Patient"</h2>
                <p class="patient-name">{r.patient.name.clone().unwrap_or_else(|| "(no name)".into())}</p>
                <p>{r.patient.details_with_id()}</p>
                {r.linked_through().map(|t| view! { <p>{t}</p> })}
                {r.expiry().map(|t| view! { <p>{t}</p> })}
            })}
        </section>
        <section id="coverage" hidden=move || exchange.with(Option::is_none)>
            {move || exchange.get().map(|r| view! {
                <h2>"Coverage"</h2>
                <ul>
                    {r.coverage.is_empty().then(|| view! { <li>"No coverage on file"</li> })}
                    {r.coverage.iter().map(|c| view! {
                        <li><strong>{c.plan.clone().unwrap_or_else(|| "Plan".into())}</strong>{format!(" {}", c.details())}</li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
