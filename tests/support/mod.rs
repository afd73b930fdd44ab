//! Shared helpers for the browser tests: the stand-in script, page reset, message dispatch,
//! and counters for iframes, `message` listeners and uncaught errors.
#![allow(dead_code)]

use wasm_bindgen::prelude::*;

/// The protocol-faithful stand-in for https://js.flexpa.com/v1/ (also used by the demo).
pub const STANDIN: &str = include_str!("../../sandbox/flexpa-link.js");

/// A stand-in for the older script published on npm as `@flexpa/link` 0.0.8: no `exit`, no
/// onExit/onLoad, a `CLOSED` message only closes, one leaked `message` listener per opening.
pub const STANDIN_0_0_8: &str = include_str!("flexpa-link-0.0.8.js");

/// The origin the published script accepts messages from.
pub const LINK_ORIGIN: &str = "https://link.flexpa.com";

pub const KEY: &str = "pk_test_4YhpxYOsBMHp1FWhX2v0Amj7";
pub const TOKEN: &str = "public_token_950fae5f-7903-4ce1-9414-9b44c4e55263";

#[wasm_bindgen(inline_js = r#"
export function blob_url(source) {
  return URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
}
export function revoked_blob_url() {
  const url = URL.createObjectURL(new Blob(["window.NEVER = 1;"], { type: "text/javascript" }));
  URL.revokeObjectURL(url);
  return url;
}
export function reset_page() {
  delete window.FlexpaLink;
  delete window.FLEXPA_LINK_SANDBOX_LEAKY;
  delete window.FLEXPA_LINK_SANDBOX_URL;
  document.querySelectorAll("script[src]").forEach((s) => {
    if (s.src.startsWith("blob:") || s.hasAttribute("data-test")) s.remove();
  });
  document.querySelectorAll("iframe").forEach((f) => f.remove());
}
export function install_counters() {
  if (window.__testCounters) return;
  const live = new Set();
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  window.addEventListener = function (type, listener, options) {
    if (type === "message") live.add(listener);
    return add.call(this, type, listener, options);
  };
  window.removeEventListener = function (type, listener, options) {
    if (type === "message") live.delete(listener);
    return remove.call(this, type, listener, options);
  };
  window.__testCounters = { live, errors: [] };
  add.call(window, "error", (e) => window.__testCounters.errors.push(String(e.message)));
}
export function message_listeners() { return window.__testCounters.live.size; }
export function uncaught_errors() { return window.__testCounters.errors.length; }
export function last_uncaught_error() { return window.__testCounters.errors.slice(-1)[0] || ""; }
export function iframes() { return document.querySelectorAll('iframe[title="Flexpa Link"]').length; }
export function all_iframes() { return document.querySelectorAll("iframe").length; }
export function iframe_src() {
  const f = document.querySelector('iframe[title="Flexpa Link"]');
  return f ? f.src : "";
}
export function scripts_with_src(src) {
  return Array.from(document.scripts).filter((s) => s.src === src).length;
}
export function script_attr(src, name) {
  const s = Array.from(document.scripts).find((s) => s.src === src);
  if (!s) return undefined;
  return name === "nonce" ? s.nonce : s.getAttribute(name);
}
export function add_page_tag(src, type) {
  const s = document.createElement("script");
  s.src = src;
  s.setAttribute("data-test", "");
  if (type) s.type = type;
  document.head.appendChild(s);
}
export function post(type, payload, origin) {
  window.dispatchEvent(new MessageEvent("message", { origin, data: { type, payload } }));
}
export function post_raw(data, origin) {
  window.dispatchEvent(new MessageEvent("message", { origin, data }));
}
export function global_prop(name) { return window.FlexpaLink ? window.FlexpaLink[name] : undefined; }
export function set_window(name, value) { window[name] = value; }
export function call_global(name, arg) { return window.FlexpaLink[name](arg); }
export function plant_fake_global(behaviour) {
  window.FlexpaLink = {
    create(config) {
      if (behaviour === "create-throws-string") throw "publishableKey required";
      if (behaviour === "create-throws-error") throw new TypeError("config is frozen");
      if (behaviour === "create-throws-object") throw { code: 7 };
      Object.assign(this, config);
    },
    open() {
      if (behaviour === "open-throws-error") {
        throw new Error("You must call `FlexpaLink.create(config)` before calling `FlexpaLink.open()`");
      }
    },
    close() {},
    exit() {},
  };
}
export async function sha384_integrity(source) {
  const digest = await crypto.subtle.digest("SHA-384", new TextEncoder().encode(source));
  return "sha384-" + btoa(String.fromCharCode(...new Uint8Array(digest)));
}
"#)]
extern "C" {
    pub fn blob_url(source: &str) -> String;
    pub fn revoked_blob_url() -> String;
    pub fn reset_page();
    pub fn install_counters();
    pub fn message_listeners() -> u32;
    pub fn uncaught_errors() -> u32;
    pub fn last_uncaught_error() -> String;
    pub fn iframes() -> u32;
    pub fn all_iframes() -> u32;
    pub fn iframe_src() -> String;
    pub fn scripts_with_src(src: &str) -> u32;
    pub fn script_attr(src: &str, name: &str) -> Option<String>;
    pub fn add_page_tag(src: &str, r#type: Option<&str>);
    pub fn post(r#type: &str, payload: JsValue, origin: &str);
    pub fn post_raw(data: JsValue, origin: &str);
    pub fn global_prop(name: &str) -> JsValue;
    pub fn set_window(name: &str, value: JsValue);
    pub fn call_global(name: &str, arg: JsValue) -> JsValue;
    pub fn plant_fake_global(behaviour: &str);
    #[wasm_bindgen(js_name = sha384_integrity)]
    async fn sha384_integrity_js(source: &str) -> JsValue;
}

pub async fn sha384_integrity(source: &str) -> String {
    sha384_integrity_js(source).await.as_string().unwrap()
}

/// What the callbacks of a session saw.
#[derive(Default)]
pub struct Seen {
    pub tokens: Vec<String>,
    pub exits: Vec<Option<String>>,
    pub loads: u32,
}

pub type Log = std::rc::Rc<std::cell::RefCell<Seen>>;

/// A config with the test key whose three callbacks record into `log`.
pub fn config(log: &Log) -> flexpa_link::LinkConfig {
    let (s, e, l) = (log.clone(), log.clone(), log.clone());
    flexpa_link::LinkConfig::new(KEY)
        .unwrap()
        .on_success(move |t: flexpa_link::PublicToken| {
            s.borrow_mut().tokens.push(t.expose_secret().to_owned())
        })
        .on_exit(move |r| e.borrow_mut().exits.push(r))
        .on_load(move || l.borrow_mut().loads += 1)
}

/// A fresh page: no global, no test script tags, no iframes; counters installed.
pub fn fresh() {
    install_counters();
    reset_page();
}

/// Loads the stand-in from a fresh blob URL and returns the handle and that URL.
pub async fn load_standin() -> (flexpa_link::FlexpaLink, String) {
    let src = blob_url(STANDIN);
    let link = flexpa_link::ScriptLoader::new()
        .src(src.clone())
        .load()
        .await
        .expect("stand-in loads");
    (link, src)
}

/// A stand-in message from the Link app.
pub fn from_link(r#type: &str, payload: impl Into<JsValue>) {
    post(r#type, payload.into(), LINK_ORIGIN);
}

pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Waits (at most about 2 s) until `controller`'s status is `status`, else fails saying which
/// status it stayed in.
pub async fn until_status(
    controller: &flexpa_link::LinkController,
    status: flexpa_link::LinkStatus,
) {
    for _ in 0..200 {
        if controller.state().status == status {
            return;
        }
        sleep_ms(10).await;
    }
    panic!(
        "status stayed {:?}, expected {status:?}",
        controller.state().status
    );
}
