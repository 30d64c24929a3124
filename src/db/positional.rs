//! Running a select of one entity's own columns and decoding its rows by position (see
//! `entity::Positional`): what `Select::all` and `Select::one` do, without looking every
//! column up by name.

use entity::Positional;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QuerySelect, QueryTrait, Select};

/// Every row of `select`.
pub async fn all_positional<E, C>(db: &C, select: Select<E>) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: Positional,
    C: ConnectionTrait,
{
    let statement = select.build(db.get_database_backend());
    db.query_all_raw(statement)
        .await?
        .iter()
        .map(|row| E::Model::from_columns(row, 0))
        .collect()
}

/// The first row of `select`, if any.
pub async fn one_positional<E, C>(db: &C, select: Select<E>) -> Result<Option<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: Positional,
    C: ConnectionTrait,
{
    let statement = select.limit(1).build(db.get_database_backend());
    db.query_one_raw(statement)
        .await?
        .map(|row| E::Model::from_columns(&row, 0))
        .transpose()
}
