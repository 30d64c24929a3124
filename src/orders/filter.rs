//! How orders are filtered and sorted: the `OrderFilter` input with `and`/`or`/`not`, the
//! sortable fields, and the keyset sort they make.

use async_graphql::{Enum, InputObject};
use entity::order;
use sea_orm::sea_query::Expr;

use crate::filters::{
    DateTimeFilter, DecimalFilter, EnumFilter, IntFilter, SortDirection, model_filter,
};
use crate::listing::{KeyKind, KeyValue, Sort, SortKey};
use crate::orders::relation_filter::{
    OrderItemsFilter, OrderPaymentsFilter, UserFilter, customer_matches, items_match,
    payments_match,
};
use crate::orders::status::OrderStatus;

pub type OrderStatusFilter = EnumFilter<OrderStatus>;

fn col(c: order::Column) -> Expr {
    Expr::col((order::Entity, c))
}

model_filter! {
    /// Which orders match: every given field must.
    pub struct OrderFilter {
        id: IntFilter => col(order::Column::Id),
        /// The customer's user id.
        customer: IntFilter => col(order::Column::CustomerId),
        status: OrderStatusFilter => col(order::Column::Status),
        total_amount: DecimalFilter => col(order::Column::TotalAmount),
        created_at: DateTimeFilter => col(order::Column::CreatedAt),
        updated_at: DateTimeFilter => col(order::Column::UpdatedAt),
    }
    relations {
        /// The customer matches (their id, username or email).
        customer_where: UserFilter => customer_matches,
        /// Which of the order's items match: `some`, `every` (true for an order without
        /// items) or `none`.
        items: OrderItemsFilter => items_match,
        /// Which of the order's payments match: `some`, `every` (true for an order without
        /// payments) or `none`.
        payments: OrderPaymentsFilter => payments_match,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum OrderSortField {
    Id,
    CreatedAt,
    UpdatedAt,
    TotalAmount,
    Status,
}

#[derive(Debug, Clone, Copy, InputObject)]
pub struct OrderSort {
    pub field: OrderSortField,
    #[graphql(default_with = "SortDirection::Asc")]
    pub direction: SortDirection,
}

fn key(field: OrderSortField, descending: bool) -> SortKey {
    let (name, column, kind) = match field {
        OrderSortField::Id => ("id", order::Column::Id, KeyKind::Int),
        OrderSortField::CreatedAt => ("created_at", order::Column::CreatedAt, KeyKind::Time),
        OrderSortField::UpdatedAt => ("updated_at", order::Column::UpdatedAt, KeyKind::Time),
        OrderSortField::TotalAmount => ("total_amount", order::Column::TotalAmount, KeyKind::Money),
        OrderSortField::Status => ("status", order::Column::Status, KeyKind::Text),
    };
    SortKey {
        name,
        column: col(column),
        kind,
        nullable: false,
        descending,
    }
}

/// The requested order, ending with `id` so it is total; newest first by default.
pub fn sort(order_by: &[OrderSort]) -> Sort {
    Sort::of(
        order_by
            .iter()
            .map(|s| key(s.field, s.direction == SortDirection::Desc)),
        |descending| key(OrderSortField::Id, descending),
    )
}

/// The values of `sort`'s keys in one order.
pub fn key_values(sort: &Sort, o: &order::Model) -> Vec<KeyValue> {
    sort.keys
        .iter()
        .map(|k| match k.name {
            "id" => KeyValue::Int(o.id),
            "created_at" => KeyValue::Time(o.created_at),
            "updated_at" => KeyValue::Time(o.updated_at),
            "total_amount" => KeyValue::Money(o.total_amount.0),
            _ => KeyValue::Text(o.status.clone()),
        })
        .collect()
}
