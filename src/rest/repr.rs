//! How the REST representations write values (money as two-place strings, timestamps as DRF
//! renders them), their OpenAPI schemas, and small helpers of the batch renderers.

use chrono::{DateTime, Utc};
use entity::Money;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type};

use crate::error::AppError;

/// `"999.99"`: exactly two places, as DRF's `DecimalField(decimal_places=2)` renders.
pub fn money(amount: Money) -> String {
    entity::money::two_places(amount.0)
}

/// `2025-11-21T12:00:00Z` (microseconds only when there are any), as DRF renders.
pub fn timestamp(at: &DateTime<Utc>) -> String {
    crate::time::drf(at)
}

/// A reference the database's foreign keys promise, missing: the data is inconsistent.
pub fn missing(what: &str, id: i64) -> AppError {
    AppError::internal(anyhow::anyhow!(
        "{what} {id} is referenced but does not exist"
    ))
}

/// The schema of a money input: a decimal string or a JSON number (read from its text).
pub fn decimal_input_schema() -> RefOr<Schema> {
    let text = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("decimal".into())))
        .examples([serde_json::json!("999.99")]);
    let number = ObjectBuilder::new().schema_type(Type::Number);
    RefOr::T(Schema::OneOf(
        OneOfBuilder::new()
            .item(text)
            .item(number)
            .description(Some(
                "A decimal: a string such as \"999.99\", or a JSON number (read exactly from its text).",
            ))
            .build(),
    ))
}

/// The schema of an id input: an integer, or a string holding one (as DRF accepts).
pub fn id_input_schema() -> RefOr<Schema> {
    let number =
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )));
    let text = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[0-9]+$"));
    RefOr::T(Schema::OneOf(
        OneOfBuilder::new().item(number).item(text).build(),
    ))
}

/// A string schema listing the allowed (stored, lowercase) values of a status.
pub fn choice_schema(values: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values))
            .build(),
    ))
}

/// The properties and the required fields of `T`'s object schema (tests of the write bodies:
/// their schemas must say what their parsers read and require).
#[cfg(test)]
pub fn schema_fields<T: utoipa::ToSchema>() -> (Vec<String>, Vec<String>) {
    match T::schema() {
        RefOr::T(Schema::Object(o)) => (o.properties.keys().cloned().collect(), o.required),
        _ => panic!("{} is not an object schema", T::name()),
    }
}

/// Where `errors` holds problems, as dotted paths, sorted.
#[cfg(test)]
pub fn problem_paths(errors: &crate::error::FieldErrors) -> Vec<String> {
    let mut paths: Vec<String> = errors.fields.keys().map(ToString::to_string).collect();
    paths.sort();
    paths
}
