//! Link with the backend's config: `use_flexpa_link_with` does the lifecycle (one script load,
//! the latest callbacks, Link closed on unmount); this component adds what happens after Link:
//! the exchange on the backend.

use std::rc::Rc;

use example_api::{Config, Exchange, Status};
use flexpa_link::{LinkConfig, ScriptLoader};
use flexpa_link_yew::use_flexpa_link_with;
use yew::{platform::spawn_local, prelude::*};

use super::Panel;

/// What happened after Link, in this view.
#[derive(Clone, PartialEq)]
enum Outcome {
    None,
    Exited,
    Exchanging,
    Linked(Rc<Exchange>),
    Failed(String),
}

#[derive(Properties, PartialEq)]
pub struct LinkViewProps {
    pub config: Rc<Config>,
}

#[component]
pub fn LinkView(props: &LinkViewProps) -> Html {
    let outcome = use_state(|| Outcome::None);
    let config = LinkConfig::new(&props.config.publishable_key).map(|config| {
        let (done, exited) = (outcome.clone(), outcome.clone());
        config
            .on_success(move |token| {
                done.set(Outcome::Exchanging);
                let done = done.clone();
                spawn_local(async move {
                    done.set(match example_api::exchange(&token).await {
                        Ok(result) => Outcome::Linked(Rc::new(result)),
                        Err(message) => Outcome::Failed(message),
                    })
                });
            })
            .on_exit(move |_reason| exited.set(Outcome::Exited))
    });
    let refused = config.as_ref().err().map(ToString::to_string);
    let loader = ScriptLoader::new().src(&props.config.script_url);
    let link = use_flexpa_link_with(loader, config.ok());

    let onclick = {
        let (link, outcome) = (link.clone(), outcome.clone());
        Callback::from(move |_| match link.error() {
            Some(_) => link.retry(),
            None => outcome.set(
                link.open()
                    .map_or_else(|e| Outcome::Failed(e.to_string()), |()| Outcome::None),
            ),
        })
    };
    let error = refused.or_else(|| link.error().map(ToString::to_string));
    let (status, error, result) = match (&*outcome, error.as_ref()) {
        _ if link.is_open() => (Status::Open, None, None),
        (_, Some(error)) | (Outcome::Failed(error), None) => {
            (Status::Error, Some(error.clone()), None)
        }
        (Outcome::Exchanging, None) => (Status::Exchanging, None, None),
        (Outcome::Linked(result), None) => (Status::Success, None, Some(result.clone())),
        (Outcome::Exited, None) => (Status::Exited, None, None),
        (Outcome::None, None) if link.ready() => (Status::Ready, None, None),
        (Outcome::None, None) => (Status::Loading, None, None),
    };
    html! { <Panel {status} error={error.map(AttrValue::from)} {result} {onclick} /> }
}
