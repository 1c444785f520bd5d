//! How long the core takes to read a large answer natively: `cargo run --release --example scanbench`.
use llm_batches::core::json::{Json, Out, Scanner};
use llm_batches::core::providers::Setup;
use llm_batches::core::{Options, Runtime};
use std::time::Instant;

fn main() {
    let n = 70_000_000usize;
    let mut s = String::with_capacity(n * 2 + 64);
    s.push_str(r#"{"id":"batch_big","status":"completed","x":["#);
    for _ in 0..n - 1 {
        s.push_str("1,");
    }
    s.push_str("1]}");
    let t = Instant::now();
    Json::parse(s.as_bytes()).unwrap();
    println!("check only: {:?}", t.elapsed());
    let setup = Setup::new(Options { api_key: Some("k".into()), ..Default::default() }, Runtime::Server).unwrap();
    let t = Instant::now();
    let mut out = Out::default();
    setup.provider.api.batch(&setup.cx(), &mut Scanner::new(s.as_bytes()), &mut out).unwrap();
    println!("normalise (one walk): {:?}, {} bytes out", t.elapsed(), out.len());
}
