//! [`LinkController`]: one component's Flexpa Link, with the lifecycle every framework hook
//! needs (load once, create, re-create when the config's data changes, always call the latest
//! callbacks, open, exit, retry, clean up on unmount), written once for Yew, Leptos and Dioxus.
//!
//! The hook crates (`flexpa-link-yew`, `flexpa-link-leptos`, `flexpa-link-dioxus`) keep a
//! controller per component, call [`set_config`](LinkController::set_config) when the
//! component renders, mirror [`ControllerState`] into their reactive state from `on_change`, and call
//! [`dispose`](LinkController::dispose) when the component unmounts. A plain wasm-bindgen app
//! can use it directly as well.

use core::cell::{Cell, RefCell};
use core::fmt;
use core::future::Future;
use std::rc::{Rc, Weak};

use futures_channel::oneshot;

use crate::credentials::{PublicToken, PublishableKey};

use super::config::{ExitFn, LinkConfig, LoadFn, OptionValue, SuccessFn, Usage};
use super::error::{Error, Result};
use super::script::{LoadHandle, ScriptLoader};
use super::session::LinkSession;
use super::FlexpaLink;

/// Where a controller's Link stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkStatus {
    /// Not ready yet: no config, the script is loading, or the code runs outside a page
    /// (server-side rendering), where it stays.
    Loading,
    /// Link is created and [`open`](LinkController::open) will show it.
    Ready,
    /// The Link iframe is open.
    Open,
    /// Loading the script or creating Link failed; [`retry`](LinkController::retry) tries
    /// again.
    Failed(Error),
}

impl LinkStatus {
    /// Whether Link can be opened (or is open): the `ready` of a hook.
    pub fn is_ready(&self) -> bool {
        matches!(self, LinkStatus::Ready | LinkStatus::Open)
    }

    /// Whether the Link iframe is open.
    pub fn is_open(&self) -> bool {
        matches!(self, LinkStatus::Open)
    }

    /// The error of a failed load or creation.
    pub fn error(&self) -> Option<&Error> {
        match self {
            LinkStatus::Failed(error) => Some(error),
            _ => None,
        }
    }
}

/// What a controller shows: its status and the token of the last successful opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerState {
    /// Loading, ready, open or failed.
    pub status: LinkStatus,
    /// The public token of the last opening that succeeded; `None` again once another opening
    /// starts.
    pub token: Option<PublicToken>,
}

/// One component's Flexpa Link: what a framework hook keeps per component.
///
/// - Loads the script once per page (shared with every other controller and load), then
///   creates Link from the config given to [`set_config`](Self::set_config).
/// - Calls the callbacks of the config given last: a re-render that passes new closures
///   changes which closure runs, without re-creating Link. A change of the config's data
///   (publishable key, user, usage, endpoint, `strict`, `auto_exit`, options) re-creates it.
/// - Several controllers can live at once (two buttons, a double mount): `window.FlexpaLink`
///   is a singleton, so each re-creates its session when it opens if another one was created
///   since. Every mounted button works; one session is live.
/// - Reports every change of [`state`](Self::state) to `on_change`.
/// - [`dispose`](Self::dispose) (or dropping the last clone) closes an open Link, frees every
///   callback and cancels a pending load.
///
/// Off the browser (server-side rendering) it never touches `window` and stays
/// [`LinkStatus::Loading`]. Cheap to clone: clones are the same controller.
#[derive(Clone)]
#[must_use = "dropping the last clone of a LinkController closes Link and frees its callbacks"]
pub struct LinkController {
    inner: Rc<Inner>,
}

struct Inner {
    loader: ScriptLoader,
    on_change: Box<dyn Fn(&ControllerState)>,
    state: RefCell<ControllerState>,
    /// The data of the config given last (`None`: no config).
    wanted: RefCell<Option<Data>>,
    /// The app's callbacks from the config given last, called through the session's own.
    latest: Rc<Latest>,
    global: RefCell<Option<FlexpaLink>>,
    /// The created session and the data it was created from.
    session: RefCell<Option<(LinkSession, Data)>>,
    loading: RefCell<Option<LoadHandle>>,
    /// A [`sync`](Inner::sync) is queued.
    queued: Cell<bool>,
    /// Counts openings, so that the end of an old one does not touch a newer one.
    opening: Cell<u32>,
    waiters: RefCell<Vec<oneshot::Sender<Result<PublicToken>>>>,
    disposed: Cell<bool>,
}

/// The app's callbacks, each taken out while it runs (it may call back into the controller).
#[derive(Default)]
struct Latest {
    /// Set by `dispose`: a callback that was running then is not put back.
    freed: Cell<bool>,
    on_success: Cell<Option<SuccessFn>>,
    on_exit: Cell<Option<ExitFn>>,
    on_load: Cell<Option<LoadFn>>,
}

/// What a config says apart from its callbacks: what Link is created from.
#[derive(Clone, PartialEq)]
struct Data {
    publishable_key: PublishableKey,
    user_external_id: Option<String>,
    usage: Option<Usage>,
    endpoint: Option<String>,
    strict: Option<bool>,
    auto_exit: Option<bool>,
    options: Vec<(String, OptionValue)>,
}

impl LinkController {
    /// A controller that loads with `loader` (use `ScriptLoader::new()` for Flexpa's script)
    /// and reports each change of its state to `on_change`.
    ///
    /// `on_change` is never called while the controller is borrowed (it may call back into
    /// it), never from `new` or [`set_config`](Self::set_config) themselves (their changes are
    /// reported from a later task, so both are safe to call while a component renders), and
    /// never after [`dispose`](Self::dispose).
    pub fn new(loader: ScriptLoader, on_change: impl Fn(&ControllerState) + 'static) -> Self {
        Self {
            inner: Rc::new(Inner {
                loader,
                on_change: Box::new(on_change),
                state: RefCell::new(ControllerState {
                    status: LinkStatus::Loading,
                    token: None,
                }),
                wanted: RefCell::new(None),
                latest: Rc::default(),
                global: RefCell::new(None),
                session: RefCell::new(None),
                loading: RefCell::new(None),
                queued: Cell::new(false),
                opening: Cell::new(0),
                waiters: RefCell::new(Vec::new()),
                disposed: Cell::new(false),
            }),
        }
    }

    /// The config to create Link from; call it whenever the component renders.
    ///
    /// Its callbacks replace the previous ones at once. Link is (re-)created, from a later
    /// task, only when the config's data differs from the one it was created with. `None`
    /// means no config yet: the status goes back to [`LinkStatus::Loading`]. The first config
    /// starts the script load.
    pub fn set_config(&self, config: Option<LinkConfig>) {
        let inner = &self.inner;
        if inner.disposed.get() {
            return;
        }
        let data = config.map(|config| {
            let (data, on_success, on_exit, on_load) = Data::split(config);
            inner.latest.on_success.set(on_success);
            inner.latest.on_exit.set(on_exit);
            inner.latest.on_load.set(on_load);
            data
        });
        if *inner.wanted.borrow() != data {
            *inner.wanted.borrow_mut() = data;
            Inner::queue(inner);
        }
    }

    /// The current state.
    pub fn state(&self) -> ControllerState {
        self.inner.state.borrow().clone()
    }

    /// Opens Link; call it from a click handler. Re-creates the session first when another
    /// controller created one since. [`Error::NotReady`] before the status is
    /// [`Ready`](LinkStatus::Ready), [`Error::SessionDropped`] after
    /// [`dispose`](Self::dispose); nothing happens when Link is already open.
    pub fn open(&self) -> Result<()> {
        self.open_inner(None)
    }

    /// [`open`](Self::open) with a health plan preselected, for this opening only.
    pub fn open_with_endpoint(&self, endpoint_id: &str) -> Result<()> {
        self.open_inner(Some(endpoint_id))
    }

    fn open_inner(&self, endpoint: Option<&str>) -> Result<()> {
        let inner = &self.inner;
        if inner.disposed.get() {
            return Err(Error::SessionDropped);
        }
        let status = inner.state.borrow().status.clone();
        match status {
            LinkStatus::Open => return Ok(()),
            LinkStatus::Ready => {}
            _ => return Err(Error::NotReady),
        }
        let live = inner
            .session
            .borrow()
            .as_ref()
            .is_some_and(|(session, _)| session.is_live());
        if !live {
            if let Err(error) = Inner::create(inner) {
                inner.set_status(LinkStatus::Failed(error.clone()));
                return Err(error);
            }
        }
        let opened = {
            let session = inner.session.borrow();
            let (session, _) = session.as_ref().ok_or(Error::NotReady)?;
            match endpoint {
                Some(id) => session.open_with_endpoint(id),
                None => session.open(),
            }
            .map(|()| session.public_token())
        };
        let token = opened?;
        let opening = inner.opening.get().wrapping_add(1);
        inner.opening.set(opening);
        // The end of this opening, however it ends (token, exit, close, another controller's
        // session replacing this one), brings the status back to ready.
        let weak = Rc::downgrade(inner);
        wasm_bindgen_futures::spawn_local(async move {
            let outcome = token.await;
            if let Some(inner) = weak.upgrade() {
                Inner::opening_ended(&inner, opening, outcome);
            }
        });
        inner.update(|state| {
            state.status = LinkStatus::Open;
            state.token = None;
        });
        Ok(())
    }

    /// Closes Link as if the user had left: `on_exit` runs, the status goes back to ready.
    /// Does nothing when Link is not open.
    pub fn exit(&self) -> Result<()> {
        if !self.inner.state.borrow().status.is_open() {
            return Ok(());
        }
        match self.inner.session.borrow().as_ref() {
            Some((session, _)) => session.exit(),
            None => Ok(()),
        }
    }

    /// After [`LinkStatus::Failed`]: loads the script (or creates Link) again. Does nothing
    /// in any other status.
    pub fn retry(&self) {
        let inner = &self.inner;
        if inner.disposed.get() || inner.state.borrow().status.error().is_none() {
            return;
        }
        // A failed creation is retried with the same data: forget the session it replaced.
        inner.session.borrow_mut().take();
        inner.set_status(LinkStatus::Loading);
        Inner::queue(inner);
    }

    /// The public token of the current opening, or of the next one: the same token
    /// `on_success` gets. Resolves to [`Error::Exited`], [`Error::Closed`],
    /// [`Error::Superseded`] or [`Error::InvalidToken`] when that opening ends otherwise, and
    /// to [`Error::SessionDropped`] when the controller is disposed first.
    pub fn public_token(&self) -> impl Future<Output = Result<PublicToken>> {
        let (sender, receiver) = oneshot::channel();
        if self.inner.disposed.get() {
            let _ = sender.send(Err(Error::SessionDropped));
        } else {
            self.inner.waiters.borrow_mut().push(sender);
        }
        async move { receiver.await.unwrap_or(Err(Error::SessionDropped)) }
    }

    /// The component unmounts: closes an open Link, frees every callback (the app's and the
    /// ones given to `window.FlexpaLink`), cancels a pending load, and ends waiting
    /// [`public_token`](Self::public_token) futures with [`Error::SessionDropped`]. Later
    /// calls do nothing; `on_change` is not called again.
    pub fn dispose(&self) {
        self.inner.dispose();
    }
}

impl Inner {
    /// Runs [`sync`](Self::sync) from a later task (once, however often it is asked for).
    /// Off the browser nothing is queued: there is no page to load into.
    fn queue(this: &Rc<Self>) {
        if cfg!(not(target_arch = "wasm32")) || this.queued.replace(true) {
            return;
        }
        let weak = Rc::downgrade(this);
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(this) = weak.upgrade() {
                this.queued.set(false);
                Inner::sync(&this);
            }
        });
    }

    /// Brings the session in line with the wanted config: starts the load, or (re-)creates.
    fn sync(this: &Rc<Self>) {
        if this.disposed.get() {
            return;
        }
        if this.wanted.borrow().is_none() {
            this.session.borrow_mut().take();
            this.set_status(LinkStatus::Loading);
            return;
        }
        if this.global.borrow().is_none() {
            if this.loading.borrow().is_none() {
                let weak = Rc::downgrade(this);
                let handle = this.loader.clone().load_with(move |loaded| {
                    if let Some(this) = weak.upgrade() {
                        this.loading.borrow_mut().take();
                        match loaded {
                            Ok(global) => {
                                *this.global.borrow_mut() = Some(global);
                                Inner::sync(&this);
                            }
                            Err(error) => this.set_status(LinkStatus::Failed(error)),
                        }
                    }
                });
                *this.loading.borrow_mut() = Some(handle);
            }
            this.set_status(LinkStatus::Loading);
            return;
        }
        let current = this.session.borrow().as_ref().map(|(_, data)| data.clone());
        if current.as_ref() == this.wanted.borrow().as_ref() {
            if !this.state.borrow().status.is_open() {
                this.set_status(LinkStatus::Ready);
            }
            return;
        }
        match Inner::create(this) {
            Ok(()) => this.set_status(LinkStatus::Ready),
            Err(error) => this.set_status(LinkStatus::Failed(error)),
        }
    }

    /// Creates a session from the wanted data, with callbacks that call the latest ones.
    fn create(this: &Rc<Self>) -> Result<()> {
        let data = this.wanted.borrow().clone().ok_or(Error::NotReady)?;
        let global = this.global.borrow().clone().ok_or(Error::NotReady)?;
        // The old session goes first: its iframe closes and its callbacks are freed.
        this.session.borrow_mut().take();
        let session = global.create(data.config(&this.latest))?;
        *this.session.borrow_mut() = Some((session, data));
        Ok(())
    }

    /// An opening is over: the waiting futures get its outcome, the status goes back to ready.
    fn opening_ended(this: &Rc<Self>, opening: u32, outcome: Result<PublicToken>) {
        if this.disposed.get() || this.opening.get() != opening {
            return;
        }
        for waiter in this.waiters.take() {
            let _ = waiter.send(outcome.clone());
        }
        this.update(|state| {
            if state.status.is_open() {
                state.status = LinkStatus::Ready;
            }
            if let Ok(token) = outcome {
                state.token = Some(token);
            }
        });
    }

    fn set_status(&self, status: LinkStatus) {
        self.update(|state| state.status = status);
    }

    /// Changes the state and reports it, if it changed, with no borrow held.
    fn update(&self, change: impl FnOnce(&mut ControllerState)) {
        if self.disposed.get() {
            return;
        }
        let changed = {
            let mut state = self.state.borrow_mut();
            let before = state.clone();
            change(&mut state);
            (*state != before).then(|| state.clone())
        };
        if let Some(state) = changed {
            (self.on_change)(&state);
        }
    }

    fn dispose(&self) {
        if self.disposed.replace(true) {
            return;
        }
        self.loading.borrow_mut().take();
        // Dropping the session closes the iframe and frees the callbacks given to the global.
        let session = self.session.borrow_mut().take();
        drop(session);
        self.latest.freed.set(true);
        self.latest.on_success.take();
        self.latest.on_exit.take();
        self.latest.on_load.take();
        for waiter in self.waiters.take() {
            let _ = waiter.send(Err(Error::SessionDropped));
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.dispose();
    }
}

impl Data {
    fn split(config: LinkConfig) -> (Self, Option<SuccessFn>, Option<ExitFn>, Option<LoadFn>) {
        let LinkConfig {
            publishable_key,
            user_external_id,
            usage,
            endpoint,
            strict,
            auto_exit,
            options,
            on_success,
            on_exit,
            on_load,
        } = config;
        let data = Data {
            publishable_key,
            user_external_id,
            usage,
            endpoint,
            strict,
            auto_exit,
            options,
        };
        (data, on_success, on_exit, on_load)
    }

    /// A config with this data whose callbacks call the latest ones (held weakly: the
    /// controller owns them, the session only borrows them while they run).
    fn config(&self, latest: &Rc<Latest>) -> LinkConfig {
        let (s, e, l) = (
            Rc::downgrade(latest),
            Rc::downgrade(latest),
            Rc::downgrade(latest),
        );
        let mut config = LinkConfig::with_key(self.publishable_key.clone())
            .on_success(move |token| call(&s, |l| &l.on_success, |f| f(token)))
            .on_exit(move |reason| call(&e, |l| &l.on_exit, |f| f(reason)))
            .on_load(move || call(&l, |l| &l.on_load, |f| f()));
        config.user_external_id = self.user_external_id.clone();
        config.usage = self.usage;
        config.endpoint = self.endpoint.clone();
        config.strict = self.strict;
        config.auto_exit = self.auto_exit;
        config.options = self.options.clone();
        config
    }
}

/// Runs the latest callback in the chosen slot, taken out meanwhile (so it may replace the
/// callbacks or dispose the controller); put back unless a new one arrived while it ran or the
/// controller was disposed. (The session's `call` is the simpler case without replacement.)
fn call<F: ?Sized>(
    latest: &Weak<Latest>,
    slot: impl Fn(&Latest) -> &Cell<Option<Box<F>>>,
    run: impl FnOnce(&mut Box<F>),
) {
    let Some(latest) = latest.upgrade() else {
        return;
    };
    if let Some(mut callback) = slot(&latest).take() {
        run(&mut callback);
        if latest.freed.get() {
            return;
        }
        let slot = slot(&latest);
        let newer = slot.take();
        slot.set(Some(newer.unwrap_or(callback)));
    }
}

impl fmt::Debug for LinkController {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkController")
            .field("state", &*self.inner.state.borrow())
            .field("disposed", &self.inner.disposed.get())
            .finish_non_exhaustive()
    }
}
