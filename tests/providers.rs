//! Every provider's recorded answers (tests/fixtures/, the same files the mock serves), through its
//! family's normaliser: the statuses and counts the design says, every value it does not model
//! exactly as sent, and result files read into the one `BatchResult` shape.

use llm_batches::core::config::{ListQuery, Options, Runtime};
use llm_batches::core::json::{Json, Kind, Out, Scanner};
use llm_batches::core::jsonl::{JsonlDecoder, Results};
use llm_batches::core::model::batch::Slot;
use llm_batches::core::model::Source;
use llm_batches::core::providers::Setup;

fn setup(provider: &str) -> Setup {
    let options = Options {
        api_key: Some("k".into()),
        provider: Some(provider.into()),
        base_url: Some("https://x.example/v1".into()),
        ..Options::default()
    };
    Setup::new(options, Runtime::Server).unwrap()
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The normalised page of `name`, read as `provider` reads it.
fn page(provider: &str, name: &str) -> (String, usize, bool) {
    let setup = setup(provider);
    let cx = setup.cx();
    let text = fixture(name);
    let mut out = Out::default();
    let mut scan = Scanner::new(text.as_bytes());
    let summary = cx.api().page(&cx, &mut scan, &ListQuery::default(), &mut out).unwrap();
    scan.at_end().unwrap();
    (String::from_utf8(out.into_parts().0).unwrap(), summary.len, summary.has_more)
}

/// `(status, [total, completed, failed])` of each batch of a normalised page.
fn statuses(page: &str) -> Vec<(String, [u64; 3])> {
    let json = Json::parse(page.as_bytes()).unwrap();
    json.get("data")
        .unwrap()
        .items()
        .map(|b| {
            let rc = b.get("request_counts").unwrap();
            let n = |k: &str| rc.get(k).and_then(|v| v.as_number()).and_then(|n| n.as_u64()).unwrap();
            (b.get("status").unwrap().as_str().unwrap().into_owned(), [n("total"), n("completed"), n("failed")])
        })
        .collect()
}

/// A provider, its list page fixture, and each batch's status and `[total, completed, failed]`.
type PageCase = (&'static str, &'static str, &'static [(&'static str, [u64; 3])]);

#[test]
fn each_providers_list_page_maps_its_statuses_and_counts() {
    let table: &[PageCase] = &[
        (
            "anthropic",
            "anthropic_list_page.json",
            &[
                ("completed", [250, 248, 2]),
                ("in_progress", [2, 0, 0]),
                ("cancelling", [40, 0, 0]),
                ("cancelled", [4, 1, 3]),
                ("completed", [200, 180, 20]),
            ],
        ),
        (
            "mistral",
            "mistral_list_page.json",
            &[
                ("validating", [0, 0, 0]),
                ("in_progress", [500, 210, 2]),
                ("cancelling", [120, 40, 0]),
                ("cancelled", [80, 25, 0]),
                ("failed", [0, 0, 0]),
                ("expired", [1000, 721, 9]),
                ("completed", [10, 10, 0]),
            ],
        ),
        (
            "gemini",
            "gemini_list_page.json",
            &[
                ("validating", [120, 0, 0]),
                ("in_progress", [4, 1, 0]),
                ("completed", [3, 3, 0]),
                ("completed", [2, 1, 1]),
                ("failed", [10, 0, 0]),
                ("cancelled", [50, 12, 0]),
                ("expired", [900, 0, 0]),
            ],
        ),
        (
            "together",
            "together_list.json",
            &[
                ("validating", [0, 0, 0]),
                ("in_progress", [0, 0, 0]),
                ("completed", [0, 0, 0]),
                ("failed", [0, 0, 0]),
                ("expired", [0, 0, 0]),
                ("cancelled", [0, 0, 0]),
            ],
        ),
        (
            "azure",
            "azure_list_page.json",
            &[
                ("validating", [0, 0, 0]),
                ("in_progress", [300, 120, 2]),
                ("completed", [10, 10, 0]),
                ("failed", [0, 0, 0]),
                ("cancelled", [40, 12, 0]),
            ],
        ),
    ];
    for (provider, file, want) in table {
        let (text, len, _) = page(provider, file);
        let got = statuses(&text);
        let want: Vec<(String, [u64; 3])> = want.iter().map(|(s, c)| ((*s).to_owned(), *c)).collect();
        assert_eq!(got, want, "{provider}");
        assert_eq!(len, want.len(), "{provider}");
    }
}

#[test]
fn pages_say_whether_more_follow_the_providers_way() {
    // Groq pages by `paging.next_cursor`, Gemini by `nextPageToken`, Together never, Anthropic by `has_more`.
    let (groq, _, more) = page("groq", "groq_list_page.json");
    assert!(more, "a next_cursor means more");
    let groq = Json::parse(groq.as_bytes()).unwrap();
    assert!(groq.get("paging").is_some(), "paging passes through");
    assert!(!page("groq", "groq_list_page_2.json").2, "no cursor on the last page");
    assert!(!page("together", "together_list.json").2);
    assert!(!page("anthropic", "anthropic_list_page.json").2);
    let (_, n, _) = page("groq", "groq_list_page.json");
    assert_eq!(n, 10);
}

/// Every key of `sent` not modelled, with its value's text, in order.
fn passed(sent: Json<'_>) -> Vec<(String, String)> {
    let modelled: Vec<&str> = Slot::ALL.iter().map(|s| s.name()).collect();
    sent.entries()
        .filter(|(k, _)| !modelled.iter().any(|m| k.is_str(m)))
        .map(|(k, v)| (String::from_utf8_lossy(k.text()).into_owned(), String::from_utf8_lossy(v.text()).into_owned()))
        .collect()
}

#[test]
fn what_a_provider_sends_beyond_the_model_comes_out_as_sent() {
    for (provider, file) in [
        ("anthropic", "anthropic_batch_ended.json"),
        ("anthropic", "anthropic_batch_in_progress.json"),
        ("mistral", "mistral_job_success.json"),
        ("gemini", "gemini_batch_succeeded.json"),
        ("together", "together_batch.json"),
        ("groq", "groq_batch.json"),
        ("azure", "azure_batch.json"),
    ] {
        let setup = setup(provider);
        let cx = setup.cx();
        let text = fixture(file);
        let mut out = Out::default();
        cx.api().batch(&cx, &mut Scanner::new(text.as_bytes()), &mut out).unwrap();
        let sent = Json::parse(text.as_bytes()).unwrap();
        let made = Json::parse(out.as_bytes()).unwrap();
        assert_eq!(passed(made), passed(sent), "{provider} {file}");
        for slot in Slot::ALL {
            assert!(made.get(slot.name()).is_some(), "{provider}: {} is always there", slot.name());
        }
        assert_eq!(made.get("id").unwrap().kind(), Kind::String, "{provider}");
        // Normalising our own output again changes nothing.
        let mut again = Out::default();
        cx.api().batch(&cx, &mut Scanner::new(out.as_bytes()), &mut again).unwrap();
        assert_eq!(again.as_bytes(), out.as_bytes(), "{provider} {file}: idempotent");
    }
}

#[test]
fn results_files_become_batch_results() {
    for (provider, file, lines) in
        [("anthropic", "anthropic_results.jsonl", 4), ("gemini", "gemini_responses.jsonl", 0)]
    {
        let setup = setup(provider);
        let text = fixture(file);
        let mut results = Results::new(setup.cx().api().result_line());
        let mut decoder = JsonlDecoder::new(Source::Output);
        decoder.push(text.as_bytes(), &mut results);
        decoder.finish(&mut results);
        let rows = results.take().0;
        let rows = Json::parse(&rows).unwrap();
        let count = rows.items().count();
        assert!(count > 0 && (lines == 0 || count == lines), "{provider}: {count} rows");
        for row in rows.items() {
            let error = row.get("error").unwrap();
            let custom = row.get("custom_id").unwrap();
            assert_eq!(custom.kind(), Kind::String, "{provider}: every row has its custom_id");
            if error.is_null() {
                let body = row.get("response").and_then(|r| r.get("body")).unwrap();
                assert_eq!(body.kind(), Kind::Object, "{provider}");
            } else {
                assert_eq!(error.get("code").unwrap().kind(), Kind::String, "{provider}: a code for every error");
            }
        }
    }
}
