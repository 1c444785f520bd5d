//! Decimal text to the nearest double, correctly rounded (ties to even), as `JSON.parse` and
//! `Number()` read it.
//!
//! Why not `str::parse::<f64>`: its Eisel–Lemire path brings a 10 KB table of powers of five and
//! 6 KB of code into the wasm, for numbers we read a handful of times per answer (timestamps,
//! counts, retry delays). Here the common case — at most 19 significant digits and a power of ten
//! a double holds exactly — is one multiplication or division (Clinger's fast path); everything
//! else starts from a close guess and walks to the right double by exact big-integer comparison
//! with the halfway points, which is slow but rare and small.

use std::cmp::Ordering;

/// The digits kept exactly; any further digits only say "a little more" (enough to break a tie).
const MAX_DIGITS: usize = 800;

/// The double nearest to `text`: an optional sign, digits with an optional `.` (at least one digit
/// in all) and an optional exponent. `None` for anything else, `inf` and `NaN` included. Out of
/// range is `±inf` or `±0`, as in JS.
pub fn parse_f64(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let mut i = 0;
    let negative = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    // The significant digits (no leading zeros), how many were dropped past MAX_DIGITS and
    // whether any of those was not zero, and the power of ten of the last kept digit.
    let mut digits: Vec<u8> = Vec::new();
    let mut inexact = false;
    let mut exp10: i64 = 0;
    let mut seen_digit = false;
    let mut seen_dot = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'0'..=b'9' => {
                seen_digit = true;
                if digits.is_empty() && c == b'0' {
                    // A leading zero: nothing to keep, but after the dot it shifts the rest.
                } else if digits.len() < MAX_DIGITS {
                    digits.push(c - b'0');
                } else {
                    inexact |= c != b'0';
                    if !seen_dot {
                        exp10 += 1;
                    }
                    i += 1;
                    continue;
                }
                if seen_dot {
                    exp10 -= 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => break,
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_negative = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i64 = 0;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            e = (e * 10 + i64::from(c - b'0')).min(1 << 40);
            i += 1;
        }
        if i == start {
            return None;
        }
        exp10 += if exp_negative { -e } else { e };
    }
    if i != b.len() {
        return None;
    }
    let magnitude = magnitude(&digits, exp10, inexact);
    Some(if negative { -magnitude } else { magnitude })
}

/// `digits × 10^exp10` (plus a little when `inexact`) as the nearest double.
fn magnitude(digits: &[u8], exp10: i64, inexact: bool) -> f64 {
    // Trailing zeros move into the exponent, so that "1000000e-6" takes the fast path.
    let kept = digits.iter().rposition(|&d| d != 0).map_or(0, |p| p + 1);
    let (digits, exp10) = (&digits[..kept], exp10 + (digits.len() - kept) as i64);
    if digits.is_empty() {
        return 0.0;
    }
    // Beyond these the value is 0 or infinite whatever the digits.
    let order = digits.len() as i64 + exp10;
    if order < -324 {
        return 0.0;
    }
    if order > 310 {
        return f64::INFINITY;
    }
    let lead = digits.len().min(19);
    let m = digits[..lead].iter().fold(0u64, |m, &d| m * 10 + u64::from(d));
    let rest = exp10 + (digits.len() - lead) as i64;
    if lead == digits.len() && !inexact && m <= 1 << 53 && (-22..=22).contains(&rest) {
        // Both m and 10^|rest| are doubles exactly: one correctly rounded operation.
        let p = pow10(rest.unsigned_abs() as u32);
        return if rest < 0 { m as f64 / p } else { m as f64 * p };
    }
    // Within a few units in the last place; refine() does the rest. Below 10^-300 in two steps,
    // so that the power of ten does not itself underflow.
    let guess = match rest {
        r if r < -300 => m as f64 / pow10((-r - 300) as u32) / pow10(300),
        r if r < 0 => m as f64 / pow10(-r as u32),
        r => m as f64 * pow10(r as u32),
    };
    refine(guess, digits, exp10, inexact)
}

/// 10^n by squaring: exact up to 10^22, within a few units in the last place up to 10^308.
fn pow10(n: u32) -> f64 {
    let (mut result, mut base, mut n) = (1.0f64, 10.0f64, n);
    while n > 0 {
        if n & 1 == 1 {
            result *= base;
        }
        base *= base;
        n >>= 1;
    }
    result
}

/// Moves `guess` one double at a time until the decimal value lies within its rounding interval.
fn refine(guess: f64, digits: &[u8], exp10: i64, inexact: bool) -> f64 {
    let mut z = if guess.is_infinite() { f64::MAX } else { guess };
    // The guess is off by a few units in the last place; the cap only guards against a bug.
    for _ in 0..64 {
        match compare_half_above(digits, exp10, inexact, z) {
            Ordering::Greater => {
                if z == f64::MAX {
                    return f64::INFINITY;
                }
                z = next_up(z);
                continue;
            }
            Ordering::Equal => return even(z, next_up(z)),
            Ordering::Less => {}
        }
        if z == 0.0 {
            return z;
        }
        let below = next_down(z);
        match compare_half_above(digits, exp10, inexact, below) {
            Ordering::Less => z = below,
            Ordering::Equal => return even(below, z),
            Ordering::Greater => return z,
        }
    }
    z
}

fn next_up(z: f64) -> f64 {
    f64::from_bits(z.to_bits() + 1)
}

fn next_down(z: f64) -> f64 {
    f64::from_bits(z.to_bits() - 1)
}

/// Of two neighbours, the one with an even last bit.
fn even(a: f64, b: f64) -> f64 {
    if a.to_bits() & 1 == 0 {
        a
    } else {
        b
    }
}

/// The decimal value against the point halfway between `z` (finite, ≥ 0) and the next double up.
fn compare_half_above(digits: &[u8], exp10: i64, inexact: bool, z: f64) -> Ordering {
    let bits = z.to_bits();
    let (fraction, exponent) = (bits & ((1 << 52) - 1), (bits >> 52) as i64);
    let (mantissa, exp2) = if exponent == 0 { (fraction, -1074) } else { (fraction | 1 << 52, exponent - 1075) };
    // value = D × 10^exp10 = D × 5^exp10 × 2^exp10; half = (2m + 1) × 2^(exp2 - 1).
    let mut value = Big::from_digits(digits);
    let mut half = Big::from_u64(2 * mantissa + 1);
    if exp10 >= 0 {
        value.mul_pow5(exp10 as u32);
    } else {
        half.mul_pow5((-exp10) as u32);
    }
    let twos = exp10 - (exp2 - 1);
    if twos >= 0 {
        value.shl(twos as u32);
    } else {
        half.shl((-twos) as u32);
    }
    match value.cmp(&half) {
        Ordering::Equal if inexact => Ordering::Greater,
        other => other,
    }
}

/// A non-negative integer in base 2^32, least significant limb first, no trailing zero limbs.
struct Big(Vec<u32>);

impl Big {
    fn from_u64(n: u64) -> Big {
        let mut big = Big(vec![n as u32, (n >> 32) as u32]);
        big.trim();
        big
    }

    fn from_digits(digits: &[u8]) -> Big {
        let mut big = Big(Vec::new());
        // Nine digits at a time: 10^9 < 2^32.
        for chunk in digits.chunks(9) {
            let n = chunk.iter().fold(0u32, |n, &d| n * 10 + u32::from(d));
            big.mul_add(10u32.pow(chunk.len() as u32), n);
        }
        big
    }

    fn mul_add(&mut self, factor: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow5(&mut self, mut n: u32) {
        // 5^13 is the largest power of five below 2^32.
        while n >= 13 {
            self.mul_add(1_220_703_125, 0);
            n -= 13;
        }
        self.mul_add(5u32.pow(n), 0);
    }

    fn shl(&mut self, n: u32) {
        let (limbs, bits) = ((n / 32) as usize, n % 32);
        if bits > 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let next = *limb >> (32 - bits);
                *limb = (*limb << bits) | carry;
                carry = next;
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        if !self.0.is_empty() {
            self.0.splice(0..0, std::iter::repeat_n(0, limbs));
        }
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_f64;

    /// Agreement with the standard library's correctly rounded parser, sign and all.
    fn check(text: &str) {
        let expected: f64 = text.parse().unwrap();
        let got = parse_f64(text).unwrap_or_else(|| panic!("refused {text:?}"));
        assert_eq!(got.to_bits(), expected.to_bits(), "{text:?}: got {got:e}, expected {expected:e}");
    }

    #[test]
    fn hard_cases_round_as_the_standard_library_does() {
        for text in [
            "0",
            "-0",
            "0.0",
            "1",
            "-1",
            "3.0",
            "3e0",
            ".5",
            "5.",
            "+7",
            "1e22",
            "1e23",
            "9007199254740992",
            "9007199254740993",
            "9007199254740993.0",
            "9007199254740995",
            "18446744073709551615",
            "18446744073709551616",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "1e309",
            "2.2250738585072011e-308",
            "2.2250738585072014e-308",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "1e-324",
            "1e-400",
            "5e-324",
            "0.1",
            "0.2",
            "0.3",
            "1.1",
            "123456789012345678901234567890",
            "0.9856906946328695",
            "1700000000.123456",
            "1700000000123",
            "2.5",
            "1e-7",
            "7.038531e-26",
            "9.5e-323",
            "8.98846567431158e307",
            "0.000000000000000000000000000000000000001",
            "100000000000000000000000",
            "1e0000000000000000001",
            "1e-99999999999999999999",
            "1e99999999999999999999",
            "0e99999999999999999999",
        ] {
            check(text);
        }
        // A long halfway case: 2^53 + 1 followed by many zeros then a one breaks the tie upwards.
        check(&format!("9007199254740993.{}1", "0".repeat(900)));
        check(&format!("9007199254740993.{}", "0".repeat(900)));
        check(&format!("{}e-900", "1".repeat(1000)));
    }

    #[test]
    fn refuses_what_is_not_a_decimal_number() {
        for text in ["", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "0x10", "inf", "NaN", "1 ", " 1", "1_0", "--1"] {
            assert_eq!(parse_f64(text), None, "{text:?}");
        }
    }

    #[test]
    fn random_numbers_round_as_the_standard_library_does() {
        // A fixed xorshift sequence: reproducible, and different digit counts and exponents.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let r = next();
            // Either the exact text of a random double, or random digits with a random exponent.
            let text = if r % 3 == 0 {
                let f = f64::from_bits(next() & !(1 << 63));
                if !f.is_finite() {
                    continue;
                }
                format!("{f:e}")
            } else {
                let digits = 1 + (next() % 40) as usize;
                let mut s: String = (0..digits).map(|_| char::from(b'0' + (next() % 10) as u8)).collect();
                if r % 5 == 0 {
                    s.insert(s.len() / 2, '.');
                }
                format!("{s}e{}", (next() % 700) as i64 - 350)
            };
            check(&text);
        }
    }
}
