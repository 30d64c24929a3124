//! Field errors: what is wrong with which input value (a [`Problem`] at a [`FieldPath`]),
//! gathered in [`FieldErrors`] so that the client hears of every problem at once.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{AppError, AppResult};

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathSeg {
    Field(String),
    Index(usize),
}

/// A path to an input field, such as `items.1.quantity`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FieldPath(pub Vec<PathSeg>);

impl FieldPath {
    pub fn field(name: &str) -> Self {
        FieldPath(vec![PathSeg::Field(name.to_owned())])
    }

    pub fn item(list: &str, index: usize, name: &str) -> Self {
        FieldPath(vec![
            PathSeg::Field(list.to_owned()),
            PathSeg::Index(index),
            PathSeg::Field(name.to_owned()),
        ])
    }

    /// `items.1.product_id`, with each field name passed through `rename`.
    pub fn dotted(&self, rename: impl Fn(&str) -> String) -> String {
        self.0
            .iter()
            .map(|seg| match seg {
                PathSeg::Field(f) => rename(f),
                PathSeg::Index(i) => i.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".")
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dotted(str::to_owned))
    }
}

/// What is wrong with one input value. Each face words it its own way: REST with Django REST
/// Framework's messages (legacy clients may match on them), GraphQL with short ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Required,
    Null,
    Blank,
    MinValue(i64),
    MaxValue(i64),
    /// More than this many digits in total.
    MaxDigits(u32),
    MaxDecimalPlaces(u32),
    /// More than this many digits before the decimal point.
    MaxWholeDigits(u32),
    MaxLength(usize),
    InvalidNumber,
    InvalidInteger,
    InvalidDateTime,
    InvalidString,
    InvalidBoolean,
    /// Not one of the allowed values (the value as given).
    InvalidChoice(String),
    /// A django-filter choice filter's wording (the value as given).
    InvalidFilterChoice(String),
    /// A django-filter model choice (`?customer=`, `?order=`) naming no row the caller may see.
    UnavailableFilterChoice,
    /// A django-filter number filter given something that is not a number.
    FilterNumber,
    /// A list was expected (the JSON type received, named as Python names it).
    NotAList(String),
    /// An object was expected (the JSON type received, named as Python names it).
    NotAnObject(String),
    /// A primary key of the wrong JSON type (named as Python names it).
    IncorrectPkType(String),
    EmptyList,
    /// A referenced row does not exist (the id as given).
    DoesNotExist(String),
    /// `model` with this `field` already exists.
    Unique {
        model: &'static str,
        field: &'static str,
    },
    /// A rule of the model, worded once for both faces.
    Rule(String),
}

impl Problem {
    /// Django REST Framework's wording.
    pub fn drf(&self) -> String {
        match self {
            Problem::Required => "This field is required.".into(),
            Problem::Null => "This field may not be null.".into(),
            Problem::Blank => "This field may not be blank.".into(),
            Problem::MinValue(n) => format!("Ensure this value is greater than or equal to {n}."),
            Problem::MaxValue(n) => format!("Ensure this value is less than or equal to {n}."),
            Problem::MaxDigits(n) => format!("Ensure that there are no more than {n} digits in total."),
            Problem::MaxDecimalPlaces(n) => {
                format!("Ensure that there are no more than {n} decimal places.")
            }
            Problem::MaxWholeDigits(n) => {
                format!("Ensure that there are no more than {n} digits before the decimal point.")
            }
            Problem::MaxLength(n) => format!("Ensure this field has no more than {n} characters."),
            Problem::InvalidNumber => "A valid number is required.".into(),
            Problem::InvalidInteger => "A valid integer is required.".into(),
            Problem::InvalidDateTime => "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].".into(),
            Problem::InvalidString => "Not a valid string.".into(),
            Problem::InvalidBoolean => "Must be a valid boolean.".into(),
            Problem::InvalidChoice(v) => format!("\"{v}\" is not a valid choice."),
            Problem::InvalidFilterChoice(v) => {
                format!("Select a valid choice. {v} is not one of the available choices.")
            }
            Problem::UnavailableFilterChoice => {
                "Select a valid choice. That choice is not one of the available choices.".into()
            }
            Problem::FilterNumber => "Enter a number.".into(),
            Problem::NotAList(t) => format!("Expected a list of items but got type \"{t}\"."),
            Problem::NotAnObject(t) => format!("Invalid data. Expected a dictionary, but got {t}."),
            Problem::IncorrectPkType(t) => {
                format!("Incorrect type. Expected pk value, received {t}.")
            }
            Problem::EmptyList => "This list may not be empty.".into(),
            Problem::DoesNotExist(pk) => format!("Invalid pk \"{pk}\" - object does not exist."),
            Problem::Unique { model, field } => format!("{model} with this {field} already exists."),
            Problem::Rule(text) => text.clone(),
        }
    }

    /// The GraphQL wording.
    pub fn graphql(&self) -> String {
        match self {
            Problem::Required => "is required".into(),
            Problem::Null => "must not be null".into(),
            Problem::Blank => "must not be blank".into(),
            Problem::MinValue(n) => format!("must be at least {n}"),
            Problem::MaxValue(n) => format!("must be at most {n}"),
            Problem::MaxDigits(n) => format!("must have at most {n} digits"),
            Problem::MaxDecimalPlaces(n) => format!("must have at most {n} decimal places"),
            Problem::MaxWholeDigits(n) => {
                format!("must have at most {n} digits before the decimal point")
            }
            Problem::MaxLength(n) => format!("must be at most {n} characters long"),
            Problem::InvalidNumber => "must be a decimal number".into(),
            Problem::InvalidInteger => "must be an integer".into(),
            Problem::InvalidDateTime => "must be an RFC 3339 date-time".into(),
            Problem::InvalidString => "must be a string".into(),
            Problem::InvalidBoolean => "must be a boolean".into(),
            Problem::InvalidChoice(v) | Problem::InvalidFilterChoice(v) => {
                format!("\"{v}\" is not a valid choice")
            }
            Problem::UnavailableFilterChoice => "is not one of the available choices".into(),
            Problem::FilterNumber => "must be a number".into(),
            Problem::NotAList(_) => "must be a list".into(),
            Problem::NotAnObject(_) => "must be an object".into(),
            Problem::IncorrectPkType(_) => "must be an integer id".into(),
            Problem::EmptyList => "must contain at least one item".into(),
            Problem::DoesNotExist(pk) => format!("no object with id {pk} exists"),
            Problem::Unique { model, field } => {
                format!("a {model} with this {field} already exists")
            }
            Problem::Rule(text) => text.clone(),
        }
    }
}

/// Problems per input field, gathered before refusing so the client sees all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    pub fields: BTreeMap<FieldPath, Vec<Problem>>,
    /// Lengths of the input lists that hold errors (DRF answers one entry per element).
    pub list_lengths: BTreeMap<String, usize>,
}

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, path: FieldPath, problem: Problem) {
        self.fields.entry(path).or_default().push(problem);
    }

    pub fn add_field(&mut self, field: &str, problem: Problem) {
        self.add(FieldPath::field(field), problem);
    }

    pub fn set_list_len(&mut self, list: &str, len: usize) {
        self.list_lengths.insert(list.to_owned(), len);
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn has(&self, path: &FieldPath) -> bool {
        self.fields.contains_key(path)
    }

    /// Moves every problem of `other` under `prefix` (used when a face parses part of an input).
    pub fn merge(&mut self, other: FieldErrors) {
        for (path, problems) in other.fields {
            self.fields.entry(path).or_default().extend(problems);
        }
        self.list_lengths.extend(other.list_lengths);
    }

    /// `Err(Validation)` when anything was collected.
    pub fn into_result(self) -> AppResult<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self))
        }
    }

    pub fn single(field: &str, problem: Problem) -> Self {
        let mut e = Self::new();
        e.add_field(field, problem);
        e
    }
}
