//! Access tokens already verified. A client sends the same access token with every request
//! until it expires; checking its HS256 signature again each time (base64, HMAC-SHA256, the
//! claims parsed) was a tenth of the instructions of a REST order read (BENCHMARKS.md). The
//! claims of a token that verified are remembered by its exact text, so the same text under the
//! same key verifies to the same claims; only what time changes, its expiry, is checked again
//! (`TokenKeys::verify`). Refusals are not remembered: a wrong token costs a verification each
//! time, and fills nothing.

use jsonwebtoken::Validation;

use crate::auth::token::{Claims, TokenError};
use crate::memo::Memo;

/// Tokens remembered, the least recently used forgotten first (a few hundred bytes each).
const CAPACITY: usize = 512;

pub struct VerifiedTokens {
    memo: Memo<Box<str>, Claims>,
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        VerifiedTokens {
            memo: Memo::new(CAPACITY),
        }
    }
}

impl VerifiedTokens {
    /// What `token` verifies to now if it verified before: its claims, or `Expired` by the
    /// check `jsonwebtoken::decode` makes with `validation` (`nbf` needs none: a token valid
    /// once stays so until it expires).
    pub fn get(&self, token: &str, validation: &Validation) -> Option<Result<Claims, TokenError>> {
        let claims = self.memo.get(token)?;
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let reject = validation.reject_tokens_expiring_in_less_than as i64;
        let leeway = validation.leeway as i64;
        Some(if claims.exp - reject < now - leeway {
            Err(TokenError::Expired)
        } else {
            Ok(claims)
        })
    }

    /// Remembers that `token` verified to `claims`.
    pub fn remember(&self, token: &str, claims: &Claims) {
        self.memo.put(token.into(), claims.clone());
    }

    #[cfg(test)]
    pub fn remembered(&self) -> usize {
        self.memo.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::auth::token::tests::{keys, subject};
    use crate::auth::token::{TokenError, TokenKeys, TokenType};

    #[test]
    fn an_access_token_that_verified_is_remembered_and_its_expiry_checked_again() {
        let keys = keys();
        let (token, claims) = keys.mint(TokenType::Access, &subject());
        assert_eq!(
            keys.verify(&token, TokenType::Access).unwrap().jti,
            claims.jti
        );
        assert_eq!(keys.verified().remembered(), 1);
        // the memo answers by the token's text: claims remembered for it are what it verifies to
        let mut other = claims.clone();
        other.jti = "remembered".to_owned();
        keys.verified().remember(&token, &other);
        assert_eq!(
            keys.verify(&token, TokenType::Access).unwrap().jti,
            "remembered"
        );
        // ... but an expiry that has passed since is refused as jsonwebtoken refuses it
        other.exp = chrono::Utc::now().timestamp() - 1;
        keys.verified().remember(&token, &other);
        assert_eq!(
            keys.verify(&token, TokenType::Access).unwrap_err(),
            TokenError::Expired
        );
        // refusals and refresh tokens are not remembered
        let (refresh, _) = keys.mint(TokenType::Refresh, &subject());
        assert!(keys.verify(&refresh, TokenType::Refresh).is_ok());
        assert!(keys.verify("not.a.token", TokenType::Access).is_err());
        let mut forged = token.clone().into_bytes();
        let at = forged.len() - 5;
        forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        assert!(keys.verify(&forged, TokenType::Access).is_err());
        assert_eq!(keys.verified().remembered(), 1);
        // a token of another key is refused whatever this key remembers
        assert!(
            TokenKeys::new(b"other", Duration::from_secs(900), Duration::from_secs(900))
                .verify(&token, TokenType::Access)
                .is_err()
        );
    }
}
