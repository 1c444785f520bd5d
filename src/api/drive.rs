//! Drives a core [`Op`]: does what each [`Action`] asks with the edge (send, sleep, read, call
//! back) and hands the op what happened, until it yields or is done.

use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::Inner;
use crate::core::ops::exchange::aborted;
use crate::core::ops::{Action, Env, Event, Notice, Op, Text};
use crate::core::Error;
use crate::edge::convert::{self, Callbacks};
use crate::edge::fetch::{self, Open};
use crate::edge::{clock, timer};

/// What a call has of JS: its signal, upload content, callbacks, and the body it has open.
#[derive(Debug, Default)]
pub(crate) struct Io {
    pub signal: Option<AbortSignal>,
    /// `uploadFile`'s content (for [`crate::core::http::Content::Caller`]).
    pub content: JsValue,
    pub callbacks: Callbacks,
    open: Option<Open>,
}

impl Io {
    /// With a signal only.
    pub fn with_signal(signal: Option<AbortSignal>) -> Self {
        Io { signal, ..Io::default() }
    }

    /// Cancels the open body, if any.
    pub fn close(&mut self) {
        self.open = None;
    }
}

/// Why a call ended without a result: our error, or what the caller's callback threw (handed
/// back untouched, as JS code expects of a callback).
#[derive(Debug)]
pub(crate) enum Stop {
    Error(Error),
    Thrown(JsValue),
}

impl From<Error> for Stop {
    fn from(error: Error) -> Self {
        Stop::Error(error)
    }
}

/// How a drive ended.
pub(crate) enum Outcome {
    /// A result, or nothing (an iterator's end).
    Json(Option<Text>),
    /// A step of an iterator.
    Yield(Text),
    /// The open `Response` (`fileContent`).
    Response(JsValue),
}

/// One async loop for every call: the one instance of this state machine in the wasm.
pub(crate) async fn drive(inner: &Inner, op: &mut dyn Op, io: &mut Io, mut event: Event) -> Result<Outcome, Stop> {
    loop {
        let env = Env { cx: inner.cx(), now_ms: clock::now_ms(), random: clock::random() };
        let signal = io.signal.clone();
        let signal = signal.as_ref();
        event = match op.step(&env, event) {
            Action::Send { request, timeout_ms, read } => {
                io.open = None;
                let (reply, open) =
                    fetch::send(&inner.transport, &request, &io.content, timeout_ms, read, signal).await;
                io.open = open;
                Event::Reply(reply)
            }
            Action::Sleep(ms) => {
                timer::sleep(ms, signal).await.map_err(|_| Stop::Error(aborted()))?;
                Event::Woke
            }
            Action::ReadChunk { timeout_ms } => match io.open.as_mut() {
                Some(open) => Event::Chunk(open.next(timeout_ms, signal).await),
                None => Event::Chunk(Ok(None)),
            },
            Action::Notify(notice, text) => {
                let callback = match notice {
                    Notice::Progress => &io.callbacks.progress,
                    Notice::Update => &io.callbacks.update,
                    Notice::Cycle => &io.callbacks.cycle,
                };
                if let Some(callback) = callback {
                    let arg = match &text {
                        Some(text) => convert::json_to_js(text)?,
                        None => JsValue::UNDEFINED,
                    };
                    call(callback, &arg)?;
                }
                Event::Called
            }
            Action::NotifyError(error) => {
                if let Some(callback) = &io.callbacks.error {
                    call(callback, &convert::error_to_js(&error, Some(inner.secrets())))?;
                }
                Event::Called
            }
            Action::Yield(text) => return Ok(Outcome::Yield(text)),
            Action::Done(result) => {
                io.open = None;
                return result.map(Outcome::Json).map_err(Stop::Error);
            }
            Action::DoneWithResponse => {
                let Some(open) = io.open.take() else {
                    return Err(Stop::Error(Error::invalid_response("no answer to hand over")));
                };
                // The body is untouched: no reader was made for it.
                open.link_signal(signal);
                return Ok(Outcome::Response(open.response.clone().into()));
            }
        };
    }
}

fn call(callback: &Function, arg: &JsValue) -> Result<(), Stop> {
    callback.call1(&JsValue::UNDEFINED, arg).map(drop).map_err(Stop::Thrown)
}
