//! `watch`: keeping a set of batches fresh with as few requests as possible.
//!
//! Each cycle lists pages of the newest batches (100 a page) and, for the watched batches not on
//! them, retrieves them one by one. With ids, a cycle reads at most ⌈pending/100⌉ pages and stops
//! early once every pending id was seen; without ids it reads the newest page. A batch is reported
//! the first time it is seen and then only when something in it changed; a watched batch that is
//! reported terminal is no longer polled, and the watch ends when none is left.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::request::ListQuery;
use super::status;

/// Page size of the list requests a watch makes.
pub const PAGE_SIZE: u32 = 100;

/// The state of one watch.
#[derive(Debug, Default)]
pub struct Watcher {
    /// The ids still polled; `None` watches whatever is newest.
    pending: Option<HashSet<String>>,
    /// The last reported version of each batch, as JSON text.
    reported: HashMap<String, String>,
    /// Ids seen during the current cycle.
    seen: HashSet<String>,
    pages_read: usize,
}

impl Watcher {
    /// Watches `ids`, or the newest batches when `None`.
    pub fn new(ids: Option<Vec<String>>) -> Self {
        Watcher { pending: ids.map(|ids| ids.into_iter().collect()), ..Watcher::default() }
    }

    /// Nothing left to poll (never, without ids).
    pub fn finished(&self) -> bool {
        self.pending.as_ref().is_some_and(HashSet::is_empty)
    }

    /// Starts a cycle.
    pub fn begin_cycle(&mut self) {
        self.seen.clear();
        self.pages_read = 0;
    }

    /// The list query for the next page of this cycle, or `None` when the cycle's pages are done.
    /// `after` is the previous page's last id.
    pub fn next_page(&self, previous: Option<&Value>) -> Option<ListQuery> {
        let budget = match &self.pending {
            None => 1,
            Some(pending) => pending.len().div_ceil(PAGE_SIZE as usize).max(1),
        };
        if self.pages_read >= budget || self.pending.as_ref().is_some_and(|p| p.iter().all(|id| self.seen.contains(id)))
        {
            return None;
        }
        let after = match previous {
            None => None,
            Some(page) => {
                if page.get("has_more").and_then(Value::as_bool) != Some(true) {
                    return None;
                }
                Some(page.get("last_id").and_then(Value::as_str)?.to_owned())
            }
        };
        Some(ListQuery { limit: Some(PAGE_SIZE), after })
    }

    /// Takes in a listed page; returns the batches to report.
    pub fn observe_page(&mut self, page: &Value) -> Vec<Value> {
        self.pages_read += 1;
        let items = page.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
        items.into_iter().filter_map(|batch| self.observe(batch)).collect()
    }

    /// The watched ids not seen on this cycle's pages: each needs a retrieve.
    pub fn missing(&self) -> Vec<String> {
        let mut ids: Vec<String> = match &self.pending {
            None => Vec::new(),
            Some(pending) => pending.iter().filter(|id| !self.seen.contains(*id)).cloned().collect(),
        };
        ids.sort();
        ids
    }

    /// Stops polling `id` (it does not exist, say).
    pub fn forget(&mut self, id: &str) {
        if let Some(pending) = &mut self.pending {
            pending.remove(id);
        }
    }

    /// Takes in one batch; returns it if it is to be reported (new to us, or changed).
    pub fn observe(&mut self, batch: Value) -> Option<Value> {
        let id = batch.get("id").and_then(Value::as_str)?.to_owned();
        if let Some(pending) = &mut self.pending {
            if !pending.contains(&id) {
                return None;
            }
            if batch.get("status").and_then(Value::as_str).is_some_and(status::is_terminal) {
                pending.remove(&id);
            }
        }
        self.seen.insert(id.clone());
        let text = batch.to_string();
        if self.reported.get(&id) == Some(&text) {
            return None;
        }
        self.reported.insert(id, text);
        Some(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(batches: &[(&str, &str, u64)], has_more: bool) -> Value {
        let data: Vec<Value> = batches
            .iter()
            .map(|(id, status, done)| json!({"id": id, "status": status, "request_counts": {"completed": done}}))
            .collect();
        let last = batches.last().map(|b| b.0);
        json!({"data": data, "has_more": has_more, "last_id": last})
    }

    #[test]
    fn each_change_is_reported_once_and_terminal_batches_are_dropped() {
        let mut w = Watcher::new(Some(vec!["a".into(), "b".into()]));
        w.begin_cycle();
        let q = w.next_page(None).unwrap();
        assert_eq!((q.limit, q.after), (Some(100), None));
        let first = page(&[("x", "in_progress", 0), ("a", "in_progress", 1), ("b", "validating", 0)], false);
        let ids: Vec<_> = w.observe_page(&first).iter().map(|b| b["id"].clone()).collect();
        assert_eq!(ids, [json!("a"), json!("b")], "unwatched x is not reported");
        assert!(w.next_page(Some(&first)).is_none(), "every pending id was seen");
        assert!(w.missing().is_empty());

        w.begin_cycle();
        assert!(w.observe_page(&first).is_empty(), "nothing changed: nothing reported");
        w.begin_cycle();
        let second = page(&[("a", "completed", 5), ("b", "validating", 0)], false);
        let changed = w.observe_page(&second);
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0]["status"], "completed");
        assert!(!w.finished());
        w.begin_cycle();
        let third = page(&[("a", "completed", 5), ("b", "failed", 0)], false);
        assert_eq!(w.observe_page(&third).len(), 1, "a terminal batch seen again is not re-reported");
        assert!(w.finished());
    }

    #[test]
    fn pages_are_limited_to_the_pending_count_and_the_rest_is_retrieved() {
        let ids: Vec<String> = (0..250).map(|i| format!("w{i}")).collect();
        let mut w = Watcher::new(Some(ids));
        w.begin_cycle();
        let mut previous: Option<Value> = None;
        let mut pages = 0;
        while let Some(q) = w.next_page(previous.as_ref()) {
            pages += 1;
            let start = (pages - 1) * 100;
            let batches: Vec<(String, &str, u64)> =
                (start..start + 100).map(|i| (format!("other{i}"), "in_progress", 0)).collect();
            let refs: Vec<(&str, &str, u64)> = batches.iter().map(|(a, b, c)| (a.as_str(), *b, *c)).collect();
            assert_eq!(q.after.is_some(), pages > 1);
            let p = page(&refs, true);
            w.observe_page(&p);
            previous = Some(p);
        }
        assert_eq!(pages, 3, "⌈250/100⌉ pages at most");
        assert_eq!(w.missing().len(), 250, "none were on the pages: each is retrieved");
    }

    #[test]
    fn without_ids_the_newest_page_is_watched() {
        let mut w = Watcher::new(None);
        w.begin_cycle();
        let p = page(&[("a", "completed", 1)], true);
        assert!(w.next_page(None).is_some());
        assert_eq!(w.observe_page(&p).len(), 1);
        assert!(w.next_page(Some(&p)).is_none(), "one page per cycle");
        assert!(w.missing().is_empty());
        assert!(!w.finished());
    }

    #[test]
    fn the_last_page_ends_the_cycle() {
        let mut w = Watcher::new(Some(vec!["gone".into()]));
        w.begin_cycle();
        let p = page(&[("a", "completed", 1)], false);
        w.observe_page(&p);
        assert!(w.next_page(Some(&p)).is_none());
        assert_eq!(w.missing(), ["gone"]);
    }
}
