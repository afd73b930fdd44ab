//! Flexpa Link in a Yew app.
//!
//! - The page state lives in a reducer. Flexpa Link's callbacks get the reducer's dispatcher,
//!   which never goes stale: each action applies to the state current at that moment.
//! - The [`LinkSession`] lives in a `use_mut_ref` for as long as the component is mounted:
//!   the effect that creates it drops it in its clean-up, which closes Link and frees its
//!   callbacks. A load that finishes after the clean-up creates nothing (a component mounted,
//!   unmounted and mounted again ends up with exactly one session).
//! - If loading fails, the button stays enabled and a click tries again.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use example_api::{Exchange, Status};
use flexpa_link::{LinkConfig, LinkSession, ScriptLoader};
use yew::platform::spawn_local;
use yew::prelude::*;

#[derive(Clone, PartialEq)]
struct State {
    status: Status,
    error: Option<String>,
    result: Option<Rc<Exchange>>,
    sandbox: bool,
    /// Bumped to load again after a failure; the loading effect depends on it.
    attempt: u32,
}

enum Action {
    Sandbox(bool),
    Ready,
    Open,
    Exchanging,
    Linked(Exchange),
    Failed(String),
    Exited,
    Retry,
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        next.error = None;
        match action {
            Action::Sandbox(sandbox) => {
                next.sandbox = sandbox;
                next.error = self.error.clone();
            }
            Action::Ready => next.status = Status::Ready,
            Action::Open => {
                next.status = Status::Open;
                next.result = None;
            }
            Action::Exchanging => next.status = Status::Exchanging,
            Action::Linked(result) => {
                next.status = Status::Success;
                next.result = Some(Rc::new(result));
            }
            Action::Failed(message) => {
                next.status = Status::Error;
                next.error = Some(message);
            }
            Action::Exited => next.status = Status::Exited,
            Action::Retry => {
                next.status = Status::Loading;
                next.attempt += 1;
            }
        }
        Rc::new(next)
    }
}

/// Fetches the config, loads the script and creates Link, unless the component went away
/// in the meantime (`alive`), so that a dead component never replaces a live one's session.
async fn create_session(
    dispatch: UseReducerDispatcher<State>,
    alive: Rc<Cell<bool>>,
) -> Result<Option<LinkSession>, String> {
    let config = example_api::config().await?;
    dispatch.dispatch(Action::Sandbox(config.sandbox));
    let link = ScriptLoader::new()
        .src(config.script_url)
        .load()
        .await
        .map_err(|e| e.to_string())?;
    if !alive.get() {
        return Ok(None);
    }
    let (on_success, on_exit) = (dispatch.clone(), dispatch);
    let config = LinkConfig::new(config.publishable_key)
        .map_err(|e| e.to_string())?
        .on_success(move |token| {
            on_success.dispatch(Action::Exchanging);
            let dispatch = on_success.clone();
            spawn_local(async move {
                dispatch.dispatch(match example_api::exchange(&token).await {
                    Ok(result) => Action::Linked(result),
                    Err(message) => Action::Failed(message),
                });
            });
        })
        .on_exit(move |_reason| on_exit.dispatch(Action::Exited));
    link.create(config).map(Some).map_err(|e| e.to_string())
}

#[component]
fn App() -> Html {
    let state = use_reducer(|| State {
        status: Status::Loading,
        error: None,
        result: None,
        sandbox: false,
        attempt: 0,
    });
    let session = use_mut_ref(|| None::<LinkSession>);

    {
        let (dispatch, session) = (state.dispatcher(), session.clone());
        use_effect_with(state.attempt, move |attempt| {
            let alive = Rc::new(Cell::new(true));
            let open_when_ready = *attempt > 0; // a retry comes from a click
            {
                let (alive, session) = (alive.clone(), session.clone());
                spawn_local(async move {
                    match create_session(dispatch.clone(), alive.clone()).await {
                        Ok(Some(created)) => {
                            *session.borrow_mut() = Some(created);
                            dispatch.dispatch(Action::Ready);
                            if open_when_ready {
                                open(&session, &dispatch);
                            }
                        }
                        Ok(None) => {} // unmounted while loading
                        Err(_) if !alive.get() => {}
                        Err(message) => dispatch.dispatch(Action::Failed(message)),
                    }
                });
            }
            move || {
                alive.set(false);
                // Closes Link if it is open and frees its callbacks.
                session.borrow_mut().take();
            }
        });
    }

    let onclick = {
        let (dispatch, session) = (state.dispatcher(), session.clone());
        Callback::from(move |_: MouseEvent| {
            if session.borrow().is_some() {
                open(&session, &dispatch);
            } else {
                dispatch.dispatch(Action::Retry);
            }
        })
    };

    let result = state.result.as_deref();
    html! {
        <main>
            <h1>{ "Flexpa Link " }<small>{ "Yew" }</small></h1>
            <p id="sandbox-banner" class="banner" hidden={!state.sandbox}>
                { "Sandbox: every health plan and record here is sample data." }
            </p>
            <button id="link-button" type="button" disabled={!state.status.can_click()} {onclick}>
                { "Link your health data" }
            </button>
            <p class="status">{ "Status: " }<span id="status">{ state.status.as_str() }</span></p>
            <p id="error" role="alert" hidden={state.error.is_none()}>
                { state.error.clone().unwrap_or_default() }
            </p>
            <section id="patient" hidden={result.is_none()}>
                if let Some(r) = result {
                    <h2>{ "Patient" }</h2>
                    <p class="patient-name">{ r.patient.name.clone().unwrap_or_else(|| "(no name)".into()) }</p>
                    <p>{ r.patient.details() }</p>
                    if let Some(through) = r.linked_through() { <p>{ through }</p> }
                    if let Some(expiry) = r.expiry() { <p>{ expiry }</p> }
                }
            </section>
            <section id="coverage" hidden={result.is_none()}>
                if let Some(r) = result {
                    <h2>{ "Coverage" }</h2>
                    <ul>
                        if r.coverage.is_empty() { <li>{ "No coverage on file" }</li> }
                        { for r.coverage.iter().map(|c| html! {
                            <li>
                                <strong>{ c.plan.clone().unwrap_or_else(|| "Plan".into()) }</strong>
                                { format!(" {}", c.details()) }
                            </li>
                        }) }
                    </ul>
                }
            </section>
        </main>
    }
}

fn open(session: &RefCell<Option<LinkSession>>, dispatch: &UseReducerDispatcher<State>) {
    if let Some(session) = &*session.borrow() {
        dispatch.dispatch(match session.open() {
            Ok(()) => Action::Open,
            Err(e) => Action::Failed(e.to_string()),
        });
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
