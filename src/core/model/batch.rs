//! The normalised `Batch`: its fields (one [`Slot`] each, with its name and kind in one place)
//! and the values the providers' answers give them. Every provider's batch is written by
//! [`Record::write`](super::record::Record::write).

use super::counts::{write_counts, Counts};
use super::record::{Record, Schema, Value};
use super::{status, time};
use crate::core::json::{Json, Kind, Out};

/// A modelled field of a normalised batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// `id`: a string.
    Id,
    /// `object`: always `"batch"`.
    Object,
    /// `endpoint`.
    Endpoint,
    /// `errors`: `null` or the OpenAI list.
    Errors,
    /// `input_file_id`.
    InputFileId,
    /// `completion_window`.
    CompletionWindow,
    /// `status`: one of the eight, or kept as sent.
    Status,
    /// `output_file_id`.
    OutputFileId,
    /// `error_file_id`.
    ErrorFileId,
    /// `created_at`.
    CreatedAt,
    /// `in_progress_at`.
    InProgressAt,
    /// `expires_at`.
    ExpiresAt,
    /// `finalizing_at`.
    FinalizingAt,
    /// `completed_at`.
    CompletedAt,
    /// `failed_at`.
    FailedAt,
    /// `expired_at`.
    ExpiredAt,
    /// `cancelling_at`.
    CancellingAt,
    /// `cancelled_at`.
    CancelledAt,
    /// `request_counts`: always `{ total, completed, failed }`.
    RequestCounts,
    /// `metadata`: an object or `null`.
    Metadata,
    /// `model`: a string or `null`.
    Model,
    /// `usage`: an object or `null`.
    Usage,
}

/// How many slots there are.
pub const SLOTS: usize = 22;

impl Slot {
    /// The timestamp that says when a batch reached `status`, for the four ends of its life.
    pub fn ended_at(status: &str) -> Option<Slot> {
        match status {
            "completed" => Some(Slot::CompletedAt),
            "failed" => Some(Slot::FailedAt),
            "expired" => Some(Slot::ExpiredAt),
            "cancelled" => Some(Slot::CancelledAt),
            _ => None,
        }
    }

    /// Every slot, in the order missing ones are appended (OpenAI's order of the fields).
    pub const ALL: [Slot; SLOTS] = [
        Slot::Id,
        Slot::Object,
        Slot::Endpoint,
        Slot::Errors,
        Slot::InputFileId,
        Slot::CompletionWindow,
        Slot::Status,
        Slot::OutputFileId,
        Slot::ErrorFileId,
        Slot::CreatedAt,
        Slot::InProgressAt,
        Slot::ExpiresAt,
        Slot::FinalizingAt,
        Slot::CompletedAt,
        Slot::FailedAt,
        Slot::ExpiredAt,
        Slot::CancellingAt,
        Slot::CancelledAt,
        Slot::RequestCounts,
        Slot::Metadata,
        Slot::Model,
        Slot::Usage,
    ];

    /// The timestamp slots, in the order of a batch's life.
    pub const TIMES: [Slot; 9] = [
        Slot::CreatedAt,
        Slot::InProgressAt,
        Slot::ExpiresAt,
        Slot::FinalizingAt,
        Slot::CompletedAt,
        Slot::FailedAt,
        Slot::ExpiredAt,
        Slot::CancellingAt,
        Slot::CancelledAt,
    ];

    /// The field's name on the wire.
    pub const fn name(self) -> &'static str {
        match self {
            Slot::Id => "id",
            Slot::Object => "object",
            Slot::Endpoint => "endpoint",
            Slot::Errors => "errors",
            Slot::InputFileId => "input_file_id",
            Slot::CompletionWindow => "completion_window",
            Slot::Status => "status",
            Slot::OutputFileId => "output_file_id",
            Slot::ErrorFileId => "error_file_id",
            Slot::CreatedAt => "created_at",
            Slot::InProgressAt => "in_progress_at",
            Slot::ExpiresAt => "expires_at",
            Slot::FinalizingAt => "finalizing_at",
            Slot::CompletedAt => "completed_at",
            Slot::FailedAt => "failed_at",
            Slot::ExpiredAt => "expired_at",
            Slot::CancellingAt => "cancelling_at",
            Slot::CancelledAt => "cancelled_at",
            Slot::RequestCounts => "request_counts",
            Slot::Metadata => "metadata",
            Slot::Model => "model",
            Slot::Usage => "usage",
        }
    }

    /// The slot a key names, if any.
    pub fn of(name: &[u8]) -> Option<Slot> {
        Some(match name {
            b"id" => Slot::Id,
            b"object" => Slot::Object,
            b"endpoint" => Slot::Endpoint,
            b"errors" => Slot::Errors,
            b"input_file_id" => Slot::InputFileId,
            b"completion_window" => Slot::CompletionWindow,
            b"status" => Slot::Status,
            b"output_file_id" => Slot::OutputFileId,
            b"error_file_id" => Slot::ErrorFileId,
            b"created_at" => Slot::CreatedAt,
            b"in_progress_at" => Slot::InProgressAt,
            b"expires_at" => Slot::ExpiresAt,
            b"finalizing_at" => Slot::FinalizingAt,
            b"completed_at" => Slot::CompletedAt,
            b"failed_at" => Slot::FailedAt,
            b"expired_at" => Slot::ExpiredAt,
            b"cancelling_at" => Slot::CancellingAt,
            b"cancelled_at" => Slot::CancelledAt,
            b"request_counts" => Slot::RequestCounts,
            b"metadata" => Slot::Metadata,
            b"model" => Slot::Model,
            b"usage" => Slot::Usage,
            _ => return None,
        })
    }
}

impl Schema for Slot {
    const COUNT: usize = SLOTS;
    const ALL: &'static [Slot] = &Slot::ALL;

    fn name(self) -> &'static str {
        Slot::name(self)
    }

    fn index(self) -> usize {
        self as usize
    }

    fn missing(self, out: &mut Out) {
        match self {
            Slot::Object => out.string("batch"),
            Slot::RequestCounts => write_counts(&Counts::default(), out),
            _ => out.null(),
        }
    }
}

/// A batch being normalised.
pub type Batch<'a> = Record<'a, Slot, SLOTS>;

/// A timestamp: integer unix seconds as sent when that is what it is, else converted (from
/// seconds with a fraction, milliseconds, numeric strings, RFC 3339), else `null`. `0` is no time
/// (DashScope sends it for "not yet"), so `null` too.
pub fn seconds_value(value: Json<'_>) -> Value<'_> {
    if value.text() == b"0" {
        return Value::Null;
    }
    if time::is_plain_seconds(value.text()) {
        return Value::Raw(value);
    }
    let seconds = match value.kind() {
        Kind::Number => value.as_number().and_then(|n| time::number_seconds(n.text())),
        Kind::String => value.as_str().and_then(|s| time::text_seconds(&s)),
        _ => None,
    };
    match (seconds, value.kind()) {
        (Some(s), _) => Value::Int(s),
        (None, Kind::Null) => Value::Raw(value),
        (None, _) => Value::Null,
    }
}

/// A status: a known spelling becomes its OpenAI name (as sent when it already is one); an unknown
/// string is kept as sent. Anything but a string is no status at all (`None`).
pub fn status_value<'a>(value: Json<'a>, extra: fn(&str) -> Option<&'static str>) -> Option<Value<'a>> {
    if value.kind() != Kind::String {
        return None;
    }
    let text = value.as_str().unwrap_or_default();
    Some(match extra(&text).or_else(|| status::normalize(&text)) {
        Some(known) if value.is_plain() && value.plain_bytes() == Some(known.as_bytes()) => Value::Raw(value),
        Some(known) => Value::Name(known),
        None => Value::Raw(value),
    })
}

/// The modelled string of `value` when it is the object's `object` field: `"batch"` as sent, or ours.
pub fn object_name<'a>(value: Json<'a>, name: &'static str) -> Value<'a> {
    if value.plain_bytes() == Some(name.as_bytes()) {
        Value::Raw(value)
    } else {
        Value::Name(name)
    }
}
