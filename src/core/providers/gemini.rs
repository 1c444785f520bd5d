//! The Gemini API's Batch Mode, natively (`models/{model}:batchGenerateContent`, `batches/{id}`):
//! its OpenAI-compatible endpoints cover only create and retrieve, and files still need the native
//! upload and download, so the native API is the one that covers the whole life of a batch.
//!
//! A batch is a long-running Operation: `{ name: "batches/…", metadata: <the batch>, done, error,
//! response }`. Our `id` is the name without `batches/`; `metadata` is the operation's metadata as
//! sent (Gemini has no user metadata; this call's marker rides in `displayName`). States
//! `BATCH_STATE_*` (or the SDK's `JOB_STATE_*`) map by their spelling; counts are `batchStats`
//! (int64 strings, zeros left out); a job pending or running for 48 hours expires.
//!
//! Input lines are `{ key, request }` (`key` = `custom_id`, `request` = the body), uploaded with the
//! resumable protocol (a start request, then the bytes to the URL it answers with); results are
//! the output file, `{ key, response | error }` per line.

use std::borrow::Cow;

use super::anthropic::{keep_unmapped, passed};
use super::api::{page_with, Api, Cancelled, Cx, ResultsAt, Upload};
use super::openai::required;
use crate::core::config::{check_id, encode, query, ListQuery};
use crate::core::error::{Error, Result};
use crate::core::http::{Body, Content, Head, Header, Method, Request};
use crate::core::json::{Json, Kind, Object, Out, Scanned, Scanner};
use crate::core::jsonl::LineReader;
use crate::core::model::batch::{seconds_value, Batch, Slot};
use crate::core::model::counts::{count, Counts};
use crate::core::model::file::{file_value, FileRecord, FileSlot};
use crate::core::model::page::{next_token, IdText, Layout, More};
use crate::core::model::record::{Role, Value};
use crate::core::model::result::{ErrorOut, Response, ResultLine};
use crate::core::model::{status, time, PageSummary, Source};
use crate::core::text::{self, Quoted};

/// The Gemini family.
#[derive(Debug)]
pub struct Gemini;

/// The API version the paths are under.
const VERSION: &str = "v1beta";
/// A batch not finished within this long expires (seconds).
const EXPIRES_AFTER_S: i64 = 48 * 3600;

/// An id as the API names it (`batches/x`) or as we do (`x`): ours.
fn bare<'s>(id: &'s str, collection: &str) -> &'s str {
    id.strip_prefix(collection).and_then(|rest| rest.strip_prefix('/')).unwrap_or(id)
}

/// The model of an endpoint such as `/v1beta/models/gemini-2.5-flash:generateContent`.
pub fn model_of(endpoint: &str) -> Option<&str> {
    let (_, rest) = text::split_once(endpoint, "models/")?;
    let (model, method) = rest.split_once(':')?;
    (method == "generateContent" && !model.is_empty() && !model.contains('/')).then_some(model)
}

impl Api for Gemini {
    fn retrieve(&self, cx: &Cx<'_>, id: &str) -> Result<Request> {
        let id = check_id("batch id", bare(id, "batches"))?;
        Ok(cx.config.request(Method::Get, &format!("/{VERSION}/batches/{}", encode(id))))
    }

    fn list(&self, cx: &Cx<'_>, q: &ListQuery) -> Result<Request> {
        if q.after.is_some() {
            return Err(Error::invalid_argument(
                "Gemini pages its list by page token (`page`: the previous page's nextPageToken), not by `after`",
            ));
        }
        let size = q.limit.map(|n| n.to_string());
        let path = format!("/{VERSION}/batches{}", query(&[("pageSize", size), ("pageToken", q.page.clone())]));
        Ok(cx.config.request(Method::Get, &path))
    }

    fn create(&self, cx: &Cx<'_>, params: Json<'_>, marker: Option<&str>) -> Result<Request> {
        let (model, body) = create_body(params, marker)?;
        let path = format!("/{VERSION}/models/{}:batchGenerateContent", encode(&model));
        Ok(cx.config.request(Method::Post, &path).json(body))
    }

    fn cancel(&self, cx: &Cx<'_>, id: &str) -> Result<Request> {
        let id = check_id("batch id", bare(id, "batches"))?;
        Ok(cx.config.request(Method::Post, &format!("/{VERSION}/batches/{}:cancel", encode(id))))
    }

    fn cancelled(&self) -> Cancelled {
        Cancelled::Nothing
    }

    fn upload(&self, cx: &Cx<'_>, upload: &Upload<'_>) -> Result<Request> {
        if upload.expires_after.is_some() {
            return Err(Error::invalid_argument("Gemini's files take no `expires_after` (they keep 48 hours)"));
        }
        let mut body = Out::default();
        let mut object = Object::begin(&mut body);
        object.key(&mut body, "file");
        let mut file = Object::begin(&mut body);
        file.key(&mut body, "displayName");
        body.string(upload.filename);
        file.end(&mut body);
        object.end(&mut body);
        let request = cx
            .config
            .request(Method::Post, &format!("/upload/{VERSION}/files"))
            .header("x-goog-upload-protocol", "resumable")
            .header("x-goog-upload-command", "start")
            .header("x-goog-upload-header-content-length", upload.bytes.to_string())
            .header("x-goog-upload-header-content-type", "application/jsonl");
        Ok(request.json(String::from_utf8(body.into_parts().0).unwrap_or_default()))
    }

    fn upload_next(&self, cx: &Cx<'_>, head: &Head) -> Result<Option<Request>> {
        let url = head.get(Header::UploadUrl).map(str::trim).filter(|u| !u.is_empty()).ok_or_else(|| {
            Error::invalid_response("Gemini started the upload without an x-goog-upload-url to send the file to")
        })?;
        let request = cx.config.request_at(Method::Post, url).ok_or_else(|| {
            Error::invalid_response(format!(
                "Gemini's upload URL is not on {}: the file (and the key) are not sent there",
                cx.config.host()
            ))
        })?;
        let request = request
            .header("x-goog-upload-command", "upload, finalize")
            .header("x-goog-upload-offset", "0")
            .without("content-type");
        Ok(Some(Request { body: Body::Raw(Content::Caller), ..request }))
    }

    fn file_content(&self, cx: &Cx<'_>, file_id: &str) -> Result<Request> {
        let id = check_id("file id", bare(file_id, "files"))?;
        let path = format!("/download/{VERSION}/files/{}:download?alt=media", encode(id));
        Ok(cx.config.request(Method::Get, &path).without("accept"))
    }

    fn retrieve_file(&self, cx: &Cx<'_>, file_id: &str) -> Result<Request> {
        let id = check_id("file id", bare(file_id, "files"))?;
        Ok(cx.config.request(Method::Get, &format!("/{VERSION}/files/{}", encode(id))))
    }

    fn batch<'a>(&self, _cx: &Cx<'_>, scan: &mut Scanner<'a>, out: &mut Out) -> Result<IdText<'a>> {
        let mut batch = Batch::default();
        let id = read_operation(scan, &mut batch)?;
        batch.write(out);
        Ok(id)
    }

    fn page<'a>(&self, cx: &Cx<'_>, scan: &mut Scanner<'a>, _q: &ListQuery, out: &mut Out) -> Result<PageSummary> {
        const TOKEN: &[&str] = &["nextPageToken"];
        let layout = Layout { items: "operations", more: More::Token(TOKEN) };
        let (mut summary, entries) = page_with(cx, scan, layout, out)?;
        summary.next = next_token(&entries, TOKEN);
        Ok(summary)
    }

    fn file(&self, _cx: &Cx<'_>, scan: &mut Scanner<'_>, out: &mut Out) -> Result<()> {
        write_file(scan, out)
    }

    fn result_line(&self) -> LineReader {
        gemini_line
    }

    fn results_at(&self, batch: Json<'_>) -> Vec<ResultsAt> {
        let file = batch.get("output_file_id").and_then(|v| v.non_empty_str()).map(Cow::into_owned);
        file.map(|id| ResultsAt::File(Source::Output, id)).into_iter().collect()
    }

    fn next_page(&self, _cx: &Cx<'_>, query: &ListQuery, summary: &PageSummary) -> Option<ListQuery> {
        summary.next.clone().map(|token| ListQuery { page: Some(token), after: None, ..query.clone() })
    }

    fn marker_room(&self, _cx: &Cx<'_>, params: Json<'_>) -> bool {
        params.kind() == Kind::Object
    }

    fn marker_place(&self) -> &'static str {
        "a displayName ending in #"
    }

    fn marked(&self, batch: Json<'_>, marker: &str) -> bool {
        let name = batch.get("metadata").and_then(|m| m.get("displayName")).and_then(|n| n.as_str());
        name.is_some_and(|n| n.ends_with(&marker_suffix(marker)))
    }
}

/// What a call's marker adds to the batch's `displayName`.
fn marker_suffix(marker: &str) -> String {
    format!(" #{marker}")
}

/// The model and the body of `batchGenerateContent`, from `{ input_file_id, endpoint | model,
/// display_name?, priority? }` or inline `{ requests: [{ request, metadata }], model | endpoint }`.
fn create_body(params: Json<'_>, marker: Option<&str>) -> Result<(String, String)> {
    if params.kind() != Kind::Object {
        return Err(Error::invalid_argument("create parameters must be an object"));
    }
    let text = |key: &str| params.get(key).filter(|v| !v.is_null()).and_then(|v| v.as_str());
    for key in ["metadata", "completion_window", "output_expires_after"] {
        if params.get(key).is_some_and(|v| !v.is_null()) {
            return Err(Error::invalid_argument(format!("Gemini batches have no `{key}`; nothing was sent")));
        }
    }
    let endpoint = text("endpoint");
    let model = match (text("model"), endpoint.as_deref()) {
        (Some(model), _) => model.strip_prefix("models/").unwrap_or(&model).to_owned(),
        (None, Some(endpoint)) => model_of(endpoint)
            .ok_or_else(|| {
                Error::invalid_argument(format!(
                    "Gemini's `endpoint` names the model: \"/v1beta/models/MODEL:generateContent\", got {}",
                    Quoted(endpoint)
                ))
            })?
            .to_owned(),
        (None, None) => {
            return Err(Error::invalid_argument(
                "Gemini needs the model: `endpoint: \"/v1beta/models/MODEL:generateContent\"` or `model`",
            ))
        }
    };
    let file = text("input_file_id");
    let inline = params.get("requests").filter(|r| r.kind() == Kind::Array);
    let mut out = Out::default();
    let mut outer = Object::begin(&mut out);
    outer.key(&mut out, "batch");
    let mut batch = Object::begin(&mut out);
    batch.key(&mut out, "displayName");
    let name = text("display_name").or_else(|| text("displayName")).unwrap_or(Cow::Borrowed("llm-batches"));
    match marker {
        Some(marker) => out.string(&format!("{name}{}", marker_suffix(marker))),
        None => out.string(&name),
    }
    batch.key(&mut out, "inputConfig");
    let mut input = Object::begin(&mut out);
    match (file, inline) {
        (Some(file), None) => {
            input.key(&mut out, "fileName");
            let file = if file.starts_with("files/") { file.into_owned() } else { format!("files/{file}") };
            out.string(&file);
        }
        (None, Some(requests)) => {
            input.key(&mut out, "requests");
            let mut holder = Object::begin(&mut out);
            holder.key(&mut out, "requests");
            out.raw(requests);
            holder.end(&mut out);
        }
        _ => {
            return Err(Error::invalid_argument(
                "Gemini needs `input_file_id` (a file from uploadFile) or inline `requests`, one of them",
            ))
        }
    }
    input.end(&mut out);
    if let Some(priority) = params.get("priority").filter(|p| !p.is_null()) {
        batch.key(&mut out, "priority");
        out.raw(priority);
    }
    batch.end(&mut out);
    outer.end(&mut out);
    Ok((model, String::from_utf8(out.into_parts().0).unwrap_or_default()))
}

/// A state without its `BATCH_STATE_` / `JOB_STATE_` prefix, as one of ours.
fn state(text: &str) -> Option<&'static str> {
    let plain = text.strip_prefix("BATCH_STATE_").or_else(|| text.strip_prefix("JOB_STATE_"))?;
    status::normalize(plain)
}

fn read_operation<'a>(scan: &mut Scanner<'a>, batch: &mut Batch<'a>) -> Result<IdText<'a>> {
    batch.walk(scan, "a batch operation", |name| match name {
        b"metadata" => Role::Slot(Slot::Metadata),
        b"name" | b"done" | b"error" | b"response" => Role::Pass,
        name => Slot::of(name).map_or(Role::Pass, Role::Slot),
    })?;
    let meta = batch.sent(Slot::Metadata).filter(|m| m.kind() == Kind::Object);
    if let Some(sent) = batch.sent(Slot::Metadata) {
        batch.set(Slot::Metadata, Value::Raw(sent));
    }
    let field = |key: &str| meta.and_then(|m| m.get(key));
    let name = passed(batch, "name").or_else(|| field("name")).and_then(|n| n.non_empty_str());
    if let Some(name) = name {
        let id: Cow<'a, str> = match name {
            Cow::Borrowed(s) => Cow::Borrowed(bare(s, "batches")),
            Cow::Owned(s) => Cow::Owned(bare(&s, "batches").to_owned()),
        };
        batch.set(Slot::Id, Value::Str(id));
    }
    let sent_state = field("state").filter(|s| s.kind() == Kind::String);
    let status = sent_state.and_then(|s| s.as_str()).and_then(|s| state(&s));
    match (status, sent_state) {
        (Some(status), _) => batch.set(Slot::Status, Value::Name(status)),
        (None, Some(sent)) => batch.set(Slot::Status, Value::Raw(sent)),
        _ => {}
    }
    batch.set(Slot::Object, Value::Name("batch"));
    let created = field("createTime").and_then(|t| t.as_str()).and_then(|t| time::parse_rfc3339(&t));
    if let Some(created) = created {
        batch.set(Slot::CreatedAt, Value::Int(created));
        batch.set(Slot::ExpiresAt, Value::Int(created + EXPIRES_AFTER_S));
    }
    let end_slot = status.and_then(Slot::ended_at);
    if let (Some(slot), Some(end)) = (end_slot, field("endTime")) {
        batch.set(slot, seconds_value(end));
    }
    if let Some(model) = field("model").and_then(|m| m.non_empty_str()) {
        batch.set(Slot::Endpoint, Value::Str(Cow::Owned(format!("/{VERSION}/{model}:generateContent"))));
        batch.set(Slot::Model, Value::Str(model));
    }
    let nested = |outer: &str, inner: &str| field(outer).and_then(|o| o.get(inner)).and_then(|v| v.non_empty_str());
    batch.set(Slot::InputFileId, nested("inputConfig", "fileName").map_or(Value::Null, Value::Str));
    batch.set(Slot::OutputFileId, nested("output", "responsesFile").map_or(Value::Null, Value::Str));
    let stats = field("batchStats").filter(|s| s.kind() == Kind::Object);
    let n = |key: &str| stats.and_then(|s| s.get(key)).and_then(count).unwrap_or(0);
    let counts = Counts {
        total: n("requestCount"),
        completed: n("successfulRequestCount"),
        failed: n("failedRequestCount"),
        source: None,
    };
    batch.set(Slot::RequestCounts, Value::Counts(counts));
    let error = passed(batch, "error").filter(|e| !e.is_null());
    batch.set(Slot::Errors, error.map_or(Value::Null, Value::Errors));
    keep_unmapped(batch);
    required(batch)
}

/// A File (`{ file: {...} }` from an upload, or the bare File): `id` is its `name` (`files/…`),
/// `bytes` its `sizeBytes`, `filename` its `displayName`, `status` its `state`.
fn write_file(scan: &mut Scanner<'_>, out: &mut Out) -> Result<()> {
    let mut inner = None;
    let from = scan.clone();
    if scan.next_byte() == Some(b'{') {
        scan.object(|scan, key| {
            let value = scan.value()?;
            if key.is_str("file") && value.kind() == Kind::Object {
                inner = Some(value);
            }
            Ok(value)
        })?;
    }
    let text = match inner {
        Some(file) => file.text(),
        None => {
            *scan = from;
            scan.value()?.text()
        }
    };
    let mut record = FileRecord::default();
    record.walk(&mut Scanner::new(text), "a file", |name| match name {
        b"name" | b"sizeBytes" | b"createTime" | b"expirationTime" | b"displayName" | b"state" => Role::Pass,
        name => FileSlot::of(name).map_or(Role::Pass, Role::Slot),
    })?;
    fn sent<'a>(record: &FileRecord<'a>, key: &str) -> Option<Json<'a>> {
        record.entries().iter().rev().find(|e| e.role == Role::Pass && e.key.is_str(key)).map(|e| e.value)
    }
    for (slot, key) in [
        (FileSlot::Id, "name"),
        (FileSlot::Bytes, "sizeBytes"),
        (FileSlot::CreatedAt, "createTime"),
        (FileSlot::ExpiresAt, "expirationTime"),
        (FileSlot::Filename, "displayName"),
        (FileSlot::Status, "state"),
    ] {
        let value = sent(&record, key).or_else(|| record.sent(slot)).map_or(Value::Missing, |v| file_value(slot, v));
        record.set(slot, value);
    }
    record.set(FileSlot::Object, Value::Name("file"));
    if let Some(purpose) = record.sent(FileSlot::Purpose) {
        record.set(FileSlot::Purpose, file_value(FileSlot::Purpose, purpose));
    }
    if !matches!(record.value(FileSlot::Id), Value::Raw(v) if v.kind() == Kind::String) {
        return Err(Error::invalid_response("the file has no name"));
    }
    record.write(out);
    Ok(())
}

/// One line of a results file: `{ key, response }` (the response is the body) or `{ key, error }`
/// (a google.rpc.Status: `{ code: its status name, message }`, and the whole status as the response
/// body with its HTTP code).
pub fn gemini_line<'a>(scan: &mut Scanner<'a>) -> Scanned<ResultLine<'a>> {
    let mut line = ResultLine::default();
    scan.object(|scan, key| {
        let value = scan.value()?;
        line.entries.push((key, value));
        Ok(value)
    })?;
    line.custom_id = line.get("key");
    line.id = line.get("id");
    let response = line.get("response").filter(|r| r.kind() == Kind::Object);
    let error = line.get("error").filter(|e| e.kind() == Kind::Object);
    match (error, response) {
        (Some(error), _) => {
            let status = error.get("code").and_then(count).and_then(|c| u16::try_from(c).ok()).unwrap_or(0);
            let text = |key: &str| error.get(key).and_then(|v| v.as_str());
            let code = text("status")
                .or_else(|| error.get("code").map(|c| Cow::Borrowed(std::str::from_utf8(c.text()).unwrap_or("error"))));
            line.error = ErrorOut::Made(code.unwrap_or(Cow::Borrowed("error")), text("message").unwrap_or_default());
            if status > 0 {
                line.response = Response::Made { status_code: status, body: error };
            }
        }
        (None, Some(body)) => {
            line.response = Response::Made { status_code: 200, body };
            line.consumed = &["response"];
        }
        (None, None) => {}
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
            Options { api_key: Some("AIza-test".into()), provider: Some("gemini".into()), ..Options::default() };
        Setup::new(options, Runtime::Server).unwrap()
    }

    fn norm(raw: &Tree) -> Tree {
        let text = raw.to_string();
        let mut out = Out::default();
        Gemini.batch(&setup().cx(), &mut Scanner::new(text.as_bytes()), &mut out).unwrap();
        serde_json::from_slice(out.as_bytes()).unwrap()
    }

    fn operation(state: &str, stats: Tree) -> Tree {
        json!({"name":"batches/4m855v7q30kc7gtzcigdg9m72o87s08w33vp",
          "metadata":{"@type":"type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "model":"models/gemini-2.5-flash","displayName":"test-batch-job",
            "inputConfig":{"fileName":"files/85nave4ld71j"},
            "output":{"responsesFile":"files/batch-4m855v7q30kc7gtzcigdg9m72o87s08w33vp"},
            "createTime":"2025-12-10T18:27:01.407650525Z","endTime":"2025-12-10T18:28:31.548158795Z",
            "updateTime":"2025-12-10T18:28:31.548158754Z","batchStats":stats,"state":state,
            "name":"batches/4m855v7q30kc7gtzcigdg9m72o87s08w33vp"},
          "done":true})
    }

    #[test]
    fn an_operation_maps_onto_the_batch() {
        let raw = operation(
            "BATCH_STATE_SUCCEEDED",
            json!({"requestCount":"3","successfulRequestCount":"2","failedRequestCount":"1"}),
        );
        let b = norm(&raw);
        assert_eq!(b["id"], "4m855v7q30kc7gtzcigdg9m72o87s08w33vp");
        assert_eq!(b["name"], raw["name"], "passed through");
        assert_eq!(b["metadata"], raw["metadata"], "the operation's metadata as sent");
        assert_eq!(b["status"], "completed");
        assert_eq!(b["request_counts"], json!({"total": 3, "completed": 2, "failed": 1}));
        assert_eq!(b["created_at"], 1_765_391_221);
        assert_eq!(b["expires_at"], 1_765_391_221 + 48 * 3600);
        assert_eq!(b["completed_at"], 1_765_391_311);
        assert_eq!(b["input_file_id"], "files/85nave4ld71j");
        assert_eq!(b["output_file_id"], "files/batch-4m855v7q30kc7gtzcigdg9m72o87s08w33vp");
        assert_eq!(b["model"], "models/gemini-2.5-flash");
        assert_eq!(b["endpoint"], "/v1beta/models/gemini-2.5-flash:generateContent");
        for (raw, want) in [
            ("BATCH_STATE_PENDING", "validating"),
            ("BATCH_STATE_RUNNING", "in_progress"),
            ("JOB_STATE_RUNNING", "in_progress"),
            ("BATCH_STATE_FAILED", "failed"),
            ("BATCH_STATE_CANCELLED", "cancelled"),
            ("BATCH_STATE_EXPIRED", "expired"),
            ("BATCH_STATE_UNSPECIFIED", "BATCH_STATE_UNSPECIFIED"),
        ] {
            assert_eq!(
                norm(&operation(raw, json!({"requestCount":"3","pendingRequestCount":"3"})))["status"],
                want,
                "{raw}"
            );
        }
        let pending = norm(&operation("BATCH_STATE_PENDING", json!({"requestCount":"3","pendingRequestCount":"3"})));
        assert_eq!(pending["request_counts"], json!({"total": 3, "completed": 0, "failed": 0}));
        let mut failed = operation("BATCH_STATE_FAILED", json!({}));
        failed["error"] = json!({"code": 3, "message": "bad input file"});
        assert_eq!(norm(&failed)["errors"]["data"][0]["message"], "bad input file");
    }

    #[test]
    fn create_takes_the_model_from_the_endpoint_and_marks_the_display_name() {
        let setup = setup();
        let cx = setup.cx();
        let params = r#"{"input_file_id":"files/abc","endpoint":"/v1beta/models/gemini-2.5-flash:generateContent"}"#;
        let request = Gemini.create(&cx, Json::parse(params.as_bytes()).unwrap(), Some("m1")).unwrap();
        assert!(request.url.ends_with("/v1beta/models/gemini-2.5-flash:batchGenerateContent"), "{}", request.url);
        let Body::Json(body) = &request.body else { panic!("a JSON body") };
        assert_eq!(body, r#"{"batch":{"displayName":"llm-batches #m1","inputConfig":{"fileName":"files/abc"}}}"#);
        let made: Tree = serde_json::from_str(body).unwrap();
        let batch = json!({"name": "batches/x", "metadata": {"displayName": made["batch"]["displayName"], "state": "BATCH_STATE_PENDING"}});
        let text = norm(&batch).to_string();
        assert!(Gemini.marked(Json::parse(text.as_bytes()).unwrap(), "m1"));
        assert!(!Gemini.marked(Json::parse(text.as_bytes()).unwrap(), "m2"));
        for bad in [
            r#"{"input_file_id":"files/a"}"#,
            r#"{"input_file_id":"files/a","endpoint":"/v1/chat/completions"}"#,
            r#"{"endpoint":"/v1beta/models/g:generateContent"}"#,
            r#"{"input_file_id":"files/a","model":"g","metadata":{"a":"b"}}"#,
        ] {
            assert!(Gemini.create(&cx, Json::parse(bad.as_bytes()).unwrap(), None).is_err(), "{bad}");
        }
        let headers = &request.headers;
        assert!(
            headers.iter().any(|(n, _)| n == "x-goog-api-key") && !headers.iter().any(|(n, _)| n == "authorization")
        );
    }

    #[test]
    fn uploads_start_then_send_to_the_session_url_on_the_same_host() {
        let setup = setup();
        let cx = setup.cx();
        let start = Gemini
            .upload(&cx, &Upload { filename: "in.jsonl", purpose: "batch", bytes: 42, expires_after: None })
            .unwrap();
        assert!(start.url.ends_with("/upload/v1beta/files"));
        assert!(start.headers.iter().any(|(n, v)| n == "x-goog-upload-header-content-length" && v == "42"));
        let mut head = Head::new(200);
        head.set(Header::UploadUrl, "https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=xyz");
        let next = Gemini.upload_next(&cx, &head).unwrap().unwrap();
        assert!(next.url.ends_with("upload_id=xyz"));
        assert_eq!(next.body, Body::Raw(Content::Caller));
        head.set(Header::UploadUrl, "https://elsewhere.example/upload");
        assert!(Gemini.upload_next(&cx, &head).is_err(), "the key never goes to another host");
        let file = r#"{"file":{"name":"files/t5snrshrqff1","displayName":"in.jsonl","mimeType":"jsonl","sizeBytes":"42","createTime":"2025-12-10T18:27:01Z","expirationTime":"2025-12-12T18:27:01Z","state":"ACTIVE"}}"#;
        let mut out = Out::default();
        let mut scan = Scanner::new(file.as_bytes());
        Gemini.file(&cx, &mut scan, &mut out).unwrap();
        scan.at_end().unwrap();
        let f: Tree = serde_json::from_slice(out.as_bytes()).unwrap();
        assert_eq!(
            (f["id"].as_str(), f["bytes"].as_u64(), f["filename"].as_str(), f["status"].as_str()),
            (Some("files/t5snrshrqff1"), Some(42), Some("in.jsonl"), Some("ACTIVE"))
        );
        assert_eq!(f["created_at"], 1_765_391_221);
        assert_eq!(f["sizeBytes"], "42", "passed through");
    }

    #[test]
    fn result_lines_of_both_kinds() {
        let text = concat!(
            r#"{"response":{"candidates":[{"content":{"parts":[{"text":"hi"}]}}]},"key":"request_1"}"#,
            "\n",
            r#"{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"},"key":"request_2"}"#,
            "\n",
        );
        let mut results = crate::core::jsonl::Results::new(gemini_line);
        let mut decoder = crate::core::jsonl::JsonlDecoder::new(Source::Output);
        decoder.push(text.as_bytes(), &mut results);
        decoder.finish(&mut results);
        let rows: Tree = serde_json::from_slice(&results.take().0).unwrap();
        assert_eq!(rows[0]["custom_id"], "request_1");
        assert_eq!(rows[0]["error"], json!(null));
        assert_eq!(rows[0]["response"]["body"]["candidates"][0]["content"]["parts"][0]["text"], "hi");
        assert!(rows[0].get("response").is_some() && rows[0]["response"]["status_code"] == 200);
        assert_eq!(rows[1]["error"], json!({"code": "INVALID_ARGUMENT", "message": "bad"}));
        assert_eq!(rows[1]["response"]["status_code"], 400);
        assert_eq!(rows[1]["response"]["body"]["status"], "INVALID_ARGUMENT");
    }
}
