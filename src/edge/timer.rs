//! Timers and listeners holding only JS functions (`resolve`, `reject`, a bound `abort`): no Rust
//! `Closure` is ever handed to JS, so nothing can leak on the wasm side, and each timer and listener
//! is undone when its guard drops.

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, EventTarget};

use super::js::{describe, refused};
use crate::core::ops::NoReply;

#[wasm_bindgen]
extern "C" {
    // The global functions, not `window.setTimeout`: they exist in Workers and Node too.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// Calls a JS function once after a delay, unless dropped first.
pub struct Timeout {
    id: JsValue,
}

impl Timeout {
    /// Starts the timer.
    pub fn new(ms: u32, handler: &Function) -> Self {
        Timeout { id: set_timeout(handler, i32::try_from(ms).unwrap_or(i32::MAX)) }
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

/// An event listener, removed when dropped.
pub struct Listener {
    target: EventTarget,
    event: &'static str,
    handler: Function,
}

impl Listener {
    /// Adds `handler` for `event` on `target`.
    pub fn new(target: &EventTarget, event: &'static str, handler: Function) -> Self {
        // Fails only for a non-EventTarget, which callers have ruled out; nothing to undo then.
        let _ = target.add_event_listener_with_callback(event, &handler);
        Listener { target: target.clone(), event, handler }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback(self.event, &self.handler);
    }
}

/// Waits for `work`, but no longer than `timeout_ms` (if any) and not past an abort of `signal`.
/// The timer and listener are gone when this returns; stopping the work itself (aborting a fetch,
/// cancelling a reader) is the caller's job.
pub async fn bounded(work: Promise, timeout_ms: Option<u32>, signal: Option<&AbortSignal>) -> Result<JsValue, NoReply> {
    if signal.is_some_and(AbortSignal::aborted) {
        // Nobody waits for `work` now; its rejection must not surface as an unhandled one.
        ignore(&work);
        return Err(NoReply::Aborted);
    }
    let marker: JsValue = Object::new().into();
    let mut guards = (None, None);
    let stop = Promise::new(&mut |_resolve, reject: Function| {
        if let Some(ms) = timeout_ms {
            let on_timeout: Function = reject.bind1(&JsValue::NULL, &marker).unchecked_into();
            guards.0 = Some(Timeout::new(ms, &on_timeout));
        }
        if let Some(signal) = signal {
            guards.1 = Some(Listener::new(signal, "abort", reject.clone()));
        }
    });
    let result = JsFuture::from(Promise::race(&js_sys::Array::of2(&work, &stop))).await;
    drop(guards);
    result.map_err(|e| {
        if signal.is_some_and(AbortSignal::aborted) {
            NoReply::Aborted
        } else if e == marker {
            NoReply::Timeout
        } else {
            NoReply::Connection { detail: describe(&e), refused: refused(&e) }
        }
    })
}

/// Marks a promise's rejection as handled, with a built-in function as the handler (`Boolean`: no
/// Rust closure, and no code compiled from a string, which a strict CSP forbids).
pub fn ignore(promise: &Promise) {
    if let Ok(handler) = js_sys::Reflect::get(&js_sys::global(), &"Boolean".into()) {
        if let Ok(handler) = handler.dyn_into::<Function>() {
            promise.unchecked_ref::<super::js::Thenable>().catch_with(&handler);
        }
    }
}

/// Waits `ms` milliseconds; `Err(Aborted)` as soon as `signal` aborts.
pub async fn sleep(ms: u32, signal: Option<&AbortSignal>) -> Result<(), NoReply> {
    let mut timer = None;
    let elapsed = Promise::new(&mut |resolve: Function, _reject| {
        timer = Some(Timeout::new(ms, &resolve));
    });
    let result = bounded(elapsed, None, signal).await.map(drop);
    drop(timer);
    result
}
