//! The JavaScript `LinkConfig` / `LoadOptions` objects read into the crate's types, field by
//! field, with an `INVALID_CONFIG` error that names the field.

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error::{config_error, to_js_error};
use crate::{LinkConfig, OptionValue, Usage};

pub(super) fn link_config(value: &JsValue) -> Result<LinkConfig, JsValue> {
    if !value.is_object() {
        return Err(config_error(
            "the config must be an object with a publishableKey",
        ));
    }
    let key = string_field(value, "publishableKey")?
        .ok_or_else(|| config_error("publishableKey is required"))?;
    let mut config = LinkConfig::new(key).map_err(to_js_error)?;

    let user = field(value, "user")?;
    if !user.is_undefined() && !user.is_null() {
        match string_field(&user, "externalId") {
            Ok(Some(id)) if user.is_object() => config = config.user_external_id(id),
            _ => {
                return Err(config_error(
                    "user must be an object with a string externalId",
                ))
            }
        }
    }
    match string_field(value, "usage")?.as_deref() {
        None => {}
        Some("ONE_TIME") => config = config.usage(Usage::OneTime),
        Some("MULTIPLE") => config = config.usage(Usage::Multiple),
        Some(_) => return Err(config_error(r#"usage must be "ONE_TIME" or "MULTIPLE""#)),
    }
    if let Some(endpoint) = string_field(value, "endpoint")? {
        config = config.endpoint(endpoint);
    }
    if let Some(strict) = bool_field(value, "strict")? {
        config = config.strict(strict);
    }
    if let Some(auto_exit) = bool_field(value, "autoExit")? {
        config = config.auto_exit(auto_exit);
    }
    if let Some(f) = function_field(value, "onSuccess")? {
        config =
            config.on_success(move |token| call(&f, &JsValue::from_str(token.expose_secret())));
    }
    if let Some(f) = function_field(value, "onExit")? {
        config = config.on_exit(move |reason| {
            call(
                &f,
                &reason.map_or(JsValue::UNDEFINED, |r| JsValue::from_str(&r)),
            )
        });
    }
    if let Some(f) = function_field(value, "onLoad")? {
        config = config.on_load(move || call(&f, &JsValue::UNDEFINED));
    }

    // Any other own key goes to FlexpaLink.create unchanged, as the script itself accepts
    // unknown keys (e.g. `brandColor` in older releases).
    for key in Object::keys(value.unchecked_ref::<Object>())
        .iter()
        .filter_map(|k| k.as_string())
    {
        if crate::browser::config::KNOWN_KEYS.contains(&key.as_str()) {
            continue;
        }
        let v = field(value, &key)?;
        let option = if let Some(b) = v.as_bool() {
            OptionValue::Bool(b)
        } else if let Some(n) = v.as_f64() {
            OptionValue::Number(n)
        } else if let Some(s) = v.as_string() {
            OptionValue::String(s)
        } else if v.is_undefined() {
            continue;
        } else if v.is_function() || v.is_symbol() || v.is_bigint() {
            return Err(config_error(&format!(
                "option {key} must be a string, number, boolean or JSON value"
            )));
        } else {
            let json = js_sys::JSON::stringify(&v)
                .ok()
                .and_then(|s| s.as_string())
                .ok_or_else(|| {
                    config_error(&format!("option {key} is not serializable to JSON"))
                })?;
            OptionValue::Json(json)
        };
        config = config.option(key, option);
    }
    Ok(config)
}

/// Calls a JavaScript callback. What it throws is reported like an uncaught exception
/// (`reportError`), not thrown into the middle of the crate's message handling.
pub(super) fn call(f: &Function, arg: &JsValue) {
    if let Err(thrown) = f.call1(&JsValue::UNDEFINED, arg) {
        let global = js_sys::global();
        let report = Reflect::get(&global, &"reportError".into())
            .ok()
            .and_then(|r| r.dyn_into::<Function>().ok());
        match report {
            Some(report) => drop(report.call1(&global, &thrown)),
            None => {
                let console =
                    Reflect::get(&global, &"console".into()).unwrap_or(JsValue::UNDEFINED);
                if let Ok(error) =
                    Reflect::get(&console, &"error".into()).and_then(|e| e.dyn_into::<Function>())
                {
                    let _ = error.call1(&console, &thrown);
                }
            }
        }
    }
}

pub(super) fn field(object: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    Reflect::get(object, &JsValue::from_str(key))
        .map_err(|_| config_error(&format!("cannot read {key}")))
}

pub(super) fn string_field(object: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    let v = field(object, key)?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| config_error(&format!("{key} must be a string")))
}

pub(super) fn bool_field(object: &JsValue, key: &str) -> Result<Option<bool>, JsValue> {
    let v = field(object, key)?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_bool()
        .map(Some)
        .ok_or_else(|| config_error(&format!("{key} must be a boolean")))
}

pub(super) fn function_field(object: &JsValue, key: &str) -> Result<Option<Function>, JsValue> {
    let v = field(object, key)?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.dyn_into::<Function>()
        .map(Some)
        .map_err(|_| config_error(&format!("{key} must be a function")))
}
