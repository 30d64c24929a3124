//! The one clock of the gateway: UTC, truncated to microseconds (PostgreSQL's and Django's
//! precision), so that a timestamp written and read back compares equal on both backends.

use chrono::{DateTime, Datelike, SubsecRound, Timelike, Utc};

pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// How DRF renders a timestamp: Python's `isoformat()` with `+00:00` as `Z`, so microseconds
/// appear only when there are any (`2025-11-21T12:00:00Z`, `2025-11-08T10:00:00.123456Z`).
/// Written digit by digit: `format` parses its pattern on every call, and REST lists render
/// two timestamps per order and payment.
pub fn drf(ts: &DateTime<Utc>) -> String {
    let year = ts.year();
    if !(0..=9999).contains(&year) {
        return drf_by_pattern(ts);
    }
    let mut s = String::with_capacity(27);
    digits(&mut s, year as u32, 4);
    s.push('-');
    digits(&mut s, ts.month(), 2);
    s.push('-');
    digits(&mut s, ts.day(), 2);
    s.push('T');
    digits(&mut s, ts.hour(), 2);
    s.push(':');
    digits(&mut s, ts.minute(), 2);
    s.push(':');
    // a leap second shows as :60, as chrono's %S does
    digits(&mut s, ts.second() + ts.nanosecond() / 1_000_000_000, 2);
    let nanos = ts.nanosecond() % 1_000_000_000;
    if ts.nanosecond() != 0 {
        s.push('.');
        digits(&mut s, nanos / 1000, 6);
    }
    s.push('Z');
    s
}

/// The last `width` (at most 6) decimal digits of `n`, zero-padded. Taken off the end by
/// constant divisions (multiplications once compiled), not by `n / 10^i` for each place, a
/// division by a variable per digit.
fn digits(s: &mut String, n: u32, width: usize) {
    let mut places = [b'0'; 6];
    let mut rest = n;
    for place in places[..width].iter_mut().rev() {
        *place = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    s.extend(places[..width].iter().map(|&b| char::from(b)));
}

fn drf_by_pattern(ts: &DateTime<Utc>) -> String {
    if ts.nanosecond() == 0 {
        ts.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        ts.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_drf() {
        let whole = DateTime::parse_from_rfc3339("2025-11-21T12:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(drf(&whole), "2025-11-21T12:00:00Z");
        let micro = DateTime::parse_from_rfc3339("2025-11-08T10:00:00.123456Z")
            .unwrap()
            .to_utc();
        assert_eq!(drf(&micro), "2025-11-08T10:00:00.123456Z");
        assert_eq!(now().nanosecond() % 1000, 0);
    }

    #[test]
    fn digit_by_digit_equals_the_pattern() {
        let mut t = DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        // about half a year at a time, from year 1 to past 9999, with odd nanoseconds
        for i in 0..20_000i64 {
            t += chrono::Duration::nanoseconds(15_778_463_000_017 + i % 1_000_000);
            let whole = t.trunc_subsecs(0);
            for ts in [t, whole, t.trunc_subsecs(6)] {
                assert_eq!(drf(&ts), drf_by_pattern(&ts), "{ts:?}");
            }
        }
        let far = DateTime::parse_from_rfc3339("9999-12-31T23:59:59.999999Z")
            .unwrap()
            .to_utc();
        assert_eq!(drf(&far), "9999-12-31T23:59:59.999999Z");
    }
}
