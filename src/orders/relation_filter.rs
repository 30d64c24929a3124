//! The orders' filters through their relations: the customer (`customerWhere`), the items
//! (`items: {some, every, none}`, an item by its product) and the payments (`payments: {some,
//! every, none}`), each a correlated `EXISTS` subquery (see `filters::relation`). The read
//! scope is applied around the whole filter, so a customer still sees only their own orders.

use entity::{order, order_item, payment, product, user};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};

use crate::catalog::filter::ProductFilter;
use crate::filters::relation::{ListFilter, related};
use crate::filters::{DecimalFilter, IntFilter, StringFilter, model_filter};
use crate::payments::filter::PaymentFilter;

fn order_id() -> Expr {
    Expr::col((order::Entity, order::Column::Id))
}

fn user_col(c: user::Column) -> Expr {
    Expr::col((user::Entity, c))
}

fn item_col(c: order_item::Column) -> Expr {
    Expr::col((order_item::Entity, c))
}

model_filter! {
    /// Which users match: every given field must.
    pub struct UserFilter {
        id: IntFilter => user_col(user::Column::Id),
        username: StringFilter => user_col(user::Column::Username),
        email: StringFilter => user_col(user::Column::Email),
    }
}

model_filter! {
    /// Which order items match: every given field must.
    pub struct OrderItemFilter {
        quantity: IntFilter => item_col(order_item::Column::Quantity),
        price: DecimalFilter => item_col(order_item::Column::Price),
    }
    relations {
        /// The item's product matches (its id, name or SKU).
        product: ProductFilter => item_product,
    }
}

pub type OrderItemsFilter = ListFilter<OrderItemFilter>;
pub type OrderPaymentsFilter = ListFilter<PaymentFilter>;

fn item_product(f: &ProductFilter) -> Condition {
    let link = Expr::col((product::Entity, product::Column::Id))
        .eq(item_col(order_item::Column::ProductId));
    Condition::all().add(Expr::exists(related(product::Entity, link, f.condition())))
}

/// Orders whose customer matches `f`.
pub fn customer_matches(f: &UserFilter) -> Condition {
    let link = user_col(user::Column::Id).eq(Expr::col((order::Entity, order::Column::CustomerId)));
    Condition::all().add(Expr::exists(related(user::Entity, link, f.condition())))
}

/// Orders whose items match `f` (some, every or none of them).
pub fn items_match(f: &OrderItemsFilter) -> Condition {
    f.condition(|c| {
        let link = item_col(order_item::Column::OrderId).eq(order_id());
        related(order_item::Entity, link, c)
    })
}

/// Orders whose payments match `f` (some, every or none of them).
pub fn payments_match(f: &OrderPaymentsFilter) -> Condition {
    f.condition(|c| {
        let link = Expr::col((payment::Entity, payment::Column::OrderId)).eq(order_id());
        related(payment::Entity, link, c)
    })
}
