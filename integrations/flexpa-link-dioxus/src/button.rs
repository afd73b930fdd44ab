//! `FlexpaLinkButton`: a `<button>` that opens Link, on a [`UseFlexpaLink`] handle.

use dioxus::prelude::*;
use flexpa_link::PublicToken;

use crate::hook::UseFlexpaLink;

/// A `<button>` that opens Flexpa Link.
///
/// - Disabled while loading (with `aria-busy="true"`), while Link is open and while `busy`;
///   `data-state` is `loading`, `ready`, `open` or `failed` for your CSS.
/// - After a load failure it stays enabled, and a click tries again
///   ([`UseFlexpaLink::retry`]).
/// - `ontoken` gets the public token of each successful opening this button started, once.
/// - The children are the label; any `<button>` attribute (`id`, `class`, ...) passes through.
///
/// See the [crate-level example](crate).
#[component]
pub fn FlexpaLinkButton(
    /// The handle from [`use_flexpa_link`](crate::use_flexpa_link).
    link: UseFlexpaLink,
    /// Called with the public token when an opening started by this button succeeds.
    ontoken: Option<EventHandler<PublicToken>>,
    /// Also disabled (and busy) when true: for instance while your app exchanges the token.
    #[props(default)]
    busy: bool,
    /// `<button>` attributes, passed through.
    #[props(extends = GlobalAttributes, extends = button)]
    attributes: Vec<Attribute>,
    /// The label.
    children: Element,
) -> Element {
    let failed = link.error().is_some();
    let (state, loading) = match (link.ready(), link.is_open()) {
        (_, true) => ("open", false),
        (true, false) => ("ready", false),
        (false, false) if failed => ("failed", false),
        (false, false) => ("loading", true),
    };
    let busy = busy || loading;
    let onclick = move |_| {
        if link.error().is_some() {
            link.retry();
        } else if link.open().is_ok() {
            if let Some(ontoken) = ontoken {
                let token = link.public_token();
                spawn(async move {
                    if let Ok(token) = token.await {
                        ontoken.call(token);
                    }
                });
            }
        }
    };
    rsx! {
        button {
            r#type: "button",
            disabled: busy || state == "open",
            "aria-busy": busy,
            "data-state": state,
            onclick,
            ..attributes,
            {children}
        }
    }
}
