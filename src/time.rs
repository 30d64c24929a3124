//! The one clock of the gateway: UTC, truncated to microseconds (PostgreSQL's and Django's
//! precision), so that a timestamp written and read back compares equal on both backends.

use chrono::{DateTime, SubsecRound, Timelike, Utc};

pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// How DRF renders a timestamp: Python's `isoformat()` with `+00:00` as `Z`, so microseconds
/// appear only when there are any (`2025-11-21T12:00:00Z`, `2025-11-08T10:00:00.123456Z`).
pub fn drf(ts: &DateTime<Utc>) -> String {
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
}
