//! The authorization policy of CONTRACT §6, asked by every domain function before it acts.
//!
//! `OMS_AUTHZ=roles`: staff may do everything; a customer sees only their own orders and their
//! payments, and may make only the changes the order rules grant them. `OMS_AUTHZ=legacy`:
//! any authenticated user may do anything. Without a token, data operations answer 401 unless
//! `OMS_ANONYMOUS_READ=true` opens the reads.
//!
//! The role rules of orders, payments and trusted documents are the `may_*` functions below:
//! the services (and the GraphQL gate of trusted documents) call them, so no one else decides
//! a role on its own.

use sea_orm::ConnectionTrait;

pub use crate::auth::pending::PendingCaller;
use crate::auth::principal::{AuthState, Credentials, Principal, UserLookup};
use crate::config::{AuthzMode, Settings};
use crate::error::{AppError, AppResult, AuthError};
use crate::orders::status::OrderStatus;
use crate::payments::status::PaymentStatus;

/// What a caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadScope {
    /// Every order and payment.
    All,
    /// Only the orders of this customer (and their payments).
    Customer(i64),
}

impl ReadScope {
    /// The one customer whose orders the scope holds (`None`: every order).
    pub fn customer(self) -> Option<i64> {
        match self {
            ReadScope::All => None,
            ReadScope::Customer(id) => Some(id),
        }
    }

    /// The scope of that one customer's orders, or of every order.
    pub fn of_customer(customer: Option<i64>) -> ReadScope {
        customer.map_or(ReadScope::All, ReadScope::Customer)
    }

    pub fn allows_customer(&self, customer_id: i64) -> bool {
        match self {
            ReadScope::All => true,
            ReadScope::Customer(id) => *id == customer_id,
        }
    }

    /// Whether a user's own record may be read: a customer reads only their own.
    pub fn allows_user(&self, user_id: i64) -> bool {
        self.allows_customer(user_id)
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

/// Who asks for a write or a read: an `Access` resolved already, or the token's credentials,
/// looked up by the write's own transaction (one pool connection, not two) or by the read's
/// own statement (`auth::riding`).
#[derive(Debug, Clone)]
pub enum Caller<'a> {
    Resolved(&'a Access),
    Deferred {
        credentials: Credentials,
        settings: &'a Settings,
    },
    /// A request's token user, looked up by the write or read that resolves it and kept for
    /// what the request does after.
    Pending(&'a PendingCaller),
}

impl<'a> From<&'a Access> for Caller<'a> {
    fn from(access: &'a Access) -> Self {
        Caller::Resolved(access)
    }
}

impl Caller<'_> {
    /// The 401 of a request without a usable token, found without the database; otherwise
    /// the id of the user the token names (who may still turn out to be gone: see `resolve`).
    pub fn authenticated(&self) -> AppResult<i64> {
        match self {
            Caller::Resolved(access) => access.user().map(|u| u.id),
            Caller::Pending(pending) => Ok(pending.user_id()),
            Caller::Deferred {
                credentials: Credentials::User(id),
                ..
            } => Ok(*id),
            Caller::Deferred {
                credentials,
                settings,
            } => {
                let auth = match credentials {
                    Credentials::Invalid(e) => AuthState::Invalid(e.clone()),
                    _ => AuthState::Anonymous,
                };
                Access::new(auth, settings).user().map(|u| u.id)
            }
        }
    }

    /// The id of the user whose lookup is still due: a write may look it up within one of its
    /// own statements (an order: in its references') and hand the result to `resolve_with`.
    pub fn lookup_due(&self) -> Option<i64> {
        match self {
            Caller::Resolved(_) => None,
            Caller::Deferred {
                credentials: Credentials::User(id),
                ..
            } => Some(*id),
            Caller::Deferred { .. } => None,
            Caller::Pending(pending) => pending.lookup_due(),
        }
    }

    /// The caller's `Access`: `looked_up` is the due lookup if the write made it (see
    /// `lookup_due`); otherwise the user is looked up on `db` when it was deferred.
    pub async fn resolve_with<C: ConnectionTrait>(
        self,
        db: &C,
        looked_up: Option<UserLookup>,
    ) -> Access {
        let Some(lookup) = looked_up else {
            return self.resolve(db).await;
        };
        match self {
            Caller::Deferred {
                credentials: Credentials::User(id),
                settings,
            } => Access::new(AuthState::of_lookup(id, Ok(lookup)), settings),
            Caller::Pending(pending) => pending.settle(Ok(lookup)),
            caller => caller.resolve(db).await,
        }
    }

    /// The caller's `Access`, its user looked up on `db` when it was deferred.
    pub async fn resolve<C: ConnectionTrait>(self, db: &C) -> Access {
        match self {
            Caller::Resolved(access) => access.clone(),
            Caller::Deferred {
                credentials,
                settings,
            } => Access::new(credentials.resolve(db).await, settings),
            Caller::Pending(pending) => pending.resolve(db).await,
        }
    }
}

/// Whether the caller may run GraphQL documents that the trusted list does not hold, when
/// `OMS_TRUSTED_DOCUMENTS_STAFF_ANY` allows it: staff only (GraphiQL), under either
/// `OMS_AUTHZ` mode, as the setting's name says.
pub fn may_run_unlisted_documents(auth: &AuthState) -> bool {
    auth.principal().is_some_and(|p| p.is_staff)
}

/// Placing an order: a customer (under `roles`) only for themselves and only as pending.
pub fn may_place_order(
    access: &Access,
    customer_id: Option<i64>,
    status: Option<OrderStatus>,
) -> AppResult<()> {
    let caller = access.user()?;
    if access.is_privileged() {
        return Ok(());
    }
    if customer_id.is_some_and(|c| c != caller.id) {
        return Err(AppError::Forbidden(
            "Customers may only place orders for themselves.".into(),
        ));
    }
    if status.is_some_and(|s| s != OrderStatus::Pending) {
        return Err(AppError::Forbidden(
            "Customers may only place pending orders.".into(),
        ));
    }
    Ok(())
}

/// Changing an order the caller sees: a customer may not reassign it and may only cancel it
/// (setting the status it has is no change).
pub fn may_change_order(
    access: &Access,
    customer_id: i64,
    status: OrderStatus,
    new_customer: Option<i64>,
    new_status: Option<OrderStatus>,
) -> AppResult<()> {
    access.user()?;
    if access.is_privileged() {
        return Ok(());
    }
    if new_customer.is_some_and(|c| c != customer_id) {
        return Err(AppError::Forbidden(
            "Customers may not reassign orders.".into(),
        ));
    }
    if new_status.is_some_and(|to| to != status && to != OrderStatus::Cancelled) {
        return Err(AppError::Forbidden(
            "Customers may only cancel their orders.".into(),
        ));
    }
    Ok(())
}

/// Deleting an order: staff only (a customer cancels instead).
pub fn may_delete_order(access: &Access) -> AppResult<()> {
    access.user()?;
    if access.is_privileged() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Customers may not delete orders; cancel it instead.".into(),
        ))
    }
}

/// Recording a payment on an order the caller sees: a customer only as pending.
pub fn may_create_payment(access: &Access, status: Option<PaymentStatus>) -> AppResult<()> {
    access.user()?;
    if !access.is_privileged() && status.is_some_and(|s| s != PaymentStatus::Pending) {
        return Err(AppError::Forbidden(
            "Customers may only create pending payments.".into(),
        ));
    }
    Ok(())
}

/// Changing or deleting a payment: staff only (a change that changes nothing is allowed).
pub fn may_change_payment(access: &Access, changes_something: bool) -> AppResult<()> {
    access.user()?;
    if changes_something && !access.is_privileged() {
        return Err(AppError::forbidden());
    }
    Ok(())
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
    fn order_and_payment_rules_follow_the_role() {
        use OrderStatus::*;
        let customer = access(user(false), AuthzMode::Roles, false);
        let staff = access(user(true), AuthzMode::Roles, false);
        let legacy = access(user(false), AuthzMode::Legacy, false);
        let forbidden = |r: AppResult<()>| matches!(r, Err(AppError::Forbidden(_)));
        assert!(may_place_order(&customer, Some(7), Some(Pending)).is_ok());
        assert!(forbidden(may_place_order(&customer, Some(8), None)));
        assert!(forbidden(may_place_order(&customer, None, Some(Confirmed))));
        assert!(may_place_order(&staff, Some(8), Some(Confirmed)).is_ok());
        assert!(may_place_order(&legacy, Some(8), Some(Shipped)).is_ok());
        assert!(may_change_order(&customer, 7, Pending, Some(7), Some(Cancelled)).is_ok());
        assert!(may_change_order(&customer, 7, Confirmed, None, Some(Confirmed)).is_ok());
        assert!(forbidden(may_change_order(
            &customer,
            7,
            Pending,
            Some(8),
            None
        )));
        assert!(forbidden(may_change_order(
            &customer,
            7,
            Pending,
            None,
            Some(Confirmed)
        )));
        assert!(may_change_order(&staff, 7, Pending, Some(8), Some(Confirmed)).is_ok());
        assert!(forbidden(may_delete_order(&customer)));
        assert!(may_delete_order(&legacy).is_ok());
        assert!(may_create_payment(&customer, Some(PaymentStatus::Pending)).is_ok());
        assert!(forbidden(may_create_payment(
            &customer,
            Some(PaymentStatus::Completed)
        )));
        assert!(may_create_payment(&staff, Some(PaymentStatus::Completed)).is_ok());
        assert!(may_change_payment(&customer, false).is_ok());
        assert!(forbidden(may_change_payment(&customer, true)));
        assert!(may_change_payment(&staff, true).is_ok());
        let anonymous = access(AuthState::Anonymous, AuthzMode::Roles, true);
        assert!(matches!(
            may_place_order(&anonymous, None, None),
            Err(AppError::Unauthenticated(_))
        ));
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
