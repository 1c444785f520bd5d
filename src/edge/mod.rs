//! The only code that touches JS: `fetch`, timers, abort signals, the clock, and conversions
//! between JS values and the core's. It uses the core; it never uses the API layer.

pub mod clock;
pub mod convert;
pub mod fetch;
pub mod js;
pub mod timer;
