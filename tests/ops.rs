//! The call policies, natively: each core operation driven step by step against an in-memory
//! OpenAI-like provider with scripted faults and a clock that only moves when the operation sleeps.
//! Tables say what the provider does and what must come of it: requests sent, sleeps, callbacks,
//! the result, and for `create` how many batches exist afterwards.

use std::collections::VecDeque;

use llm_batches::core::config::{Options, Runtime};
use llm_batches::core::http::{Body as RequestBody, Head, Header, Method, Request};
use llm_batches::core::json::Json;
use llm_batches::core::ops::calls::Call;
use llm_batches::core::ops::create::Create;
use llm_batches::core::ops::pager::Pager;
use llm_batches::core::ops::resubmit::{Resubmit, UsageOp};
use llm_batches::core::ops::results::Target;
use llm_batches::core::ops::submit::Submit;
use llm_batches::core::ops::submit_all::SubmitAll;
use llm_batches::core::ops::wait::Wait;
use llm_batches::core::ops::watch::Watch;
use llm_batches::core::ops::{Action, Body, Env, Event, NoReply, Op, Reply};
use llm_batches::core::providers::Setup;
use llm_batches::core::{ErrorKind, ListQuery};

const START_MS: f64 = 1_714_000_000_000.0;

/// What the provider does with one request.
#[derive(Debug, Clone)]
enum Fault {
    /// Answer normally.
    Fine,
    /// This status, with the OpenAI error body (`retry-after-ms: 10` for retryable statuses when `hint`).
    Status(u16, bool),
    /// Make the batch (for a create), then drop the connection.
    DropAfter,
    /// Drop the connection before doing anything.
    Drop,
    /// No answer (the attempt times out); with `Some(ms)`, the batch is made that much later.
    Hang(Option<f64>),
    /// 200 with a body that is not JSON (nothing made).
    Malformed,
}

#[derive(Debug, Clone)]
struct Batch {
    id: String,
    created_ms: f64,
    status: String,
    metadata: String,
    input_file_id: String,
}

/// An in-memory provider: batches newest first, faults scripted per route.
struct Provider {
    batches: Vec<Batch>,
    create_faults: VecDeque<Fault>,
    list_faults: VecDeque<Fault>,
    retrieve_faults: VecDeque<Fault>,
    /// A batch shows in the list only this long after it was made.
    list_lag_ms: f64,
    oldest_first: bool,
    /// Statuses a retrieved batch goes through, one per retrieve (the last one stays).
    statuses: VecDeque<&'static str>,
    landing: Vec<(f64, Batch)>,
    next: u32,
    log: Vec<String>,
}

impl Provider {
    fn new() -> Self {
        Provider {
            batches: Vec::new(),
            create_faults: VecDeque::new(),
            list_faults: VecDeque::new(),
            retrieve_faults: VecDeque::new(),
            list_lag_ms: 0.0,
            oldest_first: false,
            statuses: VecDeque::new(),
            landing: Vec::new(),
            next: 0,
            log: Vec::new(),
        }
    }

    fn with_batches(mut self, n: usize, created_ms: f64) -> Self {
        for i in 0..n {
            let id = format!("old_{i}");
            let created = created_ms - 1000.0 * i as f64;
            self.batches.push(Batch {
                id,
                created_ms: created,
                status: "completed".into(),
                metadata: "{}".into(),
                input_file_id: "file-1".into(),
            });
        }
        self
    }

    fn batch_json(b: &Batch) -> String {
        format!(
            r#"{{"id":"{}","object":"batch","endpoint":"/v1/chat/completions","status":"{}","input_file_id":"{}","created_at":{},"metadata":{},"request_counts":{{"total":1,"completed":0,"failed":0}}}}"#,
            b.id,
            b.status,
            b.input_file_id,
            (b.created_ms / 1000.0) as i64,
            b.metadata
        )
    }

    fn make(&mut self, request: &Request, now: f64) -> Batch {
        self.next += 1;
        let RequestBody::Json(body) = &request.body else { panic!("create without a JSON body") };
        let params = Json::parse(body.as_bytes()).unwrap();
        let metadata =
            params.get("metadata").map_or("{}".to_owned(), |m| String::from_utf8_lossy(m.text()).into_owned());
        let input = params.get("input_file_id").and_then(|v| v.as_str()).unwrap().into_owned();
        Batch {
            id: format!("batch_{}", self.next),
            created_ms: now,
            status: "validating".into(),
            metadata,
            input_file_id: input,
        }
    }

    fn answer(status: u16, body: String) -> Reply {
        Reply::Answer(Head::new(status), Body::Read(body.into_bytes()))
    }

    fn error(status: u16, hint: bool) -> Reply {
        let mut head = Head::new(status);
        if hint && (status == 429 || status >= 500) {
            head.set(Header::RetryAfterMs, "10");
        }
        let body = format!(r#"{{"error":{{"message":"injected {status}","type":"x","code":"c{status}"}}}}"#);
        Reply::Answer(head, Body::Read(body.into_bytes()))
    }

    fn serve(&mut self, request: &Request, now: f64) -> Reply {
        // Late batches land first.
        let (landed, pending): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.landing).into_iter().partition(|(at, _)| *at <= now);
        self.landing = pending;
        for (_, b) in landed {
            self.batches.insert(0, b);
        }
        let path = request.url.trim_start_matches("https://x.example/v1");
        let route = match (request.method, path) {
            (Method::Post, "/batches") => "create",
            (Method::Get, p) if p.starts_with("/batches?") || p == "/batches" => "list",
            (Method::Get, _) => "retrieve",
            _ => "other",
        };
        self.log.push(route.to_owned());
        let fault = match route {
            "create" => self.create_faults.pop_front(),
            "list" => self.list_faults.pop_front(),
            "retrieve" => self.retrieve_faults.pop_front(),
            _ => None,
        }
        .unwrap_or(Fault::Fine);
        match (route, fault) {
            (_, Fault::Status(s, hint)) => Self::error(s, hint),
            (_, Fault::Drop) => Reply::None(NoReply::Connection { detail: "reset".into(), refused: false }),
            (_, Fault::Malformed) => Self::answer(200, r#"{"id": "batch_"#.into()),
            ("create", Fault::DropAfter) => {
                let b = self.make(request, now);
                self.batches.insert(0, b);
                Reply::None(NoReply::Connection { detail: "reset".into(), refused: false })
            }
            ("create", Fault::Hang(land)) => {
                if let Some(after) = land {
                    let b = self.make(request, now + after);
                    self.landing.push((now + after, b));
                }
                Reply::None(NoReply::Timeout)
            }
            (_, Fault::Hang(_)) => Reply::None(NoReply::Timeout),
            ("create", _) => {
                let b = self.make(request, now);
                let json = Self::batch_json(&b);
                self.batches.insert(0, b);
                Self::answer(200, json)
            }
            ("list", _) => {
                let query = path.split_once('?').map_or("", |(_, q)| q);
                let param = |name: &str| {
                    query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).map(str::to_owned)
                };
                let limit: usize = param("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
                let mut listed: Vec<&Batch> =
                    self.batches.iter().filter(|b| b.created_ms <= now - self.list_lag_ms).collect();
                if self.oldest_first {
                    listed.reverse();
                }
                let start = match param("after") {
                    Some(after) => listed.iter().position(|b| b.id == after).map_or(0, |i| i + 1),
                    None => 0,
                };
                let page: Vec<String> = listed.iter().skip(start).take(limit).map(|b| Self::batch_json(b)).collect();
                let has_more = start + page.len() < listed.len();
                Self::answer(200, format!(r#"{{"object":"list","data":[{}],"has_more":{has_more}}}"#, page.join(",")))
            }
            ("retrieve", _) => {
                let id = path.trim_start_matches("/batches/");
                let status =
                    if self.statuses.len() > 1 { self.statuses.pop_front() } else { self.statuses.front().copied() };
                match self.batches.iter_mut().find(|b| b.id == id) {
                    Some(b) => {
                        if let Some(s) = status {
                            b.status = s.into();
                        }
                        Self::answer(200, Self::batch_json(b))
                    }
                    None => Self::error(404, false),
                }
            }
            _ => Self::error(404, false),
        }
    }
}

fn config(max_retries: f64) -> Setup {
    let options = Options {
        api_key: Some("sk-test".into()),
        base_url: Some("https://x.example/v1".into()),
        max_retries: Some(max_retries),
        timeout_ms: Some(300.0),
        ..Options::default()
    };
    Setup::new(options, Runtime::Server).unwrap()
}

/// What a run did: every action, in words, and how it ended.
#[derive(Debug)]
struct Run {
    trace: Vec<String>,
    result: Result<Option<String>, (ErrorKind, Option<u16>, String)>,
    elapsed_ms: f64,
}

impl Run {
    fn count(&self, prefix: &str) -> usize {
        self.trace.iter().filter(|t| t.starts_with(prefix)).count()
    }

    fn ok(&self) -> Json<'_> {
        match &self.result {
            Ok(Some(text)) => Json::parse(text.as_bytes()).unwrap(),
            other => panic!("expected a result, got {other:?} after {:?}", self.trace),
        }
    }
}

fn run(op: &mut dyn Op, config: &Setup, provider: &mut Provider) -> Run {
    let mut now = START_MS;
    let mut trace = Vec::new();
    let mut event = Event::Start;
    for _ in 0..100_000 {
        let env = Env { cx: config.cx(), now_ms: now, random: 0.5 };
        event = match op.step(&env, event) {
            Action::Send { request, timeout_ms, .. } => {
                let reply = provider.serve(&request, now);
                if matches!(reply, Reply::None(NoReply::Timeout)) {
                    now += f64::from(timeout_ms);
                }
                trace.push(format!("send {}", provider.log.last().cloned().unwrap_or_default()));
                Event::Reply(reply)
            }
            Action::Sleep(ms) => {
                trace.push(format!("sleep {ms}"));
                now += f64::from(ms);
                Event::Woke
            }
            Action::Notify(notice, text) => {
                let status = text
                    .as_ref()
                    .and_then(|t| t.json())
                    .and_then(|b| b.get("status"))
                    .and_then(|s| s.as_str())
                    .map(|s| s.into_owned());
                trace.push(format!("notify {notice:?} {}", status.unwrap_or_default()));
                Event::Called
            }
            Action::NotifyError(error) => {
                trace.push(format!("error {:?} {:?}", error.kind, error.status));
                Event::Called
            }
            Action::ReadChunk { .. } => Event::Chunk(Ok(None)),
            Action::Yield(text) => {
                trace.push(format!(
                    "yield {}",
                    text.json().and_then(|p| p.get("data")).map_or(0, |d| d.items().count())
                ));
                Event::Resumed
            }
            Action::Done(result) => {
                let result = result
                    .map(|t| t.map(|t| String::from_utf8(t.bytes).unwrap()))
                    .map_err(|e| (e.kind, e.status, e.message));
                return Run { trace, result, elapsed_ms: now - START_MS };
            }
            Action::DoneWithResponse => return Run { trace, result: Ok(None), elapsed_ms: now - START_MS },
        };
    }
    panic!("the operation did not finish: {trace:?}");
}

fn create(max_retries: f64, provider: &mut Provider) -> Run {
    let params = r#"{"input_file_id":"file-1","endpoint":"/v1/chat/completions","metadata":{"job":"t"}}"#;
    run(&mut Create::new(params.into()), &config(max_retries), provider)
}

/// The batches this call could have made (those with a marker).
fn made(provider: &Provider) -> usize {
    let landed = provider.landing.len();
    landed + provider.batches.iter().filter(|b| b.metadata.contains("llm_batches_call")).count()
}

#[test]
fn create_resends_only_when_nothing_can_have_been_made() {
    use Fault::*;
    // (faults of the creates, faults of the lists, creates sent, lookups, outcome, batches made)
    type Row = (Vec<Fault>, Vec<Fault>, usize, usize, Option<ErrorKind>, usize);
    let table: Vec<Row> = vec![
        (vec![], vec![], 1, 0, None, 1),
        (vec![Status(429, true)], vec![], 2, 0, None, 1),
        (vec![Status(429, true); 3], vec![], 3, 0, Some(ErrorKind::Api), 0),
        (vec![Status(503, true)], vec![], 2, 0, None, 1),
        // A 500: looked for in every round, then sent once more; never a third time.
        (vec![Status(500, false)], vec![], 2, 3, None, 1),
        (vec![Status(500, false); 5], vec![], 2, 6, Some(ErrorKind::Api), 0),
        // Failures that leave the first request possibly alive: look, never resend.
        (vec![Status(502, false)], vec![], 1, 3, Some(ErrorKind::Api), 0),
        (vec![Status(503, false)], vec![], 1, 3, Some(ErrorKind::Api), 0),
        (vec![Status(504, false)], vec![], 1, 3, Some(ErrorKind::Api), 0),
        (vec![Drop], vec![], 1, 3, Some(ErrorKind::Connection), 0),
        (vec![Hang(None)], vec![], 1, 3, Some(ErrorKind::Timeout), 0),
        (vec![Malformed], vec![], 1, 3, Some(ErrorKind::InvalidResponse), 0),
        // Made, then the answer was lost: found on the first page.
        (vec![DropAfter], vec![], 1, 1, None, 1),
        // Made after the client gave up (landing 1 s after a 300 ms timeout): found in round 2.
        (vec![Hang(Some(1_000.0))], vec![], 1, 2, None, 1),
        // The lookup itself fails (three attempts): the create's own error, and no resend.
        (vec![DropAfter], vec![Status(500, false); 3], 1, 3, Some(ErrorKind::Connection), 1),
        // Client errors are the caller's to fix.
        (vec![Status(400, false)], vec![], 1, 0, Some(ErrorKind::Api), 0),
        (vec![Status(409, false)], vec![], 1, 0, Some(ErrorKind::Api), 0),
    ];
    for (i, (creates, lists, sent, lookups, outcome, batches)) in table.into_iter().enumerate() {
        let mut provider = Provider::new();
        provider.create_faults = creates.into();
        provider.list_faults = lists.into();
        let r = create(2.0, &mut provider);
        let what = format!("case {i}: {:?} {:?}", r.trace, r.result);
        assert_eq!(r.count("send create"), sent, "{what}");
        assert_eq!(r.count("send list"), lookups, "{what}");
        assert_eq!(r.result.as_ref().err().map(|e| e.0), outcome, "{what}");
        assert_eq!(made(&provider), batches, "{what}");
        if let Ok(Some(_)) = &r.result {
            let marker = r
                .ok()
                .get("metadata")
                .and_then(|m| m.get("llm_batches_call"))
                .and_then(|v| v.as_str())
                .map(|s| s.into_owned());
            let mine: Vec<&Batch> =
                provider.batches.iter().filter(|b| marker.as_deref().is_some_and(|m| b.metadata.contains(m))).collect();
            assert_eq!(mine.len(), 1, "{what}: the returned batch is the one this call made");
            assert_eq!(r.ok().get("id").unwrap().as_str().unwrap(), mine[0].id, "{what}");
        }
    }
}

#[test]
fn create_never_takes_an_older_batch_from_the_same_file() {
    // Many older batches of the same input file; the connection drops before anything is made.
    let mut provider = Provider::new().with_batches(30, START_MS - 30_000.0);
    provider.create_faults = vec![Fault::Drop].into();
    let r = create(2.0, &mut provider);
    assert_eq!(r.result.as_ref().map_err(|e| e.0).err(), Some(ErrorKind::Connection), "{:?}", r.trace);
    assert_eq!(made(&provider), 0);
    assert!(r.result.unwrap_err().2.contains("llm_batches_call"), "the error says what to look for");
}

#[test]
fn create_allows_for_listing_lag_and_lists_in_either_order() {
    for (lag, oldest_first, lookups) in
        [(0.0, false, 1), (1_000.0, false, 2), (4_000.0, false, 3), (0.0, true, 1), (1_000.0, true, 2)]
    {
        let mut provider = Provider::new().with_batches(250, START_MS - 600_000.0);
        provider.list_lag_ms = lag;
        provider.oldest_first = oldest_first;
        provider.create_faults = vec![Fault::DropAfter].into();
        let r = create(2.0, &mut provider);
        assert!(r.result.is_ok(), "lag {lag}, oldest first {oldest_first}: {:?}", r.result);
        // Oldest first, the batch is on the last of 3 pages; newest first, on the first (and the
        // first page's old batches end the round).
        let pages = if oldest_first { 3 } else { 1 };
        assert_eq!(
            r.count("send list"),
            (lookups - 1) * pages + pages,
            "lag {lag}, oldest first {oldest_first}: {:?}",
            r.trace
        );
        assert_eq!(made(&provider), 1);
    }
}

#[test]
fn create_looks_at_most_twenty_pages_a_round() {
    let mut provider = Provider::new().with_batches(5_000, START_MS - 600_000.0);
    provider.oldest_first = true;
    provider.create_faults = vec![Fault::Drop].into();
    let r = create(2.0, &mut provider);
    assert_eq!(r.count("send list"), 3 * 20, "{:?}", r.trace.len());
    assert!(r.result.is_err());
}

#[test]
fn create_without_room_for_the_marker_never_looks_and_never_resends() {
    let pairs: Vec<String> = (0..16).map(|i| format!(r#""k{i}":"v""#)).collect();
    let params =
        format!(r#"{{"input_file_id":"file-1","endpoint":"/v1/chat/completions","metadata":{{{}}}}}"#, pairs.join(","));
    let mut provider = Provider::new();
    provider.create_faults = vec![Fault::Status(500, false)].into();
    let r = run(&mut Create::new(params), &config(2.0), &mut provider);
    assert_eq!((r.count("send create"), r.count("send list")), (1, 0), "{:?}", r.trace);
    assert!(r.result.unwrap_err().2.contains("cannot tell"));
}

#[test]
fn reads_retry_with_the_common_backoff_and_server_hints() {
    use Fault::*;
    // (retrieve faults, max retries, sends, sleeps, outcome)
    type Row = (Vec<Fault>, f64, usize, Vec<u32>, Option<ErrorKind>);
    let table: Vec<Row> = vec![
        (vec![], 2.0, 1, vec![], None),
        (vec![Status(500, false)], 2.0, 2, vec![437], None),
        (vec![Status(500, false), Status(503, false)], 2.0, 3, vec![437, 875], None),
        (vec![Status(500, false); 3], 2.0, 3, vec![437, 875], Some(ErrorKind::Api)),
        (vec![Status(429, true)], 2.0, 2, vec![10], None),
        (vec![Drop, Hang(None)], 2.0, 3, vec![437, 875], None),
        (vec![Status(404, false)], 2.0, 1, vec![], Some(ErrorKind::Api)),
        (vec![Malformed], 2.0, 1, vec![], Some(ErrorKind::InvalidResponse)),
        (vec![Status(500, false)], 0.0, 1, vec![], Some(ErrorKind::Api)),
    ];
    for (i, (faults, retries, sends, sleeps, outcome)) in table.into_iter().enumerate() {
        let mut provider = Provider::new().with_batches(1, START_MS);
        provider.retrieve_faults = faults.into();
        let config = config(retries);
        let r = run(&mut Call::retrieve(&config.cx(), "old_0").unwrap(), &config, &mut provider);
        let slept: Vec<u32> =
            r.trace.iter().filter_map(|t| t.strip_prefix("sleep ")).map(|s| s.parse().unwrap()).collect();
        assert_eq!(
            (r.count("send"), slept, r.result.as_ref().err().map(|e| e.0)),
            (sends, sleeps, outcome),
            "case {i}: {:?}",
            r.trace
        );
    }
}

#[test]
fn wait_for_polls_until_terminal_rides_out_failures_and_keeps_its_deadline() {
    use Fault::*;
    // (statuses per poll, retrieve faults, timeout, polls, progress calls, outcome)
    type Row = (Vec<&'static str>, Vec<Fault>, Option<f64>, usize, usize, Option<ErrorKind>);
    let table: Vec<Row> = vec![
        (vec!["validating", "in_progress", "completed"], vec![], None, 3, 3, None),
        (vec!["completed"], vec![], None, 1, 1, None),
        // A failed poll (its own retries spent: maxRetries 0) is ridden out.
        (vec!["in_progress", "completed"], vec![Status(500, false)], None, 3, 2, None),
        // Five failed polls in a row are; a sixth ends it.
        (vec!["completed"], vec![Status(503, false); 6], None, 6, 0, Some(ErrorKind::Api)),
        (vec!["completed"], vec![Status(503, false); 5], None, 6, 1, None),
        (vec!["in_progress"], vec![], Some(95_000.0), 4, 4, Some(ErrorKind::Timeout)),
        (vec!["completed"], vec![Status(401, false)], None, 1, 0, Some(ErrorKind::Api)),
    ];
    for (i, (statuses, faults, timeout, polls, progress, outcome)) in table.into_iter().enumerate() {
        let mut provider = Provider::new().with_batches(1, START_MS);
        provider.statuses = statuses.into();
        provider.retrieve_faults = faults.into();
        let r = run(&mut Wait::new("old_0".into(), 30_000, timeout), &config(0.0), &mut provider);
        let what = format!("case {i}: {:?} {:?}", r.trace, r.result);
        assert_eq!(r.count("send retrieve"), polls, "{what}");
        assert_eq!(r.count("notify Progress"), progress, "{what}");
        assert_eq!(r.result.as_ref().err().map(|e| e.0), outcome, "{what}");
        if let Some(t) = timeout {
            assert!(r.elapsed_ms <= t + 1.0, "{what}: ran {} ms past a {t} ms timeout", r.elapsed_ms);
        }
        // Never a busy loop: every poll after the first comes after a sleep.
        assert!(r.count("sleep") + 1 >= polls, "{what}");
    }
}

#[test]
fn watch_reports_changes_drops_unknown_and_mismatched_ids_and_backs_off() {
    let mut provider = Provider::new().with_batches(3, START_MS);
    provider.batches[0].status = "in_progress".into();
    // old_1 and old_2 are completed and on the first page; "ghost" does not exist.
    let mut watch = Watch::new(Some(vec!["old_0".into(), "old_1".into(), "ghost".into()]), 10_000);
    let config = config(0.0);
    // Finish old_0 after the second cycle: retrieves are not needed, lists show it.
    let mut trace = Vec::new();
    let mut now = START_MS;
    let mut event = Event::Start;
    let mut cycles = 0;
    let result = loop {
        if cycles == 2 {
            provider.batches[0].status = "completed".into();
        }
        let env = Env { cx: config.cx(), now_ms: now, random: 0.5 };
        event = match watch.step(&env, event) {
            Action::Send { request, .. } => {
                let reply = provider.serve(&request, now);
                trace.push(format!("send {}", provider.log.last().unwrap()));
                Event::Reply(reply)
            }
            Action::Sleep(ms) => {
                trace.push(format!("sleep {ms}"));
                now += f64::from(ms);
                Event::Woke
            }
            Action::Notify(notice, text) => {
                if notice == llm_batches::core::ops::Notice::Cycle {
                    cycles += 1;
                }
                let id = text
                    .as_ref()
                    .and_then(|t| t.json())
                    .and_then(|b| b.get("id"))
                    .and_then(|s| s.as_str())
                    .map(|s| s.into_owned());
                trace.push(format!("notify {notice:?} {}", id.unwrap_or_default()));
                Event::Called
            }
            Action::NotifyError(e) => {
                trace.push(format!("error {:?}", e.status));
                Event::Called
            }
            Action::Done(result) => break result,
            other => panic!("{other:?}"),
        };
        assert!(trace.len() < 1000, "{trace:?}");
    };
    let batches = result.unwrap().unwrap();
    let json = Json::parse(&batches.bytes).unwrap();
    let ids: Vec<String> = json.items().map(|b| b.get("id").unwrap().as_str().unwrap().into_owned()).collect();
    assert_eq!(ids, ["old_0", "old_1"], "the watched batches, in the order asked, without the unknown one");
    assert_eq!(trace.iter().filter(|t| *t == "error Some(404)").count(), 1, "{trace:?}");
    assert_eq!(trace.iter().filter(|t| t.starts_with("notify Update old_1")).count(), 1, "reported once: {trace:?}");
    assert_eq!(
        trace.iter().filter(|t| t.starts_with("notify Update old_0")).count(),
        2,
        "first seen, then completed: {trace:?}"
    );
    assert_eq!(trace.iter().filter(|t| *t == "send retrieve").count(), 1, "only the id not on the pages: {trace:?}");
}

#[test]
fn watch_backs_off_doubling_while_cycles_fail() {
    let mut provider = Provider::new().with_batches(1, START_MS);
    provider.list_faults = vec![Fault::Status(503, false); 4].into();
    let mut watch = Watch::new(Some(vec!["old_0".into()]), 10_000);
    let r = run(&mut watch, &config(0.0), &mut provider);
    let slept: Vec<u32> = r.trace.iter().filter_map(|t| t.strip_prefix("sleep ")).map(|s| s.parse().unwrap()).collect();
    assert_eq!(slept, [20_000, 40_000, 80_000, 160_000], "{:?}", r.trace);
    assert_eq!(r.count("error"), 4);
    assert!(r.result.is_ok(), "the fifth cycle sees the completed batch: {:?}", r.result);
}

#[test]
fn watch_drops_an_id_answered_with_another_batch() {
    // The provider answers the retrieve of "asked" with a batch whose id is "other".
    let mut provider = Provider::new().with_batches(1, START_MS);
    provider.batches[0].id = "other".into();
    provider.batches[0].status = "in_progress".into();
    let mut watch = Watch::new(Some(vec!["asked".into()]), 1_000);
    let config = config(0.0);
    let mut event = Event::Start;
    let mut trace = Vec::new();
    let result = loop {
        let env = Env { cx: config.cx(), now_ms: START_MS, random: 0.0 };
        event = match watch.step(&env, event) {
            Action::Send { request, .. } => {
                let is_retrieve = request.url.ends_with("/batches/asked");
                trace.push(if is_retrieve { "retrieve" } else { "list" });
                if is_retrieve {
                    Event::Reply(Provider::answer(200, Provider::batch_json(&provider.batches[0])))
                } else {
                    Event::Reply(provider.serve(&request, START_MS))
                }
            }
            Action::NotifyError(_) => {
                trace.push("error");
                Event::Called
            }
            Action::Notify(..) => Event::Called,
            Action::Sleep(_) => Event::Woke,
            Action::Done(result) => break result,
            other => panic!("{other:?}"),
        };
        assert!(trace.len() < 50, "a watch that never ends: {trace:?}");
    };
    assert_eq!(trace, ["list", "retrieve", "error"]);
    assert_eq!(result.unwrap().unwrap().bytes, b"[]");
}

#[test]
fn list_all_follows_the_cursor_and_never_spins() {
    let mut provider = Provider::new().with_batches(7, START_MS);
    let config = config(0.0);
    let r = run(&mut Pager::new(ListQuery { limit: Some(3), ..ListQuery::default() }), &config, &mut provider);
    let yields: Vec<&String> = r.trace.iter().filter(|t| t.starts_with("yield")).collect();
    assert_eq!(yields, ["yield 3", "yield 3", "yield 1"]);
    assert_eq!(r.result, Ok(None));
}

// ---- the other API families, against scripted answers ---------------------------------------

/// A provider's client for `name`, at `https://x.example/v1`.
fn setup_for(name: &str) -> Setup {
    let options = Options {
        api_key: Some("sk-test-key".into()),
        provider: Some(name.into()),
        base_url: Some("https://x.example/v1".into()),
        max_retries: Some(0.0),
        ..Options::default()
    };
    Setup::new(options, Runtime::Server).unwrap()
}

/// One expected request (`METHOD path-after-the-base`, matched as a prefix) and its answer.
struct Step {
    expect: &'static str,
    status: u16,
    headers: Vec<(Header, &'static str)>,
    body: &'static str,
}

fn answer(expect: &'static str, status: u16, body: &'static str) -> Step {
    Step { expect, status, headers: Vec::new(), body }
}

/// Runs `op` against `steps` in order; every request must be the one expected. Answers the
/// requests sent (method, path, body as text), the sleeps, and the result.
fn script(op: &mut dyn Op, setup: &Setup, steps: Vec<Step>) -> (Vec<(String, String)>, Vec<u32>, Run) {
    let mut steps = steps.into_iter();
    let mut sent = Vec::new();
    let mut sleeps = Vec::new();
    let mut now = START_MS;
    let mut event = Event::Start;
    let mut stream: Option<Vec<u8>> = None;
    let mut yields = Vec::new();
    for _ in 0..1_000 {
        let env = Env { cx: setup.cx(), now_ms: now, random: 0.5 };
        event = match op.step(&env, event) {
            Action::ReadChunk { .. } => Event::Chunk(Ok(stream.take())),
            Action::Yield(text) => {
                yields.push(String::from_utf8(text.bytes).unwrap());
                Event::Resumed
            }
            Action::Send { request, read, .. } => {
                let path = request.url.trim_start_matches("https://x.example/v1").to_owned();
                let line = format!("{} {path}", request.method.as_str());
                let body = match &request.body {
                    RequestBody::Json(text) => text.clone(),
                    RequestBody::Raw(llm_batches::core::http::Content::Bytes(bytes)) => {
                        String::from_utf8_lossy(bytes).into_owned()
                    }
                    RequestBody::Form(form) => match &form.content {
                        llm_batches::core::http::Content::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                        other => format!("{other:?}"),
                    },
                    other => format!("{other:?}"),
                };
                let headers: Vec<String> = request.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
                sent.push((line.clone(), format!("{body}\n{}", headers.join("\n"))));
                let step = steps.next().unwrap_or_else(|| panic!("unexpected request {line}"));
                assert!(line.starts_with(step.expect), "sent {line}, expected {}", step.expect);
                let mut head = Head::new(step.status);
                for (name, value) in step.headers {
                    head.set(name, value);
                }
                match read {
                    llm_batches::core::ops::Read::Stream if (200..300).contains(&step.status) => {
                        stream = Some(step.body.as_bytes().to_vec());
                        Event::Reply(Reply::Answer(head, Body::Open))
                    }
                    _ => Event::Reply(Reply::Answer(head, Body::Read(step.body.as_bytes().to_vec()))),
                }
            }
            Action::Sleep(ms) => {
                sleeps.push(ms);
                now += f64::from(ms);
                Event::Woke
            }
            Action::Done(result) => {
                let result = result
                    .map(|t| t.map(|t| String::from_utf8(t.bytes).unwrap()))
                    .map_err(|e| (e.kind, e.status, e.message));
                assert!(steps.next().is_none(), "requests expected but not sent");
                return (sent, sleeps, Run { trace: yields, result, elapsed_ms: now - START_MS });
            }
            other => panic!("unexpected action {other:?}"),
        };
    }
    panic!("the operation did not finish");
}

const CHAT_LINE: &str =
    r#"{"custom_id":"r1","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[]}}"#;

#[test]
fn anthropic_submit_sends_the_requests_inline_in_one_create() {
    let setup = setup_for("anthropic");
    let line = r#"{"custom_id":"r1","method":"POST","url":"/v1/messages","body":{"model":"claude","max_tokens":5,"messages":[]}}"#;
    let mut submit = Submit::new(&setup.cx(), format!("{line}\n").as_bytes(), b"{}").unwrap();
    let batch = r#"{"id":"msgbatch_1","type":"message_batch","processing_status":"in_progress","request_counts":{"processing":1,"succeeded":0,"errored":0,"canceled":0,"expired":0},"created_at":"2024-09-24T18:37:24Z","expires_at":"2024-09-25T18:37:24Z","cancel_initiated_at":null,"ended_at":null,"results_url":null}"#;
    let (sent, _, run) = script(&mut submit, &setup, vec![answer("POST /messages/batches", 200, batch)]);
    assert_eq!(sent[0].0.as_str(), "POST /messages/batches", "no upload: Anthropic takes the requests inline");
    assert!(
        sent[0].1.starts_with(
            r#"{"requests":[{"custom_id":"r1","params":{"model":"claude","max_tokens":5,"messages":[]}}]}"#
        ),
        "{}",
        sent[0].1
    );
    assert_eq!(run.ok().get("status").unwrap().as_str().unwrap(), "in_progress");
    // Its custom_id rule is checked before anything is sent.
    let bad = line.replace("\"r1\"", "\"r.1\"");
    let err = Submit::new(&setup.cx(), bad.as_bytes(), b"{}").unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert!(err.message.contains("64 of a-z"), "{}", err.message);
}

#[test]
fn gemini_submit_uploads_in_two_steps_and_names_the_model_in_the_path() {
    let setup = setup_for("gemini");
    let line = r#"{"custom_id":"k1","method":"POST","url":"/v1beta/models/gemini-2.5-flash:generateContent","body":{"contents":[{"parts":[{"text":"hi"}]}]}}"#;
    let mut submit = Submit::new(&setup.cx(), format!("{line}\n").as_bytes(), b"{}").unwrap();
    let start = Step {
        expect: "POST /upload/v1beta/files",
        status: 200,
        headers: vec![(Header::UploadUrl, "https://x.example/v1/upload/v1beta/files?upload_id=u1")],
        body: "",
    };
    let file = r#"{"file":{"name":"files/abc","displayName":"input.jsonl","sizeBytes":"70","state":"ACTIVE"}}"#;
    let op = r#"{"name":"batches/b1","metadata":{"model":"models/gemini-2.5-flash","displayName":"llm-batches","state":"BATCH_STATE_PENDING","createTime":"2025-12-10T18:27:01Z","batchStats":{"requestCount":"1","pendingRequestCount":"1"}}}"#;
    let (sent, _, run) = script(
        &mut submit,
        &setup,
        vec![
            start,
            answer("POST /upload/v1beta/files?upload_id=u1", 200, file),
            answer("POST /v1beta/models/gemini-2.5-flash:batchGenerateContent", 200, op),
        ],
    );
    let lines = r#"{"key":"k1","request":{"contents":[{"parts":[{"text":"hi"}]}]}}"#;
    assert!(sent[0].1.contains(&format!("x-goog-upload-header-content-length: {}", lines.len() + 1)), "{}", sent[0].1);
    assert!(sent[1].1.starts_with(&format!("{lines}\n")), "the file goes in the second request: {}", sent[1].1);
    assert!(sent[2].1.contains(r#""inputConfig":{"fileName":"files/abc"}"#), "{}", sent[2].1);
    assert!(sent[2].1.contains(r#""displayName":"llm-batches #"#), "the marker rides in the name: {}", sent[2].1);
    let batch = run.ok();
    assert_eq!(batch.get("id").unwrap().as_str().unwrap(), "b1");
    assert_eq!(batch.get("status").unwrap().as_str().unwrap(), "validating");
}

#[test]
fn azure_submit_waits_until_the_upload_is_processed() {
    let setup = setup_for("azure");
    let mut submit = Submit::new(&setup.cx(), format!("{CHAT_LINE}\n").as_bytes(), b"{}").unwrap();
    let pending = r#"{"id":"file-1","object":"file","bytes":90,"purpose":"batch","status":"pending"}"#;
    let processed = r#"{"id":"file-1","object":"file","bytes":90,"purpose":"batch","status":"processed"}"#;
    let batch = r#"{"id":"batch_1","object":"batch","status":"validating","endpoint":"/v1/chat/completions"}"#;
    let (sent, sleeps, run) = script(
        &mut submit,
        &setup,
        vec![
            answer("POST /files", 200, pending),
            answer("GET /files/file-1", 200, pending),
            answer("GET /files/file-1", 200, processed),
            answer("POST /batches", 200, batch),
        ],
    );
    assert_eq!(sleeps, [500, 1000]);
    assert!(sent[0].1.contains("api-key: sk-test-key") && !sent[0].1.contains("authorization"), "{}", sent[0].1);
    assert_eq!(run.ok().get("id").unwrap().as_str().unwrap(), "batch_1");
    // A file that failed processing ends the submit with what the provider said.
    let mut submit = Submit::new(&setup.cx(), format!("{CHAT_LINE}\n").as_bytes(), b"{}").unwrap();
    let failed = r#"{"id":"file-2","status":"error","status_details":"invalid jsonl"}"#;
    let (_, _, run) = script(&mut submit, &setup, vec![answer("POST /files", 200, failed)]);
    let (kind, _, message) = run.result.unwrap_err();
    assert_eq!(kind, ErrorKind::InvalidResponse);
    assert!(message.contains("invalid jsonl") && message.contains("no batch was created"), "{message}");
}

#[test]
fn gemini_cancel_retrieves_the_batch_after_its_empty_answer() {
    let setup = setup_for("gemini");
    let mut cancel = Call::cancel(&setup.cx(), "batches/b1").unwrap();
    let op = r#"{"name":"batches/b1","metadata":{"state":"BATCH_STATE_CANCELLED","model":"models/g"},"done":true}"#;
    let (sent, _, run) = script(
        &mut cancel,
        &setup,
        vec![answer("POST /v1beta/batches/b1:cancel", 200, "{}"), answer("GET /v1beta/batches/b1", 200, op)],
    );
    assert_eq!(sent.len(), 2);
    assert_eq!(run.ok().get("status").unwrap().as_str().unwrap(), "cancelled");
}

#[test]
fn mistral_and_together_submit_upload_body_lines() {
    for (name, upload, create) in
        [("mistral", "POST /files", "POST /batch/jobs"), ("together", "POST /files/upload", "POST /batches")]
    {
        let setup = setup_for(name);
        let mut submit = Submit::new(&setup.cx(), format!("{CHAT_LINE}\n").as_bytes(), b"{}").unwrap();
        let file = r#"{"id":"f-1","object":"file","bytes":40,"purpose":"batch"}"#;
        let batch = if name == "mistral" {
            r#"{"id":"j1","object":"batch","status":"QUEUED","input_files":["f-1"],"endpoint":"/v1/chat/completions","created_at":1}"#
        } else {
            r#"{"job":{"id":"j1","status":"VALIDATING","input_file_id":"f-1","created_at":"2024-01-15T14:30:00Z"},"warning":""}"#
        };
        let (sent, _, run) = script(&mut submit, &setup, vec![answer(upload, 200, file), answer(create, 201, batch)]);
        assert!(
            sent[0].1.starts_with(r#"{"custom_id":"r1","body":{"model":"m","messages":[]}}"#),
            "{name}: {}",
            sent[0].1
        );
        let body = &sent[1].1;
        match name {
            "mistral" => assert!(
                body.starts_with(
                    r#"{"endpoint":"/v1/chat/completions","input_files":["f-1"],"metadata":{"llm_batches_call":"#
                ),
                "{body}"
            ),
            _ => assert!(body.starts_with(r#"{"endpoint":"/v1/chat/completions","input_file_id":"f-1"}"#), "{body}"),
        }
        assert_eq!(run.ok().get("id").unwrap().as_str().unwrap(), "j1", "{name}");
    }
}

#[test]
fn submit_all_splits_in_order_labels_the_parts_and_reports_what_it_made() {
    let setup = setup_for("openai");
    let lines: String =
        ["r1", "r2", "r3"].iter().map(|id| CHAT_LINE.replace("\"r1\"", &format!("{id:?}")) + "\n").collect();
    let file = r#"{"id":"f","object":"file","bytes":1,"purpose":"batch","status":"processed"}"#;
    let batch = r#"{"id":"b","object":"batch","status":"validating","metadata":{"part":"x"}}"#;
    let mut all =
        SubmitAll::new(&setup.cx(), lines.as_bytes(), br#"{"maxRequests":2,"metadata":{"job":"j"}}"#).unwrap();
    let (sent, _, run) = script(
        &mut all,
        &setup,
        vec![
            answer("POST /files", 200, file),
            answer("POST /batches", 200, batch),
            answer("POST /files", 200, file),
            answer("POST /batches", 200, batch),
        ],
    );
    assert_eq!(sent[0].1.matches("custom_id").count(), 2, "two requests in the first file");
    assert_eq!(sent[2].1.matches("custom_id").count(), 1, "one in the second");
    assert!(sent[1].1.contains(r#""metadata":{"job":"j","part":"1/2""#), "{}", sent[1].1);
    assert!(sent[3].1.contains(r#""part":"2/2""#), "{}", sent[3].1);
    assert_eq!(run.ok().items().count(), 2);
    // The second create refused: the error carries the first batch.
    let mut failing = SubmitAll::new(&setup.cx(), lines.as_bytes(), br#"{"maxRequests":1}"#).unwrap();
    let refused = r#"{"error":{"message":"quota","type":"invalid_request_error","code":"quota"}}"#;
    let (_, _, run) = script(
        &mut failing,
        &setup,
        vec![
            answer("POST /files", 200, file),
            answer("POST /batches", 200, batch),
            answer("POST /files", 200, file),
            answer("POST /batches", 400, refused),
        ],
    );
    let (kind, status, message) = run.result.unwrap_err();
    assert_eq!((kind, status), (ErrorKind::Api, Some(400)));
    assert!(message.contains("part 2 of 3") && message.contains("1 batch was made"), "{message}");
}

#[test]
fn resubmit_reads_the_input_and_both_files_and_sends_what_did_not_succeed() {
    let setup = setup_for("openai");
    let line = |id: &str| CHAT_LINE.replace("\"r1\"", &format!("{id:?}"));
    let input = format!("{}\n{}\n{}\n", line("a"), line("b"), line("c"));
    let batch = r#"{"id":"batch_1","object":"batch","status":"expired","endpoint":"/v1/chat/completions","input_file_id":"f-in","output_file_id":"f-out","error_file_id":"f-err","metadata":{"job":"j","llm_batches_call":"old"}}"#;
    let output = r#"{"custom_id":"a","response":{"status_code":200,"body":{"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}},"error":null}"#;
    let errors = r#"{"custom_id":"b","response":null,"error":{"code":"batch_expired","message":"expired"}}"#;
    let file = r#"{"id":"f-new","object":"file","bytes":1,"purpose":"batch","status":"processed"}"#;
    let made = r#"{"id":"batch_2","object":"batch","status":"validating"}"#;
    let input: &'static str = Box::leak(input.into_boxed_str());
    let mut resubmit = Resubmit::new(Target::Batch(batch.into()), None, b"{}".to_vec());
    let (sent, _, run) = script(
        &mut resubmit,
        &setup,
        vec![
            answer("GET /files/f-in/content", 200, input),
            answer("GET /files/f-out/content", 200, output),
            answer("GET /files/f-err/content", 200, errors),
            answer("POST /files", 200, file),
            answer("POST /batches", 200, made),
        ],
    );
    let upload = &sent[3].1;
    assert!(upload.contains("\"b\"") && upload.contains("\"c\"") && !upload.contains("\"a\""), "{upload}");
    assert!(sent[4].1.contains(r#""metadata":{"job":"j","resubmit_of":"batch_1""#), "{}", sent[4].1);
    assert_eq!(run.ok().get("id").unwrap().as_str().unwrap(), "batch_2");
    // Everything succeeded: nothing is sent, the answer is null.
    let all_ok = r#"{"id":"batch_3","status":"completed","input_file_id":"f-in","output_file_id":"f-out","endpoint":"/v1/chat/completions"}"#;
    let outputs = r#"{"custom_id":"a","response":{"status_code":200,"body":{}},"error":null}"#;
    let mut resubmit = Resubmit::new(Target::Batch(all_ok.into()), None, b"{}".to_vec());
    let one: &'static str = Box::leak(format!("{}\n", line("a")).into_boxed_str());
    let (_, _, run) = script(
        &mut resubmit,
        &setup,
        vec![answer("GET /files/f-in/content", 200, one), answer("GET /files/f-out/content", 200, outputs)],
    );
    assert_eq!(run.result, Ok(None));
    // An input file that is gone: the error says to pass the requests.
    let mut resubmit = Resubmit::new(Target::Batch(all_ok.into()), None, b"{}".to_vec());
    let gone = r#"{"error":{"message":"No such File object: f-in","type":"invalid_request_error","code":"not_found"}}"#;
    let (_, _, run) = script(&mut resubmit, &setup, vec![answer("GET /files/f-in/content", 404, gone)]);
    let (_, status, message) = run.result.unwrap_err();
    assert_eq!(status, Some(404));
    assert!(message.contains("pass resubmit(batch, { requests })"), "{message}");
}

#[test]
fn usage_takes_a_batchs_own_usage_else_its_results() {
    let setup = setup_for("openai");
    let with_usage = r#"{"id":"b1","status":"completed","request_counts":{"total":4,"completed":4,"failed":0},"usage":{"input_tokens":40,"output_tokens":8,"total_tokens":48,"input_tokens_details":{"cached_tokens":10},"output_tokens_details":{"reasoning_tokens":0}}}"#;
    let without = r#"{"id":"b2","status":"completed","output_file_id":"f-out"}"#;
    let output = concat!(
        r#"{"custom_id":"a","response":{"status_code":200,"body":{"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}},"error":null}"#,
        "\n",
        r#"{"custom_id":"b","response":{"status_code":200,"body":{"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"prompt_tokens_details":{"cached_tokens":1}}}},"error":null}"#,
        "\n"
    );
    let mut usage = UsageOp::new(vec![Target::Batch(with_usage.into()), Target::Batch(without.into())]);
    let (sent, _, run) = script(&mut usage, &setup, vec![answer("GET /files/f-out/content", 200, output)]);
    assert_eq!(sent.len(), 1, "the batch with usage needs no request");
    let sum = run.ok();
    let n = |k: &str| sum.get(k).unwrap().as_number().unwrap().as_u64().unwrap();
    assert_eq!(
        (n("requests"), n("input_tokens"), n("output_tokens"), n("total_tokens"), n("cached_tokens")),
        (6, 44, 11, 55, 11)
    );
}
