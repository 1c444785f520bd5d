//! The `FileObject` returned by `POST /files`, normalised like a batch.

use serde_json::{Map, Value};

use super::batch::json_type;
use super::error::{Error, Result};
use super::time;

/// `{ id, object: "file", bytes, created_at, expires_at, filename, purpose, status }` plus every
/// other field as sent.
pub fn normalize_file(value: Value) -> Result<Value> {
    let Value::Object(mut raw) = value else {
        return Err(Error::invalid_response(format!("expected a file object, got {}", json_type(&value))));
    };
    let text = |v: Option<Value>| match v {
        Some(Value::String(s)) if !s.is_empty() => Value::String(s),
        Some(Value::Number(n)) => Value::String(n.to_string()),
        _ => Value::Null,
    };
    let mut out = Map::new();
    out.insert("id".into(), text(raw.remove("id")));
    raw.remove("object");
    out.insert("object".into(), Value::from("file"));
    let bytes = match raw.remove("bytes") {
        Some(Value::Number(n)) => n.as_u64().map(Value::from),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok().map(Value::from),
        _ => None,
    };
    out.insert("bytes".into(), bytes.unwrap_or(Value::Null));
    for key in ["created_at", "expires_at"] {
        let ts = raw.remove(key).as_ref().and_then(time::unix_seconds);
        out.insert(key.into(), ts.map_or(Value::Null, Value::from));
    }
    for key in ["filename", "purpose", "status"] {
        out.insert(key.into(), text(raw.remove(key)));
    }
    for (key, value) in raw {
        out.entry(key).or_insert(value);
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openai_and_loose_shapes() {
        let f = normalize_file(json!({"id": "file-1", "object": "file", "bytes": 120, "created_at": 1710000000,
                                      "filename": "in.jsonl", "purpose": "batch", "status": "processed"}))
        .unwrap();
        assert_eq!(
            f,
            json!({"id": "file-1", "object": "file", "bytes": 120, "created_at": 1710000000,
                             "expires_at": null, "filename": "in.jsonl", "purpose": "batch", "status": "processed"})
        );
        let f = normalize_file(json!({"id": 7, "bytes": "99", "created_at": "2024-03-09T16:00:00Z", "extra": true}))
            .unwrap();
        assert_eq!(
            (f["id"].clone(), f["bytes"].clone(), f["created_at"].clone(), f["extra"].clone()),
            (json!("7"), json!(99), json!(1710000000), json!(true))
        );
        assert!(normalize_file(json!("file")).is_err());
    }
}
