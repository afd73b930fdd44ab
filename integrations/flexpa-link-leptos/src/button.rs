//! `FlexpaLinkButton`: a button that opens the Link of a [`use_flexpa_link`](crate::use_flexpa_link).

use flexpa_link::{Error, PublicToken};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::UseFlexpaLinkReturn;

/// A `<button type="button">` that opens `link`.
///
/// It is disabled, with `aria-busy="true"`, until Link is ready (so also while the page is
/// server-rendered and until the script has loaded), and while Link is open. Its label is
/// its children, "Link your health data" by default; attributes set with `attr:` (an `id`, a
/// `class`) go on the button.
///
/// ```no_run
/// use flexpa_link::{LinkConfig, PublicToken};
/// use flexpa_link_leptos::{use_flexpa_link, FlexpaLinkButton};
/// use leptos::prelude::*;
///
/// #[component]
/// fn Connect() -> impl IntoView {
///     let link = use_flexpa_link(LinkConfig::new("pk_test_...").ok());
///     let send = move |token: PublicToken| { /* POST token.expose_secret() to your server */ };
///     view! { <FlexpaLinkButton link on_success=send attr:class="primary">"Connect"</FlexpaLinkButton> }
/// }
/// ```
#[component]
pub fn FlexpaLinkButton(
    /// The Link this button opens.
    link: UseFlexpaLinkReturn,
    /// Gets the public token of each successful opening started by this button (besides the
    /// config's own `on_success`).
    #[prop(optional, into)]
    on_success: Option<Callback<PublicToken>>,
    /// Gets what went wrong when a click could not open Link.
    #[prop(optional, into)]
    on_error: Option<Callback<Error>>,
    /// The label (default "Link your health data").
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let busy = move || !link.ready.get();
    let open = move |_| {
        // Asked before opening, so that it is this opening's token.
        let token = link.public_token();
        match link.open() {
            Ok(()) => {
                if let Some(on_success) = on_success {
                    spawn_local(async move {
                        if let Ok(token) = token.await {
                            on_success.try_run(token);
                        }
                    });
                }
            }
            Err(error) => {
                if let Some(on_error) = on_error {
                    on_error.try_run(error);
                }
            }
        }
    };
    view! {
        <button
            type="button"
            disabled=move || busy() || link.is_open.get()
            aria-busy=move || if busy() { "true" } else { "false" }
            on:click=open
        >
            {match children {
                Some(label) => label(),
                None => "Link your health data".into_any(),
            }}
        </button>
    }
}
