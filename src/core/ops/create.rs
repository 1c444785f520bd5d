//! `create`: a paid batch, made at most once.
//!
//! The request is repeated only after an answer that proves nothing was created (a 429, a 503 with
//! `Retry-After`, `x-should-retry: true`, a connection refused before anything was sent). After any
//! other failure the batch may exist, so the call looks for it — by a marker of this very call that
//! it put in the batch's `metadata` ([`MARKER_KEY`]), never by "a batch from the same file", which
//! could be an older one — over several rounds of list pages, for providers that list a new batch
//! a few seconds late. What it then does depends on what the failure says ([`Ambiguity`]):
//!
//! | failure | found | not found after the rounds |
//! |---|---|---|
//! | 2xx whose body broke off or is unreadable (`Created`) | resolve with it | reject: it exists but is not listed yet |
//! | 500 from the provider (`Settled`) | resolve with it | send once more (never a third time) |
//! | no answer, a timeout, 502/503/504 (`InFlight`) | resolve with it | reject: the first request may still land |
//!
//! So a resend happens only when the provider finished handling the first request with an error
//! and a lookup that allowed for listing lag found nothing: it can never leave two batches behind
//! for a timeout or a lost connection. Without a marker (a provider without metadata, or a caller
//! who already uses every metadata pair) there is no lookup and no resend.

use super::calls::{finish, Finish};
use super::exchange::{Exchange, Failed, Step};
use super::retry::{Ambiguity, Safety};
use super::{Action, Env, Event, Op, Text};
use crate::core::config::ListQuery;
use crate::core::error::Error;
use crate::core::json::Json;
use crate::core::text::Quoted;

/// The waits before each round of lookups, in ms: a batch listed up to 5 s late is still found.
pub const LOOKUP_ROUNDS_MS: [u32; 3] = [0, 1_500, 3_500];
/// Clock skew allowed between us and the provider when deciding a page is too old to hold the batch.
const SKEW_S: f64 = 120.0;
/// Pages read per round at most (a provider that lists oldest first is read to its end, up to this).
pub const MAX_LOOKUP_PAGES: u32 = 20;
/// Page size of the lookups.
const LOOKUP_PAGE: u32 = 100;

#[derive(Debug)]
enum Phase {
    Start,
    Sending(Exchange),
    Looking { round: usize, pages: u32, query: ListQuery, exchange: Exchange },
    Pausing { round: usize },
    Finished,
}

/// `create` in progress.
#[derive(Debug)]
pub struct Create {
    params: String,
    marker: Option<String>,
    started_s: f64,
    resent: bool,
    failure: Option<Failed>,
    phase: Phase,
}

impl Create {
    /// A create with the caller's parameters (JSON text of an object).
    pub fn new(params: String) -> Self {
        Create { params, marker: None, started_s: 0.0, resent: false, failure: None, phase: Phase::Start }
    }

    /// The marker this call put in the batch's metadata, once it started.
    pub fn marker(&self) -> Option<&str> {
        self.marker.as_deref()
    }

    fn send(&mut self, env: &Env<'_>) -> Action {
        let params = Json::parse(self.params.as_bytes()).unwrap_or(Json::NULL);
        let request = match env.cx.api().create(&env.cx, params, self.marker.as_deref()) {
            Ok(request) => request,
            Err(error) => return self.done(Err(error)),
        };
        let mut exchange = Exchange::new(request, Safety::Creates);
        let step = exchange.start(env);
        self.phase = Phase::Sending(exchange);
        self.sending(env, step)
    }

    fn done(&mut self, result: Result<Option<Text>, Error>) -> Action {
        self.phase = Phase::Finished;
        Action::Done(result)
    }

    fn sending(&mut self, env: &Env<'_>, step: Step) -> Action {
        match step {
            Step::Act(action) => action,
            Step::Done(answered) => match finish(&env.cx, &Finish::Batch, &answered) {
                Ok(batch) => self.done(Ok(Some(batch))),
                // A 200 carrying the provider's error made nothing; one we cannot read made the batch.
                Err(error) if error.kind == crate::core::ErrorKind::Api => self.done(Err(error)),
                Err(error) => self.failed(env, Failed { error, ambiguity: Ambiguity::Created }),
            },
            Step::Failed(failed) => self.failed(env, failed),
        }
    }

    fn failed(&mut self, env: &Env<'_>, failed: Failed) -> Action {
        if failed.ambiguity == Ambiguity::None {
            return self.done(Err(failed.error));
        }
        if self.marker.is_none() {
            let note = " (a batch may have been created all the same, and without a marker in its metadata this call \
                        cannot tell which: look at list() before trying again)";
            return self.done(Err(failed.error.with_note(note)));
        }
        self.failure = Some(failed);
        self.round(env, 0)
    }

    /// Starts lookup round `round` (after its pause).
    fn round(&mut self, env: &Env<'_>, round: usize) -> Action {
        let query = ListQuery { limit: Some(LOOKUP_PAGE), ..ListQuery::default() };
        self.look(env, round, 0, query)
    }

    fn look(&mut self, env: &Env<'_>, round: usize, pages: u32, query: ListQuery) -> Action {
        let request = match env.cx.api().list(&env.cx, &query) {
            Ok(request) => request,
            Err(error) => return self.give_up(Some(error)),
        };
        let mut exchange = Exchange::new(request, Safety::Idempotent);
        let step = exchange.start(env);
        self.phase = Phase::Looking { round, pages, query, exchange };
        self.looking(env, step)
    }

    fn looking(&mut self, env: &Env<'_>, step: Step) -> Action {
        let Phase::Looking { round, pages, query, .. } = &self.phase else { return self.give_up(None) };
        let (round, pages, query) = (*round, *pages + 1, query.clone());
        let answered = match step {
            Step::Act(action) => return action,
            Step::Failed(failed) => return self.give_up(Some(failed.error)),
            Step::Done(answered) => answered,
        };
        let (page, summary) = match super::calls::page(&env.cx, &query, &answered) {
            Ok(page) => page,
            Err(error) => return self.give_up(Some(error)),
        };
        let Some(json) = page.json() else { return self.give_up(None) };
        let items: Vec<Json<'_>> = json.get("data").map(|d| d.items().collect()).unwrap_or_default();
        let marker = self.marker.as_deref().unwrap_or_default();
        let api = env.cx.api();
        let mine = items.iter().find(|b| api.marked(**b, marker));
        if let Some(batch) = mine {
            let text = Text { bytes: batch.text().to_vec(), ascii: batch.is_ascii() };
            return self.done(Ok(Some(text)));
        }
        let created = |b: &Json<'_>| b.get("created_at").and_then(|t| t.as_number()).map(|n| n.as_f64());
        let oldest_first = match (items.first().and_then(created), items.last().and_then(created)) {
            (Some(first), Some(last)) => first < last,
            _ => false,
        };
        let since = self.started_s - SKEW_S;
        let older_than_call = !oldest_first && items.iter().filter_map(created).any(|t| t < since);
        let next = env.cx.api().next_page(&env.cx, &query, &summary);
        match next {
            Some(next) if !older_than_call && pages < MAX_LOOKUP_PAGES => self.look(env, round, pages, next),
            _ if round + 1 < LOOKUP_ROUNDS_MS.len() => {
                self.phase = Phase::Pausing { round: round + 1 };
                Action::Sleep(LOOKUP_ROUNDS_MS.get(round + 1).copied().unwrap_or(0))
            }
            _ => self.not_found(env),
        }
    }

    /// Every round done and no batch of this call listed.
    fn not_found(&mut self, env: &Env<'_>) -> Action {
        let Some(failed) = self.failure.take() else { return self.give_up(None) };
        if failed.ambiguity == Ambiguity::Settled && !self.resent && env.cx.config.max_retries > 0 {
            self.resent = true;
            return self.send(env);
        }
        let secs: u32 = LOOKUP_ROUNDS_MS.iter().sum::<u32>() / 1000;
        let note = format!(
            " (a batch may have been created all the same: none with {} {} was listed within {secs} s; look for \
             it before trying again)",
            env.cx.api().marker_place(),
            Quoted(self.marker.as_deref().unwrap_or_default())
        );
        self.done(Err(failed.error.with_note(&note)))
    }

    /// Looking failed: report the create's own error, saying that it could not tell.
    fn give_up(&mut self, lookup: Option<Error>) -> Action {
        let failed = self.failure.take();
        let error = match failed {
            Some(failed) => {
                let why = lookup.map_or_else(String::new, |e| format!(": {}", e.message));
                failed.error.with_note(&format!(
                    " (a batch may have been created all the same, and looking for it failed{why})"
                ))
            }
            None => lookup.unwrap_or_else(|| Error::invalid_response("the lookup after a failed create went wrong")),
        };
        self.done(Err(error))
    }
}

/// A marker for one call: the time and 48 random bits, in hex (unique enough among one account's batches).
fn marker(env: &Env<'_>) -> String {
    let random = (env.random.clamp(0.0, 1.0) * 281_474_976_710_656.0) as u64;
    format!("{:x}-{random:012x}", env.now_ms.max(0.0) as u64)
}

impl Op for Create {
    fn step(&mut self, env: &Env<'_>, event: Event) -> Action {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Start => {
                self.started_s = env.now_ms / 1000.0;
                let params = Json::parse(self.params.as_bytes()).unwrap_or(Json::NULL);
                let room = env.cx.api().marker_room(&env.cx, params);
                self.marker = room.then(|| marker(env));
                self.send(env)
            }
            Phase::Sending(mut exchange) => {
                let step = exchange.on(env, event);
                self.phase = Phase::Sending(exchange);
                self.sending(env, step)
            }
            Phase::Looking { round, pages, query, mut exchange } => {
                let step = exchange.on(env, event);
                self.phase = Phase::Looking { round, pages, query, exchange };
                self.looking(env, step)
            }
            Phase::Pausing { round } => self.round(env, round),
            Phase::Finished => Action::Done(Err(Error::invalid_argument("this create has finished"))),
        }
    }
}
