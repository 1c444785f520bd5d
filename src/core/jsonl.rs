//! Results files: JSONL decoded incrementally from byte chunks, each line normalised into a
//! `BatchResult`. Memory holds one partial line (at most [`MAX_LINE_BYTES`]), whatever the file's size.
//!
//! ```
//! use llm_batches::core::jsonl::{JsonlDecoder, Results};
//! use llm_batches::core::model::{result::openai_line, Source};
//! let mut decoder = JsonlDecoder::new(Source::Output);
//! let mut out = Results::new(openai_line);
//! decoder.push(b"{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{}}}\n{\"custom", &mut out);
//! decoder.push(b"_id\":\"b\"}", &mut out);
//! decoder.finish(&mut out);
//! assert_eq!(out.len(), 2);
//! let text = String::from_utf8(out.take().0).unwrap();
//! // A line with neither a response nor an error gets one, so `error: null` means a response body.
//! assert!(text.contains(r#""custom_id":"b","id":null,"response":null,"error":{"code":"invalid_response""#));
//! ```

use crate::core::json::{strip_bom, Json, Out, Scanned, Scanner};
use crate::core::model::result::{syntax_problem, write_invalid, LineAt, ResultLine, Source};

/// A line longer than this is reported as an `invalid_line` and skipped without being held, so
/// memory stays bounded even for a file without newlines. (Results with images in them run to a
/// few MB a line; 64 MiB leaves room for ten times that.)
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// A partial line's buffer larger than this is given back once the line is done, rather than kept
/// for the next (which is most likely small).
const KEEP_BYTES: usize = 1 << 20;

/// Where a [`JsonlDecoder`] puts each line it completes.
pub trait Sink {
    /// One non-blank line of the file (CR and a leading BOM taken off).
    fn line(&mut self, line: &[u8], at: LineAt);
    /// A line longer than the decoder's limit, skipped.
    fn too_long(&mut self, at: LineAt, limit: usize);
}

/// Splits a byte stream into JSONL lines.
#[derive(Debug)]
pub struct JsonlDecoder {
    source: Source,
    partial: Vec<u8>,
    /// Lines completed so far (the 1-based number of the last one).
    line: u64,
    /// The current line overflowed the limit; drop bytes until its end.
    skipping: bool,
    limit: usize,
}

impl JsonlDecoder {
    /// A decoder for one file.
    pub fn new(source: Source) -> Self {
        Self::with_limit(source, MAX_LINE_BYTES)
    }

    /// A decoder whose lines may be at most `limit` bytes.
    pub fn with_limit(source: Source, limit: usize) -> Self {
        JsonlDecoder { source, partial: Vec::new(), line: 0, skipping: false, limit }
    }

    fn at(&self) -> LineAt {
        LineAt { number: self.line, source: self.source }
    }

    /// Feeds a chunk; hands every line it completes to `sink`. Lines may split anywhere, inside a
    /// UTF-8 character too: only complete lines are decoded.
    pub fn push(&mut self, mut chunk: &[u8], sink: &mut impl Sink) {
        while let Some(newline) = chunk.iter().position(|&b| b == b'\n') {
            let (head, rest) = chunk.split_at(newline);
            chunk = rest.get(1..).unwrap_or_default();
            if self.partial.is_empty() && !self.skipping {
                self.line += 1;
                self.emit(head, sink);
            } else {
                self.append(head, sink);
                self.line += 1;
                if !std::mem::take(&mut self.skipping) {
                    let line = std::mem::take(&mut self.partial);
                    self.emit(&line, sink);
                    self.recycle(line);
                }
            }
        }
        self.append(chunk, sink);
    }

    /// Ends the file: a last line without a newline is still a line.
    pub fn finish(&mut self, sink: &mut impl Sink) {
        if !self.partial.is_empty() && !self.skipping {
            self.line += 1;
            let line = std::mem::take(&mut self.partial);
            self.emit(&line, sink);
        }
        self.partial = Vec::new();
        self.skipping = false;
    }

    /// Keeps a small line's buffer for the next line; gives a large one back.
    fn recycle(&mut self, mut line: Vec<u8>) {
        if line.capacity() <= KEEP_BYTES {
            line.clear();
            self.partial = line;
        }
    }

    fn append(&mut self, bytes: &[u8], sink: &mut impl Sink) {
        if self.skipping || bytes.is_empty() {
            return;
        }
        let len = self.partial.len().saturating_add(bytes.len());
        if len > self.limit {
            self.partial = Vec::new();
            self.skipping = true;
            sink.too_long(LineAt { number: self.line + 1, source: self.source }, self.limit);
            return;
        }
        // Grow by what is needed plus a quarter, not by doubling: a 60 MB line must not take 128 MB.
        if len > self.partial.capacity() {
            let want = (len + len / 4).min(self.limit);
            self.partial.reserve_exact(want - self.partial.len());
        }
        self.partial.extend_from_slice(bytes);
    }

    fn emit(&self, raw: &[u8], sink: &mut impl Sink) {
        let mut line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if self.line == 1 {
            line = strip_bom(line);
        }
        // Blank means JSON's own white space only; any other byte makes a line worth reporting.
        if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
            return;
        }
        sink.line(line, self.at());
    }
}

/// How a provider's result line (an object, at the cursor) becomes a [`ResultLine`], in one walk.
pub type LineReader = for<'a> fn(&mut Scanner<'a>) -> Scanned<ResultLine<'a>>;

/// Results written straight into the text of one JSON array, ready for one `JSON.parse`: a whole
/// chunk of lines crosses into JS at once.
#[derive(Debug)]
pub struct Results {
    out: Out,
    len: usize,
    read: LineReader,
}

impl Results {
    /// An empty array of results read by `read`.
    pub fn new(read: LineReader) -> Self {
        Results { out: Out::default(), len: 0, read }
    }

    /// With room for `bytes` of text.
    pub fn with_capacity(read: LineReader, bytes: usize) -> Self {
        Results { out: Out::with_capacity(bytes), len: 0, read }
    }

    fn next_item(&mut self) {
        self.out.byte(if self.len == 0 { b'[' } else { b',' });
        self.len += 1;
    }

    /// How many results it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The size of its text so far, in bytes.
    pub fn bytes(&self) -> usize {
        self.out.as_bytes().len()
    }

    /// The array's JSON text and whether it is all ASCII; the array is empty again afterwards.
    pub fn take(&mut self) -> (Vec<u8>, bool) {
        if self.len == 0 {
            self.out.byte(b'[');
        }
        self.out.byte(b']');
        self.len = 0;
        std::mem::take(&mut self.out).into_parts()
    }
}

impl Sink for Results {
    fn line(&mut self, line: &[u8], at: LineAt) {
        self.next_item();
        // About what the line becomes; a line far larger than the rest gets just that much room.
        self.out.reserve(line.len() + 256);
        let mut scan = Scanner::new(line);
        if scan.next_byte() == Some(b'{') {
            match (self.read)(&mut scan).and_then(|read| scan.at_end().map(|()| read)) {
                Ok(read) => read.write(at, &mut self.out),
                Err(e) => write_invalid(line, &syntax_problem(at, e, line), at, &mut self.out),
            }
            return;
        }
        match Json::parse(line) {
            Ok(json) => {
                let problem = format!("line {} is JSON but not an object ({})", at.number, json.kind().described());
                write_invalid(line, &problem, at, &mut self.out);
            }
            Err(e) => write_invalid(line, &syntax_problem(at, e, line), at, &mut self.out),
        }
    }

    fn too_long(&mut self, at: LineAt, limit: usize) {
        self.next_item();
        let problem = format!("line {} is longer than {limit} bytes; skipped", at.number);
        write_invalid(b"", &problem, at, &mut self.out);
    }
}
