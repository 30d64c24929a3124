//! The REST face of payments: `/api/erp/oms/payments/` and `/api/erp/oms/payments/{id}/`
//! answering as the InventoryHub API does (OMS.md), wired by `rest::resource`. This module
//! parses the bodies and filters and calls `service`; every rule and permission is the
//! domain's.

mod body;
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
use crate::payments::service::{self, NewPayment};
use crate::payments::status::PaymentStatus;
use crate::rest::methods::{COLLECTION_METHODS, ITEM_METHODS, View};
use crate::rest::query::{QueryParams, unavailable_choice};
use crate::rest::resource::{Resource, body_of};
use crate::rest::resource_doc::Docs;
use crate::state::AppState;

pub use body::PaymentWrite;
pub use repr::{Payment, represent};

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
    type New = NewPayment;
    type Filter = PaymentFilter;

    fn id_of(row: &payment::Model) -> i64 {
        row.id
    }

    /// django-filter's `?id=&order=&status=`; an order the caller cannot see is a bad choice.
    async fn filter(
        db: &Reads,
        caller: Caller<'_>,
        query: &QueryParams,
    ) -> AppResult<PaymentFilter> {
        let mut errors = FieldErrors::new();
        let id = query.number("id", &mut errors);
        let order = query.model_choice("order", &mut errors);
        let status = query.choice::<PaymentStatus>("status", &mut errors);
        if let Some(o) = order
            && get_order(db, &caller.resolve(db).await, o).await?.is_none()
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

    async fn shown_rows(
        db: &Reads,
        caller: Caller<'_>,
        f: &PaymentFilter,
        window: Window,
    ) -> AppResult<(Vec<Payment>, Option<i64>)> {
        let access = caller.resolve(db).await;
        let rows = service::all_payments(db, &access, Some(f), window).await?;
        let last = rows.last().map(|p| p.id);
        Ok((represent(db, rows).await?, last))
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
        PaymentWrite::new_payment(body)
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
        service::update_payment(state, access, id, PaymentWrite::change(body, partial)?).await
    }

    async fn delete(state: &AppState, access: &Access, id: i64) -> AppResult<()> {
        service::delete_payment(state, access, id).await
    }
}
