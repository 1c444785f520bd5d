//! `waitFor`: polls one batch until it is terminal.
//!
//! After every poll it calls `onProgress` and sleeps: for the server's `openai-poll-after-ms` when
//! it sends a sane one, else for the caller's interval. Up to [`MAX_FAILED_POLLS`] failed polls in
//! a row (each after the request's own retries) are ridden out with the common backoff. A
//! `timeout` bounds the whole wait: no poll runs past it and no sleep outlasts it.

use super::calls::{finish, Finish};
use super::exchange::{Exchange, Step};
use super::retry::{backoff, transient, Safety, RETRY_BASE_MS, RETRY_CAP_MS};
use super::{Action, Env, Event, Notice, Op, Text};
use crate::core::error::{Error, ErrorKind};
use crate::core::http::Header;
use crate::core::json;
use crate::core::model::status;

/// How many polls in a row may fail before `waitFor` gives up.
pub const MAX_FAILED_POLLS: u32 = 5;
/// A server's requested poll delay longer than this (10 minutes) is ignored.
const MAX_SERVER_DELAY_MS: f64 = 600_000.0;

/// The sleep before the next poll: the server's `openai-poll-after-ms` when it is a sane positive
/// number, else the caller's interval. Never zero, so polling never becomes a busy loop.
pub fn poll_delay(interval_ms: u32, poll_after_ms: Option<&str>) -> u32 {
    let server = poll_after_ms
        .and_then(|v| json::parse_f64(v.trim()))
        .filter(|ms| ms.is_finite() && *ms >= 1.0 && *ms <= MAX_SERVER_DELAY_MS);
    match server {
        Some(ms) => ms.round() as u32,
        None => interval_ms.max(1),
    }
}

#[derive(Debug)]
enum Phase {
    Start,
    Polling(Exchange),
    Notified {
        delay: u32,
        terminal: bool,
    },
    /// `last`: the timeout ends the wait when this sleep is over.
    Sleeping {
        last: bool,
    },
    Finished,
}

/// `waitFor` in progress.
#[derive(Debug)]
pub struct Wait {
    id: String,
    interval_ms: u32,
    timeout_ms: Option<f64>,
    deadline_ms: Option<f64>,
    failed_polls: u32,
    last: Option<Text>,
    phase: Phase,
}

impl Wait {
    /// Waits for batch `id`, polling every `interval_ms`, for at most `timeout_ms`.
    pub fn new(id: String, interval_ms: u32, timeout_ms: Option<f64>) -> Self {
        Wait { id, interval_ms, timeout_ms, deadline_ms: None, failed_polls: 0, last: None, phase: Phase::Start }
    }

    fn left(&self, env: &Env<'_>) -> Option<f64> {
        self.deadline_ms.map(|d| d - env.now_ms)
    }

    fn timed_out(&self) -> Error {
        // As an integer: formatting an f64 would pull float printing (~10 KB) into the wasm.
        let ms = self.timeout_ms.unwrap_or(0.0).max(0.0).round() as u64;
        Error::new(ErrorKind::Timeout, format!("the batch was not finished within the {ms} ms waitFor timeout"))
    }

    fn done(&mut self, result: Result<Option<Text>, Error>) -> Action {
        self.phase = Phase::Finished;
        Action::Done(result)
    }

    fn poll(&mut self, env: &Env<'_>) -> Action {
        if self.left(env).is_some_and(|left| left <= 0.0) {
            let error = self.timed_out();
            return self.done(Err(error));
        }
        let request = match env.cx.api().retrieve(&env.cx, &self.id) {
            Ok(request) => request,
            Err(error) => return self.done(Err(error)),
        };
        let mut exchange = Exchange::new(request, Safety::Idempotent).until(self.deadline_ms);
        let step = exchange.start(env);
        self.phase = Phase::Polling(exchange);
        self.polled(env, step)
    }

    /// A sleep of `ms`; one the timeout cuts short ends the wait when it is over (a poll then
    /// could not finish in time anyway).
    fn sleep(&mut self, env: &Env<'_>, ms: u32) -> Action {
        let (ms, last) = match self.left(env) {
            Some(left) if left <= 0.0 => {
                let error = self.timed_out();
                return self.done(Err(error));
            }
            Some(left) if left < f64::from(ms) => (left.ceil() as u32, true),
            _ => (ms, false),
        };
        self.phase = Phase::Sleeping { last };
        Action::Sleep(ms)
    }

    fn polled(&mut self, env: &Env<'_>, step: Step) -> Action {
        let result = match step {
            Step::Act(action) => return action,
            Step::Done(answered) => {
                let delay = poll_delay(self.interval_ms, answered.head.get(Header::PollAfterMs));
                finish(&env.cx, &Finish::Batch, &answered).map(|batch| (batch, delay))
            }
            Step::Failed(failed) => Err(failed.error),
        };
        match result {
            Ok((batch, delay)) => {
                self.failed_polls = 0;
                let terminal = batch
                    .json()
                    .and_then(|b| b.get("status"))
                    .and_then(|s| s.as_str())
                    .is_some_and(|s| status::is_terminal(&s));
                self.last = Some(batch.clone());
                self.phase = Phase::Notified { delay, terminal };
                Action::Notify(Notice::Progress, Some(batch))
            }
            // The deadline ran out inside a poll: the waitFor timeout, not the request's.
            Err(error) if self.left(env).is_some_and(|left| left < 1.0) && error.kind == ErrorKind::Timeout => {
                let error = self.timed_out();
                self.done(Err(error))
            }
            Err(error) if transient(&error) && self.failed_polls < MAX_FAILED_POLLS => {
                self.failed_polls += 1;
                // Without jitter: one waiter is no herd, and a deadline it runs into stays predictable.
                let ms = self.interval_ms.max(backoff(RETRY_BASE_MS, self.failed_polls, RETRY_CAP_MS, 0.0));
                self.sleep(env, ms)
            }
            Err(error) => self.done(Err(error)),
        }
    }
}

impl Op for Wait {
    fn step(&mut self, env: &Env<'_>, event: Event) -> Action {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Start => {
                self.deadline_ms = self.timeout_ms.map(|t| env.now_ms + t);
                self.poll(env)
            }
            Phase::Polling(mut exchange) => {
                let step = exchange.on(env, event);
                self.phase = Phase::Polling(exchange);
                self.polled(env, step)
            }
            Phase::Notified { terminal: true, .. } => {
                let last = self.last.take();
                self.done(Ok(last))
            }
            Phase::Notified { delay, .. } => self.sleep(env, delay),
            Phase::Sleeping { last: true } => {
                let error = self.timed_out();
                self.done(Err(error))
            }
            Phase::Sleeping { last: false } => self.poll(env),
            Phase::Finished => Action::Done(Err(Error::invalid_argument("this waitFor has finished"))),
        }
    }
}
