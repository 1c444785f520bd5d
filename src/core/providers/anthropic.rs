//! Anthropic's Message Batches (`/messages/batches`): requests go inline (no files), results come
//! from the batch's `results_url`, times are RFC 3339, and the status needs more than a spelling:
//! `ended` is `cancelled` when a cancel was asked for, `expired` when every request expired, else
//! `completed`. Counts: `total` is the sum of the five, `completed` the succeeded ones, `failed`
//! the errored, canceled and expired ones; the five pass through beside them.

use std::borrow::Cow;

use super::api::{unsupported, Api, Cx, ResultsAt, Upload};
use crate::core::config::{check_id, encode, query, ListQuery};
use crate::core::error::{Error, Result};
use crate::core::http::{Method, Request};
use crate::core::json::{Json, Kind, Out, Scanned, Scanner};
use crate::core::jsonl::LineReader;
use crate::core::model::batch::{seconds_value, Batch, Slot};
use crate::core::model::counts::{count, Counts};
use crate::core::model::page::{IdText, OPENAI};
use crate::core::model::record::{text_value, Role, Value};
use crate::core::model::result::{ErrorOut, Response, ResultLine};
use crate::core::model::{PageSummary, Source};

use super::openai::required;

/// The Anthropic family.
#[derive(Debug)]
pub struct Anthropic;

/// The endpoint every Anthropic batch request goes to.
pub const MESSAGES: &str = "/v1/messages";

impl Api for Anthropic {
    fn retrieve(&self, cx: &Cx<'_>, id: &str) -> Result<Request> {
        let id = check_id("batch id", id)?;
        Ok(cx.config.request(Method::Get, &format!("/messages/batches/{}", encode(id))))
    }

    fn list(&self, cx: &Cx<'_>, q: &ListQuery) -> Result<Request> {
        if q.page.is_some() {
            return Err(Error::invalid_argument(
                "Anthropic pages its list by `after` (the previous page's last_id), not by `page`",
            ));
        }
        let limit = q.limit.map(|n| n.to_string());
        let path = format!("/messages/batches{}", query(&[("limit", limit), ("after_id", q.after.clone())]));
        Ok(cx.config.request(Method::Get, &path))
    }

    fn create(&self, cx: &Cx<'_>, params: Json<'_>, _marker: Option<&str>) -> Result<Request> {
        if params.kind() != Kind::Object {
            return Err(Error::invalid_argument("create parameters must be an object"));
        }
        for key in ["input_file_id", "metadata", "completion_window", "endpoint", "output_expires_after"] {
            if params.get(key).is_some_and(|v| !v.is_null()) {
                return Err(Error::invalid_argument(format!(
                    "Anthropic batches take their requests inline and have no `{key}`: create({{ requests: \
                     [{{ custom_id, params }}] }}), or submit(requests); nothing was sent"
                )));
            }
        }
        match params.get("requests") {
            Some(r) if r.kind() == Kind::Array && r.items().next().is_some() => {}
            _ => {
                return Err(Error::invalid_argument(
                    "`requests` must be a non-empty array of { custom_id, params } (Anthropic)",
                ))
            }
        }
        // Our own nulls are left out; everything else goes as given.
        let mut out = Out::default();
        let mut object = crate::core::json::Object::begin(&mut out);
        for (key, value) in params.entries() {
            if value.is_null()
                && matches!(
                    &*key.key_bytes(),
                    b"input_file_id" | b"metadata" | b"completion_window" | b"endpoint" | b"output_expires_after"
                )
            {
                continue;
            }
            object.raw_key(&mut out, key);
            out.raw(value);
        }
        object.end(&mut out);
        let body = String::from_utf8(out.into_parts().0).unwrap_or_default();
        Ok(cx.config.request(Method::Post, "/messages/batches").json(body))
    }

    fn cancel(&self, cx: &Cx<'_>, id: &str) -> Result<Request> {
        let id = check_id("batch id", id)?;
        Ok(cx.config.request(Method::Post, &format!("/messages/batches/{}/cancel", encode(id))))
    }

    fn upload(&self, cx: &Cx<'_>, _upload: &Upload<'_>) -> Result<Request> {
        Err(unsupported(
            cx.provider,
            "file upload (its batches take their requests inline: use submit or create({ requests }))",
        ))
    }

    fn file_content(&self, cx: &Cx<'_>, _file_id: &str) -> Result<Request> {
        Err(unsupported(cx.provider, "files (results come from the batch's results_url: use results(batch))"))
    }

    fn batch<'a>(&self, _cx: &Cx<'_>, scan: &mut Scanner<'a>, out: &mut Out) -> Result<IdText<'a>> {
        let mut batch = Batch::default();
        let id = read_batch(scan, &mut batch)?;
        batch.write(out);
        Ok(id)
    }

    fn page<'a>(&self, cx: &Cx<'_>, scan: &mut Scanner<'a>, _query: &ListQuery, out: &mut Out) -> Result<PageSummary> {
        super::api::page_with(cx, scan, OPENAI, out).map(|(summary, _)| summary)
    }

    fn file(&self, cx: &Cx<'_>, _scan: &mut Scanner<'_>, _out: &mut Out) -> Result<()> {
        Err(unsupported(cx.provider, "files"))
    }

    fn result_line(&self) -> LineReader {
        anthropic_line
    }

    fn results_at(&self, batch: Json<'_>) -> Vec<ResultsAt> {
        let url = batch.get("results_url").and_then(|u| u.non_empty_str()).map(Cow::into_owned);
        url.map(|url| ResultsAt::Url(Source::Output, url)).into_iter().collect()
    }

    fn uses_files(&self) -> bool {
        false
    }
}

/// The last value of a passed-through key (what `JSON.parse` keeps).
pub fn passed<'a>(batch: &Batch<'a>, key: &str) -> Option<Json<'a>> {
    batch.entries().iter().rev().find(|e| e.role == Role::Pass && e.key.is_str(key)).map(|e| e.value)
}

/// Gives each slot the provider left without a value what it sent under that name (a key of ours
/// that a provider happens to send too is kept, not overwritten by our default).
pub fn keep_unmapped(batch: &mut Batch<'_>) {
    for slot in Slot::ALL {
        if matches!(batch.value(slot), Value::Missing) {
            if let Some(sent) = batch.sent(slot) {
                batch.set(slot, Value::Raw(sent));
            }
        }
    }
}

fn read_batch<'a>(scan: &mut Scanner<'a>, batch: &mut Batch<'a>) -> Result<IdText<'a>> {
    batch.walk(scan, "a message batch", |name| match name {
        b"processing_status" | b"ended_at" | b"cancel_initiated_at" | b"results_url" | b"archived_at" | b"type" => {
            Role::Pass
        }
        name => Slot::of(name).map_or(Role::Pass, Role::Slot),
    })?;
    if let Some(id) = batch.sent(Slot::Id) {
        batch.set(Slot::Id, text_value(id));
    }
    let counts = batch.sent(Slot::RequestCounts).filter(|c| c.kind() == Kind::Object);
    let n = |key: &str| counts.and_then(|c| c.get(key)).and_then(count).unwrap_or(0);
    let (processing, succeeded, errored, canceled, expired) =
        (n("processing"), n("succeeded"), n("errored"), n("canceled"), n("expired"));
    let total = processing + succeeded + errored + canceled + expired;
    batch.set(
        Slot::RequestCounts,
        Value::Counts(Counts { total, completed: succeeded, failed: errored + canceled + expired, source: counts }),
    );
    let cancel_asked = passed(batch, "cancel_initiated_at").filter(|v| !v.is_null());
    let processing_status = passed(batch, "processing_status").and_then(|s| s.as_str());
    let status = match processing_status.as_deref() {
        Some("in_progress") => Some("in_progress"),
        Some("canceling") => Some("cancelling"),
        Some("ended") if cancel_asked.is_some() => Some("cancelled"),
        Some("ended") if total > 0 && expired == total => Some("expired"),
        Some("ended") => Some("completed"),
        _ => None,
    };
    match (status, passed(batch, "processing_status")) {
        (Some(status), _) => batch.set(Slot::Status, Value::Name(status)),
        // An unknown state is kept as sent, as for every provider.
        (None, Some(sent)) if sent.kind() == Kind::String => batch.set(Slot::Status, Value::Raw(sent)),
        _ => {}
    }
    batch.set(Slot::Object, Value::Name("batch"));
    batch.set(Slot::Endpoint, Value::Name(MESSAGES));
    batch.set(Slot::CompletionWindow, Value::Name("24h"));
    for slot in [Slot::CreatedAt, Slot::ExpiresAt] {
        if let Some(sent) = batch.sent(slot) {
            batch.set(slot, seconds_value(sent));
        }
    }
    // Processing begins as soon as the batch is made.
    if let Some(created) = batch.sent(Slot::CreatedAt) {
        batch.set(Slot::InProgressAt, seconds_value(created));
    }
    if let Some(asked) = cancel_asked {
        batch.set(Slot::CancellingAt, seconds_value(asked));
    }
    let ended = passed(batch, "ended_at").filter(|v| !v.is_null());
    let end_slot = status.and_then(Slot::ended_at);
    if let (Some(slot), Some(ended)) = (end_slot, ended) {
        batch.set(slot, seconds_value(ended));
    }
    keep_unmapped(batch);
    required(batch)
}

/// One line of a results file: `{ custom_id, result: { type, message | error } }`. A succeeded
/// message is the response body (and `result` is left out when it held nothing else); the error of
/// an errored request is `{ code: its type, message }` (and `result` passes through, with the
/// request id); canceled and expired requests get those codes.
pub fn anthropic_line<'a>(scan: &mut Scanner<'a>) -> Scanned<ResultLine<'a>> {
    let mut line = ResultLine::default();
    scan.object(|scan, key| {
        let value = scan.value()?;
        line.entries.push((key, value));
        Ok(value)
    })?;
    line.custom_id = line.get("custom_id");
    line.id = line.get("id");
    let result = line.get("result").filter(|r| r.kind() == Kind::Object);
    let kind = result.and_then(|r| r.get("type")).and_then(|t| t.as_str());
    match kind.as_deref() {
        Some("succeeded") => {
            if let Some(message) = result.and_then(|r| r.get("message")).filter(|m| m.kind() == Kind::Object) {
                line.response = Response::Made { status_code: 200, body: message };
                let only = result.is_some_and(|r| r.entries().all(|(k, _)| k.is_str("type") || k.is_str("message")));
                if only {
                    line.consumed = &["result"];
                }
            }
        }
        Some("errored") => {
            let outer = result.and_then(|r| r.get("error"));
            let inner = outer.and_then(|e| e.get("error")).filter(|e| e.kind() == Kind::Object).or(outer);
            let text = |key: &str| inner.and_then(|e| e.get(key)).and_then(|v| v.as_str());
            let code = text("type").unwrap_or(Cow::Borrowed("errored"));
            let message = text("message").unwrap_or(Cow::Borrowed("the request failed"));
            line.error = ErrorOut::Made(code, message);
        }
        Some("canceled") => {
            line.error = ErrorOut::Made(
                Cow::Borrowed("canceled"),
                Cow::Borrowed("the batch was canceled before this request was processed"),
            );
        }
        Some("expired") => {
            line.error = ErrorOut::Made(
                Cow::Borrowed("expired"),
                Cow::Borrowed("the batch expired before this request was processed"),
            );
        }
        _ => {}
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::{Options, Runtime};
    use crate::core::providers::Setup;
    use serde_json::{json, Value as Tree};

    fn setup() -> Setup {
        let options =
            Options { api_key: Some("sk-ant-test".into()), provider: Some("anthropic".into()), ..Options::default() };
        Setup::new(options, Runtime::Server).unwrap()
    }

    fn norm(raw: &Tree) -> Tree {
        let setup = setup();
        let text = raw.to_string();
        let mut out = Out::default();
        Anthropic.batch(&setup.cx(), &mut Scanner::new(text.as_bytes()), &mut out).unwrap();
        serde_json::from_slice(out.as_bytes()).unwrap()
    }

    fn batch(status: &str, counts: [u64; 5], cancel: bool) -> Tree {
        let [processing, succeeded, errored, canceled, expired] = counts;
        json!({
            "id": "msgbatch_01",
            "type": "message_batch",
            "processing_status": status,
            "request_counts": {"processing": processing, "succeeded": succeeded, "errored": errored, "canceled": canceled, "expired": expired},
            "ended_at": if status == "ended" { json!("2024-09-24T19:00:00.5Z") } else { json!(null) },
            "created_at": "2024-09-24T18:37:24.100435Z",
            "expires_at": "2024-09-25T18:37:24.100435Z",
            "archived_at": null,
            "cancel_initiated_at": if cancel { json!("2024-09-24T18:39:03.114875Z") } else { json!(null) },
            "results_url": if status == "ended" { json!("https://api.anthropic.com/v1/messages/batches/msgbatch_01/results") } else { json!(null) },
        })
    }

    #[test]
    fn statuses_counts_and_times_map_as_the_design_says() {
        let table = [
            ("in_progress", [2, 0, 0, 0, 0], false, "in_progress", [2, 0, 0]),
            ("canceling", [2, 0, 0, 0, 0], true, "cancelling", [2, 0, 0]),
            ("ended", [0, 1, 0, 1, 0], true, "cancelled", [2, 1, 1]),
            ("ended", [0, 0, 0, 0, 3], false, "expired", [3, 0, 3]),
            ("ended", [0, 3, 1, 0, 1], false, "completed", [5, 3, 2]),
        ];
        for (raw, counts, cancel, want, [total, completed, failed]) in table {
            let b = norm(&batch(raw, counts, cancel));
            assert_eq!(b["status"], want, "{raw} {counts:?}");
            assert_eq!(b["processing_status"], raw, "passed through");
            let rc = &b["request_counts"];
            assert_eq!(
                (rc["total"].as_u64(), rc["completed"].as_u64(), rc["failed"].as_u64()),
                (Some(total), Some(completed), Some(failed))
            );
            assert_eq!(rc["succeeded"], counts[1], "Anthropic's own counts pass through");
            assert_eq!(b["created_at"], 1_727_203_044);
            assert_eq!(b["expires_at"], 1_727_289_444);
            assert_eq!(b["in_progress_at"], 1_727_203_044);
            assert_eq!(b["endpoint"], MESSAGES);
            assert_eq!(b["object"], "batch");
            assert_eq!(b["type"], "message_batch");
        }
        let cancelled = norm(&batch("ended", [0, 1, 0, 1, 0], true));
        assert_eq!(cancelled["cancelling_at"], 1_727_203_143);
        assert_eq!(cancelled["cancelled_at"], 1_727_204_400);
        assert_eq!(cancelled["completed_at"], json!(null));
        let done = norm(&batch("ended", [0, 3, 0, 0, 0], false));
        assert_eq!(done["completed_at"], 1_727_204_400);
        assert_eq!(done["ended_at"], "2024-09-24T19:00:00.5Z");
    }

    #[test]
    fn an_unknown_state_is_kept_and_a_batch_without_one_is_refused() {
        let mut b = batch("paused", [1, 0, 0, 0, 0], false);
        assert_eq!(norm(&b)["status"], "paused");
        b.as_object_mut().unwrap().remove("processing_status");
        let text = b.to_string();
        let err = Anthropic.batch(&setup().cx(), &mut Scanner::new(text.as_bytes()), &mut Out::default()).unwrap_err();
        assert_eq!(err.kind, crate::core::ErrorKind::InvalidResponse);
    }

    #[test]
    fn results_lines_of_the_four_types() {
        let lines = [
            (
                r#"{"custom_id":"a","result":{"type":"succeeded","message":{"id":"msg_1","content":[]}}}"#,
                None,
                Some(r#"{"id":"msg_1","content":[]}"#),
                false,
            ),
            (
                r#"{"custom_id":"b","result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"bad"},"request_id":"req_1"}}}"#,
                Some(("invalid_request_error", "bad")),
                None,
                true,
            ),
            (r#"{"custom_id":"c","result":{"type":"canceled"}}"#, Some(("canceled", "")), None, true),
            (r#"{"custom_id":"d","result":{"type":"expired"}}"#, Some(("expired", "")), None, true),
        ];
        for (text, error, body, keeps_result) in lines {
            let mut results = crate::core::jsonl::Results::new(anthropic_line);
            let mut decoder = crate::core::jsonl::JsonlDecoder::new(Source::Output);
            decoder.push(text.as_bytes(), &mut results);
            decoder.finish(&mut results);
            let rows: Tree = serde_json::from_slice(&results.take().0).unwrap();
            let row = &rows[0];
            match error {
                Some((code, message)) => {
                    assert_eq!(row["error"]["code"], code, "{text}");
                    if !message.is_empty() {
                        assert_eq!(row["error"]["message"], message);
                    }
                    assert_eq!(row["response"], json!(null));
                }
                None => {
                    assert_eq!(row["error"], json!(null), "{text}");
                    assert_eq!(row["response"]["status_code"], 200);
                    assert_eq!(row["response"]["body"], serde_json::from_str::<Tree>(body.unwrap()).unwrap());
                }
            }
            assert_eq!(row.get("result").is_some(), keeps_result, "{text}");
        }
    }

    #[test]
    fn create_sends_the_requests_and_refuses_what_anthropic_lacks() {
        let setup = setup();
        let cx = setup.cx();
        let params = r#"{"requests":[{"custom_id":"a","params":{"model":"m","max_tokens":5,"messages":[]}}]}"#;
        let request = Anthropic.create(&cx, Json::parse(params.as_bytes()).unwrap(), None).unwrap();
        assert!(request.url.ends_with("/v1/messages/batches"), "{}", request.url);
        assert!(matches!(&request.body, crate::core::http::Body::Json(b) if b == params));
        for bad in [
            r#"{"requests":[]}"#,
            r#"{"input_file_id":"f","requests":[{}]}"#,
            r#"{"requests":[{}],"metadata":{}}"#,
            "[]",
        ] {
            let err = Anthropic.create(&cx, Json::parse(bad.as_bytes()).unwrap(), None).unwrap_err();
            assert_eq!(err.kind, crate::core::ErrorKind::InvalidArgument, "{bad}");
        }
        let err = Anthropic
            .upload(&cx, &Upload { filename: "f", purpose: "batch", bytes: 0, expires_after: None })
            .unwrap_err();
        assert!(err.message.contains("Anthropic"), "{}", err.message);
        let list =
            Anthropic.list(&cx, &ListQuery { limit: Some(5), after: Some("msgbatch_x".into()), page: None }).unwrap();
        assert!(list.url.ends_with("/messages/batches?limit=5&after_id=msgbatch_x"), "{}", list.url);
        let headers: Vec<&str> = request.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert!(
            headers.contains(&"x-api-key")
                && headers.contains(&"anthropic-version")
                && !headers.contains(&"authorization")
        );
    }
}
