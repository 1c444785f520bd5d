//! [`Out`]: JSON text being written, with whether it is all ASCII (then the edge hands it to JS
//! by a plain copy instead of a UTF-8 decode).

use super::scan::Json;

/// JSON text under construction. Values taken from the input are copied as they were sent
/// ([`Out::raw`]); values we make are written by the methods below.
#[derive(Debug, Default, Clone)]
pub struct Out {
    buf: Vec<u8>,
    non_ascii: bool,
}

impl Out {
    /// Empty, with room for `bytes`.
    pub fn with_capacity(bytes: usize) -> Self {
        Out { buf: Vec::with_capacity(bytes), non_ascii: false }
    }

    /// Room for `bytes` more without growing (exactly, for a large one: a 60 MB line must not take 128 MB).
    pub fn reserve(&mut self, bytes: usize) {
        self.buf.reserve(bytes);
    }

    /// The text so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Nothing written yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Every byte written is below 0x80.
    pub fn is_ascii(&self) -> bool {
        !self.non_ascii
    }

    /// The text, and whether it is all ASCII.
    pub fn into_parts(self) -> (Vec<u8>, bool) {
        (self.buf, !self.non_ascii)
    }

    /// Drops what was written after `len` bytes.
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    /// Empties it, keeping the allocation.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.non_ascii = false;
    }

    /// A value from the input, exactly as it was sent.
    #[inline]
    pub fn raw(&mut self, value: Json<'_>) {
        self.non_ascii |= !value.is_ascii();
        self.buf.extend_from_slice(value.text());
    }

    /// JSON text another `Out` holds.
    pub fn append(&mut self, other: &Out) {
        self.non_ascii |= other.non_ascii;
        self.buf.extend_from_slice(&other.buf);
    }

    /// JSON punctuation or other ASCII text we wrote ourselves.
    #[inline]
    pub fn ascii(&mut self, text: &[u8]) {
        debug_assert!(text.is_ascii());
        self.buf.extend_from_slice(text);
    }

    /// One ASCII byte.
    #[inline]
    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// `null`.
    pub fn null(&mut self) {
        self.ascii(b"null");
    }

    /// `true` or `false`.
    pub fn bool(&mut self, b: bool) {
        self.ascii(if b { b"true" } else { b"false" });
    }

    /// A whole number.
    pub fn u64(&mut self, n: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = n;
        loop {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.ascii(digits.get(at..).unwrap_or_default());
    }

    /// A whole number that may be negative.
    pub fn i64(&mut self, n: i64) {
        if n < 0 {
            self.byte(b'-');
        }
        self.u64(n.unsigned_abs());
    }

    /// `value`, or `null`.
    pub fn raw_or_null(&mut self, value: Option<Json<'_>>) {
        match value {
            Some(v) => self.raw(v),
            None => self.null(),
        }
    }

    /// A string, escaped as `JSON.stringify` escapes it (`"`, `\\`, control characters).
    pub fn string(&mut self, s: &str) {
        self.non_ascii |= !s.is_ascii();
        self.buf.push(b'"');
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let escape: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0C => b"\\f",
                0x00..=0x1F => b"",
                _ => continue,
            };
            self.buf.extend_from_slice(bytes.get(start..i).unwrap_or_default());
            if escape.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let hex = |n: u8| HEX.get(usize::from(n & 15)).copied().unwrap_or(b'0');
                self.buf.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex(b >> 4), hex(b)]);
            } else {
                self.buf.extend_from_slice(escape);
            }
            start = i + 1;
        }
        self.buf.extend_from_slice(bytes.get(start..).unwrap_or_default());
        self.buf.push(b'"');
    }

    /// `"name":` for a key we name ourselves (no escapes needed).
    pub fn key(&mut self, name: &str) {
        self.byte(b'"');
        self.ascii(name.as_bytes());
        self.ascii(b"\":");
    }
}

/// Writes an object's entries with the commas between them: `{` on the first, `}` at [`Object::end`].
#[derive(Debug)]
pub struct Object {
    first: bool,
}

impl Object {
    /// Starts an object.
    pub fn begin(out: &mut Out) -> Self {
        out.byte(b'{');
        Object { first: true }
    }

    /// Before an entry: the comma, if one is due.
    pub fn next(&mut self, out: &mut Out) {
        if !std::mem::take(&mut self.first) {
            out.byte(b',');
        }
    }

    /// An entry with a key of ours; the caller writes the value next.
    pub fn key(&mut self, out: &mut Out, name: &str) {
        self.next(out);
        out.key(name);
    }

    /// An entry with the key as sent (`key` is a string value from the input).
    pub fn raw_key(&mut self, out: &mut Out, key: Json<'_>) {
        self.next(out);
        out.raw(key);
        out.byte(b':');
    }

    /// Ends the object.
    pub fn end(self, out: &mut Out) {
        out.byte(b'}');
    }
}

/// Writes an array's items with the commas between them.
#[derive(Debug)]
pub struct Array {
    first: bool,
}

impl Array {
    /// Starts an array.
    pub fn begin(out: &mut Out) -> Self {
        out.byte(b'[');
        Array { first: true }
    }

    /// Before an item: the comma, if one is due.
    pub fn next(&mut self, out: &mut Out) {
        if !std::mem::take(&mut self.first) {
            out.byte(b',');
        }
    }

    /// Ends the array.
    pub fn end(self, out: &mut Out) {
        out.byte(b']');
    }
}
