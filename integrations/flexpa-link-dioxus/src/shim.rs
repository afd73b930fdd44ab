//! TEMPORARY compile shim of flexpa_link::LinkController until it lands on main (removed at merge).
#![allow(missing_docs, dead_code, clippy::all)]
use flexpa_link::{Error, LinkConfig, PublicToken, ScriptLoader};
use std::future::Future;
#[derive(Debug, Clone, PartialEq)]
pub enum LinkStatus {
    Loading,
    Ready,
    Open,
    Failed(Error),
}
impl LinkStatus {
    pub fn is_ready(&self) -> bool {
        matches!(self, Self::Ready | Self::Open)
    }
    pub fn is_open(&self) -> bool {
        matches!(self, Self::Open)
    }
    pub fn error(&self) -> Option<&Error> {
        match self {
            Self::Failed(e) => Some(e),
            _ => None,
        }
    }
}
#[derive(Debug, Clone, PartialEq)]
pub struct LinkState {
    pub status: LinkStatus,
    pub token: Option<PublicToken>,
}
#[derive(Clone, Debug)]
pub struct LinkController;
impl LinkController {
    pub fn new(_loader: ScriptLoader, _on_change: impl Fn(&LinkState) + 'static) -> Self {
        unimplemented!()
    }
    pub fn set_config(&self, _config: Option<LinkConfig>) {
        unimplemented!()
    }
    pub fn state(&self) -> LinkState {
        unimplemented!()
    }
    pub fn open(&self) -> Result<(), Error> {
        unimplemented!()
    }
    pub fn open_with_endpoint(&self, _e: &str) -> Result<(), Error> {
        unimplemented!()
    }
    pub fn exit(&self) -> Result<(), Error> {
        unimplemented!()
    }
    pub fn retry(&self) {
        unimplemented!()
    }
    pub fn public_token(&self) -> impl Future<Output = Result<PublicToken, Error>> {
        async { unimplemented!() }
    }
    pub fn dispose(&self) {
        unimplemented!()
    }
}
