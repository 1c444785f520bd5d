//! Any bytes as a provider's answer, for every provider: reading and normalising never panic, what
//! comes out is JSON, and normalising it again changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llm_batches::core::config::{ListQuery, Options, Runtime};
use llm_batches::core::http::{read_body, Head};
use llm_batches::core::json::{Json, Out, Scanner};
use llm_batches::core::providers::PROVIDERS;
use llm_batches::core::providers::Setup;

fuzz_target!(|data: &[u8]| {
    let Some((&status, body)) = data.split_first() else { return };
    // 2xx most of the time, so the JSON paths get most of the work.
    let status = if status < 200 { 200 } else { 100 + u16::from(status) * 2 };
    let Ok(text) = read_body(&Head::new(status), body) else { return };
    for provider in PROVIDERS {
        let options = Options {
            api_key: Some("k".into()),
            provider: Some(provider.name.into()),
            base_url: Some("https://x.example/v1".into()),
            ..Options::default()
        };
        let setup = Setup::new(options, Runtime::Server).unwrap();
        let cx = setup.cx();
        let api = provider.api;
        let mut out = Out::default();
        let mut scan = Scanner::new(text);
        if api.batch(&cx, &mut scan, &mut out).is_ok() && scan.at_end().is_ok() {
            Json::parse(out.as_bytes()).expect("the batch normaliser wrote invalid JSON");
            let mut again = Out::default();
            api.batch(&cx, &mut Scanner::new(out.as_bytes()), &mut again).expect("a normalised batch is refused");
            assert_eq!(again.as_bytes(), out.as_bytes(), "normalising twice changed it");
        }
        let mut page = Out::default();
        if api.page(&cx, &mut Scanner::new(text), &ListQuery::default(), &mut page).is_ok() {
            Json::parse(page.as_bytes()).expect("the page normaliser wrote invalid JSON");
        }
        let mut file = Out::default();
        if api.file(&cx, &mut Scanner::new(text), &mut file).is_ok() {
            Json::parse(file.as_bytes()).expect("the file normaliser wrote invalid JSON");
        }
    }
});
