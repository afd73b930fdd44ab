//! The package's errors: a JavaScript `Error` named `FlexpaLinkError` with the crate's stable
//! [`Error::code`] and the variant's details as fields.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use crate::Error;

pub(super) const ERROR_NAME: &str = "FlexpaLinkError";

/// The stable `code` of the JavaScript error for `error`: [`Error::code`].
pub fn error_code(error: &Error) -> &'static str {
    error.code()
}

pub(super) fn js_error(code: &str, message: &str) -> js_sys::Error {
    let error = js_sys::Error::new(message);
    error.set_name(ERROR_NAME);
    let _ = Reflect::set(&error, &"code".into(), &JsValue::from_str(code));
    error
}

pub(super) fn to_js_error(error: Error) -> JsValue {
    let e = js_error(error.code(), &error.to_string());
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&e, &JsValue::from_str(key), &value);
    };
    match &error {
        Error::ScriptFailed { src }
        | Error::MissingGlobal { src }
        | Error::TagOptionsNotApplied { src } => set("src", src.into()),
        Error::Timeout { src, timeout } => {
            set("src", src.into());
            set("timeoutMs", JsValue::from_f64(timeout.as_millis() as f64));
        }
        Error::Exited {
            reason: Some(reason),
        } => set("reason", reason.into()),
        Error::Thrown { method, .. } => set("method", JsValue::from_str(method)),
        _ => {}
    }
    e.into()
}

pub(super) fn config_error(message: &str) -> JsValue {
    js_error("INVALID_CONFIG", message).into()
}

pub(super) fn destroyed() -> JsValue {
    js_error("DESTROYED", "this Flexpa Link session was destroyed").into()
}
