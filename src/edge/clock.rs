//! The clock and the randomness the core's policies take as parameters.

/// Unix time in milliseconds.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Uniform in [0, 1).
pub fn random() -> f64 {
    js_sys::Math::random()
}
