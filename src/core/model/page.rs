//! List pages: `{ object: "list", data, first_id, last_id, has_more }` plus whatever else the
//! provider sent, from whatever page shape it sends (an object, a bare array, items under another
//! key), read in one walk over the provider's text.

use std::borrow::Cow;

use crate::core::error::{Error, Result};
use crate::core::json::{Json, Kind, Object, Out, Scanner};

/// What paging needs to know of a page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageSummary {
    /// Whether the provider says more pages follow.
    pub has_more: bool,
    /// How many batches it holds.
    pub len: usize,
    /// Its `last_id`, when that is a string.
    pub last_id: Option<String>,
    /// The provider's own cursor for the next page, when it has one apart from the last id (a page
    /// token, a page number).
    pub next: Option<String>,
}

/// How a provider lays out a page.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The key that holds the batches (`data`; Gemini: `operations`).
    pub items: &'static str,
    /// Where `has_more` comes from.
    pub more: More,
}

/// Whether more pages follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum More {
    /// The page's own `has_more`.
    Sent,
    /// A page with a `total` (Mistral): more when the pages so far, of `size`, hold fewer.
    Total {
        /// The page number asked for (from 0).
        page: u64,
        /// The page size asked for.
        size: u64,
    },
    /// A non-empty next-page token at this path (Gemini's `nextPageToken`, Groq's `paging.next_cursor`).
    Token(&'static [&'static str]),
    /// Never: everything came in one answer (Together).
    Never,
}

impl More {
    /// The verdict, from the page's own entries and `has_more`, and how many batches it held.
    fn of(self, page: &PageEntries<'_>, sent: Option<Json<'_>>, len: usize) -> bool {
        match self {
            More::Sent => has_more(sent),
            More::Never => false,
            More::Total { page: number, size } => match page.get("total").and_then(|t| t.as_number()?.as_u64()) {
                Some(total) => (number + 1).saturating_mul(size) < total && len > 0,
                None => len as u64 >= size && len > 0,
            },
            More::Token(path) => next_token(page, path).is_some(),
        }
    }
}

/// The non-empty string at `path` among a page's entries.
pub fn next_token(page: &PageEntries<'_>, path: &[&str]) -> Option<String> {
    let (first, rest) = path.split_first()?;
    let mut value = page.get(first)?;
    for key in rest {
        value = value.get(key)?;
    }
    value.non_empty_str().map(Cow::into_owned)
}

/// OpenAI's layout: `data` and `has_more`.
pub const OPENAI: Layout = Layout { items: "data", more: More::Sent };

/// The text of a batch's normalised `id` (a JSON string, or `null`), for `first_id`/`last_id`.
pub type IdText<'a> = Cow<'a, [u8]>;

/// A page's own entries (not its batches), as sent.
#[derive(Debug, Default)]
pub struct PageEntries<'a> {
    entries: Vec<(Json<'a>, Json<'a>)>,
}

impl<'a> PageEntries<'a> {
    /// The last value of `key` on the page (not in its batches).
    pub fn get(&self, key: &str) -> Option<Json<'a>> {
        self.entries.iter().rev().find(|(k, _)| k.is_str(key)).map(|(_, v)| *v)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PageKey {
    Object,
    Data,
    FirstId,
    LastId,
    HasMore,
}

impl PageKey {
    const ALL: [PageKey; 5] = [PageKey::Object, PageKey::Data, PageKey::FirstId, PageKey::LastId, PageKey::HasMore];

    fn name(self) -> &'static str {
        match self {
            PageKey::Object => "object",
            PageKey::Data => "data",
            PageKey::FirstId => "first_id",
            PageKey::LastId => "last_id",
            PageKey::HasMore => "has_more",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The batches of a page, as far as they were walked.
#[derive(Default)]
struct Items<'a> {
    first: Option<IdText<'a>>,
    last: Option<IdText<'a>>,
    len: usize,
    seen: bool,
}

impl<'a> Items<'a> {
    /// Walks the array at the cursor, writing each batch through `batch` into `out` (for a second
    /// items key the caller starts over: the last one counts, as `JSON.parse` keeps it).
    fn read(
        &mut self,
        scan: &mut Scanner<'a>,
        batch: &mut impl FnMut(&mut Scanner<'a>, &mut Out) -> Result<IdText<'a>>,
        out: &mut Out,
    ) -> Result<Json<'a>> {
        *self = Items { seen: true, ..Items::default() };
        out.byte(b'[');
        let mut failed = None;
        let walked = scan.array(|scan| {
            // After a batch that could not be read, the rest is only checked.
            if failed.is_some() {
                return scan.value();
            }
            if self.len > 0 {
                out.byte(b',');
            }
            let at = scan.i;
            match batch(scan, out) {
                Ok(id) => {
                    if self.first.is_none() {
                        self.first = Some(id.clone());
                    }
                    self.last = Some(id);
                }
                Err(e) => {
                    if let Some(syntax) = e.syntax {
                        return Err(syntax);
                    }
                    failed = Some(Error::invalid_response(format!("data[{}]: {}", self.len, e.message)));
                    // A batch refused before it was walked is walked here, to check it.
                    if scan.i == at {
                        scan.value()?;
                    }
                }
            }
            self.len += 1;
            Ok(Json::NULL)
        });
        let walked = walked?;
        if let Some(e) = failed {
            return Err(e);
        }
        out.byte(b']');
        Ok(walked)
    }
}

/// Writes the normalised page at the cursor into `out`, walking the provider's text once; each
/// batch goes through `batch`, which walks it, writes it and answers its id's text. A batch
/// `batch` refuses fails the page, naming its index.
///
/// Most pages are written straight into `out` as they are walked. A page that names `first_id` or
/// `last_id` before its batches without a usable value (the batch's id fills it in), or that sends
/// one of its own keys twice, is walked again and written through a buffer for its batches.
pub fn write_page<'a>(
    scan: &mut Scanner<'a>,
    layout: Layout,
    mut batch: impl FnMut(&mut Scanner<'a>, &mut Out) -> Result<IdText<'a>>,
    out: &mut Out,
) -> Result<(PageSummary, PageEntries<'a>)> {
    let (from, at) = (scan.clone(), out.len());
    if let Some(done) = direct(scan, layout, &mut batch, out)? {
        return Ok(done);
    }
    *scan = from;
    out.truncate(at);
    buffered(scan, layout, &mut batch, out)
}

/// What a page key is, given the provider's items key.
fn role(name: &[u8], layout: Layout) -> Option<PageKey> {
    match name {
        n if n == layout.items.as_bytes() => Some(PageKey::Data),
        b"object" => Some(PageKey::Object),
        b"first_id" => Some(PageKey::FirstId),
        b"last_id" => Some(PageKey::LastId),
        b"has_more" => Some(PageKey::HasMore),
        _ => None,
    }
}

/// A cursor as sent, when it is one (a non-empty string).
fn usable(value: Json<'_>) -> bool {
    value.kind() == Kind::String && value.text().len() > 2
}

fn not_an_array(layout: Layout, value: Json<'_>) -> Error {
    Error::invalid_response(format!("expected `{}` to be an array, got {}", layout.items, value.kind().described()))
}

/// The page written as it is walked; `None` when it is one of the pages that need a buffer.
fn direct<'a>(
    scan: &mut Scanner<'a>,
    layout: Layout,
    batch: &mut impl FnMut(&mut Scanner<'a>, &mut Out) -> Result<IdText<'a>>,
    out: &mut Out,
) -> Result<Option<(PageSummary, PageEntries<'a>)>> {
    let mut items = Items::default();
    let mut page = PageEntries::default();
    let mut written = 0u8;
    let mut has_more_sent = None;
    let mut failed: Option<Error> = None;
    let mut restart = false;
    let mut object;
    match scan.next_byte() {
        Some(b'[') => {
            object = Object::begin(out);
            object.key(out, "object");
            out.string("list");
            object.key(out, "data");
            written = PageKey::Object.bit() | PageKey::Data.bit();
            items.read(scan, batch, out)?;
        }
        Some(b'{') => {
            object = Object::begin(out);
            scan.object(|scan, key| {
                if restart || failed.is_some() {
                    return scan.value();
                }
                let role = role(&key.key_bytes(), layout);
                let value = match role {
                    Some(role) if written & role.bit() != 0 => {
                        restart = true;
                        return scan.value();
                    }
                    Some(PageKey::Data) => {
                        object.key(out, "data");
                        match scan.next_byte() {
                            Some(b'[') => match items.read(scan, batch, out) {
                                Ok(value) => value,
                                Err(e) => {
                                    if let Some(syntax) = e.syntax {
                                        return Err(syntax);
                                    }
                                    failed = Some(e);
                                    Json::NULL
                                }
                            },
                            _ => {
                                let value = scan.value()?;
                                if value.kind() == Kind::Null {
                                    items.seen = true;
                                    out.ascii(b"[]");
                                } else {
                                    failed = Some(not_an_array(layout, value));
                                }
                                value
                            }
                        }
                    }
                    Some(key @ (PageKey::FirstId | PageKey::LastId)) => {
                        let value = scan.value()?;
                        if !usable(value) && !items.seen {
                            restart = true;
                            return Ok(value);
                        }
                        object.key(out, key.name());
                        write_cursor(Some(value), &items, key, out);
                        value
                    }
                    Some(PageKey::HasMore) => {
                        let value = scan.value()?;
                        has_more_sent = Some(value);
                        object.key(out, "has_more");
                        out.bool(layout.more.of(&page, Some(value), items.len));
                        value
                    }
                    Some(PageKey::Object) => {
                        object.key(out, "object");
                        out.string("list");
                        scan.value()?
                    }
                    None => {
                        let value = scan.value()?;
                        object.raw_key(out, key);
                        out.raw(value);
                        value
                    }
                };
                if let Some(role) = role {
                    written |= role.bit();
                }
                page.entries.push((key, value));
                Ok(value)
            })?;
            if restart {
                return Ok(None);
            }
            if let Some(e) = failed {
                return Err(e);
            }
            if !items.seen && page.get("error").is_some() {
                return Err(Error::invalid_response("the answer is an error, not a list page"));
            }
        }
        Some(_) => {
            let value = scan.value()?;
            return Err(Error::invalid_response(format!("expected a list page, got {}", value.kind().described())));
        }
        None => return Err(Error::invalid_response("the provider's answer is empty")),
    }
    let has_more = layout.more.of(&page, has_more_sent, items.len);
    for key in PageKey::ALL {
        if written & key.bit() != 0 {
            continue;
        }
        object.key(out, key.name());
        match key {
            PageKey::Object => out.string("list"),
            PageKey::Data => out.ascii(b"[]"),
            PageKey::FirstId | PageKey::LastId => write_cursor(None, &items, key, out),
            PageKey::HasMore => out.bool(has_more),
        }
    }
    object.end(out);
    let last_id = cursor_text(page.get("last_id"), &items.last);
    let last_id = Json::parse(&last_id).ok().and_then(|j| j.as_str()).map(Cow::into_owned);
    Ok(Some((PageSummary { has_more, len: items.len, last_id, next: None }, page)))
}

/// `first_id`/`last_id`: the one sent if it is a non-empty string, else the batch's id, else `null`.
fn cursor_text<'a>(sent: Option<Json<'a>>, batch: &Option<IdText<'a>>) -> IdText<'a> {
    match (sent.filter(|v| usable(*v)), batch) {
        (Some(v), _) => Cow::Borrowed(v.text()),
        (None, Some(id)) => id.clone(),
        (None, None) => Cow::Borrowed(&b"null"[..]),
    }
}

fn write_cursor(sent: Option<Json<'_>>, items: &Items<'_>, key: PageKey, out: &mut Out) {
    let batch = if key == PageKey::FirstId { &items.first } else { &items.last };
    write_id(&cursor_text(sent, batch), out);
}

/// The page of the unusual shapes: the batches written into a buffer, the page around them after.
fn buffered<'a>(
    scan: &mut Scanner<'a>,
    layout: Layout,
    batch: &mut impl FnMut(&mut Scanner<'a>, &mut Out) -> Result<IdText<'a>>,
    out: &mut Out,
) -> Result<(PageSummary, PageEntries<'a>)> {
    if scan.next_byte() != Some(b'{') {
        // A bare array (or no page at all) never needs the buffer.
        return direct(scan, layout, batch, out)?.ok_or_else(|| Error::invalid_response("expected a list page"));
    }
    let mut items = Items::default();
    let mut items_out = Out::default();
    let mut page = PageEntries::default();
    let mut roles: Vec<Option<PageKey>> = Vec::new();
    let mut failed: Option<Error> = None;
    scan.object(|scan, key| {
        let role = role(&key.key_bytes(), layout);
        let value = match (role, scan.next_byte()) {
            (Some(PageKey::Data), Some(b'[')) if failed.is_none() => {
                items_out.clear();
                match items.read(scan, batch, &mut items_out) {
                    Ok(value) => value,
                    Err(e) => {
                        if let Some(syntax) = e.syntax {
                            return Err(syntax);
                        }
                        failed = Some(e);
                        Json::NULL
                    }
                }
            }
            (Some(PageKey::Data), _) => {
                let value = scan.value()?;
                match value.kind() {
                    Kind::Null => {
                        items = Items { seen: true, ..Items::default() };
                        items_out.clear();
                        items_out.ascii(b"[]");
                    }
                    Kind::Array => {}
                    _ => failed = failed.take().or_else(|| Some(not_an_array(layout, value))),
                }
                value
            }
            _ => scan.value()?,
        };
        page.entries.push((key, value));
        roles.push(role);
        Ok(value)
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if !items.seen && page.get("error").is_some() {
        return Err(Error::invalid_response("the answer is an error, not a list page"));
    }
    if items_out.is_empty() {
        items_out.ascii(b"[]");
    }
    let first_id = cursor_text(page.get("first_id"), &items.first);
    let last_id = cursor_text(page.get("last_id"), &items.last);
    let has_more = layout.more.of(&page, page.get("has_more"), items.len);
    let write = |key: PageKey, out: &mut Out| match key {
        PageKey::Object => out.string("list"),
        PageKey::Data => out.append(&items_out),
        PageKey::FirstId => write_id(&first_id, out),
        PageKey::LastId => write_id(&last_id, out),
        PageKey::HasMore => out.bool(has_more),
    };
    let mut object = Object::begin(out);
    let mut written = 0u8;
    for ((key, value), role) in page.entries.iter().zip(&roles) {
        match role {
            Some(role) => {
                if written & role.bit() == 0 {
                    written |= role.bit();
                    object.key(out, role.name());
                    write(*role, out);
                }
            }
            None => {
                object.raw_key(out, *key);
                out.raw(*value);
            }
        }
    }
    for key in PageKey::ALL {
        if written & key.bit() == 0 {
            object.key(out, key.name());
            write(key, out);
        }
    }
    object.end(out);
    let last_id = Json::parse(&last_id).ok().and_then(|j| j.as_str()).map(Cow::into_owned);
    Ok((PageSummary { has_more, len: items.len, last_id, next: None }, page))
}

fn write_id(text: &[u8], out: &mut Out) {
    match Json::parse(text) {
        Ok(json) => out.raw(json),
        Err(_) => out.null(),
    }
}

/// `has_more` as sent: a boolean, `"true"` in any case, or a non-zero number; else `false`.
pub fn has_more(sent: Option<Json<'_>>) -> bool {
    let Some(sent) = sent else { return false };
    match sent.kind() {
        Kind::Bool => sent.as_bool() == Some(true),
        Kind::String => sent.as_str().is_some_and(|s| s.trim().eq_ignore_ascii_case("true")),
        Kind::Number => sent.as_number().is_some_and(|n| n.as_f64() != 0.0),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch as a test item: its `id` text as the id, copied whole.
    fn item<'a>(scan: &mut Scanner<'a>, out: &mut Out) -> Result<IdText<'a>> {
        let value = scan.value()?;
        if value.kind() != Kind::Object {
            return Err(Error::invalid_response("not an object"));
        }
        out.raw(value);
        Ok(value.get("id").map_or(Cow::Borrowed(&b"null"[..]), |id| Cow::Borrowed(id.text())))
    }

    fn both(text: &str) -> (String, String, PageSummary) {
        let mut direct = Out::default();
        let (summary, _) = write_page(&mut Scanner::new(text.as_bytes()), OPENAI, item, &mut direct).unwrap();
        let mut slow = Out::default();
        let (slow_summary, _) = buffered(&mut Scanner::new(text.as_bytes()), OPENAI, &mut item, &mut slow).unwrap();
        assert_eq!(summary, slow_summary, "{text}");
        (String::from_utf8(direct.into_parts().0).unwrap(), String::from_utf8(slow.into_parts().0).unwrap(), summary)
    }

    #[test]
    fn pages_written_directly_equal_pages_written_through_a_buffer() {
        let cases = [
            r#"{"object":"list","data":[{"id":"a"},{"id":"b"}],"first_id":"a","last_id":"b","has_more":true}"#,
            r#"{"data":[{"id":"a"}],"has_more":false}"#,
            r#"{"has_more":"TRUE","data":[{"id":"a"},{"id":"z"}],"x":1}"#,
            r#"{"first_id":"","data":[{"id":"a"}],"last_id":null}"#,
            r#"{"last_id":"","first_id":null,"data":[{"id":"q"},{"id":"r"}]}"#,
            r#"{"data":[{"id":"a"}],"data":[{"id":"b"}]}"#,
            r#"{"has_more":true,"data":[],"has_more":false}"#,
            r#"{"data":null,"total":0}"#,
            r#"{}"#,
            r#"[{"id":"a"},{"id":"b"}]"#,
            r#"[]"#,
            r#"{"extra":{"deep":[1,{"a":"é"}]},"data":[{"id":"a"}],"object":"page","last_id":"x"}"#,
        ];
        for text in cases {
            let (direct, slow, _) = both(text);
            let a: serde_json::Value = serde_json::from_str(&direct).unwrap_or_else(|e| panic!("{e}: {direct}"));
            let b: serde_json::Value = serde_json::from_str(&slow).unwrap();
            assert_eq!(a, b, "{text}\n{direct}\n{slow}");
        }
    }

    #[test]
    fn cursors_come_from_the_batches_when_the_page_has_none() {
        let (text, _, summary) = both(r#"{"first_id":"","data":[{"id":"a"},{"id":"b"}],"has_more":true}"#);
        assert!(text.starts_with(r#"{"first_id":"a","data":[{"id":"a"},{"id":"b"}],"has_more":true"#), "{text}");
        assert_eq!((summary.len, summary.last_id.as_deref(), summary.has_more), (2, Some("b"), true));
        let (text, _, _) = both(r#"{"data":[{"id":"a"}],"first_id":"","last_id":""}"#);
        assert_eq!(text, r#"{"data":[{"id":"a"}],"first_id":"a","last_id":"a","object":"list","has_more":false}"#);
    }

    #[test]
    fn a_page_that_is_an_error_or_not_a_page() {
        for text in [r#"{"error":{"message":"x"}}"#, r#""page""#, r#"{"data":{}}"#, r#"{"data":[1]}"#] {
            assert!(
                write_page(&mut Scanner::new(text.as_bytes()), OPENAI, item, &mut Out::default()).is_err(),
                "{text}"
            );
        }
        let bad =
            write_page(&mut Scanner::new(br#"{"data":[{"id":"a"},2,{"id":"c"}]}"#), OPENAI, item, &mut Out::default());
        assert!(bad.unwrap_err().message.starts_with("data[1]: "));
        let broken =
            write_page(&mut Scanner::new(br#"{"data":[{"id":"a"},{"id" 2}]}"#), OPENAI, item, &mut Out::default());
        assert!(broken.unwrap_err().syntax.is_some(), "a syntax error stays one");
    }
}
