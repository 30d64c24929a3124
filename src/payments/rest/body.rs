//! The write body of payments: what `POST`, `PUT` and `PATCH` read (every type problem at once,
//! with DRF's messages, through `rest::form`) and, from the same type, its OpenAPI schema.
//! A field the serializer requires is an `Option` marked `required`: `None` when it was missing
//! or unreadable, its problem then being in the body's `FieldErrors`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{AppResult, FieldErrors};
use crate::payments::rest::repr::status_schema;
use crate::payments::service::{NewPayment, PaymentChange};
use crate::payments::status::PaymentStatus;
use crate::rest::fields::Form;
use crate::rest::repr::{decimal_input_schema, id_input_schema};

/// A new payment (`POST`), or the whole of one (`PUT`); `PATCH` takes any of its fields.
// (the `PATCH` schema is derived from this one by `rest::resource_doc`)
#[derive(Debug, Default, ToSchema)]
pub struct PaymentWrite {
    #[schema(required, schema_with = id_input_schema)]
    pub order_id: Option<i64>,
    #[schema(required, schema_with = decimal_input_schema)]
    pub amount: Option<Decimal>,
    #[schema(value_type = String, min_length = 1, max_length = 50, example = "PayPal")]
    pub payment_method: Option<String>,
    /// Defaults to `pending`.
    #[schema(schema_with = status_schema)]
    pub status: Option<PaymentStatus>,
    /// When it was paid (updates only; becoming `completed` sets it to now unless given).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paid_at: Option<Option<DateTime<Utc>>>,
}

impl PaymentWrite {
    /// The fields of `form` (whole, or partial for `PATCH`). `paid_at` is the domain's to set
    /// on creation: a `POST` (`creating`) does not read it.
    fn read(form: &Form, creating: bool, errors: &mut FieldErrors) -> PaymentWrite {
        PaymentWrite {
            order_id: form.pk("order_id", true, errors),
            amount: form.decimal("amount", true, errors),
            payment_method: form.text("payment_method", true, errors),
            status: form.choice("status", false, errors),
            paid_at: match creating {
                true => None,
                false => form.nullable_datetime("paid_at", errors),
            },
        }
    }

    /// A `POST` body as DRF's payment serializer reads it.
    pub fn new_payment(body: &Value) -> AppResult<NewPayment> {
        let mut errors = FieldErrors::new();
        let write = PaymentWrite::read(&Form::root(body, false)?, true, &mut errors);
        Ok(NewPayment {
            order_id: write.order_id,
            amount: write.amount,
            payment_method: write.payment_method,
            status: write.status,
            errors,
        })
    }

    /// A `PUT` (`partial: false`) or `PATCH` body. A null `paid_at` leaves it as it is (the
    /// domain keeps `paid_at` of a completed payment).
    pub fn change(body: &Value, partial: bool) -> AppResult<PaymentChange> {
        let mut errors = FieldErrors::new();
        let write = PaymentWrite::read(&Form::root(body, partial)?, false, &mut errors);
        Ok(PaymentChange {
            status: write.status,
            amount: write.amount,
            payment_method: write.payment_method,
            paid_at: write.paid_at.flatten(),
            order_id: write.order_id,
            errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::errors::field_map;
    use serde_json::json;

    #[test]
    fn documented_body_reads_exactly() {
        let new = PaymentWrite::new_payment(&json!({
            "order_id": 1, "amount": 999.99, "payment_method": "PayPal", "status": "pending"
        }))
        .unwrap();
        assert!(new.errors.is_empty());
        assert_eq!(new.amount, Some(rust_decimal::Decimal::new(99_999, 2)));
        assert_eq!(new.payment_method.as_deref(), Some("PayPal"));
        assert_eq!(new.status, Some(PaymentStatus::Pending));
    }

    #[test]
    fn type_errors_at_once() {
        let new = PaymentWrite::new_payment(
            &json!({"amount": "lots", "payment_method": [], "status": "bogus"}),
        )
        .unwrap();
        assert_eq!(
            field_map(&new.errors),
            json!({
                "amount": ["A valid number is required."],
                "order_id": ["This field is required."],
                "payment_method": ["Not a valid string."],
                "status": ["\"bogus\" is not a valid choice."],
            })
        );
        let patch =
            PaymentWrite::change(&json!({"status": "completed", "paid_at": "noon"}), true).unwrap();
        assert_eq!(
            field_map(&patch.errors),
            json!({"paid_at": ["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]})
        );
    }

    /// The schema says what the parser reads (a wrong value under each property is refused
    /// under that name) and requires (an empty body is refused under exactly those names).
    #[test]
    fn the_schema_is_what_the_parser_reads() {
        use crate::rest::repr::{problem_paths, schema_fields};
        let (mut properties, mut required) = schema_fields::<PaymentWrite>();
        properties.sort();
        required.sort();
        let missing = PaymentWrite::change(&json!({}), false).unwrap();
        assert_eq!(problem_paths(&missing.errors), required);
        let wrong = properties
            .iter()
            .map(|n| (n.clone(), json!(true)))
            .collect();
        let refused = PaymentWrite::change(&Value::Object(wrong), true).unwrap();
        assert_eq!(problem_paths(&refused.errors), properties);
    }
}
