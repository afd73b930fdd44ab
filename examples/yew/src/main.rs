//! Flexpa Link in a Yew app, on `flexpa-link-yew`'s hook.
//!
//! - `App` fetches the backend's config, shows the sandbox banner, and has two views, Link and
//!   About (`route`: named by the URL's hash, so the browser's back button moves between them).
//!   Leaving the Link view unmounts it, which closes Link if it is open.
//! - `components::LinkView` uses `use_flexpa_link_with` and exchanges the token on the backend;
//!   `components::Panel` is its markup.

mod components;
mod route;

use std::rc::Rc;

use components::{LinkView, Panel};
use example_api::Status;
use route::{use_view, View};
use yew::{platform::spawn_local, prelude::*};

#[component]
fn App() -> Html {
    let view = use_view();
    // The backend's config (None while it loads); `attempt` fetches it again after a failure.
    let config = use_state(|| None::<Result<Rc<example_api::Config>, String>>);
    let attempt = use_state(|| 0u32);
    {
        let config = config.clone();
        use_effect_with(*attempt, move |_| {
            config.set(None);
            spawn_local(async move { config.set(Some(example_api::config().await.map(Rc::new))) });
        });
    }
    let sandbox = matches!(&*config, Some(Ok(c)) if c.sandbox);
    let link_view = match (*config).clone() {
        None => html! { <Panel status={Status::Loading} /> },
        Some(Ok(config)) => html! { <LinkView {config} /> },
        Some(Err(message)) => {
            let onclick = Callback::from(move |_| attempt.set(*attempt + 1));
            html! { <Panel status={Status::Error} error={message} {onclick} /> }
        }
    };
    html! {
        <main>
            <h1>{ "Flexpa Link " }<small>{ "Yew" }</small></h1>
            <nav>
                <a id="nav-link" href="#link">{ "Link" }</a>
                { " · " }
                <a id="nav-about" href="#about">{ "About" }</a>
            </nav>
            <p id="sandbox-banner" class="banner" hidden={!sandbox}>
                { "Sandbox: every health plan and record here is sample data." }
            </p>
            if view == View::Link { { link_view } } else {
                <p id="about">{ "Flexpa Link connects a patient's health plan to this app." }</p>
            }
        </main>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
