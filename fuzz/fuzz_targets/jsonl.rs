//! Any bytes as an output file, cut into chunks anywhere: decoding must never panic and must not
//! depend on where the cuts fall.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llm_batches::core::{validate_jsonl, JsonlDecoder, Source};

fn decode(pieces: &[&[u8]]) -> Vec<serde_json::Value> {
    let mut decoder = JsonlDecoder::new(Source::Error);
    let mut out = Vec::new();
    for piece in pieces {
        decoder.push(piece, &mut out);
    }
    decoder.finish(&mut out);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, file)) = data.split_first() else { return };
    let whole = decode(&[file]);
    let chunks: Vec<&[u8]> = file.chunks(usize::from(size).max(1)).collect();
    assert_eq!(decode(&chunks), whole, "results depend on chunking");
    let _ = validate_jsonl(&String::from_utf8_lossy(file), "/v1/chat/completions");
});
