//! SimpleJWT-compatible tokens: HS256 only, claims `token_type`, `exp`, `iat`, `jti`, `user_id`
//! (a string, as SimpleJWT writes it), plus `username` and `email`.
//!
//! A token minted by the legacy Django deployment with the same secret verifies here, and the
//! other way round.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Deserializer, Serialize};

use crate::auth::verified::VerifiedTokens;
use crate::config::Settings;

/// Longest token accepted; anything longer is refused before any parsing.
const MAX_TOKEN_LEN: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

/// The payload, in SimpleJWT's field order. `user_id` is empty when the token has none
/// (SimpleJWT refuses such a token only when it looks the user up).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub token_type: TokenType,
    pub exp: i64,
    #[serde(default)]
    pub iat: i64,
    pub jti: String,
    #[serde(default, deserialize_with = "user_id_text")]
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

    /// Whether the token names a user at all (SimpleJWT: "Token contained no recognizable
    /// user identification" otherwise).
    pub fn has_user_id(&self) -> bool {
        !self.user_id.is_empty()
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

/// A payload as presented, every claim optional, so that a missing one is refused with its
/// own reason.
#[derive(Deserialize)]
struct Presented {
    token_type: Option<String>,
    exp: Option<i64>,
    #[serde(default)]
    iat: i64,
    jti: Option<String>,
    #[serde(default, deserialize_with = "user_id_text")]
    user_id: String,
    username: Option<String>,
    email: Option<String>,
}

/// Why a token was refused, one variant per message of SimpleJWT 5.5's `TokenError`, checked
/// in its order: signature and lifetime, then `exp`, `jti` and `token_type` present, then the
/// type (a refresh token's blacklist entry is checked by `auth::blacklist`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Bad signature, algorithm or shape.
    Invalid,
    Expired,
    NoExp,
    NoId,
    NoType,
    WrongType,
    /// A refresh token already used (rotation) or blacklisted.
    Blacklisted,
}

impl TokenError {
    /// SimpleJWT's words for it.
    pub fn message(self) -> &'static str {
        match self {
            TokenError::Invalid => "Token is invalid",
            TokenError::Expired => "Token is expired",
            TokenError::NoExp => "Token has no 'exp' claim",
            TokenError::NoId => "Token has no id",
            TokenError::NoType => "Token has no type",
            TokenError::WrongType => "Token has wrong type",
            TokenError::Blacklisted => "Token is blacklisted",
        }
    }
}

/// The signing key and lifetimes.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Access tokens that verified, by their text (shared by the clones).
    verified: Arc<VerifiedTokens>,
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
            verified: Arc::default(),
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

    /// Verifies signature, algorithm, `exp`/`nbf`, and that the token is of the expected type,
    /// refusing with SimpleJWT's reason. The user id is not checked here (see
    /// [`Claims::has_user_id`]).
    /// An access token that verified before is answered from memory (`auth::verified`), its
    /// expiry checked again.
    pub fn verify(&self, token: &str, expected: TokenType) -> Result<Claims, TokenError> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Invalid);
        }
        if expected == TokenType::Access
            && let Some(known) = self.verified.get(token, &self.validation)
        {
            return known;
        }
        let claims = self.decode(token, expected)?;
        if expected == TokenType::Access {
            self.verified.remember(token, &claims);
        }
        Ok(claims)
    }

    /// What this key remembers of the tokens that verified.
    #[cfg(test)]
    pub(crate) fn verified(&self) -> &VerifiedTokens {
        &self.verified
    }

    /// Verifies the token's signature and claims.
    fn decode(&self, token: &str, expected: TokenType) -> Result<Claims, TokenError> {
        let data = jsonwebtoken::decode::<Presented>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::MissingRequiredClaim(claim) if claim == "exp" => TokenError::NoExp,
                _ => TokenError::Invalid,
            })?;
        let presented = data.claims;
        let exp = presented.exp.ok_or(TokenError::NoExp)?;
        let jti = presented.jti.ok_or(TokenError::NoId)?;
        let kind = presented.token_type.ok_or(TokenError::NoType)?;
        let wanted = match expected {
            TokenType::Access => "access",
            TokenType::Refresh => "refresh",
        };
        if kind != wanted {
            return Err(TokenError::WrongType);
        }
        if jti.is_empty() {
            return Err(TokenError::Invalid);
        }
        let claims = Claims {
            token_type: expected,
            exp,
            iat: presented.iat,
            jti,
            user_id: presented.user_id,
            username: presented.username,
            email: presented.email,
        };
        Ok(claims)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn keys() -> TokenKeys {
        TokenKeys::new(
            b"secret",
            Duration::from_secs(900),
            Duration::from_secs(86400),
        )
    }

    pub(crate) fn subject() -> Subject<'static> {
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
            TokenError::WrongType
        );
        assert_eq!(
            k.verify(&access, TokenType::Refresh).unwrap_err(),
            TokenError::WrongType
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

    /// Each missing claim is named as SimpleJWT names it, in its order.
    #[test]
    fn missing_claims_are_refused_with_simplejwts_reasons() {
        let k = keys();
        let sign = |claims: serde_json::Value| {
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(b"secret"),
            )
            .unwrap()
        };
        let exp = chrono::Utc::now().timestamp() + 600;
        let cases = [
            (
                serde_json::json!({"token_type": "access", "jti": "a", "user_id": "1"}),
                TokenError::NoExp,
            ),
            (
                serde_json::json!({"token_type": "access", "exp": exp, "user_id": "1"}),
                TokenError::NoId,
            ),
            (
                serde_json::json!({"exp": exp, "jti": "a", "user_id": "1"}),
                TokenError::NoType,
            ),
            (
                serde_json::json!({"token_type": "sliding", "exp": exp, "jti": "a"}),
                TokenError::WrongType,
            ),
        ];
        for (claims, expected) in cases {
            assert_eq!(
                k.verify(&sign(claims.clone()), TokenType::Access)
                    .unwrap_err(),
                expected,
                "{claims}"
            );
        }
        let anonymous = k
            .verify(
                &sign(serde_json::json!({"token_type": "access", "exp": exp, "jti": "a"})),
                TokenType::Access,
            )
            .expect("a token without user_id verifies");
        assert!(!anonymous.has_user_id());
        assert_eq!(TokenError::NoExp.message(), "Token has no 'exp' claim");
    }
}
