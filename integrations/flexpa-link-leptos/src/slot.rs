//! Where a component keeps its [`LinkController`].
//!
//! In the browser it lives in the component's reactive arena (`StoredValue::new_local`), so it
//! is freed with the component. On the server there is no Link to control, and a `!Send` value
//! in the arena must not exist there at all: Leptos may drop a rendered page's arena on another
//! worker thread than the one that rendered it, which panics for thread-local values. So off
//! wasm32 the slot holds nothing and every action answers [`Error::NoWindow`].

use flexpa_link::{ControllerState, Error, LinkConfig, LinkController, ScriptLoader};
#[cfg(target_arch = "wasm32")]
use leptos::prelude::*;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    #[cfg(target_arch = "wasm32")]
    controller: StoredValue<LinkController, LocalStorage>,
}

#[cfg(target_arch = "wasm32")]
impl Slot {
    pub(crate) fn new(
        loader: ScriptLoader,
        on_change: impl Fn(&ControllerState) + 'static,
    ) -> Self {
        Self {
            controller: StoredValue::new_local(LinkController::new(loader, on_change)),
        }
    }

    /// Runs `f` on the controller; `Error::SessionDropped` once the component is gone.
    pub(crate) fn with<R>(
        self,
        f: impl FnOnce(&LinkController) -> Result<R, Error>,
    ) -> Result<R, Error> {
        // A clone, so that `f` runs without the arena borrowed (it may call back in).
        let controller = self
            .controller
            .try_get_value()
            .ok_or(Error::SessionDropped)?;
        f(&controller)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Slot {
    pub(crate) fn new(
        _loader: ScriptLoader,
        _on_change: impl Fn(&ControllerState) + 'static,
    ) -> Self {
        Self {}
    }

    pub(crate) fn with<R>(
        self,
        _f: impl FnOnce(&LinkController) -> Result<R, Error>,
    ) -> Result<R, Error> {
        Err(Error::NoWindow)
    }
}

impl Slot {
    pub(crate) fn set_config(self, config: Option<LinkConfig>) {
        let _ = self.with(|c| {
            c.set_config(config);
            Ok(())
        });
    }

    pub(crate) fn dispose(self) {
        let _ = self.with(|c| {
            c.dispose();
            Ok(())
        });
    }
}
