//! `results`: every result line of one or more batches — the output file, then the error file (or
//! a provider's results URL) — streamed and normalised chunk by chunk, with bounded memory.

use std::collections::VecDeque;

use super::calls::{finish, Finish};
use super::exchange::{aborted, Exchange, Step};
use super::{Action, Env, Event, NoReply, Op};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::Method;
use crate::core::json::Json;
use crate::core::jsonl::{JsonlDecoder, Results as Lines, MAX_LINE_BYTES};
use crate::core::model::Source;
use crate::core::providers::api::ResultsAt;
use crate::core::text;

/// Results are handed to JS once their text reaches this size (or the file ends). 256 KiB read a
/// 55 MB file 5-6% faster in Node 24 and in workerd, but a slow body then shows nothing for four
/// times as long, and the CLI's partial file stays empty longer.
const YIELD_BYTES: usize = 64 * 1024;

/// What `results` was given: a batch id, or a batch object already at hand (as JSON text).
#[derive(Debug, Clone)]
pub enum Target {
    /// Retrieved first.
    Id(String),
    /// Used as is.
    Batch(String),
}

#[derive(Debug)]
enum Phase {
    Next,
    Resolving(Exchange),
    Opening(Exchange, Source),
    Reading,
    /// The stream broke off: the lines that arrived before it were handed out; the error is next.
    Failing(Error),
    Finished,
}

/// `results` in progress.
#[derive(Debug)]
pub struct Results {
    targets: VecDeque<Target>,
    files: VecDeque<ResultsAt>,
    decoder: Option<JsonlDecoder>,
    lines: Option<Lines>,
    line_limit: usize,
    phase: Phase,
}

impl Results {
    /// The results of `targets`, in order.
    pub fn new(targets: Vec<Target>) -> Self {
        Results {
            targets: targets.into(),
            files: VecDeque::new(),
            decoder: None,
            lines: None,
            line_limit: MAX_LINE_BYTES,
            phase: Phase::Next,
        }
    }

    /// Lines longer than `bytes` are reported as `invalid_line` and skipped.
    pub fn with_line_limit(mut self, bytes: usize) -> Self {
        self.line_limit = bytes;
        self
    }

    fn done(&mut self, result: Result<Option<super::Text>>) -> Action {
        self.phase = Phase::Finished;
        self.files.clear();
        self.targets.clear();
        self.decoder = None;
        Action::Done(result)
    }

    fn add_files(&mut self, env: &Env<'_>, batch: &[u8]) {
        if let Ok(json) = Json::parse(batch) {
            self.files.extend(env.cx.api().results_at(json));
        }
    }

    fn next(&mut self, env: &Env<'_>) -> Action {
        loop {
            if let Some(at) = self.files.pop_front() {
                return self.open(env, at);
            }
            match self.targets.pop_front() {
                None => return self.done(Ok(None)),
                Some(Target::Batch(text)) => self.add_files(env, text.as_bytes()),
                Some(Target::Id(id)) => {
                    let request = match env.cx.api().retrieve(&env.cx, &id) {
                        Ok(request) => request,
                        Err(error) => return self.done(Err(error)),
                    };
                    let mut exchange = Exchange::new(request, super::retry::Safety::Idempotent);
                    let step = exchange.start(env);
                    self.phase = Phase::Resolving(exchange);
                    return self.resolving(env, step);
                }
            }
        }
    }

    fn open(&mut self, env: &Env<'_>, at: ResultsAt) -> Action {
        let (request, source) = match at {
            ResultsAt::File(source, id) => (env.cx.api().file_content(&env.cx, &id), source),
            ResultsAt::Url(source, url) => (results_url(env, &url), source),
        };
        let request = match request {
            Ok(request) => request,
            Err(error) => return self.done(Err(error)),
        };
        let mut exchange = Exchange::streaming(request);
        let step = exchange.start(env);
        self.phase = Phase::Opening(exchange, source);
        self.opening(env, step, source)
    }

    fn resolving(&mut self, env: &Env<'_>, step: Step) -> Action {
        match step {
            Step::Act(action) => action,
            Step::Failed(failed) => self.done(Err(failed.error)),
            Step::Done(answered) => match finish(&env.cx, &Finish::Batch, &answered) {
                Ok(batch) => {
                    self.add_files(env, &batch.bytes);
                    self.next(env)
                }
                Err(error) => self.done(Err(error)),
            },
        }
    }

    fn opening(&mut self, env: &Env<'_>, step: Step, source: Source) -> Action {
        match step {
            Step::Act(action) => action,
            Step::Failed(failed) => self.done(Err(failed.error)),
            Step::Done(_) => {
                self.decoder = Some(JsonlDecoder::with_limit(source, self.line_limit));
                self.lines = Some(Lines::with_capacity(env.cx.api().result_line(), 2 * YIELD_BYTES));
                self.phase = Phase::Reading;
                Action::ReadChunk { timeout_ms: env.cx.config.timeout_ms }
            }
        }
    }

    fn read(&mut self, env: &Env<'_>, chunk: std::result::Result<Option<Vec<u8>>, NoReply>) -> Action {
        let (Some(decoder), Some(lines)) = (self.decoder.as_mut(), self.lines.as_mut()) else { return self.next(env) };
        match chunk {
            Ok(Some(bytes)) => {
                decoder.push(&bytes, lines);
                // Results cross into JS a piece of about YIELD_BYTES at a time, whatever the size of
                // the chunks: workerd hands out 4 KiB chunks (7 lines), and a yield per chunk made
                // reading a file there twice as slow as reading the whole text.
                if lines.bytes() < YIELD_BYTES {
                    return Action::ReadChunk { timeout_ms: env.cx.config.timeout_ms };
                }
                let (bytes, ascii) = lines.take();
                Action::Yield(super::Text { bytes, ascii })
            }
            Ok(None) => {
                decoder.finish(lines);
                let text = lines.take();
                self.decoder = None;
                self.phase = Phase::Next;
                // `take` gave "[]" when no line was left over.
                if text.0.len() > 2 {
                    return Action::Yield(super::Text { bytes: text.0, ascii: text.1 });
                }
                self.next(env)
            }
            Err(no_reply) => {
                let error = match no_reply {
                    NoReply::Aborted => aborted(),
                    NoReply::Timeout => Error::new(
                        ErrorKind::Timeout,
                        format!("the file stream stalled: no data for {} ms", env.cx.config.timeout_ms),
                    ),
                    NoReply::Connection { detail, .. } => {
                        Error::new(ErrorKind::Connection, format!("the file stream broke off ({detail})"))
                    }
                };
                if !lines.is_empty() {
                    let (bytes, ascii) = lines.take();
                    self.phase = Phase::Failing(error);
                    return Action::Yield(super::Text { bytes, ascii });
                }
                self.done(Err(error))
            }
        }
    }
}

/// A provider's results URL, with the client's auth only on the provider's own host.
fn results_url(env: &Env<'_>, url: &str) -> Result<crate::core::http::Request> {
    let absolute = if url.starts_with('/') {
        let base = env.cx.config.base_url();
        let origin_end = text::find(base, "://").map_or(0, |i| i + 3) + env.cx.config.host().len();
        format!("{}{url}", base.get(..origin_end).unwrap_or(base))
    } else {
        url.to_owned()
    };
    env.cx.config.request_at(Method::Get, &absolute).map(|r| r.without("accept")).ok_or_else(|| {
        Error::invalid_response(format!(
            "the batch's results are at {}, not on {}; the client does not send its key there",
            crate::core::http::host_of(&absolute),
            env.cx.config.host()
        ))
    })
}

impl Op for Results {
    fn step(&mut self, env: &Env<'_>, event: Event) -> Action {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Next => self.next(env),
            Phase::Resolving(mut exchange) => {
                let step = exchange.on(env, event);
                self.phase = Phase::Resolving(exchange);
                self.resolving(env, step)
            }
            Phase::Opening(mut exchange, source) => {
                let step = exchange.on(env, event);
                self.phase = Phase::Opening(exchange, source);
                self.opening(env, step, source)
            }
            Phase::Reading => {
                self.phase = Phase::Reading;
                match event {
                    Event::Chunk(chunk) => self.read(env, chunk),
                    _ => Action::ReadChunk { timeout_ms: env.cx.config.timeout_ms },
                }
            }
            Phase::Failing(error) => self.done(Err(error)),
            Phase::Finished => Action::Done(Ok(None)),
        }
    }
}
