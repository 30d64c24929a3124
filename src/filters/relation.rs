//! Filters through a relation: `some`/`every`/`none` of a to-many relation ([`ListFilter`]) and
//! a to-one relation ([`related`]), each a correlated `EXISTS (SELECT 1 ...)` subquery, so a
//! filtered page is still one statement (and uses the foreign-key indexes of the related table).

use async_graphql::{InputObject, InputType};
use sea_orm::sea_query::{
    Condition, Expr, ExprTrait, IntoCondition, IntoTableRef, Query, SelectStatement,
};

use crate::orders::relation_filter::OrderItemFilter;
use crate::payments::filter::PaymentFilter;

/// A filter input over one model's rows (what `model_filter!` declares).
pub trait RowFilter {
    fn condition(&self) -> Condition;
}

/// Which related rows must match. Several given: all of them hold.
#[derive(Debug, Clone, InputObject)]
#[graphql(concrete(name = "OrderItemsFilter", params(OrderItemFilter)))]
#[graphql(concrete(name = "OrderPaymentsFilter", params(PaymentFilter)))]
pub struct ListFilter<T: InputType + RowFilter> {
    /// At least one related row matches.
    pub some: Option<T>,
    /// Every related row matches (true when there is none).
    pub every: Option<T>,
    /// No related row matches (true when there is none).
    pub none: Option<T>,
}

impl<T: InputType + RowFilter> ListFilter<T> {
    /// The outer rows this keeps; `rows(condition)` selects the related rows of the outer row
    /// (correlated with it) that meet `condition`.
    pub fn condition(&self, rows: impl Fn(Condition) -> SelectStatement) -> Condition {
        Condition::all()
            .add_option(
                self.some
                    .as_ref()
                    .map(|f| Expr::exists(rows(f.condition()))),
            )
            .add_option(
                self.none
                    .as_ref()
                    .map(|f| Expr::not_exists(rows(f.condition()))),
            )
            .add_option(self.every.as_ref().and_then(|f| {
                let c = f.condition();
                // an empty filter holds for every row; otherwise no row may fail it, a row
                // for which it is unknown (a NULL column) failing too
                (!c.is_empty()).then(|| Expr::not_exists(rows(Condition::all().add(fails(c)))))
            }))
    }
}

/// True where `c` is false or unknown (NULL): `CASE WHEN c THEN 0 ELSE 1 END = 1`.
fn fails(c: Condition) -> Expr {
    let case: Expr = Expr::case(c, Expr::val(0)).finally(Expr::val(1)).into();
    case.eq(1)
}

/// `SELECT 1 FROM table WHERE link AND condition`: the rows of `table` related to the outer
/// row by `link` (e.g. `oms_orderitem.order_id = oms_order.id`) that meet `condition`.
pub fn related(
    table: impl IntoTableRef,
    link: Expr,
    condition: impl IntoCondition,
) -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(table)
        .cond_where(Condition::all().add(link).add(condition))
        .to_owned()
}
