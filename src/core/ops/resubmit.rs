//! `resubmit` and `usage`: the job-level calls that read a batch's results.
//!
//! `resubmit(batch)` submits, as one new batch, exactly the requests of an ended batch that have no
//! successful result — failed, expired, cancelled or never run — read from its input file (or
//! from `requests`, when given: a provider without input files, or a file that is gone) and its
//! output and error files. Nothing left to do: `null`.
//!
//! `usage(batches)` adds up `batch.usage` where the provider sends it and the results' usage
//! where not.

use super::calls::{finish, Finish};
use super::exchange::{Exchange, Step};
use super::results::{Results, Target};
use super::retry::Safety;
use super::submit::Submit;
use super::{Action, Env, Event, Op, Text};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::read_body;
use crate::core::ids::IdSet;
use crate::core::json::{strip_bom, Json, Kind, Object, Out};
use crate::core::model::status::is_terminal;
use crate::core::model::usage::Usage;
use crate::core::providers::api::MARKER_KEY;

/// Whether a normalised result row succeeded: no error, and a 2xx (or unknown) status code.
fn succeeded(row: Json<'_>) -> bool {
    let code = row.get("response").and_then(|r| r.get("status_code")).and_then(|c| c.as_number()?.as_u64());
    row.get("error").is_some_and(|e| e.is_null()) && code.is_none_or(|c| (200..300).contains(&c))
}

/// Resolves a target to its batch: the text at hand, or a retrieve.
#[derive(Debug)]
enum Resolve {
    Have(String),
    Retrieving(Exchange),
}

fn resolve(env: &Env<'_>, target: Target) -> Result<Resolve> {
    match target {
        Target::Batch(text) => {
            // A batch object from the caller is taken as it is, normalised or not, once it has an id.
            Ok(Resolve::Have(text))
        }
        Target::Id(id) => {
            let request = env.cx.api().retrieve(&env.cx, &id)?;
            Ok(Resolve::Retrieving(Exchange::new(request, Safety::Idempotent)))
        }
    }
}

#[derive(Debug)]
enum Phase {
    Start(Target),
    Resolving(Exchange),
    Input(Exchange),
    Reading(Box<Results>),
    Submitting(Box<Submit>),
    Finished,
}

/// `resubmit` in progress.
#[derive(Debug)]
pub struct Resubmit {
    batch: String,
    requests: Option<Vec<u8>>,
    options: Vec<u8>,
    done_ids: IdSet,
    phase: Phase,
}

impl Resubmit {
    /// Resubmits what `target` left undone; `requests` (OpenAI batch lines, JSONL) stand in for
    /// the batch's input file; `options` are `submit`'s (its metadata by default).
    pub fn new(target: Target, requests: Option<Vec<u8>>, options: Vec<u8>) -> Self {
        Resubmit { batch: String::new(), requests, options, done_ids: IdSet::new(), phase: Phase::Start(target) }
    }

    fn done(&mut self, result: Result<Option<Text>>) -> Action {
        self.phase = Phase::Finished;
        Action::Done(result)
    }

    fn field(&self, key: &str) -> Option<String> {
        Json::parse(self.batch.as_bytes()).ok()?.get(key)?.non_empty_str().map(|s| s.into_owned())
    }

    /// The batch is at hand: check it has ended, then get its requests.
    fn have(&mut self, env: &Env<'_>, batch: String) -> Action {
        self.batch = batch;
        let Some(id) = self.field("id") else { return self.done(Err(Error::invalid_argument("the batch has no id"))) };
        let status = self.field("status").unwrap_or_default();
        if !is_terminal(&status) {
            return self.done(Err(Error::invalid_argument(format!(
                "batch {id} is {status}: resubmit takes a batch that has ended (waitFor it first)"
            ))));
        }
        if self.requests.is_some() {
            return self.read_results(env);
        }
        let input = self.field("input_file_id").filter(|_| env.cx.api().uses_files());
        let Some(file) = input else {
            return self.done(Err(Error::invalid_argument(format!(
                "{} keeps no input file for batch {id}: pass resubmit(batch, {{ requests }}) with the batch's requests",
                env.cx.provider.label
            ))));
        };
        match env.cx.api().file_content(&env.cx, &file) {
            Ok(request) => {
                let mut exchange = Exchange::new(request, Safety::Idempotent);
                let step = exchange.start(env);
                self.phase = Phase::Input(exchange);
                self.input(env, step)
            }
            Err(error) => self.done(Err(error)),
        }
    }

    fn input(&mut self, env: &Env<'_>, step: Step) -> Action {
        match step {
            Step::Act(action) => action,
            Step::Failed(failed) => {
                let id = self.field("id").unwrap_or_default();
                let note = format!(
                    " (the input file of batch {id} could not be read, e.g. it expired: pass resubmit(batch, {{ requests }}))"
                );
                self.done(Err(failed.error.with_note(&note)))
            }
            Step::Done(answered) => match read_body(&answered.head, &answered.body) {
                Ok(text) => {
                    self.requests = Some(text.to_vec());
                    self.read_results(env)
                }
                Err(error) => self.done(Err(error)),
            },
        }
    }

    fn read_results(&mut self, env: &Env<'_>) -> Action {
        let mut results = Box::new(Results::new(vec![Target::Batch(self.batch.clone())]));
        let action = results.step(env, Event::Start);
        self.phase = Phase::Reading(results);
        self.reading(env, action)
    }

    fn reading(&mut self, env: &Env<'_>, mut action: Action) -> Action {
        loop {
            match action {
                Action::Yield(rows) => {
                    if let Some(rows) = rows.json() {
                        for row in rows.items().filter(|r| succeeded(*r)) {
                            if let Some(id) = row.get("custom_id").and_then(|c| c.as_str()) {
                                self.done_ids.insert(id.as_bytes());
                            }
                        }
                    }
                    let Phase::Reading(results) = &mut self.phase else { return self.done(Ok(None)) };
                    action = results.step(env, Event::Resumed);
                }
                Action::Done(Ok(_)) => return self.submit(env),
                Action::Done(Err(error)) => return self.done(Err(error)),
                other => return other,
            }
        }
    }

    /// The requests without a successful result, as OpenAI batch lines.
    fn remaining(&self) -> Vec<u8> {
        let endpoint = self.field("endpoint");
        let text = self.requests.as_deref().map(strip_bom).unwrap_or_default();
        let mut out = Vec::new();
        for line in text.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Ok(json) = Json::parse(line) else { continue };
            if json.kind() != Kind::Object {
                continue;
            }
            let id = json.get("custom_id").or_else(|| json.get("key")).and_then(|c| c.as_str());
            if id.as_ref().is_some_and(|id| self.done_ids.contains(id.as_bytes())) {
                continue;
            }
            if json.get("method").is_some() && json.get("url").is_some() {
                out.extend_from_slice(line);
            } else {
                // A provider's own line (`{ custom_id, body }`, `{ key, request }`) back as an OpenAI one.
                let body = json.get("body").or_else(|| json.get("params")).or_else(|| json.get("request"));
                let mut o = Out::default();
                let mut object = Object::begin(&mut o);
                object.key(&mut o, "custom_id");
                match &id {
                    Some(id) => o.string(id),
                    None => o.null(),
                }
                object.key(&mut o, "method");
                o.string("POST");
                object.key(&mut o, "url");
                o.string(endpoint.as_deref().unwrap_or("/v1/chat/completions"));
                object.key(&mut o, "body");
                o.raw_or_null(body);
                object.end(&mut o);
                out.extend_from_slice(o.as_bytes());
            }
            out.push(b'\n');
        }
        out
    }

    /// `submit`'s options: the caller's, else the batch's endpoint and metadata (with
    /// `resubmit_of`), without this client's marker.
    fn options(&self, env: &Env<'_>) -> Vec<u8> {
        let given = Json::parse(&self.options).ok().filter(|o| o.kind() == Kind::Object);
        let batch = Json::parse(self.batch.as_bytes()).ok();
        let mut out = Out::default();
        let mut object = Object::begin(&mut out);
        let mut has = (false, false);
        for (key, value) in given.iter().flat_map(Json::entries) {
            has.0 |= key.is_str("endpoint");
            has.1 |= key.is_str("metadata");
            object.raw_key(&mut out, key);
            out.raw(value);
        }
        if !has.0 {
            if let Some(endpoint) = self.field("endpoint") {
                object.key(&mut out, "endpoint");
                out.string(&endpoint);
            }
        }
        if !has.1 && env.cx.provider.limits.metadata_pairs > 0 {
            object.key(&mut out, "metadata");
            let mut metadata = Object::begin(&mut out);
            let sent = batch.and_then(|b| b.get("metadata")).filter(|m| m.kind() == Kind::Object);
            for (k, v) in sent.iter().flat_map(Json::entries) {
                if !(k.is_str(MARKER_KEY) || k.is_str("resubmit_of")) && v.kind() == Kind::String {
                    metadata.raw_key(&mut out, k);
                    out.raw(v);
                }
            }
            metadata.key(&mut out, "resubmit_of");
            out.string(&self.field("id").unwrap_or_default());
            metadata.end(&mut out);
        }
        object.end(&mut out);
        out.into_parts().0
    }

    fn submit(&mut self, env: &Env<'_>) -> Action {
        let remaining = self.remaining();
        if remaining.is_empty() {
            return self.done(Ok(None));
        }
        let options = self.options(env);
        match Submit::new(&env.cx, &remaining, &options) {
            Ok(submit) => {
                let mut submit = Box::new(submit);
                let action = submit.step(env, Event::Start);
                self.phase = Phase::Submitting(submit);
                action
            }
            Err(error) => self.done(Err(error)),
        }
    }
}

impl Op for Resubmit {
    fn step(&mut self, env: &Env<'_>, event: Event) -> Action {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Start(target) => match resolve(env, target) {
                Ok(Resolve::Have(text)) => self.have(env, text),
                Ok(Resolve::Retrieving(mut exchange)) => {
                    let step = exchange.start(env);
                    self.phase = Phase::Resolving(exchange);
                    self.resolving(env, step)
                }
                Err(error) => self.done(Err(error)),
            },
            Phase::Resolving(mut exchange) => {
                let step = exchange.on(env, event);
                self.phase = Phase::Resolving(exchange);
                self.resolving(env, step)
            }
            Phase::Input(mut exchange) => {
                let step = exchange.on(env, event);
                self.phase = Phase::Input(exchange);
                self.input(env, step)
            }
            Phase::Reading(mut results) => {
                let action = results.step(env, event);
                self.phase = Phase::Reading(results);
                self.reading(env, action)
            }
            Phase::Submitting(mut submit) => {
                let action = submit.step(env, event);
                self.phase = Phase::Submitting(submit);
                action
            }
            Phase::Finished => Action::Done(Err(Error::invalid_argument("this resubmit has finished"))),
        }
    }
}

impl Resubmit {
    fn resolving(&mut self, env: &Env<'_>, step: Step) -> Action {
        match step {
            Step::Act(action) => action,
            Step::Failed(failed) => self.done(Err(failed.error)),
            Step::Done(answered) => match finish(&env.cx, &Finish::Batch, &answered) {
                Ok(batch) => self.have(env, String::from_utf8_lossy(&batch.bytes).into_owned()),
                Err(error) => self.done(Err(error)),
            },
        }
    }
}

#[derive(Debug)]
enum UsagePhase {
    Next,
    Resolving(Exchange),
    Reading(Box<Results>, Usage),
    Finished,
}

/// `usage` in progress.
#[derive(Debug)]
pub struct UsageOp {
    targets: std::collections::VecDeque<Target>,
    sum: Usage,
    phase: UsagePhase,
}

impl UsageOp {
    /// The usage of `targets`, added up.
    pub fn new(targets: Vec<Target>) -> Self {
        UsageOp { targets: targets.into(), sum: Usage::default(), phase: UsagePhase::Next }
    }

    fn done(&mut self, result: Result<Option<Text>>) -> Action {
        self.phase = UsagePhase::Finished;
        Action::Done(result)
    }

    fn next(&mut self, env: &Env<'_>) -> Action {
        match self.targets.pop_front() {
            None => {
                let sum = self.sum;
                self.done(Ok(Some(Text::from(sum.to_json()))))
            }
            Some(target) => match resolve(env, target) {
                Ok(Resolve::Have(text)) => self.batch(env, text),
                Ok(Resolve::Retrieving(mut exchange)) => {
                    let step = exchange.start(env);
                    self.phase = UsagePhase::Resolving(exchange);
                    self.resolving(env, step)
                }
                Err(error) => self.done(Err(error)),
            },
        }
    }

    fn resolving(&mut self, env: &Env<'_>, step: Step) -> Action {
        match step {
            Step::Act(action) => action,
            Step::Failed(failed) => self.done(Err(failed.error)),
            Step::Done(answered) => match finish(&env.cx, &Finish::Batch, &answered) {
                Ok(batch) => self.batch(env, String::from_utf8_lossy(&batch.bytes).into_owned()),
                Err(error) => self.done(Err(error)),
            },
        }
    }

    /// A batch's own usage when it has one; else its results are read.
    fn batch(&mut self, env: &Env<'_>, text: String) -> Action {
        let Ok(batch) = Json::parse(text.as_bytes()) else {
            return self.done(Err(Error::new(ErrorKind::InvalidArgument, "the batch is not JSON")));
        };
        let mut own = Usage::default();
        if let Some(usage) = batch.get("usage").filter(|u| own.add(*u)) {
            let _ = usage;
            let completed =
                batch.get("request_counts").and_then(|c| c.get("completed")).and_then(|c| c.as_number()?.as_u64());
            own.requests = completed.unwrap_or(0);
            self.sum.merge(own);
            return self.next(env);
        }
        let mut results = Box::new(Results::new(vec![Target::Batch(text)]));
        let action = results.step(env, Event::Start);
        self.phase = UsagePhase::Reading(results, Usage::default());
        self.reading(env, action)
    }

    fn reading(&mut self, env: &Env<'_>, mut action: Action) -> Action {
        loop {
            let UsagePhase::Reading(results, sum) = &mut self.phase else { return self.done(Ok(None)) };
            match action {
                Action::Yield(rows) => {
                    if let Some(rows) = rows.json() {
                        for row in rows.items() {
                            sum.add_result(row);
                        }
                    }
                    action = results.step(env, Event::Resumed);
                }
                Action::Done(Ok(_)) => {
                    let sum = *sum;
                    self.sum.merge(sum);
                    self.phase = UsagePhase::Next;
                    return self.next(env);
                }
                Action::Done(Err(error)) => return self.done(Err(error)),
                other => return other,
            }
        }
    }
}

impl Op for UsageOp {
    fn step(&mut self, env: &Env<'_>, event: Event) -> Action {
        match std::mem::replace(&mut self.phase, UsagePhase::Finished) {
            UsagePhase::Next => self.next(env),
            UsagePhase::Resolving(mut exchange) => {
                let step = exchange.on(env, event);
                self.phase = UsagePhase::Resolving(exchange);
                self.resolving(env, step)
            }
            UsagePhase::Reading(mut results, sum) => {
                let action = results.step(env, event);
                self.phase = UsagePhase::Reading(results, sum);
                self.reading(env, action)
            }
            UsagePhase::Finished => Action::Done(Err(Error::invalid_argument("this usage call has finished"))),
        }
    }
}
