//! The `Batch` model: whatever a provider sends, normalised onto the OpenAI wire shape.
//!
//! ```
//! use llm_batches::core::{normalize_batch, Dialect};
//! let raw = serde_json::json!({"id": "b1", "status": "PROGRESS", "created_at": "2024-03-09T16:00:00Z",
//!                              "total": 10, "completed": "4", "failed": 0, "remark": "kept"});
//! let batch = normalize_batch(raw, Dialect::Auto).unwrap();
//! assert_eq!(batch["status"], "in_progress");
//! assert_eq!(batch["created_at"], 1710000000);
//! assert_eq!(batch["request_counts"]["completed"], 4);
//! assert_eq!(batch["remark"], "kept");
//! ```

use serde_json::{Map, Value};

use super::error::{Error, Result};
use super::{status, time};

/// Which provider's spellings to expect. `Auto` recognises all of them; an explicit dialect only
/// narrows the guessing (fields that belong to another dialect are passed through untouched).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// Recognise every known spelling.
    #[default]
    Auto,
    /// OpenAI's own wire shape.
    OpenAi,
    /// PPInfra: upper-case statuses, string timestamps, top-level counts, `errors` as a string.
    PpInfra,
    /// token360: the OpenAI shape with integer unix timestamps.
    Token360,
}

impl Dialect {
    /// Parses the `dialect` option.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "auto" => Dialect::Auto,
            "openai" => Dialect::OpenAi,
            "ppinfra" => Dialect::PpInfra,
            "token360" => Dialect::Token360,
            _ => return None,
        })
    }

    /// PPInfra puts `total`/`completed`/`failed` at the top level; in the OpenAI shape such
    /// fields would be someone else's and are passed through.
    fn has_top_level_counts(self) -> bool {
        matches!(self, Dialect::Auto | Dialect::PpInfra)
    }
}

/// The timestamp fields of a batch, in the order of its life.
pub const TIMESTAMPS: [&str; 9] = [
    "created_at",
    "in_progress_at",
    "expires_at",
    "finalizing_at",
    "completed_at",
    "failed_at",
    "expired_at",
    "cancelling_at",
    "cancelled_at",
];

const COUNTS: [&str; 3] = ["total", "completed", "failed"];

/// Normalises one batch object (see DESIGN §3). Fields we don't model are kept as sent.
pub fn normalize_batch(value: Value, dialect: Dialect) -> Result<Value> {
    let Value::Object(mut raw) = value else {
        return Err(Error::invalid_response(format!("expected a batch object, got {}", json_type(&value))));
    };
    let mut out = Map::new();
    out.insert("id".into(), string_or_null(raw.remove("id")));
    out.insert("object".into(), Value::from("batch"));
    raw.remove("object");
    out.insert("endpoint".into(), string_or_null(raw.remove("endpoint")));
    out.insert("status".into(), normalize_status(raw.remove("status")));
    for key in ["input_file_id", "output_file_id", "error_file_id"] {
        out.insert(key.into(), string_or_null(raw.remove(key)));
    }
    out.insert("completion_window".into(), string_or_null(raw.remove("completion_window")));
    out.insert("request_counts".into(), request_counts(&mut raw, dialect));
    for key in TIMESTAMPS {
        let ts = raw.remove(key).as_ref().and_then(time::unix_seconds);
        out.insert(key.into(), ts.map_or(Value::Null, Value::from));
    }
    out.insert("metadata".into(), metadata(raw.remove("metadata")));
    out.insert("errors".into(), errors(raw.remove("errors")));
    for (key, value) in raw {
        out.entry(key).or_insert(value);
    }
    Ok(Value::Object(out))
}

/// Ids and file ids: strings, numbers written as strings, `""` and anything else as `null`.
fn string_or_null(value: Option<Value>) -> Value {
    match value {
        Some(Value::String(s)) if !s.is_empty() => Value::String(s),
        Some(Value::Number(n)) => Value::String(n.to_string()),
        _ => Value::Null,
    }
}

/// A known spelling becomes the OpenAI name; anything else is kept exactly as sent.
fn normalize_status(value: Option<Value>) -> Value {
    match value {
        Some(Value::String(s)) => match status::normalize(&s) {
            Some(known) => Value::from(known),
            None => Value::String(s),
        },
        Some(other) => other,
        None => Value::Null,
    }
}

/// A count: a non-negative integer, an integral float, or a numeric string.
fn count(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 9.007_199_254_740_992e15)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
}

/// Always `{ total, completed, failed }`. When a provider sends both `request_counts` and
/// top-level counts, the larger wins: a placeholder zero never hides a real count.
fn request_counts(raw: &mut Map<String, Value>, dialect: Dialect) -> Value {
    let mut counts = match raw.remove("request_counts") {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for key in COUNTS {
        let nested = counts.get(key).and_then(count);
        let top = if dialect.has_top_level_counts() {
            let top = raw.get(key).and_then(count);
            if top.is_some() {
                raw.remove(key);
            }
            top
        } else {
            None
        };
        let value = match (nested, top) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => a.or(b).unwrap_or(0),
        };
        counts.insert(key.into(), Value::from(value));
    }
    Value::Object(counts)
}

/// A plain object or `null`; a JSON object sent as a string is unwrapped.
fn metadata(value: Option<Value>) -> Value {
    match value {
        Some(Value::Object(map)) => Value::Object(map),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(map)) => Value::Object(map),
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

/// `null` or `{ object: "list", data: [{ code, message, param, line }] }`, from a string, an array
/// of strings or objects, a single error object, or the OpenAI list itself.
fn errors(value: Option<Value>) -> Value {
    let entries: Vec<Value> = match value {
        None | Some(Value::Null | Value::Bool(_)) => return Value::Null,
        Some(Value::String(s)) => {
            let trimmed = s.trim();
            if trimmed.is_empty() {
                return Value::Null;
            }
            if trimmed.starts_with('{') || trimmed.starts_with('[') {
                if let Ok(parsed) = serde_json::from_str::<Value>(trimmed) {
                    return errors(Some(parsed));
                }
            }
            vec![error_entry(Value::String(s))]
        }
        Some(Value::Array(items)) => items.into_iter().map(error_entry).collect(),
        Some(Value::Object(mut map)) => match map.remove("data") {
            Some(Value::Array(items)) => items.into_iter().map(error_entry).collect(),
            Some(Value::Null) | None => {
                // `{ object: "list", data: null }` and `{}` say "no errors"; anything else left
                // is a single error object.
                map.remove("object");
                if map.is_empty() {
                    return Value::Null;
                }
                vec![error_entry(Value::Object(map))]
            }
            Some(other) => vec![error_entry(other)],
        },
        Some(other @ Value::Number(_)) => vec![error_entry(other)],
    };
    let mut list = Map::new();
    list.insert("object".into(), Value::from("list"));
    list.insert("data".into(), Value::Array(entries));
    Value::Object(list)
}

fn error_entry(value: Value) -> Value {
    let mut entry = Map::new();
    match value {
        Value::Object(mut map) => {
            entry.insert("code".into(), string_or_null(map.remove("code")));
            let message = map.remove("message").or_else(|| map.remove("msg")).or_else(|| map.remove("error"));
            entry.insert("message".into(), string_or_null(message));
            entry.insert("param".into(), string_or_null(map.remove("param")));
            let line = map.remove("line").as_ref().and_then(count);
            entry.insert("line".into(), line.map_or(Value::Null, Value::from));
            for (key, value) in map {
                entry.entry(key).or_insert(value);
            }
        }
        other => {
            entry.insert("code".into(), Value::Null);
            // The same rule as for an object's `message`: an empty string says nothing.
            let message = match other {
                Value::String(s) => string_or_null(Some(Value::String(s))),
                v => Value::String(v.to_string()),
            };
            entry.insert("message".into(), message);
            entry.insert("param".into(), Value::Null);
            entry.insert("line".into(), Value::Null);
        }
    }
    Value::Object(entry)
}

/// The JSON type name of a value, for error messages.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn norm(raw: Value) -> Value {
        normalize_batch(raw, Dialect::Auto).unwrap()
    }

    #[test]
    fn token360_seed_matches_expected_fixture() {
        let raw: Value = serde_json::from_str(include_str!("../../tests/fixtures/token360_retrieve.json")).unwrap();
        let want: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/token360_retrieve.expected.json")).unwrap();
        for dialect in [Dialect::Auto, Dialect::Token360, Dialect::OpenAi] {
            assert_eq!(normalize_batch(raw.clone(), dialect).unwrap(), want, "{dialect:?}");
        }
    }

    #[test]
    fn normalising_twice_changes_nothing() {
        let raw: Value = serde_json::from_str(include_str!("../../tests/fixtures/ppinfra_list_page.json")).unwrap();
        for batch in raw["data"].as_array().unwrap() {
            let once = norm(batch.clone());
            assert_eq!(norm(once.clone()), once);
        }
    }

    #[test]
    fn statuses_map_and_unknown_ones_are_kept() {
        let table = [
            (json!("PROGRESS"), json!("in_progress")),
            (json!("IN_PROGRESS"), json!("in_progress")),
            (json!("CANCELING"), json!("cancelling")),
            (json!("canceled"), json!("cancelled")),
            (json!("Completed"), json!("completed")),
            (json!("VALIDATING"), json!("validating")),
            (json!("FINALIZING"), json!("finalizing")),
            (json!("EXPIRED"), json!("expired")),
            (json!("FAILED"), json!("failed")),
            (json!("PAUSED"), json!("PAUSED")),
            (json!(42), json!(42)),
            (json!(null), json!(null)),
        ];
        for (raw, want) in table {
            assert_eq!(norm(json!({"id": "b", "status": raw}))["status"], want, "{raw}");
        }
        assert_eq!(norm(json!({"id": "b"}))["status"], json!(null));
    }

    #[test]
    fn every_modelled_field_is_always_present() {
        let batch = norm(json!({}));
        for key in [
            "id",
            "object",
            "endpoint",
            "status",
            "input_file_id",
            "output_file_id",
            "error_file_id",
            "completion_window",
            "request_counts",
            "metadata",
            "errors",
        ]
        .iter()
        .chain(TIMESTAMPS.iter())
        {
            assert!(batch.get(*key).is_some(), "{key}");
        }
        assert_eq!(batch["object"], "batch");
        assert_eq!(batch["request_counts"], json!({"total": 0, "completed": 0, "failed": 0}));
    }

    #[test]
    fn file_ids_and_ids() {
        let b = norm(json!({"id": 12345, "input_file_id": "", "output_file_id": "file_1", "error_file_id": {}}));
        assert_eq!(b["id"], "12345");
        assert_eq!(b["input_file_id"], json!(null));
        assert_eq!(b["output_file_id"], "file_1");
        assert_eq!(b["error_file_id"], json!(null));
    }

    #[test]
    fn request_counts_from_every_place() {
        let table = [
            (json!({"request_counts": {"total": 5, "completed": 2, "failed": 1}}), json!([5, 2, 1])),
            (json!({"total": 5, "completed": "2", "failed": 1.0}), json!([5, 2, 1])),
            (json!({"request_counts": null, "total": "10", "completed": "0", "failed": "10"}), json!([10, 0, 10])),
            (
                json!({"request_counts": {"total": 0, "completed": 0, "failed": 0}, "total": 7, "completed": 3}),
                json!([7, 3, 0]),
            ),
            (json!({"request_counts": {"total": "9", "completed": 4}}), json!([9, 4, 0])),
            (json!({"request_counts": "many"}), json!([0, 0, 0])),
            (json!({"request_counts": {"total": -1, "completed": 1.5, "failed": "x"}}), json!([0, 0, 0])),
        ];
        for (raw, want) in table {
            let rc = &norm(raw.clone())["request_counts"];
            assert_eq!(json!([rc["total"], rc["completed"], rc["failed"]]), want, "{raw}");
        }
    }

    #[test]
    fn top_level_counts_are_folded_or_passed_through_by_dialect() {
        let raw = json!({"total": 5, "completed": 2, "failed": 1});
        let auto = normalize_batch(raw.clone(), Dialect::Auto).unwrap();
        assert!(auto.get("total").is_none());
        assert_eq!(auto["request_counts"]["total"], 5);
        let openai = normalize_batch(raw, Dialect::OpenAi).unwrap();
        assert_eq!(openai["total"], 5, "not OpenAI's field: kept as sent");
        assert_eq!(openai["request_counts"]["total"], 0);
        let odd = norm(json!({"total": {"tokens": 9}}));
        assert_eq!(odd["total"], json!({"tokens": 9}), "a `total` that is no count is kept");
    }

    #[test]
    fn errors_in_every_shape() {
        let one =
            |m: &str| json!({"object": "list", "data": [{"code": null, "message": m, "param": null, "line": null}]});
        let table = [
            (json!(null), json!(null)),
            (json!(""), json!(null)),
            (json!({}), json!(null)),
            (json!({"object": "list", "data": null}), json!(null)),
            (json!("input file line 3: invalid JSON"), one("input file line 3: invalid JSON")),
            (
                json!(["a", "b"]),
                json!({"object": "list", "data": [
                {"code": null, "message": "a", "param": null, "line": null},
                {"code": null, "message": "b", "param": null, "line": null}]}),
            ),
            (
                json!({"object": "list", "data": [{"code": "invalid_json", "message": "bad", "line": "3"}]}),
                json!({"object": "list", "data": [{"code": "invalid_json", "message": "bad", "param": null, "line": 3}]}),
            ),
            (
                json!({"code": "quota", "message": "over quota"}),
                json!({"object": "list", "data": [{"code": "quota", "message": "over quota", "param": null, "line": null}]}),
            ),
            (
                json!("{\"data\":[{\"message\":\"x\",\"code\":7}]}"),
                json!({"object": "list", "data": [{"code": "7", "message": "x", "param": null, "line": null}]}),
            ),
            (json!({"object": "list", "data": []}), json!({"object": "list", "data": []})),
        ];
        for (raw, want) in table {
            assert_eq!(norm(json!({"errors": raw.clone()}))["errors"], want, "{raw}");
        }
    }

    #[test]
    fn metadata_is_an_object_or_null() {
        assert_eq!(norm(json!({"metadata": {"a": "1"}}))["metadata"], json!({"a": "1"}));
        assert_eq!(norm(json!({"metadata": "{\"a\":\"1\"}"}))["metadata"], json!({"a": "1"}));
        assert_eq!(norm(json!({"metadata": [1, 2]}))["metadata"], json!(null));
        assert_eq!(norm(json!({"metadata": "text"}))["metadata"], json!(null));
        assert_eq!(norm(json!({}))["metadata"], json!(null));
    }

    #[test]
    fn unknown_fields_pass_through_unchanged() {
        let b = norm(json!({"model": "gpt-4o", "usage": {"input_tokens": 3}, "version": 3, "remark": "",
                            "updated_at": {}, "created_by": "u", "created_by_key_id": "k", "future": [1]}));
        assert_eq!(b["model"], "gpt-4o");
        assert_eq!(b["usage"], json!({"input_tokens": 3}));
        assert_eq!(b["version"], 3);
        assert_eq!(b["remark"], "");
        assert_eq!(b["updated_at"], json!({}));
        assert_eq!(b["future"], json!([1]));
    }

    #[test]
    fn non_objects_are_invalid_responses() {
        for raw in [json!(null), json!([]), json!("batch"), json!(3)] {
            let err = normalize_batch(raw, Dialect::Auto).unwrap_err();
            assert_eq!(err.kind, super::super::ErrorKind::InvalidResponse);
        }
    }

    #[test]
    fn dialect_names() {
        assert_eq!(Dialect::parse("ppinfra"), Some(Dialect::PpInfra));
        assert_eq!(Dialect::parse("auto"), Some(Dialect::Auto));
        assert_eq!(Dialect::parse("OpenAI"), None);
    }
}
