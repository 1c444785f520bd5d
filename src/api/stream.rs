//! The pull-based object behind the shell's async iterators (`listAll`, `results`): each `next()`
//! drives the operation until it yields (a page, or an array of results) or ends (`null`).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::drive::{drive, Io, Outcome, Stop};
use super::{promise, Inner};
use crate::core::ops::{Event, Op};
use crate::core::Error;
use crate::edge::convert;

struct State {
    op: Box<dyn Op>,
    io: Io,
    started: bool,
}

/// Where the stream is: ready for `next()`, inside one (`None` in the cell), or over.
enum Slot {
    Ready(State),
    Ended,
}

/// An operation that hands out its results a piece at a time.
#[wasm_bindgen]
pub struct WasmStream {
    inner: Rc<Inner>,
    state: Rc<RefCell<Option<Slot>>>,
}

impl std::fmt::Debug for WasmStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmStream").field("client", &self.inner).finish_non_exhaustive()
    }
}

impl WasmStream {
    pub(crate) fn new(inner: Rc<Inner>, op: Box<dyn Op>, io: Io) -> Self {
        WasmStream { inner, state: Rc::new(RefCell::new(Some(Slot::Ready(State { op, io, started: false })))) }
    }
}

#[wasm_bindgen]
impl WasmStream {
    /// The next piece, or `null` after the last. State is taken out while a step runs, so two
    /// overlapping calls get a clear error instead of a borrow panic.
    pub fn next(&self) -> Promise {
        let (cell, inner) = (self.state.clone(), self.inner.clone());
        promise(async move {
            let secrets = inner.secrets();
            let taken = cell.borrow_mut().take();
            let mut state = match taken {
                Some(Slot::Ready(state)) => state,
                Some(Slot::Ended) => {
                    *cell.borrow_mut() = Some(Slot::Ended);
                    return Ok(JsValue::NULL);
                }
                None => {
                    let busy = Error::invalid_argument("next() was called again before the previous call settled");
                    return Err(convert::error_to_js(&busy, Some(secrets)));
                }
            };
            let event = if std::mem::replace(&mut state.started, true) { Event::Resumed } else { Event::Start };
            let result = drive(&inner, state.op.as_mut(), &mut state.io, event).await;
            if let Ok(Outcome::Yield(text)) = result {
                *cell.borrow_mut() = Some(Slot::Ready(state));
                return convert::json_to_js(&text).map_err(|e| convert::error_to_js(&e, Some(secrets)));
            }
            *cell.borrow_mut() = Some(Slot::Ended);
            match result {
                Ok(Outcome::Yield(_)) => Ok(JsValue::NULL),
                // Ended (or broken): later calls end the iteration too.
                Ok(_) => Ok(JsValue::NULL),
                Err(Stop::Error(error)) => Err(convert::error_to_js(&error, Some(secrets))),
                Err(Stop::Thrown(value)) => Err(value),
            }
        })
    }

    /// Stops reading and releases the connection (a `break` out of `for await` ends up here).
    pub fn close(&self) {
        if let Ok(mut slot) = self.state.try_borrow_mut() {
            if let Some(Slot::Ready(mut state)) = slot.take() {
                state.io.close();
            }
            *slot = Some(Slot::Ended);
        }
    }
}
