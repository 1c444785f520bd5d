//! The `FileObject` of an upload: `{ id, object: "file", bytes, created_at, expires_at, filename,
//! purpose, status }` plus every other field as sent.

use super::record::{text_value, Record, Role, Schema, Value};
use crate::core::error::{Error, Result};
use crate::core::json::{Json, Kind, Out, Scanner};

/// A modelled field of a file object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileSlot {
    /// `id`: a string.
    Id,
    /// `object`: always `"file"`.
    Object,
    /// `bytes`: the size.
    Bytes,
    /// `created_at`: unix seconds.
    CreatedAt,
    /// `expires_at`: unix seconds.
    ExpiresAt,
    /// `filename`.
    Filename,
    /// `purpose`.
    Purpose,
    /// `status`.
    Status,
}

impl Schema for FileSlot {
    const COUNT: usize = 8;
    const ALL: &'static [FileSlot] = &[
        FileSlot::Id,
        FileSlot::Object,
        FileSlot::Bytes,
        FileSlot::CreatedAt,
        FileSlot::ExpiresAt,
        FileSlot::Filename,
        FileSlot::Purpose,
        FileSlot::Status,
    ];

    fn name(self) -> &'static str {
        match self {
            FileSlot::Id => "id",
            FileSlot::Object => "object",
            FileSlot::Bytes => "bytes",
            FileSlot::CreatedAt => "created_at",
            FileSlot::ExpiresAt => "expires_at",
            FileSlot::Filename => "filename",
            FileSlot::Purpose => "purpose",
            FileSlot::Status => "status",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn missing(self, out: &mut Out) {
        match self {
            FileSlot::Object => out.string("file"),
            _ => out.null(),
        }
    }
}

impl FileSlot {
    /// The slot a key of the OpenAI file object names.
    pub fn of(name: &[u8]) -> Option<FileSlot> {
        FileSlot::ALL.iter().copied().find(|slot| slot.name().as_bytes() == name)
    }
}

/// A file object being normalised.
pub type FileRecord<'a> = Record<'a, FileSlot, 8>;

/// The value of a file field from what was sent.
pub fn file_value(slot: FileSlot, value: Json<'_>) -> Value<'_> {
    match slot {
        FileSlot::Object => super::batch::object_name(value, "file"),
        FileSlot::Bytes => match value.kind() {
            Kind::Number
                if value.as_number().and_then(|n| n.as_u64()).is_some()
                    && value.text().iter().all(u8::is_ascii_digit) =>
            {
                Value::Raw(value)
            }
            _ => super::counts::count(value).map_or(Value::Null, |n| Value::Int(n as i64)),
        },
        FileSlot::CreatedAt | FileSlot::ExpiresAt => super::batch::seconds_value(value),
        FileSlot::Id | FileSlot::Filename | FileSlot::Purpose | FileSlot::Status => text_value(value),
    }
}

/// Walks an OpenAI-shaped file object at the cursor and writes it normalised into `out`; a file
/// without an id is an `invalid_response` (nothing can be done with it).
pub fn write_openai_file(scan: &mut Scanner<'_>, out: &mut Out) -> Result<()> {
    let mut record = FileRecord::default();
    record.walk(scan, "a file", |name| FileSlot::of(name).map_or(Role::Pass, Role::Slot))?;
    for &slot in FileSlot::ALL {
        let value = record.sent(slot).map_or(Value::Missing, |v| file_value(slot, v));
        record.set(slot, value);
    }
    let has_id = match record.value(FileSlot::Id) {
        Value::Raw(v) => v.kind() == Kind::String,
        Value::Str(_) => true,
        _ => false,
    };
    if !has_id {
        return Err(Error::invalid_response("the file object has no id"));
    }
    record.write(out);
    Ok(())
}
