//! `listAll`: every page of `list`, following the provider's own paging, never spinning.

use super::exchange::{Exchange, Step};
use super::retry::Safety;
use super::{Action, Env, Event, Op};
use crate::core::config::ListQuery;
use crate::core::error::{Error, Result};
use crate::core::ids::IdSet;
use crate::core::model::PageSummary;
use crate::core::text::Quoted;

/// Walks every page of `list`: the next query from each page, until the provider says there is no
/// more. It never spins: an empty page that claims more, a page without a cursor to go on from, or
/// a cursor that does not move forward (or comes back) ends the walk with an `invalid_response`.
#[derive(Debug)]
pub struct Pager {
    next: Option<ListQuery>,
    /// The (`after`, `page`) of each page read, as [`cursor_key`]s.
    seen: IdSet,
    exchange: Option<Exchange>,
}

impl Pager {
    /// Starts at `query` (its `after` or `page`, or the first page).
    pub fn new(query: ListQuery) -> Self {
        let mut seen = IdSet::new();
        seen.insert(&cursor_key(&query));
        Pager { next: Some(query), seen, exchange: None }
    }

    /// The query for the next page, or `None` when the walk is over.
    pub fn next_query(&self) -> Option<&ListQuery> {
        self.next.as_ref()
    }

    /// Takes in a page read with `query`; `next` is what the provider says comes after it. An
    /// error means the provider's paging is broken.
    pub fn advance(&mut self, summary: &PageSummary, next: Option<ListQuery>) -> Result<()> {
        self.next = None;
        let Some(next) = next else {
            if summary.has_more {
                return Err(Error::invalid_response("the provider sent has_more without a cursor to continue from"));
            }
            return Ok(());
        };
        if summary.len == 0 {
            return Err(Error::invalid_response("the provider sent an empty page that claims more; stopping"));
        }
        if !self.seen.insert(&cursor_key(&next)) {
            let cursor = next.after.as_deref().or(next.page.as_deref()).unwrap_or_default();
            return Err(Error::invalid_response(format!(
                "the provider's cursor did not advance ({} again); stopping",
                Quoted(cursor)
            )));
        }
        self.next = Some(next);
        Ok(())
    }
}

/// A query's cursor as one byte string: each part absent (0) or present (1) with its text, the
/// two apart by 0xFF, a byte UTF-8 text never holds.
fn cursor_key(query: &ListQuery) -> Vec<u8> {
    let mut key = Vec::new();
    for part in [&query.after, &query.page] {
        match part {
            None => key.push(0),
            Some(text) => {
                key.push(1);
                key.extend_from_slice(text.as_bytes());
            }
        }
        key.push(0xFF);
    }
    key
}

impl Op for Pager {
    fn step(&mut self, env: &Env<'_>, event: Event) -> Action {
        let step = match (self.exchange.as_mut(), event) {
            (Some(exchange), event @ (Event::Reply(_) | Event::Woke)) => exchange.on(env, event),
            _ => {
                let Some(query) = self.next.clone() else { return Action::Done(Ok(None)) };
                let request = match env.cx.api().list(&env.cx, &query) {
                    Ok(request) => request,
                    Err(error) => return Action::Done(Err(error)),
                };
                let mut exchange = Exchange::new(request, Safety::Idempotent);
                let step = exchange.start(env);
                self.exchange = Some(exchange);
                step
            }
        };
        match step {
            Step::Act(action) => action,
            Step::Failed(failed) => {
                self.exchange = None;
                self.next = None;
                Action::Done(Err(failed.error))
            }
            Step::Done(answered) => {
                self.exchange = None;
                let Some(query) = self.next.clone() else { return Action::Done(Ok(None)) };
                let api = env.cx.api();
                let (out, summary) = match super::calls::page(&env.cx, &query, &answered) {
                    Ok(page) => page,
                    Err(error) => {
                        self.next = None;
                        return Action::Done(Err(error));
                    }
                };
                let next = api.next_page(&env.cx, &query, &summary);
                match self.advance(&summary, next) {
                    Ok(()) => Action::Yield(out),
                    Err(error) => Action::Done(Err(error)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(len: usize, has_more: bool, last: Option<&str>) -> PageSummary {
        PageSummary { has_more, len, last_id: last.map(str::to_owned), next: None }
    }

    fn after(id: &str) -> Option<ListQuery> {
        Some(ListQuery { after: Some(id.into()), ..ListQuery::default() })
    }

    #[test]
    fn follows_the_cursor_until_the_end() {
        let mut pager = Pager::new(ListQuery { limit: Some(2), ..ListQuery::default() });
        assert_eq!(pager.next_query().unwrap().after, None);
        pager.advance(&summary(2, true, Some("b")), after("b")).unwrap();
        assert_eq!(pager.next_query().unwrap().after.as_deref(), Some("b"));
        pager.advance(&summary(1, false, Some("c")), None).unwrap();
        assert!(pager.next_query().is_none());
    }

    #[test]
    fn never_spins() {
        let mut pager = Pager::new(ListQuery::default());
        assert!(pager.advance(&summary(0, true, None), after("x")).is_err(), "empty page that claims more");
        assert!(pager.next_query().is_none());

        let mut pager = Pager::new(ListQuery { after: Some("b".into()), ..ListQuery::default() });
        let err = pager.advance(&summary(2, true, Some("b")), after("b")).unwrap_err();
        assert!(err.message.contains("did not advance"), "{}", err.message);

        let mut pager = Pager::new(ListQuery::default());
        pager.advance(&summary(1, true, Some("a")), after("a")).unwrap();
        pager.advance(&summary(1, true, Some("b")), after("b")).unwrap();
        assert!(pager.advance(&summary(1, true, Some("a")), after("a")).is_err(), "a cycle back to an old cursor");

        let mut pager = Pager::new(ListQuery::default());
        assert!(pager.advance(&summary(1, true, None), None).is_err(), "has_more without a cursor");
    }

    #[test]
    fn a_long_cursor_from_the_provider_is_fine() {
        let mut pager = Pager::new(ListQuery::default());
        let long = format!("{} ", "c".repeat(2000));
        pager.advance(&summary(1, true, Some(&long)), after(&long)).unwrap();
        assert_eq!(pager.next_query().unwrap().after.as_deref(), Some(long.as_str()));
    }
}
