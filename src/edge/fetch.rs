//! HTTP through the global `fetch` (or the caller's), one attempt at a time, bounded by a timeout
//! and the caller's `AbortSignal`; and reading response bodies as byte streams.

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal};

use super::timer::{bounded, method};
use crate::core::{Head, Request};

#[wasm_bindgen]
extern "C" {
    // The global `fetch`, not `window.fetch`: there is no window in Workers, Node or web workers.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(url: &str, init: &Object) -> Result<Promise, JsValue>;
}

/// Who performs the HTTP request.
#[derive(Debug)]
pub enum Transport {
    /// `globalThis.fetch`, looked up at call time (tests and polyfills may replace it).
    Global,
    /// The `fetch` option: any function with fetch's signature.
    Custom(Function),
}

/// Why an attempt got no answer.
#[derive(Debug)]
pub enum NoReply {
    /// Refused, reset, DNS, CORS, or a `fetch` that threw; the text says what JS said.
    Connection(String),
    /// Our per-attempt timer fired first.
    Timeout,
    /// The caller's signal fired.
    Aborted,
}

/// An answer whose headers have arrived; the body is still unread.
pub struct Answer {
    /// Status and request id.
    pub head: Head,
    /// The `Response` itself.
    pub response: JsValue,
    controller: AbortController,
}

impl Answer {
    /// A response header.
    pub fn header(&self, name: &str) -> Option<String> {
        let headers = Reflect::get(&self.response, &"headers".into()).ok()?;
        method(&headers, "get")?.call1(&headers, &name.into()).ok()?.as_string()
    }

    /// Reads the whole body as bytes (no UTF-16 round trip), bounded like the request was.
    pub async fn bytes(&self, timeout_ms: u32, signal: Option<&AbortSignal>) -> Result<Vec<u8>, NoReply> {
        let read = method(&self.response, "arrayBuffer")
            .ok_or_else(|| NoReply::Connection("the response has no body reader".into()))?
            .call0(&self.response)
            .map_err(|e| NoReply::Connection(describe(&e)))?;
        match bounded(Promise::resolve(&read), Some(timeout_ms), signal).await {
            Ok(buffer) => Ok(Uint8Array::new(&buffer).to_vec()),
            Err(e) => {
                self.controller.abort();
                Err(e)
            }
        }
    }

    /// Lets the caller's signal abort the body stream after we hand the Response over. Only JS
    /// functions are involved, so the listener costs nothing once both objects are garbage. The
    /// listener is `controller.abort` with `undefined` bound as its reason: the event comes second
    /// and is ignored, so the stream fails with a plain `AbortError`, not with the Event.
    pub fn link_signal(&self, signal: Option<&AbortSignal>) {
        if let (Some(signal), Some(abort)) = (signal, method(&self.controller, "abort")) {
            let options = Object::new();
            let _ = Reflect::set(&options, &"once".into(), &JsValue::TRUE);
            let _ = signal.add_event_listener_with_callback_and_add_event_listener_options(
                "abort",
                abort.bind1(&self.controller, &JsValue::UNDEFINED).unchecked_ref(),
                options.unchecked_ref(),
            );
        }
    }
}

/// Sends `request` once and waits for its headers. `body` is the request body (a JSON string or
/// a `FormData`), or `undefined`.
pub async fn send(
    transport: &Transport,
    request: &Request,
    body: &JsValue,
    timeout_ms: u32,
    signal: Option<&AbortSignal>,
) -> Result<Answer, NoReply> {
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(NoReply::Aborted);
    }
    let controller = AbortController::new().map_err(|e| NoReply::Connection(describe(&e)))?;
    let init = request_init(request, body, &controller.signal());
    let started = match transport {
        Transport::Global => global_fetch(&request.url, &init),
        Transport::Custom(f) => {
            f.call2(&js_sys::global(), &JsValue::from_str(&request.url), &init).map(|v| Promise::resolve(&v))
        }
    };
    let started = started.map_err(|e| NoReply::Connection(describe(&e)))?;
    let response = match bounded(started, Some(timeout_ms), signal).await {
        Ok(response) => response,
        Err(e) => {
            // Stop the request itself, not just our wait for it.
            controller.abort();
            return Err(e);
        }
    };
    let status = Reflect::get(&response, &"status".into()).ok().and_then(|s| s.as_f64());
    let status = match status {
        Some(s) if (100.0..=599.0).contains(&s) => s as u16,
        _ => return Err(NoReply::Connection("`fetch` resolved with something that is not a Response".into())),
    };
    let mut answer = Answer { head: Head { status, request_id: None }, response, controller };
    answer.head.request_id = answer.header("x-request-id");
    Ok(answer)
}

fn request_init(request: &Request, body: &JsValue, signal: &AbortSignal) -> Object {
    let headers = Object::new();
    for (name, value) in &request.headers {
        let _ = Reflect::set(&headers, &name.into(), &value.into());
    }
    let init = Object::new();
    let _ = Reflect::set(&init, &"method".into(), &request.method.as_str().into());
    let _ = Reflect::set(&init, &"headers".into(), &headers);
    let _ = Reflect::set(&init, &"signal".into(), signal);
    if !body.is_undefined() {
        let _ = Reflect::set(&init, &"body".into(), body);
    }
    init
}

/// Reads a response body chunk by chunk.
pub struct BodyReader {
    reader: Option<JsValue>,
}

impl BodyReader {
    /// A reader over `answer`'s body; an answer without a body reads as empty.
    pub fn new(answer: &Answer) -> Result<Self, NoReply> {
        let body = Reflect::get(&answer.response, &"body".into()).unwrap_or(JsValue::NULL);
        if body.is_null() || body.is_undefined() {
            return Ok(BodyReader { reader: None });
        }
        let reader = method(&body, "getReader")
            .ok_or_else(|| NoReply::Connection("the response body is not a ReadableStream".into()))?
            .call0(&body)
            .map_err(|e| NoReply::Connection(describe(&e)))?;
        Ok(BodyReader { reader: Some(reader) })
    }

    /// The next chunk, `None` at the end. A read that stalls for `timeout_ms` is a timeout.
    pub async fn next(&mut self, timeout_ms: u32, signal: Option<&AbortSignal>) -> Result<Option<Vec<u8>>, NoReply> {
        let Some(reader) = &self.reader else { return Ok(None) };
        let read = method(reader, "read")
            .ok_or_else(|| NoReply::Connection("the body reader has no read()".into()))?
            .call0(reader)
            .map_err(|e| NoReply::Connection(describe(&e)))?;
        let step = match bounded(Promise::resolve(&read), Some(timeout_ms), signal).await {
            Ok(step) => step,
            Err(e) => {
                self.cancel();
                return Err(e);
            }
        };
        if Reflect::get(&step, &"done".into()).ok().is_some_and(|d| d.is_truthy()) {
            self.reader = None;
            return Ok(None);
        }
        let value = Reflect::get(&step, &"value".into()).unwrap_or(JsValue::UNDEFINED);
        match value.dyn_into::<Uint8Array>() {
            Ok(bytes) => Ok(Some(bytes.to_vec())),
            Err(_) => {
                self.cancel();
                Err(NoReply::Connection("the response body produced a chunk that is not bytes".into()))
            }
        }
    }

    /// Stops the stream and releases the connection.
    pub fn cancel(&mut self) {
        if let Some(reader) = self.reader.take() {
            if let Some(cancel) = method(&reader, "cancel") {
                // cancel() returns a promise that may reject; it has nothing left to tell us, but
                // an unawaited rejection would surface as an unhandled one.
                if let Ok(done) = cancel.call0(&reader) {
                    wasm_bindgen_futures::spawn_local(async move {
                        let _ = wasm_bindgen_futures::JsFuture::from(Promise::resolve(&done)).await;
                    });
                }
            }
        }
    }
}

impl Drop for BodyReader {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// What a thrown JS value says, with its `cause` (Node puts `ECONNREFUSED` there).
pub fn describe(value: &JsValue) -> String {
    let text = |v: &JsValue, key: &str| Reflect::get(v, &key.into()).ok().and_then(|s| s.as_string());
    let mut out = match (text(value, "name"), text(value, "message")) {
        (Some(name), Some(message)) => format!("{name}: {message}"),
        (None, Some(message)) => message,
        _ => value.as_string().unwrap_or_else(|| "unknown error".into()),
    };
    if let Ok(cause) = Reflect::get(value, &"cause".into()) {
        if cause.is_object() {
            if let Some(detail) = text(&cause, "code").or_else(|| text(&cause, "message")) {
                out.push_str(" (");
                out.push_str(&detail);
                out.push(')');
            }
        }
    }
    out
}
