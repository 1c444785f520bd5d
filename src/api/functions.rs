//! The package's free functions: `isTerminal`, `validateRequests`, `toJsonl`, `verifyWebhook`, and
//! the facts the CLI and `www/` read from the package instead of writing them again (statuses,
//! providers).

use wasm_bindgen::prelude::*;

use crate::core::model::status;
use crate::core::providers;
use crate::core::validate::{first_url, validate_with};
use crate::core::webhook;
use crate::core::{Error, Result};
use crate::edge::{clock, convert};

/// Whether a status (any provider spelling) or a batch object's status is terminal.
#[wasm_bindgen(js_name = isTerminal)]
pub fn is_terminal(value: JsValue) -> bool {
    let status =
        if value.is_object() { js_sys::Reflect::get(&value, &"status".into()).unwrap_or(JsValue::NULL) } else { value };
    status.as_string().is_some_and(|s| status::is_terminal(&s))
}

/// Checks a batch input (JSONL text or an array of request objects) before anything is sent.
#[wasm_bindgen(js_name = validateRequests)]
pub fn validate_requests(input: JsValue, options: JsValue) -> std::result::Result<JsValue, JsValue> {
    let run = || -> Result<JsValue> {
        let text = convert::jsonl("validateRequests", &input)?;
        let options = convert::options_object("validateRequests options", &options)?;
        let get = |key: &str| js_sys::Reflect::get(&options, &key.into()).unwrap_or(JsValue::UNDEFINED);
        let endpoint = match get("endpoint") {
            v if v.is_undefined() || v.is_null() => {
                first_url(text.as_bytes()).unwrap_or_else(|| "/v1/chat/completions".into())
            }
            v => convert::string("`endpoint`", &v)?,
        };
        let provider = match get("provider") {
            v if v.is_undefined() || v.is_null() => "openai".to_owned(),
            v => convert::string("`provider`", &v)?,
        };
        let provider = providers::find(&provider)
            .ok_or_else(|| Error::invalid_argument(format!("`provider` must be one of {}", providers::names())))?;
        // `split: true`: the input is for submitAll, which cuts it to the provider's limits.
        let split = get("split").as_bool().unwrap_or(false);
        let report = validate_with(text.as_bytes(), &endpoint, provider, !split);
        convert::json_to_js(&report.to_json().into())
    };
    run().map_err(|e| convert::error_to_js(&e, None))
}

/// The JSONL text of an array of request objects, one line each, ending with a newline.
#[wasm_bindgen(js_name = toJsonl)]
pub fn to_jsonl(requests: JsValue) -> std::result::Result<String, JsValue> {
    if requests.is_string() {
        return Err(convert::error_to_js(&Error::invalid_argument("toJsonl takes an array of request objects"), None));
    }
    convert::jsonl("toJsonl", &requests).map_err(|e| convert::error_to_js(&e, None))
}

/// The eight statuses every provider's spellings map onto, in the order of a batch's life.
#[wasm_bindgen(js_name = statuses)]
pub fn statuses() -> Vec<JsValue> {
    status::STATUSES.iter().map(|s| JsValue::from_str(s)).collect()
}

/// The table of providers: name, label, base URL, key variable, auth, limits, notes.
#[wasm_bindgen(js_name = providers)]
pub fn provider_table() -> JsValue {
    js_sys::JSON::parse(&providers::table_json()).unwrap_or(JsValue::NULL)
}

/// Checks a webhook delivery (Standard Webhooks, as OpenAI signs them) and answers its event.
#[wasm_bindgen(js_name = verifyWebhook)]
pub fn verify_webhook(
    body: JsValue,
    headers: JsValue,
    secret: JsValue,
    options: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    let run = || -> Result<JsValue> {
        let body: Vec<u8> = match (body.as_string(), body.dyn_ref::<js_sys::Uint8Array>()) {
            (Some(text), _) => text.into_bytes(),
            (None, Some(bytes)) => bytes.to_vec(),
            _ => match body.dyn_ref::<js_sys::ArrayBuffer>() {
                Some(buffer) => js_sys::Uint8Array::new(buffer).to_vec(),
                None => {
                    return Err(Error::invalid_argument(
                        "the webhook body must be the raw text (a string or bytes), not parsed JSON",
                    ))
                }
            },
        };
        let secret =
            secret.as_string().ok_or_else(|| Error::invalid_argument("the webhook secret must be a string"))?;
        let header = |name: &str| convert::header(&headers, name);
        let (id, timestamp, signature) =
            (header("webhook-id")?, header("webhook-timestamp")?, header("webhook-signature")?);
        let options = convert::options_object("verifyWebhook options", &options)?;
        let tolerance = match js_sys::Reflect::get(&options, &"tolerance".into()).unwrap_or(JsValue::UNDEFINED) {
            v if v.is_undefined() || v.is_null() => Some(webhook::DEFAULT_TOLERANCE_S),
            v => match v.as_f64() {
                Some(t) if t == f64::INFINITY => None,
                Some(t) if t.is_finite() && t >= 0.0 => Some(t as u64),
                _ => {
                    return Err(Error::invalid_argument(
                        "`tolerance` must be a number of seconds (Infinity: no time check)",
                    ))
                }
            },
        };
        let headers =
            webhook::Headers { id: id.as_deref(), timestamp: timestamp.as_deref(), signature: signature.as_deref() };
        let now_s = (clock::now_ms() / 1000.0).floor() as i64;
        let event = webhook::verify(&body, headers, &secret, tolerance, now_s)?;
        let ascii = event.is_ascii();
        convert::json_to_js(&crate::core::ops::Text { bytes: event.to_vec(), ascii })
    };
    run().map_err(|e| convert::error_to_js(&e, None))
}

/// The tokens of one batch (its `usage`) or one result (its response body's usage), in the shape
/// `client.usage` adds up; `null` when it has none.
#[wasm_bindgen(js_name = usageOf)]
pub fn usage_of(value: JsValue) -> std::result::Result<JsValue, JsValue> {
    let run = || -> Result<JsValue> {
        if !value.is_object() {
            return Err(Error::invalid_argument("usageOf takes a batch or a result object"));
        }
        let text = convert::stringify("usageOf", &value)?;
        let json = crate::core::json::Json::parse(text.as_bytes())
            .map_err(|_| Error::invalid_argument("usageOf takes a batch or a result object"))?;
        let mut usage = crate::core::model::usage::Usage::default();
        let counted = match json.get("usage") {
            Some(own) if usage.add(own) => {
                let completed = json.get("request_counts").and_then(|c| c.get("completed"));
                usage.requests = completed.and_then(|c| c.as_number()?.as_u64()).unwrap_or(0);
                true
            }
            _ => usage.add_result(json),
        };
        if !counted {
            return Ok(JsValue::NULL);
        }
        convert::json_to_js(&usage.to_json().into())
    };
    run().map_err(|e| convert::error_to_js(&e, None))
}
