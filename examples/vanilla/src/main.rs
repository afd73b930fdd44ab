//! Flexpa Link with plain `wasm-bindgen` and `web-sys`: no framework.
//!
//! The page (`index.html`) has the elements; this code fills them in:
//! 1. `GET /api/config` for the publishable key and the script URL,
//! 2. loads the Flexpa Link script and creates a [`LinkSession`],
//! 3. opens Link when `#link-button` is clicked,
//! 4. posts the public token to `POST /api/exchange` and shows the patient and coverage.
//!
//! If loading fails, the button stays enabled and a click tries again from step 1.

use std::cell::RefCell;
use std::rc::Rc;

use example_records::{Coverage, Patient};
use flexpa_link::{LinkConfig, LinkSession, PublicToken, ScriptLoader};
use gloo_events::EventListener;
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Document, HtmlButtonElement, HtmlElement};

// The backend's JSON (see examples/README.md); the patient and coverage views are
// example-records' (examples/records).

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    publishable_key: String,
    script_url: String,
    #[serde(default)]
    sandbox: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Exchange {
    patient: Patient,
    #[serde(default)]
    coverage: Vec<Coverage>,
    endpoint: Option<Endpoint>,
    expires_in: Option<f64>,
}

#[derive(Deserialize)]
struct Endpoint {
    name: Option<String>,
    label: Option<String>,
}

#[derive(Deserialize)]
struct ApiError {
    message: Option<String>,
}

/// The page: its elements, the Link session, and the click listener.
struct App {
    document: Document,
    button: HtmlButtonElement,
    status: HtmlElement,
    error: HtmlElement,
    patient: HtmlElement,
    coverage: HtmlElement,
    banner: Option<HtmlElement>,
    /// Kept for as long as the page lives: dropping it would close Link.
    session: RefCell<Option<LinkSession>>,
    click: RefCell<Option<EventListener>>,
}

thread_local! {
    /// The app lives as long as the page.
    static APP: RefCell<Option<Rc<App>>> = const { RefCell::new(None) };
}

fn main() {
    let app = match App::new() {
        Ok(app) => app,
        Err(e) => return web_sys::console::error_1(&e),
    };
    APP.with(|cell| *cell.borrow_mut() = Some(app.clone()));
    spawn_local(app.start(false));
}

impl App {
    fn new() -> Result<Rc<Self>, JsValue> {
        let document = web_sys::window()
            .and_then(|w| w.document())
            .ok_or("no document")?;
        let by_id = |id: &str| -> Result<HtmlElement, JsValue> {
            Ok(document
                .get_element_by_id(id)
                .ok_or_else(|| format!("#{id} is missing"))?
                .unchecked_into())
        };
        let app = Rc::new(App {
            button: by_id("link-button")?.unchecked_into(),
            status: by_id("status")?,
            error: by_id("error")?,
            patient: by_id("patient")?,
            coverage: by_id("coverage")?,
            banner: by_id("sandbox-banner").ok(),
            document,
            session: RefCell::new(None),
            click: RefCell::new(None),
        });
        // The listener holds a Weak, so the app and its listener do not keep each other alive.
        let weak = Rc::downgrade(&app);
        let listener = EventListener::new(&app.button, "click", move |_| {
            if let Some(app) = weak.upgrade() {
                app.clicked();
            }
        });
        *app.click.borrow_mut() = Some(listener);
        Ok(app)
    }

    /// Fetches the config, loads the script and creates Link; opens it if `then_open`.
    async fn start(self: Rc<Self>, then_open: bool) {
        self.set_status("loading");
        match self.create_session().await {
            Ok(session) => {
                *self.session.borrow_mut() = Some(session);
                self.set_status("ready");
                if then_open {
                    self.open();
                }
            }
            Err(message) => self.fail(&message),
        }
    }

    async fn create_session(self: &Rc<Self>) -> Result<LinkSession, String> {
        let config: Config = fetch_json("/api/config", None).await?;
        if let Some(banner) = &self.banner {
            banner.set_hidden(!config.sandbox);
        }
        let link = ScriptLoader::new()
            .src(config.script_url)
            .load()
            .await
            .map_err(|e| e.to_string())?;
        let (on_success, on_exit) = (Rc::downgrade(self), Rc::downgrade(self));
        let config = LinkConfig::new(config.publishable_key)
            .map_err(|e| e.to_string())?
            .on_success(move |token| {
                if let Some(app) = on_success.upgrade() {
                    spawn_local(app.exchange(token));
                }
            })
            .on_exit(move |_reason| {
                if let Some(app) = on_exit.upgrade() {
                    app.set_status("exited");
                }
            });
        link.create(config).map_err(|e| e.to_string())
    }

    fn clicked(self: Rc<Self>) {
        if self.session.borrow().is_some() {
            self.open();
        } else {
            // Loading failed earlier: try again, then open.
            spawn_local(self.start(true));
        }
    }

    fn open(&self) {
        let result = match &*self.session.borrow() {
            Some(session) => session.open(),
            None => return,
        };
        match result {
            Ok(()) => {
                self.patient.set_hidden(true);
                self.coverage.set_hidden(true);
                self.set_status("open");
            }
            Err(e) => self.fail(&e.to_string()),
        }
    }

    async fn exchange(self: Rc<Self>, token: PublicToken) {
        self.set_status("exchanging");
        let body = format!(r#"{{"public_token":{}}}"#, js_string(token.expose_secret()));
        match fetch_json::<Exchange>("/api/exchange", Some(&body)).await {
            Ok(result) => {
                self.show(&result);
                self.set_status("success");
            }
            Err(message) => self.fail(&message),
        }
    }

    fn show(&self, result: &Exchange) {
        let p = &result.patient;
        self.patient.set_text_content(None);
        self.append(&self.patient, "h2", "Patient");
        self.append(&self.patient, "p", p.name.as_deref().unwrap_or("(no name)"))
            .set_class_name("patient-name");
        self.append(&self.patient, "p", &p.details_with_id());
        if let Some(endpoint) = &result.endpoint {
            let plan = endpoint
                .label
                .as_deref()
                .or(endpoint.name.as_deref())
                .unwrap_or("your health plan");
            self.append(&self.patient, "p", &format!("Linked through {plan}"));
        }
        if let Some(seconds) = result.expires_in {
            self.append(
                &self.patient,
                "p",
                &format!("Access expires in {} minutes", (seconds / 60.0).round()),
            );
        }

        self.coverage.set_text_content(None);
        self.append(&self.coverage, "h2", "Coverage");
        let list = self.append(&self.coverage, "ul", "");
        if result.coverage.is_empty() {
            self.append(&list, "li", "No coverage on file");
        }
        for c in &result.coverage {
            let item = self.append(&list, "li", "");
            self.append(&item, "strong", c.plan.as_deref().unwrap_or("Plan"));
            self.append(&item, "span", &format!(" {}", c.details()));
        }
        self.patient.set_hidden(false);
        self.coverage.set_hidden(false);
    }

    /// Appends `<tag>text</tag>` to `parent`. Text, never HTML: the data is not ours.
    fn append(&self, parent: &HtmlElement, tag: &str, text: &str) -> HtmlElement {
        let element: HtmlElement = self
            .document
            .create_element(tag)
            .expect("valid tag")
            .unchecked_into();
        if !text.is_empty() {
            element.set_text_content(Some(text));
        }
        let _ = parent.append_child(&element);
        element
    }

    fn set_status(&self, status: &str) {
        self.status.set_text_content(Some(status));
        // Clickable unless something is under way.
        self.button
            .set_disabled(matches!(status, "loading" | "open" | "exchanging"));
        if status != "error" {
            self.error.set_hidden(true);
            self.error.set_text_content(None);
        }
    }

    fn fail(&self, message: &str) {
        self.set_status("error");
        self.error.set_text_content(Some(message));
        self.error.set_hidden(false);
    }
}

/// A JSON string literal for `s` (the token is printable ASCII, but quote it properly anyway).
fn js_string(s: &str) -> String {
    js_sys::JSON::stringify(&JsValue::from_str(s))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// GET `url` (or POST `body` as JSON) and decode the JSON answer; errors in words.
async fn fetch_json<T: for<'de> Deserialize<'de>>(
    url: &str,
    body: Option<&str>,
) -> Result<T, String> {
    let describe = |e: JsValue| {
        js_sys::Reflect::get(&e, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| format!("{e:?}"))
    };
    let init = web_sys::RequestInit::new();
    if let Some(body) = body {
        init.set_method("POST");
        init.set_body(&JsValue::from_str(body));
        let headers = web_sys::Headers::new().map_err(describe)?;
        headers
            .set("Content-Type", "application/json")
            .map_err(describe)?;
        init.set_headers(&headers);
    }
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| format!("{url}: {}", describe(e)))?;
    let response: web_sys::Response = response.unchecked_into();
    let json = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    if !response.ok() {
        let message = serde_wasm_bindgen::from_value::<ApiError>(json)
            .ok()
            .and_then(|e| e.message);
        return Err(message.unwrap_or_else(|| format!("{url} answered HTTP {}", response.status())));
    }
    serde_wasm_bindgen::from_value(json).map_err(|e| format!("{url}: unexpected answer: {e}"))
}
