//! Flexpa Link for Leptos: `use_flexpa_link` and `FlexpaLinkButton` (work in progress, issue 10).
#![deny(missing_docs)]
