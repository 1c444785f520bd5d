//! Mistral's batch jobs (`/batch/jobs`): OpenAI-like files and result lines, but its own job
//! object (`input_files`, `output_file`, `*_requests` counts, upper-case statuses), `timeout_hours`
//! instead of a completion window, and lists paged by page number with a `total`.

use std::borrow::Cow;

use super::anthropic::{keep_unmapped, passed};
use super::api::{page_with, Api, Cx, Upload};
use super::openai::{required, write_metadata};
use crate::core::config::{check_id, encode, query, ListQuery};
use crate::core::error::{Error, Result};
use crate::core::http::{Body, Content, Form, Method, Request};
use crate::core::json::{Json, Kind, Object, Out, Scanner};
use crate::core::model::batch::{seconds_value, status_value, Batch, Slot};
use crate::core::model::counts::{count, Counts};
use crate::core::model::page::{IdText, Layout, More};
use crate::core::model::record::{metadata_value, text_value, Role, Value};
use crate::core::model::PageSummary;
use crate::core::text::Quoted;

/// The Mistral family.
#[derive(Debug)]
pub struct Mistral;

/// Jobs per page when the caller names no limit (Mistral's default).
const PAGE_SIZE: u32 = 100;

impl Api for Mistral {
    fn retrieve(&self, cx: &Cx<'_>, id: &str) -> Result<Request> {
        let id = check_id("batch id", id)?;
        Ok(cx.config.request(Method::Get, &format!("/batch/jobs/{}", encode(id))))
    }

    fn list(&self, cx: &Cx<'_>, q: &ListQuery) -> Result<Request> {
        if q.after.is_some() {
            return Err(Error::invalid_argument(
                "Mistral pages its list by page number (`page`, from 0), not by `after`",
            ));
        }
        let page = page_number(q)?;
        let size = q.limit.unwrap_or(PAGE_SIZE);
        let path =
            format!("/batch/jobs{}", query(&[("page", Some(page.to_string())), ("page_size", Some(size.to_string()))]));
        Ok(cx.config.request(Method::Get, &path))
    }

    fn create(&self, cx: &Cx<'_>, params: Json<'_>, marker: Option<&str>) -> Result<Request> {
        let body = create_body(params, marker)?;
        Ok(cx.config.request(Method::Post, "/batch/jobs").json(body))
    }

    fn cancel(&self, cx: &Cx<'_>, id: &str) -> Result<Request> {
        let id = check_id("batch id", id)?;
        Ok(cx.config.request(Method::Post, &format!("/batch/jobs/{}/cancel", encode(id))))
    }

    fn upload(&self, cx: &Cx<'_>, upload: &Upload<'_>) -> Result<Request> {
        if upload.expires_after.is_some() {
            return Err(Error::invalid_argument("Mistral's files take no `expires_after`; nothing was sent"));
        }
        let form = Form {
            fields: vec![("purpose", upload.purpose.to_owned())],
            file_field: "file",
            filename: upload.filename.to_owned(),
            content: Content::Caller,
        };
        Ok(Request { body: Body::Form(form), ..cx.config.request(Method::Post, "/files") })
    }

    fn batch<'a>(&self, _cx: &Cx<'_>, scan: &mut Scanner<'a>, out: &mut Out) -> Result<IdText<'a>> {
        let mut batch = Batch::default();
        let id = read_job(scan, &mut batch)?;
        batch.write(out);
        Ok(id)
    }

    fn page<'a>(&self, cx: &Cx<'_>, scan: &mut Scanner<'a>, q: &ListQuery, out: &mut Out) -> Result<PageSummary> {
        let page = page_number(q)?;
        let size = u64::from(q.limit.unwrap_or(PAGE_SIZE));
        let layout = Layout { items: "data", more: More::Total { page, size } };
        let (mut summary, _) = page_with(cx, scan, layout, out)?;
        summary.next = summary.has_more.then(|| (page + 1).to_string());
        Ok(summary)
    }

    fn next_page(&self, _cx: &Cx<'_>, query: &ListQuery, summary: &PageSummary) -> Option<ListQuery> {
        summary.has_more.then(|| ListQuery { page: summary.next.clone(), after: None, ..query.clone() })
    }
}

/// The page number asked for: a whole number from 0.
fn page_number(q: &ListQuery) -> Result<u64> {
    match q.page.as_deref() {
        None => Ok(0),
        Some(p) => p.trim().parse::<u64>().map_err(|_| {
            Error::invalid_argument(format!("Mistral's `page` is a page number from 0, got {}", Quoted(p)))
        }),
    }
}

/// `timeout_hours` for a completion window: `24h` → 24, `7d` → 168.
fn hours(window: &str) -> Option<u64> {
    // Not `split_at(len - 1)`: that panics (a wasm trap) when the last character is not ASCII.
    let w = window.trim();
    if let Some(n) = w.strip_suffix('h') {
        return n.parse().ok();
    }
    w.strip_suffix('d')?.parse::<u64>().ok()?.checked_mul(24)
}

/// The body of `POST /batch/jobs` from OpenAI-style parameters (`input_file_id`,
/// `completion_window`) or Mistral's own (`input_files`, `timeout_hours`, `requests`, `model`), in
/// the caller's order, with this call's marker in `metadata`.
fn create_body(params: Json<'_>, marker: Option<&str>) -> Result<String> {
    if params.kind() != Kind::Object {
        return Err(Error::invalid_argument("create parameters must be an object"));
    }
    let input = params.get("input_file_id").filter(|v| !v.is_null());
    let files = params.get("input_files").filter(|v| !v.is_null());
    let inline = params.get("requests").filter(|v| !v.is_null());
    match (input, files, inline) {
        (Some(v), None, None) if v.kind() == Kind::String => {
            check_id("`input_file_id`", &v.as_str().unwrap_or_default())?;
        }
        (None, Some(v), None) if v.kind() == Kind::Array => {}
        (None, None, Some(v)) if v.kind() == Kind::Array => {}
        _ => {
            return Err(Error::invalid_argument(
                "Mistral needs one of `input_file_id` (a file id), `input_files` or `requests`",
            ))
        }
    }
    if !params.get("endpoint").and_then(|e| e.as_str()).is_some_and(|e| e.starts_with('/')) {
        return Err(Error::invalid_argument("`endpoint` must be a path such as \"/v1/chat/completions\""));
    }
    let window = params.get("completion_window").filter(|v| !v.is_null());
    let timeout = match window {
        None => None,
        Some(w) => match w.as_str().as_deref().and_then(hours) {
            Some(h) if (1..=168).contains(&h) => Some(h),
            _ => {
                return Err(Error::invalid_argument(
                    "Mistral's `completion_window` is 1h to 168h (or 1d to 7d); it becomes `timeout_hours`",
                ))
            }
        },
    };
    let metadata = params.get("metadata").filter(|m| !m.is_null());
    if metadata.is_some_and(|m| m.kind() != Kind::Object || m.entries().any(|(_, v)| v.kind() != Kind::String)) {
        return Err(Error::invalid_argument("`metadata` must be an object whose values are strings"));
    }
    let mut out = Out::default();
    let mut object = Object::begin(&mut out);
    let mut wrote_metadata = false;
    for (key, value) in params.entries() {
        match &*key.key_bytes() {
            _ if value.is_null() => {}
            b"input_file_id" => {
                object.key(&mut out, "input_files");
                out.byte(b'[');
                out.raw(value);
                out.byte(b']');
            }
            b"completion_window" => {
                object.key(&mut out, "timeout_hours");
                out.u64(timeout.unwrap_or(24));
            }
            b"metadata" => {
                if !std::mem::replace(&mut wrote_metadata, true) {
                    object.key(&mut out, "metadata");
                    write_metadata(metadata, marker, &mut out);
                }
            }
            _ => {
                object.raw_key(&mut out, key);
                out.raw(value);
            }
        }
    }
    if !wrote_metadata && marker.is_some() {
        object.key(&mut out, "metadata");
        write_metadata(None, marker, &mut out);
    }
    object.end(&mut out);
    Ok(String::from_utf8(out.into_parts().0).unwrap_or_default())
}

fn read_job<'a>(scan: &mut Scanner<'a>, batch: &mut Batch<'a>) -> Result<IdText<'a>> {
    batch.walk(scan, "a batch job", |name| Slot::of(name).map_or(Role::Pass, Role::Slot))?;
    for slot in [Slot::Id, Slot::Endpoint, Slot::Model] {
        if let Some(sent) = batch.sent(slot) {
            batch.set(slot, text_value(sent));
        }
    }
    if let Some(sent) = batch.sent(Slot::Object) {
        batch.set(Slot::Object, crate::core::model::batch::object_name(sent, "batch"));
    }
    if let Some(sent) = batch.sent(Slot::Status) {
        batch.set(Slot::Status, status_value(sent, |_| None).unwrap_or(Value::Null));
    }
    if let Some(sent) = batch.sent(Slot::Metadata) {
        batch.set(Slot::Metadata, metadata_value(sent));
    }
    if let Some(sent) = batch.sent(Slot::CreatedAt) {
        batch.set(Slot::CreatedAt, seconds_value(sent));
    }
    if let Some(sent) = batch.sent(Slot::Errors) {
        batch.set(Slot::Errors, if sent.is_null() { Value::Raw(sent) } else { Value::Errors(sent) });
    }
    let first_input = passed(batch, "input_files").and_then(|f| f.items().next());
    batch.set(Slot::InputFileId, first_input.map_or(Value::Null, text_value));
    let file = |batch: &Batch<'a>, key: &str| passed(batch, key).map_or(Value::Null, text_value);
    batch.set(Slot::OutputFileId, file(batch, "output_file"));
    batch.set(Slot::ErrorFileId, file(batch, "error_file"));
    if let Some(started) = passed(batch, "started_at").filter(|v| !v.is_null()) {
        batch.set(Slot::InProgressAt, seconds_value(started));
    }
    let status = status_text(batch);
    let end_slot = status.as_deref().and_then(Slot::ended_at);
    // `completed_at` is when the job ended, whatever the end: it goes to that end's field.
    let ended = batch.sent(Slot::CompletedAt).filter(|v| !v.is_null());
    match (end_slot, ended) {
        (Some(slot), Some(ended)) => {
            batch.set(Slot::CompletedAt, Value::Null);
            batch.set(slot, seconds_value(ended));
        }
        (None, Some(ended)) => batch.set(Slot::CompletedAt, seconds_value(ended)),
        _ => {}
    }
    let n = |batch: &Batch<'a>, key: &str| passed(batch, key).and_then(count);
    let counts = [n(batch, "total_requests"), n(batch, "succeeded_requests"), n(batch, "failed_requests")];
    batch.set(Slot::RequestCounts, Value::Counts(Counts::from_parts(counts, None)));
    keep_unmapped(batch);
    required(batch)
}

/// The normalised status, when it is one of ours.
fn status_text(batch: &Batch<'_>) -> Option<String> {
    match batch.value(Slot::Status) {
        Value::Name(s) => Some((*s).to_owned()),
        Value::Raw(v) => v.as_str().map(Cow::into_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_windows_become_hours_and_odd_ones_none() {
        assert_eq!(hours("24h"), Some(24));
        assert_eq!(hours(" 7d "), Some(168));
        for odd in ["", "h", "24", "24m", "-1h", "24é", "é", "99999999999999999999d"] {
            assert_eq!(hours(odd), None, "{odd:?}");
        }
    }
    use crate::core::config::{Options, Runtime};
    use crate::core::providers::Setup;
    use serde_json::{json, Value as Tree};

    fn setup() -> Setup {
        let options = Options { api_key: Some("k".into()), provider: Some("mistral".into()), ..Options::default() };
        Setup::new(options, Runtime::Server).unwrap()
    }

    fn norm(raw: &Tree) -> Tree {
        let text = raw.to_string();
        let mut out = Out::default();
        Mistral.batch(&setup().cx(), &mut Scanner::new(text.as_bytes()), &mut out).unwrap();
        serde_json::from_slice(out.as_bytes()).unwrap()
    }

    fn job(status: &str) -> Tree {
        json!({"id":"5befe8c6-b8cb-4858-a068-d600cf5ed73f","object":"batch",
            "input_files":["30f63bb3-6f9e-4dd5-9295-a9cdbdeabf75"],"metadata":{"job_type":"testing"},
            "endpoint":"/v1/chat/completions","model":"pixtral-large-latest",
            "output_file":"950fae83-2802-40c0-a677-c7839a4e238a","error_file":null,"errors":[],
            "status":status,"created_at":1732400351,"started_at":1732400351,"completed_at":1732400376,
            "total_requests":10,"completed_requests":10,"succeeded_requests":9,"failed_requests":1})
    }

    #[test]
    fn a_job_maps_onto_the_batch() {
        let b = norm(&job("SUCCESS"));
        assert_eq!(b["status"], "completed");
        assert_eq!(b["input_file_id"], "30f63bb3-6f9e-4dd5-9295-a9cdbdeabf75");
        assert_eq!(b["output_file_id"], "950fae83-2802-40c0-a677-c7839a4e238a");
        assert_eq!(b["error_file_id"], json!(null));
        assert_eq!(b["request_counts"], json!({"total": 10, "completed": 9, "failed": 1}));
        assert_eq!(b["in_progress_at"], 1_732_400_351);
        assert_eq!(b["completed_at"], 1_732_400_376);
        assert_eq!(b["model"], "pixtral-large-latest");
        assert_eq!(b["errors"], json!(null));
        assert_eq!(b["metadata"], json!({"job_type":"testing"}));
        assert_eq!(b["input_files"], json!(["30f63bb3-6f9e-4dd5-9295-a9cdbdeabf75"]), "passed through");
        for (raw, want, at) in [
            ("QUEUED", "validating", None),
            ("RUNNING", "in_progress", None),
            ("FAILED", "failed", Some("failed_at")),
            ("TIMEOUT_EXCEEDED", "expired", Some("expired_at")),
            ("CANCELLATION_REQUESTED", "cancelling", None),
            ("CANCELLED", "cancelled", Some("cancelled_at")),
        ] {
            let b = norm(&job(raw));
            assert_eq!(b["status"], want, "{raw}");
            if let Some(at) = at {
                assert_eq!(b[at], 1_732_400_376, "{raw}");
                assert_eq!(b["completed_at"], json!(null), "{raw}");
            }
        }
        let failed = norm(&json!({"id":"j","status":"FAILED","errors":[{"message":"bad file","count":3}]}));
        assert_eq!(failed["errors"]["data"][0]["message"], "bad file");
    }

    #[test]
    fn create_translates_openai_parameters() {
        let params = r#"{"input_file_id":"f-1","endpoint":"/v1/chat/completions","completion_window":"2d","metadata":{"a":"b"},"model":"mistral-small-latest"}"#;
        let body = create_body(Json::parse(params.as_bytes()).unwrap(), Some("m1")).unwrap();
        assert_eq!(
            body,
            r#"{"input_files":["f-1"],"endpoint":"/v1/chat/completions","timeout_hours":48,"metadata":{"a":"b","llm_batches_call":"m1"},"model":"mistral-small-latest"}"#
        );
        for bad in [
            r#"{"endpoint":"/v1/chat/completions"}"#,
            r#"{"input_file_id":"f","endpoint":"x"}"#,
            r#"{"input_file_id":"f","endpoint":"/v1/x","completion_window":"9d"}"#,
            r#"{"input_file_id":"f","input_files":["g"],"endpoint":"/v1/x"}"#,
        ] {
            assert!(create_body(Json::parse(bad.as_bytes()).unwrap(), None).is_err(), "{bad}");
        }
    }

    #[test]
    fn pages_by_number_with_a_total() {
        let setup = setup();
        let cx = setup.cx();
        let page =
            r#"{"data":[{"id":"a","status":"RUNNING"},{"id":"b","status":"SUCCESS"}],"object":"list","total":5}"#;
        let q = ListQuery { limit: Some(2), page: Some("1".into()), after: None };
        let mut out = Out::default();
        let summary = Mistral.page(&cx, &mut Scanner::new(page.as_bytes()), &q, &mut out).unwrap();
        assert!(summary.has_more, "pages 0 and 1 of 2 hold 4 of 5");
        let next = Mistral.next_page(&cx, &q, &summary).unwrap();
        assert_eq!(next.page.as_deref(), Some("2"));
        let q = ListQuery { limit: Some(2), page: Some("2".into()), after: None };
        let last = r#"{"data":[{"id":"c","status":"SUCCESS"}],"object":"list","total":5}"#;
        let summary = Mistral.page(&cx, &mut Scanner::new(last.as_bytes()), &q, &mut Out::default()).unwrap();
        assert!(!summary.has_more);
        let request = Mistral.list(&cx, &ListQuery { limit: Some(2), page: Some("3".into()), after: None }).unwrap();
        assert!(request.url.ends_with("/batch/jobs?page=3&page_size=2"), "{}", request.url);
        assert!(Mistral.list(&cx, &ListQuery { after: Some("x".into()), ..ListQuery::default() }).is_err());
    }
}
