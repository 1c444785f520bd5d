//! Any bytes as a results file, cut into chunks anywhere: decoding never panics, always writes JSON,
//! and does not depend on where the cuts fall.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llm_batches::core::json::Json;
use llm_batches::core::jsonl::{JsonlDecoder, Results};
use llm_batches::core::model::result::openai_line;
use llm_batches::core::model::Source;
use llm_batches::core::providers::PROVIDERS;
use llm_batches::core::validate::validate;

fn decode(pieces: &[&[u8]]) -> Vec<u8> {
    let mut decoder = JsonlDecoder::new(Source::Error);
    let mut results = Results::new(openai_line);
    for piece in pieces {
        decoder.push(piece, &mut results);
    }
    decoder.finish(&mut results);
    results.take().0
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, file)) = data.split_first() else { return };
    let whole = decode(&[file]);
    Json::parse(&whole).expect("the results text is invalid JSON");
    let chunks: Vec<&[u8]> = file.chunks(usize::from(size).max(1)).collect();
    assert_eq!(decode(&chunks), whole, "results depend on chunking");
    let _ = validate(file, "/v1/chat/completions", &PROVIDERS[0]);
});
