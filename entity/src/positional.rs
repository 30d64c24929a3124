//! Decoding a model from consecutive columns of a row by position.
//!
//! SeaORM's `FromQueryResult` finds each column by name: it formats `<prefix><column>` and
//! looks it up in the row's name map, for every column of every row. On the hot reads (a page
//! of orders with 150 joined items) that was a fifth of the gateway's CPU. A select of an
//! entity's own columns (`Entity::find()`, or the joined blocks of `orders::read`) lists them in
//! the entity's column order, so position alone is enough.

use sea_orm::{DbErr, QueryResult};

/// A model read from `WIDTH` consecutive columns, in the entity's column order.
pub trait Positional: Sized {
    /// How many columns the model takes.
    const WIDTH: usize;
    /// The field names in the order they are read (a test checks it against the entity).
    const FIELDS: &'static [&'static str];

    /// The model from the columns starting at `at`.
    fn from_columns(row: &QueryResult, at: usize) -> Result<Self, DbErr>;

    /// `None` when the first column (the primary key) is NULL: the side of a LEFT JOIN that
    /// found nothing.
    fn from_columns_optional(row: &QueryResult, at: usize) -> Result<Option<Self>, DbErr> {
        match row.try_get_by_index::<Option<i64>>(at)? {
            None => Ok(None),
            Some(_) => Self::from_columns(row, at).map(Some),
        }
    }
}

macro_rules! positional {
    ($model:path { $($field:ident),+ $(,)? }) => {
        impl $crate::positional::Positional for $model {
            const WIDTH: usize = [$(stringify!($field)),+].len();
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];

            fn from_columns(
                row: &sea_orm::QueryResult,
                at: usize,
            ) -> Result<Self, sea_orm::DbErr> {
                let mut i = at;
                let mut next = || {
                    i += 1;
                    i - 1
                };
                Ok(Self {
                    $($field: row.try_get_by_index(next())?),+
                })
            }
        }
    };
}

positional!(crate::order::Model {
    id,
    status,
    total_amount,
    created_at,
    updated_at,
    customer_id
});
positional!(crate::order_item::Model {
    id,
    quantity,
    price,
    order_id,
    product_id,
    stock_id
});
positional!(crate::payment::Model {
    id,
    amount,
    payment_method,
    status,
    paid_at,
    created_at,
    order_id
});
positional!(crate::product::Model {
    id,
    name,
    slug,
    description,
    sku,
    price,
    created_at,
    updated_at,
    category_id,
    created_by_id
});
positional!(crate::stock::Model {
    id,
    quantity,
    updated_at,
    location_id,
    product_id
});
positional!(crate::location::Model {
    id,
    code,
    description,
    warehouse_id
});
positional!(crate::warehouse::Model {
    id,
    name,
    address,
    created_at,
    updated_at
});
positional!(crate::category::Model {
    id,
    name,
    slug,
    lft,
    rght,
    tree_id,
    level,
    parent_id
});
