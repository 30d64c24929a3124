//! How payments are filtered and sorted.

use async_graphql::{Enum, InputObject};
use entity::payment;
use sea_orm::sea_query::{Condition, Expr};

use crate::filters::{
    DateTimeFilter, DecimalFilter, IntFilter, SortDirection, StringFilter, combine, enum_condition,
};
use crate::listing::{KeyKind, KeyValue, Sort, SortKey};
use crate::payments::status::PaymentStatus;

#[derive(Debug, Clone, Default, InputObject)]
pub struct PaymentStatusFilter {
    pub eq: Option<PaymentStatus>,
    pub ne: Option<PaymentStatus>,
    #[graphql(name = "in")]
    pub in_list: Option<Vec<PaymentStatus>>,
    pub not_in: Option<Vec<PaymentStatus>>,
}

#[derive(Debug, Clone, Default, InputObject)]
pub struct PaymentFilter {
    pub id: Option<IntFilter>,
    /// The order's id.
    pub order: Option<IntFilter>,
    pub status: Option<PaymentStatusFilter>,
    pub payment_method: Option<StringFilter>,
    pub amount: Option<DecimalFilter>,
    pub paid_at: Option<DateTimeFilter>,
    pub created_at: Option<DateTimeFilter>,
    pub and: Option<Vec<PaymentFilter>>,
    pub or: Option<Vec<PaymentFilter>>,
    pub not: Option<Box<PaymentFilter>>,
}

fn col(c: payment::Column) -> Expr {
    Expr::col((payment::Entity, c))
}

impl PaymentFilter {
    pub fn condition(&self) -> Condition {
        let fields = Condition::all()
            .add_option(
                self.id
                    .as_ref()
                    .map(|f| f.condition(&col(payment::Column::Id))),
            )
            .add_option(
                self.order
                    .as_ref()
                    .map(|f| f.condition(&col(payment::Column::OrderId))),
            )
            .add_option(self.status.as_ref().map(|f| {
                enum_condition(
                    &col(payment::Column::Status),
                    PaymentStatus::as_str,
                    f.eq,
                    f.ne,
                    f.in_list.as_deref(),
                    f.not_in.as_deref(),
                )
            }))
            .add_option(
                self.payment_method
                    .as_ref()
                    .map(|f| f.condition(&col(payment::Column::PaymentMethod))),
            )
            .add_option(
                self.amount
                    .as_ref()
                    .map(|f| f.condition(&col(payment::Column::Amount))),
            )
            .add_option(
                self.paid_at
                    .as_ref()
                    .map(|f| f.condition(&col(payment::Column::PaidAt))),
            )
            .add_option(
                self.created_at
                    .as_ref()
                    .map(|f| f.condition(&col(payment::Column::CreatedAt))),
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
