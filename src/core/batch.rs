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

use serde_json::Value;

use super::error::{Error, Result};
use super::json::{Json, Object};
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
    pub(crate) fn has_top_level_counts(self) -> bool {
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

pub(crate) const COUNTS: [&str; 3] = ["total", "completed", "failed"];

/// Normalises one batch object (see DESIGN §3). Fields we don't model are kept as sent.
pub fn normalize_batch(value: Value, dialect: Dialect) -> Result<Value> {
    normalize_batch_json(value.into(), dialect).map(Value::from)
}

/// [`normalize_batch`] on a [`Json`] value, in place: the modelled fields are rewritten where they
/// stand in the (sorted) object, so the result is the same object a fresh `Map` would give.
pub fn normalize_batch_json(value: Json<'_>, dialect: Dialect) -> Result<Json<'_>> {
    let Json::Object(mut map) = value else {
        return Err(Error::invalid_response(format!("expected a batch object, got {}", json_kind(&value))));
    };
    map.update_each(&FIELDS, normalize_field);
    request_counts(&mut map, dialect);
    Ok(Json::Object(map))
}

/// The normalised value of modelled field `FIELDS[i]`, from what was sent (`None`: nothing).
pub(crate) fn normalize_field(i: usize, value: Option<Json<'_>>) -> Json<'_> {
    match FIELD_KINDS.get(i) {
        Some(Field::Object) => Json::str("batch"),
        Some(Field::Status) => normalize_status(value),
        Some(Field::Timestamp) => value.as_ref().and_then(seconds).map_or(Json::Null, Json::from),
        Some(Field::Metadata) => metadata(value),
        Some(Field::Errors) => errors(value),
        Some(Field::Text) | None => string_or_null(value),
    }
}

/// The modelled fields but `request_counts`, sorted (for [`Object::update_each`]), and what each is.
pub(crate) const FIELDS: [&str; 19] = [
    "cancelled_at",
    "cancelling_at",
    "completed_at",
    "completion_window",
    "created_at",
    "endpoint",
    "error_file_id",
    "errors",
    "expired_at",
    "expires_at",
    "failed_at",
    "finalizing_at",
    "id",
    "in_progress_at",
    "input_file_id",
    "metadata",
    "object",
    "output_file_id",
    "status",
];

#[derive(Clone, Copy)]
pub(crate) enum Field {
    Text,
    Object,
    Status,
    Timestamp,
    Metadata,
    Errors,
}

pub(crate) const FIELD_KINDS: [Field; 19] = {
    use Field::*;
    [
        Timestamp, Timestamp, Timestamp, Text, Timestamp, Text, Text, Errors, Timestamp, Timestamp, Timestamp,
        Timestamp, Text, Timestamp, Text, Metadata, Object, Text, Status,
    ]
};

fn seconds(value: &Json<'_>) -> Option<i64> {
    match value {
        Json::Number(n) => time::number_seconds(n),
        Json::String(s) => time::text_seconds(s),
        _ => None,
    }
}

/// Ids and file ids: strings, numbers written as strings, `""` and anything else as `null`.
pub(crate) fn string_or_null(value: Option<Json<'_>>) -> Json<'_> {
    match value {
        Some(Json::String(s)) if !s.is_empty() => Json::String(s),
        Some(Json::Number(n)) => Json::String(n.to_string().into()),
        _ => Json::Null,
    }
}

/// A known spelling becomes the OpenAI name; anything else is kept exactly as sent.
fn normalize_status(value: Option<Json<'_>>) -> Json<'_> {
    match value {
        Some(Json::String(s)) => match status::normalize(&s) {
            Some(known) => Json::str(known),
            None => Json::String(s),
        },
        Some(other) => other,
        None => Json::Null,
    }
}

/// A count: a non-negative integer, an integral float, or a numeric string.
pub(crate) fn count(value: &Json<'_>) -> Option<u64> {
    match value {
        Json::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 9.007_199_254_740_992e15)
                .map(|f| f as u64)
        }),
        Json::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
}

/// Always `{ total, completed, failed }`. When a provider sends both `request_counts` and
/// top-level counts, the larger wins: a placeholder zero never hides a real count.
pub(crate) fn request_counts(raw: &mut Object<'_>, dialect: Dialect) {
    let mut counts = match raw.remove("request_counts") {
        Some(Json::Object(map)) => map,
        _ => Object::with_capacity(COUNTS.len()),
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
        counts.insert(key, Json::from(value));
    }
    raw.insert("request_counts", Json::Object(counts));
}

/// A plain object or `null`; a JSON object sent as a string is unwrapped.
fn metadata(value: Option<Json<'_>>) -> Json<'_> {
    match value {
        Some(Json::Object(map)) => Json::Object(map),
        Some(Json::String(s)) => match super::json::parse_value(s.as_bytes()) {
            Ok(object @ Value::Object(_)) => object.into(),
            _ => Json::Null,
        },
        _ => Json::Null,
    }
}

/// `null` or `{ object: "list", data: [{ code, message, param, line }] }`, from a string, an array
/// of strings or objects, a single error object, or the OpenAI list itself.
fn errors(value: Option<Json<'_>>) -> Json<'_> {
    let entries: Vec<Json<'_>> = match value {
        None | Some(Json::Null | Json::Bool(_)) => return Json::Null,
        Some(Json::String(s)) => {
            let trimmed = s.trim();
            if trimmed.is_empty() {
                return Json::Null;
            }
            if trimmed.starts_with('{') || trimmed.starts_with('[') {
                if let Ok(parsed) = super::json::parse_value(trimmed.as_bytes()) {
                    return errors(Some(parsed.into()));
                }
            }
            vec![error_entry(Json::String(s))]
        }
        Some(Json::Array(items)) => items.into_iter().map(error_entry).collect(),
        Some(Json::Object(mut map)) => match map.remove("data") {
            Some(Json::Array(items)) => items.into_iter().map(error_entry).collect(),
            Some(Json::Null) | None => {
                // `{ object: "list", data: null }` and `{}` say "no errors"; anything else left
                // is a single error object.
                map.remove("object");
                if map.is_empty() {
                    return Json::Null;
                }
                vec![error_entry(Json::Object(map))]
            }
            Some(other) => vec![error_entry(other)],
        },
        Some(other @ Json::Number(_)) => vec![error_entry(other)],
    };
    let mut list = Object::with_capacity(2);
    list.insert("data", Json::Array(entries));
    list.insert("object", Json::str("list"));
    Json::Object(list)
}

fn error_entry(value: Json<'_>) -> Json<'_> {
    match value {
        Json::Object(mut map) => {
            map.update("code", string_or_null);
            let message = map.remove("message").or_else(|| map.remove("msg")).or_else(|| map.remove("error"));
            map.insert("message", string_or_null(message));
            map.update("param", string_or_null);
            map.update("line", |v| v.as_ref().and_then(count).map_or(Json::Null, Json::from));
            Json::Object(map)
        }
        other => {
            // The same rule as for an object's `message`: an empty string says nothing.
            let message = match other {
                Json::String(s) => string_or_null(Some(Json::String(s))),
                v => Json::String(serde_json::to_string(&v).unwrap_or_default().into()),
            };
            let mut entry = Object::with_capacity(4);
            entry.insert("code", Json::Null);
            entry.insert("line", Json::Null);
            entry.insert("message", message);
            entry.insert("param", Json::Null);
            Json::Object(entry)
        }
    }
}

/// The JSON type name of a value, for error messages.
pub(crate) fn json_kind(value: &Json<'_>) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
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
    fn the_field_table_is_sorted_and_complete() {
        assert!(FIELDS.windows(2).all(|w| w[0] < w[1]));
        for key in TIMESTAMPS {
            let i = FIELDS.iter().position(|k| *k == key).unwrap();
            assert!(matches!(FIELD_KINDS[i], Field::Timestamp), "{key}");
        }
        let timestamps = FIELD_KINDS.iter().filter(|k| matches!(k, Field::Timestamp)).count();
        assert_eq!(timestamps, TIMESTAMPS.len());
        for (key, kind) in [("object", "o"), ("status", "s"), ("metadata", "m"), ("errors", "e")] {
            let i = FIELDS.iter().position(|k| *k == key).unwrap();
            let found = match FIELD_KINDS[i] {
                Field::Object => "o",
                Field::Status => "s",
                Field::Metadata => "m",
                Field::Errors => "e",
                _ => "",
            };
            assert_eq!(found, kind, "{key}");
        }
        for key in ["id", "endpoint", "input_file_id", "output_file_id", "error_file_id", "completion_window"] {
            let i = FIELDS.iter().position(|k| *k == key).unwrap();
            assert!(matches!(FIELD_KINDS[i], Field::Text), "{key}");
        }
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
