//! How orders are filtered and sorted: the `OrderFilter` input with `and`/`or`/`not`, the
//! sortable fields, and the keyset sort they make.

use async_graphql::{Enum, InputObject};
use entity::order;
use sea_orm::sea_query::{Condition, Expr};

use crate::filters::{
    DateTimeFilter, DecimalFilter, IntFilter, SortDirection, combine, enum_condition,
};
use crate::listing::{KeyKind, KeyValue, Sort, SortKey};
use crate::orders::status::OrderStatus;

#[derive(Debug, Clone, Default, InputObject)]
pub struct OrderStatusFilter {
    pub eq: Option<OrderStatus>,
    pub ne: Option<OrderStatus>,
    #[graphql(name = "in")]
    pub in_list: Option<Vec<OrderStatus>>,
    pub not_in: Option<Vec<OrderStatus>>,
}

#[derive(Debug, Clone, Default, InputObject)]
pub struct OrderFilter {
    pub id: Option<IntFilter>,
    /// The customer's user id.
    pub customer: Option<IntFilter>,
    pub status: Option<OrderStatusFilter>,
    pub total_amount: Option<DecimalFilter>,
    pub created_at: Option<DateTimeFilter>,
    pub updated_at: Option<DateTimeFilter>,
    pub and: Option<Vec<OrderFilter>>,
    pub or: Option<Vec<OrderFilter>>,
    pub not: Option<Box<OrderFilter>>,
}

fn col(c: order::Column) -> Expr {
    Expr::col((order::Entity, c))
}

impl OrderFilter {
    pub fn condition(&self) -> Condition {
        let fields = Condition::all()
            .add_option(
                self.id
                    .as_ref()
                    .map(|f| f.condition(&col(order::Column::Id))),
            )
            .add_option(
                self.customer
                    .as_ref()
                    .map(|f| f.condition(&col(order::Column::CustomerId))),
            )
            .add_option(self.status.as_ref().map(|f| {
                enum_condition(
                    &col(order::Column::Status),
                    OrderStatus::as_str,
                    f.eq,
                    f.ne,
                    f.in_list.as_deref(),
                    f.not_in.as_deref(),
                )
            }))
            .add_option(
                self.total_amount
                    .as_ref()
                    .map(|f| f.condition(&col(order::Column::TotalAmount))),
            )
            .add_option(
                self.created_at
                    .as_ref()
                    .map(|f| f.condition(&col(order::Column::CreatedAt))),
            )
            .add_option(
                self.updated_at
                    .as_ref()
                    .map(|f| f.condition(&col(order::Column::UpdatedAt))),
            );
        combine(
            fields,
            self.and.as_deref(),
            self.or.as_deref(),
            self.not.as_deref(),
            Self::condition,
        )
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
