//! Property tests over the core's untrusted-input paths: whatever a provider sends, normalising
//! never panics, keeps what it does not model exactly as sent (text, order, duplicates), gives the
//! same value when run again on its own output, and the JSONL decoder gives the same results
//! however the bytes are chunked.

use llm_batches::core::config::{ListQuery, Options, Runtime};
use llm_batches::core::json::{Json, Kind, Out, Scanner};
use llm_batches::core::jsonl::{JsonlDecoder, Results};
use llm_batches::core::model::batch::Slot;
use llm_batches::core::model::result::openai_line;
use llm_batches::core::model::Source;
use llm_batches::core::providers::{Setup, PROVIDERS};
use llm_batches::core::validate::validate;
use proptest::prelude::*;

/// JSON text, biased towards the keys and values providers send and the texts that trip parsers:
/// 17-digit doubles, integers past 2^64, `1e400`, `-0`, lone surrogates, escapes, non-ASCII.
fn json(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:?}")),
        prop_oneof![
            Just("0.9856906946328695"),
            Just("123456789012345678901234567890"),
            Just("1e400"),
            Just("-0"),
            Just("1E-400"),
            Just("2.0e2"),
            Just(r#""\ud800""#),
            Just(r#""\udc00x\ud83d\ude00""#),
            Just(r#""PROGRESS""#),
            Just(r#""canceled""#),
            Just(r#""2024-03-09T16:00:00Z""#),
            Just(r#""1710000000123""#),
            Just(r#""""#),
            Just(r#""{\"a\":\"b\"}""#),
            Just(r#""é👋\u0000\"\\""#),
            Just("1710000000"),
        ]
        .prop_map(str::to_owned),
        "[a-zé ]{0,8}".prop_map(|s| format!("{s:?}")),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let key = prop_oneof![
        prop::sample::select(vec![
            "id",
            "status",
            "created_at",
            "request_counts",
            "total",
            "completed",
            "failed",
            "errors",
            "metadata",
            "data",
            "has_more",
            "last_id",
            "output_file_id",
            "error",
            "model",
            "usage",
            "response",
            "body",
            "custom_id",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,6}",
    ];
    let inner = json(depth - 1);
    prop_oneof![
        3 => leaf,
        1 => prop::collection::vec(inner.clone(), 0..5).prop_map(|items| format!("[{}]", items.join(","))),
        2 => prop::collection::vec((key, inner), 0..7).prop_map(|entries| {
            let entries: Vec<String> = entries.into_iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
            format!("{{{}}}", entries.join(","))
        }),
    ]
    .boxed()
}

/// A batch as OpenAI sends it, with entries replaced, repeated or added.
fn batch_like() -> impl Strategy<Value = String> {
    let base = [
        (r#""id""#, r#""batch_1""#.to_owned()),
        (r#""object""#, r#""batch""#.to_owned()),
        (r#""endpoint""#, r#""/v1/chat/completions""#.to_owned()),
        (r#""status""#, r#""in_progress""#.to_owned()),
        (r#""created_at""#, "1714000000".to_owned()),
        (r#""request_counts""#, r#"{"total":10,"completed":3,"failed":0}"#.to_owned()),
        (r#""metadata""#, r#"{"note":"résumé ✓"}"#.to_owned()),
    ];
    let extra = prop::collection::vec(("[a-z_]{1,10}", json(2)), 0..5);
    let replaced = prop::collection::vec((0..base.len(), json(2)), 0..3);
    (extra, replaced, any::<bool>()).prop_map(move |(extra, replaced, duplicate)| {
        let mut entries: Vec<(String, String)> = base.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        for (i, value) in replaced {
            if let Some(entry) = entries.get_mut(i) {
                entry.1 = value;
            }
        }
        for (k, v) in extra {
            entries.push((format!("{k:?}"), v));
        }
        if duplicate {
            entries.push((r#""status""#.into(), r#""COMPLETED""#.into()));
        }
        let body: Vec<String> = entries.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
        format!("{{{}}}", body.join(","))
    })
}

/// A results line as providers write them, with each part sometimes missing, null, empty or odd.
fn result_like() -> impl Strategy<Value = String> {
    let body = prop_oneof![
        Just(r#"{"choices":[{"message":{"content":"hi"}}]}"#.to_owned()),
        Just(r#"{"error":{"message":"bad","type":"invalid_request_error"}}"#.to_owned()),
        Just("null".to_owned()),
        Just(r#""text""#.to_owned()),
        json(2),
    ];
    let response = prop_oneof![
        Just(None),
        Just(Some("null".to_owned())),
        body.prop_map(|b| Some(format!(r#"{{"status_code":200,"request_id":"r","body":{b}}}"#))),
        Just(Some(r#"{"status_code":200}"#.to_owned())),
    ];
    let error = prop_oneof![
        Just(None),
        Just(Some("null".to_owned())),
        Just(Some("{}".to_owned())),
        Just(Some(r#""""#.to_owned())),
        Just(Some(r#"{"code":"batch_expired","message":"expired"}"#.to_owned())),
        json(1).prop_map(Some),
    ];
    (response, error).prop_map(|(response, error)| {
        let mut parts = vec![r#""custom_id":"c1""#.to_owned()];
        parts.extend(response.map(|r| format!(r#""response":{r}"#)));
        parts.extend(error.map(|e| format!(r#""error":{e}"#)));
        format!("{{{}}}", parts.join(","))
    })
}

/// Anthropic's and Gemini's results lines, each part sometimes odd.
fn native_result_like() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#"{"custom_id":"a","result":{"type":"succeeded","message":{"id":"m","content":[]}}}"#.to_owned()),
        Just(r#"{"custom_id":"a","result":{"type":"succeeded","message":"oops"}}"#.to_owned()),
        Just(r#"{"custom_id":"b","result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"x"}}}}"#.to_owned()),
        Just(r#"{"custom_id":"c","result":{"type":"canceled"}}"#.to_owned()),
        Just(r#"{"custom_id":"d","result":{"type":"paused"}}"#.to_owned()),
        Just(r#"{"custom_id":"e","result":null}"#.to_owned()),
        Just(r#"{"response":{"candidates":[]},"key":"k"}"#.to_owned()),
        Just(r#"{"response":"text","key":"k"}"#.to_owned()),
        Just(r#"{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"},"key":"k"}"#.to_owned()),
        Just(r#"{"error":{"code":"x"},"key":"k"}"#.to_owned()),
        json(2).prop_map(|v| format!(r#"{{"custom_id":"f","result":{v}}}"#)),
        json(2).prop_map(|v| format!(r#"{{"key":"g","response":{v}}}"#)),
    ]
}

fn config(provider: &str) -> Setup {
    let options = Options {
        api_key: Some("sk-test".into()),
        provider: Some(provider.into()),
        base_url: Some("https://x.example/v1".into()),
        ..Options::default()
    };
    Setup::new(options, Runtime::Server).unwrap()
}

fn batch_text(setup: &Setup, body: &str) -> Option<String> {
    let mut scan = Scanner::new(body.as_bytes());
    let mut out = Out::default();
    setup.provider.api.batch(&setup.cx(), &mut scan, &mut out).ok()?;
    scan.at_end().ok()?;
    Some(String::from_utf8(out.into_parts().0).unwrap())
}

/// Every key of the input that is not modelled, with its value's text, in order.
fn passed_through(text: &str) -> Vec<(String, String)> {
    let json = Json::parse(text.as_bytes()).unwrap();
    let modelled: Vec<&str> = Slot::ALL.iter().map(|s| s.name()).chain(["total", "completed", "failed"]).collect();
    json.entries()
        .filter(|(k, _)| !modelled.iter().any(|m| k.is_str(m)))
        .map(|(k, v)| (String::from_utf8_lossy(k.text()).into_owned(), String::from_utf8_lossy(v.text()).into_owned()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_providers_batch_normaliser_is_total_and_idempotent(body in prop_oneof![json(3), batch_like()]) {
        for provider in PROVIDERS {
            let config = config(provider.name);
            if let Some(once) = batch_text(&config, &body) {
                let json = Json::parse(once.as_bytes()).expect("the normaliser wrote invalid JSON");
                prop_assert_eq!(json.kind(), Kind::Object);
                prop_assert!(json.get("id").is_some_and(|v| v.kind() == Kind::String), "{}", once);
                prop_assert!(json.get("status").is_some_and(|v| v.kind() == Kind::String), "{}", once);
                prop_assert!(json.get("request_counts").is_some_and(|v| v.kind() == Kind::Object), "{}", once);
                let twice = batch_text(&config, &once);
                prop_assert_eq!(twice.as_deref(), Some(once.as_str()), "normalising again changed it ({})", provider.name);
            }
        }
    }

    #[test]
    fn what_is_not_modelled_passes_through_as_sent(body in batch_like()) {
        let config = config("openai");
        if let Some(out) = batch_text(&config, &body) {
            prop_assert_eq!(passed_through(&out), passed_through(&body), "{} -> {}", body, out);
        }
    }

    #[test]
    fn pages_are_total_and_count_their_batches(items in prop::collection::vec(batch_like(), 0..6), has_more in any::<bool>(), bare in any::<bool>()) {
        let data = format!("[{}]", items.join(","));
        let body = if bare { data } else { format!(r#"{{"object":"list","data":{data},"has_more":{has_more}}}"#) };
        let config = config("openai");
        let mut out = Out::default();
        if let Ok(summary) = config.provider.api.page(&config.cx(), &mut Scanner::new(body.as_bytes()), &ListQuery::default(), &mut out) {
            let page = Json::parse(out.as_bytes()).expect("the page writer wrote invalid JSON");
            prop_assert_eq!(summary.len, page.get("data").map_or(0, |d| d.items().count()));
            prop_assert_eq!(summary.len, items.len());
            prop_assert_eq!(summary.has_more, has_more && !bare);
            let last = page.get("data").and_then(|d| d.items().last()).and_then(|b| b.get("id")).and_then(|i| i.as_str()).map(|s| s.into_owned());
            prop_assert_eq!(summary.last_id, last);
        }
    }

    #[test]
    fn jsonl_does_not_depend_on_chunking(lines in prop::collection::vec(prop_oneof![json(3), Just(String::new()), Just("{oops".to_owned())], 0..8), size in 1usize..64, crlf in any::<bool>()) {
        let file = lines.join(if crlf { "\r\n" } else { "\n" });
        let decode = |chunk: usize| {
            let mut decoder = JsonlDecoder::new(Source::Output);
            let mut results = Results::new(openai_line);
            for piece in file.as_bytes().chunks(chunk) {
                decoder.push(piece, &mut results);
            }
            decoder.finish(&mut results);
            let (text, _) = results.take();
            text
        };
        let whole = decode(usize::MAX);
        let array = Json::parse(&whole).expect("results text is invalid JSON");
        prop_assert_eq!(array.items().count(), lines.iter().filter(|l| !l.trim().is_empty()).count());
        prop_assert_eq!(decode(size), whole);
    }

    #[test]
    fn a_result_without_an_error_has_a_response_body_object(lines in prop::collection::vec(prop_oneof![result_like(), native_result_like(), json(3)], 1..6), which in 0..PROVIDERS.len()) {
        let mut decoder = JsonlDecoder::new(Source::Output);
        let mut results = Results::new(PROVIDERS[which].api.result_line());
        decoder.push(lines.join("\n").as_bytes(), &mut results);
        decoder.finish(&mut results);
        let (text, _) = results.take();
        let array = Json::parse(&text).expect("results text is invalid JSON");
        prop_assert_eq!(array.items().count(), lines.len());
        for row in array.items() {
            let error = row.get("error").expect("every row has an error key");
            if error.is_null() {
                let body = row.get("response").and_then(|r| r.get("body")).map(|b| b.kind());
                prop_assert_eq!(body, Some(Kind::Object), "error null without a body object: {}", String::from_utf8_lossy(row.text()));
            } else {
                prop_assert_eq!(error.kind(), Kind::Object);
            }
        }
    }

    #[test]
    fn validation_is_total(text in prop::collection::vec(prop_oneof![json(2), Just(String::new())], 0..6)) {
        let text = text.join("\n");
        let report = validate(text.as_bytes(), "/v1/chat/completions", &PROVIDERS[0]);
        prop_assert!(report.count <= text.lines().count());
        prop_assert!(Json::parse(report.to_json().as_bytes()).is_ok());
    }
}
