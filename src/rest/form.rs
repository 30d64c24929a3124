//! A write body as DRF's serializer walks it: the fields of an object (or of each element of a
//! nested list) read with `rest::fields`, each problem recorded under its path, every one at
//! once.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::error::{AppError, AppResult, FieldErrors, FieldPath, PathSeg, Problem};
use crate::rest::fields::{
    NON_FIELD_ERRORS, parse_choice, parse_datetime, parse_decimal, parse_integer, parse_pk,
    python_type,
};

/// One object of a write body (the body itself, or one element of a nested list) and where
/// its fields sit in the error map. `partial` (PATCH) makes every field optional, as DRF's
/// `partial=True` does, for nested objects too.
pub struct Form<'a> {
    fields: &'a Map<String, Value>,
    prefix: Vec<PathSeg>,
    partial: bool,
}

impl<'a> Form<'a> {
    /// The body as a form. A body that is not an object is refused at once with DRF's
    /// non-field error: there is nothing else to check in it.
    pub fn root(body: &'a Value, partial: bool) -> AppResult<Form<'a>> {
        match body {
            Value::Object(fields) => Ok(Form {
                fields,
                prefix: Vec::new(),
                partial,
            }),
            other => Err(AppError::invalid(
                NON_FIELD_ERRORS,
                Problem::NotAnObject(python_type(other).into()),
            )),
        }
    }

    /// Where the field `name` of this form sits in the error map.
    pub fn path(&self, name: &str) -> FieldPath {
        let mut segs = self.prefix.clone();
        segs.push(PathSeg::Field(name.to_owned()));
        FieldPath(segs)
    }

    /// Whether the body names the field at all.
    pub fn has(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// The value given for `name`, if any. An absent field the serializer requires and a null
    /// where none is allowed are recorded as DRF words them.
    fn given(&self, name: &str, required: bool, errors: &mut FieldErrors) -> Option<&'a Value> {
        match self.fields.get(name) {
            None => {
                if required && !self.partial {
                    errors.add(self.path(name), Problem::Required);
                }
                None
            }
            Some(Value::Null) => {
                errors.add(self.path(name), Problem::Null);
                None
            }
            Some(v) => Some(v),
        }
    }

    fn read<T>(
        &self,
        name: &str,
        required: bool,
        errors: &mut FieldErrors,
        parse: impl FnOnce(&Value) -> Result<T, Problem>,
    ) -> Option<T> {
        let value = self.given(name, required, errors)?;
        parse(value)
            .map_err(|problem| errors.add(self.path(name), problem))
            .ok()
    }

    pub fn integer(&self, name: &str, required: bool, errors: &mut FieldErrors) -> Option<i64> {
        self.read(name, required, errors, parse_integer)
    }

    pub fn decimal(&self, name: &str, required: bool, errors: &mut FieldErrors) -> Option<Decimal> {
        self.read(name, required, errors, parse_decimal)
    }

    pub fn choice<T: std::str::FromStr>(
        &self,
        name: &str,
        required: bool,
        errors: &mut FieldErrors,
    ) -> Option<T> {
        self.read(name, required, errors, parse_choice)
    }

    /// A required-or-not primary key; DRF reads `""` as null for relations.
    pub fn pk(&self, name: &str, required: bool, errors: &mut FieldErrors) -> Option<i64> {
        if self.fields.get(name).and_then(Value::as_str) == Some("") {
            errors.add(self.path(name), Problem::Null);
            return None;
        }
        self.read(name, required, errors, parse_pk)
    }

    /// An optional, nullable primary key: `None` when absent, `Some(None)` when null (or `""`).
    pub fn nullable_pk(&self, name: &str, errors: &mut FieldErrors) -> Option<Option<i64>> {
        match self.fields.get(name)? {
            Value::Null => Some(None),
            Value::String(s) if s.is_empty() => Some(None),
            v => parse_pk(v)
                .map(Some)
                .map_err(|problem| errors.add(self.path(name), problem))
                .ok(),
        }
    }

    /// DRF's `CharField`: text, or a number taken as its text; trimmed. Blank and length are
    /// the domain's to judge.
    pub fn text(&self, name: &str, required: bool, errors: &mut FieldErrors) -> Option<String> {
        self.read(name, required, errors, |v| match v {
            Value::String(s) => Ok(s.trim().to_owned()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(Problem::InvalidString),
        })
    }

    /// An optional, nullable timestamp: `None` when absent, `Some(None)` when null.
    pub fn nullable_datetime(
        &self,
        name: &str,
        errors: &mut FieldErrors,
    ) -> Option<Option<DateTime<Utc>>> {
        match self.fields.get(name)? {
            Value::Null => Some(None),
            v => parse_datetime(v)
                .map(Some)
                .map_err(|problem| errors.add(self.path(name), problem))
                .ok(),
        }
    }

    /// A nested list (DRF's `many=True` serializer): anything else is its non-field error.
    pub fn list(
        &self,
        name: &str,
        required: bool,
        errors: &mut FieldErrors,
    ) -> Option<&'a [Value]> {
        match self.given(name, required, errors)? {
            Value::Array(list) => Some(list),
            other => {
                let mut path = self.path(name);
                path.0.push(PathSeg::Field(NON_FIELD_ERRORS.to_owned()));
                errors.add(path, Problem::NotAList(python_type(other).into()));
                None
            }
        }
    }

    /// Element `index` of the nested list `list` as a form of its own; an element that is not
    /// an object is its non-field error.
    pub fn element(
        &self,
        list: &str,
        index: usize,
        value: &'a Value,
        errors: &mut FieldErrors,
    ) -> Option<Form<'a>> {
        let mut prefix = self.path(list).0;
        prefix.push(PathSeg::Index(index));
        match value {
            Value::Object(fields) => Some(Form {
                fields,
                prefix,
                partial: self.partial,
            }),
            other => {
                prefix.push(PathSeg::Field(NON_FIELD_ERRORS.to_owned()));
                errors.add(
                    FieldPath(prefix),
                    Problem::NotAnObject(python_type(other).into()),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn forms_gather_every_problem_with_its_path() {
        let body = json!({"customer_id": "x", "items": [{"quantity": "a"}, 5]});
        let mut errors = FieldErrors::new();
        let form = Form::root(&body, false).unwrap();
        assert_eq!(form.pk("customer_id", true, &mut errors), None);
        assert_eq!(
            form.choice::<crate::orders::status::OrderStatus>("status", false, &mut errors),
            None
        );
        let items = form.list("items", true, &mut errors).unwrap();
        let first = form.element("items", 0, &items[0], &mut errors).unwrap();
        assert_eq!(first.integer("quantity", true, &mut errors), None);
        assert_eq!(first.pk("product_id", true, &mut errors), None);
        assert!(form.element("items", 1, &items[1], &mut errors).is_none());
        errors.set_list_len("items", 2);
        assert_eq!(
            crate::rest::errors::field_map(&errors),
            json!({
                "customer_id": ["Incorrect type. Expected pk value, received str."],
                "items": [
                    {"product_id": ["This field is required."], "quantity": ["A valid integer is required."]},
                    {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]},
                ],
            })
        );
        let mut errors = FieldErrors::new();
        let body = json!({"items": "x"});
        let partial = Form::root(&body, true).unwrap();
        assert_eq!(partial.pk("customer_id", true, &mut errors), None);
        assert!(partial.list("items", true, &mut errors).is_none());
        assert_eq!(
            crate::rest::errors::field_map(&errors),
            json!({"items": {"non_field_errors": ["Expected a list of items but got type \"str\"."]}})
        );
        match Form::root(&json!(null), false) {
            Err(AppError::Validation(e)) => assert_eq!(
                crate::rest::errors::field_map(&e),
                json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got NoneType."]})
            ),
            _ => panic!("null is not a form"),
        }
    }
}
