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
        match cents_of_plain(text) {
            Some(cents) => Some(Money(Decimal::new(cents, 2))),
            None => Money::parse_by_decimal(text),
        }
    }

    /// Any decimal text `Decimal` reads (exponents, more places: rounded to two).
    fn parse_by_decimal(text: &str) -> Option<Self> {
        Decimal::from_str_exact(text)
            .or_else(|_| Decimal::from_scientific(text))
            .ok()
            .map(|d| Money::new(d.round_dp(2)))
    }
}

/// Most digits a plain amount may have before its point here (the cents must fit an `i64`);
/// `numeric(12, 2)` has ten.
const PLAIN_WHOLE_DIGITS: usize = 16;

/// The cents of an amount written plainly: an optional `-`, digits, and optionally a point and
/// one or two digits. That is how PostgreSQL writes a `numeric(12, 2)` as text and SQLite a
/// stored number, and reading it here saves `Decimal`'s general parser and its rescaling on
/// every money cell a list decodes. `None` for any other form, which `Decimal` reads
/// (`Money::parse_by_decimal`).
fn cents_of_plain(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, places) = match digits.split_once('.') {
        Some((whole, places)) if !places.is_empty() && places.len() <= 2 => (whole, places),
        Some(_) => return None,
        None => (digits, ""),
    };
    if whole.is_empty() || whole.len() > PLAIN_WHOLE_DIGITS {
        return None;
    }
    let mut cents: i64 = 0;
    for b in whole.bytes().chain(places.bytes()) {
        if !b.is_ascii_digit() {
            return None;
        }
        cents = cents * 10 + i64::from(b - b'0');
    }
    if places.len() < 2 {
        cents *= 10_i64.pow(2 - places.len() as u32);
    }
    // `-0` is plain zero, as `Decimal` reads it too
    Some(if negative { -cents } else { cents })
}

/// `value` with two places, exactly as `format!("{:.2}", value)` writes it (a sign for any
/// negative value, zero included; places past the second cut off, not rounded). Every amount
/// the gateway shows is written here: REST lists and GraphQL pages write one per order, line
/// and payment, and for the scales money has (0 to 2) this skips the formatting machinery.
pub fn two_places(value: Decimal) -> String {
    let mut out = String::with_capacity(24);
    // a `String` takes any text: this write cannot fail
    let _ = write_two_places(&mut out, value);
    out
}

/// Writes `value` as [`two_places`] does.
fn write_two_places<W: std::fmt::Write>(out: &mut W, value: Decimal) -> std::fmt::Result {
    let scale = value.scale();
    if scale > 2 {
        return write!(out, "{value:.2}");
    }
    let cents = value.mantissa().unsigned_abs() * 10_u128.pow(2 - scale);
    let mut digits = itoa::Buffer::new();
    let places = (cents % 100) as u8;
    if value.is_sign_negative() {
        out.write_char('-')?;
    }
    out.write_str(digits.format(cents / 100))?;
    out.write_char('.')?;
    out.write_char(char::from(b'0' + places / 10))?;
    out.write_char(char::from(b'0' + places % 10))
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_two_places(f, self.0)
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

    /// Texts of every form a database or a caller might hand over, plain and not.
    fn texts() -> Vec<String> {
        let mut out: Vec<String> = [
            "0",
            "0.0",
            "0.00",
            "-0",
            "-0.0",
            "-0.00",
            "00",
            "007.5",
            "5.",
            ".5",
            "-.5",
            "+5",
            "1e3",
            "1.5E-1",
            "1.005",
            "-1.999",
            "12.345678",
            "1_000",
            "1,5",
            "",
            "-",
            ".",
            "--1",
            "1.-5",
            "9999999999.99",
            "-9999999999.99",
            "9999999999999999.99",
            "99999999999999999.99",
            "79228162514264337593543950335",
            " 1.5 ",
            "1.5\n",
            "١٢",
        ]
        .map(String::from)
        .to_vec();
        // pseudo-random plain amounts: 1 to 17 digits before the point, 0 to 3 after, either sign
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let whole = (seed % 17 + 1) as usize;
            let places = ((seed >> 8) % 4) as usize;
            let digits: String = (0..whole + places)
                .map(|k| char::from(b'0' + ((seed >> (k % 60)) % 10) as u8))
                .collect();
            let (w, p) = digits.split_at(whole);
            let sign = if (seed >> 20).is_multiple_of(2) {
                ""
            } else {
                "-"
            };
            out.push(if places == 0 {
                format!("{sign}{w}")
            } else {
                format!("{sign}{w}.{p}")
            });
        }
        out
    }

    #[test]
    fn plain_texts_read_as_decimal_reads_them() {
        for text in texts() {
            // parse_db_text trims the text itself
            let fast = Money::parse_db_text(&text);
            let general = Money::parse_by_decimal(text.trim());
            assert_eq!(fast, general, "{text:?}");
            if let (Some(fast), Some(general)) = (fast, general) {
                // the same digits, places and sign, not only the same value
                assert_eq!(fast.0.mantissa(), general.0.mantissa(), "{text:?}");
                assert_eq!(fast.0.scale(), general.0.scale(), "{text:?}");
                assert_eq!(
                    fast.0.is_sign_negative(),
                    general.0.is_sign_negative(),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn two_places_writes_what_the_formatter_writes() {
        let mut values: Vec<Decimal> = texts()
            .iter()
            .filter_map(|t| Decimal::from_str_exact(t.trim()).ok())
            .collect();
        let negative_zero = |scale| {
            let mut zero = Decimal::new(0, scale);
            zero.set_sign_negative(true);
            assert!(zero.is_sign_negative());
            zero
        };
        values.extend([
            Decimal::ZERO,
            negative_zero(0),
            negative_zero(2),
            Decimal::from_parts(5, 0, 0, true, 1),
            Decimal::MAX,
            Decimal::MIN,
            Decimal::from_parts(u32::MAX, u32::MAX, u32::MAX, false, 2),
            Decimal::from_parts(7, 0, 0, false, 28),
        ]);
        for value in values {
            for scale in 0..=4 {
                let mut v = value;
                v.rescale(scale);
                let expected = format!("{v:.2}");
                assert_eq!(two_places(v), expected, "{v:?} at scale {scale}");
                assert_eq!(Money(v).to_string(), expected, "{v:?} at scale {scale}");
            }
        }
    }
}
