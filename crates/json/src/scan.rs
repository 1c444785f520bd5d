//! The validating scanner: the grammar `JSON.parse` reads, over bytes, without recursion and
//! without a depth limit.
//!
//! The reference is what a JS program gets from a provider's answer: `response.text()` (UTF-8
//! decoding that strips a leading BOM and turns invalid bytes into U+FFFD), then `JSON.parse`. So
//! inside a string any byte from 0x80 up is content (valid UTF-8 or not: the decoder makes it a
//! character either way, and never swallows the ASCII quote after a broken sequence); outside
//! strings such a byte is an error, as the character it decodes to would be. `\u` escapes are
//! taken as written, lone surrogates included; numbers may have any number of digits and any
//! exponent (`1e400` is `Infinity` to `JSON.parse`); duplicate keys are allowed.

/// The type of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// A number, any number of digits.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl Kind {
    /// The type's name with an article, for messages ("expected a batch object, got an array").
    pub fn described(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Array => "an array",
            Kind::Object => "an object",
        }
    }
}

/// No byte from 0x80 up in the value's text.
pub(crate) const ASCII: u8 = 1;
/// A string written without escapes.
pub(crate) const PLAIN: u8 = 2;

/// A JSON value that was checked when its text was scanned and is read from that text on demand:
/// strings keep their escapes, numbers their digits and objects their key order (duplicate keys
/// included) until written out, so what is passed through is exactly what was sent. Reading
/// follows `JSON.parse`: [`Json::get`] finds the last of a duplicated key, strings decode with
/// lone surrogates (and invalid UTF-8) as U+FFFD.
///
/// ```
/// use llm_batches_json::Json;
/// let json = Json::parse(br#"{"n": 0.9856906946328695, "a": "x\ud800", "n": 1e400}"#).unwrap();
/// assert_eq!(json.get("n").unwrap().text(), b"1e400");
/// assert_eq!(json.get("a").unwrap().as_str().unwrap(), "x\u{fffd}");
/// assert_eq!(json.entries().map(|(k, _)| k.as_str().unwrap().into_owned()).collect::<Vec<_>>(), ["n", "a", "n"]);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Json<'a> {
    pub(super) text: &'a [u8],
    pub(super) kind: Kind,
    pub(super) flags: u8,
}

impl<'a> Json<'a> {
    pub(crate) fn from_parts(text: &'a [u8], kind: Kind, flags: u8) -> Self {
        Json { text, kind, flags }
    }
}

/// Where and why text is not JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What was wrong there.
    pub problem: Problem,
}

/// The kinds of syntax error, worded for people in [`SyntaxError::describe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The text ended inside a value (or held none).
    End,
    /// A byte that cannot stand here.
    Unexpected(u8),
    /// A string key was due.
    ExpectedKey,
    /// `:` after a key was due.
    ExpectedColon,
    /// `,` or the closing bracket was due.
    ExpectedCommaOrClose,
    /// A backslash followed by something JSON does not escape.
    BadEscape,
    /// A control character (below U+0020) written into a string as it is.
    ControlInString,
    /// A number that does not follow the grammar (`01`, `1.`, `-`, `1e`).
    BadNumber,
    /// More text after the value.
    Trailing,
}

impl SyntaxError {
    /// A short sentence: what is wrong, and the 1-based column (in characters) of `text` where.
    pub fn describe(&self, text: &[u8]) -> String {
        let column = text.get(..self.offset).map_or(1, |before| {
            before.iter().filter(|&&b| (b as i8) >= -0x40).count() + 1 // count bytes that start a character
        });
        let what = match self.problem {
            Problem::End => return "the text ends in the middle of a value".to_owned(),
            Problem::Unexpected(b) if b.is_ascii_graphic() => format!("unexpected `{}`", char::from(b)),
            Problem::Unexpected(b) if b < 0x80 => format!("unexpected character 0x{b:02x}"),
            Problem::Unexpected(_) => "unexpected non-ASCII character outside a string".to_owned(),
            Problem::ExpectedKey => "expected a string key".to_owned(),
            Problem::ExpectedColon => "expected `:` after a key".to_owned(),
            Problem::ExpectedCommaOrClose => "expected `,` or a closing bracket".to_owned(),
            Problem::BadEscape => "invalid escape in a string".to_owned(),
            Problem::ControlInString => "unescaped control character in a string".to_owned(),
            Problem::BadNumber => "invalid number".to_owned(),
            Problem::Trailing => "unexpected text after the value".to_owned(),
        };
        format!("{what} at column {column}")
    }
}

/// A step of scanning: its result, or where the text stopped being JSON.
pub type Scanned<T> = Result<T, SyntaxError>;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The bytes of `v` that are zero, as their high bits (exact for the lowest one).
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGH
}

/// The bytes that end a run of plain string content: `"`, `\\`, or below 0x20.
#[inline(always)]
fn string_stops(w: u64) -> u64 {
    zero_bytes(w ^ (ONES * 0x22)) | zero_bytes(w ^ (ONES * 0x5C)) | (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
}

/// Where in `bytes` the first `"`, `\\` or control byte is, eight bytes at a time, and whether a
/// byte from 0x80 up came before it.
#[inline]
pub(crate) fn string_run(bytes: &[u8]) -> (Option<usize>, bool) {
    let mut high = 0u64;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let stops = string_stops(w);
        if stops != 0 {
            let at = (stops.trailing_zeros() / 8) as usize;
            // Only the bytes before the stop count for the non-ASCII flag.
            let before = if at == 0 { 0 } else { w & (u64::MAX >> (64 - 8 * at)) };
            return (Some(offset + at), (high | before) & HIGH != 0);
        }
        high |= w;
        offset += 8;
    }
    let mut non_ascii = high & HIGH != 0;
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return (Some(offset + i), non_ascii);
        }
        non_ascii |= b >= 0x80;
    }
    (None, non_ascii)
}

/// Whether bit `depth` of a stack of "is this container an object" bits is set; one word inline,
/// the rest on the heap only for input nested deeper than 64.
#[derive(Default)]
struct Nesting {
    depth: usize,
    low: u64,
    high: Vec<u64>,
}

impl Nesting {
    fn push(&mut self, object: bool) {
        let d = self.depth;
        if d < 64 {
            self.low = (self.low & !(1 << d)) | (u64::from(object) << d);
        } else {
            let (word, bit) = ((d - 64) / 64, (d - 64) % 64);
            if word == self.high.len() {
                self.high.push(0);
            }
            if let Some(w) = self.high.get_mut(word) {
                *w = (*w & !(1 << bit)) | (u64::from(object) << bit);
            }
        }
        self.depth += 1;
    }

    fn top_is_object(&self) -> bool {
        let d = self.depth.wrapping_sub(1);
        if d < 64 {
            self.low >> d & 1 == 1
        } else {
            self.high.get((d - 64) / 64).is_some_and(|w| w >> ((d - 64) % 64) & 1 == 1)
        }
    }
}

/// A cursor over JSON text: it checks what it passes, value by value, with no recursion.
#[derive(Debug, Clone)]
pub struct Scanner<'a> {
    pub(crate) b: &'a [u8],
    pub i: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `b`.
    pub fn new(b: &'a [u8]) -> Self {
        Scanner { b, i: 0 }
    }

    /// The text from `start` to the cursor.
    fn span(&self, start: usize) -> &'a [u8] {
        self.b.get(start..self.i).unwrap_or_default()
    }

    fn error(&self, problem: Problem) -> SyntaxError {
        let problem = match (problem, self.b.get(self.i)) {
            (_, None) => Problem::End,
            (Problem::Unexpected(_), Some(&b)) => Problem::Unexpected(b),
            (p, _) => p,
        };
        SyntaxError { offset: self.i, problem }
    }

    #[inline]
    pub(crate) fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// At the end of the text, but for white space.
    pub fn at_end(&mut self) -> Scanned<()> {
        self.ws();
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(SyntaxError { offset: self.i, problem: Problem::Trailing }),
        }
    }

    /// `c` after optional white space.
    pub(crate) fn eat(&mut self, c: u8, problem: Problem) -> Scanned<()> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.error(problem))
        }
    }

    /// A string from its opening quote: its flags (`ASCII`, `PLAIN`).
    #[inline]
    fn string(&mut self) -> Scanned<u8> {
        self.i += 1; // the opening quote, checked by the caller
        let mut flags = ASCII | PLAIN;
        loop {
            let (stop, non_ascii) = string_run(self.b.get(self.i..).unwrap_or_default());
            if non_ascii {
                flags &= !ASCII;
            }
            let Some(at) = stop else {
                self.i = self.b.len();
                return Err(self.error(Problem::End));
            };
            self.i += at;
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(flags);
                }
                Some(b'\\') => {
                    flags &= !PLAIN;
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            let hex = self.b.get(self.i + 1..self.i + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return Err(self.error(Problem::BadEscape));
                            }
                            self.i += 5;
                        }
                        _ => return Err(self.error(Problem::BadEscape)),
                    }
                }
                _ => return Err(self.error(Problem::ControlInString)),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Scanned<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error(Problem::BadNumber)),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.error(Problem::BadNumber));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.error(Problem::BadNumber));
            }
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Scanned<()> {
        for &expected in word {
            if self.peek() != Some(expected) {
                return Err(self.error(Problem::Unexpected(0)));
            }
            self.i += 1;
        }
        Ok(())
    }

    /// A key and its colon (after white space): the key's flags and where its text ends.
    fn key(&mut self) -> Scanned<(u8, usize)> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(self.error(Problem::ExpectedKey));
        }
        let flags = self.string()?;
        let end = self.i;
        self.eat(b':', Problem::ExpectedColon)?;
        Ok((flags, end))
    }

    /// One value after optional white space, checked and skipped.
    pub fn value(&mut self) -> Scanned<Json<'a>> {
        self.ws();
        let start = self.i;
        let scalar = |s: &Self, kind: Kind, flags: u8| Ok(Json::from_parts(s.span(start), kind, flags));
        match self.peek() {
            Some(b'"') => {
                let flags = self.string()?;
                return scalar(self, Kind::String, flags);
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                return scalar(self, Kind::Number, ASCII);
            }
            Some(b't') => {
                self.literal(b"true")?;
                return scalar(self, Kind::Bool, ASCII);
            }
            Some(b'f') => {
                self.literal(b"false")?;
                return scalar(self, Kind::Bool, ASCII);
            }
            Some(b'n') => {
                self.literal(b"null")?;
                return scalar(self, Kind::Null, ASCII);
            }
            Some(b'{' | b'[') => {}
            _ => return Err(self.error(Problem::Unexpected(0))),
        }
        let kind = if self.peek() == Some(b'{') { Kind::Object } else { Kind::Array };
        let mut ascii = true;
        let mut nest = Nesting::default();
        'value: loop {
            self.ws();
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    self.i += 1;
                    self.ws();
                    let (object, close) = if open == b'{' { (true, b'}') } else { (false, b']') };
                    if self.peek() == Some(close) {
                        self.i += 1;
                    } else {
                        nest.push(object);
                        if object {
                            ascii &= self.key()?.0 & ASCII != 0;
                        }
                        continue 'value;
                    }
                }
                Some(b'"') => ascii &= self.string()? & ASCII != 0,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                _ => return Err(self.error(Problem::Unexpected(0))),
            }
            // After a value: a comma and the next one, or closing brackets.
            loop {
                if nest.depth == 0 {
                    let flags = if ascii { ASCII } else { 0 };
                    return Ok(Json::from_parts(self.span(start), kind, flags));
                }
                self.ws();
                let object = nest.top_is_object();
                match self.peek() {
                    Some(b',') => {
                        self.i += 1;
                        if object {
                            ascii &= self.key()?.0 & ASCII != 0;
                        }
                        continue 'value;
                    }
                    Some(b'}') if object => {
                        self.i += 1;
                        nest.depth -= 1;
                    }
                    Some(b']') if !object => {
                        self.i += 1;
                        nest.depth -= 1;
                    }
                    _ => return Err(self.error(Problem::ExpectedCommaOrClose)),
                }
            }
        }
    }

    /// Inside an object whose `{` was consumed: the next key (the cursor then at its value), or
    /// `None` at `}`. `first` says whether an entry was read before (then a comma is due).
    fn next_key(&mut self, first: bool) -> Scanned<Option<Json<'a>>> {
        self.ws();
        match self.peek() {
            Some(b'}') => {
                self.i += 1;
                return Ok(None);
            }
            Some(b',') if !first => self.i += 1,
            _ if first => {}
            _ => return Err(self.error(Problem::ExpectedCommaOrClose)),
        }
        self.ws();
        let start = self.i;
        let (flags, end) = self.key()?;
        Ok(Some(Json::from_parts(self.b.get(start..end).unwrap_or_default(), Kind::String, flags)))
    }

    /// Inside an object whose `{` was consumed: the next key and value, or `None` at `}`.
    pub(crate) fn entry(&mut self, first: bool) -> Scanned<Option<(Json<'a>, Json<'a>)>> {
        match self.next_key(first)? {
            Some(key) => Ok(Some((key, self.value()?))),
            None => Ok(None),
        }
    }

    /// Walks the object at the cursor (after white space) once: `f` gets each key with the cursor at
    /// its value, and must consume the value — skip it with [`Scanner::value`], or walk into it — and
    /// hand it back. Answers the whole object. Anything else at the cursor is a syntax error.
    pub fn object(&mut self, mut f: impl FnMut(&mut Self, Json<'a>) -> Scanned<Json<'a>>) -> Scanned<Json<'a>> {
        self.ws();
        let start = self.i;
        if self.peek() != Some(b'{') {
            return Err(self.error(Problem::Unexpected(0)));
        }
        self.i += 1;
        let mut ascii = true;
        let mut first = true;
        while let Some(key) = self.next_key(first)? {
            first = false;
            let value = f(self, key)?;
            ascii &= key.flags & value.flags & ASCII != 0;
        }
        Ok(Json::from_parts(self.span(start), Kind::Object, if ascii { ASCII } else { 0 }))
    }

    /// Walks the array at the cursor (after white space) once: `f` consumes each item (see
    /// [`Scanner::object`]). Answers the whole array.
    pub fn array(&mut self, mut f: impl FnMut(&mut Self) -> Scanned<Json<'a>>) -> Scanned<Json<'a>> {
        self.ws();
        let start = self.i;
        if self.peek() != Some(b'[') {
            return Err(self.error(Problem::Unexpected(0)));
        }
        self.i += 1;
        let mut ascii = true;
        let mut first = true;
        loop {
            self.ws();
            match self.peek() {
                Some(b']') => {
                    self.i += 1;
                    break;
                }
                Some(b',') if !first => self.i += 1,
                _ if first => {}
                _ => return Err(self.error(Problem::ExpectedCommaOrClose)),
            }
            first = false;
            ascii &= f(self)?.flags & ASCII != 0;
        }
        Ok(Json::from_parts(self.span(start), Kind::Array, if ascii { ASCII } else { 0 }))
    }

    /// The next value's first byte (after white space), without consuming it.
    pub fn next_byte(&mut self) -> Option<u8> {
        self.ws();
        self.peek()
    }

    /// Inside an array whose `[` was consumed: the next item, or `None` at `]`.
    pub(crate) fn item(&mut self, first: bool) -> Scanned<Option<Json<'a>>> {
        self.ws();
        match self.peek() {
            Some(b']') => {
                self.i += 1;
                return Ok(None);
            }
            Some(b',') if !first => self.i += 1,
            _ if first => {}
            _ => return Err(self.error(Problem::ExpectedCommaOrClose)),
        }
        self.value().map(Some)
    }

    /// `{` or `[` (after white space): `true` if it was that one.
    pub(crate) fn open(&mut self, open: u8) -> bool {
        self.ws();
        if self.peek() == Some(open) {
            self.i += 1;
            true
        } else {
            false
        }
    }
}
