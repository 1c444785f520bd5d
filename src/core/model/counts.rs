//! `request_counts`: always `{ total, completed, failed }`, whatever and wherever a provider sent.

use std::borrow::Cow;

use crate::core::json::{Json, Kind, Object, Out};

/// The three counts, and the provider's own counts object when there is one: its other keys
/// (Anthropic's `processing`, `succeeded`, …) pass through.
#[derive(Debug, Clone, Default)]
pub struct Counts<'a> {
    /// `total`.
    pub total: u64,
    /// `completed`.
    pub completed: u64,
    /// `failed`.
    pub failed: u64,
    /// The object the counts were read from, written with the three in place.
    pub source: Option<Json<'a>>,
}

/// The three names, in the order a missing one is appended.
pub const COUNT_NAMES: [&str; 3] = ["total", "completed", "failed"];

/// A count: a non-negative whole number, or a string of one.
pub fn count(value: Json<'_>) -> Option<u64> {
    match value.kind() {
        Kind::Number => value.as_number()?.as_u64(),
        Kind::String => value.as_str()?.trim().parse::<u64>().ok(),
        _ => None,
    }
}

/// Which of the three a key is.
fn which(name: &[u8]) -> Option<usize> {
    COUNT_NAMES.iter().position(|n| n.as_bytes() == name)
}

impl<'a> Counts<'a> {
    /// The counts an object holds under the three names (the last of each, as `JSON.parse` keeps
    /// it); anything else counts zero.
    pub fn read(object: Option<Json<'a>>) -> [Option<u64>; 3] {
        let mut found = [None; 3];
        for (key, value) in object.iter().flat_map(Json::entries) {
            if let Some(slot) = which(&key.key_bytes()).and_then(|i| found.get_mut(i)) {
                *slot = count(value);
            }
        }
        found
    }

    /// Counts from `(total, completed, failed)`, each `None` when not sent.
    pub fn from_parts(parts: [Option<u64>; 3], source: Option<Json<'a>>) -> Self {
        let [total, completed, failed] = parts.map(|n| n.unwrap_or(0));
        let source = source.filter(|s| s.kind() == Kind::Object);
        Counts { total, completed, failed, source }
    }

    fn get(&self, i: usize) -> u64 {
        match i {
            0 => self.total,
            1 => self.completed,
            _ => self.failed,
        }
    }
}

/// Whether `value` is already what normalising gives: an object of exactly the three names once
/// each, each a plain whole number.
pub fn counts_as_sent(value: Json<'_>) -> bool {
    if value.kind() != Kind::Object {
        return false;
    }
    let mut seen = 0u8;
    for (key, n) in value.entries() {
        let Some(i) = key.plain_bytes().and_then(which) else { return false };
        let digits = n.text();
        let plain = n.kind() == Kind::Number && digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit);
        if seen & (1 << i) != 0 || !plain {
            return false;
        }
        seen |= 1 << i;
    }
    seen == 0b111
}

/// Writes the counts object.
pub fn write_counts(counts: &Counts<'_>, out: &mut Out) {
    let mut object = Object::begin(out);
    let mut written = 0u8;
    if let Some(source) = counts.source {
        for (key, value) in source.entries() {
            let name: Cow<'_, [u8]> = key.key_bytes();
            match which(&name) {
                Some(i) if written & (1 << i) == 0 => {
                    written |= 1 << i;
                    object.raw_key(out, key);
                    out.u64(counts.get(i));
                }
                Some(_) => {}
                None => {
                    object.raw_key(out, key);
                    out.raw(value);
                }
            }
        }
    }
    for (i, name) in COUNT_NAMES.iter().enumerate() {
        if written & (1 << i) == 0 {
            object.key(out, name);
            out.u64(counts.get(i));
        }
    }
    object.end(out);
}
