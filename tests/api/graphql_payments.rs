//! The payment rules through GraphQL (CONTRACT §7): amount and method checks (every bad field
//! at once), no payment on a cancelled order, the status machine, `paidAt`, and the order's
//! `amountPaid`/`balanceDue`.

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Value, json};

use crate::fixtures::{Demo, data, demo, error_code};
use crate::helpers::{TestApp, spawn_app};

const CREATE: &str = "mutation($i: CreatePaymentInput!) { createPayment(input: $i) { id amount paymentMethod status paidAt createdAt } }";
const UPDATE: &str = "mutation($id: Int!, $i: UpdatePaymentInput!) { updatePayment(id: $id, input: $i) { id amount paymentMethod status paidAt createdAt } }";

/// Creates a payment as staff; returns the `createPayment` object.
async fn pay(app: &TestApp, d: &Demo, order: i64, amount: &str, status: Option<&str>) -> Value {
    let r = app
        .gql(
            CREATE,
            json!({ "i": { "orderId": order, "amount": amount, "paymentMethod": "Card", "status": status } }),
            Some(&d.admin),
        )
        .await;
    data(&r)["createPayment"].clone()
}

/// `updatePayment` as staff: the whole answer.
async fn update(app: &TestApp, d: &Demo, id: i64, input: Value) -> Value {
    app.gql(UPDATE, json!({ "id": id, "i": input }), Some(&d.admin))
        .await
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("a timestamp: {v}")))
        .unwrap()
        .to_utc()
}

async fn payment_count(app: &TestApp, d: &Demo) -> i64 {
    let r = app
        .gql("{ payments { totalCount } }", json!({}), Some(&d.admin))
        .await;
    data(&r)["payments"]["totalCount"].as_i64().unwrap()
}

#[tokio::test]
async fn amount_and_method_are_checked_all_at_once() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let long = "x".repeat(51);
    // (amount, method, expected problems of amount, expected problems of paymentMethod)
    let cases: Vec<(Value, &str, Vec<&str>, Vec<&str>)> = vec![
        (json!("0"), "", vec!["0.01"], vec!["must not be blank"]),
        (
            json!("0.00"),
            "   ",
            vec!["0.01"],
            vec!["must not be blank"],
        ),
        (
            json!("-5.00"),
            long.as_str(),
            vec!["0.01"],
            vec!["must be at most 50 characters long"],
        ),
        (
            json!(-0.001),
            "Cash",
            vec!["must have at most 2 decimal places", "0.01"],
            vec![],
        ),
        (
            json!("1.005"),
            "Cash",
            vec!["must have at most 2 decimal places"],
            vec![],
        ),
        (
            json!("12345678901"),
            "Cash",
            vec!["must have at most 10 digits before the decimal point"],
            vec![],
        ),
        (
            json!("1234567890.123"),
            "Cash",
            vec!["must have at most 12 digits"],
            vec![],
        ),
        (
            json!(10),
            long.as_str(),
            vec![],
            vec!["must be at most 50 characters long"],
        ),
    ];
    for (amount, method, amount_problems, method_problems) in cases {
        let r = app
            .gql(
                CREATE,
                json!({ "i": { "orderId": d.order, "amount": amount, "paymentMethod": method } }),
                Some(&d.admin),
            )
            .await;
        let why = format!("amount {amount}, method {method:?}: {r}");
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{why}");
        let fields = r["errors"][0]["extensions"]["fields"]
            .as_object()
            .unwrap_or_else(|| panic!("no fields: {why}"));
        let mut expected_keys = Vec::new();
        for (key, problems) in [
            ("amount", &amount_problems),
            ("paymentMethod", &method_problems),
        ] {
            if problems.is_empty() {
                continue;
            }
            expected_keys.push(key);
            let got: Vec<&str> = fields[key]
                .as_array()
                .unwrap_or_else(|| panic!("no {key}: {why}"))
                .iter()
                .map(|m| m.as_str().unwrap())
                .collect();
            assert_eq!(got.len(), problems.len(), "{key}: {why}");
            for (g, want) in got.iter().zip(problems.iter()) {
                assert!(g.contains(want), "{key}: {g:?} should say {want:?}: {why}");
            }
        }
        let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, expected_keys, "exactly the bad fields: {why}");
    }
    assert_eq!(payment_count(&app, &d).await, 1, "nothing was written");

    // the boundaries are accepted; numbers are exact
    for (amount, method, stored) in [
        (json!("0.01"), "X".to_owned(), "0.01"),
        (json!("9999999999.99"), "m".repeat(50), "9999999999.99"),
        (json!(12.5), "Cash".to_owned(), "12.50"),
        (json!("1e2"), "Cash".to_owned(), "100.00"),
    ] {
        let r = app
            .gql(
                CREATE,
                json!({ "i": { "orderId": d.order, "amount": amount, "paymentMethod": method } }),
                Some(&d.admin),
            )
            .await;
        let p = &data(&r)["createPayment"];
        assert_eq!(p["amount"], stored);
        assert_eq!(p["paymentMethod"], method.as_str());
        assert_eq!(p["status"], "PENDING");
    }

    // updates are checked the same way
    let r = update(
        &app,
        &d,
        d.payment,
        json!({ "amount": "0", "paymentMethod": "" }),
    )
    .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT");
    let fields = &r["errors"][0]["extensions"]["fields"];
    assert!(
        fields["amount"][0].as_str().unwrap().contains("0.01"),
        "{r}"
    );
    assert_eq!(fields["paymentMethod"], json!(["must not be blank"]));
    let r = update(
        &app,
        &d,
        d.payment,
        json!({ "amount": "5.5", "paymentMethod": "Wire" }),
    )
    .await;
    assert_eq!(data(&r)["updatePayment"]["amount"], "5.50");
    assert_eq!(data(&r)["updatePayment"]["paymentMethod"], "Wire");
}

#[tokio::test]
async fn no_payment_on_a_cancelled_order() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    data(
        &app.gql(
            "mutation($id: Int!) { updateOrder(id: $id, input: { status: CANCELLED }) { id } }",
            json!({ "id": d.order }),
            Some(&d.admin),
        )
        .await,
    );
    for (token, status) in [
        (&d.admin, "COMPLETED"),
        (&d.admin, "PENDING"),
        (&d.user, "PENDING"),
    ] {
        let r = app
            .gql(
                CREATE,
                json!({ "i": { "orderId": d.order, "amount": "1.00", "paymentMethod": "Cash", "status": status } }),
                Some(token),
            )
            .await;
        assert_eq!(error_code(&r), "CONFLICT", "{r}");
    }
    assert_eq!(payment_count(&app, &d).await, 1);
    // an order that does not exist
    let r = app
        .gql(
            CREATE,
            json!({ "i": { "orderId": 987_654, "amount": "1.00", "paymentMethod": "Cash" } }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(error_code(&r), "NOT_FOUND");
}

/// Brings a new payment of the demo order into `status` by legal steps; returns its id.
async fn payment_in(app: &TestApp, d: &Demo, status: &str) -> i64 {
    let id = pay(app, d, d.order, "10.00", None).await["id"]
        .as_i64()
        .unwrap();
    let path: &[&str] = match status {
        "PENDING" => &[],
        "COMPLETED" => &["COMPLETED"],
        "FAILED" => &["FAILED"],
        "REFUNDED" => &["COMPLETED", "REFUNDED"],
        other => panic!("no status {other}"),
    };
    for s in path {
        let r = update(app, d, id, json!({ "status": s })).await;
        assert_eq!(data(&r)["updatePayment"]["status"], *s);
    }
    id
}

#[tokio::test]
async fn the_payment_status_machine_is_enforced() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let all = ["PENDING", "COMPLETED", "FAILED", "REFUNDED"];
    let allowed = [
        ("PENDING", "COMPLETED"),
        ("PENDING", "FAILED"),
        ("FAILED", "PENDING"),
        ("COMPLETED", "REFUNDED"),
    ];
    for from in all {
        for to in all {
            let id = payment_in(&app, &d, from).await;
            let r = update(&app, &d, id, json!({ "status": to })).await;
            let legal = from == to || allowed.contains(&(from, to));
            let now = app
                .gql(
                    "query($id: Int!) { payment(id: $id) { status } }",
                    json!({ "id": id }),
                    Some(&d.admin),
                )
                .await;
            if legal {
                assert_eq!(
                    data(&r)["updatePayment"]["status"],
                    to,
                    "{from} -> {to}: {r}"
                );
                assert_eq!(data(&now)["payment"]["status"], to);
            } else {
                assert_eq!(error_code(&r), "CONFLICT", "{from} -> {to}: {r}");
                assert!(
                    r["errors"][0]["extensions"]["fields"]["status"].is_array(),
                    "the conflict names the field: {r}"
                );
                assert_eq!(
                    data(&now)["payment"]["status"],
                    from,
                    "{from} -> {to} changed nothing"
                );
            }
        }
    }
}

#[tokio::test]
async fn becoming_completed_sets_paid_at() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    // pending: no paidAt
    let p = pay(&app, &d, d.order, "10.00", None).await;
    assert_eq!(p["paidAt"], Value::Null);
    let id = p["id"].as_i64().unwrap();
    // pending -> failed -> pending: still none
    for s in ["FAILED", "PENDING"] {
        let r = update(&app, &d, id, json!({ "status": s })).await;
        assert_eq!(data(&r)["updatePayment"]["paidAt"], Value::Null, "{s}");
    }
    // pending -> completed: now
    let before = Utc::now().trunc_subsecs(6);
    let r = update(&app, &d, id, json!({ "status": "COMPLETED" })).await;
    let after = Utc::now();
    let paid = data(&r)["updatePayment"]["paidAt"].clone();
    let paid_at = time(&paid);
    assert!(
        before <= paid_at && paid_at <= after,
        "{before} <= {paid_at} <= {after}"
    );
    // read back the same
    let r = app
        .gql(
            "query($id: Int!) { payment(id: $id) { paidAt } }",
            json!({ "id": id }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(time(&data(&r)["payment"]["paidAt"]), paid_at);
    // completed again: a no-op, paidAt kept
    let r = update(&app, &d, id, json!({ "status": "COMPLETED" })).await;
    assert_eq!(time(&data(&r)["updatePayment"]["paidAt"]), paid_at);
    // refunded keeps when it was paid
    let r = update(&app, &d, id, json!({ "status": "REFUNDED" })).await;
    assert_eq!(data(&r)["updatePayment"]["status"], "REFUNDED");
    assert_eq!(time(&data(&r)["updatePayment"]["paidAt"]), paid_at);

    // a paidAt given with the change wins (in UTC with Z)
    let id = pay(&app, &d, d.order, "10.00", None).await["id"]
        .as_i64()
        .unwrap();
    let r = update(
        &app,
        &d,
        id,
        json!({ "status": "COMPLETED", "paidAt": "2025-03-04T07:08:09+02:00" }),
    )
    .await;
    assert_eq!(data(&r)["updatePayment"]["paidAt"], "2025-03-04T05:08:09Z");
    let r = app
        .gql(
            "query($id: Int!) { payment(id: $id) { paidAt status } }",
            json!({ "id": id }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(
        data(&r)["payment"],
        json!({ "paidAt": "2025-03-04T05:08:09Z", "status": "COMPLETED" })
    );

    // created completed (staff): paid when created
    let p = pay(&app, &d, d.order, "10.00", Some("COMPLETED")).await;
    assert_eq!(p["status"], "COMPLETED");
    assert_eq!(time(&p["paidAt"]), time(&p["createdAt"]));
}

#[tokio::test]
async fn amount_paid_sums_the_completed_payments_only() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let r = app
        .gql(
            "mutation($p: Int!) { createOrder(input: { items: [{ productId: $p, quantity: 4, price: \"25.00\" }] }) { id totalAmount amountPaid balanceDue } }",
            json!({ "p": d.laptop }),
            Some(&d.admin),
        )
        .await;
    let o = &data(&r)["createOrder"];
    assert_eq!(o["totalAmount"], "100.00");
    assert_eq!(o["amountPaid"], "0.00");
    assert_eq!(o["balanceDue"], "100.00");
    let order = o["id"].as_i64().unwrap();

    pay(&app, &d, order, "30.00", Some("COMPLETED")).await;
    pay(&app, &d, order, "50.00", None).await; // pending: not paid
    pay(&app, &d, order, "20.00", Some("FAILED")).await; // failed: not paid
    let refunded = pay(&app, &d, order, "5.00", Some("COMPLETED")).await["id"]
        .as_i64()
        .unwrap();
    let r = update(&app, &d, refunded, json!({ "status": "REFUNDED" })).await;
    assert_eq!(data(&r)["updatePayment"]["status"], "REFUNDED");
    let cent = pay(&app, &d, order, "0.01", None).await["id"]
        .as_i64()
        .unwrap();
    // completing it through a mutation: its answer already shows the new sums
    let r = app
        .gql(
            "mutation($id: Int!) { updatePayment(id: $id, input: { status: COMPLETED }) { order { amountPaid balanceDue payments { status } } } }",
            json!({ "id": cent }),
            Some(&d.admin),
        )
        .await;
    let seen = &data(&r)["updatePayment"]["order"];
    assert_eq!(seen["amountPaid"], "30.01");
    assert_eq!(seen["balanceDue"], "69.99");
    assert_eq!(seen["payments"].as_array().unwrap().len(), 5);

    let expected = json!({ "amountPaid": "30.01", "balanceDue": "69.99", "totalAmount": "100.00" });
    let r = app
        .gql(
            "query($id: Int!) { order(id: $id) { amountPaid balanceDue totalAmount } orders(filter: { id: { eq: $id } }) { nodes { amountPaid balanceDue totalAmount } } }",
            json!({ "id": order }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(data(&r)["order"], expected);
    assert_eq!(data(&r)["orders"]["nodes"][0], expected);
    // the demo order: one pending payment, nothing paid
    let r = app
        .gql(
            "query($id: Int!) { payment(id: $id) { order { amountPaid balanceDue } } }",
            json!({ "id": d.payment }),
            Some(&d.user),
        )
        .await;
    assert_eq!(
        data(&r)["payment"]["order"],
        json!({ "amountPaid": "0.00", "balanceDue": "999.99" })
    );
    // deleting the completed 30.00 lowers what was paid
    let r = app
        .gql(
            "{ payments(filter: { amount: { eq: \"30.00\" } }) { nodes { id } } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    let thirty = data(&r)["payments"]["nodes"][0]["id"].as_i64().unwrap();
    data(
        &app.gql(
            "mutation($id: Int!) { deletePayment(id: $id) }",
            json!({ "id": thirty }),
            Some(&d.admin),
        )
        .await,
    );
    let r = app
        .gql(
            "query($id: Int!) { order(id: $id) { amountPaid balanceDue } }",
            json!({ "id": order }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(
        data(&r)["order"],
        json!({ "amountPaid": "0.01", "balanceDue": "99.99" })
    );
}
