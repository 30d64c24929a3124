//! SimpleJWT-compatible tokens: HS256 only, claims `token_type`, `exp`, `iat`, `jti`, `user_id`
//! (a string, as SimpleJWT writes it), plus `username` and `email`.
//!
//! A token minted by the legacy Django deployment with the same secret verifies here, and the
//! other way round.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Deserializer, Serialize};

use crate::config::Settings;

/// Longest token accepted; anything longer is refused before any parsing.
const MAX_TOKEN_LEN: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

/// The payload, in SimpleJWT's field order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub token_type: TokenType,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    #[serde(deserialize_with = "user_id_text")]
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Claims {
    pub fn user_id(&self) -> Option<i64> {
        self.user_id.parse().ok()
    }
}

/// SimpleJWT writes `user_id` as a string; older deployments wrote a number. Both are read.
fn user_id_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(i64),
    }
    Ok(match Id::deserialize(d)? {
        Id::Text(s) => s,
        Id::Number(n) => n.to_string(),
    })
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    Invalid,
}

/// The signing key and lifetimes.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_lifetime: Duration,
    pub refresh_lifetime: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").finish_non_exhaustive()
    }
}

/// Who a token is minted for.
pub struct Subject<'a> {
    pub id: i64,
    pub username: &'a str,
    pub email: &'a str,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_lifetime: Duration, refresh_lifetime: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp"]);
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_lifetime,
            refresh_lifetime,
        }
    }

    pub fn from_settings(settings: &Settings) -> Self {
        Self::new(
            settings.jwt_secret.as_bytes(),
            settings.access_token_lifetime,
            settings.refresh_token_lifetime,
        )
    }

    pub fn mint(&self, token_type: TokenType, subject: &Subject<'_>) -> (String, Claims) {
        let now = chrono::Utc::now().timestamp();
        let lifetime = match token_type {
            TokenType::Access => self.access_lifetime,
            TokenType::Refresh => self.refresh_lifetime,
        };
        let claims = Claims {
            token_type,
            exp: now + lifetime.as_secs() as i64,
            iat: now,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            user_id: subject.id.to_string(),
            username: Some(subject.username.to_owned()),
            email: Some(subject.email.to_owned()),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding of plain claims cannot fail");
        (token, claims)
    }

    /// Verifies signature, algorithm, `exp`/`nbf`, and that the token is of the expected type.
    pub fn verify(&self, token: &str, expected: TokenType) -> Result<Claims, TokenError> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Invalid);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        let claims = data.claims;
        if claims.token_type != expected || claims.jti.is_empty() || claims.user_id().is_none() {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(
            b"secret",
            Duration::from_secs(900),
            Duration::from_secs(86400),
        )
    }

    fn subject() -> Subject<'static> {
        Subject {
            id: 2,
            username: "user",
            email: "user@example.com",
        }
    }

    #[test]
    fn minted_tokens_have_simplejwt_claims() {
        let (token, claims) = keys().mint(TokenType::Access, &subject());
        assert_eq!(claims.user_id, "2");
        assert_eq!(claims.jti.len(), 32);
        let payload = token.split('.').nth(1).unwrap();
        use base64::Engine;
        let json: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        let keys_in_order: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys_in_order,
            [
                "token_type",
                "exp",
                "iat",
                "jti",
                "user_id",
                "username",
                "email"
            ]
        );
        assert_eq!(json["user_id"], "2");
        assert_eq!(json["token_type"], "access");
    }

    #[test]
    fn verification_checks_type_key_and_time() {
        let k = keys();
        let (access, _) = k.mint(TokenType::Access, &subject());
        let (refresh, _) = k.mint(TokenType::Refresh, &subject());
        assert!(k.verify(&access, TokenType::Access).is_ok());
        assert_eq!(
            k.verify(&refresh, TokenType::Access).unwrap_err(),
            TokenError::Invalid
        );
        assert_eq!(
            k.verify(&access, TokenType::Refresh).unwrap_err(),
            TokenError::Invalid
        );
        let other = TokenKeys::new(b"other", Duration::from_secs(900), Duration::from_secs(900));
        assert_eq!(
            other.verify(&access, TokenType::Access).unwrap_err(),
            TokenError::Invalid
        );
        assert_eq!(
            k.verify("garbage", TokenType::Access).unwrap_err(),
            TokenError::Invalid
        );
    }
}
