//! Relay pagination of `orders` and `payments` (CONTRACT §4, §9): page sizes (default, cap,
//! zero, negative), walking forwards with `after` and backwards with `before`, `pageInfo` at
//! both ends and in the middle, every sort field in both directions with ties broken by id,
//! cursors of deleted rows, stability while rows are inserted, foreign and garbage cursors,
//! and NULLs of `paidAt`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::{order, payment};
use migration::sea_orm::sea_query::Expr;
use migration::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use oms_gateway::auth::{Access, Principal};
use oms_gateway::orders::service::{self as orders, NewItem, NewOrder};
use oms_gateway::payments::service::{self as payments, NewPayment};
use oms_gateway::payments::status::PaymentStatus;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::fixtures::{Demo, data, demo, error_code};
use crate::helpers::{TestApp, spawn_app};

const ORDERS: &str = "query($first: Int, $after: String, $last: Int, $before: String, $orderBy: [OrderSort!], $filter: OrderFilter) {
  list: orders(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, filter: $filter) {
    totalCount edges { cursor node { id } } nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
const PAYMENTS: &str = "query($first: Int, $after: String, $last: Int, $before: String, $orderBy: [PaymentSort!], $filter: PaymentFilter) {
  list: payments(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, filter: $filter) {
    totalCount edges { cursor node { id } } nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

/// One page as the client sees it, checked for inner consistency when read.
#[derive(Debug)]
struct Page {
    ids: Vec<i64>,
    has_next: bool,
    has_previous: bool,
    start: Option<String>,
    end: Option<String>,
    total: i64,
}

impl Page {
    #[track_caller]
    fn read(r: &Value) -> Page {
        let list = &data(r)["list"];
        let ids: Vec<i64> = list["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_i64().unwrap())
            .collect();
        let edges = list["edges"].as_array().unwrap();
        let edge_ids: Vec<i64> = edges
            .iter()
            .map(|e| e["node"]["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, edge_ids, "nodes and edges agree");
        let cursors: Vec<String> = edges
            .iter()
            .map(|e| e["cursor"].as_str().unwrap().to_owned())
            .collect();
        let info = &list["pageInfo"];
        let start = info["startCursor"].as_str().map(str::to_owned);
        let end = info["endCursor"].as_str().map(str::to_owned);
        assert_eq!(
            start.as_ref(),
            cursors.first(),
            "startCursor is the first edge's"
        );
        assert_eq!(end.as_ref(), cursors.last(), "endCursor is the last edge's");
        let mut distinct = cursors.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), cursors.len(), "one cursor per row");
        Page {
            ids,
            has_next: info["hasNextPage"].as_bool().unwrap(),
            has_previous: info["hasPreviousPage"].as_bool().unwrap(),
            start,
            end,
            total: list["totalCount"].as_i64().unwrap(),
        }
    }
}

/// Which list a walk runs on.
#[derive(Clone, Copy, Debug)]
enum List {
    Orders,
    Payments,
}

impl List {
    fn query(self) -> &'static str {
        match self {
            List::Orders => ORDERS,
            List::Payments => PAYMENTS,
        }
    }
}

async fn fetch(app: &TestApp, list: List, vars: Value, token: &str) -> Value {
    app.gql(list.query(), vars, Some(token)).await
}

async fn page(app: &TestApp, list: List, vars: Value, token: &str) -> Page {
    Page::read(&fetch(app, list, vars, token).await)
}

/// More pages than any walk of these tests needs: a walk that gets there loops.
const MAX_PAGES: usize = 200;

/// Walks the whole list forwards, `size` rows a page, checking `pageInfo` on every page.
async fn walk_forwards(
    app: &TestApp,
    list: List,
    order_by: &Value,
    size: usize,
    token: &str,
) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for k in 0..=MAX_PAGES {
        assert!(
            k < MAX_PAGES,
            "walking forwards by {order_by} does not end: {seen:?}"
        );
        let p = page(
            app,
            list,
            json!({ "first": size, "after": after, "orderBy": order_by }),
            token,
        )
        .await;
        assert_eq!(
            p.has_previous,
            k > 0,
            "page {k} forwards by {order_by}: hasPreviousPage"
        );
        seen.extend(&p.ids);
        if !p.has_next {
            assert!(p.ids.len() <= size);
            // nothing lies beyond the last page
            let beyond = page(
                app,
                list,
                json!({ "first": size, "after": p.end, "orderBy": order_by }),
                token,
            )
            .await;
            assert!(
                beyond.ids.is_empty() && !beyond.has_next,
                "after the last page by {order_by}"
            );
            assert_eq!(beyond.has_previous, !seen.is_empty());
            break;
        }
        assert_eq!(p.ids.len(), size, "a page before the last is full");
        after = p.end;
    }
    seen
}

/// Walks the whole list backwards from its end, `size` rows a page; returns the rows in list order.
async fn walk_backwards(
    app: &TestApp,
    list: List,
    order_by: &Value,
    size: usize,
    token: &str,
) -> Vec<i64> {
    let mut pages: Vec<Vec<i64>> = Vec::new();
    let mut before: Option<String> = None;
    for k in 0..=MAX_PAGES {
        assert!(
            k < MAX_PAGES,
            "walking backwards by {order_by} does not end: {pages:?}"
        );
        let p = page(
            app,
            list,
            json!({ "last": size, "before": before, "orderBy": order_by }),
            token,
        )
        .await;
        assert_eq!(
            p.has_next,
            k > 0,
            "page {k} backwards by {order_by}: hasNextPage"
        );
        pages.push(p.ids.clone());
        if !p.has_previous {
            assert!(p.ids.len() <= size);
            break;
        }
        assert_eq!(p.ids.len(), size, "a page before the first is full");
        before = p.start;
    }
    pages.into_iter().rev().flatten().collect()
}

fn staff(d: &Demo) -> Access {
    Access::system(Principal {
        id: d.admin_id,
        username: "admin".into(),
        email: "admin@example.com".into(),
        is_staff: true,
    })
}

/// Orders placed through the domain (faster than HTTP for many): one Laptop line at `price`
/// each, for the demo customer; their ids in creation order.
async fn place(app: &TestApp, d: &Demo, prices: &[&str]) -> Vec<i64> {
    let mut ids = Vec::new();
    for price in prices {
        let o = orders::create_order(
            &app.state,
            &staff(d),
            NewOrder {
                customer_id: Some(d.user_id),
                status: None,
                items: vec![NewItem {
                    product_id: Some(d.laptop),
                    quantity: Some(1),
                    price: Some(price.parse().unwrap()),
                    stock_id: None,
                }],
                errors: Default::default(),
            },
        )
        .await
        .expect("an order");
        ids.push(o.id);
    }
    ids
}

/// A payment of the demo order through the domain; its id.
async fn pay(app: &TestApp, d: &Demo, amount: &str, status: PaymentStatus) -> i64 {
    payments::create_payment(
        &app.state,
        &staff(d),
        NewPayment {
            order_id: Some(d.order),
            amount: Some(amount.parse().unwrap()),
            payment_method: Some("Card".into()),
            status: Some(status),
            errors: Default::default(),
        },
    )
    .await
    .expect("a payment")
    .id
}

/// Every id of a list, newest first, in one page.
async fn all_ids(app: &TestApp, list: List, token: &str) -> Vec<i64> {
    page(app, list, json!({ "first": 100 }), token).await.ids
}

#[tokio::test]
async fn page_sizes_default_cap_zero_and_negative() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    place(&app, &d, &["1.00"; 104]).await;
    let mut newest_first: Vec<i64> = Vec::new();
    // two pages of 100 at most: read them with the cursor
    let p1 = page(&app, List::Orders, json!({ "first": 100 }), &d.admin).await;
    let p2 = page(
        &app,
        List::Orders,
        json!({ "first": 100, "after": p1.end }),
        &d.admin,
    )
    .await;
    newest_first.extend(&p1.ids);
    newest_first.extend(&p2.ids);
    assert_eq!(newest_first.len(), 105);
    assert!(
        newest_first.windows(2).all(|w| w[0] > w[1]),
        "newest (highest id) first"
    );

    // default: 20
    let p = page(&app, List::Orders, json!({}), &d.admin).await;
    assert_eq!(p.ids, newest_first[..20]);
    assert!(p.has_next && !p.has_previous);
    assert_eq!(p.total, 105);
    // above the cap: 100
    for first in [101, 150, 10_000] {
        let p = page(&app, List::Orders, json!({ "first": first }), &d.admin).await;
        assert_eq!(p.ids, newest_first[..100], "first: {first}");
        assert!(p.has_next);
    }
    let p = page(&app, List::Orders, json!({ "last": 150 }), &d.admin).await;
    assert_eq!(p.ids, newest_first[5..], "the last 100");
    assert!(p.has_previous && !p.has_next);
    // zero: an empty page
    for vars in [json!({ "first": 0 }), json!({ "last": 0 })] {
        let p = page(&app, List::Orders, vars.clone(), &d.admin).await;
        assert!(p.ids.is_empty(), "{vars}");
        assert_eq!(
            (p.start.as_deref(), p.end.as_deref()),
            (None, None),
            "{vars}"
        );
        assert_eq!(p.total, 105, "{vars}");
    }
    let p = page(
        &app,
        List::Orders,
        json!({ "first": 0, "after": p1.end }),
        &d.admin,
    )
    .await;
    assert!(p.ids.is_empty());
    // negative: refused, for both lists
    for list in [List::Orders, List::Payments] {
        for (arg, value) in [("first", -1), ("last", -5)] {
            let r = fetch(&app, list, json!({ arg: value }), &d.admin).await;
            assert_eq!(error_code(&r), "BAD_USER_INPUT", "{list:?} {arg}: {r}");
            assert!(
                r["errors"][0]["extensions"]["fields"][arg].is_array(),
                "{r}"
            );
        }
    }
    // payments have the same default
    for _ in 0..21 {
        pay(&app, &d, "1.00", PaymentStatus::Pending).await;
    }
    let p = page(&app, List::Payments, json!({}), &d.admin).await;
    assert_eq!(p.ids.len(), 20);
    assert_eq!(p.total, 22);
    assert!(p.has_next && !p.has_previous);
}

#[tokio::test]
async fn walking_forwards_and_backwards_visits_every_row_once() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    place(&app, &d, &["1.00"; 22]).await;
    let newest_first = all_ids(&app, List::Orders, &d.admin).await;
    assert_eq!(newest_first.len(), 23);
    let default = Value::Null;
    for size in [1, 5, 22, 23, 30] {
        assert_eq!(
            walk_forwards(&app, List::Orders, &default, size, &d.admin).await,
            newest_first,
            "first: {size}"
        );
        assert_eq!(
            walk_backwards(&app, List::Orders, &default, size, &d.admin).await,
            newest_first,
            "last: {size}"
        );
    }
    // a page in the middle, both ways: hasPreviousPage and hasNextPage both true
    let p1 = page(&app, List::Orders, json!({ "first": 5 }), &d.admin).await;
    let p2 = page(
        &app,
        List::Orders,
        json!({ "first": 5, "after": p1.end }),
        &d.admin,
    )
    .await;
    assert_eq!(p2.ids, newest_first[5..10]);
    assert!(p2.has_next && p2.has_previous);
    let back = page(
        &app,
        List::Orders,
        json!({ "last": 5, "before": p2.start }),
        &d.admin,
    )
    .await;
    assert_eq!(back.ids, p1.ids, "back from page 2 is page 1");
    assert!(!back.has_previous && back.has_next);
    let mid = page(
        &app,
        List::Orders,
        json!({ "last": 3, "before": p2.end }),
        &d.admin,
    )
    .await;
    assert_eq!(mid.ids, newest_first[6..9]);
    assert!(mid.has_previous && mid.has_next);
    // a window between two cursors
    let between = page(
        &app,
        List::Orders,
        json!({ "first": 10, "after": p1.start, "before": p2.end }),
        &d.admin,
    )
    .await;
    assert_eq!(between.ids, newest_first[1..9]);
    // payments walk the same way
    for _ in 0..6 {
        pay(&app, &d, "2.00", PaymentStatus::Pending).await;
    }
    let all = all_ids(&app, List::Payments, &d.admin).await;
    assert_eq!(all.len(), 7);
    assert_eq!(
        walk_forwards(&app, List::Payments, &default, 3, &d.admin).await,
        all
    );
    assert_eq!(
        walk_backwards(&app, List::Payments, &default, 3, &d.admin).await,
        all
    );
}

/// A row of a list with the values it may be sorted by.
#[derive(Debug, Clone)]
struct Row {
    id: i64,
    keys: Vec<(String, SortValue)>,
}

/// A sort key's value, ordered as the database orders it (NULL: after every value).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortValue {
    Int(i64),
    Text(String),
    Money(Decimal),
    Time(DateTime<Utc>),
    Null,
}

fn key_of(field: &str, n: &Value) -> SortValue {
    let v = &n[field];
    match field {
        "id" => SortValue::Int(v.as_i64().unwrap()),
        "status" => SortValue::Text(v.as_str().unwrap().to_owned()),
        "totalAmount" | "amount" => SortValue::Money(v.as_str().unwrap().parse().unwrap()),
        _ if v.is_null() => SortValue::Null,
        _ => SortValue::Time(
            DateTime::parse_from_rfc3339(v.as_str().unwrap())
                .unwrap()
                .to_utc(),
        ),
    }
}

/// The rows in the order `order_by` means: each key in its direction (NULLs last ascending,
/// first descending), then the id in the first key's direction.
fn expected(rows: &[Row], order_by: &[(&str, bool)]) -> Vec<i64> {
    let mut rows = rows.to_vec();
    let id_desc = order_by.first().is_none_or(|(_, desc)| *desc);
    rows.sort_by(|a, b| {
        for (field, desc) in order_by {
            let ka = &a.keys.iter().find(|(f, _)| f == field).unwrap().1;
            let kb = &b.keys.iter().find(|(f, _)| f == field).unwrap().1;
            let o = if *desc { kb.cmp(ka) } else { ka.cmp(kb) };
            if o.is_ne() {
                return o;
            }
        }
        if id_desc {
            b.id.cmp(&a.id)
        } else {
            a.id.cmp(&b.id)
        }
    });
    rows.into_iter().map(|r| r.id).collect()
}

fn sort_field(field: &str) -> &'static str {
    match field {
        "id" => "ID",
        "createdAt" => "CREATED_AT",
        "updatedAt" => "UPDATED_AT",
        "totalAmount" => "TOTAL_AMOUNT",
        "amount" => "AMOUNT",
        "paidAt" => "PAID_AT",
        "status" => "STATUS",
        other => panic!("no sort field {other}"),
    }
}

fn order_by_json(order_by: &[(&str, bool)]) -> Value {
    Value::Array(
        order_by
            .iter()
            .map(|(f, desc)| json!({ "field": sort_field(f), "direction": if *desc { "DESC" } else { "ASC" } }))
            .collect(),
    )
}

/// Walks `list` by every sort of `fields` in both directions (and some of two keys), forwards
/// and backwards, comparing with `expected`.
async fn check_sorts(app: &TestApp, list: List, rows: &[Row], fields: &[&str], token: &str) {
    let mut sorts: Vec<Vec<(&str, bool)>> = Vec::new();
    for f in fields {
        sorts.push(vec![(f, false)]);
        sorts.push(vec![(f, true)]);
    }
    sorts.push(vec![("status", false), (fields[3], true)]);
    sorts.push(vec![("status", true), (fields[1], false)]);
    sorts.push(vec![(fields[3], false), ("id", true)]);
    for order_by in sorts {
        let want = expected(rows, &order_by);
        let json = order_by_json(&order_by);
        assert_eq!(
            walk_forwards(app, list, &json, 4, token).await,
            want,
            "forwards by {json}"
        );
        assert_eq!(
            walk_backwards(app, list, &json, 3, token).await,
            want,
            "backwards by {json}"
        );
    }
}

#[tokio::test]
async fn orders_sort_by_every_field_with_ties_broken_by_id() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let ids = place(
        &app,
        &d,
        &[
            "10.00", "20.00", "10.00", "5.00", "20.00", "10.00", "99.00", "10.00", "5.00", "20.00",
        ],
    )
    .await;
    // statuses with ties
    let upd = "mutation($id: Int!, $s: OrderStatus!) { updateOrder(id: $id, input: { status: $s }) { id } }";
    for (i, s) in [
        (0, "CONFIRMED"),
        (1, "CONFIRMED"),
        (2, "CANCELLED"),
        (4, "CONFIRMED"),
        (6, "CANCELLED"),
        (7, "CONFIRMED"),
    ] {
        data(
            &app.gql(upd, json!({ "id": ids[i], "s": s }), Some(&d.admin))
                .await,
        );
    }
    data(
        &app.gql(upd, json!({ "id": ids[4], "s": "SHIPPED" }), Some(&d.admin))
            .await,
    );
    // equal timestamps: three orders created at the same instant, four updated at another
    let same = DateTime::parse_from_rfc3339("2025-05-05T05:05:05.123456Z")
        .unwrap()
        .to_utc();
    order::Entity::update_many()
        .col_expr(order::Column::CreatedAt, Expr::value(same))
        .filter(order::Column::Id.is_in([ids[1], ids[5], ids[8]]))
        .exec(app.db())
        .await
        .unwrap();
    order::Entity::update_many()
        .col_expr(order::Column::UpdatedAt, Expr::value(same))
        .filter(order::Column::Id.is_in([ids[0], ids[3], ids[6], ids[9]]))
        .exec(app.db())
        .await
        .unwrap();

    let r = app
        .gql(
            "{ orders(first: 100) { nodes { id status totalAmount createdAt updatedAt } } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    let fields = ["id", "createdAt", "updatedAt", "totalAmount", "status"];
    let rows = rows_of(&data(&r)["orders"]["nodes"], &fields);
    assert_eq!(rows.len(), 11);
    check_sorts(&app, List::Orders, &rows, &fields, &d.admin).await;
}

/// The sort keys of each node of a list.
fn rows_of(nodes: &Value, fields: &[&str]) -> Vec<Row> {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| Row {
            id: n["id"].as_i64().unwrap(),
            keys: fields
                .iter()
                .map(|f| (f.to_string(), key_of(f, n)))
                .collect(),
        })
        .collect()
}

#[tokio::test]
async fn payments_sort_by_every_field_with_ties_broken_by_id() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    use PaymentStatus::*;
    let mut ids = Vec::new();
    for (amount, status) in [
        ("10.00", Completed),
        ("20.00", Pending),
        ("10.00", Failed),
        ("5.00", Completed),
        ("20.00", Completed),
        ("10.00", Pending),
        ("99.00", Completed),
        ("5.00", Failed),
    ] {
        ids.push(pay(&app, &d, amount, status).await);
    }
    // ties on createdAt and on paidAt (two completed at the same instant)
    let same = DateTime::parse_from_rfc3339("2025-05-05T05:05:05Z")
        .unwrap()
        .to_utc();
    payment::Entity::update_many()
        .col_expr(payment::Column::CreatedAt, Expr::value(same))
        .filter(payment::Column::Id.is_in([ids[1], ids[2], ids[6]]))
        .exec(app.db())
        .await
        .unwrap();
    payment::Entity::update_many()
        .col_expr(payment::Column::PaidAt, Expr::value(same))
        .filter(payment::Column::Id.is_in([ids[3], ids[6]]))
        .exec(app.db())
        .await
        .unwrap();
    let r = app
        .gql(
            "{ payments(first: 100) { nodes { id status amount createdAt paidAt } } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    let fields = ["id", "createdAt", "paidAt", "amount", "status"];
    let rows = rows_of(&data(&r)["payments"]["nodes"], &fields);
    assert_eq!(rows.len(), 9);
    assert_eq!(
        rows.iter()
            .filter(|r| r.keys[2].1 == SortValue::Null)
            .count(),
        5,
        "paidAt NULL: the pending and the failed"
    );
    check_sorts(&app, List::Payments, &rows, &fields, &d.admin).await;
}

#[tokio::test]
async fn paid_at_nulls_come_last_ascending_and_first_descending() {
    let app = spawn_app().await;
    let d = demo(&app).await; // its payment: pending, no paidAt
    let mut nulls = vec![d.payment];
    let mut paid = Vec::new();
    for i in 0..9 {
        if i % 2 == 0 {
            nulls.push(pay(&app, &d, "1.00", PaymentStatus::Pending).await);
        } else {
            paid.push(pay(&app, &d, "1.00", PaymentStatus::Completed).await);
        }
    }
    // paid in the reverse of creation order, so paidAt order is not id order
    for (i, id) in paid.iter().enumerate() {
        let t = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .unwrap()
            .to_utc()
            - chrono::Duration::hours(i as i64);
        payment::Entity::update_many()
            .col_expr(payment::Column::PaidAt, Expr::value(t))
            .filter(payment::Column::Id.eq(*id))
            .exec(app.db())
            .await
            .unwrap();
    }
    let paid_asc: Vec<i64> = paid.iter().rev().copied().collect();
    let nulls_asc = nulls.clone();
    let nulls_desc: Vec<i64> = nulls.iter().rev().copied().collect();
    let asc: Vec<i64> = paid_asc.iter().chain(&nulls_asc).copied().collect();
    let desc: Vec<i64> = nulls_desc.iter().chain(paid.iter()).copied().collect();
    for size in [1, 2, 3, 4, 5] {
        let by = json!([{ "field": "PAID_AT", "direction": "ASC" }]);
        assert_eq!(
            walk_forwards(&app, List::Payments, &by, size, &d.admin).await,
            asc,
            "ASC by {size}"
        );
        assert_eq!(
            walk_backwards(&app, List::Payments, &by, size, &d.admin).await,
            asc,
            "ASC back by {size}"
        );
        let by = json!([{ "field": "PAID_AT", "direction": "DESC" }]);
        assert_eq!(
            walk_forwards(&app, List::Payments, &by, size, &d.admin).await,
            desc,
            "DESC by {size}"
        );
        assert_eq!(
            walk_backwards(&app, List::Payments, &by, size, &d.admin).await,
            desc,
            "DESC back by {size}"
        );
    }
    // with a filter, the pages still follow the order
    let by = json!([{ "field": "PAID_AT", "direction": "DESC" }]);
    let p1 = page(
        &app,
        List::Payments,
        json!({ "first": 3, "orderBy": by, "filter": { "id": { "gte": nulls[2] } } }),
        &d.admin,
    )
    .await;
    let want: Vec<i64> = desc.iter().filter(|id| **id >= nulls[2]).copied().collect();
    assert_eq!(p1.ids, want[..3]);
    let p2 = page(&app, List::Payments, json!({ "first": 10, "after": p1.end, "orderBy": by, "filter": { "id": { "gte": nulls[2] } } }), &d.admin).await;
    assert_eq!(p2.ids, want[3..]);
    assert_eq!(p2.total, want.len() as i64);
}

#[tokio::test]
async fn a_cursor_stays_valid_after_its_row_is_deleted() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    place(
        &app,
        &d,
        &[
            "3.00", "1.00", "2.00", "3.00", "1.00", "2.00", "3.00", "1.00", "2.00", "3.00", "1.00",
        ],
    )
    .await;
    let del = "mutation($id: Int!) { deleteOrder(id: $id) }";
    for order_by in [
        Value::Null,
        json!([{ "field": "TOTAL_AMOUNT", "direction": "ASC" }]),
    ] {
        let all = walk_forwards(&app, List::Orders, &order_by, 100, &d.admin).await;
        let p1 = page(
            &app,
            List::Orders,
            json!({ "first": 4, "orderBy": order_by }),
            &d.admin,
        )
        .await;
        assert_eq!(p1.ids, all[..4]);
        // delete the row of page 1's end cursor: the next page is still the next four
        data(
            &app.gql(del, json!({ "id": p1.ids[3] }), Some(&d.admin))
                .await,
        );
        let p2 = page(
            &app,
            List::Orders,
            json!({ "first": 4, "after": p1.end, "orderBy": order_by }),
            &d.admin,
        )
        .await;
        assert_eq!(p2.ids, all[4..8], "after a deleted row by {order_by}");
        assert!(p2.has_previous && p2.has_next);
        // and backwards from a deleted row
        data(
            &app.gql(del, json!({ "id": p2.ids[0] }), Some(&d.admin))
                .await,
        );
        let back = page(
            &app,
            List::Orders,
            json!({ "last": 2, "before": p2.start, "orderBy": order_by }),
            &d.admin,
        )
        .await;
        assert_eq!(back.ids, all[1..3], "before a deleted row by {order_by}");
        assert!(back.has_previous && back.has_next);
        // the very first row deleted: nothing before its cursor any more
        data(
            &app.gql(del, json!({ "id": p1.ids[0] }), Some(&d.admin))
                .await,
        );
        let p = page(
            &app,
            List::Orders,
            json!({ "first": 2, "after": p1.start, "orderBy": order_by }),
            &d.admin,
        )
        .await;
        assert_eq!(p.ids, all[1..3]);
        assert!(!p.has_previous, "no row lies before a deleted first row");
    }
}

#[tokio::test]
async fn pages_stay_stable_while_rows_are_inserted() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    place(
        &app,
        &d,
        &[
            "5.00", "1.00", "9.00", "3.00", "7.00", "2.00", "8.00", "4.00", "6.00",
        ],
    )
    .await;
    for order_by in [
        Value::Null,
        json!([{ "field": "ID", "direction": "ASC" }]),
        json!([{ "field": "TOTAL_AMOUNT", "direction": "ASC" }]),
        json!([{ "field": "TOTAL_AMOUNT", "direction": "DESC" }]),
        json!([{ "field": "CREATED_AT", "direction": "DESC" }]),
    ] {
        let before = walk_forwards(&app, List::Orders, &order_by, 100, &d.admin).await;
        let p1 = page(
            &app,
            List::Orders,
            json!({ "first": 4, "orderBy": order_by }),
            &d.admin,
        )
        .await;
        assert_eq!(p1.ids, before[..4]);
        // new rows with values on both sides of the cursor
        let new = place(&app, &d, &["0.50", "5.50", "99.00"]).await;
        let mut rest = Vec::new();
        let mut after = p1.end.clone();
        for _ in 0..MAX_PAGES {
            let p = page(
                &app,
                List::Orders,
                json!({ "first": 4, "after": after, "orderBy": order_by }),
                &d.admin,
            )
            .await;
            rest.extend(p.ids);
            if !p.has_next {
                break;
            }
            after = p.end;
        }
        let old_rest: Vec<i64> = rest
            .iter()
            .filter(|id| !new.contains(id))
            .copied()
            .collect();
        assert_eq!(
            old_rest,
            before[4..],
            "by {order_by}: the older rows, none repeated or skipped"
        );
        let now = walk_forwards(&app, List::Orders, &order_by, 100, &d.admin).await;
        let expected_rest: Vec<i64> = now
            .iter()
            .skip_while(|id| **id != p1.ids[3])
            .skip(1)
            .copied()
            .collect();
        assert_eq!(
            rest, expected_rest,
            "by {order_by}: new rows appear exactly where they sort after the cursor"
        );
    }
}

#[tokio::test]
async fn foreign_and_garbage_cursors_are_bad_user_input() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    place(&app, &d, &["1.00", "2.00", "3.00"]).await;
    let by_total = json!([{ "field": "TOTAL_AMOUNT", "direction": "ASC" }]);
    let by_total_desc = json!([{ "field": "TOTAL_AMOUNT", "direction": "DESC" }]);
    let total_cursor = page(
        &app,
        List::Orders,
        json!({ "first": 1, "orderBy": by_total }),
        &d.admin,
    )
    .await
    .end
    .unwrap();
    let id_cursor = page(&app, List::Orders, json!({ "first": 1 }), &d.admin)
        .await
        .end
        .unwrap();
    let paid_cursor = page(
        &app,
        List::Payments,
        json!({ "first": 1, "orderBy": [{ "field": "PAID_AT" }] }),
        &d.admin,
    )
    .await
    .end
    .unwrap();
    let forged = |body: Value| URL_SAFE_NO_PAD.encode(body.to_string());
    let garbage = [
        "abc".to_owned(),
        "!!!!".to_owned(),
        String::new(),
        forged(json!({})),
        forged(json!([1, 2])),
        forged(json!({ "s": "id:d", "v": ["x"] })),
        forged(json!({ "s": "id:d", "v": [1, 2] })),
        forged(json!({ "s": "id:d", "v": [null] })),
        forged(json!({ "s": "total_amount:a,id:a", "v": ["not money", 1] })),
        URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x00]),
    ];
    // (list, orderBy, cursor): cursors of another sort, or no cursor at all
    let mut cases: Vec<(List, Value, String)> = vec![
        (List::Orders, Value::Null, total_cursor.clone()),
        (List::Orders, by_total_desc.clone(), total_cursor.clone()),
        (List::Orders, by_total.clone(), id_cursor.clone()),
        (
            List::Orders,
            json!([{ "field": "STATUS" }]),
            total_cursor.clone(),
        ),
        (List::Payments, Value::Null, paid_cursor.clone()),
        (
            List::Payments,
            json!([{ "field": "PAID_AT", "direction": "DESC" }]),
            paid_cursor.clone(),
        ),
    ];
    for g in &garbage {
        cases.push((List::Orders, Value::Null, g.clone()));
        cases.push((List::Payments, Value::Null, g.clone()));
    }
    for (list, order_by, cursor) in cases {
        for (arg, size_arg) in [("after", "first"), ("before", "last")] {
            let r = fetch(
                &app,
                list,
                json!({ arg: cursor, size_arg: 2, "orderBy": order_by }),
                &d.admin,
            )
            .await;
            assert_eq!(
                error_code(&r),
                "BAD_USER_INPUT",
                "{list:?} {arg}: {cursor:?} by {order_by}: {r}"
            );
            assert!(
                r["errors"][0]["extensions"]["fields"][arg].is_array(),
                "{r}"
            );
        }
    }
    // the cursors themselves work where they belong
    let p = page(
        &app,
        List::Orders,
        json!({ "first": 5, "after": total_cursor, "orderBy": by_total }),
        &d.admin,
    )
    .await;
    assert_eq!(p.ids.len(), 3, "after the cheapest of four");
}
