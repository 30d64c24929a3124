//! The filter operators of the list inputs (CONTRACT §4), and how each becomes SQL.
//!
//! These structs are the input shapes of the GraphQL API (hence the `InputObject` derive); the
//! REST face builds the same structs from its query string, so both filter through one path.
//! A model's filter (`OrderFilter`, `ProductFilter`, ...) is declared once with
//! [`model_filter!`](crate::filters::model_filter): its fields, their operators and columns.

mod model;
pub mod relation;

use async_graphql::{Enum, InputObject, InputType};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, LikeExpr, Value};

use crate::choice::StoredChoice;
use crate::orders::status::OrderStatus;
use crate::payments::status::PaymentStatus;
use crate::scalars::{Dec, Timestamp};

pub(crate) use model::model_filter;

/// An operator input (`IntFilter`, `StringFilter`, ...) over one column.
pub trait ColumnFilter {
    /// The rows whose `col` matches every given operator.
    fn condition(&self, col: &Expr) -> Condition;
}

/// `fields` (a filter's own conditions) with the filter's `and`, `or` and `not`, each nested
/// filter's condition made by `condition`. An empty `or` matches nothing, as an empty
/// disjunction should.
pub fn combine<F>(
    fields: Condition,
    and: Option<&[F]>,
    or: Option<&[F]>,
    not: Option<&F>,
    condition: impl Fn(&F) -> Condition,
) -> Condition {
    let mut all = fields;
    for f in and.unwrap_or_default() {
        all = all.add(condition(f));
    }
    if let Some(list) = or {
        all = all.add(if list.is_empty() {
            Condition::any().add(Expr::val(1).eq(0))
        } else {
            list.iter()
                .fold(Condition::any(), |any, f| any.add(condition(f)))
        });
    }
    match not {
        Some(f) => all.add(condition(f).not()),
        None => all,
    }
}

#[derive(Debug, Clone, Default, InputObject)]
pub struct IntFilter {
    pub eq: Option<i64>,
    pub ne: Option<i64>,
    #[graphql(name = "in")]
    pub in_list: Option<Vec<i64>>,
    pub not_in: Option<Vec<i64>>,
    pub gt: Option<i64>,
    pub gte: Option<i64>,
    pub lt: Option<i64>,
    pub lte: Option<i64>,
}

impl IntFilter {
    pub fn eq(v: i64) -> Self {
        IntFilter {
            eq: Some(v),
            ..Default::default()
        }
    }
}

impl ColumnFilter for IntFilter {
    fn condition(&self, col: &Expr) -> Condition {
        let bound = [self.eq, self.ne, self.gt, self.gte, self.lt, self.lte];
        comparisons(col, bound, |v| Value::BigInt(Some(v)))
            .add_option(
                self.in_list
                    .as_ref()
                    .map(|l| col.clone().is_in(l.iter().copied())),
            )
            .add_option(
                self.not_in
                    .as_ref()
                    .map(|l| col.clone().is_not_in(l.iter().copied())),
            )
    }
}

/// `col = eq`, `col <> ne`, `col > gt`, `col >= gte`, `col < lt`, `col <= lte` for each bound
/// given (in that order), all of them to hold: the comparisons of the number and time filters.
fn comparisons<V>(col: &Expr, bound: [Option<V>; 6], value: impl Fn(V) -> Value) -> Condition {
    const OPERATORS: [fn(Expr, Value) -> Expr; 6] = [
        |a, b| a.eq(b),
        |a, b| a.ne(b),
        |a, b| a.gt(b),
        |a, b| a.gte(b),
        |a, b| a.lt(b),
        |a, b| a.lte(b),
    ];
    OPERATORS
        .iter()
        .zip(bound)
        .filter_map(|(op, v)| v.map(|v| op(col.clone(), value(v))))
        .fold(Condition::all(), Condition::add)
}

#[derive(Debug, Clone, Default, InputObject)]
pub struct DecimalFilter {
    pub eq: Option<Dec>,
    pub ne: Option<Dec>,
    pub gt: Option<Dec>,
    pub gte: Option<Dec>,
    pub lt: Option<Dec>,
    pub lte: Option<Dec>,
}

impl ColumnFilter for DecimalFilter {
    fn condition(&self, col: &Expr) -> Condition {
        let bound = [self.eq, self.ne, self.gt, self.gte, self.lt, self.lte];
        comparisons(col, bound, |v: Dec| Value::Decimal(Some(v.0)))
    }
}

#[derive(Debug, Clone, Default, InputObject)]
pub struct DateTimeFilter {
    pub gt: Option<Timestamp>,
    pub gte: Option<Timestamp>,
    pub lt: Option<Timestamp>,
    pub lte: Option<Timestamp>,
    pub is_null: Option<bool>,
}

impl ColumnFilter for DateTimeFilter {
    fn condition(&self, col: &Expr) -> Condition {
        let bound = [None, None, self.gt, self.gte, self.lt, self.lte];
        comparisons(col, bound, |v: Timestamp| {
            Value::ChronoDateTimeUtc(Some(v.0))
        })
        .add_option(self.is_null.map(|null| {
            if null {
                col.clone().is_null()
            } else {
                col.clone().is_not_null()
            }
        }))
    }
}

#[derive(Debug, Clone, Default, InputObject)]
pub struct StringFilter {
    pub eq: Option<String>,
    pub ne: Option<String>,
    #[graphql(name = "in")]
    pub in_list: Option<Vec<String>>,
    /// Case-sensitive substring.
    pub contains: Option<String>,
    /// Case-sensitive prefix.
    pub starts_with: Option<String>,
}

impl ColumnFilter for StringFilter {
    fn condition(&self, col: &Expr) -> Condition {
        Condition::all()
            .add_option(self.eq.clone().map(|v| col.clone().eq(v)))
            .add_option(self.ne.clone().map(|v| col.clone().ne(v)))
            .add_option(self.in_list.clone().map(|l| col.clone().is_in(l)))
            .add_option(self.contains.as_ref().map(|v| {
                col.clone()
                    .like(LikeExpr::new(format!("%{}%", escape_like(v))).escape('\\'))
            }))
            .add_option(self.starts_with.as_ref().map(|v| {
                col.clone()
                    .like(LikeExpr::new(format!("{}%", escape_like(v))).escape('\\'))
            }))
    }
}

/// `%`, `_` and `\` taken literally in a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Equality operators over an enum stored as its text (the order and payment statuses): one
/// definition, one GraphQL input per enum.
#[derive(Debug, Clone, InputObject)]
#[graphql(concrete(name = "OrderStatusFilter", params(OrderStatus)))]
#[graphql(concrete(name = "PaymentStatusFilter", params(PaymentStatus)))]
pub struct EnumFilter<T: InputType + StoredChoice> {
    pub eq: Option<T>,
    pub ne: Option<T>,
    #[graphql(name = "in")]
    pub in_list: Option<Vec<T>>,
    pub not_in: Option<Vec<T>>,
}

impl<T: InputType + StoredChoice> Default for EnumFilter<T> {
    fn default() -> Self {
        EnumFilter {
            eq: None,
            ne: None,
            in_list: None,
            not_in: None,
        }
    }
}

impl<T: InputType + StoredChoice> ColumnFilter for EnumFilter<T> {
    fn condition(&self, col: &Expr) -> Condition {
        let stored = |l: &Vec<T>| l.iter().map(|v| v.stored()).collect::<Vec<_>>();
        Condition::all()
            .add_option(self.eq.map(|v| col.clone().eq(v.stored())))
            .add_option(self.ne.map(|v| col.clone().ne(v.stored())))
            .add_option(self.in_list.as_ref().map(|l| col.clone().is_in(stored(l))))
            .add_option(
                self.not_in
                    .as_ref()
                    .map(|l| col.clone().is_not_in(stored(l))),
            )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}
