//! The JS objects the edge uses, declared once as typed structural bindings (as workers-rs's
//! `worker-sys` does): the rest of the edge calls these, never `Reflect::get` with a string.

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// A fetch `Response`.
    #[derive(Debug, Clone)]
    pub type Response;
    #[wasm_bindgen(method, getter, structural)]
    pub fn status(this: &Response) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    pub fn headers(this: &Response) -> Headers;
    #[wasm_bindgen(method, getter, structural)]
    pub fn body(this: &Response) -> JsValue;
    #[wasm_bindgen(method, catch, structural, js_name = arrayBuffer)]
    pub fn array_buffer(this: &Response) -> Result<Promise, JsValue>;

    /// Its `Headers`.
    #[derive(Debug, Clone)]
    pub type Headers;
    #[wasm_bindgen(method, catch, structural)]
    pub fn get(this: &Headers, name: &str) -> Result<JsValue, JsValue>;

    /// A thrown value, as far as we read it.
    #[derive(Debug, Clone)]
    pub type Thrown;
    #[wasm_bindgen(method, getter, structural)]
    pub fn name(this: &Thrown) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    pub fn message(this: &Thrown) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    pub fn code(this: &Thrown) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    pub fn cause(this: &Thrown) -> JsValue;

    /// `AbortSignal.any`, where the runtime has it (Node 20.3, Chrome 116, workerd).
    #[wasm_bindgen(catch, js_namespace = AbortSignal, js_name = any)]
    pub fn abort_signal_any(signals: &js_sys::Array) -> Result<web_sys::AbortSignal, JsValue>;

    /// A promise, for `catch` with a plain JS function (js-sys wants a Rust closure).
    #[derive(Debug, Clone)]
    pub type Thenable;
    #[wasm_bindgen(method, js_name = catch)]
    pub fn catch_with(this: &Thenable, handler: &Function) -> JsValue;

    /// `navigator`, where there is one.
    type Navigator;
    #[wasm_bindgen(thread_local_v2, js_namespace = globalThis, js_name = navigator)]
    static NAVIGATOR: JsValue;
    #[wasm_bindgen(method, getter, structural, js_name = userAgent)]
    fn user_agent(this: &Navigator) -> JsValue;
}

/// `target[name]` as a function, if it is one (a getter that throws reads as none).
pub fn method(target: &JsValue, name: &str) -> Option<Function> {
    js_sys::Reflect::get(target, &name.into()).ok()?.dyn_into::<Function>().ok()
}

/// What a thrown JS value says, with its `cause` (Node puts `ECONNREFUSED` there).
pub fn describe(value: &JsValue) -> String {
    if !value.is_object() {
        return value.as_string().unwrap_or_else(|| "unknown error".into());
    }
    let thrown: &Thrown = value.unchecked_ref();
    let mut out = match (thrown.name().as_string(), thrown.message().as_string()) {
        (Some(name), Some(message)) => format!("{name}: {message}"),
        (None, Some(message)) => message,
        _ => "unknown error".into(),
    };
    let cause = thrown.cause();
    if cause.is_object() {
        let cause: &Thrown = cause.unchecked_ref();
        if let Some(detail) = cause.code().as_string().or_else(|| cause.message().as_string()) {
            out.push_str(" (");
            out.push_str(&detail);
            out.push(')');
        }
    }
    out
}

/// Whether a thrown value says that nothing was sent (the connection was refused, the host not
/// found): Node's `cause.code`. Browsers and workerd don't say, so there it is never so.
pub fn refused(value: &JsValue) -> bool {
    let cause = value.unchecked_ref::<Thrown>();
    let cause = if value.is_object() { cause.cause() } else { JsValue::UNDEFINED };
    if !cause.is_object() {
        return false;
    }
    let code = cause.unchecked_ref::<Thrown>().code().as_string().unwrap_or_default();
    matches!(code.as_str(), "ECONNREFUSED" | "ENOTFOUND" | "EAI_AGAIN" | "EAI_NONAME")
}

/// A browser page or web worker (where CORS applies), told by `navigator.userAgent`: browsers say
/// "Mozilla/"; Node, Deno, Bun and Cloudflare Workers each say their own name.
pub fn in_browser() -> bool {
    NAVIGATOR.with(|navigator| {
        navigator.is_object()
            && navigator
                .unchecked_ref::<Navigator>()
                .user_agent()
                .as_string()
                .is_some_and(|ua| ua.starts_with("Mozilla/"))
    })
}

/// An empty plain object.
pub fn object() -> Object {
    Object::new()
}
