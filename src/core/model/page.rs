//! List pages: `{ object: "list", data, first_id, last_id, has_more }` plus whatever else the
//! provider sent, from whatever page shape it sends (an object, a bare array, items under another key).

use std::borrow::Cow;

use super::record::key_name;
use crate::core::error::{Error, Result};
use crate::core::json::{Array, Json, Kind, Object, Out};

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
    /// `has_more` when the page does not say: computed by the provider (Mistral's `total`, a
    /// next-page token), `None` to read the page's own `has_more`.
    pub has_more: Option<bool>,
}

/// OpenAI's layout: `data` and `has_more`.
pub const OPENAI: Layout = Layout { items: "data", has_more: None };

/// The text of a batch's normalised `id` (a JSON string, or `null`), for `first_id`/`last_id`.
pub type IdText<'a> = Cow<'a, [u8]>;

/// A page's entries as sent.
#[derive(Debug, Default)]
pub struct PageEntries<'a> {
    entries: Vec<(Json<'a>, Json<'a>)>,
}

impl<'a> PageEntries<'a> {
    /// The last value of `key` on the page (not the batches).
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
}

/// Writes the normalised page of `body` into `out`; each batch goes through `batch`, which writes
/// it and answers its id's text. A batch `batch` refuses fails the page, naming its index.
pub fn write_page<'a>(
    body: Json<'a>,
    layout: Layout,
    mut batch: impl FnMut(Json<'a>, &mut Out) -> Result<IdText<'a>>,
    out: &mut Out,
) -> Result<(PageSummary, PageEntries<'a>)> {
    #[derive(Default)]
    struct Items<'a> {
        out: Out,
        first: Option<IdText<'a>>,
        last: Option<IdText<'a>>,
        len: usize,
        seen: bool,
    }
    impl<'a> Items<'a> {
        /// Normalises the batches of `items` (again, for a second `data` key: the last one counts).
        fn read(
            &mut self,
            items: Json<'a>,
            batch: &mut impl FnMut(Json<'a>, &mut Out) -> Result<IdText<'a>>,
        ) -> Result<()> {
            self.out.clear();
            (self.first, self.last, self.len, self.seen) = (None, None, 0, true);
            let mut array = Array::begin(&mut self.out);
            for (i, item) in items.items().enumerate() {
                array.next(&mut self.out);
                let id = batch(item, &mut self.out)
                    .map_err(|e| Error::invalid_response(format!("data[{i}]: {}", e.message)))?;
                if self.first.is_none() {
                    self.first = Some(id.clone());
                }
                self.last = Some(id);
                self.len += 1;
            }
            array.end(&mut self.out);
            Ok(())
        }
    }
    let mut items =
        Items { out: Out::with_capacity(body.text().len() + body.text().len() / 16 + 64), ..Items::default() };
    let mut page = PageEntries::default();
    let mut roles: Vec<Option<PageKey>> = Vec::new();
    match body.kind() {
        Kind::Array => items.read(body, &mut batch)?,
        Kind::Object => {
            for (key, value) in body.entries() {
                let name = key_name(&key);
                // Gemini's `operations` is the data; a `data` key beside it would be someone else's.
                let role = match &*name {
                    n if n == layout.items.as_bytes() => Some(PageKey::Data),
                    b"object" => Some(PageKey::Object),
                    b"first_id" => Some(PageKey::FirstId),
                    b"last_id" => Some(PageKey::LastId),
                    b"has_more" => Some(PageKey::HasMore),
                    _ => None,
                };
                if role == Some(PageKey::Data) {
                    match value.kind() {
                        Kind::Array => items.read(value, &mut batch)?,
                        Kind::Null => items = Items { out: std::mem::take(&mut items.out), ..Items::default() },
                        other => {
                            return Err(Error::invalid_response(format!(
                                "expected `{}` to be an array, got {}",
                                layout.items,
                                other.described()
                            )))
                        }
                    }
                }
                page.entries.push((key, value));
                roles.push(role);
            }
        }
        other => return Err(Error::invalid_response(format!("expected a list page, got {}", other.described()))),
    }
    if !items.seen {
        items.out.clear();
        items.out.ascii(b"[]");
    }
    let Items { out: items_out, first: first_item, last: last_item, len, .. } = items;
    let ids = (first_item, last_item);

    let cursor = |key: PageKey, fallback: &Option<IdText<'a>>| -> IdText<'a> {
        let sent = page.get(key.name()).filter(|v| v.kind() == Kind::String && v.text().len() > 2);
        match (sent, fallback) {
            (Some(v), _) => Cow::Borrowed(v.text()),
            (None, Some(id)) => id.clone(),
            (None, None) => Cow::Borrowed(&b"null"[..]),
        }
    };
    let first_id = cursor(PageKey::FirstId, &ids.0);
    let last_id = cursor(PageKey::LastId, &ids.1);
    let has_more = layout.has_more.unwrap_or_else(|| has_more(page.get("has_more")));

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
                if written & (1 << *role as u8) == 0 {
                    written |= 1 << *role as u8;
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
        if written & (1 << key as u8) == 0 {
            object.key(out, key.name());
            write(key, out);
        }
    }
    object.end(out);

    let last_id = Json::parse(&last_id).ok().and_then(|j| j.as_str()).map(Cow::into_owned);
    Ok((PageSummary { has_more, len, last_id, next: None }, page))
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
