//! Query strings as Django reads them (`QueryDict`: the last value of a repeated key wins) and
//! django-filter's filters over them: a blank value filters nothing, unknown keys are ignored,
//! a bad value is a field error worded as django-filter's form fields word it.

use std::convert::Infallible;
use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::{FieldErrors, Problem};
use crate::filters::IntFilter;
use crate::rest::fields::decimal_text;

/// The decoded `key=value` pairs of a request's query string, in their order.
#[derive(Debug, Clone, Default)]
pub struct QueryParams(pub Vec<(String, String)>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        QueryParams(
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The last value given for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a filter, unless blank (django-filter skips empty values).
    fn filter_value(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    /// django-filter's `NumberFilter` on an integer column: any number is accepted, and one
    /// that is not a whole `i64` matches no row.
    pub fn number(&self, key: &str, errors: &mut FieldErrors) -> Option<IntFilter> {
        let raw = self.filter_value(key)?.trim();
        match decimal_text(raw) {
            Ok(d) if d.fract().is_zero() => Some(match i64::try_from(d.trunc()) {
                Ok(v) => IntFilter::eq(v),
                Err(_) => matches_nothing(),
            }),
            Ok(_) | Err(Problem::MaxDigits(_)) => Some(matches_nothing()),
            Err(_) => {
                errors.add_field(key, Problem::FilterNumber);
                None
            }
        }
    }

    /// django-filter's `ChoiceFilter`: the exact stored value.
    pub fn choice<T: FromStr>(&self, key: &str, errors: &mut FieldErrors) -> Option<T> {
        let raw = self.filter_value(key)?;
        raw.parse()
            .map_err(|_| errors.add_field(key, Problem::InvalidFilterChoice(raw.to_owned())))
            .ok()
    }

    /// django-filter's `ModelChoiceFilter`: a primary key. Whether it names a row the caller
    /// may see is the domain's to say (then `unavailable_choice`).
    pub fn model_choice(&self, key: &str, errors: &mut FieldErrors) -> Option<i64> {
        let raw = self.filter_value(key)?;
        raw.trim()
            .parse()
            .map_err(|_| errors.add_field(key, Problem::UnavailableFilterChoice))
            .ok()
    }
}

/// The refusal of a model choice that names no row the caller may see.
pub fn unavailable_choice(key: &str, errors: &mut FieldErrors) {
    errors.add_field(key, Problem::UnavailableFilterChoice);
}

fn matches_nothing() -> IntFilter {
    IntFilter {
        in_list: Some(Vec::new()),
        ..Default::default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(QueryParams::parse(parts.uri.query()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::status::OrderStatus;
    use serde_json::json;

    #[test]
    fn filters_as_django_filter_reads_them() {
        let q = QueryParams::parse(Some("id=abc&status=bogus&customer=x&status=pending&page=2"));
        let mut errors = FieldErrors::new();
        assert!(q.number("id", &mut errors).is_none());
        assert_eq!(
            q.choice::<OrderStatus>("status", &mut errors),
            Some(OrderStatus::Pending)
        );
        assert!(q.model_choice("customer", &mut errors).is_none());
        assert_eq!(
            crate::rest::errors::field_map(&errors),
            json!({
                "customer": ["Select a valid choice. That choice is not one of the available choices."],
                "id": ["Enter a number."],
            })
        );
        let q = QueryParams::parse(Some("id=&status=bogus&id2=1"));
        let mut errors = FieldErrors::new();
        assert!(q.number("id", &mut errors).is_none());
        assert!(q.choice::<OrderStatus>("status", &mut errors).is_none());
        assert_eq!(
            crate::rest::errors::field_map(&errors),
            json!({"status": ["Select a valid choice. bogus is not one of the available choices."]})
        );
        let q = QueryParams::parse(Some("id=2.0&order=1.5"));
        let mut errors = FieldErrors::new();
        assert_eq!(q.number("id", &mut errors).and_then(|f| f.eq), Some(2));
        assert_eq!(
            q.number("order", &mut errors).and_then(|f| f.in_list),
            Some(Vec::new())
        );
        assert!(errors.is_empty());
    }
}
