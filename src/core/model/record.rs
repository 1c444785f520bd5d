//! [`Record`]: an object of the provider's being normalised onto one of our schemas (a batch, a
//! file object), and the one writer they all go through.
//!
//! A provider module reads its object into a record: each entry keeps its place and is passed
//! through, dropped (folded into a modelled field, like PPInfra's top-level counts), or is the
//! source of a modelled field. The writer then writes the entries in the provider's order with the
//! modelled values in place (a key sent twice: the last value, as `JSON.parse` keeps it, at the
//! first one's place) and the modelled fields the provider did not send at the end, in the
//! schema's order. When every modelled value is already what it was sent as, the object is copied
//! whole.

use std::borrow::Cow;

use super::counts::{write_counts, Counts};
use super::errors::write_errors;
use crate::core::error::{Error, Result};
use crate::core::json::{Json, Kind, Object, Out, Scanner};

/// The modelled fields of one of our objects.
pub trait Schema: Copy + Eq + std::fmt::Debug + 'static {
    /// How many fields.
    const COUNT: usize;
    /// Every field, in the order missing ones are appended.
    const ALL: &'static [Self];
    /// The field's name on the wire.
    fn name(self) -> &'static str;
    /// Its place in [`Schema::ALL`].
    fn index(self) -> usize;
    /// What a field no value was given for is written as (`null`, unless the schema says more).
    fn missing(self, out: &mut Out) {
        let _ = self;
        out.null();
    }
}

/// The value a modelled field gets.
#[derive(Debug, Clone, Default)]
pub enum Value<'a> {
    /// Nothing was sent: the field's default (see [`Schema::missing`]).
    #[default]
    Missing,
    /// Already what normalising gives: copied as sent.
    Raw(Json<'a>),
    /// `null`.
    Null,
    /// A string we made (a number id as text, a time as text).
    Str(Cow<'a, str>),
    /// One of our own names (`"batch"`, a status).
    Name(&'static str),
    /// A whole number: unix seconds, a size in bytes.
    Int(i64),
    /// `request_counts`.
    Counts(Counts<'a>),
    /// `errors`, from whatever shape was sent.
    Errors(Json<'a>),
    /// JSON text we checked that does not live in the answer (metadata sent as a string).
    Text(String),
}

impl Value<'_> {
    fn is_raw(&self) -> bool {
        matches!(self, Value::Raw(_))
    }

    /// Writes the value.
    #[inline(never)]
    pub fn write<S: Schema>(&self, slot: S, out: &mut Out) {
        match self {
            Value::Missing => slot.missing(out),
            Value::Raw(json) => out.raw(*json),
            Value::Null => out.null(),
            Value::Str(s) => out.string(s),
            Value::Name(s) => out.string(s),
            Value::Int(n) => out.i64(*n),
            Value::Counts(counts) => write_counts(counts, out),
            Value::Errors(json) => write_errors(*json, out),
            Value::Text(text) => match Json::parse(text.as_bytes()) {
                Ok(json) => out.raw(json),
                Err(_) => out.null(),
            },
        }
    }
}

/// What becomes of one entry of the provider's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role<S> {
    /// Passed through as sent.
    Pass,
    /// Left out: folded into a modelled field.
    Drop,
    /// The source of a modelled field: its value is written here if this is the field's first key.
    Slot(S),
}

/// One entry of the provider's object.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a, S> {
    /// The key, as sent (a string value).
    pub key: Json<'a>,
    /// The value, as sent.
    pub value: Json<'a>,
    /// What becomes of it.
    pub role: Role<S>,
}

const NONE: u32 = u32::MAX;

/// An object being normalised onto schema `S` (with `N` = `S::COUNT` fields).
#[derive(Debug)]
pub struct Record<'a, S: Schema, const N: usize> {
    source: Option<Json<'a>>,
    entries: Vec<Entry<'a, S>>,
    values: [Value<'a>; N],
    /// Index of the entry where each field's value is written (`NONE`: appended at the end).
    at: [u32; N],
    /// An entry was dropped or a modelled key came twice: the object cannot be copied whole.
    reshaped: bool,
}

impl<'a, S: Schema, const N: usize> Default for Record<'a, S, N> {
    fn default() -> Self {
        Record {
            source: None,
            entries: Vec::new(),
            values: std::array::from_fn(|_| Value::Missing),
            at: [NONE; N],
            reshaped: false,
        }
    }
}

impl<'a, S: Schema, const N: usize> Record<'a, S, N> {
    /// Starts over for the next object, keeping the allocations.
    pub fn reset(&mut self) {
        self.source = None;
        self.entries.clear();
        self.values = std::array::from_fn(|_| Value::Missing);
        self.at = [NONE; N];
        self.reshaped = false;
    }

    /// The provider's whole object, once walked (copied whole when nothing in it needs a change).
    pub fn set_source(&mut self, source: Json<'a>) {
        self.source = Some(source);
    }

    /// Walks the object at the cursor, adding each entry with the role `role` gives its key (the
    /// value skipped and checked, not read).
    #[inline(never)]
    pub fn walk(&mut self, scan: &mut Scanner<'a>, what: &str, role: impl Fn(&[u8]) -> Role<S>) -> Result<()> {
        self.reset();
        match scan.next_byte() {
            Some(b'{') => {}
            Some(_) => {
                let value = scan.value()?;
                return Err(Error::invalid_response(format!(
                    "expected {what} object, got {}",
                    value.kind().described()
                )));
            }
            None => return Err(Error::invalid_response(format!("expected {what} object, got nothing"))),
        }
        let source = scan.object(|scan, key| {
            let value = scan.value()?;
            let r = role(&key.key_bytes());
            self.push(key, value, r);
            Ok(value)
        })?;
        self.set_source(source);
        Ok(())
    }

    /// Adds an entry of the provider's object. A modelled key's first entry is where its value goes.
    #[inline(never)]
    pub fn push(&mut self, key: Json<'a>, value: Json<'a>, role: Role<S>) {
        match role {
            Role::Slot(slot) => {
                let index = self.entries.len() as u32;
                match self.at.get_mut(slot.index()) {
                    Some(at) if *at == NONE => *at = index,
                    _ => self.reshaped = true,
                }
            }
            Role::Drop => self.reshaped = true,
            Role::Pass => {}
        }
        self.entries.push(Entry { key, value, role });
    }

    /// Leaves out every passed-through entry `drop` picks (fields folded into a modelled one).
    pub fn drop_where(&mut self, drop: impl Fn(&Entry<'a, S>) -> bool) {
        for entry in &mut self.entries {
            if entry.role == Role::Pass && drop(entry) {
                entry.role = Role::Drop;
                self.reshaped = true;
            }
        }
    }

    /// Sets a modelled field's value.
    pub fn set(&mut self, slot: S, value: Value<'a>) {
        if let Some(v) = self.values.get_mut(slot.index()) {
            *v = value;
        }
    }

    /// A modelled field's value.
    pub fn value(&self, slot: S) -> &Value<'a> {
        self.values.get(slot.index()).unwrap_or(&Value::Missing)
    }

    /// The entries pushed so far.
    pub fn entries(&self) -> &[Entry<'a, S>] {
        &self.entries
    }

    /// The last value the provider sent under `slot`'s key (what `JSON.parse` keeps), if any.
    pub fn sent(&self, slot: S) -> Option<Json<'a>> {
        self.entries.iter().rev().find(|e| e.role == Role::Slot(slot)).map(|e| e.value)
    }

    fn at(&self, slot: S) -> u32 {
        self.at.get(slot.index()).copied().unwrap_or(NONE)
    }

    /// Writes the normalised object.
    #[inline(never)]
    pub fn write(&self, out: &mut Out) {
        let whole = !self.reshaped && self.at.iter().all(|&at| at != NONE) && self.values.iter().all(Value::is_raw);
        if let (true, Some(source)) = (whole, self.source) {
            out.raw(source);
            return;
        }
        let mut object = Object::begin(out);
        for (i, entry) in self.entries.iter().enumerate() {
            match entry.role {
                Role::Pass => {
                    object.raw_key(out, entry.key);
                    out.raw(entry.value);
                }
                Role::Drop => {}
                Role::Slot(slot) => {
                    if self.at(slot) == i as u32 {
                        object.key(out, slot.name());
                        self.value(slot).write(slot, out);
                    }
                }
            }
        }
        for &slot in S::ALL {
            if self.at(slot) == NONE {
                object.key(out, slot.name());
                self.value(slot).write(slot, out);
            }
        }
        object.end(out);
    }
}

/// Ids and file ids: a non-empty string as sent, a number as its digits; anything else `null`.
pub fn text_value(value: Json<'_>) -> Value<'_> {
    match value.kind() {
        Kind::String if value.text().len() > 2 => Value::Raw(value),
        Kind::Number => Value::Str(Cow::Borrowed(value.as_number().map_or("0", |n| n.text()))),
        Kind::Null => Value::Raw(value),
        _ => Value::Null,
    }
}

/// `metadata`: an object as sent, a JSON object sent as a string unwrapped, anything else `null`.
pub fn metadata_value(value: Json<'_>) -> Value<'_> {
    match value.kind() {
        Kind::Object | Kind::Null => Value::Raw(value),
        Kind::String => match value.as_str() {
            Some(text) => match Json::parse(text.as_bytes()) {
                Ok(inner) if inner.kind() == Kind::Object => Value::Text(text.into_owned()),
                _ => Value::Null,
            },
            None => Value::Null,
        },
        _ => Value::Null,
    }
}

/// A typed object (`usage`): an object as sent, anything else `null`.
pub fn object_value(value: Json<'_>) -> Value<'_> {
    match value.kind() {
        Kind::Object | Kind::Null => Value::Raw(value),
        _ => Value::Null,
    }
}
