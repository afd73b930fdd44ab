//! What the user sees of Link: the button, the status, an error, and once linked the patient
//! and their coverage. Only markup: the state comes from the props.

use std::rc::Rc;

use example_api::{Exchange, Status};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PanelProps {
    pub status: Status,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    #[prop_or_default]
    pub result: Option<Rc<Exchange>>,
    #[prop_or_default]
    pub onclick: Callback<MouseEvent>,
}

#[component]
pub fn Panel(props: &PanelProps) -> Html {
    let result = props.result.as_deref();
    html! {
        <>
            <button id="link-button" type="button" disabled={!props.status.can_click()}
                onclick={props.onclick.clone()}>
                { "Link your health data" }
            </button>
            <p class="status">{ "Status: " }<span id="status">{ props.status.as_str() }</span></p>
            <p id="error" role="alert" hidden={props.error.is_none()}>{ props.error.clone() }</p>
            <section id="patient" hidden={result.is_none()}>
                if let Some(r) = result {
                    <h2>{ "Patient" }</h2>
                    <p class="patient-name">{ r.patient.name.clone().unwrap_or_else(|| "(no name)".into()) }</p>
                    <p>{ r.patient.details_with_id() }</p>
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
        </>
    }
}
