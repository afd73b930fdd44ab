//! `FlexpaLinkButton`: a button that opens Flexpa Link, built on [`use_flexpa_link_with`].

use flexpa_link::{Error, LinkConfig, PublicToken, ScriptLoader, Usage};
use yew::prelude::*;

use crate::use_flexpa_link_with;

/// The label when the button has no children.
pub const DEFAULT_LABEL: &str = "Link your health data";

/// The properties of [`FlexpaLinkButton`].
#[derive(Properties)]
pub struct FlexpaLinkButtonProps {
    /// Your publishable key (`pk_test_...` or `pk_live_...`); `None` while the app does not have
    /// it yet (the button shows its loading state). A key that is not one is reported to
    /// [`on_error`](Self::on_error) and leaves the button disabled.
    #[prop_or_default]
    pub publishable_key: Option<AttrValue>,
    /// Your id for the user (Link's `user.externalId`).
    #[prop_or_default]
    pub user_external_id: Option<AttrValue>,
    /// One-time or multiple-use access.
    #[prop_or_default]
    pub usage: Option<Usage>,
    /// Opens Link on one health plan's login.
    #[prop_or_default]
    pub endpoint: Option<AttrValue>,
    /// Where the script comes from (read once, when the button mounts); the published script
    /// by default.
    #[prop_or_default]
    pub loader: Option<ScriptLoader>,
    /// Gets the public token of each successful opening: send it to your backend.
    pub on_success: Callback<PublicToken>,
    /// Runs when the user leaves Link without linking (with Flexpa's reason, if any).
    #[prop_or_default]
    pub on_exit: Callback<Option<String>>,
    /// Gets a failed load or creation, a refused key, or a failed opening. While the button is
    /// in error, a click tries again.
    #[prop_or_default]
    pub on_error: Callback<Error>,
    /// The label; "Link your health data" when empty.
    #[prop_or_default]
    pub children: Html,
    /// The label while the script loads; the normal label when empty.
    #[prop_or_default]
    pub loading: Html,
    /// The button's `id`.
    #[prop_or_default]
    pub id: Option<AttrValue>,
    /// The button's classes.
    #[prop_or_default]
    pub class: Classes,
}

// The loader is read once (on mount), so a new one is no reason to render again.
impl PartialEq for FlexpaLinkButtonProps {
    fn eq(&self, other: &Self) -> bool {
        self.publishable_key == other.publishable_key
            && self.user_external_id == other.user_external_id
            && self.usage == other.usage
            && self.endpoint == other.endpoint
            && self.on_success == other.on_success
            && self.on_exit == other.on_exit
            && self.on_error == other.on_error
            && self.children == other.children
            && self.loading == other.loading
            && self.id == other.id
            && self.class == other.class
    }
}

/// A `<button>` that opens Flexpa Link.
///
/// Disabled, with `aria-busy="true"`, until Link is ready (always so when rendered on the
/// server); disabled while Link is open; after a failed load it is enabled again and a click
/// retries. Its `data-link-status` attribute says which: `loading`, `ready`, `open` or `error`.
///
/// ```no_run
/// use flexpa_link_yew::FlexpaLinkButton;
/// use yew::prelude::*;
///
/// #[component]
/// fn Connect() -> Html {
///     let on_success = Callback::from(|token: flexpa_link::PublicToken| {
///         // POST token.expose_secret() to your backend, which exchanges it.
///         let _ = token;
///     });
///     html! { <FlexpaLinkButton publishable_key="pk_test_..." {on_success} /> }
/// }
/// ```
#[component]
pub fn FlexpaLinkButton(props: &FlexpaLinkButtonProps) -> Html {
    let (config, refused) = match props.publishable_key.as_deref().map(LinkConfig::new) {
        Some(Ok(config)) => (Some(configure(config, props)), None),
        Some(Err(refused)) => (None, Some(refused)),
        None => (None, None),
    };
    let loader = props.loader.clone().unwrap_or_default();
    let link = use_flexpa_link_with(loader, config);

    let onclick = {
        let (link, on_error) = (link.clone(), props.on_error.clone());
        Callback::from(move |_: MouseEvent| {
            if link.error().is_some() {
                link.retry();
            } else if let Err(e) = link.open() {
                on_error.emit(e);
            }
        })
    };
    // Each new error once (not again on re-renders that keep it).
    {
        let on_error = props.on_error.clone();
        let error = refused.clone().or_else(|| link.error().cloned());
        use_effect_with(error, move |error| {
            if let Some(error) = error {
                on_error.emit(error.clone());
            }
        });
    }

    let (status, busy) = match (link.error(), link.is_open(), link.ready()) {
        _ if refused.is_some() => ("error", false),
        (Some(_), _, _) => ("error", false),
        (None, true, _) => ("open", false),
        (None, false, true) => ("ready", false),
        (None, false, false) => ("loading", true),
    };
    let label = if busy && props.loading != Html::default() {
        props.loading.clone()
    } else if props.children == Html::default() {
        html! { DEFAULT_LABEL }
    } else {
        props.children.clone()
    };
    html! {
        <button type="button" id={props.id.clone()} class={props.class.clone()}
            disabled={busy || link.is_open() || refused.is_some()} aria-busy={busy.then_some("true")}
            data-link-status={status} {onclick}>
            { label }
        </button>
    }
}

/// The props' data and callbacks on a config.
fn configure(config: LinkConfig, props: &FlexpaLinkButtonProps) -> LinkConfig {
    let mut config = config;
    if let Some(user) = &props.user_external_id {
        config = config.user_external_id(user.to_string());
    }
    if let Some(usage) = props.usage {
        config = config.usage(usage);
    }
    if let Some(endpoint) = &props.endpoint {
        config = config.endpoint(endpoint.to_string());
    }
    let (on_success, on_exit) = (props.on_success.clone(), props.on_exit.clone());
    config
        .on_success(move |token| on_success.emit(token))
        .on_exit(move |reason| on_exit.emit(reason))
}
