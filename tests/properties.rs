//! Property tests over the core's untrusted-input paths: whatever a provider sends, normalising
//! never panics, keeps its promises, and the JSONL decoder gives the same results however the bytes
//! are chunked.

use llm_batches::core::{
    normalize_batch, normalize_page, read_json, validate_jsonl, Dialect, Head, JsonlDecoder, Source, TIMESTAMPS,
};
use proptest::prelude::*;
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

fn is_modelled(key: &str) -> bool {
    TIMESTAMPS.contains(&key)
        || [
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
        ]
        .contains(&key)
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
