//! The exact values the domain's inputs carry, and their GraphQL scalars: `Decimal` (exact
//! money) and `DateTime` (UTC). They live beside the domain, not in the GraphQL face, because
//! the filters and the domain reads hold them (the REST face builds the same filters).
//!
//! `Decimal`: exact money. Output is a string with two places (`"999.99"`). Input is a string
//! or a JSON number; a number is read from its shortest decimal representation (the text
//! `serde_json` prints for it), never through float arithmetic. The scalar accepts any exact
//! decimal; the domain checks places and digits so that the refusal names the input field.
//!
//! `DateTime`: RFC 3339 in UTC with `Z`; input accepts any offset and converts it to UTC.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
/// An exact decimal amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dec(pub Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for Dec {
    fn parse(value: Value) -> InputValueResult<Self> {
        let text = match &value {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            _ => return Err(InputValueError::expected_type(value)),
        };
        parse_decimal(&text)
            .map(Dec)
            .ok_or_else(|| InputValueError::custom(format!("\"{text}\" is not a decimal number")))
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(_) | Value::Number(_))
    }

    fn to_value(&self) -> Value {
        Value::String(entity::money::two_places(self.0))
    }
}

/// Parses decimal text exactly: `"0.10"`, `"999.99"`, `"-1"`, `"1e3"`. No float on the way.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str_exact(text).ok()
    }
}

impl From<entity::Money> for Dec {
    fn from(m: entity::Money) -> Self {
        Dec(m.0)
    }
}

/// A UTC timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub DateTime<Utc>);

#[Scalar(name = "DateTime")]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
                .map(|d| Timestamp(d.to_utc()))
                .map_err(|_| {
                    InputValueError::custom(format!("\"{s}\" is not an RFC 3339 date-time"))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(d: DateTime<Utc>) -> Self {
        Timestamp(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: serde_json::Value) -> Option<Decimal> {
        Dec::parse(Value::from_json(v).unwrap()).ok().map(|d| d.0)
    }

    #[test]
    fn numbers_are_read_from_their_shortest_text() {
        assert_eq!(
            parse(serde_json::json!(999.99)).unwrap().to_string(),
            "999.99"
        );
        assert_eq!(parse(serde_json::json!(0.1)).unwrap().to_string(), "0.1");
        assert_eq!(
            parse(serde_json::json!(9999999999.99)).unwrap().to_string(),
            "9999999999.99"
        );
        assert_eq!(parse(serde_json::json!(5)).unwrap().to_string(), "5");
        assert_eq!(
            parse(serde_json::json!("0.10")).unwrap().to_string(),
            "0.10"
        );
        assert!(parse(serde_json::json!("abc")).is_none());
        assert!(parse(serde_json::json!(true)).is_none());
    }

    #[test]
    fn output_has_two_places() {
        assert_eq!(
            Dec(Decimal::new(3, 1)).to_value(),
            Value::String("0.30".into())
        );
        assert_eq!(
            Dec(Decimal::new(199998, 2)).to_value(),
            Value::String("1999.98".into())
        );
    }

    #[test]
    fn timestamps_are_utc_with_z() {
        let t = Timestamp::parse(Value::String("2025-11-21T13:00:00+01:00".into())).unwrap();
        assert_eq!(t.to_value(), Value::String("2025-11-21T12:00:00Z".into()));
    }
}
