//! Placing an order without the database: the input parsed into typed lines (`parse`), then
//! checked against the references loaded for it (`check`), which answers the lines to write or
//! every field error at once. `orders::placing` runs the two around one read and one write.

use std::collections::HashSet;

use entity::{Money, product, stock};
use rust_decimal::Decimal;

use crate::db::IdMap;
use crate::error::{FieldErrors, FieldPath, Problem};
use crate::money;
use crate::orders::status::OrderStatus;

/// One line of a new order, as parsed by a face (`None`: missing or unparseable, in which case
/// the face has already recorded the problem).
#[derive(Debug, Clone, Default)]
pub struct NewItem {
    pub product_id: Option<i64>,
    pub quantity: Option<i64>,
    /// Defaults to the product's price.
    pub price: Option<Decimal>,
    pub stock_id: Option<i64>,
}

/// A new order. `errors` holds what the face found while parsing, so that the client gets
/// every problem at once.
#[derive(Debug, Clone, Default)]
pub struct NewOrder {
    /// Defaults to the caller.
    pub customer_id: Option<i64>,
    /// Defaults to pending.
    pub status: Option<OrderStatus>,
    pub items: Vec<NewItem>,
    pub errors: FieldErrors,
}

/// The price of a parsed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinePrice {
    /// None given: the product's own.
    Product,
    Given(Money),
    /// Given, and refused (the problem is recorded).
    Invalid,
}

/// A line with its quantity and price in range (`None`: missing or refused, recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub product_id: Option<i64>,
    pub quantity: Option<i32>,
    pub price: LinePrice,
    pub stock_id: Option<i64>,
}

/// A new order with its defaults resolved and its lines typed.
#[derive(Debug, Clone)]
pub struct ParsedOrder {
    pub customer_id: i64,
    pub status: OrderStatus,
    pub lines: Vec<Line>,
    pub errors: FieldErrors,
}

impl ParsedOrder {
    /// The products the lines name, each once.
    pub fn product_ids(&self) -> Vec<i64> {
        crate::db::distinct_ids(self.lines.iter().filter_map(|l| l.product_id))
    }

    /// The stock rows the lines name, each once.
    pub fn stock_ids(&self) -> Vec<i64> {
        crate::db::distinct_ids(self.lines.iter().filter_map(|l| l.stock_id))
    }
}

fn item_path(index: usize, field: &str) -> FieldPath {
    FieldPath::item("items", index, field)
}

/// Types the input: quantities from 1 to `i32::MAX`, prices as `numeric(12, 2)` money, the
/// customer (the caller by default) and status (pending by default); an empty order is
/// refused here.
pub fn parse(input: NewOrder, caller_id: i64) -> ParsedOrder {
    let mut errors = input.errors;
    let items_path = FieldPath::field("items");
    if input.items.is_empty() && !errors.has(&items_path) {
        errors.add(items_path, Problem::EmptyList);
    }
    errors.set_list_len("items", input.items.len());
    let lines = input
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| Line {
            product_id: item.product_id,
            quantity: item.quantity.and_then(|q| match i32::try_from(q) {
                Ok(q) if q >= 1 => Some(q),
                _ if q < 1 => {
                    errors.add(item_path(i, "quantity"), Problem::MinValue(1));
                    None
                }
                _ => {
                    errors.add(item_path(i, "quantity"), Problem::MaxValue(i32::MAX as i64));
                    None
                }
            }),
            price: match item.price.map(money::price) {
                None => LinePrice::Product,
                Some(Ok(m)) => LinePrice::Given(m),
                Some(Err(problems)) => {
                    for p in problems {
                        errors.add(item_path(i, "price"), p);
                    }
                    LinePrice::Invalid
                }
            },
            stock_id: item.stock_id,
        })
        .collect();
    ParsedOrder {
        customer_id: input.customer_id.unwrap_or(caller_id),
        status: input.status.unwrap_or(OrderStatus::Pending),
        lines,
        errors,
    }
}

/// What a new order refers to, as loaded for it.
#[derive(Debug, Default)]
pub struct References {
    pub products: IdMap<product::Model>,
    /// Named stock rows that hold the product of their line.
    pub stocks: IdMap<stock::Model>,
    /// Other named stock rows (of another product), when there are any.
    pub strays: IdMap<stock::Model>,
    /// Whether the customer exists; `None` when the caller is the customer.
    pub customer_exists: Option<bool>,
}

/// A line to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub product_id: i64,
    pub quantity: i32,
    pub price: Money,
    pub stock_id: Option<i64>,
}

/// An order that passed every check: its lines, in the order given, and its exact total.
#[derive(Debug, Clone)]
pub struct Placement {
    pub customer_id: i64,
    pub status: OrderStatus,
    pub lines: Vec<Placed>,
    pub total: Decimal,
}

/// Checks the order against its references: every product and stock row exists, a stock row
/// holds its line's product, no product twice, the customer exists, the total fits
/// `numeric(12, 2)`. Every problem at once, with the parser's own.
pub fn check(order: ParsedOrder, refs: &References) -> Result<Placement, FieldErrors> {
    let mut errors = order.errors;
    if refs.customer_exists == Some(false) {
        errors.add_field(
            "customer_id",
            Problem::DoesNotExist(order.customer_id.to_string()),
        );
    }
    let mut lines = Vec::with_capacity(order.lines.len());
    let mut seen = HashSet::new();
    let mut total = Some(Decimal::ZERO);
    for (i, line) in order.lines.iter().enumerate() {
        let product = line.product_id.and_then(|pid| {
            let found = refs.products.get(&pid);
            if found.is_none() {
                errors.add(
                    item_path(i, "product_id"),
                    Problem::DoesNotExist(pid.to_string()),
                );
            } else if !seen.insert(pid) {
                errors.add(
                    item_path(i, "product_id"),
                    Problem::Rule("This product is already in the order.".into()),
                );
            }
            found
        });
        if let Some(sid) = line.stock_id {
            match refs.stocks.get(&sid).or_else(|| refs.strays.get(&sid)) {
                None => errors.add(
                    item_path(i, "stock_id"),
                    Problem::DoesNotExist(sid.to_string()),
                ),
                Some(s) if line.product_id.is_some_and(|pid| pid != s.product_id) => errors.add(
                    item_path(i, "stock_id"),
                    Problem::Rule(format!(
                        "Stock {sid} does not hold product {}.",
                        line.product_id.unwrap_or(0)
                    )),
                ),
                Some(_) => {}
            }
        }
        let price = match line.price {
            LinePrice::Given(m) => Some(m),
            LinePrice::Product => product.map(|p| p.price),
            LinePrice::Invalid => None,
        };
        if let (Some(product), Some(quantity), Some(price)) = (product, line.quantity, price) {
            total = total
                .zip(money::line_total(price, quantity as i64))
                .and_then(|(sum, t)| sum.checked_add(t))
                .filter(|sum| *sum <= money::max_amount());
            lines.push(Placed {
                product_id: product.id,
                quantity,
                price,
                stock_id: line.stock_id,
            });
        }
    }
    let Some(total) = total else {
        errors.add_field(
            "items",
            Problem::Rule("The order total exceeds 9999999999.99.".into()),
        );
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Placement {
        customer_id: order.customer_id,
        status: order.status,
        lines,
        total,
    })
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
