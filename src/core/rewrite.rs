//! The fast paths for list pages and result lines ([`LineRewriter`]): a page is normalised by
//! rewriting the provider's JSON text in one pass, not by building a tree. What we don't model (and what is already in the OpenAI shape,
//! which is most of a page) is copied through as it was sent, its non-ASCII characters escaped;
//! only the modelled fields that need a change are parsed and normalised, by the very functions
//! the tree path uses. On a 10,000-batch page that is several times faster than parse → normalise →
//! write, and the JS side's `JSON.parse` gets the same value.
//!
//! Anything out of the ordinary — invalid JSON, a batch that is not an object, a key written with
//! escapes, a modelled key sent twice, a 200 answer carrying an `error`, exponents, deep nesting —
//! makes [`rewrite_page`] answer `None`, and the caller takes the tree path
//! ([`super::normalize_page_json`]), which stays the reference: the tests check that both give the
//! same value for everything the fast path accepts. Keys keep the provider's order here (the tree
//! path sorts them); missing modelled fields come last.
//!
//! ```
//! use llm_batches::core::{rewrite_page, Dialect};
//! let mut out = Vec::new();
//! let body = r#"{"data":[{"id":"b1","status":"PROGRESS","note":"é"}],"has_more":true}"#;
//! let page = rewrite_page(body.as_bytes(), Dialect::Auto, &mut out).unwrap();
//! assert_eq!((page.has_more, page.len, page.last_id.as_deref()), (true, 1, Some("b1")));
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.contains(r#""status":"in_progress""#) && text.contains(r#""note":"\u00e9""#));
//! ```

use super::batch::{self, string_or_null, Dialect, Field, COUNTS, FIELDS, FIELD_KINDS};
use super::json::{first_to_escape, utf8_width, write_raw_ascii, Json, Object};
use super::page::{self, PageSummary};
use super::results::{error_object, status_code, Source};
use super::time::SECONDS_LIMIT;

/// This input is for the tree path.
#[derive(Debug)]
struct Bail;

type Step<T> = std::result::Result<T, Bail>;

/// Normalises a list page (a 2xx answer's body) into `out` as ASCII JSON text: the same value the
/// tree path gives. `None` (with `out` as it was) sends the caller to the tree path.
pub fn rewrite_page(body: &[u8], dialect: Dialect, out: &mut Vec<u8>) -> Option<PageSummary> {
    let start = out.len();
    let mut rewriter =
        Rewriter { scan: Scan { b: body, i: 0 }, dialect, out, entries: Vec::new(), previous: Vec::new() };
    let summary = rewriter.page().ok();
    if summary.is_none() {
        out.truncate(start);
    }
    summary
}

/// Where a value stands in the input.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    /// No byte past 0x7F.
    ascii: bool,
    /// A string without escapes (meaningful for strings only).
    plain: bool,
}

/// A validating JSON scanner over the input bytes.
struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

/// Containers nested deeper than this inside one value are left to the tree path (whose parser
/// stops at 128 levels).
const MAX_DEPTH: u32 = 64;

impl<'a> Scan<'a> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Step<u8> {
        self.b.get(self.i).copied().ok_or(Bail)
    }

    fn bump(&mut self) -> Step<u8> {
        let c = self.peek()?;
        self.i += 1;
        Ok(c)
    }

    fn expect(&mut self, c: u8) -> Step<()> {
        self.ws();
        if self.bump()? == c {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    fn text(&self, span: Span) -> &'a [u8] {
        self.b.get(span.start..span.end).unwrap_or_default()
    }

    /// A value the scanner checked, as a [`Json`] for the tree path's functions.
    fn parse(&self, span: Span) -> Step<Json<'a>> {
        serde_json::from_slice(self.text(span)).map_err(|_| Bail)
    }

    /// A string, from its opening quote: (ASCII, no escapes).
    fn string(&mut self) -> Step<(bool, bool)> {
        if self.bump()? != b'"' {
            return Err(Bail);
        }
        let (mut ascii, mut plain) = (true, true);
        loop {
            let at = self.b.get(self.i..).and_then(first_to_escape).ok_or(Bail)?;
            self.i += at;
            match self.bump()? {
                b'"' => return Ok((ascii, plain)),
                b'\\' => {
                    plain = false;
                    match self.bump()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => match self.hex4()? {
                            0xD800..=0xDBFF => {
                                // A high surrogate must be followed by a low one.
                                if self.bump()? != b'\\' || self.bump()? != b'u' {
                                    return Err(Bail);
                                }
                                if !(0xDC00..=0xDFFF).contains(&self.hex4()?) {
                                    return Err(Bail);
                                }
                            }
                            0xDC00..=0xDFFF => return Err(Bail),
                            _ => {}
                        },
                        _ => return Err(Bail),
                    }
                }
                c if c < 0x20 => return Err(Bail),
                lead => {
                    let start = self.i - 1;
                    let end = start + utf8_width(lead);
                    let char_bytes = self.b.get(start..end).ok_or(Bail)?;
                    if end == self.i || std::str::from_utf8(char_bytes).is_err() {
                        return Err(Bail);
                    }
                    self.i = end;
                    ascii = false;
                }
            }
        }
    }

    fn hex4(&mut self) -> Step<u32> {
        let mut unit = 0;
        for _ in 0..4 {
            unit = unit * 16 + char::from(self.bump()?).to_digit(16).ok_or(Bail)?;
        }
        Ok(unit)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`; exponents (and numbers long enough to overflow) are left to
    /// the tree path, whose idea of a number's range differs from `JSON.parse`'s.
    fn number(&mut self) -> Step<()> {
        let start = self.i;
        if self.peek()? == b'-' {
            self.i += 1;
        }
        match self.bump()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return Err(Bail),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            let before = self.i;
            self.digits();
            if self.i == before {
                return Err(Bail);
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) || self.i - start > 300 {
            return Err(Bail);
        }
        Ok(())
    }

    fn digits(&mut self) {
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> Step<()> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Skips one value, checking it, without recursion.
    fn value(&mut self) -> Step<Span> {
        self.ws();
        let start = self.i;
        // Scalars first: most values are.
        match self.peek()? {
            b'"' => {
                let (ascii, plain) = self.string()?;
                return Ok(Span { start, end: self.i, ascii, plain });
            }
            b'n' => {
                self.literal(b"null")?;
                return Ok(Span { start, end: self.i, ascii: true, plain: true });
            }
            b'-' | b'0'..=b'9' => {
                self.number()?;
                return Ok(Span { start, end: self.i, ascii: true, plain: true });
            }
            _ => {}
        }
        let (mut ascii, mut plain) = (true, true);
        // Bit `d` of `objects`: the container at depth `d + 1` is an object.
        let mut objects: u64 = 0;
        let mut depth: u32 = 0;
        'value: loop {
            self.ws();
            match self.peek()? {
                open @ (b'{' | b'[') => {
                    self.i += 1;
                    self.ws();
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.i += 1;
                    } else {
                        if depth >= MAX_DEPTH {
                            return Err(Bail);
                        }
                        if open == b'{' {
                            objects |= 1 << depth;
                            depth += 1;
                            ascii &= self.string()?.0;
                            self.expect(b':')?;
                        } else {
                            objects &= !(1 << depth);
                            depth += 1;
                        }
                        continue 'value;
                    }
                }
                b'"' => {
                    let (a, p) = self.string()?;
                    ascii &= a;
                    plain &= p;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => self.number()?,
            }
            // After a value: a comma, or the end of containers.
            loop {
                if depth == 0 {
                    return Ok(Span { start, end: self.i, ascii, plain });
                }
                self.ws();
                let in_object = (objects >> (depth - 1)) & 1 == 1;
                match (self.bump()?, in_object) {
                    (b',', true) => {
                        self.ws();
                        ascii &= self.string()?.0;
                        self.expect(b':')?;
                        continue 'value;
                    }
                    (b',', false) => continue 'value,
                    (b'}', true) | (b']', false) => depth -= 1,
                    _ => return Err(Bail),
                }
            }
        }
    }

    /// An object key, from its opening quote: its span and its text (keys with escapes bail).
    fn key(&mut self) -> Step<(Span, &'a [u8])> {
        self.ws();
        let start = self.i;
        let (ascii, plain) = self.string()?;
        if !plain {
            return Err(Bail);
        }
        let span = Span { start, end: self.i, ascii, plain };
        let name = self.b.get(start + 1..self.i.saturating_sub(1)).unwrap_or_default();
        self.expect(b':')?;
        Ok((span, name))
    }

    /// The key at `span` (a plain one, seen before in the input) if the same bytes come next,
    /// colon included; else `None`, nothing consumed.
    fn expected_key(&mut self, span: Span) -> Option<Span> {
        self.ws();
        let key = self.b.get(span.start..span.end)?;
        let at = self.i;
        let rest = self.b.get(at..)?;
        if !rest.get(..key.len()).is_some_and(|next| same(next, key)) {
            return None;
        }
        self.i = at + key.len();
        if self.expect(b':').is_err() {
            self.i = at;
            return None;
        }
        Some(Span { start: at, end: at + key.len(), ..span })
    }

    /// After an object's entry: `true` for another one, `false` at the closing brace.
    fn next_entry(&mut self, close: u8) -> Step<bool> {
        self.ws();
        match self.bump()? {
            b',' => Ok(true),
            c if c == close => Ok(false),
            _ => Err(Bail),
        }
    }

    /// Opens an object or array: `true` if it has entries, `false` if it closed at once.
    fn open(&mut self, open: u8, close: u8) -> Step<bool> {
        self.ws();
        if self.bump()? != open {
            return Err(Bail);
        }
        self.ws();
        if self.peek()? == close {
            self.i += 1;
            return Ok(false);
        }
        Ok(true)
    }
}

/// What a batch entry is to us.
const OTHER: u8 = u8::MAX;
/// `request_counts`, after the indexes of [`FIELDS`].
const REQUEST_COUNTS: u8 = FIELDS.len() as u8;
/// The first of the top-level counts (PPInfra's `total`, `completed`, `failed`).
const TOP_COUNTS: u8 = REQUEST_COUNTS + 1;

#[derive(Debug, Clone, Copy)]
struct Entry {
    key: Span,
    value: Span,
    slot: u8,
}

struct Rewriter<'a, 'o> {
    scan: Scan<'a>,
    dialect: Dialect,
    out: &'o mut Vec<u8>,
    /// One batch's entries, reused from batch to batch.
    entries: Vec<Entry>,
    /// The previous batch's.
    previous: Vec<Entry>,
}

impl<'a> Rewriter<'a, '_> {
    fn page(&mut self) -> Step<PageSummary> {
        self.scan.ws();
        self.out.extend_from_slice(br#"{"object":"list","data":"#);
        let mut data = Data::default();
        let (mut has_more, mut first_sent, mut last_sent) = (None, None, None);
        let mut others: Vec<(Span, Span)> = Vec::new();
        match self.scan.peek()? {
            b'[' => self.data(&mut data)?,
            b'{' => {
                let mut more = self.scan.open(b'{', b'}')?;
                while more {
                    let (key, name) = self.scan.key()?;
                    match name {
                        b"data" => {
                            self.scan.ws();
                            match self.scan.peek()? {
                                b'[' if !data.seen => self.data(&mut data)?,
                                b'n' if !data.seen => {
                                    self.scan.literal(b"null")?;
                                    data.seen = true;
                                    self.out.extend_from_slice(b"[]");
                                }
                                _ => return Err(Bail),
                            }
                        }
                        // A 200 with an error in it is the tree path's to report.
                        b"error" => return Err(Bail),
                        b"has_more" => has_more = Some(self.scan.value()?),
                        b"first_id" => first_sent = Some(self.scan.value()?),
                        b"last_id" => last_sent = Some(self.scan.value()?),
                        b"object" => {
                            self.scan.value()?;
                        }
                        _ => others.push((key, self.scan.value()?)),
                    }
                    more = self.scan.next_entry(b'}')?;
                }
            }
            _ => return Err(Bail),
        }
        self.scan.ws();
        if self.scan.i != self.scan.b.len() {
            return Err(Bail);
        }
        if !data.seen {
            self.out.extend_from_slice(b"[]");
        }
        let has_more = page::has_more(has_more.map(|s| self.parse(s)).transpose()?);
        self.out.extend_from_slice(br#","first_id":"#);
        self.cursor(first_sent, data.first_id)?;
        self.out.extend_from_slice(br#","last_id":"#);
        let at = self.out.len();
        self.cursor(last_sent, data.last_id)?;
        let last_id = self.out.get(at..).and_then(|text| serde_json::from_slice::<Json>(text).ok());
        let last_id = last_id.as_ref().and_then(Json::as_str).map(str::to_owned);
        self.out.extend_from_slice(if has_more { br#","has_more":true"# } else { br#","has_more":false"# });
        for (key, value) in others {
            self.out.push(b',');
            self.raw(key);
            self.out.push(b':');
            self.raw(value);
        }
        self.out.push(b'}');
        Ok(PageSummary { has_more, len: data.len, last_id })
    }

    /// `first_id`/`last_id`: the one sent if it is a non-empty string, else the batch's id (its
    /// text in `out`), else `null`.
    fn cursor(&mut self, sent: Option<Span>, batch_id: Option<IdAt>) -> Step<()> {
        if let Some(span) = sent {
            if let Json::String(s) = self.parse(span)? {
                if !s.is_empty() {
                    Json::String(s).write_ascii(self.out);
                    return Ok(());
                }
            }
        }
        match batch_id {
            Some(IdAt::Input(span)) => self.raw(span),
            Some(IdAt::Output(start, end)) => self.out.extend_from_within(start..end),
            None => self.out.extend_from_slice(b"null"),
        }
        Ok(())
    }

    fn data(&mut self, data: &mut Data) -> Step<()> {
        data.seen = true;
        self.out.push(b'[');
        let mut more = self.scan.open(b'[', b']')?;
        while more {
            if data.len > 0 {
                self.out.push(b',');
            }
            let id = self.batch()?;
            data.first_id = data.first_id.or(Some(id));
            data.last_id = Some(id);
            data.len += 1;
            more = self.scan.next_entry(b']')?;
        }
        self.out.push(b']');
        Ok(())
    }

    /// One batch object; answers where its normalised `id` was written in `out`.
    fn batch(&mut self) -> Step<IdAt> {
        // The batches of a page mostly spell the same keys in the same order: the previous
        // batch's entries say what to expect, and an expected key is matched as bytes.
        std::mem::swap(&mut self.entries, &mut self.previous);
        self.entries.clear();
        let mut seen: u32 = 0;
        self.scan.ws();
        let start = self.scan.i;
        let mut ascii = true;
        let mut more = self.scan.open(b'{', b'}')?;
        while more {
            let expected = self.previous.get(self.entries.len()).copied();
            let (key, slot) = match expected.and_then(|e| self.scan.expected_key(e.key)) {
                Some(key) => (key, expected.map_or(OTHER, |e| e.slot)),
                None => {
                    let (key, name) = self.scan.key()?;
                    (key, self.slot(name))
                }
            };
            let value = self.scan.value()?;
            ascii &= key.ascii && value.ascii;
            mark(&mut seen, slot)?;
            self.entries.push(Entry { key, value, slot });
            more = self.scan.next_entry(b'}')?;
        }

        // `request_counts`, with the top-level counts it takes in (those are then left out); as
        // sent when it is the plain three counts and there is nothing to take in.
        // Empty (no allocation) unless there are counts to take in.
        let mut counts = Object::new();
        let sent = self.entries.iter().find(|e| e.slot == REQUEST_COUNTS).map(|e| e.value);
        let as_sent = sent.filter(|span| {
            !self.entries.iter().any(|e| top_count(e.slot).is_some()) && counts_as_sent(self.scan.text(*span))
        });
        let request_counts = if as_sent.is_some() {
            None
        } else {
            for entry in &self.entries {
                if entry.slot == REQUEST_COUNTS {
                    counts.insert("request_counts", self.parse(entry.value)?);
                } else if let Some(key) = top_count(entry.slot) {
                    counts.insert(key, self.parse(entry.value)?);
                }
            }
            batch::request_counts(&mut counts, self.dialect);
            Some(counts.remove("request_counts").ok_or(Bail)?)
        };

        // Most batches are already in the OpenAI shape: then the whole object is copied at once.
        if seen == ALL_BUT_TOP_COUNTS
            && request_counts.is_none()
            && self.entries.iter().all(|e| usize::from(e.slot) >= FIELDS.len() || self.as_sent(e.slot.into(), e.value))
        {
            let id = self.entries.iter().find(|e| e.slot == ID).map(|e| e.value).ok_or(Bail)?;
            self.raw(Span { start, end: self.scan.i, ascii, plain: false });
            return Ok(IdAt::Input(id));
        }

        let mut id = (0, 0);
        let mut first = true;
        let entries = std::mem::take(&mut self.entries);
        for entry in &entries {
            if top_count(entry.slot).is_some_and(|key| counts.get(key).is_none()) {
                continue;
            }
            comma(self.out, &mut first);
            self.raw(entry.key);
            self.out.push(b':');
            let at = self.out.len();
            match entry.slot {
                REQUEST_COUNTS => match &request_counts {
                    Some(counts) => counts.write_ascii(self.out),
                    None => self.raw(entry.value),
                },
                slot if usize::from(slot) < FIELDS.len() => self.field(usize::from(slot), Some(entry.value))?,
                _ => self.raw(entry.value),
            }
            if entry.slot == ID {
                id = (at, self.out.len());
            }
        }
        self.entries = entries;
        for (slot, name) in FIELDS.iter().enumerate().chain([(usize::from(REQUEST_COUNTS), &"request_counts")]) {
            if seen & (1 << slot) != 0 {
                continue;
            }
            comma(self.out, &mut first);
            write_key(name, self.out);
            let at = self.out.len();
            if slot == usize::from(REQUEST_COUNTS) {
                write_or_null(request_counts.as_ref(), self.out);
            } else {
                self.field(slot, None)?;
            }
            if slot == usize::from(ID) {
                id = (at, self.out.len());
            }
        }
        self.out.push(b'}');
        Ok(IdAt::Output(id.0, id.1))
    }

    /// Which modelled field a key is, if any: one look in [`SLOT_TABLE`] and one comparison.
    fn slot(&self, name: &[u8]) -> u8 {
        let print = fingerprint(name);
        let Some(&entry) = SLOT_TABLE.get(table_index(print)) else { return OTHER };
        let slot = entry.wrapping_sub(1);
        let found = SLOT_PRINTS.get(usize::from(slot)) == Some(&print)
            && SLOT_NAMES.get(usize::from(slot)).is_some_and(|field| same(field.as_bytes(), name));
        if !found || (slot >= TOP_COUNTS && !self.dialect.has_top_level_counts()) {
            return OTHER;
        }
        slot
    }

    /// Modelled field `FIELDS[i]`: copied when it is already what normalising would give,
    /// normalised by the tree path's own function when not.
    fn field(&mut self, i: usize, value: Option<Span>) -> Step<()> {
        match value {
            Some(span) if self.as_sent(i, span) => self.raw(span),
            Some(span) => batch::normalize_field(i, Some(self.parse(span)?)).write_ascii(self.out),
            None => batch::normalize_field(i, None).write_ascii(self.out),
        }
        Ok(())
    }

    /// Whether `span` is already what normalising modelled field `FIELDS[i]` would give.
    fn as_sent(&self, i: usize, span: Span) -> bool {
        let text = self.scan.text(span);
        let inner = || text.get(1..text.len().saturating_sub(1)).unwrap_or_default();
        match (FIELD_KINDS.get(i), text.first()) {
            (Some(Field::Object), _) => text == br#""batch""#,
            // `null` stays `null` for every other kind.
            (_, Some(b'n')) => true,
            (Some(Field::Text), _) => text_as_sent(text, span.plain),
            (Some(Field::Status), Some(b'"')) => span.plain && CANONICAL_STATUSES.iter().any(|s| same(s, inner())),
            (Some(Field::Timestamp), Some(b'1'..=b'9')) => {
                text.len() <= 11
                    && text.iter().all(u8::is_ascii_digit)
                    && text.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')) < SECONDS_LIMIT
            }
            (Some(Field::Metadata), Some(b'{')) => true,
            _ => false,
        }
    }

    fn parse(&self, span: Span) -> Step<Json<'a>> {
        self.scan.parse(span)
    }

    /// Input text copied as it was, in ASCII.
    fn raw(&mut self, span: Span) {
        raw(&self.scan, span, self.out);
    }
}

/// What was seen of `data` while writing it.
#[derive(Debug, Default)]
struct Data {
    seen: bool,
    len: usize,
    first_id: Option<IdAt>,
    last_id: Option<IdAt>,
}

/// Where a batch's normalised `id` text is: still in the input, or already written in `out`.
#[derive(Debug, Clone, Copy)]
enum IdAt {
    Input(Span),
    Output(usize, usize),
}

/// The slots of every modelled field and `request_counts`, but no top-level count.
const ALL_BUT_TOP_COUNTS: u32 = (1 << TOP_COUNTS) - 1;

/// The index of `id` in [`FIELDS`].
const ID: u8 = 12;

// The tables below are computed while compiling; an index out of bounds there fails the build.

/// Every name with a slot, in slot order: [`FIELDS`], `request_counts`, then [`COUNTS`].
#[allow(clippy::indexing_slicing)]
const SLOT_NAMES: [&str; FIELDS.len() + 4] = {
    let mut names = [""; FIELDS.len() + 4];
    let mut i = 0;
    while i < FIELDS.len() {
        names[i] = FIELDS[i];
        i += 1;
    }
    names[REQUEST_COUNTS as usize] = "request_counts";
    let mut c = 0;
    while c < COUNTS.len() {
        names[TOP_COUNTS as usize + c] = COUNTS[c];
        c += 1;
    }
    names
};

#[allow(clippy::indexing_slicing)]
const SLOT_PRINTS: [u32; SLOT_NAMES.len()] = {
    let mut prints = [0; SLOT_NAMES.len()];
    let mut i = 0;
    while i < SLOT_NAMES.len() {
        prints[i] = fingerprint(SLOT_NAMES[i].as_bytes());
        i += 1;
    }
    prints
};

/// Slot + 1 by [`table_index`] of each name's fingerprint (0: no name there).
#[allow(clippy::indexing_slicing)]
const SLOT_TABLE: [u8; 64] = {
    let mut table = [0; 64];
    let mut slot = 0;
    while slot < SLOT_NAMES.len() {
        let at = table_index(SLOT_PRINTS[slot]);
        assert!(table[at] == 0, "two names share a place in SLOT_TABLE: pick another multiplier");
        table[at] = slot as u8 + 1;
        slot += 1;
    }
    table
};

/// A multiplicative hash into 64 places that keeps the names apart (checked when compiling).
const fn table_index(print: u32) -> usize {
    (print.wrapping_mul(0xE198_8AD9) >> 26) as usize
}

/// Length, first, seventh and last byte of a key: equal for equal keys, and different for any two
/// names in [`SLOT_NAMES`] (a test checks).
const fn fingerprint(name: &[u8]) -> u32 {
    let (first, last) = match name {
        [] => return 0,
        [only] => (*only, *only),
        [first, .., last] => (*first, *last),
    };
    let seventh = match name {
        [_, _, _, _, _, _, seventh, ..] => *seventh,
        _ => last,
    };
    (name.len() as u32 & 0xFF) << 24 | (first as u32) << 16 | (seventh as u32) << 8 | last as u32
}

/// `{"total": n, "completed": n, "failed": n}` in any order, each a plain integer: what
/// normalising gives back unchanged. `text` is a value the scanner checked.
fn counts_as_sent(text: &[u8]) -> bool {
    let read = || -> Step<bool> {
        let mut scan = Scan { b: text, i: 0 };
        let mut seen = 0u8;
        let mut more = scan.open(b'{', b'}')?;
        while more {
            let (_, name) = scan.key()?;
            let i = COUNTS.iter().position(|c| c.as_bytes() == name).ok_or(Bail)?;
            let value = scan.value()?;
            let digits = scan.text(value);
            if seen & (1 << i) != 0 || digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_digit)
            {
                return Err(Bail);
            }
            seen |= 1 << i;
            more = scan.next_entry(b'}')?;
        }
        Ok(seen == 0b111)
    };
    read().unwrap_or(false)
}

/// `a == b` for the short slices keys are, eight bytes at a time: in wasm, `==` on slices calls a
/// byte-by-byte `memcmp`.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a8, mut b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let word = |chunk: &[u8]| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        u64::from_le_bytes(bytes)
    };
    (&mut a8).zip(&mut b8).all(|(x, y)| word(x) == word(y)) && a8.remainder() == b8.remainder()
}

/// The top-level count a slot stands for, if it is one.
fn top_count(slot: u8) -> Option<&'static str> {
    if slot == OTHER {
        return None;
    }
    COUNTS.get(usize::from(slot.checked_sub(TOP_COUNTS)?)).copied()
}

/// Statuses that normalise to themselves.
const CANONICAL_STATUSES: [&[u8]; 8] =
    [b"validating", b"in_progress", b"finalizing", b"completed", b"failed", b"expired", b"cancelling", b"cancelled"];

// ---- result lines --------------------------------------------------------------------------------

/// The fast path for result lines (see [`super::JsonArray`]): a line is normalised as
/// [`super::parse_line_json`] would, by rewriting its text. `response.body` — nearly all of a line
/// — is copied as it came; the `error` inside it is read in the same pass. Lines it does not take
/// are left to the tree path, one by one.
#[derive(Debug, Default)]
pub struct LineRewriter {
    top: Vec<Entry>,
    response: Vec<Entry>,
}

// Slots of a result line's keys, and of its `response`'s.
const CUSTOM_ID: u8 = 0;
const LINE_ID: u8 = 1;
const LINE: u8 = 2;
const RESPONSE: u8 = 3;
const SOURCE: u8 = 4;
const ERROR: u8 = 5;
const BODY: u8 = 0;
const REQUEST_ID: u8 = 1;
const STATUS_CODE: u8 = 2;

/// The parts of an object `response` (its entries are in [`LineRewriter::response`]).
#[derive(Debug, Clone, Copy)]
struct Response {
    seen: u32,
    /// The last `error` in `body`, when `body` is an object.
    body_error: Option<Span>,
}

impl LineRewriter {
    /// Writes line `number` normalised into `out` (ASCII JSON) and answers `true`; or answers
    /// `false`, `out` as it was, for [`super::parse_line_json`] to do.
    pub fn rewrite(&mut self, line: &[u8], number: u64, source: Source, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        let done = self.line(Scan { b: line, i: 0 }, number, source, out).is_ok();
        if !done {
            out.truncate(start);
        }
        done
    }

    fn line(&mut self, mut scan: Scan<'_>, number: u64, source: Source, out: &mut Vec<u8>) -> Step<()> {
        self.top.clear();
        let mut seen = 0u32;
        let mut response = None;
        let mut more = scan.open(b'{', b'}')?;
        while more {
            let (key, name) = scan.key()?;
            let slot = match name {
                b"custom_id" => CUSTOM_ID,
                b"id" => LINE_ID,
                b"line" => LINE,
                b"response" => RESPONSE,
                b"source" => SOURCE,
                b"error" => ERROR,
                _ => OTHER,
            };
            let value = if slot == RESPONSE {
                let (span, parts) = self.scan_response(&mut scan)?;
                response = parts;
                span
            } else {
                scan.value()?
            };
            mark(&mut seen, slot)?;
            self.top.push(Entry { key, value, slot });
            more = scan.next_entry(b'}')?;
        }
        scan.ws();
        if scan.i != scan.b.len() {
            return Err(Bail);
        }

        // `error`: the line's own, or else the one in `response.body`.
        let own = match self.top.iter().find(|e| e.slot == ERROR) {
            Some(e) if scan.text(e.value) != b"null" => error_object(Some(scan.parse(e.value)?)),
            _ => None,
        };
        let error = match (own, response.and_then(|r| r.body_error)) {
            (Some(own), _) => Some(own),
            (None, Some(span)) => error_object(Some(scan.parse(span)?)),
            (None, None) => None,
        };

        let mut first = true;
        for entry in &self.top {
            comma(out, &mut first);
            raw(&scan, entry.key, out);
            out.push(b':');
            match entry.slot {
                CUSTOM_ID | LINE_ID => text_field(&scan, entry.value, out)?,
                LINE => write_u64(number, out),
                SOURCE => write_source(source, out),
                RESPONSE => match response {
                    Some(parts) => self.write_response(&scan, parts, out)?,
                    None => out.extend_from_slice(b"null"),
                },
                ERROR => write_or_null(error.as_ref(), out),
                _ => raw(&scan, entry.value, out),
            }
        }
        for (slot, name) in [
            (CUSTOM_ID, "custom_id"),
            (LINE_ID, "id"),
            (RESPONSE, "response"),
            (ERROR, "error"),
            (LINE, "line"),
            (SOURCE, "source"),
        ] {
            if seen & (1 << slot) != 0 {
                continue;
            }
            comma(out, &mut first);
            write_key(name, out);
            match slot {
                LINE => write_u64(number, out),
                SOURCE => write_source(source, out),
                ERROR => write_or_null(error.as_ref(), out),
                _ => out.extend_from_slice(b"null"),
            }
        }
        out.push(b'}');
        Ok(())
    }

    /// The `response` value: its span, and its parts when it is an object (`body` read key by
    /// key for its `error`, in the same pass).
    fn scan_response(&mut self, scan: &mut Scan<'_>) -> Step<(Span, Option<Response>)> {
        scan.ws();
        if scan.peek()? != b'{' {
            return Ok((scan.value()?, None));
        }
        self.response.clear();
        let start = scan.i;
        let mut parts = Response { seen: 0, body_error: None };
        let mut more = scan.open(b'{', b'}')?;
        while more {
            let (key, name) = scan.key()?;
            let slot = match name {
                b"body" => BODY,
                b"request_id" => REQUEST_ID,
                b"status_code" => STATUS_CODE,
                _ => OTHER,
            };
            let value = if slot == BODY {
                scan.ws();
                if scan.peek()? == b'{' {
                    let (span, error) = body(scan)?;
                    parts.body_error = error;
                    span
                } else {
                    scan.value()?
                }
            } else {
                scan.value()?
            };
            mark(&mut parts.seen, slot)?;
            self.response.push(Entry { key, value, slot });
            more = scan.next_entry(b'}')?;
        }
        Ok((Span { start, end: scan.i, ascii: true, plain: false }, Some(parts)))
    }

    fn write_response(&self, scan: &Scan<'_>, parts: Response, out: &mut Vec<u8>) -> Step<()> {
        let mut first = true;
        for entry in &self.response {
            comma(out, &mut first);
            raw(scan, entry.key, out);
            out.push(b':');
            match entry.slot {
                REQUEST_ID => text_field(scan, entry.value, out)?,
                STATUS_CODE => {
                    let text = scan.text(entry.value);
                    if text.len() <= 15 && text.iter().all(u8::is_ascii_digit) {
                        raw(scan, entry.value, out);
                    } else {
                        status_code(Some(scan.parse(entry.value)?)).write_ascii(out);
                    }
                }
                _ => raw(scan, entry.value, out),
            }
        }
        for (slot, name) in [(BODY, "body"), (REQUEST_ID, "request_id"), (STATUS_CODE, "status_code")] {
            if parts.seen & (1 << slot) == 0 {
                comma(out, &mut first);
                write_key(name, out);
                out.extend_from_slice(b"null");
            }
        }
        out.push(b'}');
        Ok(())
    }
}

/// An object `body`, from its `{`: its span and the value of its last `error` key.
fn body(scan: &mut Scan<'_>) -> Step<(Span, Option<Span>)> {
    let start = scan.i;
    let mut error = None;
    let mut ascii = true;
    let mut more = scan.open(b'{', b'}')?;
    while more {
        let (key, name) = scan.key()?;
        let value = scan.value()?;
        ascii &= key.ascii && value.ascii;
        if name == b"error" {
            error = Some(value);
        }
        more = scan.next_entry(b'}')?;
    }
    Ok((Span { start, end: scan.i, ascii, plain: false }, error))
}

/// An id: as sent when [`text_as_sent`]; else as `string_or_null` makes it.
fn text_field(scan: &Scan<'_>, span: Span, out: &mut Vec<u8>) -> Step<()> {
    if text_as_sent(scan.text(span), span.plain) {
        raw(scan, span, out);
    } else {
        string_or_null(Some(scan.parse(span)?)).write_ascii(out);
    }
    Ok(())
}

/// What `string_or_null` gives back unchanged: `null`, or a non-empty string without escapes.
fn text_as_sent(text: &[u8], plain: bool) -> bool {
    text == b"null" || (text.first() == Some(&b'"') && plain && text.len() > 2)
}

/// Marks a modelled key's slot as seen; the same key twice is the tree path's to resolve.
fn mark(seen: &mut u32, slot: u8) -> Step<()> {
    if slot == OTHER {
        return Ok(());
    }
    if *seen & (1 << slot) != 0 {
        return Err(Bail);
    }
    *seen |= 1 << slot;
    Ok(())
}

fn raw(scan: &Scan<'_>, span: Span, out: &mut Vec<u8>) {
    let text = scan.text(span);
    if span.ascii {
        out.extend_from_slice(text);
    } else {
        write_raw_ascii(text, out);
    }
}

fn comma(out: &mut Vec<u8>, first: &mut bool) {
    out.push(if *first { b'{' } else { b',' });
    *first = false;
}

/// `"name":` for a name that needs no escapes.
fn write_key(name: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

fn write_or_null(value: Option<&Json<'_>>, out: &mut Vec<u8>) {
    match value {
        Some(value) => value.write_ascii(out),
        None => out.extend_from_slice(b"null"),
    }
}

fn write_u64(n: u64, out: &mut Vec<u8>) {
    Json::from(n).write_ascii(out);
}

fn write_source(source: Source, out: &mut Vec<u8>) {
    out.push(b'"');
    out.extend_from_slice(source.as_str().as_bytes());
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{normalize_page_json, read_json_borrowed, Head};
    use serde_json::{json, Value};

    /// The tree path's page and summary for a 200 answer, or `None` where it fails.
    fn tree(body: &[u8], dialect: Dialect) -> Option<(Value, PageSummary)> {
        let head = Head { status: 200, request_id: None };
        let page = normalize_page_json(read_json_borrowed(&head, body).ok()?, dialect).ok()?;
        let summary = PageSummary::of(&page);
        Some((page.into(), summary))
    }

    /// The fast path's answer, checked against the tree path's whenever it gives one.
    fn fast(body: &[u8], dialect: Dialect) -> Option<Value> {
        let mut out = b"kept".to_vec();
        let Some(summary) = rewrite_page(body, dialect, &mut out) else {
            assert_eq!(out, b"kept", "a bail leaves `out` as it was");
            return None;
        };
        let text = out.strip_prefix(b"kept").unwrap();
        assert!(text.is_ascii(), "{}", String::from_utf8_lossy(text));
        let value: Value = serde_json::from_slice(text).unwrap();
        let (want, want_summary) = tree(body, dialect).expect("the fast path took what the tree path refuses");
        assert_eq!(value, want, "{dialect:?} {}", String::from_utf8_lossy(body));
        assert_eq!(summary, want_summary);
        Some(value)
    }

    fn openai_batch(i: u32) -> Value {
        json!({
            "id": format!("batch_{i}"), "object": "batch", "endpoint": "/v1/chat/completions",
            "model": "gpt-4o-mini", "errors": null, "input_file_id": "file-in", "completion_window": "24h",
            "status": (["completed", "in_progress", "failed"][i as usize % 3]),
            "output_file_id": if i % 3 == 0 { json!("file-out") } else { Value::Null },
            "error_file_id": null, "created_at": 1_714_000_000 - i, "in_progress_at": 1_714_000_005,
            "expires_at": 1_714_086_400, "finalizing_at": null, "completed_at": null, "failed_at": null,
            "expired_at": null, "cancelling_at": null, "cancelled_at": null,
            "request_counts": {"total": 10, "completed": 9, "failed": 1},
            "usage": {"input_tokens": 4120, "output_tokens_details": {"reasoning_tokens": 0}},
            "metadata": {"zeta": "résumé ✓ 👋", "alpha": "x\"y\\z\n"},
        })
    }

    #[test]
    fn an_openai_page_is_taken_and_equals_the_tree_path() {
        let page = json!({"object": "list", "data": (0..30).map(openai_batch).collect::<Vec<_>>(),
                          "first_id": "batch_0", "last_id": "batch_29", "has_more": true});
        for text in [serde_json::to_vec(&page).unwrap(), serde_json::to_vec_pretty(&page).unwrap()] {
            for dialect in [Dialect::Auto, Dialect::OpenAi, Dialect::PpInfra, Dialect::Token360] {
                assert!(fast(&text, dialect).is_some(), "{dialect:?}");
            }
        }
    }

    #[test]
    fn provider_dialects_are_taken_and_equal_the_tree_path() {
        let ppinfra = include_bytes!("../../tests/fixtures/ppinfra_list_page.json");
        let want: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/ppinfra_list_page.expected.json")).unwrap();
        for dialect in [Dialect::Auto, Dialect::PpInfra] {
            assert_eq!(fast(ppinfra, dialect).as_ref(), Some(&want));
        }
        let token360 = include_str!("../../tests/fixtures/token360_retrieve.json");
        let page = format!(r#"{{"data":[{token360},{token360}],"has_more":"TRUE","first_id":""}}"#);
        let value = fast(page.as_bytes(), Dialect::Auto).unwrap();
        assert_eq!(value["has_more"], true);
    }

    #[test]
    fn odd_but_valid_pages() {
        for (body, check) in [
            (&br#"[{"id":"a"},{"id":"b","total":"3","request_counts":{"total":1}}]"#[..], json!({"last_id": "b", "has_more": false})),
            (br#" {"data":null,"total":0} "#, json!({"data": [], "first_id": null, "total": 0})),
            (br#"{"has_more":1,"data":[{"id":7,"status":"RUNNING","created_at":"2024-03-09T16:00:00Z"}]}"#, json!({"first_id": "7", "has_more": true})),
            (br#"{"data":[{"id":"","metadata":"{\"a\":1}","errors":"boom","created_at":1714000000123,"x":[]}],"has_more":false}"#, json!({"first_id": null})),
            (br#"{"data":[{"id":"a","errors":{"object":"list","data":[{"code":"c","msg":"m","line":"3"}]}}]}"#, json!({})),
            (br#"{"data":[{"id":"a\u00e9\ud83d\udc4b","status":"completed","status_note":"\u00e9"}],"object":"page"}"#, json!({"object": "list"})),
            (br#"{"data":[],"has_more":false,"extra":{"deep":[[[{"a":-0.5}]]],"x":"\/"},"extra":2}"#, json!({"extra": 2})),
        ] {
            let value = fast(body, Dialect::Auto).unwrap_or_else(|| panic!("not taken: {}", String::from_utf8_lossy(body)));
            for (key, want) in check.as_object().unwrap() {
                assert_eq!(&value[key], want, "{key} in {}", String::from_utf8_lossy(body));
            }
        }
    }

    #[test]
    fn keys_keep_the_providers_order() {
        let mut out = Vec::new();
        rewrite_page(br#"{"data":[{"zeta":1,"id":"a","metadata":{"b":1,"a":2}}]}"#, Dialect::Auto, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let at = |needle: &str| text.find(needle).unwrap();
        assert!(at(r#""zeta""#) < at(r#""id""#) && at(r#""id""#) < at(r#""status""#), "{text}");
        assert!(text.contains(r#"{"b":1,"a":2}"#), "{text}");
    }

    #[test]
    fn the_unusual_is_left_to_the_tree_path() {
        for body in [
            &b""[..],
            b"   ",
            b"null",
            b"{",
            br#"{"data":[{"id":"a"}]"#,
            br#"{"data":[{"id":"a"}]}x"#,
            br#"{"data":[{"id":"a"},]}"#,
            br#"{"data":[1]}"#,
            br#"{"data":{}}"#,
            br#"{"data":[],"data":[]}"#,
            br#"{"error":{"message":"expired"}}"#,
            br#"{"data":[{"id":"a","id":"b"}]}"#,
            br#"{"data":[{"i\u0064":"a"}]}"#,
            br#"{"data":[{"id":"a","n":1e5}]}"#,
            br#"{"data":[{"id":"a","n":01}]}"#,
            br#"{"data":[{"id":"a","n":1.}]}"#,
            br#"{"data":[{"id":"a","n":-}]}"#,
            br#"{"data":[{"id":"\ud800"}]}"#,
            br#"{"data":[{"id":"\udc00\ud800"}]}"#,
            br#"{"data":[{"id":"\x"}]}"#,
            b"{\"data\":[{\"id\":\"a\tb\"}]}",
            b"{\"data\":[{\"id\":\"\xff\"}]}",
            b"{\"data\":[{\"id\":\"\xe2\x82\"}]}",
            b"{\"data\":[{\"id\":\"\xed\xa0\x80\"}]}",
            br#"{"data":[{"id":"a","x":[1,2}]}]}"#,
            br#"{"data":[{"id":"a","x":{"a" 1}}]}"#,
            br#"{"data":[{"id":"a","x":tru}]}"#,
        ] {
            let mut out = Vec::new();
            assert!(rewrite_page(body, Dialect::Auto, &mut out).is_none(), "{}", String::from_utf8_lossy(body));
            assert!(out.is_empty());
        }
        let deep = format!(r#"{{"data":[{{"x":{}{}}}]}}"#, "[".repeat(70), "]".repeat(70));
        assert!(rewrite_page(deep.as_bytes(), Dialect::Auto, &mut Vec::new()).is_none());
        let fine = format!(r#"{{"data":[{{"x":{}{}}}]}}"#, "[".repeat(60), "]".repeat(60));
        assert!(fast(fine.as_bytes(), Dialect::Auto).is_some());
    }

    #[test]
    fn every_prefix_and_corruption_agrees_or_bails() {
        let page = json!({"data": [openai_batch(1), openai_batch(2)], "has_more": true, "note": "ü"});
        let text = serde_json::to_vec(&page).unwrap();
        for end in 0..text.len() {
            fast(&text[..end], Dialect::Auto);
        }
        for at in 0..text.len() {
            for byte in [b'"', b'\\', b'{', b']', b',', b'0', b'e', 0xC3, b' '] {
                let mut bad = text.clone();
                bad[at] = byte;
                fast(&bad, Dialect::Auto);
            }
        }
    }

    /// A file decoded through [`super::super::JsonArray`] (the fast path first), checked against
    /// the tree path's `Vec<Value>`; and how many of its lines the fast path took.
    fn lines_agree(text: &str) -> usize {
        use crate::core::{JsonArray, JsonlDecoder};
        let mut tree: Vec<Value> = Vec::new();
        let mut decoder = JsonlDecoder::new(Source::Error);
        decoder.push(text.as_bytes(), &mut tree);
        decoder.finish(&mut tree);
        let mut array = JsonArray::with_capacity(0);
        let mut decoder = JsonlDecoder::new(Source::Error);
        decoder.push(text.as_bytes(), &mut array);
        decoder.finish(&mut array);
        let out = array.into_text();
        assert!(out.is_ascii());
        let fast: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(fast, Value::Array(tree), "{text}");
        let mut rewriter = LineRewriter::default();
        text.lines().filter(|line| rewriter.rewrite(line.as_bytes(), 1, Source::Error, &mut Vec::new())).count()
    }

    #[test]
    fn result_lines_agree_with_the_tree_path() {
        let ok = r#"{"id":"batch_req_1","custom_id":"r1","response":{"status_code":200,"request_id":"req_1","body":{"id":"c","choices":[{"message":{"content":"héllo 👋 \u00e9"}}]}},"error":null}"#;
        let refused = r#"{"id":"batch_req_2","custom_id":"r2","response":{"status_code":400,"request_id":"req_2","body":{"error":{"message":"too long","type":"invalid_request_error","param":"messages","code":null}}},"error":null}"#;
        let taken = [
            ok,
            refused,
            r#"{"custom_id":"r3","response":null,"error":{"code":"batch_expired","message":"expired"}}"#,
            r#"{"custom_id":"r4","error":"boom","line":99,"source":"x","extra":[1,{"a":"ü"}]}"#,
            r#"{"custom_id":7,"id":"","response":{"status_code":"201","body":[1],"request_id":5,"x":1}}"#,
            r#"{"response":{"body":{"error":"flat","error":{"message":"last wins"}}},"error":{}}"#,
            r#"{"response":{"status_code":2.0e2},"error":null}"#,
            r#"  {}  "#,
        ];
        let text = taken.join("\n");
        assert_eq!(lines_agree(&text), taken.len() - 1, "all but the exponent are taken");
        let left = [
            "not json",
            "[1,2]",
            r#"{"id":"a","id":"b"}"#,
            r#"{"response":{"body":1,"body":2}}"#,
            r#"{"custom_id":"a"} x"#,
        ];
        for line in left {
            assert!(!LineRewriter::default().rewrite(line.as_bytes(), 1, Source::Output, &mut Vec::new()), "{line}");
        }
        lines_agree(&[&left[..], &taken[..]].concat().join("\r\n"));
        assert!(!LineRewriter::default().rewrite(b"{\"custom_id\":\"\xff\"}", 1, Source::Output, &mut Vec::new()));
    }

    #[test]
    fn same_compares_bytes() {
        let text = b"completion_window_and_more";
        for i in 0..text.len() {
            for j in i..text.len() {
                for k in 0..text.len() {
                    let (a, b) = (&text[i..j], &text[k..(k + j - i).min(text.len())]);
                    assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
                }
            }
        }
        assert!(!same(b"cancelled_at", b"cancelled_as"));
    }

    #[test]
    fn slots_are_found_by_fingerprint() {
        assert_eq!(FIELDS[usize::from(ID)], "id");
        assert_eq!(SLOT_NAMES[..FIELDS.len()], FIELDS);
        assert_eq!(SLOT_NAMES[usize::from(REQUEST_COUNTS)], "request_counts");
        assert_eq!(SLOT_NAMES[usize::from(TOP_COUNTS)..], COUNTS);
        for status in CANONICAL_STATUSES {
            let status = std::str::from_utf8(status).unwrap();
            assert_eq!(crate::core::status::normalize(status), Some(status), "normalises to itself");
        }
        let mut prints = SLOT_PRINTS.to_vec();
        prints.sort_unstable();
        prints.dedup();
        assert_eq!(prints.len(), SLOT_NAMES.len(), "two names share a fingerprint");
        let rewriter = |dialect| {
            Rewriter {
                scan: Scan { b: b"", i: 0 },
                dialect,
                out: &mut Vec::new(),
                entries: Vec::new(),
                previous: Vec::new(),
            }
            .slot(b"total")
        };
        assert_eq!(rewriter(Dialect::PpInfra), TOP_COUNTS);
        assert_eq!(rewriter(Dialect::OpenAi), OTHER);
    }
}
