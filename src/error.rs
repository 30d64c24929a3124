//! The error catalogue: every error the gateway answers with, in one enum.
//!
//! Each variant knows its GraphQL `extensions.code` (see `graphql::errors`) and its
//! DRF-shaped HTTP answer (see `rest::errors`). Causes of internal errors are logged, never
//! shown. Field errors are collected all at once, keyed by a path of snake_case field names
//! and list positions (`items.1.product_id`); each face renders that path its own way.

use std::collections::BTreeMap;
use std::fmt;

use sea_orm::{DbErr, RuntimeErr, SqlErr};

pub type AppResult<T> = Result<T, AppError>;

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

/// Why a request carries no usable identity (each answers 401). SimpleJWT's wording of each
/// lives in `auth::answers`, for both APIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header at all.
    NotProvided,
    /// An access token that does not verify, and why.
    InvalidAccessToken(crate::auth::token::TokenError),
    /// Login with wrong credentials, or an inactive user.
    BadCredentials,
    /// A refresh token that does not verify or was already used, and why.
    InvalidRefreshToken(crate::auth::token::TokenError),
    /// A valid token without a `user_id` claim.
    NoUserIdentification,
    /// An access token whose user no longer exists.
    UserNotFound,
    /// An access token whose user is inactive.
    UserInactive,
    /// A refresh token whose user is gone or inactive.
    NoActiveAccountForToken,
    /// `Authorization: Bearer` without exactly one token.
    BadAuthorizationHeader,
    /// The user behind a token could not be checked because the database is down (503).
    Unavailable,
}

/// Deliberately not `Display`: that keeps `?` from turning it into a code-less GraphQL error
/// through async-graphql's blanket conversion; `graphql::errors` converts it properly.
#[derive(Debug, Clone)]
pub enum AppError {
    Unauthenticated(AuthError),
    Forbidden(String),
    /// The named model (`Order`, `Payment`, ...) has no row the caller may see with that id.
    NotFound(&'static str),
    Validation(FieldErrors),
    /// A rule of the model refuses the change (insufficient stock, illegal status change).
    Conflict {
        field: Option<FieldPath>,
        message: String,
    },
    /// An idempotency key already used by this user for a request with another body.
    IdempotencyKeyReused,
    /// A malformed request (body not parseable, bad query string) with DRF's `detail` text.
    BadRequest(String),
    MethodNotAllowed {
        method: String,
        allow: &'static str,
    },
    UnsupportedMediaType(String),
    PayloadTooLarge,
    RateLimited {
        retry_after_secs: u64,
    },
    /// The database cannot be reached; the request may be retried.
    Unavailable,
    Internal(std::sync::Arc<anyhow::Error>),
}

impl AppError {
    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict {
            field: None,
            message: message.into(),
        }
    }

    pub fn conflict_on(field: FieldPath, message: impl Into<String>) -> Self {
        AppError::Conflict {
            field: Some(field),
            message: message.into(),
        }
    }

    pub fn forbidden() -> Self {
        AppError::Forbidden("You do not have permission to perform this action.".to_owned())
    }

    pub fn invalid(field: &str, problem: Problem) -> Self {
        AppError::Validation(FieldErrors::single(field, problem))
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(std::sync::Arc::new(e.into()))
    }

    /// Whether this is the server's fault (logged with its cause) rather than the client's.
    pub fn is_server_error(&self) -> bool {
        matches!(self, AppError::Internal(_) | AppError::Unavailable)
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if is_connection_error(&err) {
            // a pool that is merely saturated (acquire timed out) has no dead connections
            if !is_pool_timeout(&err) {
                crate::db::connection_trouble();
            }
            tracing::warn!(error = %short_db_error(&err), "database unavailable");
            return AppError::Unavailable;
        }
        AppError::internal(err)
    }
}

/// Whether no connection was free in time (a busy pool, not a broken one).
fn is_pool_timeout(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => {
            matches!(e.as_ref(), sea_orm::sqlx::Error::PoolTimedOut)
        }
        _ => false,
    }
}

/// Whether the database could not be reached (pool timeout, refused, closed, I/O).
pub fn is_connection_error(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(
                e.as_ref(),
                sea_orm::sqlx::Error::Io(_)
                    | sea_orm::sqlx::Error::PoolTimedOut
                    | sea_orm::sqlx::Error::PoolClosed
                    | sea_orm::sqlx::Error::WorkerCrashed
            ) || matches!(e.as_ref(), sea_orm::sqlx::Error::Database(d)
                    if d.code().is_some_and(|c| c.starts_with("57P") || c.starts_with("08")))
        }
        _ => false,
    }
}

/// A database error reduced to its kind, for logs: no SQL text, no parameters.
pub fn short_db_error(err: &DbErr) -> String {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sea_orm::sqlx::Error::Database(d) => {
                    format!("database error {}", d.code().unwrap_or_default())
                }
                other => format!("{other}"),
            }
        }
        DbErr::ConnectionAcquire(e) => format!("connection acquire: {e}"),
        DbErr::Conn(_) => "connection error".to_owned(),
        _ => "database error".to_owned(),
    }
}

/// If `err` is a unique violation, which of the `(column, field)` pairs it names.
pub fn unique_violation_field<'a>(err: &DbErr, columns: &[(&str, &'a str)]) -> Option<&'a str> {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(msg)) => columns
            .iter()
            .find(|(column, _)| msg.contains(column))
            .map(|(_, field)| *field)
            .or_else(|| columns.first().map(|(_, f)| *f)),
        _ => None,
    }
}

/// Whether `err` is a CHECK constraint failure (such as `quantity >= 0`).
pub fn is_check_violation(err: &DbErr) -> bool {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(e.as_ref(), sea_orm::sqlx::Error::Database(d)
                if d.code().as_deref() == Some("23514") || d.message().contains("CHECK constraint failed"))
        }
        _ => false,
    }
}
