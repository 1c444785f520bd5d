//! Reading a [`Json`] value: strings decoded, numbers read, objects and arrays walked, all from
//! the text it was sent as and only where it is looked at.

use std::borrow::Cow;
use std::fmt;

use super::scan::{Json, Kind, Scanned, Scanner, SyntaxError, ASCII, PLAIN};

impl<'a> Json<'a> {
    /// `null`, as a value to hand around.
    pub const NULL: Json<'static> = Json { text: b"null", kind: Kind::Null, flags: ASCII };

    /// Checks `text` as one JSON value with optional white space around it.
    pub fn parse(text: &'a [u8]) -> Result<Json<'a>, SyntaxError> {
        let mut scan = Scanner::new(text);
        let value = scan.value()?;
        scan.at_end()?;
        Ok(value)
    }

    /// The value's type.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The value's text as it was sent (a string with its quotes and escapes).
    pub fn text(&self) -> &'a [u8] {
        self.text
    }

    /// No byte from 0x80 up in its text.
    pub fn is_ascii(&self) -> bool {
        self.flags & ASCII != 0
    }

    /// A string without escapes (so its text between the quotes is its content, as bytes).
    pub fn is_plain(&self) -> bool {
        self.kind == Kind::String && self.flags & PLAIN != 0
    }

    /// `null`.
    pub fn is_null(&self) -> bool {
        self.kind == Kind::Null
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        (self.kind == Kind::Bool).then(|| self.text == b"true")
    }

    /// A string's content as `JSON.parse` would give it (U+FFFD for a lone surrogate or bytes
    /// that are not UTF-8); borrowed when it needs no decoding.
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        if self.kind != Kind::String {
            return None;
        }
        let inner = self.text.get(1..self.text.len().saturating_sub(1)).unwrap_or_default();
        if self.flags & PLAIN != 0 {
            return Some(String::from_utf8_lossy(inner));
        }
        Some(Cow::Owned(unescape(inner)))
    }

    /// A plain string's content bytes: what is between the quotes when there are no escapes.
    pub fn plain_bytes(&self) -> Option<&'a [u8]> {
        self.is_plain().then(|| self.text.get(1..self.text.len().saturating_sub(1)).unwrap_or_default())
    }

    /// Whether this is the string `s`.
    pub fn is_str(&self, s: &str) -> bool {
        match self.plain_bytes() {
            // Bytes that differ can still decode to `s` when they are not UTF-8 (U+FFFD).
            Some(bytes) if bytes == s.as_bytes() || self.is_ascii() => bytes == s.as_bytes(),
            _ => self.as_str().is_some_and(|own| own == s),
        }
    }

    /// The number, if this is one.
    pub fn as_number(&self) -> Option<Number<'a>> {
        (self.kind == Kind::Number).then(|| Number(std::str::from_utf8(self.text).unwrap_or("0")))
    }

    /// An object's entries in the order sent, duplicates included (empty for anything else).
    pub fn entries(&self) -> Entries<'a> {
        let mut scan = Scanner::new(self.text);
        let open = self.kind == Kind::Object && scan.open(b'{');
        Entries { scan, first: true, done: !open }
    }

    /// An array's items (empty for anything else).
    pub fn items(&self) -> Items<'a> {
        let mut scan = Scanner::new(self.text);
        let open = self.kind == Kind::Array && scan.open(b'[');
        Items { scan, first: true, done: !open }
    }

    /// The value of `key` in an object: the last one, as `JSON.parse` keeps it.
    pub fn get(&self, key: &str) -> Option<Json<'a>> {
        self.entries().filter(|(k, _)| k.is_str(key)).last().map(|(_, v)| v)
    }

    /// An object key's name as bytes, decoded only when it has escapes (for matching names).
    pub fn key_bytes(&self) -> Cow<'a, [u8]> {
        match self.plain_bytes() {
            Some(bytes) => Cow::Borrowed(bytes),
            None => match self.as_str() {
                Some(Cow::Borrowed(s)) => Cow::Borrowed(s.as_bytes()),
                Some(Cow::Owned(s)) => Cow::Owned(s.into_bytes()),
                None => Cow::Borrowed(b""),
            },
        }
    }

    /// A non-empty string, as text ([`Json::as_str`]).
    pub fn non_empty_str(&self) -> Option<Cow<'a, str>> {
        self.as_str().filter(|s| !s.is_empty())
    }
}

impl fmt::Debug for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Json({})", String::from_utf8_lossy(self.text))
    }
}

/// A string's content between the quotes, escapes decoded as `JSON.parse` decodes them.
fn unescape(inner: &[u8]) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut i = 0;
    let hex = |at: usize| -> Option<u32> {
        let digits = inner.get(at..at + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        u32::from_str_radix(text, 16).ok()
    };
    let push = |out: &mut Vec<u8>, c: char| {
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    };
    while let Some(&b) = inner.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let escaped = inner.get(i + 1).copied().unwrap_or(b'\\');
        i += 2;
        let c = match escaped {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex(i).unwrap_or(0xFFFD);
                i += 4;
                if (0xD800..0xDC00).contains(&unit) && inner.get(i) == Some(&b'\\') && inner.get(i + 1) == Some(&b'u') {
                    match hex(i + 2) {
                        Some(low @ 0xDC00..=0xDFFF) => {
                            i += 6;
                            char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)).unwrap_or('\u{fffd}')
                        }
                        _ => '\u{fffd}',
                    }
                } else {
                    char::from_u32(unit).unwrap_or('\u{fffd}')
                }
            }
            other => char::from(other),
        };
        push(&mut out, c);
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// A number as written. Reading it follows `JSON.parse`: [`Number::as_f64`] is the double
/// nearest to the text (`Infinity` past the range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Number<'a>(&'a str);

impl<'a> Number<'a> {
    /// The digits as sent.
    pub fn text(&self) -> &'a str {
        self.0
    }

    /// The nearest double, as `JSON.parse` reads it.
    pub fn as_f64(&self) -> f64 {
        crate::parse_f64(self.0).unwrap_or(f64::NAN)
    }

    /// The value as a whole number from 0 to 2^53 (what JS holds exactly): `3`, `3.0` and `3e0` are 3.
    pub fn as_u64(&self) -> Option<u64> {
        if self.0.bytes().all(|b| b.is_ascii_digit()) {
            return self.0.parse::<u64>().ok().filter(|&n| n <= MAX_SAFE);
        }
        let f = self.as_f64();
        (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= MAX_SAFE as f64).then_some(f as u64)
    }
}

/// 2^53: up to here every integer is a double.
const MAX_SAFE: u64 = 1 << 53;

/// The entries of an object ([`Json::entries`]).
#[derive(Debug, Clone)]
pub struct Entries<'a> {
    scan: Scanner<'a>,
    first: bool,
    done: bool,
}

impl<'a> Iterator for Entries<'a> {
    type Item = (Json<'a>, Json<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.scan.entry(self.first);
        self.first = false;
        match next {
            Ok(Some(entry)) => Some(entry),
            // Checked text has no errors; should one appear, the walk just ends.
            Ok(None) | Err(_) => {
                self.done = true;
                None
            }
        }
    }
}

/// The items of an array ([`Json::items`]).
#[derive(Debug, Clone)]
pub struct Items<'a> {
    scan: Scanner<'a>,
    first: bool,
    done: bool,
}

impl<'a> Iterator for Items<'a> {
    type Item = Json<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next: Scanned<Option<Json<'a>>> = self.scan.item(self.first);
        self.first = false;
        match next {
            Ok(Some(item)) => Some(item),
            Ok(None) | Err(_) => {
                self.done = true;
                None
            }
        }
    }
}
