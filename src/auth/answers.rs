//! What each authentication failure answers, in SimpleJWT 5.5's exact words: the REST body
//! (`detail`, `code`, `messages`) and the GraphQL error message, both from one table.

use serde_json::{Value, json};

use crate::error::AuthError;

impl AuthError {
    /// SimpleJWT's `detail`.
    pub fn detail(&self) -> &'static str {
        match self {
            AuthError::NotProvided => "Authentication credentials were not provided.",
            AuthError::InvalidAccessToken(_) => "Given token not valid for any token type",
            AuthError::BadCredentials => "No active account found with the given credentials",
            AuthError::InvalidRefreshToken(e) => e.message(),
            AuthError::NoUserIdentification => {
                "Token contained no recognizable user identification"
            }
            AuthError::UserNotFound => "User not found",
            AuthError::UserInactive => "User is inactive",
            AuthError::NoActiveAccountForToken => "No active account found for the given token.",
            AuthError::BadAuthorizationHeader => {
                "Authorization header must contain two space-delimited values"
            }
            AuthError::Unavailable => "The database is unavailable; try again shortly.",
        }
    }

    /// SimpleJWT's `code`; none where DRF's own `AuthenticationFailed` or
    /// `NotAuthenticated` answers (it puts only `detail` in the body).
    pub fn code(&self) -> Option<&'static str> {
        match self {
            AuthError::InvalidAccessToken(_)
            | AuthError::InvalidRefreshToken(_)
            | AuthError::NoUserIdentification => Some("token_not_valid"),
            AuthError::UserNotFound => Some("user_not_found"),
            AuthError::UserInactive => Some("user_inactive"),
            AuthError::BadAuthorizationHeader => Some("bad_authorization_header"),
            AuthError::NotProvided
            | AuthError::BadCredentials
            | AuthError::NoActiveAccountForToken
            | AuthError::Unavailable => None,
        }
    }

    /// The REST body, keys in SimpleJWT's order (`detail`, `code`, `messages`).
    pub fn drf_body(&self) -> Value {
        let mut body = serde_json::Map::new();
        body.insert("detail".into(), self.detail().into());
        if let Some(code) = self.code() {
            body.insert("code".into(), code.into());
        }
        if let AuthError::InvalidAccessToken(e) = self {
            body.insert(
                "messages".into(),
                json!([{
                    "token_class": "AccessToken",
                    "token_type": "access",
                    "message": e.message(),
                }]),
            );
        }
        Value::Object(body)
    }

    /// The GraphQL error message: the detail, with the reason of a refused access token.
    pub fn graphql_message(&self) -> String {
        match self {
            AuthError::InvalidAccessToken(e) => format!("Given token not valid: {}", e.message()),
            other => other.detail().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token::TokenError;

    #[test]
    fn access_token_refusals_carry_simplejwts_messages() {
        let body = AuthError::InvalidAccessToken(TokenError::WrongType).drf_body();
        assert_eq!(
            body,
            json!({
                "detail": "Given token not valid for any token type",
                "code": "token_not_valid",
                "messages": [{"token_class": "AccessToken", "token_type": "access",
                              "message": "Token has wrong type"}],
            })
        );
        assert_eq!(
            AuthError::InvalidAccessToken(TokenError::Expired).graphql_message(),
            "Given token not valid: Token is expired"
        );
        assert_eq!(
            AuthError::UserInactive.drf_body(),
            json!({"detail": "User is inactive", "code": "user_inactive"})
        );
        assert_eq!(
            AuthError::NoActiveAccountForToken.drf_body(),
            json!({"detail": "No active account found for the given token."})
        );
    }
}
