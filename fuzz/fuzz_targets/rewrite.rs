//! Any bytes as a list page and as a JSONL file: wherever the fast path (text rewriting) takes
//! the input, the tree path must give the same value (and for a page the same paging summary).
#![no_main]

use libfuzzer_sys::fuzz_target;
use llm_batches::core::{
    normalize_page_json, read_json_borrowed, rewrite_page, Dialect, Head, JsonArray, JsonlDecoder, PageSummary,
    Source,
};
use serde_json::Value;

#[path = "../../tests/support/same_value.rs"]
mod same_value;
use same_value::same;

fuzz_target!(|data: &[u8]| {
    let head = Head { status: 200, request_id: None };
    for dialect in [Dialect::Auto, Dialect::OpenAi] {
        let mut out = Vec::new();
        let Some(summary) = rewrite_page(data, dialect, &mut out) else { continue };
        let tree = read_json_borrowed(&head, data)
            .and_then(|json| normalize_page_json(json, dialect))
            .unwrap_or_else(|e| panic!("the fast path took what the tree path refuses: {}", e.message));
        assert!(out.is_ascii());
        let fast: Value = serde_json::from_slice(&out).expect("the fast path wrote invalid JSON");
        assert_eq!(summary, PageSummary::of(&tree));
        assert!(same(&fast, &Value::from(tree)), "the page paths disagree");
    }

    let mut tree: Vec<Value> = Vec::new();
    let mut array = JsonArray::with_capacity(0);
    let mut decoder = JsonlDecoder::new(Source::Output);
    decoder.push(data, &mut tree);
    decoder.finish(&mut tree);
    let mut decoder = JsonlDecoder::new(Source::Output);
    decoder.push(data, &mut array);
    decoder.finish(&mut array);
    let text = array.into_text();
    assert!(text.is_ascii());
    let fast: Value = serde_json::from_slice(&text).expect("the results text is invalid JSON");
    assert!(same(&fast, &Value::Array(tree)), "the result paths disagree");
});
