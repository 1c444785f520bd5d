//! [`Exchange`]: one request with the retries its [`Safety`] allows, bounded by an optional deadline.

use super::retry::{ambiguity, next_delay, Ambiguity, Failure, Hints, Safety};
use super::{Action, Body, Env, Event, NoReply, Read, Reply};
use crate::core::config::Runtime;
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{api_error, retry_info_ms, Head, Header, Request, MAX_BODY_BYTES};

/// A 2xx answer: its head and its body (empty when it was left open to stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// Status and headers.
    pub head: Head,
    /// The body, read whole (or empty: left open).
    pub body: Vec<u8>,
}

/// A request that failed for good: the error to report, and for a create what it may have left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// What to report.
    pub error: Error,
    /// For a create: whether a batch may exist all the same.
    pub ambiguity: Ambiguity,
}

/// Where an exchange is.
#[derive(Debug)]
pub enum Step {
    /// Do this, then call [`Exchange::on`] with what happened.
    Act(Action),
    /// A 2xx answer.
    Done(Answered),
    /// No more tries.
    Failed(Failed),
}

/// One request and its retries.
#[derive(Debug, Clone)]
pub struct Exchange {
    request: Request,
    safety: Safety,
    read: Read,
    retries: u32,
    deadline_ms: Option<f64>,
}

impl Exchange {
    /// `request`, retried as `safety` allows; its body read whole (up to [`MAX_BODY_BYTES`]).
    pub fn new(request: Request, safety: Safety) -> Self {
        Exchange { request, safety, read: Read::Whole(MAX_BODY_BYTES), retries: 0, deadline_ms: None }
    }

    /// A read whose 2xx body is left open to stream.
    pub fn streaming(request: Request) -> Self {
        Exchange { read: Read::Stream, ..Self::new(request, Safety::Idempotent) }
    }

    /// No attempt runs past `deadline_ms` (unix ms), and no retry starts that would end after it.
    pub fn until(mut self, deadline_ms: Option<f64>) -> Self {
        self.deadline_ms = deadline_ms;
        self
    }

    /// The request.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The first attempt.
    pub fn start(&mut self, env: &Env<'_>) -> Step {
        self.send(env)
    }

    /// The next step after `event` (the answer to a send, or the end of a sleep).
    pub fn on(&mut self, env: &Env<'_>, event: Event) -> Step {
        match event {
            Event::Reply(reply) => self.answered(env, reply),
            Event::Woke => {
                self.retries += 1;
                self.send(env)
            }
            _ => self.send(env),
        }
    }

    fn left_ms(&self, env: &Env<'_>) -> Option<f64> {
        self.deadline_ms.map(|d| d - env.now_ms)
    }

    fn send(&mut self, env: &Env<'_>) -> Step {
        let timeout_ms = match self.left_ms(env) {
            Some(left) if left < 1.0 => {
                let error = Error::new(ErrorKind::Timeout, "the time allowed for this call ran out");
                return Step::Failed(Failed { error, ambiguity: Ambiguity::None });
            }
            Some(left) => env.cx.config.timeout_ms.min(left.min(f64::from(u32::MAX)) as u32),
            None => env.cx.config.timeout_ms,
        };
        Step::Act(Action::Send { request: self.request.clone(), timeout_ms, read: self.read })
    }

    fn answered(&mut self, env: &Env<'_>, reply: Reply) -> Step {
        let timeout_ms = env.cx.config.timeout_ms;
        let mut body_delay_ms = None;
        let (failure, error, head) = match reply {
            Reply::None(NoReply::Aborted) => return fail(aborted(), Ambiguity::None),
            Reply::None(no_reply) => {
                let (failure, error) = no_answer(env, &self.request, no_reply, timeout_ms);
                (failure, error, None)
            }
            Reply::Answer(head, body) if head.ok() => match body {
                Body::Read(body) => return Step::Done(Answered { head, body }),
                Body::Open => return Step::Done(Answered { head, body: Vec::new() }),
                Body::TooLarge(bytes) => {
                    let error = Error::invalid_response(format!(
                        "the provider's answer is {} MiB, more than the {} MiB the client reads",
                        bytes >> 20,
                        MAX_BODY_BYTES >> 20
                    ))
                    .with_status(head.status)
                    .with_request_id(head.request_id());
                    let left = if self.safety == Safety::Creates { Ambiguity::Created } else { Ambiguity::None };
                    return fail(error, left);
                }
                Body::Failed(NoReply::Aborted) => return fail(aborted(), Ambiguity::None),
                // The headers came but the body broke off: the server may have acted.
                Body::Failed(no_reply) => {
                    let (_, error) = no_answer(env, &self.request, no_reply, timeout_ms);
                    let error = error.with_status(head.status).with_request_id(head.request_id());
                    (Failure::BrokenBody, error, Some(head))
                }
            },
            Reply::Answer(head, body) => {
                let bytes = match &body {
                    Body::Read(bytes) => bytes.as_slice(),
                    _ => &[],
                };
                let error = api_error(&head, bytes);
                body_delay_ms = retry_info_ms(bytes);
                (Failure::Status(head.status), error, Some(head))
            }
        };
        let hints = head.as_ref().map_or_else(Hints::default, |h| Hints {
            retry_after_ms: h.get(Header::RetryAfterMs),
            retry_after: h.get(Header::RetryAfter),
            should_retry: h.get(Header::ShouldRetry),
            body_delay_ms,
        });
        let max = env.cx.config.max_retries;
        let delay = next_delay(max, self.retries, self.safety, failure, hints, env.now_ms, env.random);
        match delay {
            Some(ms) if self.left_ms(env).is_none_or(|left| f64::from(ms) < left) => Step::Act(Action::Sleep(ms)),
            _ => {
                let left = match self.safety {
                    Safety::Creates => ambiguity(failure, hints),
                    Safety::Idempotent => Ambiguity::None,
                };
                fail(gave_up(error, self.retries), left)
            }
        }
    }
}

/// What a failure to get an answer becomes: the retry input and the error to report.
pub fn no_answer(env: &Env<'_>, request: &Request, no_reply: NoReply, timeout_ms: u32) -> (Failure, Error) {
    match no_reply {
        NoReply::Aborted => (Failure::Timeout, aborted()),
        NoReply::Timeout => (Failure::Timeout, timed_out(request.host(), timeout_ms)),
        NoReply::Connection { detail, refused } => {
            let hint = match env.cx.config.runtime {
                Runtime::Browser => "it is down or unreachable, or the browser blocked the request (CORS)",
                Runtime::Server => "it is down or unreachable",
            };
            let message = format!("could not reach {} ({detail}): {hint}", request.host());
            (Failure::Connection { refused }, Error::new(ErrorKind::Connection, message))
        }
    }
}

fn fail(error: Error, ambiguity: Ambiguity) -> Step {
    Step::Failed(Failed { error, ambiguity })
}

/// The caller's signal ended the call.
pub fn aborted() -> Error {
    Error::new(ErrorKind::Aborted, "the request was aborted by its AbortSignal")
}

fn timed_out(host: &str, ms: u32) -> Error {
    Error::new(ErrorKind::Timeout, format!("no answer from {host} within {ms} ms"))
}

fn gave_up(error: Error, retries: u32) -> Error {
    if retries > 0 {
        let note = format!(" (gave up after {retries} {})", if retries == 1 { "retry" } else { "retries" });
        return error.with_note(&note);
    }
    error
}
