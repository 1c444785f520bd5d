//! What every call does, as state machines the edge drives (sans I/O): an [`Op`] says what to do
//! next ([`Action`]: send a request, sleep, read a chunk, call back, hand out a result), the edge
//! does it and answers with an [`Event`]. The clock and the randomness come in with each step, so
//! the whole policy — retries, create's lookups, `waitFor`'s schedule, `watch`'s cycles — is
//! tested natively, table by table (see `tests` in each module and `tests/ops.rs`).

pub mod calls;
pub mod create;
pub mod exchange;
pub mod pager;
pub mod resubmit;
pub mod results;
pub mod retry;
pub mod submit;
pub mod submit_all;
pub mod wait;
pub mod watch;

use super::error::Error;
use super::http::{Head, Request};
use super::json::Out;
use super::providers::Cx;

/// What the world is like at a step.
#[derive(Debug, Clone, Copy)]
pub struct Env<'c> {
    /// The provider and the client's settings.
    pub cx: Cx<'c>,
    /// Unix time in milliseconds.
    pub now_ms: f64,
    /// Uniform in [0, 1), fresh for every step.
    pub random: f64,
}

/// Why an attempt got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoReply {
    /// Refused, reset, DNS, CORS, or a `fetch` that threw; what JS said, and whether nothing was
    /// sent at all (the connection was refused, the host not found).
    Connection {
        /// What the runtime said.
        detail: String,
        /// Nothing left the client.
        refused: bool,
    },
    /// The attempt's timer fired first.
    Timeout,
    /// The caller's signal fired.
    Aborted,
}

/// What became of an answer's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Read whole.
    Read(Vec<u8>),
    /// Left unread, for the caller to stream (the driver keeps it open).
    Open,
    /// Broke off while being read.
    Failed(NoReply),
    /// Longer than the limit the request was sent with; not read further.
    TooLarge(u64),
}

/// What a request got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// No answer.
    None(NoReply),
    /// An answer: its head, and its body as [`Read`] asked.
    Answer(Head, Body),
}

/// What to do with an answer's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Read it whole, up to this many bytes.
    Whole(usize),
    /// Leave a 2xx body unread, to stream it (an error's body is still read, for its message).
    Stream,
}

/// JSON text to hand to JS, and whether it is all ASCII (then it is copied, not decoded).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    /// The text.
    pub bytes: Vec<u8>,
    /// No byte from 0x80 up.
    pub ascii: bool,
}

impl From<Out> for Text {
    fn from(out: Out) -> Self {
        let (bytes, ascii) = out.into_parts();
        Text { bytes, ascii }
    }
}

impl Text {
    /// The text as a `Json` (it is always JSON we wrote).
    pub fn json(&self) -> Option<crate::core::json::Json<'_>> {
        crate::core::json::Json::parse(&self.bytes).ok()
    }
}

/// A callback the caller gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// `waitFor`'s `onProgress(batch)`.
    Progress,
    /// `watch`'s `onUpdate(batch)`.
    Update,
    /// `watch`'s `onCycle()`.
    Cycle,
}

/// What the edge is asked to do next.
#[derive(Debug)]
pub enum Action {
    /// Send this request within `timeout_ms`; answer with [`Event::Reply`].
    Send {
        /// The request.
        request: Request,
        /// How long to wait for the headers, and then for each piece of the body.
        timeout_ms: u32,
        /// What to do with the body.
        read: Read,
    },
    /// Sleep; answer with [`Event::Woke`].
    Sleep(u32),
    /// Read the next chunk of the open body; answer with [`Event::Chunk`].
    ReadChunk {
        /// How long a chunk may take.
        timeout_ms: u32,
    },
    /// Call the caller's callback with this JSON (none for [`Notice::Cycle`]); answer with
    /// [`Event::Called`]. A callback that throws ends the call with what it threw.
    Notify(Notice, Option<Text>),
    /// Call `watch`'s `onError` with this error; answer with [`Event::Called`].
    NotifyError(Error),
    /// Hand this JSON out of an iterator's `next()`; the next `next()` answers with [`Event::Resumed`].
    Yield(Text),
    /// Finished: a result (JSON), nothing more (an iterator's end), or an error.
    Done(Result<Option<Text>, Error>),
    /// Finished: resolve with the open answer's `Response` itself (`fileContent`).
    DoneWithResponse,
}

/// What happened, for the next step.
#[derive(Debug)]
pub enum Event {
    /// The call begins.
    Start,
    /// A request was sent.
    Reply(Reply),
    /// A sleep ended.
    Woke,
    /// A chunk of the open body: bytes, `None` at its end, or the stream broke.
    Chunk(Result<Option<Vec<u8>>, NoReply>),
    /// A callback returned.
    Called,
    /// An iterator's next `next()` came.
    Resumed,
}

/// A call in progress.
pub trait Op {
    /// The next thing to do, after `event`.
    fn step(&mut self, env: &Env<'_>, event: Event) -> Action;
}
