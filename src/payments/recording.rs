//! Recording, changing and deleting payments: each in one transaction, on the locked rows it
//! depends on, its event announced with the commit.

use chrono::{DateTime, Utc};
use entity::{Money, order, payment};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait, Set,
};

use crate::auth::policy::{self, Caller};
use crate::auth::{Access, ReadScope};
use crate::db::begin_write;
use crate::error::{AppError, AppResult, FieldErrors, FieldPath, Problem};
use crate::events::{ChangeKind, Event};
use crate::idempotency::{self, IdempotencyKey, Keyed, Operation, Outcome, no_answer};
use crate::orders::status::OrderStatus;
use crate::payments::status::PaymentStatus;
use crate::state::AppState;
use crate::{money, time};

/// A new payment as parsed by a face (`None`: missing or unparseable, already recorded).
#[derive(Debug, Clone, Default)]
pub struct NewPayment {
    pub order_id: Option<i64>,
    pub amount: Option<Decimal>,
    pub payment_method: Option<String>,
    /// Defaults to pending.
    pub status: Option<PaymentStatus>,
    pub errors: FieldErrors,
}

/// A change to a payment.
#[derive(Debug, Clone, Default)]
pub struct PaymentChange {
    pub status: Option<PaymentStatus>,
    pub amount: Option<Decimal>,
    pub payment_method: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    /// Moving the payment to another order (REST's `order_id`; staff only).
    pub order_id: Option<i64>,
    pub errors: FieldErrors,
}

fn check_method(errors: &mut FieldErrors, method: &str) -> String {
    let m = method.trim();
    if m.is_empty() {
        errors.add_field("payment_method", Problem::Blank);
    } else if m.chars().count() > 50 {
        errors.add_field("payment_method", Problem::MaxLength(50));
    }
    m.to_owned()
}

fn check_amount(errors: &mut FieldErrors, amount: Decimal) -> Money {
    match money::positive_amount(amount) {
        Ok(m) => m,
        Err(problems) => {
            for p in problems {
                errors.add_field("amount", p);
            }
            Money::ZERO
        }
    }
}

/// The amount and method given, checked (each problem recorded in `errors`).
fn check_fields(
    errors: &mut FieldErrors,
    amount: Option<Decimal>,
    method: Option<String>,
) -> (Option<Money>, Option<String>) {
    let amount = amount.map(|a| check_amount(errors, a));
    (amount, method.map(|m| check_method(errors, &m)))
}

/// The order a payment refers to, locked, if the caller may see it.
async fn lock_order(
    txn: &DatabaseTransaction,
    scope: ReadScope,
    id: i64,
) -> AppResult<Option<order::Model>> {
    let mut select = order::Entity::find_by_id(id);
    if let ReadScope::Customer(c) = scope {
        select = select.filter(order::Column::CustomerId.eq(c));
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_shared();
    }
    Ok(select.one(txn).await?)
}

/// Records a payment on an order the caller may see. Customers create only pending payments;
/// no payment is added to a cancelled order; a completed one gets `paid_at`.
pub async fn create_payment(
    state: &AppState,
    access: &Access,
    input: NewPayment,
) -> AppResult<payment::Model> {
    match create_payment_keyed(state, access, input, None, no_answer).await? {
        Outcome::Done { value, .. } => Ok(value),
        Outcome::Replayed(_) => Err(AppError::internal(anyhow::anyhow!(
            "a payment without a key was replayed"
        ))),
    }
}

/// `create_payment` with an optional idempotency key: see `orders::placing::create_order_keyed`
/// (the same rules, the caller looked up in the transaction too; the fingerprint is of the
/// order, amount, method and status).
pub async fn create_payment_keyed<'a>(
    state: &AppState,
    caller: impl Into<Caller<'a>>,
    input: NewPayment,
    key: Option<&IdempotencyKey>,
    answer: impl AsyncFnOnce(
        &DatabaseTransaction,
        &payment::Model,
    ) -> AppResult<Option<serde_json::Value>>,
) -> AppResult<Outcome<payment::Model>> {
    let caller = caller.into();
    caller.authenticated()?;
    let txn = begin_write(&state.db).await?;
    let access = caller.resolve(&txn).await;
    let caller_id = access.user()?.id;
    let scope = access.read_scope()?;
    policy::may_create_payment(&access, input.status)?;
    let status = input.status.unwrap_or(PaymentStatus::Pending);
    let keyed = key.filter(|_| input.errors.is_empty()).map(|key| {
        let canonical = serde_json::json!([
            input.order_id,
            input.amount.map(|a| a.normalize().to_string()),
            input.payment_method.as_deref().map(str::trim),
            status.as_str()
        ]);
        Keyed::new(caller_id, Operation::CreatePayment, key, &canonical)
    });
    if let Some(keyed) = &keyed
        && let Some(replay) = keyed.earlier(&txn, state).await?
    {
        return Ok(Outcome::Replayed(replay));
    }
    let mut errors = input.errors;
    let (amount, method) = check_fields(&mut errors, input.amount, input.payment_method);
    if let Some(keyed) = &keyed
        && let Some(replay) = keyed.reserve(&txn, state).await?
    {
        return Ok(Outcome::Replayed(replay));
    }
    let order = match input.order_id {
        Some(id) => lock_order(&txn, scope, id).await?,
        None => None,
    };
    if input.order_id.is_some() && order.is_none() {
        // its absence outranks problems of other fields: the order is what the payment is for
        return Err(AppError::NotFound("Order"));
    }
    errors.into_result()?;
    let (Some(order), Some(amount), Some(method)) = (order, amount, method) else {
        return Err(AppError::internal(anyhow::anyhow!(
            "payment input passed checks incompletely"
        )));
    };
    if order.status == OrderStatus::Cancelled.as_str() {
        return Err(AppError::conflict_on(
            FieldPath::field("order_id"),
            "No payment can be added to a cancelled order.",
        ));
    }
    let now = time::now();
    let paid_at = (status == PaymentStatus::Completed).then_some(now);
    let id = payment::Entity::insert(payment::ActiveModel {
        amount: Set(amount),
        payment_method: Set(method.clone()),
        status: Set(status.as_str().to_owned()),
        paid_at: Set(paid_at),
        created_at: Set(now),
        order_id: Set(order.id),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    let created = payment::Model {
        id,
        amount,
        payment_method: method,
        status: status.as_str().to_owned(),
        paid_at,
        created_at: now,
        order_id: order.id,
    };
    let event = Event::Payment {
        kind: ChangeKind::Created,
        payment_id: created.id,
        order_id: order.id,
        customer_id: order.customer_id,
    };
    let created = (created.id, created);
    idempotency::finish_create(state, txn, keyed.as_ref(), created, answer, event, false).await
}

/// The payment, locked for the rest of the transaction (PostgreSQL), with its order, if the
/// caller may see it. Only the payment row is locked (`FOR UPDATE OF oms_payment`): PostgreSQL
/// refuses `FOR UPDATE` on the nullable side of an outer join, and locking the order too would
/// take the two locks in the opposite order to `delete_order`.
async fn lock_visible(
    txn: &DatabaseTransaction,
    scope: ReadScope,
    id: i64,
) -> AppResult<(payment::Model, order::Model)> {
    let mut select = payment::Entity::find_by_id(id)
        .inner_join(order::Entity)
        .select_also(order::Entity);
    if let ReadScope::Customer(c) = scope {
        select = select.filter(order::Column::CustomerId.eq(c));
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        // `FOR UPDATE OF oms_payment`: PostgreSQL refuses to lock the nullable side of the
        // outer join to the order, and only the payment's row is changed here
        QueryTrait::query(&mut select).lock_with_tables(LockType::Update, [payment::Entity]);
    }
    match select.one(txn).await? {
        Some((p, Some(o))) => Ok((p, o)),
        _ => Err(AppError::NotFound("Payment")),
    }
}

fn stored_status(p: &payment::Model) -> AppResult<PaymentStatus> {
    p.status
        .parse()
        .map_err(|_| AppError::internal(anyhow::anyhow!("payment {} has an unknown status", p.id)))
}

/// Changes a payment (staff only). Status moves pending -> completed | failed, failed ->
/// pending, completed -> refunded; becoming completed sets `paid_at` unless given.
pub async fn update_payment(
    state: &AppState,
    access: &Access,
    id: i64,
    change: PaymentChange,
) -> AppResult<payment::Model> {
    access.user()?;
    let scope = access.read_scope()?;
    let txn = begin_write(&state.db).await?;
    let (current, order) = lock_visible(&txn, scope, id).await?;
    let from = stored_status(&current)?;
    let mut errors = change.errors;
    let (amount, method) = check_fields(&mut errors, change.amount, change.payment_method);
    let changes_something = change.status.is_some_and(|s| s != from)
        || amount.is_some_and(|a| a != current.amount)
        || method
            .as_ref()
            .is_some_and(|m| *m != current.payment_method)
        || change.paid_at.is_some_and(|p| Some(p) != current.paid_at)
        || change.order_id.is_some_and(|o| o != current.order_id);
    policy::may_change_payment(access, changes_something)?;
    if let Some(to) = change.status
        && !from.can_become(to)
    {
        return Err(AppError::conflict_on(
            FieldPath::field("status"),
            format!("A payment cannot go from {from} to {to}."),
        ));
    }
    let mut target_order = order.clone();
    if let Some(oid) = change.order_id
        && oid != current.order_id
    {
        match lock_order(&txn, scope, oid).await? {
            Some(o) => target_order = o,
            None => errors.add_field("order_id", Problem::DoesNotExist(oid.to_string())),
        }
    }
    errors.into_result()?;
    if !changes_something {
        return Ok(current);
    }
    let to = change.status.unwrap_or(from);
    let paid_at = match (change.paid_at, to) {
        (Some(p), _) => Some(p),
        (None, PaymentStatus::Completed) if from != PaymentStatus::Completed => Some(time::now()),
        (None, _) => current.paid_at,
    };
    let updated = payment::Model {
        status: to.as_str().to_owned(),
        amount: amount.unwrap_or(current.amount),
        payment_method: method.unwrap_or(current.payment_method.clone()),
        paid_at,
        order_id: target_order.id,
        ..current.clone()
    };
    payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::val(updated.status.clone()))
        .col_expr(payment::Column::Amount, Expr::val(updated.amount))
        .col_expr(
            payment::Column::PaymentMethod,
            Expr::val(updated.payment_method.clone()),
        )
        .col_expr(payment::Column::PaidAt, Expr::val(updated.paid_at))
        .col_expr(payment::Column::OrderId, Expr::val(updated.order_id))
        .filter(payment::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let event = Event::Payment {
        kind: ChangeKind::Updated,
        payment_id: id,
        order_id: target_order.id,
        customer_id: target_order.customer_id,
    };
    state.events.commit(txn, &[event]).await?;
    Ok(updated)
}

/// Deletes a payment (staff only).
pub async fn delete_payment(state: &AppState, access: &Access, id: i64) -> AppResult<()> {
    access.user()?;
    let scope = access.read_scope()?;
    let txn = begin_write(&state.db).await?;
    let (current, order) = lock_visible(&txn, scope, id).await?;
    policy::may_change_payment(access, true)?;
    payment::Entity::delete_by_id(id).exec(&txn).await?;
    let event = Event::Payment {
        kind: ChangeKind::Deleted,
        payment_id: id,
        order_id: current.order_id,
        customer_id: order.customer_id,
    };
    state.events.commit(txn, &[event]).await?;
    Ok(())
}
