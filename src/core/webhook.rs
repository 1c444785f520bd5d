//! Webhooks as OpenAI sends them (Standard Webhooks): `webhook-id`, `webhook-timestamp` and
//! `webhook-signature` (space-separated `v1,<base64>` entries, any may match) over
//! `{id}.{timestamp}.{body}`, HMAC-SHA256 keyed with the base64-decoded part of a `whsec_` secret
//! (any other secret: its UTF-8 bytes). SHA-256, HMAC and base64 are written here: together they
//! are smaller than the crates, and they are checked against published vectors.
//!
//! Anything wrong is an `invalid_signature` error that never holds the secret.

use super::error::{Error, ErrorKind, Result};
use super::json::{strip_bom, Json, Kind};
use super::text::Quoted;

/// Timestamps further than this from now, either way, are refused when the caller names none.
pub const DEFAULT_TOLERANCE_S: u64 = 300;
/// More signatures than this in one header are not looked at (a header is a few, for rotation).
const MAX_SIGNATURES: usize = 64;

/// The three headers, as received.
#[derive(Debug, Clone, Copy)]
pub struct Headers<'a> {
    /// `webhook-id`.
    pub id: Option<&'a str>,
    /// `webhook-timestamp`: unix seconds.
    pub timestamp: Option<&'a str>,
    /// `webhook-signature`.
    pub signature: Option<&'a str>,
}

fn refused(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidSignature, message)
}

/// Checks a delivery: the headers, the timestamp (within `tolerance_s` of `now_s`; `None` skips the
/// check), a signature that matches, and a body that is a JSON object with a string `type`.
/// Answers the body's JSON text (the event, as sent).
pub fn verify<'a>(
    body: &'a [u8],
    headers: Headers<'_>,
    secret: &str,
    tolerance_s: Option<u64>,
    now_s: i64,
) -> Result<&'a [u8]> {
    let present = |value: Option<&str>, name: &str| match value.map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => Err(refused(format!("the `{name}` header is missing"))),
    };
    let id = present(headers.id, "webhook-id")?;
    let timestamp = present(headers.timestamp, "webhook-timestamp")?;
    let signatures = present(headers.signature, "webhook-signature")?;
    let key = key_of(secret)?;
    let sent_at: i64 = timestamp
        .parse()
        .map_err(|_| refused(format!("the `webhook-timestamp` header is not unix seconds: {}", Quoted(&timestamp))))?;
    if let Some(tolerance) = tolerance_s {
        let tolerance = i64::try_from(tolerance).unwrap_or(i64::MAX);
        if now_s.saturating_sub(sent_at) > tolerance {
            return Err(refused(format!(
                "the webhook was signed {} s ago, more than the {tolerance} s allowed",
                now_s.saturating_sub(sent_at)
            )));
        }
        if sent_at.saturating_sub(now_s) > tolerance {
            return Err(refused(format!(
                "the webhook's timestamp is {} s in the future, more than the {tolerance} s allowed",
                sent_at.saturating_sub(now_s)
            )));
        }
    }
    let mut mac = Hmac::new(&key);
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = mac.finish();
    // Every candidate is compared in full, so the time taken says nothing about which matched.
    let mut matched = false;
    for entry in signatures.split(' ').filter(|e| !e.is_empty()).take(MAX_SIGNATURES) {
        let Some(encoded) = entry.strip_prefix("v1,") else { continue };
        if let Some(candidate) = base64_decode(encoded) {
            matched |= candidate.len() == expected.len() && equal(&candidate, &expected);
        }
    }
    if !matched {
        return Err(refused("no signature in `webhook-signature` matches the body and the secret"));
    }
    let text = strip_bom(body);
    let event =
        Json::parse(text).map_err(|e| refused(format!("the webhook body is not JSON ({})", e.describe(text))))?;
    let typed = event.kind() == Kind::Object && event.get("type").is_some_and(|t| t.kind() == Kind::String);
    if !typed {
        return Err(refused("the webhook body is not an event (an object with a string `type`)"));
    }
    Ok(text)
}

/// The HMAC key of a secret: `whsec_` + base64, else the secret's own bytes.
fn key_of(secret: &str) -> Result<Vec<u8>> {
    let secret = secret.trim();
    if secret.is_empty() {
        return Err(Error::invalid_argument("the webhook secret is empty"));
    }
    match secret.strip_prefix("whsec_") {
        Some(encoded) => base64_decode(encoded)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| Error::invalid_argument("the webhook secret starts with whsec_ but the rest is not base64")),
        None => Ok(secret.as_bytes().to_vec()),
    }
}

/// Whether two byte strings of the same length are equal, looking at every byte.
fn equal(a: &[u8], b: &[u8]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    diff == 0 && a.len() == b.len()
}

/// Standard base64 (with or without padding; URL-safe letters too), or `None`.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // Leftover bits must be padding zeros, and a lone sixth is no byte at all.
    (bits < 6 && buffer == 0).then_some(out)
}

/// SHA-256 (FIPS 180-4).
#[derive(Clone)]
struct Sha256 {
    state: [u32; 8],
    block: [u8; 64],
    filled: usize,
    length: u64,
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
];

impl Sha256 {
    fn new() -> Self {
        Sha256 {
            state: [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19],
            block: [0; 64],
            filled: 0,
            length: 0,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.length = self.length.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let take = (64 - self.filled).min(data.len());
            let (now, rest) = data.split_at(take);
            if let Some(space) = self.block.get_mut(self.filled..self.filled + take) {
                space.copy_from_slice(now);
            }
            self.filled += take;
            data = rest;
            if self.filled == 64 {
                let block = self.block;
                self.compress(&block);
                self.filled = 0;
            }
        }
    }

    fn compress(&mut self, block: &[u8; 64]) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            if let (Some(slot), [a, b, c, d]) = (w.get_mut(i), word) {
                *slot = u32::from_be_bytes([*a, *b, *c, *d]);
            }
        }
        for i in 16..64 {
            let at = |j: usize| w.get(j).copied().unwrap_or(0);
            let (w15, w2, w16, w7) = (at(i - 15), at(i - 2), at(i - 16), at(i - 7));
            let s0 = w15.rotate_right(7) ^ w15.rotate_right(18) ^ (w15 >> 3);
            let s1 = w2.rotate_right(17) ^ w2.rotate_right(19) ^ (w2 >> 10);
            if let Some(slot) = w.get_mut(i) {
                *slot = w16.wrapping_add(s0).wrapping_add(w7).wrapping_add(s1);
            }
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = self.state;
        for (k, w) in K.iter().zip(w.iter()) {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = h.wrapping_add(s1).wrapping_add(ch).wrapping_add(*k).wrapping_add(*w);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            h = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (s, v) in self.state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *s = s.wrapping_add(v);
        }
    }

    fn finish(mut self) -> [u8; 32] {
        let bits = self.length.wrapping_mul(8);
        self.update(&[0x80]);
        while self.filled != 56 {
            self.update(&[0]);
        }
        self.update(&bits.to_be_bytes());
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

/// HMAC-SHA256 (RFC 2104).
struct Hmac {
    inner: Sha256,
    outer: Sha256,
}

impl Hmac {
    fn new(key: &[u8]) -> Self {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            let mut hash = Sha256::new();
            hash.update(key);
            if let Some(start) = block.get_mut(..32) {
                start.copy_from_slice(&hash.finish());
            }
        } else if let Some(start) = block.get_mut(..key.len()) {
            start.copy_from_slice(key);
        }
        let (mut inner, mut outer) = (Sha256::new(), Sha256::new());
        inner.update(&block.map(|b| b ^ 0x36));
        outer.update(&block.map(|b| b ^ 0x5c));
        Hmac { inner, outer }
    }

    fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    fn finish(self) -> [u8; 32] {
        let mut outer = self.outer;
        outer.update(&self.inner.finish());
        outer.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn sha(data: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(data);
        hex(&h.finish())
    }

    #[test]
    fn sha256_and_hmac_match_the_published_vectors() {
        assert_eq!(sha(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(
            sha(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        let million = vec![b'a'; 1_000_000];
        assert_eq!(sha(&million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        // RFC 4231 cases 1, 2 and 6 (a key longer than a block).
        let cases: [(&[u8], &[u8], &str); 3] = [
            (&[0x0b; 20], b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
        ];
        for (key, data, want) in cases {
            let mut mac = Hmac::new(key);
            mac.update(data);
            assert_eq!(hex(&mac.finish()), want);
        }
    }

    #[test]
    fn base64_in_every_spelling() {
        assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("aGVsbG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(base64_decode("").as_deref(), Some(&[][..]));
        for bad in ["a", "aGVsbG8*", "aGVsbG9", "a b"] {
            assert_eq!(base64_decode(bad), None, "{bad}");
        }
    }

    const OPENAI_SECRET: &str = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=";
    const OPENAI_BODY: &str = r#"{"id": "evt_685c059ae3a481909bdc86819b066fb6", "object": "event", "created_at": 1750861210, "type": "response.completed", "data": {"id": "resp_123"}}"#;
    const OPENAI_SIGNATURE: &str = "v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY=";

    fn headers<'a>(signature: &'a str, timestamp: &'a str) -> Headers<'a> {
        Headers {
            id: Some("wh_685c059ae39c8190af8c71ed1022a24d"),
            timestamp: Some(timestamp),
            signature: Some(signature),
        }
    }

    #[test]
    fn openais_own_test_vector_verifies_and_every_change_is_refused() {
        let ok = |signature: &str, ts: &str, body: &str, secret: &str, now: i64| {
            verify(body.as_bytes(), headers(signature, ts), secret, Some(300), now).map(<[u8]>::to_vec)
        };
        let now = 1_750_861_210;
        assert_eq!(
            ok(OPENAI_SIGNATURE, "1750861210", OPENAI_BODY, OPENAI_SECRET, now).unwrap(),
            OPENAI_BODY.as_bytes()
        );
        let rotated = format!("v1,invalid_signature v1a,abc {OPENAI_SIGNATURE}");
        assert!(ok(&rotated, "1750861210", OPENAI_BODY, OPENAI_SECRET, now).is_ok(), "any signature may match");
        let tampered = OPENAI_BODY.replace("resp_123", "resp_124");
        let cases = [
            ok(OPENAI_SIGNATURE, "1750861210", &tampered, OPENAI_SECRET, now),
            ok(OPENAI_SIGNATURE, "1750861211", OPENAI_BODY, OPENAI_SECRET, now),
            ok(OPENAI_SIGNATURE, "1750861210", OPENAI_BODY, "whsec_AAAA", now),
            ok(OPENAI_SIGNATURE, "1750861210", OPENAI_BODY, OPENAI_SECRET, now + 400),
            ok(OPENAI_SIGNATURE, "1750861210", OPENAI_BODY, OPENAI_SECRET, now - 400),
            ok("v1a,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY=", "1750861210", OPENAI_BODY, OPENAI_SECRET, now),
            ok(OPENAI_SIGNATURE, "soon", OPENAI_BODY, OPENAI_SECRET, now),
            ok("", "1750861210", OPENAI_BODY, OPENAI_SECRET, now),
        ];
        for (i, case) in cases.into_iter().enumerate() {
            let err = case.unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidSignature, "case {i}: {}", err.message);
            assert!(!err.message.contains("RdvaYFYU"), "the secret never shows: {}", err.message);
        }
        let skip =
            verify(OPENAI_BODY.as_bytes(), headers(OPENAI_SIGNATURE, "1750861210"), OPENAI_SECRET, None, now + 10_000);
        assert!(skip.is_ok(), "no tolerance: no time check");
    }

    #[test]
    fn the_standard_webhooks_vector_and_raw_secrets() {
        let body = r#"{"email":"test@example.com","username":"test_user"}"#;
        let h = Headers {
            id: Some("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"),
            timestamp: Some("1649367553"),
            signature: Some("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="),
        };
        let err = verify(body.as_bytes(), h, "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", None, 0).unwrap_err();
        assert!(err.message.contains("not an event"), "signature fine, but no `type`: {}", err.message);
        // A secret without whsec_ is its own bytes.
        let mut mac = Hmac::new(b"plain-secret");
        mac.update(b"id1.100.{\"type\":\"batch.completed\",\"data\":{\"id\":\"b\"}}");
        let signature = format!("v1,{}", encode(&mac.finish()));
        let h = Headers { id: Some("id1"), timestamp: Some("100"), signature: Some(&signature) };
        let body = br#"{"type":"batch.completed","data":{"id":"b"}}"#;
        assert!(verify(body, h, "plain-secret", Some(300), 150).is_ok());
        assert_eq!(verify(body, h, "", Some(300), 150).unwrap_err().kind, ErrorKind::InvalidArgument);
    }

    fn encode(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        while out.len() % 4 != 0 {
            out.push('=');
        }
        out
    }
}
