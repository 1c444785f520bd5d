//! A batch's `errors`: `null` or `{ object: "list", data: [{ code, message, param, line }] }`, from
//! whatever a provider sends there (a string, an array, one error object, the list itself).

use std::borrow::Cow;

use super::counts::count;
use crate::core::json::{Array, Json, Kind, Object, Out};

/// How deep `errors` sent as JSON inside a string is unwrapped (a string of a string of …).
const MAX_UNWRAP: u32 = 4;

/// Writes the normalised `errors` of `value`.
pub fn write_errors(value: Json<'_>, out: &mut Out) {
    write_list(value, out, 0);
}

/// Whether `value` gives no errors at all (`null`, `""`, `{}`, a list whose `data` is null).
fn is_empty(value: Json<'_>, depth: u32) -> bool {
    match value.kind() {
        Kind::Null | Kind::Bool => true,
        Kind::Array => value.items().next().is_none(),
        Kind::String => match value.as_str() {
            Some(s) if s.trim().is_empty() => true,
            Some(s) => match unwrapped(&s, depth) {
                Some(text) => Json::parse(text.as_bytes()).is_ok_and(|inner| is_empty(inner, depth + 1)),
                None => false,
            },
            None => true,
        },
        Kind::Object => {
            let data = value.get("data");
            match data.map(|d| d.kind()) {
                Some(Kind::Null) | None => value.entries().all(|(k, _)| matches!(&*k.key_bytes(), b"object" | b"data")),
                _ => false,
            }
        }
        _ => false,
    }
}

/// A string that holds a JSON object or array, to be read as such.
fn unwrapped(s: &str, depth: u32) -> Option<&str> {
    let trimmed = s.trim();
    (depth < MAX_UNWRAP && (trimmed.starts_with('{') || trimmed.starts_with('['))).then_some(trimmed)
}

fn write_list(value: Json<'_>, out: &mut Out, depth: u32) {
    if is_empty(value, depth) {
        out.null();
        return;
    }
    match value.kind() {
        Kind::String => {
            let text = value.as_str().unwrap_or_default();
            if let Some(inner) = unwrapped(&text, depth) {
                if let Ok(json) = Json::parse(inner.as_bytes()) {
                    write_list(json, out, depth + 1);
                    return;
                }
            }
            list(out, |out, items| {
                items.next(out);
                write_entry(value, out);
            });
        }
        Kind::Array => list(out, |out, items| {
            for item in value.items() {
                items.next(out);
                write_entry(item, out);
            }
        }),
        Kind::Object => match value.get("data") {
            Some(data) if data.kind() == Kind::Array => {
                // The list itself: its other keys pass through.
                let mut object = Object::begin(out);
                let mut wrote = [false; 2];
                for (key, v) in value.entries() {
                    match &*key.key_bytes() {
                        b"object" => {
                            if !std::mem::replace(&mut wrote[0], true) {
                                object.key(out, "object");
                                out.string("list");
                            }
                        }
                        b"data" => {
                            if !std::mem::replace(&mut wrote[1], true) {
                                object.key(out, "data");
                                write_items(data, out);
                            }
                        }
                        _ => {
                            object.raw_key(out, key);
                            out.raw(v);
                        }
                    }
                    let _ = v;
                }
                if !wrote[0] {
                    object.key(out, "object");
                    out.string("list");
                }
                object.end(out);
            }
            Some(data) if data.kind() != Kind::Null => list(out, |out, items| {
                items.next(out);
                write_entry(data, out);
            }),
            _ => list(out, |out, items| {
                items.next(out);
                write_entry(value, out);
            }),
        },
        _ => list(out, |out, items| {
            items.next(out);
            write_entry(value, out);
        }),
    }
}

fn write_items(data: Json<'_>, out: &mut Out) {
    let mut items = Array::begin(out);
    for item in data.items() {
        items.next(out);
        write_entry(item, out);
    }
    items.end(out);
}

/// `{ object: "list", data: [...] }` with the items `fill` writes.
fn list(out: &mut Out, fill: impl FnOnce(&mut Out, &mut Array)) {
    out.ascii(br#"{"object":"list","data":"#);
    let mut items = Array::begin(out);
    fill(out, &mut items);
    items.end(out);
    out.byte(b'}');
}

/// A string field of an error entry: a non-empty string as sent, a number as its digits, else `null`.
fn text(value: Option<Json<'_>>, out: &mut Out) {
    match value {
        Some(v) if v.kind() == Kind::String && v.text().len() > 2 => out.raw(v),
        Some(v) if v.kind() == Kind::Number => out.string(v.as_number().map_or("0", |n| n.text())),
        _ => out.null(),
    }
}

/// One error: an object keeps its other keys; anything else becomes its `message`.
fn write_entry(value: Json<'_>, out: &mut Out) {
    if value.kind() != Kind::Object {
        out.ascii(br#"{"code":null,"message":"#);
        match value.kind() {
            Kind::String => text(Some(value), out),
            _ => out.string(&String::from_utf8_lossy(value.text())),
        }
        out.ascii(br#","param":null,"line":null}"#);
        return;
    }
    // The message: `message`, else `msg`, else `error` (the last of each, as JSON.parse keeps it).
    let (mut message, mut msg, mut error) = (None, None, None);
    for (key, v) in value.entries() {
        match &*key.key_bytes() {
            b"message" => message = Some(v),
            b"msg" => msg = Some(v),
            b"error" => error = Some(v),
            _ => {}
        }
    }
    let (source, consumed): (Option<Json<'_>>, &[u8]) = match (message, msg, error) {
        (Some(m), _, _) => (Some(m), b"message"),
        (None, Some(m), _) => (Some(m), b"msg"),
        (None, None, Some(e)) => (Some(e), b"error"),
        _ => (None, b"message"),
    };
    let mut object = Object::begin(out);
    let mut written = 0u8; // code, message, param, line
    for (key, v) in value.entries() {
        let name: Cow<'_, [u8]> = key.key_bytes();
        let field = match &*name {
            b"code" => Some(0),
            b"param" => Some(2),
            b"line" => Some(3),
            n if n == consumed => Some(1),
            _ => None,
        };
        match field {
            Some(i) if written & (1 << i) != 0 => {}
            Some(i) => {
                written |= 1 << i;
                write_field(&mut object, out, i, value, source);
            }
            None => {
                object.raw_key(out, key);
                out.raw(v);
            }
        }
    }
    for i in 0..4 {
        if written & (1 << i) == 0 {
            write_field(&mut object, out, i, value, source);
        }
    }
    object.end(out);
}

fn write_field(object: &mut Object, out: &mut Out, i: u8, entry: Json<'_>, message: Option<Json<'_>>) {
    match i {
        0 => {
            object.key(out, "code");
            text(entry.get("code"), out);
        }
        1 => {
            object.key(out, "message");
            text(message, out);
        }
        2 => {
            object.key(out, "param");
            text(entry.get("param"), out);
        }
        _ => {
            object.key(out, "line");
            match entry.get("line").and_then(count) {
                Some(n) => out.u64(n),
                None => out.null(),
            }
        }
    }
}
