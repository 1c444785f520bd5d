//! Timers and event listeners that clean up after themselves: each is undone when dropped, so a
//! finished or cancelled request leaves no pending timer and no `Closure` behind.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, EventTarget};

#[wasm_bindgen]
extern "C" {
    // The global functions, not `window.setTimeout`: they exist in Workers and Node too.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// Calls a function once after a delay, unless dropped first.
pub struct Timeout {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    /// Starts the timer.
    pub fn new(ms: u32, callback: impl FnMut() + 'static) -> Self {
        let callback = Closure::<dyn FnMut()>::new(callback);
        let ms = i32::try_from(ms).unwrap_or(i32::MAX);
        let id = set_timeout(callback.as_ref().unchecked_ref(), ms);
        Timeout { id, _callback: callback }
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
    callback: Closure<dyn FnMut()>,
}

impl Listener {
    /// Adds `callback` for `event` on `target`.
    pub fn new(target: &EventTarget, event: &'static str, callback: impl FnMut() + 'static) -> Self {
        let callback = Closure::<dyn FnMut()>::new(callback);
        // Fails only on a non-EventTarget, which the caller has ruled out; nothing to clean then.
        let _ = target.add_event_listener_with_callback(event, callback.as_ref().unchecked_ref());
        Listener { target: target.clone(), event, callback }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback(self.event, self.callback.as_ref().unchecked_ref());
    }
}

/// A promise that rejects when `signal` aborts, and the listener that makes it so.
/// Racing work against it lets an abort interrupt even a `fetch` that ignores its signal.
pub fn rejects_on_abort(signal: &AbortSignal) -> (Promise, Option<Listener>) {
    let mut listener = None;
    let promise = Promise::new(&mut |_resolve, reject: Function| {
        listener = Some(Listener::new(signal, "abort", move || {
            let _ = reject.call0(&JsValue::UNDEFINED);
        }));
    });
    (promise, listener)
}

/// Waits `ms` milliseconds; `Err(())` as soon as `signal` aborts.
pub async fn sleep(ms: u32, signal: Option<&AbortSignal>) -> Result<(), ()> {
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(());
    }
    let mut timer = None;
    let mut listener = None;
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        timer = Some(Timeout::new(ms, move || {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }));
        if let Some(signal) = signal {
            listener = Some(Listener::new(signal, "abort", move || {
                let _ = reject.call0(&JsValue::UNDEFINED);
            }));
        }
    });
    let result = JsFuture::from(promise).await.map(|_| ()).map_err(|_| ());
    drop((timer, listener));
    result
}
