//! Every operator of every filter input of `orders` and `payments` (CONTRACT §4), and the
//! `and`/`or`/`not` combinators. Each case is a filter and the predicate it must mean, written
//! here in Rust over the rows the test created; the API's answer (ids and `totalCount`) must be
//! exactly the rows the predicate keeps. A customer's filter never widens their scope.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::fixtures::{Demo, data, demo};
use crate::helpers::{TestApp, spawn_app};

/// An order as the test knows it.
#[derive(Debug, Clone)]
struct O {
    id: i64,
    customer: i64,
    status: String,
    total: Decimal,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
}

/// A payment as the test knows it.
#[derive(Debug, Clone)]
struct P {
    id: i64,
    order: i64,
    status: String,
    method: String,
    amount: Decimal,
    paid: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
}

type Case<'a, T> = (Value, Box<dyn Fn(&T) -> bool + 'a>);

/// A payment to create: (order, amount, method, status steps, paidAt given with the last step).
type PaymentSpec = (
    i64,
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
);

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .expect("a decimal string")
        .parse()
        .expect("a decimal")
}

fn ts(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a timestamp"))
        .expect("RFC 3339")
        .to_utc()
}

/// RFC 3339 in UTC with every microsecond.
fn utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The same instant written with a +02:00 offset.
fn plus_two(t: DateTime<Utc>) -> String {
    t.with_timezone(&FixedOffset::east_opt(7200).unwrap())
        .to_rfc3339_opts(SecondsFormat::Micros, false)
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The ids a list answers, and its `totalCount`.
async fn ids(app: &TestApp, list: &str, filter: &Value, token: &str) -> (Vec<i64>, i64) {
    let kind = if list == "orders" {
        "OrderFilter"
    } else {
        "PaymentFilter"
    };
    let query = format!(
        "query($f: {kind}) {{ {list}(first: 100, filter: $f) {{ totalCount nodes {{ id }} }} }}"
    );
    let r = app.gql(&query, json!({ "f": filter }), Some(token)).await;
    let conn = &data(&r)[list];
    let ids = conn["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    (ids, conn["totalCount"].as_i64().unwrap())
}

/// Checks every case: the answer is exactly the rows the predicate keeps, newest first, and
/// `totalCount` counts them.
async fn check<T>(
    app: &TestApp,
    list: &str,
    token: &str,
    rows: &[T],
    id: fn(&T) -> i64,
    cases: Vec<Case<'_, T>>,
) {
    let mut non_trivial = 0;
    for (filter, keep) in cases {
        let mut want: Vec<i64> = rows.iter().filter(|r| keep(r)).map(id).collect();
        want.sort_unstable_by(|a, b| b.cmp(a));
        if !want.is_empty() && want.len() < rows.len() {
            non_trivial += 1;
        }
        let (got, total) = ids(app, list, &filter, token).await;
        assert_eq!(got, want, "{list} filtered by {filter}");
        assert_eq!(
            total,
            want.len() as i64,
            "totalCount of {list} filtered by {filter}"
        );
    }
    assert!(non_trivial > 0);
}

/// Orders and payments with every kind of value (see the comments), through the API.
struct World {
    d: Demo,
    other: i64,
    orders: Vec<O>,
    payments: Vec<P>,
}

async fn world(app: &TestApp) -> World {
    let d = demo(app).await;
    let other = app.create_user("other", "other-password", false).await;
    // (customer, unit price, quantity, status it is brought to)
    let specs = [
        (d.user_id, "10.00", 1, "CONFIRMED"),
        (other, "20.00", 1, "SHIPPED"),
        (other, "10.00", 2, "PENDING"), // cancelled below, after its payment
        (d.admin_id, "0.10", 3, "DELIVERED"),
        (d.user_id, "30.50", 1, "PENDING"),
        (other, "9999999999.99", 1, "CONFIRMED"),
        (d.user_id, "0", 1, "PENDING"),
    ];
    let path = |to: &str| -> &'static [&'static str] {
        match to {
            "CONFIRMED" => &["CONFIRMED"],
            "SHIPPED" => &["CONFIRMED", "SHIPPED"],
            "DELIVERED" => &["CONFIRMED", "SHIPPED", "DELIVERED"],
            _ => &[],
        }
    };
    let mut order_ids = vec![d.order];
    for (customer, price, quantity, _) in specs {
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        let r = app
            .gql(
                "mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }",
                json!({ "i": { "customerId": customer, "items": [{ "productId": d.laptop, "quantity": quantity, "price": price }] } }),
                Some(&d.admin),
            )
            .await;
        order_ids.push(data(&r)["createOrder"]["id"].as_i64().unwrap());
    }
    for (i, (_, _, _, to)) in specs.iter().enumerate() {
        for s in path(to) {
            let r = app
                .gql(
                    "mutation($id: Int!, $s: OrderStatus!) { updateOrder(id: $id, input: { status: $s }) { id } }",
                    json!({ "id": order_ids[i + 1], "s": s }),
                    Some(&d.admin),
                )
                .await;
            data(&r);
        }
    }
    let o = |i: usize| order_ids[i];
    // (order, amount, method, status path, paidAt given)
    let payments: [PaymentSpec; 8] = [
        (o(1), "10.00", "credit card", &["COMPLETED"], None),
        (
            o(2),
            "20.00",
            "Cash",
            &["COMPLETED"],
            Some("2025-01-01T00:00:00Z"),
        ),
        (o(2), "5.50", "100% off", &["FAILED"], None),
        (o(3), "20.00", "100 off", &[], None),
        (o(5), "30.50", "gift_card", &["COMPLETED", "REFUNDED"], None),
        (o(5), "0.01", "giftXcard", &[], None),
        (
            o(6),
            "123.45",
            "back\\slash",
            &["COMPLETED"],
            Some("2030-06-01T12:00:00.5Z"),
        ),
        (o(1), "1.00", "PayPal", &["FAILED"], None),
    ];
    for (order, amount, method, steps, paid_at) in payments {
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        let r = app
            .gql(
                "mutation($i: CreatePaymentInput!) { createPayment(input: $i) { id } }",
                json!({ "i": { "orderId": order, "amount": amount, "paymentMethod": method } }),
                Some(&d.admin),
            )
            .await;
        let id = data(&r)["createPayment"]["id"].as_i64().unwrap();
        for s in steps {
            let input = match paid_at {
                Some(t) => json!({ "status": s, "paidAt": t }),
                None => json!({ "status": s }),
            };
            let r = app
                .gql(
                    "mutation($id: Int!, $i: UpdatePaymentInput!) { updatePayment(id: $id, input: $i) { id } }",
                    json!({ "id": id, "i": input }),
                    Some(&d.admin),
                )
                .await;
            data(&r);
        }
    }
    let r = app
        .gql(
            "mutation($id: Int!) { updateOrder(id: $id, input: { status: CANCELLED }) { id } }",
            json!({ "id": o(3) }),
            Some(&d.admin),
        )
        .await;
    data(&r);

    let r = app
        .gql(
            "{ orders(first: 100) { nodes { id customer { id } status totalAmount createdAt updatedAt } }
               payments(first: 100) { nodes { id order { id } status paymentMethod amount paidAt createdAt } } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    let orders: Vec<O> = data(&r)["orders"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| O {
            id: n["id"].as_i64().unwrap(),
            customer: n["customer"]["id"].as_i64().unwrap(),
            status: n["status"].as_str().unwrap().to_owned(),
            total: dec(&n["totalAmount"]),
            created: ts(&n["createdAt"]),
            updated: ts(&n["updatedAt"]),
        })
        .collect();
    let payments: Vec<P> = data(&r)["payments"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| P {
            id: n["id"].as_i64().unwrap(),
            order: n["order"]["id"].as_i64().unwrap(),
            status: n["status"].as_str().unwrap().to_owned(),
            method: n["paymentMethod"].as_str().unwrap().to_owned(),
            amount: dec(&n["amount"]),
            paid: (!n["paidAt"].is_null()).then(|| ts(&n["paidAt"])),
            created: ts(&n["createdAt"]),
        })
        .collect();
    assert_eq!(orders.len(), 8);
    assert_eq!(payments.len(), 9);
    World {
        d,
        other,
        orders,
        payments,
    }
}

#[tokio::test]
async fn every_order_filter_operator() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (user, other, admin) = (w.d.user_id, w.other, w.d.admin_id);
    let ids: Vec<i64> = w.orders.iter().map(|o| o.id).collect();
    let (lo, mid, hi) = (ids[6], ids[4], ids[1]); // ids are newest first
    let mut by_created = w.orders.clone();
    by_created.sort_by_key(|o| o.created);
    let t = by_created[4].created;
    let mut by_updated = w.orders.clone();
    by_updated.sort_by_key(|o| o.updated);
    let u = by_updated[4].updated;
    assert!(
        by_created.windows(2).all(|p| p[0].created < p[1].created),
        "distinct creation times"
    );

    let cases: Vec<Case<O>> = vec![
        // IntFilter on id
        (
            json!({ "id": { "eq": mid } }),
            Box::new(move |o: &O| o.id == mid),
        ),
        (
            json!({ "id": { "ne": mid } }),
            Box::new(move |o: &O| o.id != mid),
        ),
        (
            json!({ "id": { "in": [lo, hi, 987_654] } }),
            Box::new(move |o: &O| o.id == lo || o.id == hi),
        ),
        (
            json!({ "id": { "notIn": [lo, hi] } }),
            Box::new(move |o: &O| o.id != lo && o.id != hi),
        ),
        (json!({ "id": { "in": [] } }), Box::new(|_: &O| false)),
        (json!({ "id": { "notIn": [] } }), Box::new(|_: &O| true)),
        (
            json!({ "id": { "gt": mid } }),
            Box::new(move |o: &O| o.id > mid),
        ),
        (
            json!({ "id": { "gte": mid } }),
            Box::new(move |o: &O| o.id >= mid),
        ),
        (
            json!({ "id": { "lt": mid } }),
            Box::new(move |o: &O| o.id < mid),
        ),
        (
            json!({ "id": { "lte": mid } }),
            Box::new(move |o: &O| o.id <= mid),
        ),
        (
            json!({ "id": { "gt": lo, "lte": hi, "ne": mid } }),
            Box::new(move |o: &O| o.id > lo && o.id <= hi && o.id != mid),
        ),
        // IntFilter on customer
        (
            json!({ "customer": { "eq": user } }),
            Box::new(move |o: &O| o.customer == user),
        ),
        (
            json!({ "customer": { "ne": user } }),
            Box::new(move |o: &O| o.customer != user),
        ),
        (
            json!({ "customer": { "in": [user, admin] } }),
            Box::new(move |o: &O| o.customer == user || o.customer == admin),
        ),
        (
            json!({ "customer": { "notIn": [user, admin] } }),
            Box::new(move |o: &O| o.customer == other),
        ),
        (
            json!({ "customer": { "gt": user } }),
            Box::new(move |o: &O| o.customer > user),
        ),
        (
            json!({ "customer": { "gte": user } }),
            Box::new(move |o: &O| o.customer >= user),
        ),
        (
            json!({ "customer": { "lt": other } }),
            Box::new(move |o: &O| o.customer < other),
        ),
        (
            json!({ "customer": { "lte": user } }),
            Box::new(move |o: &O| o.customer <= user),
        ),
        // OrderStatusFilter
        (
            json!({ "status": { "eq": "CONFIRMED" } }),
            Box::new(|o: &O| o.status == "CONFIRMED"),
        ),
        (
            json!({ "status": { "ne": "PENDING" } }),
            Box::new(|o: &O| o.status != "PENDING"),
        ),
        (
            json!({ "status": { "in": ["SHIPPED", "DELIVERED", "CANCELLED"] } }),
            Box::new(|o: &O| ["SHIPPED", "DELIVERED", "CANCELLED"].contains(&o.status.as_str())),
        ),
        (
            json!({ "status": { "notIn": ["PENDING", "CONFIRMED"] } }),
            Box::new(|o: &O| !["PENDING", "CONFIRMED"].contains(&o.status.as_str())),
        ),
        (
            json!({ "status": { "in": ["PENDING", "CONFIRMED"], "ne": "PENDING" } }),
            Box::new(|o: &O| o.status == "CONFIRMED"),
        ),
        (json!({ "status": { "in": [] } }), Box::new(|_: &O| false)),
        // DecimalFilter on totalAmount, as strings and as JSON numbers
        (
            json!({ "totalAmount": { "eq": "20.00" } }),
            Box::new(|o: &O| o.total == d("20")),
        ),
        (
            json!({ "totalAmount": { "eq": 20 } }),
            Box::new(|o: &O| o.total == d("20")),
        ),
        (
            json!({ "totalAmount": { "eq": "20" } }),
            Box::new(|o: &O| o.total == d("20")),
        ),
        (
            json!({ "totalAmount": { "eq": 0.3 } }),
            Box::new(|o: &O| o.total == d("0.30")),
        ),
        (
            json!({ "totalAmount": { "eq": "9999999999.99" } }),
            Box::new(|o: &O| o.total == d("9999999999.99")),
        ),
        (
            json!({ "totalAmount": { "ne": "20.00" } }),
            Box::new(|o: &O| o.total != d("20")),
        ),
        (
            json!({ "totalAmount": { "gt": 20 } }),
            Box::new(|o: &O| o.total > d("20")),
        ),
        (
            json!({ "totalAmount": { "gte": "20.00" } }),
            Box::new(|o: &O| o.total >= d("20")),
        ),
        (
            json!({ "totalAmount": { "lt": 0.3 } }),
            Box::new(|o: &O| o.total < d("0.3")),
        ),
        (
            json!({ "totalAmount": { "lte": "0.30" } }),
            Box::new(|o: &O| o.total <= d("0.3")),
        ),
        (
            json!({ "totalAmount": { "gt": "999.99" } }),
            Box::new(|o: &O| o.total > d("999.99")),
        ),
        (
            json!({ "totalAmount": { "gte": 10, "lt": "999.99" } }),
            Box::new(|o: &O| o.total >= d("10") && o.total < d("999.99")),
        ),
        // DateTimeFilter on createdAt, at an exact boundary, also written with an offset
        (
            json!({ "createdAt": { "gt": utc(t) } }),
            Box::new(move |o: &O| o.created > t),
        ),
        (
            json!({ "createdAt": { "gte": utc(t) } }),
            Box::new(move |o: &O| o.created >= t),
        ),
        (
            json!({ "createdAt": { "lt": utc(t) } }),
            Box::new(move |o: &O| o.created < t),
        ),
        (
            json!({ "createdAt": { "lte": utc(t) } }),
            Box::new(move |o: &O| o.created <= t),
        ),
        (
            json!({ "createdAt": { "gte": plus_two(t), "lte": plus_two(t) } }),
            Box::new(move |o: &O| o.created == t),
        ),
        (
            json!({ "createdAt": { "isNull": false } }),
            Box::new(|_: &O| true),
        ),
        (
            json!({ "createdAt": { "isNull": true } }),
            Box::new(|_: &O| false),
        ),
        // ... and on updatedAt
        (
            json!({ "updatedAt": { "gt": utc(u) } }),
            Box::new(move |o: &O| o.updated > u),
        ),
        (
            json!({ "updatedAt": { "gte": utc(u) } }),
            Box::new(move |o: &O| o.updated >= u),
        ),
        (
            json!({ "updatedAt": { "lt": plus_two(u) } }),
            Box::new(move |o: &O| o.updated < u),
        ),
        (
            json!({ "updatedAt": { "lte": utc(u) } }),
            Box::new(move |o: &O| o.updated <= u),
        ),
        // combinators
        (
            json!({ "and": [{ "customer": { "eq": other } }, { "status": { "ne": "CANCELLED" } }] }),
            Box::new(move |o: &O| o.customer == other && o.status != "CANCELLED"),
        ),
        (json!({ "and": [] }), Box::new(|_: &O| true)),
        (
            json!({ "or": [{ "status": { "eq": "SHIPPED" } }, { "totalAmount": { "lt": 1 } }] }),
            Box::new(|o: &O| o.status == "SHIPPED" || o.total < d("1")),
        ),
        (json!({ "or": [] }), Box::new(|_: &O| false)),
        (
            json!({ "customer": { "eq": user }, "or": [] }),
            Box::new(|_: &O| false),
        ),
        (
            json!({ "not": { "status": { "eq": "PENDING" } } }),
            Box::new(|o: &O| o.status != "PENDING"),
        ),
        (
            json!({ "not": { "not": { "customer": { "eq": user } } } }),
            Box::new(move |o: &O| o.customer == user),
        ),
        (
            json!({ "not": { "or": [{ "customer": { "eq": user } }, { "status": { "eq": "CONFIRMED" } }] } }),
            Box::new(move |o: &O| o.customer != user && o.status != "CONFIRMED"),
        ),
        (
            json!({ "not": { "and": [{ "customer": { "eq": other } }, { "totalAmount": { "gte": 20 } }] } }),
            Box::new(move |o: &O| !(o.customer == other && o.total >= d("20"))),
        ),
        (
            json!({ "status": { "ne": "CANCELLED" }, "or": [
                { "and": [{ "customer": { "eq": user } }, { "not": { "totalAmount": { "eq": 0 } } }] },
                { "and": [{ "customer": { "eq": other } }, { "or": [{ "status": { "eq": "SHIPPED" } }, { "totalAmount": { "gt": 1000 } }] }] },
            ] }),
            Box::new(move |o: &O| {
                o.status != "CANCELLED"
                    && ((o.customer == user && o.total != d("0"))
                        || (o.customer == other && (o.status == "SHIPPED" || o.total > d("1000"))))
            }),
        ),
    ];
    check(&app, "orders", &w.d.admin, &w.orders, |o| o.id, cases).await;
}

#[tokio::test]
async fn every_payment_filter_operator() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let ids: Vec<i64> = w.payments.iter().map(|p| p.id).collect();
    let (lo, mid, hi) = (ids[7], ids[4], ids[1]);
    let orders: Vec<i64> = w.orders.iter().map(|o| o.id).collect();
    let (oa, ob) = (orders[5], orders[2]); // two orders with two payments each
    assert_eq!(w.payments.iter().filter(|p| p.order == oa).count(), 2);
    assert_eq!(w.payments.iter().filter(|p| p.order == ob).count(), 2);
    let mut by_created = w.payments.clone();
    by_created.sort_by_key(|p| p.created);
    let t = by_created[4].created;
    let year_2025 = ts(&json!("2025-01-01T00:00:00Z"));
    let now_paid = w
        .payments
        .iter()
        .find(|p| p.method == "credit card")
        .and_then(|p| p.paid)
        .expect("completed just now");

    let cases: Vec<Case<P>> = vec![
        // IntFilter on id
        (
            json!({ "id": { "eq": mid } }),
            Box::new(move |p: &P| p.id == mid),
        ),
        (
            json!({ "id": { "ne": mid } }),
            Box::new(move |p: &P| p.id != mid),
        ),
        (
            json!({ "id": { "in": [lo, hi] } }),
            Box::new(move |p: &P| p.id == lo || p.id == hi),
        ),
        (
            json!({ "id": { "notIn": [lo, hi, 987_654] } }),
            Box::new(move |p: &P| p.id != lo && p.id != hi),
        ),
        (
            json!({ "id": { "gt": mid } }),
            Box::new(move |p: &P| p.id > mid),
        ),
        (
            json!({ "id": { "gte": mid } }),
            Box::new(move |p: &P| p.id >= mid),
        ),
        (
            json!({ "id": { "lt": mid } }),
            Box::new(move |p: &P| p.id < mid),
        ),
        (
            json!({ "id": { "lte": mid } }),
            Box::new(move |p: &P| p.id <= mid),
        ),
        // IntFilter on order
        (
            json!({ "order": { "eq": oa } }),
            Box::new(move |p: &P| p.order == oa),
        ),
        (
            json!({ "order": { "ne": oa } }),
            Box::new(move |p: &P| p.order != oa),
        ),
        (
            json!({ "order": { "in": [oa, ob] } }),
            Box::new(move |p: &P| p.order == oa || p.order == ob),
        ),
        (
            json!({ "order": { "notIn": [oa, ob] } }),
            Box::new(move |p: &P| p.order != oa && p.order != ob),
        ),
        (
            json!({ "order": { "gt": ob } }),
            Box::new(move |p: &P| p.order > ob),
        ),
        (
            json!({ "order": { "gte": ob } }),
            Box::new(move |p: &P| p.order >= ob),
        ),
        (
            json!({ "order": { "lt": ob } }),
            Box::new(move |p: &P| p.order < ob),
        ),
        (
            json!({ "order": { "lte": ob } }),
            Box::new(move |p: &P| p.order <= ob),
        ),
        // PaymentStatusFilter
        (
            json!({ "status": { "eq": "COMPLETED" } }),
            Box::new(|p: &P| p.status == "COMPLETED"),
        ),
        (
            json!({ "status": { "ne": "PENDING" } }),
            Box::new(|p: &P| p.status != "PENDING"),
        ),
        (
            json!({ "status": { "in": ["FAILED", "REFUNDED"] } }),
            Box::new(|p: &P| p.status == "FAILED" || p.status == "REFUNDED"),
        ),
        (
            json!({ "status": { "notIn": ["PENDING", "COMPLETED"] } }),
            Box::new(|p: &P| p.status != "PENDING" && p.status != "COMPLETED"),
        ),
        // StringFilter on paymentMethod: case-sensitive, `%`, `_` and `\` taken literally
        (
            json!({ "paymentMethod": { "eq": "Credit Card" } }),
            Box::new(|p: &P| p.method == "Credit Card"),
        ),
        (
            json!({ "paymentMethod": { "eq": "credit card" } }),
            Box::new(|p: &P| p.method == "credit card"),
        ),
        (
            json!({ "paymentMethod": { "eq": "CASH" } }),
            Box::new(|_: &P| false),
        ),
        (
            json!({ "paymentMethod": { "ne": "Cash" } }),
            Box::new(|p: &P| p.method != "Cash"),
        ),
        (
            json!({ "paymentMethod": { "in": ["Cash", "PayPal", "nope"] } }),
            Box::new(|p: &P| p.method == "Cash" || p.method == "PayPal"),
        ),
        (
            json!({ "paymentMethod": { "in": [] } }),
            Box::new(|_: &P| false),
        ),
        (
            json!({ "paymentMethod": { "contains": "card" } }),
            Box::new(|p: &P| p.method.contains("card")),
        ),
        (
            json!({ "paymentMethod": { "contains": "Card" } }),
            Box::new(|p: &P| p.method.contains("Card")),
        ),
        (
            json!({ "paymentMethod": { "contains": "%" } }),
            Box::new(|p: &P| p.method.contains('%')),
        ),
        (
            json!({ "paymentMethod": { "contains": "0% o" } }),
            Box::new(|p: &P| p.method.contains("0% o")),
        ),
        (
            json!({ "paymentMethod": { "contains": "_" } }),
            Box::new(|p: &P| p.method.contains('_')),
        ),
        (
            json!({ "paymentMethod": { "contains": "\\" } }),
            Box::new(|p: &P| p.method.contains('\\')),
        ),
        (
            json!({ "paymentMethod": { "contains": "" } }),
            Box::new(|_: &P| true),
        ),
        (
            json!({ "paymentMethod": { "startsWith": "100%" } }),
            Box::new(|p: &P| p.method.starts_with("100%")),
        ),
        (
            json!({ "paymentMethod": { "startsWith": "100" } }),
            Box::new(|p: &P| p.method.starts_with("100")),
        ),
        (
            json!({ "paymentMethod": { "startsWith": "gift_" } }),
            Box::new(|p: &P| p.method.starts_with("gift_")),
        ),
        (
            json!({ "paymentMethod": { "startsWith": "c" } }),
            Box::new(|p: &P| p.method.starts_with('c')),
        ),
        (
            json!({ "paymentMethod": { "startsWith": "Gift" } }),
            Box::new(|_: &P| false),
        ),
        (
            json!({ "paymentMethod": { "startsWith": "gift", "ne": "giftXcard" } }),
            Box::new(|p: &P| p.method == "gift_card"),
        ),
        // DecimalFilter on amount
        (
            json!({ "amount": { "eq": "20.00" } }),
            Box::new(|p: &P| p.amount == d("20")),
        ),
        (
            json!({ "amount": { "eq": 20 } }),
            Box::new(|p: &P| p.amount == d("20")),
        ),
        (
            json!({ "amount": { "eq": 5.5 } }),
            Box::new(|p: &P| p.amount == d("5.5")),
        ),
        (
            json!({ "amount": { "ne": 20 } }),
            Box::new(|p: &P| p.amount != d("20")),
        ),
        (
            json!({ "amount": { "gt": 20 } }),
            Box::new(|p: &P| p.amount > d("20")),
        ),
        (
            json!({ "amount": { "gte": "20" } }),
            Box::new(|p: &P| p.amount >= d("20")),
        ),
        (
            json!({ "amount": { "lt": 1 } }),
            Box::new(|p: &P| p.amount < d("1")),
        ),
        (
            json!({ "amount": { "lte": "1.00" } }),
            Box::new(|p: &P| p.amount <= d("1")),
        ),
        (
            json!({ "amount": { "gt": 0.01, "lt": "123.45" } }),
            Box::new(|p: &P| p.amount > d("0.01") && p.amount < d("123.45")),
        ),
        // DateTimeFilter on paidAt (nullable) and createdAt
        (
            json!({ "paidAt": { "isNull": true } }),
            Box::new(|p: &P| p.paid.is_none()),
        ),
        (
            json!({ "paidAt": { "isNull": false } }),
            Box::new(|p: &P| p.paid.is_some()),
        ),
        (
            json!({ "paidAt": { "gt": utc(year_2025) } }),
            Box::new(move |p: &P| p.paid.is_some_and(|x| x > year_2025)),
        ),
        (
            json!({ "paidAt": { "gte": utc(year_2025) } }),
            Box::new(move |p: &P| p.paid.is_some_and(|x| x >= year_2025)),
        ),
        (
            json!({ "paidAt": { "lt": utc(now_paid) } }),
            Box::new(move |p: &P| p.paid.is_some_and(|x| x < now_paid)),
        ),
        (
            json!({ "paidAt": { "lte": plus_two(now_paid) } }),
            Box::new(move |p: &P| p.paid.is_some_and(|x| x <= now_paid)),
        ),
        (
            json!({ "paidAt": { "gte": "2030-06-01T12:00:00.5Z", "lte": "2030-06-01T14:00:00.500+02:00" } }),
            Box::new(|p: &P| p.method == "back\\slash"),
        ),
        (
            json!({ "paidAt": { "isNull": false, "lt": "2026-01-01T00:00:00Z" } }),
            Box::new(|p: &P| {
                p.paid
                    .is_some_and(|x| x < ts(&json!("2026-01-01T00:00:00Z")))
            }),
        ),
        (
            json!({ "createdAt": { "gt": utc(t) } }),
            Box::new(move |p: &P| p.created > t),
        ),
        (
            json!({ "createdAt": { "gte": utc(t) } }),
            Box::new(move |p: &P| p.created >= t),
        ),
        (
            json!({ "createdAt": { "lt": plus_two(t) } }),
            Box::new(move |p: &P| p.created < t),
        ),
        (
            json!({ "createdAt": { "lte": utc(t) } }),
            Box::new(move |p: &P| p.created <= t),
        ),
        // combinators
        (
            json!({ "and": [{ "status": { "eq": "COMPLETED" } }, { "amount": { "gt": 15 } }] }),
            Box::new(|p: &P| p.status == "COMPLETED" && p.amount > d("15")),
        ),
        (
            json!({ "or": [{ "paymentMethod": { "eq": "Cash" } }, { "amount": { "lt": 1 } }] }),
            Box::new(|p: &P| p.method == "Cash" || p.amount < d("1")),
        ),
        (json!({ "or": [] }), Box::new(|_: &P| false)),
        (
            json!({ "and": [], "status": { "eq": "FAILED" } }),
            Box::new(|p: &P| p.status == "FAILED"),
        ),
        (
            json!({ "not": { "status": { "in": ["PENDING", "FAILED"] } } }),
            Box::new(|p: &P| p.status != "PENDING" && p.status != "FAILED"),
        ),
        (
            json!({ "not": { "paymentMethod": { "contains": "card" } } }),
            Box::new(|p: &P| !p.method.contains("card")),
        ),
        (
            json!({ "or": [
                { "and": [{ "status": { "eq": "COMPLETED" } }, { "not": { "paymentMethod": { "startsWith": "c" } } }] },
                { "and": [{ "order": { "eq": oa } }, { "not": { "status": { "eq": "REFUNDED" } } }] },
            ] }),
            Box::new(move |p: &P| {
                (p.status == "COMPLETED" && !p.method.starts_with('c'))
                    || (p.order == oa && p.status != "REFUNDED")
            }),
        ),
        (
            json!({ "status": { "ne": "PENDING" }, "not": { "or": [{ "amount": { "gte": 100 } }, { "order": { "eq": ob } }] } }),
            Box::new(move |p: &P| {
                p.status != "PENDING" && !(p.amount >= d("100") || p.order == ob)
            }),
        ),
    ];
    check(&app, "payments", &w.d.admin, &w.payments, |p| p.id, cases).await;
}

#[tokio::test]
async fn a_customers_filter_never_widens_their_scope() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let user = w.d.user_id;
    let own_orders: Vec<O> = w
        .orders
        .iter()
        .filter(|o| o.customer == user)
        .cloned()
        .collect();
    let own_ids: Vec<i64> = own_orders.iter().map(|o| o.id).collect();
    let own_payments: Vec<P> = w
        .payments
        .iter()
        .filter(|p| own_ids.contains(&p.order))
        .cloned()
        .collect();
    assert!(own_orders.len() >= 3 && own_orders.len() < w.orders.len());
    assert!(own_payments.len() >= 2 && own_payments.len() < w.payments.len());
    let others: Vec<i64> = w
        .orders
        .iter()
        .filter(|o| o.customer != user)
        .map(|o| o.id)
        .collect();
    let other = w.other;

    // (filter, what it keeps among the customer's own orders)
    let cases: Vec<Case<O>> = vec![
        (json!({}), Box::new(|_: &O| true)),
        (
            json!({ "customer": { "eq": other } }),
            Box::new(|_: &O| false),
        ),
        (
            json!({ "customer": { "ne": user } }),
            Box::new(|_: &O| false),
        ),
        (
            json!({ "id": { "in": others.clone() } }),
            Box::new(|_: &O| false),
        ),
        (
            json!({ "or": [{ "customer": { "eq": other } }, { "id": { "gte": 0 } }] }),
            Box::new(|_: &O| true),
        ),
        (
            json!({ "or": [{ "customer": { "in": [other] } }, { "status": { "eq": "PENDING" } }] }),
            Box::new(|o: &O| o.status == "PENDING"),
        ),
        (
            json!({ "not": { "customer": { "eq": user } } }),
            Box::new(|_: &O| false),
        ),
        (
            json!({ "not": { "id": { "eq": -1 } } }),
            Box::new(|_: &O| true),
        ),
    ];
    check(&app, "orders", &w.d.user, &own_orders, |o| o.id, cases).await;

    let cases: Vec<Case<P>> = vec![
        (json!({}), Box::new(|_: &P| true)),
        (
            json!({ "order": { "in": others.clone() } }),
            Box::new(|_: &P| false),
        ),
        (
            json!({ "or": [{ "order": { "in": others } }, { "id": { "gte": 0 } }] }),
            Box::new(|_: &P| true),
        ),
        (
            json!({ "not": { "status": { "eq": "PENDING" } } }),
            Box::new(|p: &P| p.status != "PENDING"),
        ),
        (
            json!({ "or": [{ "paymentMethod": { "eq": "Cash" } }, { "paymentMethod": { "eq": "PayPal" } }] }),
            Box::new(|p: &P| p.method == "PayPal"),
        ),
    ];
    check(&app, "payments", &w.d.user, &own_payments, |p| p.id, cases).await;
}
