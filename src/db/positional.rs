//! Running a select of one entity's own columns and decoding its rows by position (see
//! `entity::Positional`): what `Select::all` and `Select::one` do, without looking every
//! column up by name.

use entity::Positional;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QuerySelect, QueryTrait, Select, Statement};

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
    first_positional(db, statement).await
}

/// The first row of a built `statement` that selects a model's columns in order, if any.
pub async fn first_positional<M: Positional, C: ConnectionTrait>(
    db: &C,
    statement: Statement,
) -> Result<Option<M>, DbErr> {
    db.query_one_raw(statement)
        .await?
        .map(|row| M::from_columns(&row, 0))
        .transpose()
}

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, IdenStatic, Iterable};

    use entity::Positional;

    fn columns<E: EntityTrait>() -> Vec<String> {
        E::Column::iter().map(|c| c.as_str().to_owned()).collect()
    }

    fn fields<M: Positional>() -> Vec<String> {
        M::FIELDS.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn fields_are_read_in_the_entities_column_order() {
        use entity::*;
        assert_eq!(fields::<order::Model>(), columns::<order::Entity>());
        assert_eq!(
            fields::<order_item::Model>(),
            columns::<order_item::Entity>()
        );
        assert_eq!(fields::<payment::Model>(), columns::<payment::Entity>());
        assert_eq!(fields::<product::Model>(), columns::<product::Entity>());
        assert_eq!(fields::<stock::Model>(), columns::<stock::Entity>());
        assert_eq!(fields::<location::Model>(), columns::<location::Entity>());
        assert_eq!(fields::<warehouse::Model>(), columns::<warehouse::Entity>());
        assert_eq!(fields::<category::Model>(), columns::<category::Entity>());
    }
}
