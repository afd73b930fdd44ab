//! The raw wasm-bindgen view of the `window.FlexpaLink` object, and nothing more.
//!
//! Every method catches what the global throws; callers turn it into [`Error::Thrown`].

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error::{Error, Result};

#[wasm_bindgen]
extern "C" {
    /// The `window.FlexpaLink` singleton defined by `https://js.flexpa.com/v1/`.
    #[derive(Debug, Clone)]
    pub(crate) type FlexpaLinkGlobal;

    #[wasm_bindgen(method, catch)]
    pub(crate) fn create(this: &FlexpaLinkGlobal, config: &js_sys::Object) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch)]
    pub(crate) fn open(this: &FlexpaLinkGlobal) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch, js_name = open)]
    pub(crate) fn open_with(
        this: &FlexpaLinkGlobal,
        options: &js_sys::Object,
    ) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch)]
    pub(crate) fn close(this: &FlexpaLinkGlobal) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch)]
    pub(crate) fn exit(this: &FlexpaLinkGlobal) -> Result<(), JsValue>;
}

/// The property of `window` that the script defines.
pub(crate) const GLOBAL_NAME: &str = "FlexpaLink";

/// The callback keys of the config that the crate always owns.
pub(crate) const CALLBACK_KEYS: [&str; 3] = ["onSuccess", "onExit", "onLoad"];

/// Reads `window.FlexpaLink`: `Ok(None)` when it is not defined (yet), an error when it is
/// defined but is not a Flexpa Link object.
pub(crate) fn read(window: &web_sys::Window) -> Result<Option<FlexpaLinkGlobal>> {
    let value = js_sys::Reflect::get(window, &JsValue::from_str(GLOBAL_NAME))
        .map_err(|_| Error::InvalidGlobal("reading it threw"))?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if !value.is_object() {
        return Err(Error::InvalidGlobal("it is not an object"));
    }
    let missing = [
        ("create", "it has no `create` function"),
        ("open", "it has no `open` function"),
        ("close", "it has no `close` function"),
    ];
    for (method, reason) in missing {
        if !has_method(&value, method) {
            return Err(Error::InvalidGlobal(reason));
        }
    }
    Ok(Some(value.unchecked_into()))
}

/// Whether `object` has a function called `name` (older script versions lack `exit`).
pub(crate) fn has_method(object: &JsValue, name: &str) -> bool {
    js_sys::Reflect::get(object, &JsValue::from_str(name)).is_ok_and(|f| f.is_function())
}

/// Points the global's callbacks at `Function.prototype`, a built-in function that accepts
/// anything and does nothing. A message that arrives later (for instance through a listener a
/// published version of the script leaks) then reaches no freed Rust code and throws nothing.
/// Needs no `eval`, so it works under a strict Content Security Policy.
///
/// It also re-runs `create` with the same key and no-op callbacks, so that a version of the
/// script that kept the config object (instead of copying it onto the singleton) lets go of
/// the Rust closures too.
pub(crate) fn detach_callbacks(global: &FlexpaLinkGlobal) {
    let noop = noop_function();
    let config = js_sys::Object::new();
    for key in CALLBACK_KEYS {
        let key = JsValue::from_str(key);
        let _ = js_sys::Reflect::set(global, &key, &noop);
        let _ = js_sys::Reflect::set(&config, &key, &noop);
    }
    let publishable_key = js_sys::Reflect::get(global, &JsValue::from_str("publishableKey"))
        .unwrap_or(JsValue::UNDEFINED);
    if publishable_key.as_string().is_some_and(|k| !k.is_empty()) {
        let _ = js_sys::Reflect::set(
            &config,
            &JsValue::from_str("publishableKey"),
            &publishable_key,
        );
        // Ignored on failure: the properties above are already detached.
        let _ = global.create(&config);
    }
}

fn noop_function() -> JsValue {
    // `Object.getPrototypeOf(Array)` is `Function.prototype`, since `Array` is a function.
    let array_ctor: js_sys::Function = js_sys::Array::new().constructor();
    js_sys::Object::get_prototype_of(array_ctor.as_ref()).into()
}
