//! The values of sort keys: what a cursor carries (as JSON) and what a keyset bound compares
//! (as SQL values).

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::Value;
use serde_json::json;

/// The type of a sort key's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Int,
    Text,
    Money,
    Time,
}

/// The value of a sort key in one row.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    Null,
    Int(i64),
    Text(String),
    Money(Decimal),
    Time(DateTime<Utc>),
}

impl KeyValue {
    /// Ascending, NULL last (see `Sort::compare`); values of two kinds (never of one key)
    /// compare equal.
    pub(super) fn compare(&self, other: &KeyValue) -> Ordering {
        match (self, other) {
            (KeyValue::Null, KeyValue::Null) => Ordering::Equal,
            (KeyValue::Null, _) => Ordering::Greater,
            (_, KeyValue::Null) => Ordering::Less,
            (KeyValue::Int(a), KeyValue::Int(b)) => a.cmp(b),
            (KeyValue::Text(a), KeyValue::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (KeyValue::Money(a), KeyValue::Money(b)) => a.cmp(b),
            (KeyValue::Time(a), KeyValue::Time(b)) => a.cmp(b),
            _ => Ordering::Equal,
        }
    }

    pub(super) fn to_json(&self) -> serde_json::Value {
        match self {
            KeyValue::Null => serde_json::Value::Null,
            KeyValue::Int(i) => json!(i),
            KeyValue::Text(s) => json!(s),
            KeyValue::Money(d) => json!(d.to_string()),
            KeyValue::Time(t) => json!(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        }
    }

    pub(super) fn from_json(kind: KeyKind, v: &serde_json::Value) -> Option<KeyValue> {
        if v.is_null() {
            return Some(KeyValue::Null);
        }
        Some(match kind {
            KeyKind::Int => KeyValue::Int(v.as_i64()?),
            KeyKind::Text => KeyValue::Text(v.as_str()?.to_owned()),
            KeyKind::Money => KeyValue::Money(Decimal::from_str_exact(v.as_str()?).ok()?),
            KeyKind::Time => {
                KeyValue::Time(DateTime::parse_from_rfc3339(v.as_str()?).ok()?.to_utc())
            }
        })
    }

    pub(super) fn to_value(&self, kind: KeyKind) -> Value {
        match (self, kind) {
            (KeyValue::Int(i), _) => Value::BigInt(Some(*i)),
            (KeyValue::Text(s), _) => Value::String(Some(s.clone())),
            (KeyValue::Money(d), _) => Value::Decimal(Some(*d)),
            (KeyValue::Time(t), _) => Value::ChronoDateTimeUtc(Some(*t)),
            (KeyValue::Null, KeyKind::Int) => Value::BigInt(None),
            (KeyValue::Null, KeyKind::Money) => Value::Decimal(None),
            (KeyValue::Null, KeyKind::Time) => Value::ChronoDateTimeUtc(None),
            (KeyValue::Null, KeyKind::Text) => Value::String(None),
        }
    }
}
