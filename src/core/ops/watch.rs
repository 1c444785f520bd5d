//! `watch`: keeping a set of batches fresh with as few requests as possible.
//!
//! Each cycle lists pages of the newest batches (100 a page) and retrieves, one by one, only the
//! watched batches not on them. With ids, a cycle reads at most ⌈pending/100⌉ pages and stops early
//! once every pending id was seen; without ids it reads the newest page. A batch is reported the
//! first time it is seen and then only when something in it changed; a watched batch that is
//! reported terminal is no longer polled, and the watch ends when none is left. Failing cycles
//! (network, timeouts, 429, 5xx) go to `onError` and back off, doubling up to 5 minutes; a watched
//! id the provider does not know (a 404), or answers for with another batch, goes to `onError` and
//! is dropped; anything else ends the watch.

use std::collections::VecDeque;

use super::calls::{finish, Finish};
use super::exchange::{Exchange, Step};
use super::retry::{backoff, transient, Safety};
use super::{Action, Env, Event, Notice, Op, Text};
use crate::core::config::ListQuery;
use crate::core::error::{Error, ErrorKind};
use crate::core::ids::IdSet;
use crate::core::json::{Json, Out};
use crate::core::model::{status, PageSummary};
use crate::core::text::Quoted;

/// Page size of the list requests a watch makes.
pub const PAGE_SIZE: u32 = 100;
/// Longest wait between cycles while the provider keeps failing.
pub const MAX_BACKOFF_MS: u32 = 300_000;

/// The state of one watch: what was seen and reported.
#[derive(Debug, Default)]
pub struct Watcher {
    /// The ids still polled; `None` watches whatever is newest.
    pending: Option<Pending>,
    /// The ids reported so far, and the last reported version of each (by index) as JSON text.
    reported: IdSet,
    reported_text: Vec<Vec<u8>>,
    /// Ids seen during the current cycle.
    seen: IdSet,
    pages_read: usize,
}

/// The watched ids, in the caller's order, and which of them are still polled.
#[derive(Debug, Default)]
struct Pending {
    ids: IdSet,
    polled: Vec<bool>,
}

impl Pending {
    fn contains(&self, id: &str) -> bool {
        self.ids.index_of(id.as_bytes()).is_some_and(|i| self.polled.get(i) == Some(&true))
    }

    fn remove(&mut self, id: &str) {
        if let Some(polled) = self.ids.index_of(id.as_bytes()).and_then(|i| self.polled.get_mut(i)) {
            *polled = false;
        }
    }

    /// The ids still polled.
    fn iter(&self) -> impl Iterator<Item = &str> {
        let polled = self.ids.iter().zip(&self.polled).filter(|(_, polled)| **polled);
        polled.filter_map(|(id, _)| std::str::from_utf8(id).ok())
    }

    fn len(&self) -> usize {
        self.polled.iter().filter(|p| **p).count()
    }
}

impl Watcher {
    /// Watches `ids`, or the newest batches when `None`.
    pub fn new(ids: Option<Vec<String>>) -> Self {
        let pending = ids.map(|ids| {
            let mut set = IdSet::new();
            for id in ids {
                set.insert(id.as_bytes());
            }
            Pending { polled: vec![true; set.len()], ids: set }
        });
        Watcher { pending, ..Watcher::default() }
    }

    /// Nothing left to poll (never, without ids).
    pub fn finished(&self) -> bool {
        self.pending.as_ref().is_some_and(|p| p.len() == 0)
    }

    /// Starts a cycle.
    pub fn begin_cycle(&mut self) {
        self.seen.clear();
        self.pages_read = 0;
    }

    /// Whether this cycle reads another page after one with `summary` (`None`: the first page).
    pub fn wants_page(&self, previous: Option<&PageSummary>) -> bool {
        let budget = match &self.pending {
            None => 1,
            Some(pending) => pending.len().div_ceil(PAGE_SIZE as usize).max(1),
        };
        let all_seen = self.pending.as_ref().is_some_and(|p| p.iter().all(|id| self.seen.contains(id.as_bytes())));
        self.pages_read < budget && !all_seen && previous.is_none_or(|p| p.has_more)
    }

    /// Takes in a listed page (normalised JSON); returns the batches to report.
    pub fn observe_page(&mut self, page: &[u8]) -> Vec<Text> {
        self.pages_read += 1;
        let Ok(page) = Json::parse(page) else { return Vec::new() };
        let items = page.get("data").into_iter().flat_map(|d| d.items());
        items.filter_map(|batch| self.observe(batch, None)).collect()
    }

    /// The watched ids not seen on this cycle's pages: each needs a retrieve.
    pub fn missing(&self) -> Vec<String> {
        // In the order the caller gave them.
        match &self.pending {
            None => Vec::new(),
            Some(pending) => pending.iter().filter(|id| !self.seen.contains(id.as_bytes())).map(String::from).collect(),
        }
    }

    /// Stops polling `id` (it does not exist, say).
    pub fn forget(&mut self, id: &str) {
        if let Some(pending) = &mut self.pending {
            pending.remove(id);
        }
    }

    /// Takes in one normalised batch (retrieved as `asked`, or listed); returns it if it is to be
    /// reported (new to us, or changed).
    pub fn observe(&mut self, batch: Json<'_>, asked: Option<&str>) -> Option<Text> {
        let id = batch.get("id")?.as_str()?.into_owned();
        if asked.is_some_and(|asked| asked != id) {
            return None;
        }
        if let Some(pending) = &mut self.pending {
            if !pending.contains(&id) {
                return None;
            }
            if batch.get("status").and_then(|s| s.as_str()).is_some_and(|s| status::is_terminal(&s)) {
                pending.remove(&id);
            }
        }
        self.seen.insert(id.as_bytes());
        let text = batch.text();
        let (index, new) = self.reported.index_of_or_insert(id.as_bytes());
        match self.reported_text.get_mut(index) {
            Some(last) if !new && last == text => return None,
            Some(last) => *last = text.to_vec(),
            None => self.reported_text.push(text.to_vec()),
        }
        Some(Text { bytes: text.to_vec(), ascii: batch.is_ascii() })
    }

    /// The last reported version of each of `ids`, as one JSON array.
    pub fn latest(&self, ids: &[String]) -> Text {
        let mut out = Out::default();
        let mut array = crate::core::json::Array::begin(&mut out);
        for id in ids {
            if let Some(text) = self
                .reported
                .index_of(id.as_bytes())
                .and_then(|i| self.reported_text.get(i))
                .and_then(|t| Json::parse(t).ok())
            {
                array.next(&mut out);
                out.raw(text);
            }
        }
        array.end(&mut out);
        Text::from(out)
    }
}

/// What a watch does once the callbacks due are made.
#[derive(Debug)]
enum Next {
    /// Read this page.
    List(ListQuery),
    /// Retrieve the next missing id (or end the cycle).
    Retrieve,
    /// Sleep until the next cycle.
    Sleep,
    /// Start a cycle.
    Cycle,
    /// Every watched batch is terminal.
    Finish,
}

#[derive(Debug)]
enum Phase {
    Start,
    Listing {
        exchange: Exchange,
        query: ListQuery,
    },
    Retrieving {
        exchange: Exchange,
        id: String,
    },
    /// A callback or a sleep is out; its answer goes on with `next`.
    Waiting,
    Finished,
}

/// `watch` in progress.
#[derive(Debug)]
pub struct Watch {
    ids: Option<Vec<String>>,
    interval_ms: u32,
    watcher: Watcher,
    failures: u32,
    missing: VecDeque<String>,
    /// Callbacks due before the next request.
    queue: VecDeque<Action>,
    next: Next,
    phase: Phase,
}

impl Watch {
    /// Watches `ids` (or the newest page), a cycle every `interval_ms`.
    pub fn new(ids: Option<Vec<String>>, interval_ms: u32) -> Self {
        Watch {
            watcher: Watcher::new(ids.clone()),
            ids,
            interval_ms,
            failures: 0,
            missing: VecDeque::new(),
            queue: VecDeque::new(),
            next: Next::Cycle,
            phase: Phase::Start,
        }
    }

    fn begin(&mut self, env: &Env<'_>) -> Action {
        self.watcher.begin_cycle();
        self.missing.clear();
        self.list(env, ListQuery { limit: Some(PAGE_SIZE), ..ListQuery::default() })
    }

    fn list(&mut self, env: &Env<'_>, query: ListQuery) -> Action {
        let request = match env.cx.api().list(&env.cx, &query) {
            Ok(request) => request,
            Err(error) => return self.fail(error),
        };
        let mut exchange = Exchange::new(request, Safety::Idempotent);
        let step = exchange.start(env);
        self.phase = Phase::Listing { exchange, query };
        self.listed(env, step)
    }

    fn listed(&mut self, env: &Env<'_>, step: Step) -> Action {
        let query = match &self.phase {
            Phase::Listing { query, .. } => query.clone(),
            _ => ListQuery::default(),
        };
        let answered = match step {
            Step::Act(action) => return action,
            Step::Failed(failed) => return self.cycle_failed(env, failed.error),
            Step::Done(answered) => answered,
        };
        let (page, summary) = match super::calls::page(&env.cx, &query, &answered) {
            Ok(page) => page,
            Err(error) => return self.cycle_failed(env, error),
        };
        for batch in self.watcher.observe_page(&page.bytes) {
            self.queue.push_back(Action::Notify(Notice::Update, Some(batch)));
        }
        let next = if self.watcher.wants_page(Some(&summary)) {
            env.cx.api().next_page(&env.cx, &query, &summary)
        } else {
            None
        };
        self.next = match next {
            Some(next) => Next::List(next),
            None => {
                self.missing = self.watcher.missing().into();
                Next::Retrieve
            }
        };
        self.drain(env)
    }

    /// Makes the callbacks due, one per step, then goes on with `next`.
    fn drain(&mut self, env: &Env<'_>) -> Action {
        if let Some(action) = self.queue.pop_front() {
            self.phase = Phase::Waiting;
            return action;
        }
        match std::mem::replace(&mut self.next, Next::Cycle) {
            Next::List(query) => self.list(env, query),
            Next::Retrieve => self.next_retrieve(env),
            Next::Cycle => self.begin(env),
            Next::Finish => {
                let ids = self.ids.clone().unwrap_or_default();
                self.phase = Phase::Finished;
                Action::Done(Ok(Some(self.watcher.latest(&ids))))
            }
            Next::Sleep => {
                let ms = if self.failures == 0 {
                    self.interval_ms
                } else {
                    backoff(self.interval_ms, self.failures, MAX_BACKOFF_MS.max(self.interval_ms), 0.0)
                };
                self.phase = Phase::Waiting;
                self.next = Next::Cycle;
                Action::Sleep(ms)
            }
        }
    }

    fn next_retrieve(&mut self, env: &Env<'_>) -> Action {
        let Some(id) = self.missing.pop_front() else { return self.cycle_done(env) };
        let request = match env.cx.api().retrieve(&env.cx, &id) {
            Ok(request) => request,
            Err(error) => return self.fail(error),
        };
        let mut exchange = Exchange::new(request, Safety::Idempotent);
        let step = exchange.start(env);
        self.phase = Phase::Retrieving { exchange, id };
        self.retrieved(env, step)
    }

    fn retrieved(&mut self, env: &Env<'_>, step: Step) -> Action {
        let id = match &self.phase {
            Phase::Retrieving { id, .. } => id.clone(),
            _ => String::new(),
        };
        let answered = match step {
            Step::Act(action) => return action,
            Step::Done(answered) => answered,
            // One id that does not exist must not end the watch of the others.
            Step::Failed(failed) if failed.error.kind == ErrorKind::Api && failed.error.status == Some(404) => {
                self.watcher.forget(&id);
                self.queue.push_back(Action::NotifyError(failed.error));
                self.next = Next::Retrieve;
                return self.drain(env);
            }
            Step::Failed(failed) => return self.cycle_failed(env, failed.error),
        };
        let batch = match finish(&env.cx, &Finish::Batch, &answered) {
            Ok(batch) => batch,
            Err(error) => return self.cycle_failed(env, error),
        };
        let json = batch.json();
        let got = json.and_then(|b| b.get("id")).and_then(|v| v.as_str()).map(|s| s.into_owned());
        if got.as_deref() != Some(id.as_str()) {
            // Answered with another batch: polling it again would never end.
            self.watcher.forget(&id);
            let message = format!(
                "the provider answered the retrieve of {} with batch {}; no longer watching it",
                Quoted(&id),
                Quoted(&got.unwrap_or_default())
            );
            self.queue.push_back(Action::NotifyError(Error::invalid_response(message)));
        } else if let Some(changed) = json.and_then(|b| self.watcher.observe(b, Some(&id))) {
            self.queue.push_back(Action::Notify(Notice::Update, Some(changed)));
        }
        self.next = Next::Retrieve;
        self.drain(env)
    }

    fn cycle_done(&mut self, env: &Env<'_>) -> Action {
        self.failures = 0;
        self.queue.push_back(Action::Notify(Notice::Cycle, None));
        self.next = if self.watcher.finished() { Next::Finish } else { Next::Sleep };
        self.drain(env)
    }

    fn cycle_failed(&mut self, env: &Env<'_>, error: Error) -> Action {
        if !transient(&error) {
            return self.fail(error);
        }
        self.failures = self.failures.saturating_add(1);
        self.queue.push_back(Action::NotifyError(error));
        self.next = Next::Sleep;
        self.drain(env)
    }

    fn fail(&mut self, error: Error) -> Action {
        self.phase = Phase::Finished;
        Action::Done(Err(error))
    }
}

impl Op for Watch {
    fn step(&mut self, env: &Env<'_>, event: Event) -> Action {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Start => self.begin(env),
            Phase::Listing { mut exchange, query } => {
                let step = exchange.on(env, event);
                self.phase = Phase::Listing { exchange, query };
                self.listed(env, step)
            }
            Phase::Retrieving { mut exchange, id } => {
                let step = exchange.on(env, event);
                self.phase = Phase::Retrieving { exchange, id };
                self.retrieved(env, step)
            }
            Phase::Waiting => self.drain(env),
            Phase::Finished => Action::Done(Err(Error::invalid_argument("this watch has finished"))),
        }
    }
}
