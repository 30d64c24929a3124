//! Decoding a model from columns of a row by position: consecutive ones, or a list of them.
//!
//! SeaORM's `FromQueryResult` finds each column by name: it formats `<prefix><column>` and
//! looks it up in the row's name map, for every column of every row. On the hot reads (a page
//! of orders with 150 joined items) that was a fifth of the gateway's CPU. A select of an
//! entity's own columns (`Entity::find()`, or the joined blocks of `orders::read`) lists them in
//! the entity's column order, so position alone is enough.

use sea_orm::prelude::DateTimeUtc;
use sea_orm::sqlx::Row;
use sea_orm::{DbErr, QueryResult};

use crate::Money;

/// One column's value, decoded by position.
///
/// On PostgreSQL without sqlx's type check: `Row::try_get` compares the column's type with
/// every type the Rust type accepts (six for a `String`), cloning the type each time, which was
/// a tenth of a REST list's CPU. The statements decoded here select an entity's own columns,
/// built from the entity's definition (money cast to text), so the types agree by
/// construction; the decoders still refuse bytes that are not their type (an integer of more
/// than 8 bytes, text that is not UTF-8). Elsewhere (SQLite), SeaORM's checked decoding.
pub trait Cell: Sized {
    fn cell(row: &QueryResult, at: usize) -> Result<Self, DbErr>;
}

macro_rules! sqlx_cell {
    ($($t:ty),+) => {$(
        impl Cell for Option<$t> {
            fn cell(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
                match row.try_as_pg_row() {
                    Some(pg) => pg
                        .try_get_unchecked::<Option<$t>, _>(at)
                        .map_err(|e| undecodable(at, e)),
                    None => row.try_get_by_index(at),
                }
            }
        }

        impl Cell for $t {
            fn cell(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
                Option::<$t>::cell(row, at)?.ok_or_else(|| null_at(at))
            }
        }
    )+};
}

sqlx_cell!(i64, i32, bool, String, DateTimeUtc);

/// Column `at` held bytes its type cannot decode.
fn undecodable(at: usize, e: impl std::fmt::Display) -> DbErr {
    DbErr::Type(format!("column {at}: {e}"))
}

fn null_at(at: usize) -> DbErr {
    DbErr::Type(format!(
        "A null value was encountered while decoding column {at}"
    ))
}

impl Cell for Option<Money> {
    fn cell(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
        // on PostgreSQL the text is read where it lies in the row, not copied into a `String`
        let Some(pg) = row.try_as_pg_row() else {
            return Option::<String>::cell(row, at)?
                .map(|text| Money::from_column_text(&text))
                .transpose();
        };
        pg.try_get_unchecked::<Option<&str>, _>(at)
            .map_err(|e| undecodable(at, e))?
            .map(Money::from_column_text)
            .transpose()
    }
}

impl Cell for Money {
    fn cell(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
        Option::<Money>::cell(row, at)?.ok_or_else(|| null_at(at))
    }
}

/// A model read from `WIDTH` columns in the entity's column order: consecutive (`from_columns`)
/// or listed (`from_slots`).
pub trait Positional: Sized {
    /// How many columns the model takes.
    const WIDTH: usize;
    /// The field names in the order they are read (a test checks it against the entity).
    const FIELDS: &'static [&'static str];

    /// The model from the columns starting at `at`.
    fn from_columns(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
        Self::decode(row, |k| at + k)
    }

    /// The model from the columns `slots` (the k-th field from column `slots[k]`): a row whose
    /// blocks share columns (`orders::relations`).
    fn from_slots(row: &QueryResult, slots: &[usize]) -> Result<Self, DbErr> {
        if slots.len() != Self::WIDTH {
            return Err(DbErr::Type(format!(
                "{} columns for a model of {}",
                slots.len(),
                Self::WIDTH
            )));
        }
        Self::decode(row, |k| slots[k])
    }

    /// The model with its k-th field read from column `column(k)`.
    fn decode(row: &QueryResult, column: impl Fn(usize) -> usize) -> Result<Self, DbErr>;

    /// `None` when the first column (the primary key) is NULL: the side of a LEFT JOIN that
    /// found nothing.
    fn from_columns_optional(row: &QueryResult, at: usize) -> Result<Option<Self>, DbErr> {
        match Option::<i64>::cell(row, at)? {
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

            fn decode(
                row: &sea_orm::QueryResult,
                column: impl Fn(usize) -> usize,
            ) -> Result<Self, sea_orm::DbErr> {
                let mut k = 0;
                let mut next = || {
                    k += 1;
                    column(k - 1)
                };
                Ok(Self {
                    $($field: $crate::positional::Cell::cell(row, next())?),+
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
