//! One HTTP attempt through the global `fetch` (or the caller's), bounded by a timeout and the
//! caller's `AbortSignal`.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use super::timer::{rejects_on_abort, Listener, Timeout};
use crate::core::{Head, Request};

#[wasm_bindgen]
extern "C" {
    // The global `fetch`, not `window.fetch`: there is no window in Workers, Node or web workers.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(url: &str, init: &Object) -> Result<Promise, JsValue>;
}

/// Who performs the HTTP request.
pub enum Transport {
    /// `globalThis.fetch`, looked up at call time (tests and polyfills may replace it).
    Global,
    /// The `fetch` option: any function with fetch's signature.
    Custom(Function),
}

/// A received answer.
pub struct Reply {
    /// Status and request id.
    pub head: Head,
    /// `retry-after-ms`, `retry-after`, `x-should-retry`.
    pub hints: [Option<String>; 3],
    /// The whole body, as bytes (no UTF-16 round trip).
    pub body: Vec<u8>,
}

/// Why an attempt got no answer.
pub enum NoReply {
    /// Refused, reset, DNS, CORS, or a `fetch` that threw; the text says what JS said.
    Connection(String),
    /// Our per-attempt timer fired first.
    Timeout,
    /// The caller's signal fired.
    Aborted,
}

/// Sends `request` once. The timer, the listener on the caller's signal and the abort race are
/// all dropped (and so undone) when this returns, whichever way it returns.
pub async fn attempt(
    transport: &Transport,
    request: &Request,
    timeout_ms: u32,
    signal: Option<&AbortSignal>,
) -> Result<Reply, NoReply> {
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(NoReply::Aborted);
    }
    let controller = AbortController::new().map_err(|e| NoReply::Connection(describe(&e)))?;
    let timed_out = Rc::new(Cell::new(false));
    let _timer = {
        let (controller, timed_out) = (controller.clone(), timed_out.clone());
        Timeout::new(timeout_ms, move || {
            timed_out.set(true);
            controller.abort();
        })
    };
    let _link = signal.map(|s| {
        let controller = controller.clone();
        Listener::new(s, "abort", move || controller.abort())
    });
    let (aborted, _abort_listener) = rejects_on_abort(&controller.signal());
    let classify = |e: JsValue| {
        if signal.is_some_and(AbortSignal::aborted) {
            NoReply::Aborted
        } else if timed_out.get() {
            NoReply::Timeout
        } else {
            NoReply::Connection(describe(&e))
        }
    };
    let race = |work: Promise| JsFuture::from(Promise::race(&Array::of2(&work, &aborted)));

    let init = request_init(request, &controller.signal());
    let started = match transport {
        Transport::Global => global_fetch(&request.url, &init),
        Transport::Custom(f) => {
            f.call2(&js_sys::global(), &JsValue::from_str(&request.url), &init).map(|v| Promise::resolve(&v))
        }
    };
    let response = race(started.map_err(&classify)?).await.map_err(&classify)?;
    let status = Reflect::get(&response, &"status".into()).ok().and_then(|s| s.as_f64());
    let status = match status {
        Some(s) if (100.0..=599.0).contains(&s) => s as u16,
        _ => return Err(NoReply::Connection("`fetch` resolved with something that is not a Response".into())),
    };
    let headers = Reflect::get(&response, &"headers".into()).unwrap_or(JsValue::UNDEFINED);
    let header = |name: &str| header(&headers, name);
    let head = Head { status, request_id: header("x-request-id") };
    let hints = [header("retry-after-ms"), header("retry-after"), header("x-should-retry")];
    let buffer = call_method(&response, "arrayBuffer").map_err(&classify)?;
    let buffer = race(Promise::resolve(&buffer)).await.map_err(&classify)?;
    Ok(Reply { head, hints, body: Uint8Array::new(&buffer).to_vec() })
}

fn request_init(request: &Request, signal: &AbortSignal) -> Object {
    let headers = Object::new();
    for (name, value) in &request.headers {
        let _ = Reflect::set(&headers, &name.into(), &value.into());
    }
    let init = Object::new();
    let _ = Reflect::set(&init, &"method".into(), &request.method.as_str().into());
    let _ = Reflect::set(&init, &"headers".into(), &headers);
    let _ = Reflect::set(&init, &"signal".into(), signal);
    init
}

/// `headers.get(name)`, tolerating a Response-like object without a real `Headers`.
fn header(headers: &JsValue, name: &str) -> Option<String> {
    let get = Reflect::get(headers, &"get".into()).ok()?.dyn_into::<Function>().ok()?;
    get.call1(headers, &name.into()).ok()?.as_string()
}

fn call_method(target: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    let method = Reflect::get(target, &name.into())?;
    match method.dyn_ref::<Function>() {
        Some(f) => f.call0(target),
        None => Err(JsValue::from_str("the response has no body reader")),
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
            let code = text(&cause, "code");
            let message = text(&cause, "message");
            if let Some(detail) = code.or(message) {
                out.push_str(" (");
                out.push_str(&detail);
                out.push(')');
            }
        }
    }
    out
}
