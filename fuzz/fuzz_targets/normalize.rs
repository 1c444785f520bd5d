//! Any bytes as a provider's answer: reading, normalising and paging must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llm_batches::core::{normalize_batch, normalize_file, normalize_page, read_json, Dialect, Head, Pager, ListQuery};

fuzz_target!(|data: &[u8]| {
    let Some((&status, body)) = data.split_first() else { return };
    // 2xx most of the time, so the JSON paths get most of the work.
    let status = if status < 200 { 200 } else { 100 + u16::from(status) * 2 };
    let head = Head { status, request_id: None };
    let Ok(value) = read_json(&head, body) else { return };
    for dialect in [Dialect::Auto, Dialect::OpenAi, Dialect::PpInfra, Dialect::Token360] {
        if let Ok(batch) = normalize_batch(value.clone(), dialect) {
            assert_eq!(normalize_batch(batch.clone(), dialect).ok(), Some(batch), "normalising twice changed it");
        }
        if let Ok(page) = normalize_page(value.clone(), dialect) {
            let _ = Pager::new(ListQuery::default()).advance(&page);
        }
    }
    let _ = normalize_file(value);
});
