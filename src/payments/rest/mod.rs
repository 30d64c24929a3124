//! The REST face of payments: `/api/erp/oms/payments/` and `/api/erp/oms/payments/{id}/`
//! answering as the InventoryHub API does (OMS.md), wired by `rest::resource`. This module
//! parses the bodies and filters and calls `service`; every rule and permission is the
//! domain's.

mod repr;

use entity::payment;
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde_json::Value;

use crate::auth::Access;
use crate::auth::policy::Caller;
use crate::db::Reads;
use crate::error::{AppError, AppResult, FieldErrors, Problem};
use crate::filters::IntFilter;
use crate::idempotency::{IdempotencyKey, Outcome};
use crate::listing::Window;
use crate::orders::service::get_order;
use crate::payments::filter::{PaymentFilter, PaymentStatusFilter};
use crate::payments::service::{self, NewPayment, PaymentChange};
use crate::payments::status::PaymentStatus;
use crate::rest::fields::Form;
use crate::rest::methods::{COLLECTION_METHODS, ITEM_METHODS, View};
use crate::rest::query::{QueryParams, unavailable_choice};
use crate::rest::resource::{Resource, body_of};
use crate::rest::resource_doc::Docs;
use crate::state::AppState;

pub use repr::{OrderPayment, Payment, PaymentPatch, PaymentWrite, represent};

/// The payments view set.
pub struct Payments;

#[async_trait::async_trait]
impl Resource for Payments {
    const MODEL: &'static str = "Payment";
    const PATH: &'static str = "/api/erp/oms/payments";
    const LIST_VIEW: &'static View = &View {
        name: "Payment List",
        description: "Payments, newest first. Filters: id, order, status.",
        allow: COLLECTION_METHODS,
    };
    const ITEM_VIEW: &'static View = &View {
        name: "Payment Instance",
        description: "One payment: retrieve, update, delete.",
        allow: ITEM_METHODS,
    };
    const DOCS: &'static Docs = &Docs {
        tag: "payments",
        noun: "payment",
        plural: "payments",
        filters: &[
            ("id", true, "Only the payment of this id."),
            ("order", true, "Only the payments of this order."),
            (
                "status",
                false,
                "Only payments in this status (pending, completed, failed, refunded).",
            ),
        ],
        create: "Records a payment on an order (201).",
        destroy: "Deletes a payment (204).",
    };
    type Row = payment::Model;
    type Shown = Payment;
    type Write = PaymentWrite;
    type Patch = PaymentPatch;
    type New = NewPayment;
    type Filter = PaymentFilter;

    fn id_of(row: &payment::Model) -> i64 {
        row.id
    }

    /// django-filter's `?id=&order=&status=`; an order the caller cannot see is a bad choice.
    async fn filter(db: &Reads, access: &Access, query: &QueryParams) -> AppResult<PaymentFilter> {
        let mut errors = FieldErrors::new();
        let id = query.number("id", &mut errors);
        let order = query.model_choice("order", &mut errors);
        let status = query.choice::<PaymentStatus>("status", &mut errors);
        if let Some(o) = order
            && get_order(db, access, o).await?.is_none()
        {
            unavailable_choice("order", &mut errors);
        }
        errors.into_result()?;
        Ok(PaymentFilter {
            id,
            order: order.map(IntFilter::eq),
            status: status.map(|s| PaymentStatusFilter {
                eq: Some(s),
                ..Default::default()
            }),
            ..Default::default()
        })
    }

    async fn count(db: &Reads, access: &Access, f: &PaymentFilter) -> AppResult<u64> {
        service::count_payments(db, access, Some(f)).await
    }

    async fn rows(
        db: &Reads,
        access: &Access,
        f: &PaymentFilter,
        window: Window,
    ) -> AppResult<Vec<payment::Model>> {
        service::all_payments(db, access, Some(f), window).await
    }

    async fn find<C: ConnectionTrait>(
        db: &C,
        access: &Access,
        id: i64,
    ) -> AppResult<Option<payment::Model>> {
        service::get_payment(db, access, id).await
    }

    async fn represent<C: ConnectionTrait>(
        db: &C,
        rows: Vec<payment::Model>,
    ) -> AppResult<Vec<Payment>> {
        represent(db, rows).await
    }

    fn parse_new(body: &Value) -> AppResult<NewPayment> {
        new_payment(body)
    }

    async fn create(
        state: &AppState,
        caller: Caller<'_>,
        new: NewPayment,
        key: Option<&IdempotencyKey>,
    ) -> AppResult<Outcome<payment::Model>> {
        let (order_id, mut face_errors) = (new.order_id, new.errors.clone());
        let answer = async |txn: &DatabaseTransaction, created: &payment::Model| {
            body_of::<Payments, _>(txn, created.clone()).await.map(Some)
        };
        match service::create_payment_keyed(state, caller, new, key, answer).await {
            // a body id names no order the caller may see: DRF's 400 under that field
            Err(AppError::NotFound("Order")) => {
                let id = order_id.map(|id| id.to_string()).unwrap_or_default();
                face_errors.add_field("order_id", Problem::DoesNotExist(id));
                Err(AppError::Validation(face_errors))
            }
            other => other,
        }
    }

    async fn change(
        state: &AppState,
        access: &Access,
        id: i64,
        body: &Value,
        partial: bool,
    ) -> AppResult<payment::Model> {
        service::update_payment(state, access, id, payment_change(body, partial)?).await
    }

    async fn delete(state: &AppState, access: &Access, id: i64) -> AppResult<()> {
        service::delete_payment(state, access, id).await
    }
}

/// A `POST` body as DRF's payment serializer reads it. `paid_at` is the domain's to set on
/// creation (when the payment is completed).
fn new_payment(body: &Value) -> AppResult<NewPayment> {
    let mut errors = FieldErrors::new();
    let mut new = NewPayment::default();
    let form = Form::root(body, false)?;
    new.order_id = form.pk("order_id", true, &mut errors);
    new.amount = form.decimal("amount", true, &mut errors);
    new.payment_method = form.text("payment_method", true, &mut errors);
    new.status = form.choice("status", false, &mut errors);
    new.errors = errors;
    Ok(new)
}

/// A `PUT` (`partial: false`) or `PATCH` body. A null `paid_at` leaves it as it is (the
/// domain keeps `paid_at` of a completed payment).
fn payment_change(body: &Value, partial: bool) -> AppResult<PaymentChange> {
    let mut errors = FieldErrors::new();
    let mut change = PaymentChange::default();
    let form = Form::root(body, partial)?;
    change.order_id = form.pk("order_id", true, &mut errors);
    change.amount = form.decimal("amount", true, &mut errors);
    change.payment_method = form.text("payment_method", true, &mut errors);
    change.status = form.choice("status", false, &mut errors);
    change.paid_at = form.nullable_datetime("paid_at", &mut errors).flatten();
    change.errors = errors;
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::errors::field_map;
    use serde_json::json;

    #[test]
    fn documented_body_reads_exactly() {
        let new = new_payment(&json!({
            "order_id": 1, "amount": 999.99, "payment_method": "PayPal", "status": "pending"
        }))
        .unwrap();
        assert!(new.errors.is_empty());
        assert_eq!(new.amount, Some(rust_decimal::Decimal::new(99_999, 2)));
        assert_eq!(new.payment_method.as_deref(), Some("PayPal"));
        assert_eq!(new.status, Some(PaymentStatus::Pending));
    }

    #[test]
    fn type_errors_at_once() {
        let new = new_payment(&json!({"amount": "lots", "payment_method": [], "status": "bogus"}))
            .unwrap();
        assert_eq!(
            field_map(&new.errors),
            json!({
                "amount": ["A valid number is required."],
                "order_id": ["This field is required."],
                "payment_method": ["Not a valid string."],
                "status": ["\"bogus\" is not a valid choice."],
            })
        );
        let patch =
            payment_change(&json!({"status": "completed", "paid_at": "noon"}), true).unwrap();
        assert_eq!(
            field_map(&patch.errors),
            json!({"paid_at": ["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]})
        );
    }
}
