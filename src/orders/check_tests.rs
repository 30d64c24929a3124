//! Unit tests of `orders::check`: parsing and checking without a database.

use super::*;
use serde_json::json;

/// The problems by dotted path, in DRF's words (how each face nests them is the face's to test).
fn problems(errors: &FieldErrors) -> serde_json::Value {
    let by_path = errors.fields.iter().map(|(path, problems)| {
        let words = problems.iter().map(Problem::drf).collect::<Vec<_>>();
        (path.to_string(), json!(words))
    });
    serde_json::Value::Object(by_path.collect())
}

fn product(id: i64, price: &str) -> product::Model {
    let now = crate::time::now();
    product::Model {
        id,
        name: format!("P{id}"),
        slug: format!("p{id}"),
        description: None,
        sku: format!("SKU{id}"),
        price: Money::new(Decimal::from_str_exact(price).unwrap()),
        created_at: now,
        updated_at: now,
        category_id: 1,
        created_by_id: None,
    }
}

fn stock(id: i64, product_id: i64) -> stock::Model {
    stock::Model {
        id,
        quantity: 10,
        updated_at: crate::time::now(),
        location_id: 1,
        product_id,
    }
}

fn item(product: i64, quantity: i64, price: Option<&str>, stock: Option<i64>) -> NewItem {
    NewItem {
        product_id: Some(product),
        quantity: Some(quantity),
        price: price.map(|p| Decimal::from_str_exact(p).unwrap()),
        stock_id: stock,
    }
}

fn refs() -> References {
    References {
        products: [(1, product(1, "999.99")), (2, product(2, "0.10"))]
            .into_iter()
            .collect(),
        stocks: [(10, stock(10, 1))].into_iter().collect(),
        strays: [(20, stock(20, 2))].into_iter().collect(),
        customer_exists: None,
    }
}

fn order(items: Vec<NewItem>) -> NewOrder {
    NewOrder {
        items,
        ..Default::default()
    }
}

#[test]
fn parsing_types_quantities_and_prices_and_resolves_defaults() {
    let parsed = parse(
        order(vec![
            item(1, 0, Some("1.005"), None),
            item(2, i64::from(i32::MAX) + 1, None, Some(10)),
            item(2, 3, Some("2.50"), None),
        ]),
        7,
    );
    assert_eq!(parsed.customer_id, 7);
    assert_eq!(parsed.status, OrderStatus::Pending);
    assert_eq!(parsed.lines[0].quantity, None);
    assert_eq!(parsed.lines[0].price, LinePrice::Invalid);
    assert_eq!(parsed.lines[1].price, LinePrice::Product);
    assert_eq!(parsed.lines[2].quantity, Some(3));
    assert_eq!(
        parsed.lines[2].price,
        LinePrice::Given(Money::new(Decimal::new(250, 2)))
    );
    assert_eq!(parsed.product_ids(), vec![1, 2]);
    assert_eq!(parsed.stock_ids(), vec![10]);
    assert_eq!(
        problems(&parsed.errors),
        json!({
            "items.0.price": ["Ensure that there are no more than 2 decimal places."],
            "items.0.quantity": ["Ensure this value is greater than or equal to 1."],
            "items.1.quantity": ["Ensure this value is less than or equal to 2147483647."],
        })
    );
    let empty = parse(order(vec![]), 7);
    assert_eq!(
        problems(&empty.errors),
        json!({"items": ["This list may not be empty."]})
    );
}

#[test]
fn a_valid_order_becomes_its_lines_and_exact_total() {
    let placed = check(
        parse(
            order(vec![
                item(1, 2, None, Some(10)),
                item(2, 3, Some("0.1"), None),
            ]),
            7,
        ),
        &refs(),
    )
    .unwrap();
    assert_eq!(placed.total.to_string(), "2000.28");
    assert_eq!(
        placed.lines,
        vec![
            Placed {
                product_id: 1,
                quantity: 2,
                price: Money::new(Decimal::new(99_999, 2)),
                stock_id: Some(10),
            },
            Placed {
                product_id: 2,
                quantity: 3,
                price: Money::new(Decimal::new(1, 1)),
                stock_id: None,
            },
        ]
    );
}

#[test]
fn every_reference_problem_at_once() {
    let mut refs = refs();
    refs.customer_exists = Some(false);
    let mut input = order(vec![
        item(1, 1, None, Some(20)),
        item(1, 1, None, None),
        item(99, 1, None, Some(98)),
    ]);
    input.customer_id = Some(5);
    let errors = check(parse(input, 7), &refs).unwrap_err();
    assert_eq!(
        problems(&errors),
        json!({
            "customer_id": ["Invalid pk \"5\" - object does not exist."],
            "items.0.stock_id": ["Stock 20 does not hold product 1."],
            "items.1.product_id": ["This product is already in the order."],
            "items.2.product_id": ["Invalid pk \"99\" - object does not exist."],
            "items.2.stock_id": ["Invalid pk \"98\" - object does not exist."],
        })
    );
}

#[test]
fn a_total_beyond_the_column_is_refused() {
    let errors = check(
        parse(
            order(vec![
                item(1, 1, Some("9999999999.99"), None),
                item(2, 1, Some("0.01"), None),
            ]),
            7,
        ),
        &refs(),
    )
    .unwrap_err();
    assert_eq!(
        problems(&errors),
        json!({"items": ["The order total exceeds 9999999999.99."]})
    );
}
