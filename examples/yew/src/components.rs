//! The app's components: the Link view (the hook and what happens after Link) and the panel
//! it renders (button, status, error, patient and coverage).

mod link_view;
mod panel;

pub use link_view::LinkView;
pub use panel::Panel;
