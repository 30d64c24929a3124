//! Unpaged lists at any size: the bare array is streamed in chunks of `rest::stream::CHUNK`
//! rows, byte for byte what the whole list serialized at once is, with a constant number of
//! statements per chunk, the caller's permissions and filters applied, and a connection cut
//! (never a valid-looking truncated array) when a later chunk fails.

use entity::{Money, order, payment};
use oms_gateway::rest::stream::CHUNK;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::rest::support::{TestApp, spawn};

/// Inserts `n` orders of `customer` (no items) with one payment each, in two statements.
async fn bulk_orders(app: &TestApp, n: usize, customer: i64) {
    let db = &app.state.db;
    let now = oms_gateway::time::now();
    let first = order::Entity::find()
        .order_by_desc(order::Column::Id)
        .one(db)
        .await
        .unwrap()
        .map_or(0, |o| o.id);
    let orders = (0..n).map(|_| order::ActiveModel {
        status: Set("pending".into()),
        total_amount: Set(Money::new(Decimal::new(1050, 2))),
        created_at: Set(now),
        updated_at: Set(now),
        customer_id: Set(customer),
        ..Default::default()
    });
    order::Entity::insert_many(orders)
        .exec_without_returning(db)
        .await
        .unwrap();
    let ids: Vec<i64> = order::Entity::find()
        .filter(order::Column::Id.gt(first))
        .all(db)
        .await
        .unwrap()
        .iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(ids.len(), n);
    let payments = ids.into_iter().map(|order_id| payment::ActiveModel {
        amount: Set(Money::new(Decimal::new(1050, 2))),
        payment_method: Set("Cash".into()),
        status: Set("pending".into()),
        paid_at: Set(None),
        created_at: Set(now),
        order_id: Set(order_id),
        ..Default::default()
    });
    payment::Entity::insert_many(payments)
        .exec_without_returning(db)
        .await
        .unwrap();
}

/// The statements of streaming `rows` rows: `lookup` for the caller's lookup (none when the
/// first chunk's read looks the caller up: `auth::riding`), then `per_chunk` for each chunk;
/// after a full last chunk, one more read finds nothing (and renders nothing).
fn expected_statements(lookup: u64, rows: u64, per_chunk: u64) -> u64 {
    let full = rows / CHUNK;
    let last = if rows.is_multiple_of(CHUNK) {
        1
    } else {
        per_chunk
    };
    lookup + per_chunk * full + last
}

/// The body's bytes and the statements the request sent.
async fn streamed(app: &TestApp, path: &str, token: &str) -> (Vec<u8>, u64) {
    let before = app.state.sql.get();
    let response = app.get_streamed(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = response.bytes().await.expect("the whole body").to_vec();
    (body, app.state.sql.get() - before)
}

/// What serializing the whole list at once writes (the answer before lists were streamed).
async fn whole_orders(app: &TestApp, customer: Option<i64>) -> Vec<u8> {
    let mut select = order::Entity::find().order_by_desc(order::Column::Id);
    if let Some(c) = customer {
        select = select.filter(order::Column::CustomerId.eq(c));
    }
    let rows = select.all(&app.state.db).await.unwrap();
    let shown = oms_gateway::orders::rest::represent(&app.state.db, rows)
        .await
        .unwrap();
    serde_json::to_vec(&shown).unwrap()
}

#[tokio::test]
async fn lists_of_several_chunks_stream_the_same_bytes_with_statements_per_chunk() {
    let app = spawn().await;
    let (other, other_token) = app.new_customer("other").await;
    bulk_orders(&app, 600, app.demo.user).await;
    bulk_orders(&app, 600, other).await;
    let admin = app.admin().await;
    let total = order::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .len() as u64;
    assert_eq!(total, 1201);

    // the caller (first looked up by a statement of its own: no scope of theirs is
    // remembered), then per chunk one statement: the orders with all their relations
    let (body, statements) = streamed(&app, "/api/erp/oms/orders/", &admin).await;
    assert_eq!(body, whole_orders(&app, None).await);
    assert_eq!(statements, expected_statements(1, total, 1));
    // then within the first chunk's statement
    let (again, statements) = streamed(&app, "/api/erp/oms/orders/", &admin).await;
    assert_eq!(again, body);
    assert_eq!(statements, expected_statements(0, total, 1));

    // a customer streams only their own; a filter applies to every chunk
    let (mine, _) = streamed(&app, "/api/erp/oms/orders/", &other_token).await;
    assert_eq!(mine, whole_orders(&app, Some(other)).await);
    let path = format!("/api/erp/oms/orders/?customer={other}&status=pending");
    let (filtered, statements) = streamed(&app, &path, &admin).await;
    assert_eq!(filtered, mine);
    assert_eq!(statements, expected_statements(0, 600, 1));

    // payments: the caller, then per chunk the payments, their orders and their customers
    let (payments, statements) = streamed(&app, "/api/erp/oms/payments/", &admin).await;
    let rows = payment::Entity::find()
        .order_by_desc(payment::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap();
    let count = rows.len() as u64;
    let shown = oms_gateway::payments::rest::represent(&app.state.db, rows)
        .await
        .unwrap();
    assert_eq!(payments, serde_json::to_vec(&shown).unwrap());
    assert_eq!(statements, expected_statements(1, count, 3));
    let (theirs, _) = streamed(&app, "/api/erp/oms/payments/", &other_token).await;
    let theirs: Vec<serde_json::Value> = serde_json::from_slice(&theirs).unwrap();
    assert_eq!(theirs.len(), 600);
    assert!(
        theirs
            .iter()
            .all(|p| p["order"].as_str().unwrap().ends_with(" - other"))
    );
}

/// Makes the oldest order name a customer that does not exist, past the foreign key (on a
/// connection of its own that does not check them), so that rendering its chunk fails.
async fn break_oldest_order(app: &TestApp) {
    let mut options = ConnectOptions::new(app.database_url().to_owned());
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options).await.unwrap();
    let off = match db.get_database_backend() {
        DbBackend::Postgres => "SET session_replication_role = replica",
        _ => "PRAGMA foreign_keys = OFF",
    };
    db.execute_unprepared(off).await.unwrap();
    let oldest = order::Entity::find()
        .order_by_asc(order::Column::Id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    db.execute_unprepared(&format!(
        "UPDATE oms_order SET customer_id = 999999 WHERE id = {}",
        oldest.id
    ))
    .await
    .unwrap();
    db.close().await.unwrap();
}

#[tokio::test]
async fn a_chunk_that_fails_after_the_status_line_cuts_the_connection() {
    let app = spawn().await;
    bulk_orders(&app, CHUNK as usize + 10, app.demo.user).await;
    break_oldest_order(&app).await;
    let admin = app.admin().await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let sent = client
        .get(app.url("/api/erp/oms/orders/"))
        .bearer_auth(&admin)
        .send()
        .await;
    // the status line and the first chunk may still sit in the server's write buffer when the
    // failure comes: the client then hears of no answer at all; else of a body cut short
    if let Ok(mut response) = sent {
        assert_eq!(response.status(), StatusCode::OK);
        let mut received = Vec::new();
        let failure = loop {
            match response.chunk().await {
                Ok(Some(bytes)) => received.extend_from_slice(&bytes),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        assert!(failure.is_some(), "the body ended as if it were whole");
        assert!(
            serde_json::from_slice::<serde_json::Value>(&received).is_err(),
            "what arrived is no valid JSON"
        );
    }
    // the gateway goes on answering
    let paged = app
        .get("/api/erp/oms/orders/?page_size=5", Some(&admin))
        .await;
    assert_eq!(paged.status, StatusCode::OK);
}
