//! List pages: `{ object: "list", data, first_id, last_id, has_more }`, whatever the provider sent.

use serde_json::{Map, Value};

use super::batch::{json_type, normalize_batch, Dialect};
use super::error::{Error, Result};

/// Normalises a page of batches. A bare array is taken as the page's `data`; missing
/// `first_id`/`last_id` are taken from the data; a missing `has_more` means `false`.
pub fn normalize_page(value: Value, dialect: Dialect) -> Result<Value> {
    let mut raw = match value {
        Value::Object(map) => map,
        Value::Array(items) => {
            let mut map = Map::new();
            map.insert("data".into(), Value::Array(items));
            map
        }
        other => {
            return Err(Error::invalid_response(format!("expected a list page object, got {}", json_type(&other))))
        }
    };
    let items = match raw.remove("data") {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => Vec::new(),
        Some(other) => {
            return Err(Error::invalid_response(format!("expected `data` to be an array, got {}", json_type(&other))))
        }
    };
    let data = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            normalize_batch(item, dialect).map_err(|e| Error::invalid_response(format!("data[{i}]: {}", e.message)))
        })
        .collect::<Result<Vec<_>>>()?;
    let first = id_or(raw.remove("first_id"), data.first());
    let last = id_or(raw.remove("last_id"), data.last());
    let has_more = match raw.remove("has_more") {
        Some(Value::Bool(b)) => b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => false,
    };
    raw.remove("object");
    let mut out = Map::new();
    out.insert("object".into(), Value::from("list"));
    out.insert("data".into(), Value::Array(data));
    out.insert("first_id".into(), first);
    out.insert("last_id".into(), last);
    out.insert("has_more".into(), Value::Bool(has_more));
    for (key, value) in raw {
        out.entry(key).or_insert(value);
    }
    Ok(Value::Object(out))
}

fn id_or(sent: Option<Value>, batch: Option<&Value>) -> Value {
    match sent {
        Some(Value::String(s)) if !s.is_empty() => Value::String(s),
        _ => batch.and_then(|b| b.get("id")).cloned().unwrap_or(Value::Null),
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
