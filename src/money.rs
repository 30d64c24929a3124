//! The money rule of the model: `numeric(12, 2)`, so at most 10 digits before the point and 2
//! after, checked on the exact decimal (never a float). Also the exact arithmetic of totals.

use entity::Money;
use rust_decimal::Decimal;

use crate::error::Problem;

/// Largest amount a `numeric(12, 2)` column holds.
pub fn max_amount() -> Decimal {
    Decimal::new(999_999_999_999, 2)
}

/// An amount as a price: `0 <= value`, at most 2 places, at most 10 whole digits.
pub fn price(value: Decimal) -> Result<Money, Vec<Problem>> {
    let mut problems = shape(value);
    if value.is_sign_negative() && !value.is_zero() {
        problems.push(Problem::MinValue(0));
    }
    if problems.is_empty() {
        Ok(Money::new(value))
    } else {
        Err(problems)
    }
}

/// An amount as a payment: `> 0`, at most 2 places, at most 10 whole digits.
pub fn positive_amount(value: Decimal) -> Result<Money, Vec<Problem>> {
    let mut problems = shape(value);
    if value <= Decimal::ZERO {
        problems.push(Problem::Rule(
            "Ensure this value is greater than or equal to 0.01.".to_owned(),
        ));
    }
    if problems.is_empty() {
        Ok(Money::new(value))
    } else {
        Err(problems)
    }
}

/// DRF's `DecimalField(max_digits=12, decimal_places=2)` checks, in its order.
fn shape(value: Decimal) -> Vec<Problem> {
    let normalized = value.normalize();
    let places = normalized.scale();
    let whole_digits = whole_digit_count(normalized);
    let total_digits = whole_digits + places;
    let mut problems = Vec::new();
    if total_digits > 12 {
        problems.push(Problem::MaxDigits(12));
    } else if places > 2 {
        problems.push(Problem::MaxDecimalPlaces(2));
    } else if whole_digits > 10 {
        problems.push(Problem::MaxWholeDigits(10));
    }
    problems
}

fn whole_digit_count(value: Decimal) -> u32 {
    let whole = value.trunc().abs();
    if whole.is_zero() {
        0
    } else {
        whole.to_string().len() as u32
    }
}

/// `price * quantity`, exact; `None` when it cannot fit `numeric(12, 2)`.
pub fn line_total(price: Money, quantity: i64) -> Option<Decimal> {
    price
        .0
        .checked_mul(Decimal::from(quantity))
        .filter(|t| *t <= max_amount())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn digits_and_places() {
        assert!(price(d("999.99")).is_ok());
        assert!(price(d("9999999999.99")).is_ok());
        assert!(price(d("0")).is_ok());
        assert_eq!(
            price(d("1.005")).unwrap_err(),
            vec![Problem::MaxDecimalPlaces(2)]
        );
        assert_eq!(
            price(d("123456789012.5")).unwrap_err(),
            vec![Problem::MaxDigits(12)]
        );
        assert_eq!(
            price(d("12345678901.5")).unwrap_err(),
            vec![Problem::MaxWholeDigits(10)]
        );
        assert_eq!(
            price(d("12345678901")).unwrap_err(),
            vec![Problem::MaxWholeDigits(10)]
        );
        assert_eq!(price(d("-1")).unwrap_err(), vec![Problem::MinValue(0)]);
        assert!(price(d("1.10")).is_ok(), "trailing zeros are not places");
        assert!(positive_amount(d("0")).is_err());
        assert!(positive_amount(d("0.01")).is_ok());
    }

    #[test]
    fn totals_are_exact() {
        let p = Money::new(d("0.10"));
        assert_eq!(line_total(p, 3).unwrap().to_string(), "0.30");
        assert_eq!(
            line_total(Money::new(d("999.99")), 2).unwrap().to_string(),
            "1999.98"
        );
        assert!(line_total(Money::new(d("9999999999.99")), 2).is_none());
    }
}
