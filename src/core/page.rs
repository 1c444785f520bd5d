//! List pages: `{ object: "list", data, first_id, last_id, has_more }`, whatever the provider sent.

use serde_json::Value;

use super::batch::{json_kind, normalize_batch_json, Dialect};
use super::error::{Error, Result};
use super::json::{Json, Object};
use super::request::ListQuery;

/// Normalises a page of batches. A bare array is taken as the page's `data`; missing
/// `first_id`/`last_id` are taken from the data; a missing `has_more` means `false`.
pub fn normalize_page(value: Value, dialect: Dialect) -> Result<Value> {
    normalize_page_json(value.into(), dialect).map(Value::from)
}

/// [`normalize_page`] on a [`Json`] value (the path `list` takes).
pub fn normalize_page_json(value: Json<'_>, dialect: Dialect) -> Result<Json<'_>> {
    let mut raw = match value {
        Json::Object(map) => map,
        Json::Array(items) => {
            let mut map = Object::with_capacity(5);
            map.insert("data", Json::Array(items));
            map
        }
        other => {
            return Err(Error::invalid_response(format!("expected a list page object, got {}", json_kind(&other))))
        }
    };
    let items = match raw.remove("data") {
        Some(Json::Array(items)) => items,
        None | Some(Json::Null) => Vec::new(),
        Some(other) => {
            return Err(Error::invalid_response(format!("expected `data` to be an array, got {}", json_kind(&other))))
        }
    };
    let data = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            normalize_batch_json(item, dialect)
                .map_err(|e| Error::invalid_response(format!("data[{i}]: {}", e.message)))
        })
        .collect::<Result<Vec<_>>>()?;
    let first = id_or(raw.remove("first_id"), data.first());
    let last = id_or(raw.remove("last_id"), data.last());
    let has_more = has_more(raw.remove("has_more"));
    raw.insert("object", Json::str("list"));
    raw.insert("data", Json::Array(data));
    raw.insert("first_id", first);
    raw.insert("last_id", last);
    raw.insert("has_more", Json::Bool(has_more));
    Ok(Json::Object(raw))
}

/// `has_more` as sent: a boolean, `"true"` in any case, or a non-zero number; else `false`.
pub(crate) fn has_more(sent: Option<Json<'_>>) -> bool {
    match sent {
        Some(Json::Bool(b)) => b,
        Some(Json::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        Some(Json::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => false,
    }
}

/// `first_id`/`last_id`: the one sent if it is a non-empty string, else the batch's id.
pub(crate) fn id_or<'a>(sent: Option<Json<'a>>, batch: Option<&Json<'a>>) -> Json<'a> {
    match sent {
        Some(Json::String(s)) if !s.is_empty() => Json::String(s),
        _ => batch.and_then(|b| b.get("id")).cloned().unwrap_or(Json::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ppinfra_page_matches_expected_fixture() {
        let raw: Value = serde_json::from_str(include_str!("../../tests/fixtures/ppinfra_list_page.json")).unwrap();
        let want: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/ppinfra_list_page.expected.json")).unwrap();
        for dialect in [Dialect::Auto, Dialect::PpInfra] {
            assert_eq!(normalize_page(raw.clone(), dialect).unwrap(), want, "{dialect:?}");
        }
    }

    #[test]
    fn cursors_and_has_more_are_filled_in() {
        let page =
            normalize_page(json!({"data": [{"id": "a"}, {"id": "b"}], "has_more": "true"}), Dialect::Auto).unwrap();
        assert_eq!(page["first_id"], "a");
        assert_eq!(page["last_id"], "b");
        assert_eq!(page["has_more"], true);
        let page = normalize_page(json!([{"id": "x"}]), Dialect::Auto).unwrap();
        assert_eq!(page["last_id"], "x");
        assert_eq!(page["has_more"], false);
        let empty = normalize_page(json!({"data": null, "first_id": "", "total": 0}), Dialect::Auto).unwrap();
        assert_eq!(
            empty,
            json!({"object": "list", "data": [], "first_id": null, "last_id": null, "has_more": false, "total": 0})
        );
    }

    #[test]
    fn wrong_shapes_are_invalid_responses() {
        for raw in [json!("x"), json!({"data": {}}), json!({"data": [1]})] {
            assert!(normalize_page(raw, Dialect::Auto).is_err());
        }
    }
}

/// What paging needs to know of a normalised page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSummary {
    /// Its `has_more`.
    pub has_more: bool,
    /// How many batches it holds.
    pub len: usize,
    /// Its `last_id`, when that is a string.
    pub last_id: Option<String>,
}

impl PageSummary {
    /// Reads it off a page normalised as [`Json`].
    pub fn of(page: &Json<'_>) -> Self {
        let len = match page.get("data") {
            Some(Json::Array(items)) => items.len(),
            _ => 0,
        };
        let has_more = matches!(page.get("has_more"), Some(Json::Bool(true)));
        PageSummary { has_more, len, last_id: page.get("last_id").and_then(Json::as_str).map(str::to_owned) }
    }
}

/// Walks every page of `list`: `after` = the previous page's last id, until `has_more` is false.
/// It never spins: an empty page that claims more, a page without a last id, or a cursor that
/// does not move forward (or comes back) ends the walk with an `invalid_response` error.
#[derive(Debug)]
pub struct Pager {
    limit: Option<u32>,
    after: Option<String>,
    seen: std::collections::HashSet<String>,
    done: bool,
}

impl Pager {
    /// Starts at `query.after` (or the first page).
    pub fn new(query: ListQuery) -> Self {
        let seen = query.after.iter().cloned().collect();
        Pager { limit: query.limit, after: query.after, seen, done: false }
    }

    /// The query for the next page, or `None` when the walk is over.
    pub fn next_query(&self) -> Option<ListQuery> {
        (!self.done).then(|| ListQuery { limit: self.limit, after: self.after.clone() })
    }

    /// Takes in a normalised page; an error means the provider's paging is broken.
    pub fn advance(&mut self, page: &Value) -> Result<()> {
        let has_more = page.get("has_more").and_then(Value::as_bool) == Some(true);
        let empty = page.get("data").and_then(Value::as_array).is_none_or(Vec::is_empty);
        self.step(has_more, empty, page.get("last_id").and_then(Value::as_str))
    }

    /// [`Pager::advance`] from a page's [`PageSummary`].
    pub fn advance_summary(&mut self, page: &PageSummary) -> Result<()> {
        self.step(page.has_more, page.len == 0, page.last_id.as_deref())
    }

    fn step(&mut self, has_more: bool, empty: bool, last: Option<&str>) -> Result<()> {
        self.done = true;
        if !has_more {
            return Ok(());
        }
        if empty {
            return Err(Error::invalid_response("the provider sent an empty page that claims has_more; stopping"));
        }
        let Some(last) = last else {
            return Err(Error::invalid_response("the provider sent has_more without a last id to continue from"));
        };
        if !self.seen.insert(last.to_owned()) {
            return Err(Error::invalid_response(format!(
                "the provider's cursor did not advance (after={last:?} again); stopping"
            )));
        }
        self.after = Some(last.to_owned());
        self.done = false;
        Ok(())
    }
}

#[cfg(test)]
mod pager_tests {
    use super::*;
    use serde_json::json;

    fn page(ids: &[&str], has_more: bool) -> Value {
        let data: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
        normalize_page(json!({"data": data, "has_more": has_more}), Dialect::Auto).unwrap()
    }

    #[test]
    fn follows_last_ids_until_has_more_is_false() {
        let mut pager = Pager::new(ListQuery { limit: Some(2), after: None });
        assert_eq!(pager.next_query().unwrap().after, None);
        pager.advance(&page(&["a", "b"], true)).unwrap();
        let q = pager.next_query().unwrap();
        assert_eq!((q.limit, q.after.as_deref()), (Some(2), Some("b")));
        pager.advance(&page(&["c"], false)).unwrap();
        assert!(pager.next_query().is_none());
    }

    #[test]
    fn never_spins() {
        let mut pager = Pager::new(ListQuery::default());
        assert!(pager.advance(&page(&[], true)).is_err());
        assert!(pager.next_query().is_none());

        let mut pager = Pager::new(ListQuery { limit: None, after: Some("b".into()) });
        let err = pager.advance(&page(&["a", "b"], true)).unwrap_err();
        assert!(err.message.contains("did not advance"), "{}", err.message);
        assert!(pager.next_query().is_none());

        let mut pager = Pager::new(ListQuery::default());
        pager.advance(&page(&["a"], true)).unwrap();
        pager.advance(&page(&["b"], true)).unwrap();
        assert!(pager.advance(&page(&["a"], true)).is_err(), "a cycle back to an old cursor");

        let mut pager = Pager::new(ListQuery::default());
        let no_last = json!({"data": [{"id": null}], "has_more": true, "last_id": null});
        assert!(pager.advance(&no_last).is_err());
    }

    #[test]
    fn an_empty_last_page_is_fine() {
        let mut pager = Pager::new(ListQuery::default());
        pager.advance(&page(&[], false)).unwrap();
        assert!(pager.next_query().is_none());
    }
}
