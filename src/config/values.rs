//! One setting's value parsed from its text (a URL, a duration, a boolean, a count), each
//! refusal naming the setting.

use std::time::Duration;

use crate::config::ConfigError;

pub(super) fn bad(
    env: &'static str,
    flag: &'static str,
    value: &str,
    reason: impl Into<String>,
) -> ConfigError {
    ConfigError {
        env,
        flag,
        value: value.to_owned(),
        reason: reason.into(),
    }
}

pub(super) fn check_database_url(raw: &str) -> Result<String, ConfigError> {
    let refuse = |reason: &str| bad("DATABASE_URL", "database-url", &redact_url(raw), reason);
    let parsed = url::Url::parse(raw).map_err(|e| refuse(&format!("not a URL ({e})")))?;
    match parsed.scheme() {
        "sqlite" => Ok(raw.to_owned()),
        "postgres" | "postgresql" => {
            if parsed.host_str().is_none_or(str::is_empty) && !raw.contains("host=") {
                return Err(refuse("a postgres URL needs a host"));
            }
            Ok(raw.to_owned())
        }
        other => Err(refuse(&format!(
            "unsupported scheme `{other}`: use sqlite://FILE or postgres://USER@HOST/DB"
        ))),
    }
}

/// The URL with its password replaced, for messages and logs. Works on the text, so that URLs
/// the parser refuses or cannot rewrite (no host, a bad port) are redacted too.
pub fn redact_url(raw: &str) -> String {
    let Some(scheme_end) = raw.find("://") else {
        return raw.to_owned();
    };
    let start = scheme_end + 3;
    let rest = &raw[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let Some(at) = authority.rfind('@') else {
        return raw.to_owned();
    };
    let Some(colon) = authority[..at].find(':') else {
        return raw.to_owned();
    };
    format!("{}:***{}", &raw[..start + colon], &raw[start + at..])
}

pub(super) fn lifetime(
    env: &'static str,
    flag: &'static str,
    raw: &str,
) -> Result<Duration, ConfigError> {
    let v = raw.trim();
    let parsed = if v.chars().all(|c| c.is_ascii_digit()) && !v.is_empty() {
        v.parse::<u64>().ok().map(Duration::from_secs)
    } else {
        humantime::parse_duration(v).ok()
    };
    match parsed {
        Some(d) if d >= Duration::from_secs(1) && d <= Duration::from_secs(10 * 365 * 86400) => {
            Ok(d)
        }
        Some(_) => Err(bad(env, flag, raw, "must be between 1s and 10 years")),
        None => Err(bad(
            env,
            flag,
            raw,
            "expected a duration such as 30s, 15m, 1h or 7d",
        )),
    }
}

pub(super) fn boolean(
    env: &'static str,
    flag: &'static str,
    raw: &str,
) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(bad(env, flag, raw, "expected true or false")),
    }
}

pub(super) fn positive(
    env: &'static str,
    flag: &'static str,
    raw: &str,
) -> Result<usize, ConfigError> {
    raw.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0 && *n <= u32::MAX as usize)
        .ok_or_else(|| bad(env, flag, raw, "expected a positive whole number"))
}

pub(super) fn random_secret() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
