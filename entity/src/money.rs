//! `Money`: an exact `numeric(12, 2)` amount as stored in the legacy tables.
//!
//! Why a newtype instead of a plain `Decimal` column: SeaORM decodes a SQLite decimal through
//! `f64`. Money columns are therefore declared with `select_as = "text"`, so both backends hand
//! the value over as its decimal text (PostgreSQL's `numeric::text`, SQLite's own shortest
//! rendering of the stored number, exact for the 12 significant digits of `numeric(12, 2)`), and
//! this type parses that text. Values are written as `Decimal` parameters, which SeaORM binds as
//! `numeric` on PostgreSQL and as decimal text on SQLite. No `f64` anywhere.

use std::str::FromStr;

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, Value, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable};

pub use sea_orm::prelude::Decimal;

/// An amount of money with two decimal places.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// The amount rescaled to exactly two decimal places (as `numeric(12, 2)` stores it).
    pub fn new(value: Decimal) -> Self {
        let mut v = value;
        v.rescale(2);
        Money(v)
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    /// Parses the decimal text a database hands over (`"999.99"`, `"5.0"`, `"1000"`).
    pub fn parse_db_text(text: &str) -> Option<Self> {
        let text = text.trim();
        Decimal::from_str_exact(text)
            .or_else(|_| Decimal::from_scientific(text))
            .ok()
            .map(|d| Money::new(d.round_dp(2)))
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl From<Decimal> for Money {
    fn from(value: Decimal) -> Self {
        Money::new(value)
    }
}

impl From<Money> for Value {
    fn from(value: Money) -> Self {
        Value::Decimal(Some(value.0))
    }
}

impl Nullable for Money {
    fn null() -> Value {
        Value::Decimal(None)
    }
}

impl ValueType for Money {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Decimal(Some(d)) => Ok(Money::new(d)),
            Value::String(Some(s)) => Money::parse_db_text(&s).ok_or(ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "Money".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::Decimal
    }

    fn column_type() -> ColumnType {
        ColumnType::Decimal(Some((12, 2)))
    }
}

impl TryGetable for Money {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        let text: String = res.try_get_by(index)?;
        Money::from_column_text(&text).map_err(TryGetError::DbErr)
    }
}

impl Money {
    /// A money column read as text (the selects cast it), or the error that it is not one.
    pub fn from_column_text(text: &str) -> Result<Self, DbErr> {
        Money::parse_db_text(text)
            .ok_or_else(|| DbErr::Type(format!("not a decimal amount: {text:?}")))
    }
}

impl sea_orm::TryFromU64 for Money {
    fn try_from_u64(_: u64) -> Result<Self, DbErr> {
        Err(DbErr::ConvertFromU64("Money"))
    }
}

impl FromStr for Money {
    type Err = rust_decimal_err::ParseMoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse_db_text(s).ok_or(rust_decimal_err::ParseMoneyError)
    }
}

mod rust_decimal_err {
    /// The text was not a decimal number.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ParseMoneyError;

    impl std::fmt::Display for ParseMoneyError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("not a decimal amount")
        }
    }

    impl std::error::Error for ParseMoneyError {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_database_renderings() {
        assert_eq!(
            Money::parse_db_text("999.99").unwrap().to_string(),
            "999.99"
        );
        assert_eq!(Money::parse_db_text("5.0").unwrap().to_string(), "5.00");
        assert_eq!(Money::parse_db_text("1000").unwrap().to_string(), "1000.00");
        assert_eq!(
            Money::parse_db_text("9999999999.99").unwrap().to_string(),
            "9999999999.99"
        );
        assert!(Money::parse_db_text("abc").is_none());
    }
}
