//! JS values in (options, ids, signals, objects as JSON text) and out (plain objects, errors).

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use crate::core::config::{check_id, ListQuery, Options};
use crate::core::ops::Text;
use crate::core::secret::Secrets;
use crate::core::text::Quoted;
use crate::core::{Error, Result};

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
    } else if Array::is_array(value) {
        "an array".into()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

/// A short description of a JS value for an error message: its type, and its text when short.
fn describe_value(value: &JsValue) -> String {
    match (value.as_string(), value.as_f64()) {
        (Some(s), _) if s.chars().count() <= 40 => format!("the string {}", Quoted(&s)),
        (_, Some(_)) => format!("the number {}", number_text(value)),
        _ => format!("a value of type {}", type_name(value)),
    }
}

/// A JS number as JS writes it (`String(n)`).
fn number_text(value: &JsValue) -> String {
    js_sys::Number::from(value.clone()).to_string_with_radix(10).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

/// A request header from a `Headers` object or a plain object (names in any case); `None` when absent.
pub fn header(headers: &JsValue, name: &str) -> Result<Option<String>> {
    if let Some(h) = headers.dyn_ref::<web_sys::Headers>() {
        return h.get(name).map_err(|_| Error::invalid_argument(format!("the `{name}` header could not be read")));
    }
    if !headers.is_object() {
        return Err(Error::invalid_argument(format!(
            "headers must be a Headers object or a plain object, got {}",
            type_name(headers)
        )));
    }
    for key in Object::keys(headers.unchecked_ref::<Object>()).iter() {
        if key.as_string().is_some_and(|k| k.eq_ignore_ascii_case(name)) {
            let value = get(headers, &key.as_string().unwrap_or_default());
            return Ok(match value.as_string() {
                Some(v) => Some(v),
                // Node's IncomingHttpHeaders may hold an array for a repeated header.
                None if Array::is_array(&value) => Some(Array::from(&value).join(" ").into()),
                None => None,
            });
        }
    }
    Ok(None)
}

/// An options object: `undefined` and `null` are none; anything but an object is refused.
pub fn options_object(what: &str, value: &JsValue) -> Result<JsValue> {
    if is_absent(value) {
        return Ok(Object::new().into());
    }
    if !value.is_object() || Array::is_array(value) || value.is_function() {
        return Err(Error::invalid_argument(format!("{what} must be an object, got {}", type_name(value))));
    }
    Ok(value.clone())
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
    let js = options_object("the BatchClient options", js)?;
    let fetch = get(&js, "fetch");
    let fetch = if is_absent(&fetch) {
        None
    } else {
        Some(fetch.dyn_into::<Function>().map_err(|_| Error::invalid_argument("`fetch` must be a function"))?)
    };
    let mut default_headers = Vec::new();
    let headers = get(&js, "defaultHeaders");
    if !is_absent(&headers) {
        if !headers.is_object() {
            return Err(Error::invalid_argument("`defaultHeaders` must be an object of strings"));
        }
        for entry in Object::entries(headers.unchecked_ref()).iter() {
            let pair: Array = entry.unchecked_into();
            let name = pair.get(0).as_string().unwrap_or_default();
            let value = pair.get(1);
            let value = if is_absent(&value) {
                None
            } else {
                Some(value.as_string().ok_or_else(|| {
                    Error::invalid_argument(format!("`defaultHeaders[{}]` must be a string or null", Quoted(&name)))
                })?)
            };
            default_headers.push((name, value));
        }
    }
    let options = Options {
        api_key: optional_string(&js, "apiKey")?,
        provider: optional_string(&js, "provider")?,
        base_url: optional_string(&js, "baseURL")?,
        api_version: optional_string(&js, "apiVersion")?,
        dialect: optional_string(&js, "dialect")?,
        timeout_ms: optional_number(&js, "timeout")?,
        max_retries: optional_number(&js, "maxRetries")?,
        default_headers,
    };
    Ok((options, fetch))
}

/// A string argument, or an `invalid_argument` error naming what came instead.
pub fn string(what: &str, value: &JsValue) -> Result<String> {
    value
        .as_string()
        .ok_or_else(|| Error::invalid_argument(format!("{what} must be a string, got {}", type_name(value))))
}

/// An id argument: a string that can be one.
pub fn id(what: &str, value: &JsValue) -> Result<String> {
    let id = string(what, value)?;
    check_id(what, &id)?;
    Ok(id)
}

/// `list` parameters; `undefined` means none.
pub fn list_query(value: &JsValue) -> Result<ListQuery> {
    let value = options_object("list parameters", value)?;
    let limit = match get(&value, "limit") {
        v if is_absent(&v) => None,
        v => {
            match v.as_f64().filter(|_| js_sys::Number::is_safe_integer(&v)).and_then(|n| u32::try_from(n as i64).ok())
            {
                Some(n) if n > 0 => Some(n),
                _ => {
                    return Err(Error::invalid_argument(format!(
                        "`limit` must be a whole number of at least 1, not {}",
                        describe_value(&v)
                    )))
                }
            }
        }
    };
    let after = match get(&value, "after") {
        v if is_absent(&v) => None,
        v => {
            let after = v.as_string().ok_or_else(|| {
                Error::invalid_argument(format!("`after` must be a batch id (a string), not {}", describe_value(&v)))
            })?;
            check_id("`after`", &after)?;
            Some(after)
        }
    };
    let page = match get(&value, "page") {
        v if is_absent(&v) => None,
        v if v.as_f64().is_some() && js_sys::Number::is_safe_integer(&v) => Some(number_text(&v)),
        v => Some(v.as_string().ok_or_else(|| {
            Error::invalid_argument(format!("`page` must be a page number or token, not {}", describe_value(&v)))
        })?),
    };
    Ok(ListQuery { limit, after, page })
}

/// The `signal` of a per-call options object, if any.
pub fn signal(options: &JsValue) -> Result<Option<AbortSignal>> {
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

/// Any JSON-compatible JS value as JSON text (through `JSON.stringify`, so it follows the rules
/// JS developers know: `undefined` fields vanish, `Date`s become strings).
pub fn stringify(what: &str, value: &JsValue) -> Result<String> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| Error::invalid_argument(format!("{what} must be JSON-serialisable")))
}

/// The JSONL of an array of request objects (one `JSON.stringify` per line), or JSONL text as given.
pub fn jsonl(what: &str, value: &JsValue) -> Result<String> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    let Some(items) = value.dyn_ref::<Array>() else {
        return Err(Error::invalid_argument(format!("{what}: expected JSONL text or an array of request objects")));
    };
    let mut out = String::new();
    for (index, item) in items.iter().enumerate() {
        let line = js_sys::JSON::stringify(&item).ok().and_then(|s| s.as_string()).filter(|_| item.is_object());
        let line = line.ok_or_else(|| {
            Error::invalid_argument(format!("request {} is not a JSON-serialisable object", index + 1))
        })?;
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// File content as a `Blob`: a string, `Uint8Array`, `ArrayBuffer`, or a `Blob` as it is.
pub fn blob(content: &JsValue) -> std::result::Result<JsValue, JsValue> {
    if content.is_instance_of::<web_sys::Blob>() {
        return Ok(content.clone());
    }
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/jsonl");
    web_sys::Blob::new_with_blob_sequence_and_options(&Array::of1(content), &options).map(Into::into)
}

/// Checks upload content before anything is sent, and makes it the `Blob` that will be sent (its
/// size in bytes is what a resumable upload announces first).
pub fn content_blob(content: &JsValue) -> Result<(JsValue, u64)> {
    let bytes = content.is_instance_of::<js_sys::Uint8Array>() || content.is_instance_of::<js_sys::ArrayBuffer>();
    if !(content.is_string() || bytes || content.is_instance_of::<web_sys::Blob>()) {
        return Err(Error::invalid_argument(format!(
            "file content must be a string, Uint8Array, ArrayBuffer or Blob, got {}",
            type_name(content)
        )));
    }
    let blob = blob(content).map_err(|_| Error::invalid_argument("the file content could not be read"))?;
    let size = blob.unchecked_ref::<web_sys::Blob>().size();
    Ok((blob, if size.is_finite() && size >= 0.0 { size as u64 } else { 0 }))
}

/// `uploadFile`'s options, read.
#[derive(Debug)]
pub struct UploadOptions {
    pub filename: String,
    pub purpose: Option<String>,
    /// `expires_after: { anchor, seconds }`.
    pub expires_after: Option<(String, u64)>,
}

/// `uploadFile`'s `{ filename = "input.jsonl", purpose, expires_after }`.
pub fn upload_options(options: &JsValue) -> Result<UploadOptions> {
    let filename = optional_string(options, "filename")?.unwrap_or_else(|| "input.jsonl".into());
    if filename.trim().is_empty() || filename.contains(['\r', '\n', '"', '\0']) {
        return Err(Error::invalid_argument("`filename` must be a non-empty name without quotes or line breaks"));
    }
    let purpose = optional_string(options, "purpose")?;
    if purpose.as_deref().is_some_and(|p| p.trim().is_empty()) {
        return Err(Error::invalid_argument("`purpose` must be a non-empty string such as \"batch\""));
    }
    let expires = get(options, "expires_after");
    let expires_after = if is_absent(&expires) {
        None
    } else {
        let shape = "`expires_after` must be an object such as { anchor: \"created_at\", seconds: 86400 }";
        if !expires.is_object() || Array::is_array(&expires) {
            return Err(Error::invalid_argument(shape));
        }
        let anchor = optional_string(&expires, "anchor")?.filter(|a| !a.trim().is_empty());
        let seconds = get(&expires, "seconds");
        let seconds =
            seconds.as_f64().filter(|s| *s >= 1.0 && js_sys::Number::is_safe_integer(&seconds)).map(|s| s as u64);
        match (anchor, seconds) {
            (Some(anchor), Some(seconds)) if !anchor.contains(['\r', '\n', '\0']) => Some((anchor, seconds)),
            _ => return Err(Error::invalid_argument(shape)),
        }
    };
    Ok(UploadOptions { filename, purpose, expires_after })
}

/// The caller's callbacks.
#[derive(Debug, Default)]
pub struct Callbacks {
    /// `waitFor`'s `onProgress`.
    pub progress: Option<Function>,
    /// `watch`'s `onUpdate`.
    pub update: Option<Function>,
    /// `watch`'s `onError`.
    pub error: Option<Function>,
    /// `watch`'s `onCycle`.
    pub cycle: Option<Function>,
}

fn optional_function(options: &JsValue, key: &str) -> Result<Option<Function>> {
    let value = get(options, key);
    if is_absent(&value) {
        return Ok(None);
    }
    value.dyn_into::<Function>().map(Some).map_err(|_| Error::invalid_argument(format!("`{key}` must be a function")))
}

/// `pollInterval`, default 30 s.
pub fn poll_interval(options: &JsValue) -> Result<u32> {
    match optional_number(options, "pollInterval")? {
        None => Ok(30_000),
        Some(ms) if ms.is_finite() && (1.0..=f64::from(i32::MAX)).contains(&ms) => Ok(ms.round() as u32),
        Some(_) => Err(Error::invalid_argument("`pollInterval` must be a number of milliseconds of at least 1")),
    }
}

/// `waitFor`'s `{ pollInterval = 30000, timeout, onProgress }`: interval, timeout, callbacks.
pub fn wait_options(options: &JsValue) -> Result<(u32, Option<f64>, Callbacks)> {
    let timeout = match optional_number(options, "timeout")? {
        None => None,
        Some(ms) if ms.is_finite() && ms > 0.0 => Some(ms),
        Some(_) => return Err(Error::invalid_argument("`timeout` must be a positive number of milliseconds")),
    };
    let callbacks = Callbacks { progress: optional_function(options, "onProgress")?, ..Callbacks::default() };
    Ok((poll_interval(options)?, timeout, callbacks))
}

/// `watch`'s `{ ids, pollInterval = 30000, onUpdate, onError, onCycle }`.
pub fn watch_options(options: &JsValue) -> Result<(Option<Vec<String>>, u32, Callbacks)> {
    let ids = get(options, "ids");
    let ids = if is_absent(&ids) {
        None
    } else {
        let Some(array) = ids.dyn_ref::<Array>() else {
            return Err(Error::invalid_argument("`ids` must be an array of batch ids"));
        };
        let mut out = Vec::with_capacity(array.length() as usize);
        for value in array.iter() {
            out.push(id("each of `ids`", &value)?);
        }
        Some(out)
    };
    let callbacks = Callbacks {
        update: optional_function(options, "onUpdate")?,
        error: optional_function(options, "onError")?,
        cycle: optional_function(options, "onCycle")?,
        progress: None,
    };
    Ok((ids, poll_interval(options)?, callbacks))
}

#[wasm_bindgen]
extern "C" {
    type TextDecoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextDecoder;
    // `&[u8]` goes to JS as a view of wasm memory: no copy.
    #[wasm_bindgen(method, catch)]
    fn decode(this: &TextDecoder, bytes: &[u8]) -> std::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn parse_json(text: &JsValue) -> std::result::Result<JsValue, JsValue>;

    /// Node's `Buffer`, where there is one.
    type NodeBuffer;
    #[wasm_bindgen(static_method_of = NodeBuffer, js_class = "Buffer", js_name = from)]
    fn view(memory: &JsValue, offset: u32, length: u32) -> NodeBuffer;
    #[wasm_bindgen(method, catch, js_name = toString)]
    fn to_string_as(this: &NodeBuffer, encoding: &str) -> std::result::Result<JsValue, JsValue>;
}

thread_local! {
    static DECODER: TextDecoder = TextDecoder::new();
    static HAS_BUFFER: bool = Reflect::get(&js_sys::global(), &"Buffer".into()).is_ok_and(|buffer| buffer.is_function());
}

/// Text in wasm memory as a JS string: on Node, `latin1` for ASCII (a plain copy, several times
/// faster than decoding) and `utf8` else; elsewhere `TextDecoder` (which, like Node's decoder, turns
/// bytes that are not UTF-8 into U+FFFD exactly as `response.text()` would).
fn to_string(text: &Text) -> std::result::Result<JsValue, JsValue> {
    if HAS_BUFFER.with(|has| *has) {
        let memory = wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>().buffer();
        let view = NodeBuffer::view(&memory, text.bytes.as_ptr() as u32, text.bytes.len() as u32);
        view.to_string_as(if text.ascii { "latin1" } else { "utf8" })
    } else {
        DECODER.with(|decoder| decoder.decode(&text.bytes))
    }
}

/// JSON text we wrote, parsed by the JS engine's own `JSON.parse` (never a JS `Map`).
pub fn json_to_js(text: &Text) -> Result<JsValue> {
    let string = to_string(text).map_err(|e| {
        Error::invalid_response(format!("the answer is too large to become a JS string ({})", super::js::describe(&e)))
    })?;
    parse_json(&string)
        .map_err(|e| Error::invalid_response(format!("JSON.parse refused the answer ({})", super::js::describe(&e))))
}

/// An error as the JS `Error` the shell turns into a `BatchError`, with the client's secrets
/// scrubbed from every string in it.
pub fn error_to_js(error: &Error, secrets: Option<&Secrets>) -> JsValue {
    let scrub = |text: &str| secrets.map_or_else(|| text.to_owned(), |s| s.redact(text));
    let js = js_sys::Error::new(&error.public_message(secrets));
    js.set_name("BatchError");
    let set = |name: &str, value: JsValue| {
        let _ = Reflect::set(&js, &name.into(), &value);
    };
    let opt = |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, |s| JsValue::from_str(&scrub(s)));
    set("kind", error.kind.as_str().into());
    set("status", error.status.map_or(JsValue::NULL, JsValue::from));
    set("code", opt(&error.code));
    set("requestId", opt(&error.request_id));
    if let Some((name, json)) = error.details.as_deref() {
        if let Ok(value) = js_sys::JSON::parse(&scrub(json)) {
            set(name, value);
        }
    }
    js.into()
}
