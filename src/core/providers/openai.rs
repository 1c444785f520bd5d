//! The OpenAI Batch API (`/batches`, `/files`) and the hosts that speak it with their own quirks:
//! PPInfra's upper-case statuses, string times and top-level counts, token360's missing fields,
//! SiliconFlow's `in_queue`, Zhipu's counts, Groq's cursor, Azure's `api-key`. Every spelling is
//! recognised for every host; the provider's row only says what it sends that could be read two
//! ways (top-level `total` is PPInfra's count, but someone else's field on OpenAI).

use std::borrow::Cow;

use super::api::{page_with, Api, Cx, Paging, Upload, MARKER_KEY};
use crate::core::config::{check_id, encode, query, ListQuery};
use crate::core::error::{Error, Result};
use crate::core::http::{Body, Form, Method, Request};
use crate::core::json::{Json, Kind, Object, Out, Scanner};
use crate::core::model::batch::{object_name, seconds_value, status_value, Batch, Slot};
use crate::core::model::counts::{count, counts_as_sent, Counts, COUNT_NAMES};
use crate::core::model::page::{IdText, OPENAI};
use crate::core::model::record::{metadata_value, object_value, text_value, Role, Value};
use crate::core::model::PageSummary;

/// The OpenAI family.
#[derive(Debug)]
pub struct OpenAi;

impl Api for OpenAi {
    fn retrieve(&self, cx: &Cx<'_>, id: &str) -> Result<Request> {
        let id = check_id("batch id", id)?;
        Ok(cx.config.request(Method::Get, &format!("/batches/{}", encode(id))))
    }

    fn list(&self, cx: &Cx<'_>, q: &ListQuery) -> Result<Request> {
        if q.page.is_some() {
            return Err(Error::invalid_argument(format!(
                "{} pages its list by `after` (the previous page's last_id), not by `page`",
                cx.provider.label
            )));
        }
        let path = match cx.provider.paging {
            Paging::After => {
                format!("/batches{}", query(&[("limit", q.limit.map(|n| n.to_string())), ("after", q.after.clone())]))
            }
            Paging::Cursor => format!("/batches{}", query(&[("cursor", q.after.clone())])),
            Paging::None | Paging::Page => "/batches".to_owned(),
        };
        Ok(cx.config.request(Method::Get, &path))
    }

    fn create(&self, cx: &Cx<'_>, params: Json<'_>, marker: Option<&str>) -> Result<Request> {
        let body = create_body(cx, params, marker)?;
        Ok(cx.config.request(Method::Post, "/batches").json(body))
    }

    fn cancel(&self, cx: &Cx<'_>, id: &str) -> Result<Request> {
        let id = check_id("batch id", id)?;
        Ok(cx.config.request(Method::Post, &format!("/batches/{}/cancel", encode(id))))
    }

    fn upload(&self, cx: &Cx<'_>, upload: &Upload<'_>) -> Result<Request> {
        let mut fields = vec![("purpose", upload.purpose.to_owned())];
        // The spec's form encoding of the `expires_after` object.
        if let Some((anchor, seconds)) = upload.expires_after {
            fields.push(("expires_after[anchor]", anchor.to_owned()));
            fields.push(("expires_after[seconds]", seconds.to_string()));
        }
        let form = Form {
            fields,
            file_field: "file",
            filename: upload.filename.to_owned(),
            content: crate::core::http::Content::Caller,
        };
        Ok(Request { body: Body::Form(form), ..cx.config.request(Method::Post, "/files") })
    }

    fn batch<'a>(&self, cx: &Cx<'_>, scan: &mut Scanner<'a>, out: &mut Out) -> Result<IdText<'a>> {
        let mut batch = Batch::default();
        let id = read_batch(cx, scan, &mut batch)?;
        batch.write(out);
        Ok(id)
    }

    fn page<'a>(&self, cx: &Cx<'_>, scan: &mut Scanner<'a>, _query: &ListQuery, out: &mut Out) -> Result<PageSummary> {
        let (mut summary, entries) = page_with(cx, scan, OPENAI, out)?;
        if cx.provider.paging == Paging::Cursor {
            let next = entries.get("paging").and_then(|p| p.get("next_cursor")).and_then(|c| c.non_empty_str());
            summary.has_more = next.is_some();
            summary.next = next.map(Cow::into_owned);
        }
        Ok(summary)
    }

    fn next_page(&self, _cx: &Cx<'_>, query: &ListQuery, summary: &PageSummary) -> Option<ListQuery> {
        if !summary.has_more {
            return None;
        }
        let after = summary.next.clone().or_else(|| summary.last_id.clone());
        Some(ListQuery { after, ..query.clone() })
    }
}

/// Reads an OpenAI-shaped batch into `batch`; answers the text of its normalised id.
pub fn read_batch<'a>(cx: &Cx<'_>, scan: &mut Scanner<'a>, batch: &mut Batch<'a>) -> Result<IdText<'a>> {
    batch.walk(scan, "a batch", |name| Slot::of(name).map_or(Role::Pass, Role::Slot))?;
    // Top-level counts (PPInfra): taken into `request_counts` when the last of a name is a count.
    let mut top = [None; 3];
    if cx.config.top_level_counts() {
        for entry in batch.entries().iter().filter(|e| e.role == Role::Pass) {
            if let Some(i) = COUNT_NAMES.iter().position(|n| n.as_bytes() == &*entry.key.key_bytes()) {
                if let Some(slot) = top.get_mut(i) {
                    *slot = Some(count(entry.value));
                }
            }
        }
        let top = top;
        batch.drop_where(|e| {
            let name = e.key.key_bytes();
            COUNT_NAMES
                .iter()
                .position(|n| n.as_bytes() == &*name)
                .is_some_and(|i| matches!(top.get(i), Some(Some(Some(_)))))
        });
    }
    let top = top.map(Option::flatten);
    for slot in Slot::ALL {
        let value = match batch.sent(slot) {
            None => Value::Missing,
            Some(sent) => match slot {
                Slot::Id => text_value(sent),
                Slot::Object => object_name(sent, "batch"),
                Slot::Status => status_value(sent, |_| None).unwrap_or(Value::Null),
                Slot::Errors if sent.is_null() => Value::Raw(sent),
                Slot::Errors => Value::Errors(sent),
                Slot::RequestCounts => Value::Missing,
                Slot::Metadata => metadata_value(sent),
                Slot::Usage => object_value(sent),
                s if Slot::TIMES.contains(&s) => seconds_value(sent),
                _ => text_value(sent),
            },
        };
        batch.set(slot, value);
    }
    let nested = batch.sent(Slot::RequestCounts);
    let counts = match nested {
        Some(sent) if top.iter().all(Option::is_none) && counts_as_sent(sent) => Value::Raw(sent),
        _ => {
            let inner = Counts::read(nested);
            // When both places hold a count the larger wins: a placeholder zero never hides a real one.
            let merged =
                std::array::from_fn(|i| match (inner.get(i).copied().flatten(), top.get(i).copied().flatten()) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                });
            Value::Counts(Counts::from_parts(merged, nested))
        }
    };
    batch.set(Slot::RequestCounts, counts);
    required(batch)
}

/// A batch needs an id and a status to be of any use; answers the id's text.
pub fn required<'a>(batch: &Batch<'a>) -> Result<IdText<'a>> {
    let id: IdText<'a> = match batch.value(Slot::Id) {
        Value::Raw(v) if v.kind() == Kind::String => Cow::Borrowed(v.text()),
        Value::Str(s) => {
            let mut out = Out::default();
            out.string(s);
            Cow::Owned(out.into_parts().0)
        }
        _ => return Err(Error::invalid_response("the batch has no id (a non-empty string)")),
    };
    match batch.value(Slot::Status) {
        Value::Raw(v) if v.kind() == Kind::String => {}
        Value::Name(_) => {}
        Value::Missing => return Err(Error::invalid_response("the batch has no status")),
        _ => return Err(Error::invalid_response("the batch's status is not a string")),
    }
    Ok(id)
}

/// The JSON body of `POST /batches`: the caller's parameters checked, in their order, with
/// `completion_window` filled in, `null`s of optional fields left out and the marker in `metadata`.
/// Fields we don't know are sent as given, so a provider's extra options still reach it.
pub fn create_body(cx: &Cx<'_>, params: Json<'_>, marker: Option<&str>) -> Result<String> {
    if params.kind() != Kind::Object {
        return Err(Error::invalid_argument("create parameters must be an object"));
    }
    let get = |key: &str| params.get(key);
    match get("input_file_id") {
        Some(v) if v.kind() == Kind::String => {
            check_id("`input_file_id`", &v.as_str().unwrap_or_default())?;
        }
        _ => return Err(Error::invalid_argument("`input_file_id` must be a file id string")),
    }
    match get("endpoint").and_then(|v| v.as_str()) {
        Some(e) if e.starts_with('/') && !e.contains(char::is_whitespace) => {}
        _ => return Err(Error::invalid_argument("`endpoint` must be a path such as \"/v1/chat/completions\"")),
    }
    match get("completion_window") {
        None => {}
        Some(v) if v.is_null() => {}
        Some(v) if v.as_str().is_some_and(|w| !w.trim().is_empty()) => {}
        Some(_) => return Err(Error::invalid_argument("`completion_window` must be a string such as \"24h\"")),
    }
    let metadata = get("metadata").filter(|m| !m.is_null());
    if let Some(m) = metadata {
        if m.kind() != Kind::Object || m.entries().any(|(_, v)| v.kind() != Kind::String) {
            return Err(Error::invalid_argument("`metadata` must be an object whose values are strings"));
        }
    }
    if let Some(v) = get("output_expires_after") {
        if !matches!(v.kind(), Kind::Object | Kind::Null) {
            return Err(Error::invalid_argument(
                "`output_expires_after` must be an object such as { anchor: \"created_at\", seconds: 86400 }",
            ));
        }
    }
    let windows = cx.provider.limits.windows;
    let mut out = Out::default();
    let mut object = Object::begin(&mut out);
    let mut seen = [false; 2]; // metadata, completion_window
    for (key, value) in params.entries() {
        let name = key.key_bytes();
        match &*name {
            b"metadata" | b"output_expires_after" | b"completion_window" if value.is_null() => continue,
            b"metadata" => {
                if !std::mem::replace(&mut seen[0], true) {
                    object.key(&mut out, "metadata");
                    write_metadata(metadata, marker, &mut out);
                }
                continue;
            }
            b"completion_window" => seen[1] = true,
            _ => {}
        }
        object.raw_key(&mut out, key);
        out.raw(value);
    }
    if !seen[1] {
        if let Some(window) = windows.first() {
            object.key(&mut out, "completion_window");
            out.string(window);
        }
    }
    if !seen[0] && marker.is_some() {
        object.key(&mut out, "metadata");
        write_metadata(None, marker, &mut out);
    }
    object.end(&mut out);
    Ok(String::from_utf8(out.into_parts().0).unwrap_or_default())
}

/// `metadata` with the marker added (the caller's pairs first, as given).
pub(super) fn write_metadata(metadata: Option<Json<'_>>, marker: Option<&str>, out: &mut Out) {
    let mut object = Object::begin(out);
    for (key, value) in metadata.iter().flat_map(Json::entries) {
        if marker.is_some() && key.is_str(MARKER_KEY) {
            continue;
        }
        object.raw_key(out, key);
        out.raw(value);
    }
    if let Some(marker) = marker {
        object.key(out, MARKER_KEY);
        out.string(marker);
    }
    object.end(out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::{Options, Runtime};
    use crate::core::providers::Setup;
    use serde_json::{json, Value as Tree};

    fn config(dialect: Option<&str>) -> Setup {
        let options =
            Options { api_key: Some("sk-test".into()), dialect: dialect.map(str::to_owned), ..Options::default() };
        Setup::new(options, Runtime::Server).unwrap()
    }

    fn batch_text(body: &str, dialect: Option<&str>) -> Result<String> {
        let mut out = Out::default();
        let mut scan = Scanner::new(body.as_bytes());
        OpenAi.batch(&config(dialect).cx(), &mut scan, &mut out)?;
        scan.at_end()?;
        Ok(String::from_utf8(out.into_parts().0).unwrap())
    }

    fn norm(raw: Tree) -> Tree {
        serde_json::from_str(&batch_text(&raw.to_string(), None).unwrap()).unwrap()
    }

    #[test]
    fn token360_seed_matches_expected_fixture() {
        let raw = include_str!("../../../tests/fixtures/token360_retrieve.json");
        let want: Tree =
            serde_json::from_str(include_str!("../../../tests/fixtures/token360_retrieve.expected.json")).unwrap();
        for dialect in [None, Some("token360"), Some("openai")] {
            let got: Tree = serde_json::from_str(&batch_text(raw, dialect).unwrap()).unwrap();
            assert_eq!(got, want, "{dialect:?}");
        }
    }

    #[test]
    fn ppinfra_page_matches_expected_fixture() {
        let raw = include_str!("../../../tests/fixtures/ppinfra_list_page.json");
        let want: Tree =
            serde_json::from_str(include_str!("../../../tests/fixtures/ppinfra_list_page.expected.json")).unwrap();
        for dialect in [None, Some("ppinfra")] {
            let mut out = Out::default();
            let summary = OpenAi
                .page(&config(dialect).cx(), &mut Scanner::new(raw.as_bytes()), &ListQuery::default(), &mut out)
                .unwrap();
            let got: Tree = serde_json::from_slice(&out.into_parts().0).unwrap();
            assert_eq!(got, want, "{dialect:?}");
            assert_eq!(summary.len, want["data"].as_array().unwrap().len());
        }
    }

    #[test]
    fn values_not_normalised_keep_their_text_and_keys_their_order() {
        let body = r#"{"zeta":0.9856906946328695,"id":"b1","big":123456789012345678901234567890,"s":"x\ud800y","status":"PROGRESS","request_counts":{"failed":0,"total":2,"completed":1},"inf":1e400,"metadata":{"b":"1","a":"2"}}"#;
        let text = batch_text(body, None).unwrap();
        for kept in [
            r#""zeta":0.9856906946328695"#,
            r#""big":123456789012345678901234567890"#,
            r#""s":"x\ud800y""#,
            r#""inf":1e400"#,
            r#""metadata":{"b":"1","a":"2"}"#,
            r#""request_counts":{"failed":0,"total":2,"completed":1}"#,
        ] {
            assert!(text.contains(kept), "{kept} in {text}");
        }
        let at = |needle: &str| text.find(needle).unwrap();
        assert!(
            at("\"zeta\"") < at("\"id\"") && at("\"id\"") < at("\"big\"") && at("\"big\"") < at("\"status\""),
            "{text}"
        );
        assert!(text.contains(r#""status":"in_progress""#));
        assert!(text.ends_with(r#""usage":null}"#), "missing modelled fields come last: {text}");
    }

    #[test]
    fn a_batch_in_the_openai_shape_is_copied_whole() {
        let body = r#"{"id":"batch_1","object":"batch","endpoint":"/v1/chat/completions","errors":null,"input_file_id":"file-1","completion_window":"24h","status":"completed","output_file_id":"file-2","error_file_id":null,"created_at":1714000000,"in_progress_at":1714000005,"expires_at":1714086400,"finalizing_at":null,"completed_at":1714000100,"failed_at":null,"expired_at":null,"cancelling_at":null,"cancelled_at":null,"request_counts":{"total":3,"completed":3,"failed":0},"metadata":{"k":"v"},"model":"gpt-4o","usage":{"input_tokens":5},  "extra": [1, 2]}"#;
        assert_eq!(batch_text(body, None).unwrap(), body);
    }

    #[test]
    fn duplicate_keys_read_as_json_parse_reads_them() {
        // JSON.parse keeps the last value at the first key's place.
        let text = batch_text(r#"{"status":"PROGRESS","id":"a","status":"completed","x":1,"x":2}"#, None).unwrap();
        let status = text.find("\"status\"").unwrap();
        assert!(status < text.find("\"id\"").unwrap(), "{text}");
        assert_eq!(text.matches("\"status\"").count(), 1);
        assert!(text.contains(r#""status":"completed""#));
        assert!(text.contains(r#""x":1,"x":2"#), "not modelled: both passed through, JSON.parse keeps the last");
    }

    #[test]
    fn statuses_map_and_unknown_ones_are_kept() {
        for (raw, want) in [
            ("PROGRESS", "in_progress"),
            ("IN_PROGRESS", "in_progress"),
            ("CANCELING", "cancelling"),
            ("canceled", "cancelled"),
            ("Completed", "completed"),
            ("in_queue", "validating"),
            ("PAUSED", "PAUSED"),
        ] {
            assert_eq!(norm(json!({"id": "b", "status": raw}))["status"], want, "{raw}");
        }
        for bad in [
            json!({"id": "b"}),
            json!({"id": "b", "status": 42}),
            json!({"status": "completed"}),
            json!({"id": "", "status": "completed"}),
            json!({"id": {}, "status": "x"}),
        ] {
            let err = batch_text(&bad.to_string(), None).unwrap_err();
            assert_eq!(err.kind, crate::core::ErrorKind::InvalidResponse, "{bad}");
        }
        assert_eq!(norm(json!({"id": 12345, "status": "x"}))["id"], "12345");
    }

    #[test]
    fn every_modelled_field_is_always_present() {
        let batch = norm(json!({"id": "b", "status": "validating"}));
        for slot in Slot::ALL {
            assert!(batch.get(slot.name()).is_some(), "{}", slot.name());
        }
        assert_eq!(batch["object"], "batch");
        assert_eq!(batch["request_counts"], json!({"total": 0, "completed": 0, "failed": 0}));
        assert_eq!(batch["model"], json!(null));
        assert_eq!(batch["usage"], json!(null));
    }

    #[test]
    fn request_counts_from_every_place() {
        let table = [
            (json!({"request_counts": {"total": 5, "completed": 2, "failed": 1}}), json!([5, 2, 1])),
            (json!({"total": 5, "completed": "2", "failed": 1.0}), json!([5, 2, 1])),
            (json!({"request_counts": null, "total": "10", "completed": "0", "failed": "10"}), json!([10, 0, 10])),
            (
                json!({"request_counts": {"total": 0, "completed": 0, "failed": 0}, "total": 7, "completed": 3}),
                json!([7, 3, 0]),
            ),
            (json!({"request_counts": {"total": "9", "completed": 4}}), json!([9, 4, 0])),
            (json!({"request_counts": "many"}), json!([0, 0, 0])),
            (json!({"request_counts": 123, "total": 4}), json!([4, 0, 0])),
            (json!({"request_counts": {"total": -1, "completed": 1.5, "failed": "x"}}), json!([0, 0, 0])),
        ];
        for (mut raw, want) in table {
            raw["id"] = json!("b");
            raw["status"] = json!("completed");
            let rc = &norm(raw.clone())["request_counts"];
            assert_eq!(json!([rc["total"], rc["completed"], rc["failed"]]), want, "{raw}");
        }
        let extra = norm(json!({"id": "b", "status": "x", "request_counts": {"processing": 2, "total": "3"}}));
        assert_eq!(extra["request_counts"], json!({"processing": 2, "total": 3, "completed": 0, "failed": 0}));
    }

    #[test]
    fn top_level_counts_are_folded_or_passed_through_by_dialect() {
        let raw = r#"{"id":"b","status":"completed","total":5,"completed":2,"failed":1}"#;
        let auto: Tree = serde_json::from_str(&batch_text(raw, None).unwrap()).unwrap();
        assert!(auto.get("total").is_none());
        assert_eq!(auto["request_counts"]["total"], 5);
        let openai: Tree = serde_json::from_str(&batch_text(raw, Some("openai")).unwrap()).unwrap();
        assert_eq!(openai["total"], 5, "not OpenAI's field: kept as sent");
        assert_eq!(openai["request_counts"]["total"], 0);
        let odd = norm(json!({"id": "b", "status": "x", "total": {"tokens": 9}}));
        assert_eq!(odd["total"], json!({"tokens": 9}), "a `total` that is no count is kept");
    }

    #[test]
    fn errors_in_every_shape() {
        let one =
            |m: &str| json!({"object": "list", "data": [{"code": null, "message": m, "param": null, "line": null}]});
        let table = [
            (json!(null), json!(null)),
            (json!(""), json!(null)),
            (json!({}), json!(null)),
            (json!({"object": "list", "data": null}), json!(null)),
            (json!("input file line 3: invalid JSON"), one("input file line 3: invalid JSON")),
            (
                json!(["a", "b"]),
                json!({"object": "list", "data": [
                {"code": null, "message": "a", "param": null, "line": null},
                {"code": null, "message": "b", "param": null, "line": null}]}),
            ),
            (
                json!({"object": "list", "data": [{"code": "invalid_json", "message": "bad", "line": "3"}]}),
                json!({"object": "list", "data": [{"code": "invalid_json", "message": "bad", "param": null, "line": 3}]}),
            ),
            (
                json!({"code": "quota", "message": "over quota"}),
                json!({"object": "list", "data": [{"code": "quota", "message": "over quota", "param": null, "line": null}]}),
            ),
            (
                json!("{\"data\":[{\"message\":\"x\",\"code\":7}]}"),
                json!({"object": "list", "data": [{"code": "7", "message": "x", "param": null, "line": null}]}),
            ),
            (json!({"object": "list", "data": []}), json!({"object": "list", "data": []})),
            (
                json!([{"message": "m", "count": 3}]),
                json!({"object": "list", "data": [{"message": "m", "count": 3, "code": null, "param": null, "line": null}]}),
            ),
            (
                json!([{"msg": "m"}]),
                json!({"object": "list", "data": [{"message": "m", "code": null, "param": null, "line": null}]}),
            ),
        ];
        for (raw, want) in table {
            assert_eq!(norm(json!({"id": "b", "status": "x", "errors": raw.clone()}))["errors"], want, "{raw}");
        }
    }

    #[test]
    fn metadata_and_files() {
        let b = norm(
            json!({"id": "b", "status": "x", "metadata": "{\"a\":\"1\"}", "input_file_id": "", "output_file_id": "file_1", "error_file_id": {}}),
        );
        assert_eq!(b["metadata"], json!({"a": "1"}));
        assert_eq!(b["input_file_id"], json!(null));
        assert_eq!(b["output_file_id"], "file_1");
        assert_eq!(b["error_file_id"], json!(null));
        assert_eq!(norm(json!({"id": "b", "status": "x", "metadata": [1]}))["metadata"], json!(null));
    }

    #[test]
    fn normalising_twice_changes_nothing() {
        let raw: Tree = serde_json::from_str(include_str!("../../../tests/fixtures/ppinfra_list_page.json")).unwrap();
        for batch in raw["data"].as_array().unwrap() {
            let once = batch_text(&batch.to_string(), None).unwrap();
            assert_eq!(batch_text(&once, None).unwrap(), once);
        }
    }

    #[test]
    fn create_checks_and_fills_in() {
        let setup = config(None);
        let c = setup.cx();
        let params = r#"{"input_file_id":"file_1","endpoint":"/v1/chat/completions","metadata":{"job":"nightly"},"remark":"provider extra"}"#;
        let r = OpenAi.create(&c, Json::parse(params.as_bytes()).unwrap(), Some("m-1")).unwrap();
        assert_eq!((r.method, r.url.as_str()), (Method::Post, "https://api.openai.com/v1/batches"));
        let Body::Json(body) = &r.body else { panic!() };
        assert_eq!(
            body,
            r#"{"input_file_id":"file_1","endpoint":"/v1/chat/completions","metadata":{"job":"nightly","llm_batches_call":"m-1"},"remark":"provider extra","completion_window":"24h"}"#
        );
        let bad = [
            "null",
            r#"{"endpoint":"/v1/chat/completions"}"#,
            r#"{"input_file_id":"","endpoint":"/v1/chat/completions"}"#,
            r#"{"input_file_id":"f","endpoint":"v1/chat"}"#,
            r#"{"input_file_id":"f","endpoint":"/v1/x","completion_window":24}"#,
            r#"{"input_file_id":"f","endpoint":"/v1/x","metadata":{"n":1}}"#,
            r#"{"input_file_id":"f","endpoint":"/v1/x","output_expires_after":5}"#,
        ];
        for params in bad {
            let err = OpenAi.create(&c, Json::parse(params.as_bytes()).unwrap(), None).unwrap_err();
            assert_eq!(err.kind, crate::core::ErrorKind::InvalidArgument, "{params}");
        }
        let nulls = OpenAi
            .create(
                &c,
                Json::parse(br#"{"input_file_id":"f","endpoint":"/v1/x","metadata":null,"completion_window":null}"#)
                    .unwrap(),
                None,
            )
            .unwrap();
        assert_eq!(
            nulls.body,
            Body::Json(r#"{"input_file_id":"f","endpoint":"/v1/x","completion_window":"24h"}"#.into())
        );
    }
}
