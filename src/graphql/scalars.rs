//! The GraphQL face of the scalars: `Decimal` and `DateTime` are the domain's
//! ([`crate::scalars`], re-exported here), and the built-in `Int`, made 32-bit where documents
//! are validated (see [`Int32`]).

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::parser::types::Directive;
use async_graphql::registry::{MetaType, Registry};
use async_graphql::{
    ContextDirective, CustomDirective, CustomDirectiveFactory, ServerError, ServerResult, Value,
};

pub use crate::scalars::{Dec, Timestamp, parse_decimal};

/// Makes `Int` a signed 32-bit integer, as the GraphQL spec defines it, where a document and
/// its variables are validated: a literal or a variable outside that range for any `Int`
/// argument or input field is refused before execution, like any value of the wrong type
/// (`BAD_USER_INPUT`). Ids are `i64` in the domain, and async-graphql's `Int` validator accepts
/// any 64-bit number for them (so `order(id: 2147483648)` answered `null`).
///
/// async-graphql has no setting for this. Its registry is reachable before the schema is built
/// only through a custom directive's `register`: this "directive" replaces `Int`'s validator
/// there and adds nothing else (it is in no schema, and a document naming it is refused as an
/// unknown directive).
pub struct Int32;

impl Int32 {
    pub fn is_valid(value: &Value) -> bool {
        matches!(value, Value::Number(n) if n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()))
    }
}

impl CustomDirectiveFactory for Int32 {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("oms_int32")
    }

    fn register(&self, registry: &mut Registry) {
        if let Some(MetaType::Scalar { is_valid, .. }) = registry.types.get_mut("Int") {
            *is_valid = Some(Arc::new(Int32::is_valid));
        }
    }

    fn create(
        &self,
        _ctx: &ContextDirective<'_>,
        _directive: &Directive,
    ) -> ServerResult<Box<dyn CustomDirective>> {
        Err(ServerError::new("Unknown directive \"oms_int32\".", None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_is_32_bit() {
        let n = |v: i64| Value::Number(v.into());
        assert!(Int32::is_valid(&n(i64::from(i32::MAX))));
        assert!(Int32::is_valid(&n(i64::from(i32::MIN))));
        assert!(!Int32::is_valid(&n(i64::from(i32::MAX) + 1)));
        assert!(!Int32::is_valid(&n(i64::from(i32::MIN) - 1)));
        assert!(!Int32::is_valid(&Value::from(1.5)));
        assert!(!Int32::is_valid(&Value::from("1")));
    }
}
