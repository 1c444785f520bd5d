//! The JSON value the hot paths (list pages, result lines) work on: it borrows its strings from
//! the bytes it was parsed from and keeps an object's entries in one sorted `Vec`.
//!
//! It is `serde_json::Value` with the allocations taken out, and means exactly the same thing:
//! the same parser reads it (numbers, escapes, UTF-8 checks, errors, nesting limit), an object's
//! keys come out sorted with the last of a duplicated key winning (`serde_json::Map` is a
//! `BTreeMap`), and it writes out byte for byte what the `Value` would. Building and dropping a
//! `Value` tree cost about as much as everything else on a 10,000-batch page together.
//!
//! ```
//! use llm_batches::core::Json;
//! let json: Json = serde_json::from_slice(br#"{"b": 1, "a": "x", "b": 2}"#).unwrap();
//! assert_eq!(serde_json::to_string(&json).unwrap(), r#"{"a":"x","b":2}"#);
//! ```

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Number, Value};

/// A JSON value whose strings may borrow from the input (see the module docs).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Json<'a> {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Any number, as `serde_json` reads it.
    Number(Number),
    /// A string, borrowed when it had no escapes.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Json<'a>>),
    /// An object.
    Object(Object<'a>),
}

/// An object's entries, sorted by key, each key once: a `serde_json::Map` in one allocation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object<'a>(Vec<(Cow<'a, str>, Json<'a>)>);

impl<'a> Json<'a> {
    /// A string value.
    pub fn str(s: &'a str) -> Self {
        Json::String(Cow::Borrowed(s))
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// A field of an object; `None` for a missing key or a non-object.
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(map) => map.get(key),
            _ => None,
        }
    }

    /// The same value, owning all of its strings.
    pub fn into_owned(self) -> Json<'static> {
        match self {
            Json::Null => Json::Null,
            Json::Bool(b) => Json::Bool(b),
            Json::Number(n) => Json::Number(n),
            Json::String(s) => Json::String(Cow::Owned(s.into_owned())),
            Json::Array(items) => Json::Array(items.into_iter().map(Json::into_owned).collect()),
            Json::Object(map) => Json::Object(Object(
                map.0.into_iter().map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned())).collect(),
            )),
        }
    }
}

impl From<u64> for Json<'_> {
    fn from(n: u64) -> Self {
        Json::Number(n.into())
    }
}

impl From<i64> for Json<'_> {
    fn from(n: i64) -> Self {
        Json::Number(n.into())
    }
}

impl<'a> Object<'a> {
    /// An empty object.
    pub fn new() -> Self {
        Object(Vec::new())
    }

    /// An empty object with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        Object(Vec::with_capacity(n))
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_ref().cmp(key))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        let i = self.find(key).ok()?;
        self.0.get(i).map(|(_, v)| v)
    }

    /// Takes `key` out.
    pub fn remove(&mut self, key: &str) -> Option<Json<'a>> {
        let i = self.find(key).ok()?;
        Some(self.0.remove(i).1)
    }

    /// Sets `key`, replacing its value if it has one.
    pub fn insert(&mut self, key: &'a str, value: Json<'a>) {
        self.update(key, |_| value);
    }

    /// Sets `key` to `f(its value)`, in place: the same as `let v = remove(key); insert(key, f(v))`.
    pub fn update(&mut self, key: &'a str, f: impl FnOnce(Option<Json<'a>>) -> Json<'a>) {
        match self.find(key) {
            Ok(i) => {
                if let Some((_, slot)) = self.0.get_mut(i) {
                    *slot = f(Some(std::mem::take(slot)));
                }
            }
            Err(i) => self.0.insert(i, (Cow::Borrowed(key), f(None))),
        }
    }

    /// [`Object::update`] for many keys in one pass: `keys` must be sorted (and `f` gets the
    /// index of the key in `keys`). Each value depends only on its own key's old value, so one
    /// merge walk replaces a search per key.
    pub fn update_each<const N: usize>(
        &mut self,
        keys: &[&'a str; N],
        mut f: impl FnMut(usize, Option<Json<'a>>) -> Json<'a>,
    ) {
        const { assert!(N <= 64, "one bit per key") };
        debug_assert!(keys.windows(2).all(|w| matches!(w, [a, b] if a < b)), "keys must be sorted");
        let mut missing = 0u64;
        let mut next = keys.iter().enumerate().peekable();
        for (key, value) in &mut self.0 {
            while let Some(&(i, wanted)) = next.peek() {
                match (*wanted).cmp(key.as_ref()) {
                    std::cmp::Ordering::Less => missing |= 1 << i,
                    std::cmp::Ordering::Equal => *value = f(i, Some(std::mem::take(value))),
                    std::cmp::Ordering::Greater => break,
                }
                next.next();
            }
        }
        for (i, _) in next {
            missing |= 1 << i;
        }
        for (i, key) in keys.iter().enumerate() {
            if missing & (1 << i) != 0 {
                let value = f(i, None);
                self.insert(key, value);
            }
        }
    }

    /// Whether the object has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json<'a>)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// Entries in any order, any number of times per key: sorted, the last of each key kept
    /// (what inserting them one by one into a `BTreeMap` gives).
    fn from_entries(mut entries: Vec<(Cow<'a, str>, Json<'a>)>) -> Self {
        if entries.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)) {
            return Object(entries);
        }
        // Stable, so equal keys stay in input order and the last one is the one to keep.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Cow<'a, str>, Json<'a>)> = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            match out.last_mut() {
                Some(last) if last.0 == key => last.1 = value,
                _ => out.push((key, value)),
            }
        }
        Object(out)
    }
}

// ---- writing -----------------------------------------------------------------------------------

impl Json<'_> {
    /// Appends the value's JSON text to `out`, in ASCII: every character past U+007F is written as
    /// a `\uXXXX` escape (two for one beyond the BMP). `JSON.parse` reads back the very same
    /// string as from `serde_json::to_vec`, but a JS engine decodes ASCII bytes to a string many
    /// times faster than UTF-8 ones.
    pub fn write_ascii(&self, out: &mut Vec<u8>) {
        match self {
            Json::Null => out.extend_from_slice(b"null"),
            Json::Bool(true) => out.extend_from_slice(b"true"),
            Json::Bool(false) => out.extend_from_slice(b"false"),
            // serde_json's own number formatting (itoa / ryu); a number cannot fail to write.
            Json::Number(n) => {
                let _ = serde_json::to_writer(&mut *out, n);
            }
            Json::String(s) => write_str(s, out),
            Json::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write_ascii(out);
                }
                out.push(b']');
            }
            Json::Object(map) => {
                out.push(b'{');
                for (i, (key, value)) in map.0.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_str(key, out);
                    out.push(b':');
                    value.write_ascii(out);
                }
                out.push(b'}');
            }
        }
    }
}

/// A JSON string in ASCII, with serde_json's escapes for `"`, `\\` and control characters.
fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    // `bytes[start..]` is still to be written; everything before `start` has been.
    let mut start = 0;
    while let Some(at) = bytes.get(start..).and_then(first_to_escape) {
        let at = start + at;
        out.extend_from_slice(bytes.get(start..at).unwrap_or_default());
        let (escape, len): (&[u8], usize) = match bytes.get(at).copied().unwrap_or(0) {
            b'"' => (b"\\\"", 1),
            b'\\' => (b"\\\\", 1),
            b'\n' => (b"\\n", 1),
            b'\r' => (b"\\r", 1),
            b'\t' => (b"\\t", 1),
            0x08 => (b"\\b", 1),
            0x0C => (b"\\f", 1),
            b @ 0x00..=0x1F => {
                escape_unit(u16::from(b), out);
                (b"", 1)
            }
            _ => {
                // A leading byte (`s` is a str): escape the whole character, as UTF-16 units.
                let c = s.get(at..).and_then(|rest| rest.chars().next()).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    escape_unit(*unit, out);
                }
                (b"", c.len_utf8())
            }
        };
        out.extend_from_slice(escape);
        start = at + len;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

/// Where the first byte [`needs_escape`] is, eight bytes at a time: most strings have none, or
/// only far in.
pub(super) fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // A byte >= 0x80, < 0x20 (exact once the high bit is clear), `"` or `\\`. Borrows can flag
        // bytes above a flagged one, never below: the lowest flag is the first byte to escape.
        let special =
            (w | w.wrapping_sub(0x2020_2020_2020_2020) | has_zero(w ^ (ONES * 0x22)) | has_zero(w ^ (ONES * 0x5C)))
                & HIGH;
        if special != 0 {
            return Some(offset + (special.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks.remainder().iter().position(|&b| needs_escape(b)).map(|i| offset + i)
}

/// `"`, `\\`, a control character, or any byte of a non-ASCII character.
#[inline(always)]
fn needs_escape(b: u8) -> bool {
    b.wrapping_sub(0x20) >= 0x60 || b == b'"' || b == b'\\'
}

fn escape_unit(unit: u16, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digit = |shift: u16| HEX.get(usize::from((unit >> shift) & 0xF)).copied().unwrap_or(b'0');
    out.extend_from_slice(&[b'\\', b'u', digit(12), digit(8), digit(4), digit(0)]);
}

/// Appends JSON text that is valid UTF-8 as it is, but in ASCII: each character past U+007F
/// (which in valid JSON stands only inside a string) becomes `\uXXXX` escapes, as in
/// [`Json::write_ascii`]. Bytes that are not UTF-8 become U+FFFD; callers pass checked text.
pub(super) fn write_raw_ascii(text: &[u8], out: &mut Vec<u8>) {
    let mut start = 0;
    while let Some(at) = text.get(start..).and_then(first_non_ascii) {
        let at = start + at;
        out.extend_from_slice(text.get(start..at).unwrap_or_default());
        let rest = text.get(at..).unwrap_or_default();
        let width = rest.get(..utf8_width(rest.first().copied().unwrap_or(0)).min(rest.len())).unwrap_or_default();
        let c = std::str::from_utf8(width).ok().and_then(|s| s.chars().next());
        let mut units = [0u16; 2];
        for unit in c.unwrap_or(char::REPLACEMENT_CHARACTER).encode_utf16(&mut units) {
            escape_unit(*unit, out);
        }
        start = at + width.len().max(1);
    }
    out.extend_from_slice(text.get(start..).unwrap_or_default());
}

/// How many bytes the UTF-8 character led by `lead` takes (1 for a byte that cannot lead one).
pub(super) fn utf8_width(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    }
}

/// Where the first byte past 0x7F is, eight bytes at a time.
fn first_non_ascii(bytes: &[u8]) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let high = u64::from_le_bytes(word) & 0x8080_8080_8080_8080;
        if high != 0 {
            return Some(offset + (high.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks.remainder().iter().position(|&b| b >= 0x80).map(|i| offset + i)
}

/// Room for the ASCII JSON text made from `bytes` of provider JSON: escaped non-ASCII characters
/// make it a little longer than it came in.
pub fn ascii_capacity(bytes: usize) -> usize {
    bytes + bytes / 8 + 64
}

/// A number for a message: integers as integers, other finite numbers in the shortest form that
/// reads back the same, and `NaN`/`Infinity` by name. (Not `format!("{n}")`: core's float
/// formatting would add some 14 KB to the wasm; this reuses what writing JSON needs anyway.)
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        // Integral and exact: no fraction to lose.
        return (n as i64).to_string();
    }
    match Number::from_f64(n) {
        Some(number) => number.to_string(),
        None if n.is_nan() => "NaN".to_owned(),
        None if n > 0.0 => "Infinity".to_owned(),
        None => "-Infinity".to_owned(),
    }
}

/// `serde_json::from_slice::<Value>` by way of [`Json`]: the same value, or the same error, with
/// one parser in the wasm instead of two.
pub fn parse_value(bytes: &[u8]) -> serde_json::Result<Value> {
    serde_json::from_slice::<Json>(bytes).map(Value::from)
}

// ---- serde_json::Value <-> Json (the paths that are not hot keep using Value) ----------------

impl From<Value> for Json<'static> {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(b),
            Value::Number(n) => Json::Number(n),
            Value::String(s) => Json::String(Cow::Owned(s)),
            Value::Array(items) => Json::Array(items.into_iter().map(Json::from).collect()),
            // A Map iterates in key order with unique keys already.
            Value::Object(map) => {
                Json::Object(Object(map.into_iter().map(|(k, v)| (Cow::Owned(k), v.into())).collect()))
            }
        }
    }
}

impl From<Json<'_>> for Value {
    fn from(json: Json<'_>) -> Self {
        match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(b),
            Json::Number(n) => Value::Number(n),
            Json::String(s) => Value::String(s.into_owned()),
            Json::Array(items) => Value::Array(items.into_iter().map(Value::from).collect()),
            Json::Object(map) => Value::Object(map.0.into_iter().map(|(k, v)| (k.into_owned(), v.into())).collect()),
        }
    }
}

// ---- serde ------------------------------------------------------------------------------------

impl Serialize for Json<'_> {
    // The same calls `serde_json::Value` makes, so the output is the same bytes.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => n.serialize(serializer),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(map) => {
                let mut out = serializer.serialize_map(Some(map.0.len()))?;
                for (key, value) in &map.0 {
                    out.serialize_entry(key.as_ref(), value)?;
                }
                out.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json<'de>, E> {
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s)))
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json<'de>, D::Error> {
        Deserialize::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8).min(4096));
        while let Some(Key(key)) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Json::Object(Object::from_entries(entries)))
    }
}

/// An object key, borrowed when it had no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parsing into `Json` and into `Value` must agree on every input, and write the same bytes.
    fn same_as_value(text: &[u8]) {
        let ours = serde_json::from_slice::<Json>(text).map_err(|e| e.to_string());
        let theirs = serde_json::from_slice::<Value>(text).map_err(|e| e.to_string());
        match (&ours, &theirs) {
            (Ok(json), Ok(value)) => {
                assert_eq!(serde_json::to_string(json).unwrap(), serde_json::to_string(value).unwrap());
                let mut ascii = Vec::new();
                json.write_ascii(&mut ascii);
                assert!(ascii.is_ascii());
                assert_eq!(&serde_json::from_slice::<Value>(&ascii).unwrap(), value);
                assert_eq!(&Value::from(json.clone()), value);
                assert_eq!(Json::from(value.clone()), json.clone().into_owned());
            }
            (Err(a), Err(b)) => assert_eq!(a, b),
            _ => panic!("{:?}: {ours:?} vs {theirs:?}", String::from_utf8_lossy(text)),
        }
    }

    #[test]
    fn reads_and_writes_what_value_does() {
        let cases: &[&[u8]] = &[
            br#"{"b": 1, "a": "x", "b": 2, "c": {"z": [1, 2.5, -3, 1e3, 18446744073709551615, 1e400]}}"#,
            br#"{"b": 1, "a": "x", "b": 2, "c": {"z": [1, 2.5, -3, 1e3, 18446744073709551615, 99999999999999999999]}}"#,
            r#"{"\u0062": 1, "b": 2, "a\"": "\ud83d\udc4b \u00e9 \n", "": null, "é": true, "e": false}"#.as_bytes(),
            br#"[-0, -0.0, 0.1, 1.7976931348623157e308, 5e-324, 123456789012345678901234567890]"#,
            br#""\ud800""#,
            b"\"\xff\"",
            br#"{"a": 1,}"#,
            br#"{"a" 1}"#,
            br#"[1, 2"#,
            b"  ",
            br#"{"a": 1} x"#,
            br#"{"k": "tab	inside"}"#,
            &[b'['; 200],
            &[b'['; 127],
            br#"[0, -0, 1, -1, 9223372036854775807, -9223372036854775808, -9223372036854775809, 18446744073709551616]"#,
            br#"[2E-3, 1.5e+10, 0.0, -0.0e0, 1E400]"#,
            br#" {"a" : [ true , false , null ] , "b" : { } , "c" : [ ] } "#,
            br#"{"a": "x\"y\\", "a\u0000": "\/"}"#,
            br#"{"a": "\u12"}"#,
            br#"{1: 2}"#,
            b"\xef\xbb\xbf{}",
            b"{\"a\": \"\x7f\"}",
            b"",
            b"nullx",
        ];
        for case in cases {
            same_as_value(case);
        }
    }

    #[test]
    fn every_prefix_and_corruption_reads_as_value_reads_it() {
        let text = r#"{"id": "b\u00e9", "n": [1, -2, 3.5, -0, 1e2, 18446744073709551616], "s": "x\"y", "é": {"k": null, "t": true}}"#;
        let bytes = text.as_bytes();
        for end in 0..=bytes.len() {
            same_as_value(&bytes[..end]);
        }
        for i in 0..bytes.len() {
            for b in [b'"', b'\\', b'{', b'}', b',', b':', b'0', b'-', b'e', b'.', b' ', 0x01, 0xff] {
                let mut changed = bytes.to_vec();
                changed[i] = b;
                same_as_value(&changed);
            }
        }
    }

    #[test]
    fn numbers_for_messages() {
        for (n, text) in [
            (5000.0, "5000"),
            (-1.0, "-1"),
            (0.0, "0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(number_text(n), text);
        }
    }

    #[test]
    fn the_escape_scan_finds_the_first_byte_to_escape() {
        let samples: &[&[u8]] = &[
            b"",
            b"plain ascii text, longer than eight",
            b"abcdefgh\"",
            b"abcdefg\x1f",
            b"\x7f\x7e abc",
            b"0123456789abcdef\\",
        ];
        for sample in samples {
            for start in 0..sample.len() {
                let s = &sample[start..];
                assert_eq!(first_to_escape(s), s.iter().position(|&b| needs_escape(b)), "{s:?}");
            }
        }
        for b in 0..=255u8 {
            let mut s = *b"aaaaaaaaaaaaaaaa";
            s[11] = b;
            assert_eq!(first_to_escape(&s), s.iter().position(|&b| needs_escape(b)), "{b}");
        }
        // Every pair of bytes in one word: a borrow from the lower one must not hide or fake
        // the position of the first.
        for x in 0..=255u8 {
            for y in 0..=255u8 {
                let mut s = *b"aaaaaaaaaaaaaaaa";
                (s[10], s[12]) = (x, y);
                assert_eq!(first_to_escape(&s), s.iter().position(|&b| needs_escape(b)), "{x} {y}");
                assert_eq!(first_non_ascii(&s), s.iter().position(|&b| b >= 0x80), "{x} {y}");
            }
        }
    }

    #[test]
    fn large_objects_with_duplicate_keys() {
        for n in [5, 31, 32, 33, 80] {
            let entries: Vec<String> = (0..n).rev().map(|i| format!(r#""k{}": {i}"#, i % (n / 2 + 1))).collect();
            same_as_value(format!("{{{}}}", entries.join(",")).as_bytes());
        }
    }

    #[test]
    fn update_each_fills_in_missing_keys() {
        let mut map = match serde_json::from_slice::<Json>(br#"{"b": 1, "d": 2, "z": 3}"#).unwrap() {
            Json::Object(map) => map,
            _ => unreachable!(),
        };
        map.update_each(&["a", "b", "c", "y", "zz"], |i, old| match old {
            Some(Json::Number(n)) => Json::from(n.as_u64().unwrap() * 10),
            _ => Json::from(i as u64),
        });
        assert_eq!(
            serde_json::to_string(&Json::Object(map)).unwrap(),
            r#"{"a":0,"b":10,"c":2,"d":2,"y":3,"z":3,"zz":4}"#
        );
    }

    #[test]
    fn objects_stay_sorted() {
        let mut map = Object::new();
        map.insert("b", Json::Null);
        map.insert("a", Json::from(1u64));
        map.update("b", |v| {
            assert_eq!(v, Some(Json::Null));
            Json::str("x")
        });
        map.insert("c", Json::Bool(true));
        assert_eq!(map.remove("a"), Some(Json::from(1u64)));
        assert_eq!(map.remove("a"), None);
        assert_eq!(serde_json::to_string(&Json::Object(map)).unwrap(), r#"{"b":"x","c":true}"#);
    }
}
