//! `AppError` as a GraphQL error: `extensions.code` from the catalogue (CONTRACT §4), and for
//! bad input `extensions.fields`, a map from the dotted camelCase field path to its messages.
//! Internal causes are logged here and never shown.

use async_graphql::{Error, ErrorExtensionValues, Value};

use crate::error::{AppError, AuthError};

impl From<AppError> for Error {
    fn from(err: AppError) -> Self {
        let (code, message, fields) = describe(&err);
        let mut e = Error::new(message);
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", code);
        if let Some(fields) = fields {
            ext.set("fields", fields);
        }
        if let AppError::RateLimited { retry_after_secs } = err {
            ext.set("retryAfter", retry_after_secs);
        }
        e.extensions = Some(ext);
        e
    }
}

fn describe(err: &AppError) -> (&'static str, String, Option<Value>) {
    match err {
        AppError::Unauthenticated(reason) => ("UNAUTHENTICATED", auth_message(reason), None),
        AppError::Forbidden(detail) => ("FORBIDDEN", detail.clone(), None),
        AppError::NotFound(model) => (
            "NOT_FOUND",
            format!("No {model} matches the given id."),
            None,
        ),
        AppError::Validation(errors) => {
            let mut map = async_graphql::indexmap::IndexMap::new();
            for (path, problems) in &errors.fields {
                map.insert(
                    async_graphql::Name::new(path.dotted(camel_case)),
                    Value::List(
                        problems
                            .iter()
                            .map(|p| Value::String(p.graphql()))
                            .collect(),
                    ),
                );
            }
            let summary = errors
                .fields
                .iter()
                .map(|(path, problems)| {
                    let msgs: Vec<String> = problems.iter().map(|p| p.graphql()).collect();
                    format!("{}: {}", path.dotted(camel_case), msgs.join(", "))
                })
                .collect::<Vec<_>>()
                .join("; ");
            (
                "BAD_USER_INPUT",
                format!("Invalid input: {summary}"),
                Some(Value::Object(map)),
            )
        }
        AppError::Conflict { field, message } => {
            let fields = field.as_ref().map(|path| {
                let mut map = async_graphql::indexmap::IndexMap::new();
                map.insert(
                    async_graphql::Name::new(path.dotted(camel_case)),
                    Value::List(vec![Value::String(message.clone())]),
                );
                Value::Object(map)
            });
            ("CONFLICT", message.clone(), fields)
        }
        AppError::IdempotencyKeyReused => {
            let message = "This idempotencyKey was already used for a different input.";
            let mut map = async_graphql::indexmap::IndexMap::new();
            map.insert(
                async_graphql::Name::new("idempotencyKey"),
                Value::List(vec![Value::String(message.to_owned())]),
            );
            ("CONFLICT", message.to_owned(), Some(Value::Object(map)))
        }
        AppError::BadRequest(detail) => ("BAD_USER_INPUT", detail.clone(), None),
        AppError::MethodNotAllowed { method, .. } => (
            "BAD_REQUEST",
            format!("Method \"{method}\" not allowed."),
            None,
        ),
        AppError::UnsupportedMediaType(media) => (
            "BAD_REQUEST",
            format!("Unsupported media type \"{media}\"."),
            None,
        ),
        AppError::PayloadTooLarge => ("BAD_REQUEST", "Request body is too large.".to_owned(), None),
        AppError::RateLimited { retry_after_secs } => (
            "RATE_LIMITED",
            format!("Rate limit exceeded; retry in {retry_after_secs} seconds."),
            None,
        ),
        AppError::Unavailable => (
            "SERVICE_UNAVAILABLE",
            "The database is unavailable; try again shortly.".to_owned(),
            None,
        ),
        AppError::Internal(cause) => {
            tracing::error!(error = %format!("{cause:#}"), "internal error");
            (
                "INTERNAL_SERVER_ERROR",
                "Internal server error.".to_owned(),
                None,
            )
        }
    }
}

/// SimpleJWT's wording (`auth::answers`).
fn auth_message(reason: &AuthError) -> String {
    reason.graphql_message()
}

/// `product_id` -> `productId`: REST's snake_case field names as GraphQL spells them.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{FieldErrors, FieldPath, Problem};

    #[test]
    fn bad_input_lists_every_field_in_camel_case() {
        let mut errors = FieldErrors::new();
        errors.add(
            FieldPath::item("items", 0, "quantity"),
            Problem::MinValue(1),
        );
        errors.add(
            FieldPath::item("items", 1, "product_id"),
            Problem::DoesNotExist("9".into()),
        );
        let e: Error = AppError::Validation(errors).into();
        let ext = e.extensions.unwrap();
        assert_eq!(ext.get("code"), Some(&Value::from("BAD_USER_INPUT")));
        let fields = ext.get("fields").unwrap().clone().into_json().unwrap();
        assert_eq!(
            fields,
            serde_json::json!({
                "items.0.quantity": ["must be at least 1"],
                "items.1.productId": ["no object with id 9 exists"],
            })
        );
    }

    #[test]
    fn internal_errors_do_not_leak() {
        let e: Error = AppError::internal(anyhow::anyhow!("SELECT secret FROM x")).into();
        assert_eq!(e.message, "Internal server error.");
    }
}
