//! How payments are filtered and sorted.

use async_graphql::{Enum, InputObject};
use entity::{order, payment};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};

use crate::filters::relation::related;
use crate::filters::{
    DateTimeFilter, DecimalFilter, EnumFilter, IntFilter, SortDirection, StringFilter, model_filter,
};
use crate::listing::{KeyKind, KeyValue, Sort, SortKey};
use crate::orders::filter::OrderFilter;
use crate::payments::status::PaymentStatus;

pub type PaymentStatusFilter = EnumFilter<PaymentStatus>;

fn col(c: payment::Column) -> Expr {
    Expr::col((payment::Entity, c))
}

model_filter! {
    /// Which payments match: every given field must.
    pub struct PaymentFilter {
        id: IntFilter => col(payment::Column::Id),
        /// The order's id.
        order: IntFilter => col(payment::Column::OrderId),
        status: PaymentStatusFilter => col(payment::Column::Status),
        payment_method: StringFilter => col(payment::Column::PaymentMethod),
        amount: DecimalFilter => col(payment::Column::Amount),
        paid_at: DateTimeFilter => col(payment::Column::PaidAt),
        created_at: DateTimeFilter => col(payment::Column::CreatedAt),
    }
    relations {
        /// The payment's order matches (any `OrderFilter`: its status, customer, items, ...).
        order_where: Box<OrderFilter> => |f| order_matches(f),
    }
}

/// Payments whose order matches `f`: a correlated `EXISTS` on the order's primary key.
fn order_matches(f: &OrderFilter) -> Condition {
    let link = Expr::col((order::Entity, order::Column::Id)).eq(col(payment::Column::OrderId));
    Condition::all().add(Expr::exists(related(order::Entity, link, f.condition())))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum PaymentSortField {
    Id,
    CreatedAt,
    PaidAt,
    Amount,
    Status,
}

#[derive(Debug, Clone, Copy, InputObject)]
pub struct PaymentSort {
    pub field: PaymentSortField,
    #[graphql(default_with = "SortDirection::Asc")]
    pub direction: SortDirection,
}

fn key(field: PaymentSortField, descending: bool) -> SortKey {
    let (name, column, kind, nullable) = match field {
        PaymentSortField::Id => ("id", payment::Column::Id, KeyKind::Int, false),
        PaymentSortField::CreatedAt => (
            "created_at",
            payment::Column::CreatedAt,
            KeyKind::Time,
            false,
        ),
        PaymentSortField::PaidAt => ("paid_at", payment::Column::PaidAt, KeyKind::Time, true),
        PaymentSortField::Amount => ("amount", payment::Column::Amount, KeyKind::Money, false),
        PaymentSortField::Status => ("status", payment::Column::Status, KeyKind::Text, false),
    };
    SortKey {
        name,
        column: col(column),
        kind,
        nullable,
        descending,
    }
}

/// The requested order, ending with `id`; newest first by default.
pub fn sort(order_by: &[PaymentSort]) -> Sort {
    Sort::of(
        order_by
            .iter()
            .map(|s| key(s.field, s.direction == SortDirection::Desc)),
        |descending| key(PaymentSortField::Id, descending),
    )
}

pub fn key_values(sort: &Sort, p: &payment::Model) -> Vec<KeyValue> {
    sort.keys
        .iter()
        .map(|k| match k.name {
            "id" => KeyValue::Int(p.id),
            "created_at" => KeyValue::Time(p.created_at),
            "paid_at" => p.paid_at.map(KeyValue::Time).unwrap_or(KeyValue::Null),
            "amount" => KeyValue::Money(p.amount.0),
            _ => KeyValue::Text(p.status.clone()),
        })
        .collect()
}
