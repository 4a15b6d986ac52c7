//! Numbers written as decimal text (`"0.1"`, `"1e400"`, 30-digit integers), which
//! Terraform uses for anything a 64-bit integer or float cannot hold exactly: parsed
//! only as far as needed to tell whether they are an `i64`.

/// `f` as an `i64`, if it is an integer within range.
pub(super) fn float_to_i64(f: f64) -> Option<i64> {
    // 2^63 is exactly representable; every integral f64 in [-2^63, 2^63) fits an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
        Some(f as i64)
    } else {
        None
    }
}

/// A decimal number broken into parts: `(-1)^negative × digits × 10^exponent`.
#[derive(Debug, PartialEq)]
pub(super) struct Decimal {
    negative: bool,
    /// Significant digits, without leading or trailing zeros; empty for zero.
    digits: String,
    exponent: i64,
}

impl Decimal {
    pub(super) fn to_i64(&self) -> Option<i64> {
        if self.digits.is_empty() {
            return Some(0);
        }
        if self.exponent < 0 {
            return None; // trailing zeros were stripped, so there is a fraction
        }
        let width = i64::try_from(self.digits.len())
            .ok()?
            .checked_add(self.exponent)?;
        if width > 19 {
            return None;
        }
        let zeros = usize::try_from(self.exponent).ok()?;
        let mut text = String::with_capacity(21);
        if self.negative {
            text.push('-');
        }
        text.push_str(&self.digits);
        text.extend(std::iter::repeat_n('0', zeros));
        text.parse().ok()
    }
}

/// Reads an optional `+` or `-` at `i`; whether it was `-`.
fn sign(bytes: &[u8], i: &mut usize) -> bool {
    match bytes.get(*i) {
        Some(b'-') => {
            *i += 1;
            true
        }
        Some(b'+') => {
            *i += 1;
            false
        }
        _ => false,
    }
}

/// Parses decimal number text: `[+-]digits[.digits][(e|E)[+-]digits]`, with at least one
/// digit in the mantissa. Returns `None` for anything else.
pub(super) fn parse_decimal(s: &str) -> Option<Decimal> {
    // Exponents beyond this are clamped; they only matter for "is it an i64".
    const EXP_CLAMP: i64 = 1 << 40;
    let bytes = s.as_bytes();
    let mut i = 0;
    let negative = sign(bytes, &mut i);
    let mut mantissa = String::new();
    let mut seen_digit = false;
    let mut frac_len: i64 = 0;
    while let Some(&b) = bytes.get(i) {
        if !b.is_ascii_digit() {
            break;
        }
        seen_digit = true;
        if !(mantissa.is_empty() && b == b'0') {
            mantissa.push(char::from(b));
        }
        i += 1;
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&b) = bytes.get(i) {
            if !b.is_ascii_digit() {
                break;
            }
            seen_digit = true;
            frac_len = frac_len.saturating_add(1);
            // A leading zero, before or after the point, only shifts the exponent.
            if !(mantissa.is_empty() && b == b'0') {
                mantissa.push(char::from(b));
            }
            i += 1;
        }
    }
    if !seen_digit {
        return None;
    }
    let mut exponent: i64 = 0;
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_negative = sign(bytes, &mut i);
        let mut exp_digits = false;
        while let Some(&b) = bytes.get(i) {
            if !b.is_ascii_digit() {
                break;
            }
            exp_digits = true;
            exponent = (exponent * 10 + i64::from(b - b'0')).min(EXP_CLAMP);
            i += 1;
        }
        if !exp_digits {
            return None;
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if i != bytes.len() {
        return None;
    }
    let mut exponent = exponent.saturating_sub(frac_len);
    let trimmed_len = mantissa.trim_end_matches('0').len();
    let trailing = mantissa.len() - trimmed_len;
    mantissa.truncate(trimmed_len);
    exponent = exponent.saturating_add(i64::try_from(trailing).unwrap_or(i64::MAX));
    Some(Decimal {
        negative,
        digits: mantissa,
        exponent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_parsing() {
        let i = |s: &str| parse_decimal(s).and_then(|d| d.to_i64());
        assert_eq!(i("0"), Some(0));
        assert_eq!(i("-0.000"), Some(0));
        assert_eq!(i("+17"), Some(17));
        assert_eq!(i("1.50e1"), Some(15));
        assert_eq!(i("1.5"), None);
        assert_eq!(i("9223372036854775807"), Some(i64::MAX));
        assert_eq!(i("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(i("9223372036854775808"), None);
        assert_eq!(i("1e19"), None);
        assert_eq!(i("1e99999999999999999999999"), None);
        assert_eq!(i("1e-99999999999999999999999"), None);
        assert_eq!(i("0e99999999999999999999999"), Some(0));
        assert_eq!(i("12000e-3"), Some(12));
        assert_eq!(i(".5e1"), Some(5));
        assert_eq!(i("5."), Some(5));
        assert!(parse_decimal("e5").is_none());
        assert!(parse_decimal("1e+").is_none());
    }
}
