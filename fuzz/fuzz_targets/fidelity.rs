//! Any bytes as a batch: when it is one, every entry that is not modelled comes out with the very
//! text it was sent with, in the same order (what makes `JSON.parse` of our output equal to
//! `JSON.parse` of the provider's text for those values).
#![no_main]

use libfuzzer_sys::fuzz_target;
use llm_batches::core::config::{Options, Runtime};
use llm_batches::core::json::{strip_bom, Json, Out, Scanner};
use llm_batches::core::model::batch::Slot;
use llm_batches::core::providers::Setup;

fn passed(json: Json<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let modelled: Vec<&str> = Slot::ALL.iter().map(|s| s.name()).chain(["total", "completed", "failed"]).collect();
    json.entries()
        .filter(|(k, _)| !modelled.iter().any(|m| k.is_str(m)))
        .map(|(k, v)| (k.text().to_vec(), v.text().to_vec()))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = Json::parse(strip_bom(data)) else { return };
    let options = Options { api_key: Some("k".into()), ..Options::default() };
    let setup = Setup::new(options, Runtime::Server).unwrap();
        let cx = setup.cx();
    let mut out = Out::default();
    if cx.api().batch(&cx, &mut Scanner::new(strip_bom(data)), &mut out).is_err() {
        return;
    }
    let written = Json::parse(out.as_bytes()).expect("the normaliser wrote invalid JSON");
    assert_eq!(passed(written), passed(json), "what is not modelled changed");
});
