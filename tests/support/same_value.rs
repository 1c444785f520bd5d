//! Shared by the property tests and the `rewrite` fuzz target, which both check that the fast
//! paths and the tree path give the same value.

use serde_json::Value;

/// Equal, but for floats one ULP or so apart: serde_json (without `float_roundtrip`) may read a
/// long decimal one ULP off, so a float written out and read back again can move. `JSON.parse`,
/// which reads the text in JS, rounds correctly.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            x == y || (x - y).abs() <= x.abs().max(y.abs()) * 1e-15
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
