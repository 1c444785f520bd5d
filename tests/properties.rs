//! Property tests over the core's untrusted-input paths: whatever a provider sends, normalising
//! never panics, keeps its promises, and the JSONL decoder gives the same results however the bytes
//! are chunked.

use llm_batches::core::{
    normalize_batch, normalize_page, normalize_page_json, read_json, read_json_borrowed, rewrite_page, validate_jsonl,
    Dialect, Head, Json, JsonArray, JsonlDecoder, PageSummary, Source, TIMESTAMPS,
};
use proptest::prelude::*;

#[path = "support/same_value.rs"]
mod same_value;
use same_value::same;
use serde_json::{Map, Value};

/// Arbitrary JSON, biased towards the keys and shapes providers actually send.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON has no NaN or infinity", |f| f.is_finite()).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("PROGRESS"),
            Just("canceled"),
            Just("2024-03-09T16:00:00Z"),
            Just("1710000000123"),
            Just(""),
            Just("{\"a\":\"b\"}"),
            Just("[\"x\"]"),
            Just("9999-12-31T23:59:60+23:59")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        let key = prop_oneof![
            Just("id".to_string()),
            Just("status".to_string()),
            Just("created_at".to_string()),
            Just("request_counts".to_string()),
            Just("total".to_string()),
            Just("errors".to_string()),
            Just("metadata".to_string()),
            Just("data".to_string()),
            Just("has_more".to_string()),
            Just("last_id".to_string()),
            Just("output_file_id".to_string()),
            Just("error".to_string()),
            "[a-z_]{1,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A batch as OpenAI sends it, with some fields replaced, removed or added: the fast page path
/// copies untouched batches whole and rewrites the rest field by field.
fn batch_like() -> impl Strategy<Value = Value> {
    let value = prop_oneof![
        3 => json(),
        1 => prop_oneof![
            Just(Value::from("completed")),
            Just(Value::from("IN_PROGRESS")),
            Just(Value::from(1_714_000_000)),
            Just(Value::from("1714000000")),
            Just(Value::from(0)),
            Just(Value::from(1.5)),
            Just(serde_json::json!({"total": 3, "completed": "2", "failed": 1})),
            Just(serde_json::json!({"failed": 0, "total": 2, "completed": 2})),
            Just(serde_json::json!({"total": 1, "completed": 1, "failed": 0, "extra": true})),
            Just(serde_json::json!({"object": "list", "data": [{"code": "x", "message": "m", "line": 2}]})),
            Just(Value::from("é👋\u{0}\"\\")),
        ],
    ];
    let key = prop_oneof![
        prop::sample::select(
            MODELLED.iter().chain(&TIMESTAMPS).chain(&["usage", "model"]).copied().collect::<Vec<_>>()
        )
        .prop_map(str::to_owned),
        "[a-z_é]{1,6}",
    ];
    (any::<u32>(), prop::collection::vec((key.clone(), value), 0..4), prop::collection::vec(key, 0..3)).prop_map(
        |(n, set, removed)| {
            let mut batch = serde_json::json!({
                "id": format!("batch_{n}"), "object": "batch", "endpoint": "/v1/chat/completions",
                "errors": null, "input_file_id": "file-in", "completion_window": "24h",
                "status": "in_progress", "output_file_id": null, "error_file_id": null,
                "created_at": 1_714_000_000u64 + u64::from(n % 1000), "in_progress_at": null,
                "expires_at": 1_714_086_400, "finalizing_at": null, "completed_at": null,
                "failed_at": null, "expired_at": null, "cancelling_at": null, "cancelled_at": null,
                "request_counts": {"total": 10, "completed": n % 11, "failed": 0},
                "model": "gpt-4o-mini", "metadata": {"note": "résumé ✓", "n": n},
            });
            let map = batch.as_object_mut().unwrap_or_else(|| unreachable!());
            for key in removed {
                map.remove(&key);
            }
            for (key, value) in set {
                map.insert(key, value);
            }
            batch
        },
    )
}

/// A result line in the OpenAI shape with parts replaced by arbitrary JSON.
fn result_line() -> impl Strategy<Value = String> {
    let part = prop_oneof![2 => Just(None), 1 => json().prop_map(Some)];
    (part.clone(), part.clone(), part.clone(), part.clone(), part, any::<bool>()).prop_map(
        |(custom_id, status, body_error, error, extra, refused)| {
            let mut body = serde_json::json!({"id": "chatcmpl-1", "choices": [{"message": {"content": "ça va ✓"}}]});
            if refused {
                body = serde_json::json!({"error": {"message": "too long", "type": "invalid_request_error", "code": null}});
            }
            if let Some(e) = body_error { body["error"] = e; }
            let mut line = serde_json::json!({
                "id": "batch_req_1", "custom_id": custom_id.unwrap_or_else(|| "request-1".into()),
                "response": {"status_code": status.unwrap_or_else(|| 200.into()), "request_id": "req_1", "body": body},
                "error": error.unwrap_or(Value::Null),
            });
            if let Some(extra) = extra { line["line"] = extra; }
            line.to_string()
        },
    )
}

fn dialect() -> impl Strategy<Value = Dialect> {
    prop_oneof![Just(Dialect::Auto), Just(Dialect::OpenAi), Just(Dialect::PpInfra), Just(Dialect::Token360)]
}

proptest! {
    // Failures print their minimal input; no regression files are written into the tree.
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_normalised_batch_keeps_every_promise(raw in json(), dialect in dialect()) {
        let Ok(batch) = normalize_batch(raw.clone(), dialect) else {
            prop_assert!(!raw.is_object(), "only non-objects are rejected");
            return Ok(());
        };
        prop_assert_eq!(&batch["object"], "batch");
        for key in TIMESTAMPS {
            let ts = &batch[key];
            prop_assert!(ts.is_null() || ts.as_i64().is_some_and(|t| t > 0), "{} = {}", key, ts);
        }
        for key in ["total", "completed", "failed"] {
            prop_assert!(batch["request_counts"][key].is_u64(), "{}", key);
        }
        prop_assert!(batch["metadata"].is_null() || batch["metadata"].is_object());
        let errors = &batch["errors"];
        prop_assert!(errors.is_null() || (errors["object"] == "list" && errors["data"].is_array()));
        for key in ["id", "input_file_id", "output_file_id", "error_file_id"] {
            prop_assert!(batch[key].is_null() || batch[key].as_str().is_some_and(|s| !s.is_empty()));
        }
        // Unmodelled fields pass through unchanged.
        if let Value::Object(map) = &raw {
            for (key, value) in map {
                if key.starts_with(|c: char| c.is_ascii_lowercase()) && !is_modelled(key) {
                    prop_assert_eq!(&batch[key], value, "{} was changed", key);
                }
            }
        }
        // Normalising a normalised batch changes nothing.
        prop_assert_eq!(normalize_batch(batch.clone(), dialect).ok(), Some(batch));
    }

    #[test]
    fn pages_and_answers_never_panic(raw in json(), status in 100u16..600, dialect in dialect()) {
        let _ = normalize_page(raw.clone(), dialect);
        let bytes = serde_json::to_vec(&raw).unwrap_or_default();
        let head = Head { status, request_id: None };
        if let Err(error) = read_json(&head, &bytes) {
            prop_assert!(error.public_message(None).len() <= 600);
        }
    }

    #[test]
    fn the_fast_page_path_agrees_with_the_tree_path(
        batches in prop::collection::vec(prop_oneof![4 => batch_like(), 1 => json()], 0..5),
        fields in prop::collection::vec((prop_oneof![
            Just("has_more".to_string()), Just("first_id".to_string()), Just("last_id".to_string()),
            Just("object".to_string()), "[a-z]{1,5}",
        ], json()), 0..4),
        bare in any::<bool>(),
        encoding in 0..3u8,
        dialect in dialect(),
    ) {
        let page = if bare {
            Value::Array(batches)
        } else {
            let mut map: Map<String, Value> = fields.into_iter().collect();
            map.insert("data".into(), Value::Array(batches));
            Value::Object(map)
        };
        let text = match encoding {
            0 => serde_json::to_vec(&page).unwrap_or_default(),
            1 => serde_json::to_vec_pretty(&page).unwrap_or_default(),
            // Every non-ASCII character as `\u` escapes, surrogate pairs included.
            _ => {
                let mut out = Vec::new();
                Json::from(page.clone()).write_ascii(&mut out);
                out
            }
        };
        let head = Head { status: 200, request_id: None };
        let tree = read_json_borrowed(&head, &text).and_then(|json| normalize_page_json(json, dialect));
        let mut out = Vec::new();
        if let Some(summary) = rewrite_page(&text, dialect, &mut out) {
            let tree = tree.map_err(|e| TestCaseError::fail(format!("the tree path refused it: {}", e.message)))?;
            prop_assert!(out.is_ascii());
            let fast: Value = serde_json::from_slice(&out).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(summary, PageSummary::of(&tree));
            let tree = Value::from(tree);
            prop_assert!(same(&fast, &tree), "{} != {}", fast, tree);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), status in 100u16..600) {
        let _ = read_json(&Head { status, request_id: None }, &bytes);
        let _ = validate_jsonl(&String::from_utf8_lossy(&bytes), "/v1/chat/completions");
    }

    #[test]
    fn jsonl_results_do_not_depend_on_chunking(
        lines in prop::collection::vec(prop_oneof![
            json().prop_map(|v| v.to_string()),
            Just(String::new()),
            ".{0,20}",
            Just("{\"custom_id\":\"é👋\",\"response\":{\"status_code\":200,\"body\":{}}}".to_string()),
            result_line(),
        ], 0..12),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        cuts in prop::collection::vec(0usize..400, 0..10),
    ) {
        let newline = if crlf { "\r\n" } else { "\n" };
        let mut text = lines.join(newline);
        if final_newline { text.push_str(newline); }
        let bytes = text.as_bytes();
        let whole = decode(&[bytes]);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
        cuts.sort_unstable();
        let mut pieces = Vec::new();
        let mut start = 0;
        for cut in cuts { pieces.push(&bytes[start..cut]); start = cut; }
        pieces.push(&bytes[start..]);
        prop_assert_eq!(&decode(&pieces), &whole);
        // The text the wasm side hands to JS (lines rewritten as text where they can be) means
        // the same results.
        let mut array = JsonArray::with_capacity(0);
        let mut decoder = JsonlDecoder::new(Source::Output);
        for piece in &pieces { decoder.push(piece, &mut array); }
        decoder.finish(&mut array);
        let fast: Value = serde_json::from_slice(&array.into_text()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(same(&fast, &Value::Array(whole.clone())), "{} != {:?}", fast, whole);
        // One result per non-blank line, numbered as in the file, each with an error or not.
        // A byte-order mark opening the file is not content.
        let expected: Vec<u64> = text.strip_prefix('\u{feff}').unwrap_or(&text).split('\n').enumerate()
            .filter(|(_, l)| !l.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')))
            .map(|(i, _)| i as u64 + 1).collect();
        let got: Vec<u64> = whole.iter().map(|r| r["line"].as_u64().unwrap_or(0)).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn jsonl_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), size in 1usize..64) {
        let pieces: Vec<&[u8]> = bytes.chunks(size).collect();
        let results = decode(&pieces);
        for r in &results {
            prop_assert!(r["line"].as_u64().is_some_and(|l| l >= 1));
            prop_assert_eq!(&r["source"], "output");
        }
    }
}

/// The modelled keys that are not timestamps (those are `TIMESTAMPS`).
const MODELLED: [&str; 14] = [
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
    "total",
    "completed",
    "failed",
];

fn is_modelled(key: &str) -> bool {
    TIMESTAMPS.contains(&key) || MODELLED.contains(&key)
}

fn decode(pieces: &[&[u8]]) -> Vec<Value> {
    let mut decoder = JsonlDecoder::new(Source::Output);
    let mut out = Vec::new();
    for piece in pieces {
        decoder.push(piece, &mut out);
    }
    decoder.finish(&mut out);
    out
}
