//! Any bytes as a results file, cut into chunks anywhere: decoding never panics, always writes JSON,
//! and does not depend on where the cuts fall, for every provider's kind of line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llm_batches::core::json::Json;
use llm_batches::core::jsonl::{JsonlDecoder, Results};
use llm_batches::core::jsonl::LineReader;
use llm_batches::core::model::Source;
use llm_batches::core::providers::PROVIDERS;
use llm_batches::core::validate::validate;

fn decode(pieces: &[&[u8]], read: LineReader) -> Vec<u8> {
    let mut decoder = JsonlDecoder::new(Source::Error);
    let mut results = Results::new(read);
    for piece in pieces {
        decoder.push(piece, &mut results);
    }
    decoder.finish(&mut results);
    results.take().0
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, file)) = data.split_first() else { return };
    let chunks: Vec<&[u8]> = file.chunks(usize::from(size).max(1)).collect();
    // Every provider's line reader (OpenAI's, Anthropic's, Gemini's).
    for provider in PROVIDERS {
        let read = provider.api.result_line();
        let whole = decode(&[file], read);
        Json::parse(&whole).expect("the results text is invalid JSON");
        assert_eq!(decode(&chunks, read), whole, "results depend on chunking");
        let _ = validate(file, "/v1/chat/completions", provider);
    }
});
