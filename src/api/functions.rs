//! The package's free functions: `isTerminal`, `validateRequests`, `toJsonl`.

use js_sys::{Array, JSON};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::get;
use crate::core::{self, validate_jsonl, Error};
use crate::edge::convert;

/// Whether a status (any provider spelling) or a batch object's status is terminal.
#[wasm_bindgen(js_name = isTerminal)]
pub fn is_terminal(value: JsValue) -> bool {
    let status = if value.is_object() { get(&value, "status") } else { value };
    status.as_string().is_some_and(|s| core::status::is_terminal(&s))
}

/// Checks a batch input (JSONL text or an array of request objects) before anything is sent.
#[wasm_bindgen(js_name = validateRequests)]
pub fn validate_requests(input: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let run = || -> core::Result<Value> {
        let text = match input.as_string() {
            Some(text) => text,
            None => jsonl(&input)?,
        };
        let endpoint = match get(&options, "endpoint") {
            v if v.is_undefined() || v.is_null() => first_url(&text).unwrap_or_else(|| "/v1/chat/completions".into()),
            v => v.as_string().ok_or_else(|| Error::invalid_argument("`endpoint` must be a string"))?,
        };
        Ok(validate_jsonl(&text, &endpoint).to_json())
    };
    run().map(|report| convert::to_js(&report)).map_err(|e| convert::error_to_js(&e, None))
}

/// The JSONL text of an array of request objects, one line each, ending with a newline.
#[wasm_bindgen(js_name = toJsonl)]
pub fn to_jsonl(requests: JsValue) -> Result<String, JsValue> {
    jsonl(&requests).map_err(|e| convert::error_to_js(&e, None))
}

fn jsonl(requests: &JsValue) -> core::Result<String> {
    let Some(items) = requests.dyn_ref::<Array>() else {
        return Err(Error::invalid_argument("expected JSONL text or an array of request objects"));
    };
    let mut out = String::new();
    for (index, item) in items.iter().enumerate() {
        let line = JSON::stringify(&item).ok().and_then(|s| s.as_string()).filter(|_| item.is_object());
        let line = line.ok_or_else(|| {
            Error::invalid_argument(format!("request {} is not a JSON-serialisable object", index + 1))
        })?;
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// The `url` of the first request that has one: the endpoint a file is evidently meant for.
fn first_url(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let value: Value = core::parse_value(line.as_bytes()).ok()?;
        value.get("url")?.as_str().map(str::to_owned)
    })
}
