//! What the app shows: presentation only, no state.

use dioxus::prelude::*;
use example_api::Exchange;

#[component]
pub fn Banner(sandbox: bool) -> Element {
    rsx! {
        p { id: "sandbox-banner", class: "banner", hidden: !sandbox,
            "Sandbox: every health plan and record here is sample data."
        }
    }
}

/// The patient and their coverage, once linked.
#[component]
pub fn Linked(exchange: Option<Exchange>) -> Element {
    let Some(r) = exchange else {
        return rsx! { section { id: "patient", hidden: true } section { id: "coverage", hidden: true } };
    };
    rsx! {
        section { id: "patient",
            h2 { "Patient" }
            p { class: "patient-name", {r.patient.name.clone().unwrap_or_else(|| "(no name)".into())} }
            p { "{r.patient.details_with_id()}" }
            if let Some(through) = r.linked_through() { p { "{through}" } }
            if let Some(expiry) = r.expiry() { p { "{expiry}" } }
        }
        section { id: "coverage",
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

/// Another view of the app: going there unmounts the Link view (and closes an open Link).
#[component]
pub fn About() -> Element {
    rsx! {
        section { id: "about",
            h2 { "About" }
            p { "Flexpa Link connects a patient's health-plan data to this app." }
        }
    }
}
