//! The authorization policy of CONTRACT §6, asked by every domain function before it acts.
//!
//! `OMS_AUTHZ=roles`: staff may do everything; a customer sees only their own orders and their
//! payments, and may make only the changes the order rules grant them. `OMS_AUTHZ=legacy`:
//! any authenticated user may do anything. Without a token, data operations answer 401 unless
//! `OMS_ANONYMOUS_READ=true` opens the reads.

use crate::auth::principal::{AuthState, Principal};
use crate::config::{AuthzMode, Settings};
use crate::error::{AppError, AppResult, AuthError};

/// What a caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadScope {
    /// Every order and payment.
    All,
    /// Only the orders of this customer (and their payments).
    Customer(i64),
}

impl ReadScope {
    pub fn allows_customer(&self, customer_id: i64) -> bool {
        match self {
            ReadScope::All => true,
            ReadScope::Customer(id) => *id == customer_id,
        }
    }
}

/// The caller and the rules in force for this request.
#[derive(Debug, Clone)]
pub struct Access {
    pub auth: AuthState,
    pub mode: AuthzMode,
    pub anonymous_read: bool,
}

impl Access {
    pub fn new(auth: AuthState, settings: &Settings) -> Self {
        Access {
            auth,
            mode: settings.authz,
            anonymous_read: settings.anonymous_read,
        }
    }

    /// An access for internal tasks (seeding, tools): a staff principal.
    pub fn system(principal: Principal) -> Self {
        Access {
            auth: AuthState::User(principal),
            mode: AuthzMode::Roles,
            anonymous_read: false,
        }
    }

    pub fn principal(&self) -> Option<&Principal> {
        self.auth.principal()
    }

    /// The authenticated user, or the 401 this request deserves.
    pub fn user(&self) -> AppResult<&Principal> {
        match &self.auth {
            AuthState::User(p) => Ok(p),
            AuthState::Anonymous => Err(AppError::Unauthenticated(AuthError::NotProvided)),
            AuthState::Invalid(e) => Err(invalid(e)),
        }
    }

    /// Staff, or anyone authenticated under `OMS_AUTHZ=legacy`.
    pub fn is_privileged(&self) -> bool {
        match self.principal() {
            Some(p) => p.is_staff || self.mode == AuthzMode::Legacy,
            None => false,
        }
    }

    /// What the caller may read; 401 when they may read nothing.
    pub fn read_scope(&self) -> AppResult<ReadScope> {
        match &self.auth {
            AuthState::User(p) if p.is_staff || self.mode == AuthzMode::Legacy => {
                Ok(ReadScope::All)
            }
            AuthState::User(p) => Ok(ReadScope::Customer(p.id)),
            AuthState::Invalid(e) => Err(invalid(e)),
            AuthState::Anonymous if self.anonymous_read => Ok(ReadScope::All),
            AuthState::Anonymous => Err(AppError::Unauthenticated(AuthError::NotProvided)),
        }
    }

    /// The privileged user (catalog and stock writes), else 401 or 403.
    pub fn staff(&self) -> AppResult<&Principal> {
        let p = self.user()?;
        if self.is_privileged() {
            Ok(p)
        } else {
            Err(AppError::forbidden())
        }
    }
}

fn invalid(e: &AuthError) -> AppError {
    match e {
        AuthError::Unavailable => AppError::Unavailable,
        other => AppError::Unauthenticated(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(auth: AuthState, mode: AuthzMode, anonymous_read: bool) -> Access {
        Access {
            auth,
            mode,
            anonymous_read,
        }
    }

    fn user(is_staff: bool) -> AuthState {
        AuthState::User(Principal {
            id: 7,
            username: "u".into(),
            email: "u@x".into(),
            is_staff,
        })
    }

    #[test]
    fn scopes_follow_the_role() {
        assert_eq!(
            access(user(true), AuthzMode::Roles, false)
                .read_scope()
                .unwrap(),
            ReadScope::All
        );
        assert_eq!(
            access(user(false), AuthzMode::Roles, false)
                .read_scope()
                .unwrap(),
            ReadScope::Customer(7)
        );
        assert_eq!(
            access(user(false), AuthzMode::Legacy, false)
                .read_scope()
                .unwrap(),
            ReadScope::All
        );
        assert!(matches!(
            access(AuthState::Anonymous, AuthzMode::Roles, false).read_scope(),
            Err(AppError::Unauthenticated(AuthError::NotProvided))
        ));
        assert_eq!(
            access(AuthState::Anonymous, AuthzMode::Roles, true)
                .read_scope()
                .unwrap(),
            ReadScope::All
        );
        // a bad token is refused even where anonymous reads are open
        assert!(
            access(
                AuthState::Invalid(AuthError::InvalidAccessToken(
                    crate::auth::token::TokenError::Expired,
                )),
                AuthzMode::Roles,
                true
            )
            .read_scope()
            .is_err()
        );
    }

    #[test]
    fn staff_only_operations() {
        assert!(access(user(true), AuthzMode::Roles, false).staff().is_ok());
        assert!(matches!(
            access(user(false), AuthzMode::Roles, false).staff(),
            Err(AppError::Forbidden(_))
        ));
        assert!(
            access(user(false), AuthzMode::Legacy, false)
                .staff()
                .is_ok()
        );
        assert!(matches!(
            access(AuthState::Anonymous, AuthzMode::Roles, true).staff(),
            Err(AppError::Unauthenticated(_))
        ));
    }
}
