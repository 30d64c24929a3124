//! Write-body fields as Django REST Framework's serializer fields read them: integers,
//! decimals, primary keys, choices, text and timestamps from JSON (or form) values, with DRF's
//! messages; `rest::form` gathers them into `FieldErrors` so that the client hears of every
//! problem at once.
//!
//! Only the *types* are checked here; every rule (ranges, digits, existence, permissions)
//! belongs to the domain, which adds its own problems to the same `FieldErrors`.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use rust_decimal::Decimal;
use serde_json::{Number, Value};

use crate::error::Problem;

pub use crate::rest::form::Form;

/// DRF's key for errors that belong to no single field.
pub const NON_FIELD_ERRORS: &str = "non_field_errors";

/// Python's name for the type of a JSON value, as DRF quotes it in some messages.
pub fn python_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Python's `str()` of a JSON value after `json.loads`: how DRF echoes a value it refuses.
pub fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        Value::Number(n) => number_text(n),
        other => other.to_string(),
    }
}

/// A JSON number's shortest text (`999.99` stays `"999.99"`): decimals are parsed from this
/// text, never through float arithmetic.
fn number_text(n: &Number) -> String {
    n.to_string()
}

/// DRF's `IntegerField`: a JSON integer, or text (or a float) that reads as one once a trailing
/// `.0` is dropped. Values beyond `i64` saturate, so the domain's range check words the refusal.
pub fn parse_integer(value: &Value) -> Result<i64, Problem> {
    match value {
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Ok(i),
            (None, Some(_)) => Ok(i64::MAX),
            // an integer literal too long for `u64` arrives as a float
            _ => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() >= 9.2e18 => {
                    Ok(if f > 0.0 { i64::MAX } else { i64::MIN })
                }
                _ => integer_text(&number_text(n)).ok_or(Problem::InvalidInteger),
            },
        },
        Value::String(s) => integer_text(s).ok_or(Problem::InvalidInteger),
        _ => Err(Problem::InvalidInteger),
    }
}

/// Python's `int(re.sub(r'\.0*\s*$', '', text))`.
fn integer_text(text: &str) -> Option<i64> {
    let mut t = text.trim_end();
    if let Some(dot) = t.rfind('.')
        && t[dot + 1..].bytes().all(|b| b == b'0')
    {
        t = &t[..dot];
    }
    let t = t.trim();
    let (negative, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.parse::<i64>().unwrap_or(i64::MAX);
    Some(if negative { -magnitude } else { magnitude })
}

/// DRF's `DecimalField` input: a string or a JSON number, read exactly from its text.
pub fn parse_decimal(value: &Value) -> Result<Decimal, Problem> {
    match value {
        Value::String(s) => decimal_text(s.trim()),
        Value::Number(n) => decimal_text(&number_text(n)),
        _ => Err(Problem::InvalidNumber),
    }
}

/// Python's `Decimal(text)` for finite numbers: a sign, digits with an optional point, an
/// optional exponent. Text that is a number but too long for an exact `Decimal` has more
/// digits than any money column holds.
pub fn decimal_text(text: &str) -> Result<Decimal, Problem> {
    if !is_decimal_syntax(text) {
        return Err(Problem::InvalidNumber);
    }
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let exact = if unsigned.contains(['e', 'E']) {
        Decimal::from_scientific(unsigned)
    } else {
        Decimal::from_str_exact(unsigned)
    };
    exact.map_err(|_| Problem::MaxDigits(12))
}

fn is_decimal_syntax(text: &str) -> bool {
    let t = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(at) => (&t[..at], Some(&t[at + 1..])),
        None => (t, None),
    };
    let mut parts = mantissa.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next().unwrap_or("");
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok =
        digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.len() <= 4 && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// DRF's `PrimaryKeyRelatedField` input: an integer, or text holding one. An id too large for
/// any row exists nowhere; other types are refused with Python's name for them.
pub fn parse_pk(value: &Value) -> Result<i64, Problem> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if n.is_u64() {
                Err(Problem::DoesNotExist(number_text(n)))
            } else {
                match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
                    // an integer literal too long for `u64` arrives as a float
                    Some(f) if f.fract() == 0.0 && f.abs() >= 9.2e18 => {
                        Err(Problem::DoesNotExist(number_text(n)))
                    }
                    _ => Err(Problem::IncorrectPkType("float".into())),
                }
            }
        }
        Value::String(s) => {
            let t = s.trim();
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                Err(Problem::IncorrectPkType("str".into()))
            } else {
                t.parse::<i64>()
                    .map_err(|_| Problem::DoesNotExist(s.clone()))
            }
        }
        other => Err(Problem::IncorrectPkType(python_type(other).into())),
    }
}

/// DRF's `ChoiceField`: the value's text must be one of the choices (compared exactly).
pub fn parse_choice<T: FromStr>(value: &Value) -> Result<T, Problem> {
    let text = python_str(value);
    text.parse().map_err(|_| Problem::InvalidChoice(text))
}

/// DRF's `DateTimeField` (ISO 8601, as Django's `parse_datetime` reads it): an offset or `Z`,
/// or none (then UTC, the legacy `TIME_ZONE`); a date alone is its midnight. Truncated to
/// microseconds, the precision of the columns.
pub fn parse_datetime(value: &Value) -> Result<DateTime<Utc>, Problem> {
    let Value::String(text) = value else {
        return Err(Problem::InvalidDateTime);
    };
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.to_utc().trunc_subsecs(6));
    }
    let with_t = t.replacen(' ', "T", 1);
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(&with_t, format) {
            return Ok(dt.to_utc().trunc_subsecs(6));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&with_t, format) {
            return Ok(naive.and_utc().trunc_subsecs(6));
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc())
        .ok_or(Problem::InvalidDateTime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn integers_as_drf_reads_them() {
        assert_eq!(parse_integer(&json!(2)), Ok(2));
        assert_eq!(parse_integer(&json!("2")), Ok(2));
        assert_eq!(parse_integer(&json!(" 2 ")), Ok(2));
        assert_eq!(parse_integer(&json!("2.0")), Ok(2));
        assert_eq!(parse_integer(&json!(2.0)), Ok(2));
        assert_eq!(parse_integer(&json!("-3")), Ok(-3));
        assert_eq!(parse_integer(&json!("99999999999999999999")), Ok(i64::MAX));
        let huge: Value = serde_json::from_str("99999999999999999999").unwrap();
        assert_eq!(parse_integer(&huge), Ok(i64::MAX));
        let tiny: Value = serde_json::from_str("-99999999999999999999").unwrap();
        assert_eq!(parse_integer(&tiny), Ok(i64::MIN));
        for bad in [
            json!("2.5"),
            json!(2.5),
            json!("two"),
            json!(true),
            json!([1]),
            json!(""),
        ] {
            assert_eq!(parse_integer(&bad), Err(Problem::InvalidInteger), "{bad}");
        }
    }

    #[test]
    fn decimals_come_from_text_never_floats() {
        assert_eq!(parse_decimal(&json!(999.99)), Ok(dec("999.99")));
        assert_eq!(parse_decimal(&json!("999.99")), Ok(dec("999.99")));
        assert_eq!(parse_decimal(&json!(0.1)), Ok(dec("0.1")));
        assert_eq!(parse_decimal(&json!(" 12.50 ")), Ok(dec("12.50")));
        assert_eq!(parse_decimal(&json!("1e2")), Ok(dec("100")));
        assert_eq!(parse_decimal(&json!(".5")), Ok(dec("0.5")));
        assert_eq!(parse_decimal(&json!("+5.")), Ok(dec("5")));
        assert_eq!(parse_decimal(&json!(7)), Ok(dec("7")));
        for bad in [
            json!("abc"),
            json!("NaN"),
            json!("Infinity"),
            json!(""),
            json!("."),
            json!(true),
            json!("1e"),
            json!({}),
        ] {
            assert_eq!(parse_decimal(&bad), Err(Problem::InvalidNumber), "{bad}");
        }
        assert_eq!(
            parse_decimal(&json!("123456789012345678901234567890.5")),
            Err(Problem::MaxDigits(12))
        );
    }

    #[test]
    fn primary_keys() {
        assert_eq!(parse_pk(&json!(3)), Ok(3));
        assert_eq!(parse_pk(&json!("3")), Ok(3));
        assert_eq!(parse_pk(&json!(3.0)), Ok(3));
        assert_eq!(
            parse_pk(&json!("abc")),
            Err(Problem::IncorrectPkType("str".into()))
        );
        assert_eq!(
            parse_pk(&json!(true)),
            Err(Problem::IncorrectPkType("bool".into()))
        );
        assert_eq!(
            parse_pk(&json!([1])),
            Err(Problem::IncorrectPkType("list".into()))
        );
        assert_eq!(
            parse_pk(&json!(1.5)),
            Err(Problem::IncorrectPkType("float".into()))
        );
        assert_eq!(
            parse_pk(&json!("99999999999999999999")),
            Err(Problem::DoesNotExist("99999999999999999999".into()))
        );
    }

    #[test]
    fn choices_and_timestamps() {
        use crate::orders::status::OrderStatus;
        assert_eq!(
            parse_choice::<OrderStatus>(&json!("pending")),
            Ok(OrderStatus::Pending)
        );
        assert_eq!(
            parse_choice::<OrderStatus>(&json!("bogus")),
            Err(Problem::InvalidChoice("bogus".into()))
        );
        assert_eq!(
            parse_choice::<OrderStatus>(&json!(1)),
            Err(Problem::InvalidChoice("1".into()))
        );
        let at = |s: &str| crate::time::drf(&parse_datetime(&json!(s)).unwrap());
        assert_eq!(at("2025-11-21T12:20:00Z"), "2025-11-21T12:20:00Z");
        assert_eq!(at("2025-11-21T14:20:00+02:00"), "2025-11-21T12:20:00Z");
        assert_eq!(at("2025-11-21 12:20"), "2025-11-21T12:20:00Z");
        assert_eq!(
            at("2025-11-21T12:20:00.1234567"),
            "2025-11-21T12:20:00.123456Z"
        );
        assert_eq!(at("2025-11-21"), "2025-11-21T00:00:00Z");
        assert_eq!(
            parse_datetime(&json!("soon")),
            Err(Problem::InvalidDateTime)
        );
        assert_eq!(parse_datetime(&json!(5)), Err(Problem::InvalidDateTime));
    }
}
