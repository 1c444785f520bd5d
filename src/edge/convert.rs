//! JS values in (options, ids, signals) and out (plain objects, errors).

use js_sys::{Function, Object, Reflect};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use crate::core::{ApiKey, Error, Json, ListQuery, Options, Result};

fn get(object: &JsValue, key: &str) -> JsValue {
    if !object.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(object, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn is_absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// `typeof`-style name for error messages.
fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

fn optional_string(object: &JsValue, key: &str) -> Result<Option<String>> {
    let value = get(object, key);
    if is_absent(&value) {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| Error::invalid_argument(format!("`{key}` must be a string, got {}", type_name(&value))))
}

fn optional_number(object: &JsValue, key: &str) -> Result<Option<f64>> {
    let value = get(object, key);
    if is_absent(&value) {
        return Ok(None);
    }
    value
        .as_f64()
        .map(Some)
        .ok_or_else(|| Error::invalid_argument(format!("`{key}` must be a number, got {}", type_name(&value))))
}

/// Reads the `BatchClient` options object; the core checks the values.
pub fn options(js: &JsValue) -> Result<(Options, Option<Function>)> {
    if is_absent(js) {
        return Ok((Options::default(), None));
    }
    if !js.is_object() {
        return Err(Error::invalid_argument("the BatchClient options must be an object"));
    }
    let fetch = get(js, "fetch");
    let fetch = if is_absent(&fetch) {
        None
    } else {
        Some(fetch.dyn_into::<Function>().map_err(|_| Error::invalid_argument("`fetch` must be a function"))?)
    };
    let mut default_headers = Vec::new();
    let headers = get(js, "defaultHeaders");
    if !is_absent(&headers) {
        if !headers.is_object() {
            return Err(Error::invalid_argument("`defaultHeaders` must be an object of strings"));
        }
        for entry in Object::entries(headers.unchecked_ref()).iter() {
            let pair: js_sys::Array = entry.unchecked_into();
            let name = pair.get(0).as_string().unwrap_or_default();
            let value = pair.get(1);
            let value = if is_absent(&value) {
                None
            } else {
                Some(value.as_string().ok_or_else(|| {
                    Error::invalid_argument(format!("`defaultHeaders[{name:?}]` must be a string or null"))
                })?)
            };
            default_headers.push((name, value));
        }
    }
    let options = Options {
        api_key: optional_string(js, "apiKey")?,
        base_url: optional_string(js, "baseURL")?,
        dialect: optional_string(js, "dialect")?,
        timeout_ms: optional_number(js, "timeout")?,
        max_retries: optional_number(js, "maxRetries")?,
        default_headers,
    };
    Ok((options, fetch))
}

/// An id argument: a string, or an `invalid_argument` error naming what came instead.
pub fn id(what: &str, value: &JsValue) -> Result<String> {
    value
        .as_string()
        .ok_or_else(|| Error::invalid_argument(format!("{what} must be a string, got {}", type_name(value))))
}

/// `list` parameters; `undefined` means none.
pub fn list_query(value: JsValue) -> Result<ListQuery> {
    if is_absent(&value) {
        return Ok(ListQuery::default());
    }
    if !value.is_object() {
        return Err(Error::invalid_argument("list parameters must be an object"));
    }
    let field = |name: &str| Reflect::get(&value, &name.into()).unwrap_or(JsValue::UNDEFINED);
    let limit = match field("limit") {
        v if v.loose_eq(&JsValue::NULL) => None,
        v => {
            match v.as_f64().filter(|_| js_sys::Number::is_safe_integer(&v)).and_then(|n| u32::try_from(n as i64).ok())
            {
                Some(n) => Some(n),
                None => {
                    return Err(Error::invalid_argument(format!(
                        "`limit` must be a whole number, not {}",
                        describe_js(&v)
                    )))
                }
            }
        }
    };
    let after = match field("after") {
        v if v.loose_eq(&JsValue::NULL) => None,
        v => Some(v.as_string().ok_or_else(|| {
            Error::invalid_argument(format!("`after` must be a batch id (a string), not {}", describe_js(&v)))
        })?),
    };
    Ok(ListQuery { limit, after })
}

/// A short description of a JS value for an error message: its type, and its text when short.
fn describe_js(value: &JsValue) -> String {
    match (value.js_typeof().as_string(), value.as_string(), value.as_f64()) {
        (_, Some(s), _) if s.chars().count() <= 40 => format!("the string {s:?}"),
        (_, _, Some(n)) => format!("the number {}", crate::core::number_text(n)),
        (Some(kind), _, _) => format!("a value of type {kind}"),
        _ => "that value".to_owned(),
    }
}

/// The `signal` of a per-call options object, if any.
pub fn signal(options: &JsValue) -> Result<Option<AbortSignal>> {
    if is_absent(options) {
        return Ok(None);
    }
    let signal = get(options, "signal");
    if is_absent(&signal) {
        return Ok(None);
    }
    let looks_right = signal.is_object()
        && Reflect::has(&signal, &"aborted".into()).unwrap_or(false)
        && get(&signal, "addEventListener").is_function();
    if !looks_right {
        return Err(Error::invalid_argument("`signal` must be an AbortSignal"));
    }
    Ok(Some(signal.unchecked_into()))
}

/// A JSON value as a plain JS value: objects, arrays, strings, numbers (never `Map`).
pub fn to_js(value: &Value) -> JsValue {
    // Our own serialisation of a `Value` cannot fail, and JSON.parse of it cannot either.
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL)
}

/// A [`Json`] value as a plain JS value, like [`to_js`]; `size_hint` is about how many bytes of
/// JSON text it makes (the body it came from), so the text is written without regrowing.
pub fn json_to_js(value: &Json<'_>, size_hint: usize) -> JsValue {
    let mut text = Vec::with_capacity(crate::core::ascii_capacity(size_hint));
    value.write_ascii(&mut text);
    json_text_to_js(&text)
}

#[wasm_bindgen]
extern "C" {
    type TextDecoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextDecoder;
    // `&[u8]` goes to JS as a view of wasm memory: no copy, and no second UTF-8 check in Rust.
    #[wasm_bindgen(method)]
    fn decode(this: &TextDecoder, bytes: &[u8]) -> JsValue;
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn parse_json(text: &JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// Node's `Buffer`, where there is one.
    type NodeBuffer;
    #[wasm_bindgen(static_method_of = NodeBuffer, js_class = "Buffer", js_name = from)]
    fn view(memory: &JsValue, offset: u32, length: u32) -> NodeBuffer;
    #[wasm_bindgen(method, js_name = toString)]
    fn to_string_as(this: &NodeBuffer, encoding: &str) -> JsValue;
}

thread_local! {
    static DECODER: TextDecoder = TextDecoder::new();
    static HAS_BUFFER: bool =
        js_sys::Reflect::get(&js_sys::global(), &"Buffer".into()).is_ok_and(|buffer| buffer.is_function());
}

/// ASCII bytes in wasm memory as a JS string. Node's `latin1` decoding is a plain copy, several
/// times faster there than `TextDecoder` (for ASCII, latin1 and UTF-8 are the same text).
fn ascii_to_js(text: &[u8]) -> JsValue {
    if HAS_BUFFER.with(|has| *has) {
        let memory = wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>().buffer();
        NodeBuffer::view(&memory, text.as_ptr() as u32, text.len() as u32).to_string_as("latin1")
    } else {
        DECODER.with(|decoder| decoder.decode(text))
    }
}

/// JSON text we wrote ourselves (always ASCII: see [`Json::write_ascii`]), parsed by the JS
/// engine's own `JSON.parse`.
pub fn json_text_to_js(text: &[u8]) -> JsValue {
    try_json_text_to_js(text).unwrap_or(JsValue::NULL)
}

/// [`json_text_to_js`], `None` if `JSON.parse` refused the text.
pub fn try_json_text_to_js(text: &[u8]) -> Option<JsValue> {
    parse_json(&ascii_to_js(text)).ok()
}

/// What an API method hands to JS.
pub trait IntoJs {
    /// The plain JS value.
    fn into_js(self) -> JsValue;
}

impl IntoJs for Value {
    fn into_js(self) -> JsValue {
        to_js(&self)
    }
}

impl IntoJs for JsValue {
    fn into_js(self) -> JsValue {
        self
    }
}

/// An error as the JS `Error` the shell turns into a `BatchError`, with the key scrubbed from
/// every string in it.
pub fn error_to_js(error: &Error, key: Option<&ApiKey>) -> JsValue {
    let scrub = |text: &str| key.map_or_else(|| text.to_owned(), |k| k.redact(text));
    let js = js_sys::Error::new(&error.public_message(key));
    js.set_name("BatchError");
    let set = |name: &str, value: JsValue| {
        let _ = Reflect::set(&js, &name.into(), &value);
    };
    let opt = |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, |s| JsValue::from_str(&scrub(s)));
    set("kind", error.kind.as_str().into());
    set("status", error.status.map_or(JsValue::NULL, JsValue::from));
    set("code", opt(&error.code));
    set("requestId", opt(&error.request_id));
    js.into()
}

/// Any JSON-compatible JS value as a `serde_json::Value` (through `JSON.stringify`, so it follows
/// the rules JS developers know: `undefined` fields vanish, `Date`s become strings).
pub fn json_arg(what: &str, value: &JsValue) -> Result<Value> {
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| Error::invalid_argument(format!("{what} must be JSON-serialisable")))?;
    crate::core::parse_value(text.as_bytes()).map_err(|e| Error::invalid_argument(format!("{what}: {e}")))
}

/// `uploadFile`'s `{ filename = "input.jsonl", purpose = "batch" }`.
pub fn upload_options(options: &JsValue) -> Result<(String, String)> {
    if is_absent(options) {
        return Ok(("input.jsonl".into(), "batch".into()));
    }
    let filename = optional_string(options, "filename")?.unwrap_or_else(|| "input.jsonl".into());
    let purpose = optional_string(options, "purpose")?.unwrap_or_else(|| "batch".into());
    Ok((filename, purpose))
}

/// A multipart body with `purpose` and `file` (a string, bytes or a `Blob`).
pub fn form_data(content: &JsValue, filename: &str, purpose: &str) -> Result<JsValue> {
    let fail = |_| Error::invalid_argument("this runtime has no FormData/Blob to upload with");
    let blob = if content.is_instance_of::<web_sys::Blob>() {
        content.clone().unchecked_into::<web_sys::Blob>()
    } else {
        let bytes = content.is_instance_of::<js_sys::Uint8Array>() || content.is_instance_of::<js_sys::ArrayBuffer>();
        if !content.is_string() && !bytes {
            return Err(Error::invalid_argument(format!(
                "file content must be a string, Uint8Array, ArrayBuffer or Blob, got {}",
                type_name(content)
            )));
        }
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("application/jsonl");
        web_sys::Blob::new_with_blob_sequence_and_options(&js_sys::Array::of1(content), &options).map_err(fail)?
    };
    let form = web_sys::FormData::new().map_err(fail)?;
    form.append_with_str("purpose", purpose).map_err(fail)?;
    form.append_with_blob_and_filename("file", &blob, filename).map_err(fail)?;
    Ok(form.into())
}

/// `waitFor`'s `{ pollInterval = 30000, timeout, signal, onProgress }`.
pub fn wait_options(options: &JsValue) -> Result<crate::api::WaitOptions> {
    let timeout_ms = match optional_number(options, "timeout")? {
        None => None,
        Some(ms) if ms.is_finite() && ms > 0.0 => Some(ms),
        Some(_) => return Err(Error::invalid_argument("`timeout` must be a positive number of milliseconds")),
    };
    Ok(crate::api::WaitOptions {
        poll_interval_ms: poll_interval(options)?,
        timeout_ms,
        signal: signal(options)?,
        on_progress: optional_function(options, "onProgress")?,
    })
}

/// `pollInterval`, default 30 s.
fn poll_interval(options: &JsValue) -> Result<u32> {
    match optional_number(options, "pollInterval")? {
        None => Ok(30_000),
        Some(ms) if ms.is_finite() && (1.0..=f64::from(i32::MAX)).contains(&ms) => Ok(ms.round() as u32),
        Some(_) => Err(Error::invalid_argument("`pollInterval` must be a number of milliseconds of at least 1")),
    }
}

fn optional_function(options: &JsValue, key: &str) -> Result<Option<Function>> {
    let value = get(options, key);
    if is_absent(&value) {
        return Ok(None);
    }
    value.dyn_into::<Function>().map(Some).map_err(|_| Error::invalid_argument(format!("`{key}` must be a function")))
}

/// `watch`'s `{ ids, pollInterval = 30000, signal, onUpdate, onError }`.
pub fn watch_options(options: &JsValue) -> Result<crate::api::WatchOptions> {
    let ids = get(options, "ids");
    let ids = if is_absent(&ids) {
        None
    } else {
        let Some(array) = ids.dyn_ref::<js_sys::Array>() else {
            return Err(Error::invalid_argument("`ids` must be an array of batch ids"));
        };
        let mut out = Vec::with_capacity(array.length() as usize);
        for value in array.iter() {
            let id = id("each of `ids`", &value)?;
            crate::core::check_id("each of `ids`", &id)?;
            out.push(id);
        }
        Some(out)
    };
    Ok(crate::api::WatchOptions {
        ids,
        poll_interval_ms: poll_interval(options)?,
        signal: signal(options)?,
        on_update: optional_function(options, "onUpdate")?,
        on_error: optional_function(options, "onError")?,
        on_cycle: optional_function(options, "onCycle")?,
    })
}
