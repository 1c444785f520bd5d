//! The only code that touches JS: `fetch`, timers, abort signals, and conversion to plain objects.

pub mod convert;
pub mod fetch;
pub mod timer;
