//! Any bytes as a provider's answer, for every provider: reading and normalising never panic, what
//! comes out is JSON, and normalising it again changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llm_batches::core::config::{ListQuery, Options, Runtime};
use llm_batches::core::http::{read_json, Head};
use llm_batches::core::json::{Json, Out};
use llm_batches::core::providers::PROVIDERS;
use llm_batches::core::Config;

fuzz_target!(|data: &[u8]| {
    let Some((&status, body)) = data.split_first() else { return };
    // 2xx most of the time, so the JSON paths get most of the work.
    let status = if status < 200 { 200 } else { 100 + u16::from(status) * 2 };
    let Ok(json) = read_json(&Head::new(status), body) else { return };
    for provider in PROVIDERS {
        let options = Options {
            api_key: Some("k".into()),
            provider: Some(provider.name.into()),
            base_url: Some("https://x.example/v1".into()),
            ..Options::default()
        };
        let config = Config::new(options, Runtime::Server).unwrap();
        let api = provider.api;
        let mut out = Out::default();
        if api.batch(&config, json, &mut out).is_ok() {
            let once = Json::parse(out.as_bytes()).expect("the batch normaliser wrote invalid JSON");
            let mut again = Out::default();
            api.batch(&config, once, &mut again).expect("a normalised batch is refused");
            assert_eq!(again.as_bytes(), out.as_bytes(), "normalising twice changed it");
        }
        let mut page = Out::default();
        if api.page(&config, json, &ListQuery::default(), &mut page).is_ok() {
            Json::parse(page.as_bytes()).expect("the page normaliser wrote invalid JSON");
        }
        let mut file = Out::default();
        if api.file(&config, json, &mut file).is_ok() {
            Json::parse(file.as_bytes()).expect("the file normaliser wrote invalid JSON");
        }
    }
});
