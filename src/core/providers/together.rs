//! Together's Batch API: OpenAI's paths for batches, but `create` answers `{ job, warning }`, the
//! list is a bare array without paging, the job has upper-case statuses, RFC 3339 times, a
//! percentage instead of counts and `error` as one string; input lines are `{ custom_id, body }`
//! and go up through `POST /files/upload`.

use super::anthropic::{keep_unmapped, passed};
use super::api::{page_with, Api, Cx, Upload};
use super::openai::required;
use crate::core::config::{check_id, encode, ListQuery};
use crate::core::error::{Error, Result};
use crate::core::http::{Body, Content, Form, Method, Request};
use crate::core::json::{Json, Kind, Object, Out, Scanner};
use crate::core::model::batch::{seconds_value, status_value, Batch, Slot};
use crate::core::model::counts::Counts;
use crate::core::model::page::{IdText, Layout, More};
use crate::core::model::record::{text_value, Role, Value};
use crate::core::model::PageSummary;

/// The Together family.
#[derive(Debug)]
pub struct Together;

impl Api for Together {
    fn retrieve(&self, cx: &Cx<'_>, id: &str) -> Result<Request> {
        let id = check_id("batch id", id)?;
        Ok(cx.config.request(Method::Get, &format!("/batches/{}", encode(id))))
    }

    fn list(&self, cx: &Cx<'_>, q: &ListQuery) -> Result<Request> {
        if q.after.is_some() || q.page.is_some() {
            return Err(Error::invalid_argument("Together lists every batch in one answer: no `after` or `page`"));
        }
        Ok(cx.config.request(Method::Get, "/batches"))
    }

    fn create(&self, cx: &Cx<'_>, params: Json<'_>, _marker: Option<&str>) -> Result<Request> {
        if params.kind() != Kind::Object {
            return Err(Error::invalid_argument("create parameters must be an object"));
        }
        for key in ["metadata", "output_expires_after"] {
            if params.get(key).is_some_and(|v| !v.is_null()) {
                return Err(Error::invalid_argument(format!("Together batches have no `{key}`; nothing was sent")));
            }
        }
        match params.get("input_file_id") {
            Some(v) if v.kind() == Kind::String => {
                check_id("`input_file_id`", &v.as_str().unwrap_or_default()).map(drop)?
            }
            _ => return Err(Error::invalid_argument("`input_file_id` must be a file id string")),
        }
        if !params.get("endpoint").and_then(|e| e.as_str()).is_some_and(|e| e.starts_with('/')) {
            return Err(Error::invalid_argument("`endpoint` must be a path such as \"/v1/chat/completions\""));
        }
        let mut out = Out::default();
        let mut object = Object::begin(&mut out);
        for (key, value) in params.entries().filter(|(_, v)| !v.is_null()) {
            object.raw_key(&mut out, key);
            out.raw(value);
        }
        object.end(&mut out);
        Ok(cx.config.request(Method::Post, "/batches").json(String::from_utf8(out.into_parts().0).unwrap_or_default()))
    }

    fn cancel(&self, cx: &Cx<'_>, id: &str) -> Result<Request> {
        let id = check_id("batch id", id)?;
        Ok(cx.config.request(Method::Post, &format!("/batches/{}/cancel", encode(id))))
    }

    fn upload(&self, cx: &Cx<'_>, upload: &Upload<'_>) -> Result<Request> {
        if upload.expires_after.is_some() {
            return Err(Error::invalid_argument("Together's files take no `expires_after`; nothing was sent"));
        }
        let form = Form {
            fields: vec![
                ("purpose", upload.purpose.to_owned()),
                ("file_name", upload.filename.to_owned()),
                ("file_type", "jsonl".to_owned()),
            ],
            file_field: "file",
            filename: upload.filename.to_owned(),
            content: Content::Caller,
        };
        Ok(Request { body: Body::Form(form), ..cx.config.request(Method::Post, "/files/upload") })
    }

    fn batch<'a>(&self, _cx: &Cx<'_>, scan: &mut Scanner<'a>, out: &mut Out) -> Result<IdText<'a>> {
        let mut batch = Batch::default();
        // `create` answers `{ job, warning }`: the job, with the warning beside its fields.
        let from = scan.clone();
        let mut job = None;
        let mut others = Vec::new();
        if scan.next_byte() == Some(b'{') {
            scan.object(|scan, key| {
                let value = scan.value()?;
                if key.is_str("job") && value.kind() == Kind::Object {
                    job = Some(value);
                } else {
                    others.push((key, value));
                }
                Ok(value)
            })?;
        }
        let id = match job {
            Some(job) => {
                let id = read_job(&mut Scanner::new(job.text()), &mut batch)?;
                for (key, value) in others {
                    batch.push(key, value, Role::Pass);
                }
                id
            }
            None => {
                *scan = from;
                read_job(scan, &mut batch)?
            }
        };
        batch.write(out);
        Ok(id)
    }

    fn page<'a>(&self, cx: &Cx<'_>, scan: &mut Scanner<'a>, _q: &ListQuery, out: &mut Out) -> Result<PageSummary> {
        page_with(cx, scan, Layout { items: "data", more: More::Never }, out).map(|(summary, _)| summary)
    }

    fn next_page(&self, _cx: &Cx<'_>, _query: &ListQuery, _summary: &PageSummary) -> Option<ListQuery> {
        None
    }
}

fn read_job<'a>(scan: &mut Scanner<'a>, batch: &mut Batch<'a>) -> Result<IdText<'a>> {
    batch.walk(scan, "a batch job", |name| Slot::of(name).map_or(Role::Pass, Role::Slot))?;
    for slot in [Slot::Id, Slot::Endpoint, Slot::InputFileId, Slot::OutputFileId, Slot::ErrorFileId] {
        if let Some(sent) = batch.sent(slot) {
            batch.set(slot, text_value(sent));
        }
    }
    if let Some(sent) = batch.sent(Slot::Status) {
        batch.set(Slot::Status, status_value(sent, |_| None).unwrap_or(Value::Null));
    }
    if let Some(sent) = batch.sent(Slot::CreatedAt) {
        batch.set(Slot::CreatedAt, seconds_value(sent));
    }
    batch.set(Slot::Object, Value::Name("batch"));
    if let Some(deadline) = passed(batch, "job_deadline").filter(|v| !v.is_null()) {
        batch.set(Slot::ExpiresAt, seconds_value(deadline));
    }
    if let Some(model) = passed(batch, "model_id").filter(|m| m.kind() == Kind::String) {
        batch.set(Slot::Model, text_value(model));
    }
    if let Some(error) = passed(batch, "error").filter(|e| !e.is_null()) {
        batch.set(Slot::Errors, Value::Errors(error));
    }
    let status = match batch.value(Slot::Status) {
        Value::Name(s) => Some(*s),
        Value::Raw(v) => v.as_str().and_then(|s| crate::core::model::status::normalize(&s)),
        _ => None,
    };
    let end_slot = status.and_then(Slot::ended_at);
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
    // Together sends no counts (only `progress`); ours, when this is our own output, are read back.
    let sent = batch.sent(Slot::RequestCounts);
    batch.set(Slot::RequestCounts, Value::Counts(Counts::from_parts(Counts::read(sent), sent)));
    keep_unmapped(batch);
    required(batch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::{Options, Runtime};
    use crate::core::providers::Setup;
    use serde_json::{json, Value as Tree};

    fn setup() -> Setup {
        let options = Options { api_key: Some("k".into()), provider: Some("together".into()), ..Options::default() };
        Setup::new(options, Runtime::Server).unwrap()
    }

    fn norm(text: &str) -> Tree {
        let mut out = Out::default();
        let mut scan = Scanner::new(text.as_bytes());
        Together.batch(&setup().cx(), &mut scan, &mut out).unwrap();
        scan.at_end().unwrap();
        serde_json::from_slice(out.as_bytes()).unwrap()
    }

    const JOB: &str = r#"{"id":"01234567-8901-2345-6789-012345678901","user_id":"user_789xyz012","input_file_id":"file-input123abc456def","file_size_bytes":1048576,"status":"COMPLETED","job_deadline":"2024-01-15T15:30:00Z","created_at":"2024-01-15T14:30:00Z","endpoint":"/v1/chat/completions","progress":100,"model_id":"meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo","output_file_id":"file-output789xyz012ghi","error_file_id":"file-errors456def789jkl","error":"2 requests failed","completed_at":"2024-01-15T15:45:30Z"}"#;

    #[test]
    fn a_job_and_the_create_answer_map_onto_the_batch() {
        let b = norm(JOB);
        assert_eq!(b["status"], "completed");
        assert_eq!(b["created_at"], 1_705_329_000);
        assert_eq!(b["expires_at"], 1_705_332_600);
        assert_eq!(b["completed_at"], 1_705_333_530);
        assert_eq!(b["model"], "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo");
        assert_eq!(b["errors"]["data"][0]["message"], "2 requests failed");
        assert_eq!(b["progress"], 100);
        assert_eq!(b["object"], "batch");
        let wrapped = norm(&format!(r#"{{"job":{JOB},"warning":"slow lane"}}"#));
        assert_eq!(wrapped["id"], b["id"]);
        assert_eq!(wrapped["warning"], "slow lane", "the warning stays beside the job");
        for (raw, want) in [
            ("VALIDATING", "validating"),
            ("IN_PROGRESS", "in_progress"),
            ("CANCELING", "cancelling"),
            ("EXPIRED", "expired"),
        ] {
            let b = norm(&format!(r#"{{"id":"x","status":"{raw}"}}"#));
            assert_eq!(b["status"], want);
        }
    }

    #[test]
    fn the_list_is_one_bare_array() {
        let setup = setup();
        let cx = setup.cx();
        let page = format!("[{JOB},{{\"id\":\"y\",\"status\":\"IN_PROGRESS\"}}]");
        let mut out = Out::default();
        let summary = Together.page(&cx, &mut Scanner::new(page.as_bytes()), &ListQuery::default(), &mut out).unwrap();
        let got: Tree = serde_json::from_slice(out.as_bytes()).unwrap();
        assert_eq!((summary.len, summary.has_more), (2, false));
        assert_eq!(got["object"], "list");
        assert_eq!(got["last_id"], "y");
        assert_eq!(got["has_more"], json!(false));
        assert!(Together.list(&cx, &ListQuery { after: Some("x".into()), ..ListQuery::default() }).is_err());
        let upload = Together
            .upload(&cx, &Upload { filename: "in.jsonl", purpose: "batch-api", bytes: 0, expires_after: None })
            .unwrap();
        assert!(upload.url.ends_with("/files/upload"));
    }
}
