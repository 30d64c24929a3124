//! The write body of orders: what `POST`, `PUT` and `PATCH` read (every type problem at once,
//! with DRF's messages, through `rest::form`) and, from the same types, their OpenAPI schemas.
//! A field the serializer requires is an `Option` marked `required`: `None` when it was missing
//! or unreadable, its problem then being in the body's `FieldErrors`.

use rust_decimal::Decimal;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{AppResult, FieldErrors};
use crate::orders::rest::repr::status_schema;
use crate::orders::service::{EchoedItem, NewItem, NewOrder, OrderChange};
use crate::orders::status::OrderStatus;
use crate::rest::fields::Form;
use crate::rest::repr::{decimal_input_schema, id_input_schema};

/// A new order (`POST`), or the whole of one (`PUT`: only `status` and `customer_id` change;
/// `items`, required by `PUT` as DRF requires it, must equal the order's own); `PATCH` takes
/// any of its fields.
// (the `PATCH` schema is derived from this one by `rest::resource_doc`)
#[derive(Debug, Default, ToSchema)]
pub struct OrderWrite {
    #[schema(required, schema_with = id_input_schema)]
    pub customer_id: Option<i64>,
    /// Defaults to `pending`.
    #[schema(schema_with = status_schema)]
    pub status: Option<OrderStatus>,
    /// On a change, accepted only when equal to the order's own items.
    #[schema(value_type = Vec<OrderItemWrite>, min_items = 1)]
    pub items: Option<Vec<OrderItemWrite>>,
}

/// One line of a new order.
#[derive(Debug, Default, ToSchema)]
pub struct OrderItemWrite {
    #[schema(required, schema_with = id_input_schema)]
    pub product_id: Option<i64>,
    #[schema(value_type = i64, minimum = 1, example = 2)]
    pub quantity: Option<i64>,
    #[schema(required, schema_with = decimal_input_schema)]
    pub price: Option<Decimal>,
    /// The stock row to take the units from (its quantity goes down).
    #[schema(schema_with = id_input_schema)]
    pub stock_id: Option<Option<i64>>, // `Some(None)`: sent as null
}

impl OrderWrite {
    /// The fields of `form` (whole, or partial for `PATCH`).
    fn read(form: &Form, errors: &mut FieldErrors) -> OrderWrite {
        let mut write = OrderWrite {
            customer_id: form.pk("customer_id", true, errors),
            status: form.choice("status", false, errors),
            items: None,
        };
        if let Some(list) = form.list("items", true, errors) {
            errors.set_list_len("items", list.len());
            let items = list.iter().enumerate().map(|(i, value)| {
                form.element("items", i, value, errors)
                    .map(|f| OrderItemWrite::read(&f, errors))
                    .unwrap_or_default()
            });
            write.items = Some(items.collect());
        }
        write
    }

    /// A `POST` body as DRF's order serializer reads it (`customer_id` and `items` required).
    pub fn new_order(body: &Value) -> AppResult<NewOrder> {
        let mut errors = FieldErrors::new();
        let write = OrderWrite::read(&Form::root(body, false)?, &mut errors);
        Ok(NewOrder {
            customer_id: write.customer_id,
            status: write.status,
            items: write
                .items
                .unwrap_or_default()
                .into_iter()
                .map(|i| NewItem {
                    product_id: i.product_id,
                    quantity: i.quantity,
                    price: i.price,
                    stock_id: i.stock_id.flatten(),
                })
                .collect(),
            errors,
        })
    }

    /// A `PUT` (`partial: false`) or `PATCH` body.
    pub fn change(body: &Value, partial: bool) -> AppResult<OrderChange> {
        let mut errors = FieldErrors::new();
        let write = OrderWrite::read(&Form::root(body, partial)?, &mut errors);
        let echoed = |i: OrderItemWrite| EchoedItem {
            product_id: i.product_id,
            quantity: i.quantity,
            price: i.price,
            stock_id: i.stock_id,
        };
        Ok(OrderChange {
            status: write.status,
            customer_id: write.customer_id,
            items: write
                .items
                .map(|items| items.into_iter().map(echoed).collect()),
            errors,
        })
    }
}

impl OrderItemWrite {
    fn read(form: &Form, errors: &mut FieldErrors) -> OrderItemWrite {
        OrderItemWrite {
            product_id: form.pk("product_id", true, errors),
            quantity: form.integer("quantity", true, errors),
            price: form.decimal("price", true, errors),
            stock_id: form.nullable_pk("stock_id", errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::errors::field_map;
    use serde_json::json;

    #[test]
    fn every_type_error_at_once() {
        let new = OrderWrite::new_order(&json!({
            "customer_id": "abc",
            "status": "bogus",
            "items": [
                {"product_id": 1, "quantity": 2, "price": "999.99", "stock_id": 1},
                {"product_id": 1, "quantity": "two", "price": "x"},
            ],
        }))
        .unwrap();
        assert_eq!(new.items.len(), 2);
        assert_eq!(
            new.items[0].price,
            Some(rust_decimal::Decimal::new(99_999, 2))
        );
        assert_eq!(
            field_map(&new.errors),
            json!({
                "customer_id": ["Incorrect type. Expected pk value, received str."],
                "items": [{}, {
                    "price": ["A valid number is required."],
                    "quantity": ["A valid integer is required."],
                }],
                "status": ["\"bogus\" is not a valid choice."],
            })
        );
        let missing = OrderWrite::new_order(&json!({})).unwrap();
        assert_eq!(
            field_map(&missing.errors),
            json!({"customer_id": ["This field is required."], "items": ["This field is required."]})
        );
    }

    #[test]
    fn changes_full_and_partial() {
        let full = OrderWrite::change(&json!({"status": "cancelled"}), false).unwrap();
        assert_eq!(
            field_map(&full.errors),
            json!({"customer_id": ["This field is required."], "items": ["This field is required."]})
        );
        let patch = OrderWrite::change(&json!({"status": "confirmed"}), true).unwrap();
        assert!(patch.errors.is_empty());
        assert_eq!(patch.status, Some(OrderStatus::Confirmed));
        let echo = OrderWrite::change(
            &json!({"items": [{"product_id": 1, "quantity": 1, "price": "999.99", "stock_id": null}]}),
            true,
        )
        .unwrap();
        assert_eq!(echo.items.unwrap()[0].stock_id, Some(None));
    }

    /// The schemas say what the parser reads (a wrong value under each property is refused
    /// under that name) and requires (an empty body is refused under exactly those names).
    #[test]
    fn the_schemas_are_what_the_parser_reads() {
        use crate::rest::repr::{problem_paths, schema_fields};
        let wrong = |names: &[String]| names.iter().map(|n| (n.clone(), json!(true))).collect();
        let sorted = |mut names: Vec<String>| {
            names.sort();
            names
        };

        let (properties, required) = schema_fields::<OrderWrite>();
        let missing = OrderWrite::change(&json!({}), false).unwrap();
        assert_eq!(problem_paths(&missing.errors), sorted(required));
        let refused = OrderWrite::change(&Value::Object(wrong(&properties)), true).unwrap();
        let items_refused = |p: &String| p.replace("items.non_field_errors", "items");
        let paths: Vec<String> = problem_paths(&refused.errors)
            .iter()
            .map(items_refused)
            .collect();
        assert_eq!(paths, sorted(properties));

        let (properties, required) = schema_fields::<OrderItemWrite>();
        let at =
            |names: Vec<String>| sorted(names.iter().map(|n| format!("items.0.{n}")).collect());
        let missing = OrderWrite::change(&json!({"items": [{}]}), false).unwrap();
        let in_items = |paths: Vec<String>| paths.into_iter().filter(|p| p.starts_with("items."));
        let missing: Vec<String> = in_items(problem_paths(&missing.errors)).collect();
        assert_eq!(missing, at(required));
        let item = Value::Object(wrong(&properties));
        let refused = OrderWrite::change(&json!({ "items": [item] }), true).unwrap();
        assert_eq!(problem_paths(&refused.errors), at(properties));
    }
}
