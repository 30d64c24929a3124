//! Who may do what through GraphQL (CONTRACT §6 and §9): staff, the order's customer, another
//! customer, no token, `OMS_ANONYMOUS_READ`, `OMS_AUTHZ=legacy`, and tokens whose user is
//! inactive or gone. Reads and writes are checked as tables: one row per operation, one column
//! per caller.

use entity::user;
use migration::sea_orm::EntityTrait;
use oms_gateway::config::AuthzMode;
use serde_json::{Value, json};

use crate::fixtures::{Demo, data, demo, error_code};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// What one caller should get from one operation.
#[derive(Debug, Clone)]
enum Expect {
    /// This exact `data`.
    Data(Value),
    /// An error with this `extensions.code`, and no data for the operation.
    Code(&'static str),
}

use Expect::{Code, Data};

/// Runs `query` as `token` and checks the answer against `expect`.
async fn check(
    app: &TestApp,
    who: &str,
    query: &str,
    vars: Value,
    token: Option<&str>,
    expect: &Expect,
) {
    let r = app.gql(query, vars, token).await;
    match expect {
        Data(want) => assert_eq!(data(&r), want, "{who}: {query}"),
        Code(code) => {
            assert_eq!(error_code(&r), *code, "{who}: {query}: {r}");
            // nothing of the operation leaks next to the error
            let leaked = r["data"]
                .as_object()
                .is_some_and(|o| o.values().any(|v| !v.is_null()));
            assert!(!leaked, "{who}: {query}: data next to the error: {r}");
        }
    }
}

/// A non-staff user with a token: (id, token).
async fn customer(app: &TestApp, name: &str) -> (i64, String) {
    let id = app
        .create_user(name, &format!("{name}-password"), false)
        .await;
    let (token, _) = app.login(name, &format!("{name}-password")).await;
    (id, token)
}

/// An order of `customer` (placed by staff, pending, one Laptop from the demo stock) with one
/// pending payment: (order id, payment id).
async fn order_with_payment(app: &TestApp, d: &Demo, customer: i64) -> (i64, i64) {
    let r = app
        .create_order(&d.admin, Some(customer), &[(d.laptop, 1, Some(d.stock))])
        .await;
    let order = data(&r)["createOrder"]["id"].as_i64().unwrap();
    let p = app
        .gql(
            "mutation($o: Int!) { createPayment(input: { orderId: $o, amount: \"10.00\", paymentMethod: \"Cash\" }) { id } }",
            json!({ "o": order }),
            Some(&d.admin),
        )
        .await;
    (order, data(&p)["createPayment"]["id"].as_i64().unwrap())
}

/// Every write of the API, aimed at the demo order, payment and stock: (name, query, variables).
fn writes(d: &Demo) -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "createOrder",
            "mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }",
            json!({ "i": { "items": [{ "productId": d.laptop, "quantity": 1 }] } }),
        ),
        (
            "updateOrder",
            "mutation($id: Int!) { updateOrder(id: $id, input: { status: CANCELLED }) { id } }",
            json!({ "id": d.order }),
        ),
        (
            "deleteOrder",
            "mutation($id: Int!) { deleteOrder(id: $id) }",
            json!({ "id": d.order }),
        ),
        (
            "createPayment",
            "mutation($o: Int!) { createPayment(input: { orderId: $o, amount: \"1.00\", paymentMethod: \"Cash\" }) { id } }",
            json!({ "o": d.order }),
        ),
        (
            "updatePayment",
            "mutation($id: Int!) { updatePayment(id: $id, input: { status: COMPLETED }) { id } }",
            json!({ "id": d.payment }),
        ),
        (
            "deletePayment",
            "mutation($id: Int!) { deletePayment(id: $id) }",
            json!({ "id": d.payment }),
        ),
    ]
    .into_iter()
    .chain(catalog_writes(d))
    .collect()
}

/// The staff-only catalog and stock writes.
fn catalog_writes(d: &Demo) -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "createCategory",
            "mutation { createCategory(name: \"Toys\") { id } }",
            json!({}),
        ),
        (
            "createProduct",
            "mutation($c: Int!) { createProduct(input: { name: \"Kite\", sku: \"KITE-1\", price: \"12.00\", categoryId: $c }) { id } }",
            json!({ "c": d.category }),
        ),
        (
            "createWarehouse",
            "mutation { createWarehouse(name: \"South WH\", address: \"1 Road\") { id } }",
            json!({}),
        ),
        (
            "createLocation",
            "mutation { createLocation(warehouseId: 1, code: \"Z9\") { id } }",
            json!({}),
        ),
        (
            "createStock",
            "mutation($p: Int!, $l: Int!) { createStock(productId: $p, locationId: $l, quantity: 5) { id } }",
            json!({ "p": d.laptop, "l": d.location }),
        ),
        (
            "adjustStock",
            "mutation($s: Int!) { adjustStock(id: $s, delta: 1) { quantity } }",
            json!({ "s": d.stock }),
        ),
    ]
}

/// Asserts that the demo data is as loaded: nothing any refused write could have changed.
async fn assert_demo_untouched(app: &TestApp, d: &Demo) {
    let r = app
        .gql(
            "{ orders { totalCount nodes { id status customer { id } } } payments { totalCount nodes { id status } }
               products { nodes { name } } warehouses { nodes { name } } stocks { nodes { id quantity } } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    assert_eq!(
        data(&r),
        &json!({
            "orders": { "totalCount": 1, "nodes": [{ "id": d.order, "status": "PENDING", "customer": { "id": d.user_id } }] },
            "payments": { "totalCount": 1, "nodes": [{ "id": d.payment, "status": "PENDING" }] },
            "products": { "nodes": [{ "name": "Laptop" }] },
            "warehouses": { "nodes": [{ "name": "Main WH" }] },
            "stocks": { "nodes": [{ "id": d.stock, "quantity": 49 }] },
        }),
        "a refused write changed something"
    );
}

#[tokio::test]
async fn reads_follow_the_callers_scope() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (other_id, other) = customer(&app, "other").await;
    let (other_order, other_payment) = order_with_payment(&app, &d, other_id).await;

    let order_q = "query($id: Int!) { order(id: $id) { id customer { username } } }";
    let payment_q = "query($id: Int!) { payment(id: $id) { id order { id } } }";
    let orders_q = "{ orders { totalCount nodes { id } } }";
    let payments_q = "{ payments { totalCount nodes { id } } }";
    let mine = json!({ "order": { "id": d.order, "customer": { "username": "user" } } });
    let my_payment = json!({ "payment": { "id": d.payment, "order": { "id": d.order } } });
    let nodes = |ids: &[i64]| json!({ "totalCount": ids.len(), "nodes": ids.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>() });
    let catalog_q = "{ products { nodes { name sku } } warehouses { nodes { name } } stocks { nodes { label } } }";
    let catalog = json!({
        "products": { "nodes": [{ "name": "Laptop", "sku": "SKU123" }] },
        "warehouses": { "nodes": [{ "name": "Main WH" }] },
        "stocks": { "nodes": [{ "label": "Main WH - A1" }] },
    });

    // (query, variables, [staff, the order's customer, another customer, no token])
    let table: Vec<(&str, Value, [Expect; 4])> = vec![
        (
            order_q,
            json!({ "id": d.order }),
            [
                Data(mine.clone()),
                Data(mine.clone()),
                Data(json!({ "order": null })),
                Code("UNAUTHENTICATED"),
            ],
        ),
        (
            order_q,
            json!({ "id": 987_654 }),
            [
                Data(json!({ "order": null })),
                Data(json!({ "order": null })),
                Data(json!({ "order": null })),
                Code("UNAUTHENTICATED"),
            ],
        ),
        (
            payment_q,
            json!({ "id": d.payment }),
            [
                Data(my_payment.clone()),
                Data(my_payment.clone()),
                Data(json!({ "payment": null })),
                Code("UNAUTHENTICATED"),
            ],
        ),
        (
            orders_q,
            json!({}),
            [
                Data(json!({ "orders": nodes(&[other_order, d.order]) })),
                Data(json!({ "orders": nodes(&[d.order]) })),
                Data(json!({ "orders": nodes(&[other_order]) })),
                Code("UNAUTHENTICATED"),
            ],
        ),
        (
            payments_q,
            json!({}),
            [
                Data(json!({ "payments": nodes(&[other_payment, d.payment]) })),
                Data(json!({ "payments": nodes(&[d.payment]) })),
                Data(json!({ "payments": nodes(&[other_payment]) })),
                Code("UNAUTHENTICATED"),
            ],
        ),
        (
            catalog_q,
            json!({}),
            [
                Data(catalog.clone()),
                Data(catalog.clone()),
                Data(catalog.clone()),
                Code("UNAUTHENTICATED"),
            ],
        ),
        (
            "{ me { username isStaff } }",
            json!({}),
            [
                Data(json!({ "me": { "username": "admin", "isStaff": true } })),
                Data(json!({ "me": { "username": "user", "isStaff": false } })),
                Data(json!({ "me": { "username": "other", "isStaff": false } })),
                Data(json!({ "me": null })),
            ],
        ),
    ];
    let callers = [
        ("staff", Some(d.admin.as_str())),
        ("the order's customer", Some(d.user.as_str())),
        ("another customer", Some(other.as_str())),
        ("no token", None),
    ];
    for (query, vars, expects) in &table {
        for ((who, token), expect) in callers.iter().zip(expects) {
            check(&app, who, query, vars.clone(), *token, expect).await;
        }
    }
    // each root field is checked on its own: a list next to a hidden order is not refused whole
    let r = app
        .gql(
            "query($id: Int!) { order(id: $id) { id } orders { totalCount } }",
            json!({ "id": d.order }),
            Some(&other),
        )
        .await;
    assert_eq!(
        data(&r),
        &json!({ "order": null, "orders": { "totalCount": 1 } })
    );
}

#[tokio::test]
async fn another_customers_order_and_payment_answer_not_found_to_every_mutation() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (_, other) = customer(&app, "other").await;
    for (name, query, vars) in writes(&d).into_iter().take(6).skip(1) {
        check(&app, name, query, vars, Some(&other), &Code("NOT_FOUND")).await;
    }
    // a (pending) payment on someone else's order: NOT_FOUND (CONTRACT §9)
    check(
        &app,
        "createPayment on another's order",
        "mutation($o: Int!) { createPayment(input: { orderId: $o, amount: \"5.00\", paymentMethod: \"Cash\", status: PENDING }) { id } }",
        json!({ "o": d.order }),
        Some(&other),
        &Code("NOT_FOUND"),
    )
    .await;
    // the same answer as for an id that does not exist at all
    for (id_name, query) in [
        (
            "id",
            "mutation($id: Int!) { updateOrder(id: $id, input: { status: CANCELLED }) { id } }",
        ),
        ("id", "mutation($id: Int!) { deleteOrder(id: $id) }"),
        (
            "id",
            "mutation($id: Int!) { updatePayment(id: $id, input: { status: COMPLETED }) { id } }",
        ),
        ("id", "mutation($id: Int!) { deletePayment(id: $id) }"),
    ] {
        check(
            &app,
            "missing id",
            query,
            json!({ id_name: 987_654 }),
            Some(&other),
            &Code("NOT_FOUND"),
        )
        .await;
        check(
            &app,
            "missing id (staff)",
            query,
            json!({ id_name: 987_654 }),
            Some(&d.admin),
            &Code("NOT_FOUND"),
        )
        .await;
    }
    assert_demo_untouched(&app, &d).await;
}

#[tokio::test]
async fn without_a_token_every_data_operation_is_unauthenticated() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    for (name, query, vars) in writes(&d) {
        check(&app, name, query, vars, None, &Code("UNAUTHENTICATED")).await;
    }
    for query in [
        "{ orders { totalCount } }",
        "{ payments { totalCount } }",
        "{ products { totalCount } }",
        "{ warehouses { nodes { id } } }",
        "{ stocks { edges { node { id } } } }",
    ] {
        check(
            &app,
            "no token",
            query,
            json!({}),
            None,
            &Code("UNAUTHENTICATED"),
        )
        .await;
    }
    check(
        &app,
        "no token",
        "{ me { id } }",
        json!({}),
        None,
        &Data(json!({ "me": null })),
    )
    .await;
    assert_demo_untouched(&app, &d).await;
}

#[tokio::test]
async fn anonymous_read_opens_reads_but_not_writes() {
    let app = spawn_app_with(|s| s.anonymous_read = true).await;
    let d = demo(&app).await;
    let (other_id, _) = customer(&app, "other").await;
    let (other_order, other_payment) = order_with_payment(&app, &d, other_id).await;

    let r = app
        .gql(
            "query($o: Int!, $p: Int!) {
               order(id: $o) { id customer { username } items { quantity stock { label } } }
               payment(id: $p) { id amount }
               orders { totalCount nodes { id } }
               payments { totalCount nodes { id } }
               products { nodes { name } } warehouses { nodes { name } } stocks(productId: 999999) { totalCount nodes { id } }
               me { id }
             }",
            json!({ "o": d.order, "p": d.payment }),
            None,
        )
        .await;
    assert_eq!(
        data(&r),
        &json!({
            "order": { "id": d.order, "customer": { "username": "user" }, "items": [{ "quantity": 1, "stock": { "label": "Main WH - A1" } }] },
            "payment": { "id": d.payment, "amount": "999.99" },
            "orders": { "totalCount": 2, "nodes": [{ "id": other_order }, { "id": d.order }] },
            "payments": { "totalCount": 2, "nodes": [{ "id": other_payment }, { "id": d.payment }] },
            "products": { "nodes": [{ "name": "Laptop" }] },
            "warehouses": { "nodes": [{ "name": "Main WH" }] },
            "stocks": { "totalCount": 0, "nodes": [] },
            "me": null,
        })
    );
    // writes still need a token
    for (name, query, vars) in writes(&d) {
        check(&app, name, query, vars, None, &Code("UNAUTHENTICATED")).await;
    }
    // a bad token is not the same as no token: refused, even for reads
    check(
        &app,
        "bad token",
        "{ orders { totalCount } }",
        json!({}),
        Some("not-a-token"),
        &Code("UNAUTHENTICATED"),
    )
    .await;
    // the customers keep their own scope
    let (_, third) = customer(&app, "third").await;
    check(
        &app,
        "a customer with anonymous reads open",
        "{ orders { totalCount } }",
        json!({}),
        Some(&third),
        &Data(json!({ "orders": { "totalCount": 0 } })),
    )
    .await;
}

#[tokio::test]
async fn customers_write_only_within_their_rules() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (other_id, _) = customer(&app, "other").await;
    let create = "mutation($i: CreateOrderInput!) { createOrder(input: $i) { id status customer { id } totalAmount } }";
    let item = json!([{ "productId": d.laptop, "quantity": 1, "stockId": d.stock }]);

    // own orders, pending only: the customer defaults to the caller
    let r = app
        .gql(create, json!({ "i": { "items": item } }), Some(&d.user))
        .await;
    let placed = &data(&r)["createOrder"];
    assert_eq!(placed["customer"]["id"], d.user_id);
    assert_eq!(placed["status"], "PENDING");
    assert_eq!(placed["totalAmount"], "999.99");
    let own = placed["id"].as_i64().unwrap();
    let r = app
        .gql(
            create,
            json!({ "i": { "customerId": d.user_id, "status": "PENDING", "items": item } }),
            Some(&d.user),
        )
        .await;
    let own2 = data(&r)["createOrder"]["id"].as_i64().unwrap();
    for (why, input) in [
        (
            "for another customer",
            json!({ "customerId": other_id, "items": item }),
        ),
        ("confirmed", json!({ "status": "CONFIRMED", "items": item })),
        ("shipped", json!({ "status": "SHIPPED", "items": item })),
        ("cancelled", json!({ "status": "CANCELLED", "items": item })),
    ] {
        check(
            &app,
            why,
            create,
            json!({ "i": input }),
            Some(&d.user),
            &Code("FORBIDDEN"),
        )
        .await;
    }
    assert_eq!(
        app.stock_quantity(&d.admin, d.stock).await,
        47,
        "49 - 2 placed; refused ones took nothing"
    );

    let upd = "mutation($id: Int!, $i: UpdateOrderInput!) { updateOrder(id: $id, input: $i) { id status customer { id } } }";
    let set = |id: i64, status: &str| json!({ "id": id, "i": { "status": status } });
    // role before legality: confirming is refused as FORBIDDEN, also where it would be illegal
    check(
        &app,
        "confirm own",
        upd,
        set(own, "CONFIRMED"),
        Some(&d.user),
        &Code("FORBIDDEN"),
    )
    .await;
    check(
        &app,
        "ship own pending",
        upd,
        set(own, "SHIPPED"),
        Some(&d.user),
        &Code("FORBIDDEN"),
    )
    .await;
    check(
        &app,
        "deliver own pending",
        upd,
        set(own, "DELIVERED"),
        Some(&d.user),
        &Code("FORBIDDEN"),
    )
    .await;
    // setting the current status again is a no-op, allowed
    check(
        &app,
        "pending again",
        upd,
        set(own, "PENDING"),
        Some(&d.user),
        &Data(json!({ "updateOrder": { "id": own, "status": "PENDING", "customer": { "id": d.user_id } } })),
    )
    .await;
    // reassigning
    check(
        &app,
        "reassign own",
        upd,
        json!({ "id": own, "i": { "customerId": other_id } }),
        Some(&d.user),
        &Code("FORBIDDEN"),
    )
    .await;
    check(
        &app,
        "reassign own to oneself",
        upd,
        json!({ "id": own, "i": { "customerId": d.user_id } }),
        Some(&d.user),
        &Data(json!({ "updateOrder": { "id": own, "status": "PENDING", "customer": { "id": d.user_id } } })),
    )
    .await;
    // deleting
    check(
        &app,
        "delete own",
        "mutation($id: Int!) { deleteOrder(id: $id) }",
        json!({ "id": own }),
        Some(&d.user),
        &Code("FORBIDDEN"),
    )
    .await;
    // cancelling own pending: allowed, units back
    check(
        &app,
        "cancel own pending",
        upd,
        set(own, "CANCELLED"),
        Some(&d.user),
        &Data(json!({ "updateOrder": { "id": own, "status": "CANCELLED", "customer": { "id": d.user_id } } })),
    )
    .await;
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 48);
    // cancelling own confirmed: allowed
    data(&app.gql(upd, set(own2, "CONFIRMED"), Some(&d.admin)).await);
    check(
        &app,
        "cancel own confirmed",
        upd,
        set(own2, "CANCELLED"),
        Some(&d.user),
        &Data(json!({ "updateOrder": { "id": own2, "status": "CANCELLED", "customer": { "id": d.user_id } } })),
    )
    .await;
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 49);
    // cancelling own shipped: allowed for the role, illegal for the order
    for s in ["CONFIRMED", "SHIPPED"] {
        data(&app.gql(upd, set(d.order, s), Some(&d.admin)).await);
    }
    check(
        &app,
        "cancel own shipped",
        upd,
        set(d.order, "CANCELLED"),
        Some(&d.user),
        &Code("CONFLICT"),
    )
    .await;
    check(
        &app,
        "deliver own shipped",
        upd,
        set(d.order, "DELIVERED"),
        Some(&d.user),
        &Code("FORBIDDEN"),
    )
    .await;
    let r = app
        .gql(
            "query($id: Int!) { order(id: $id) { status } }",
            json!({ "id": d.order }),
            Some(&d.user),
        )
        .await;
    assert_eq!(data(&r)["order"]["status"], "SHIPPED");
}

#[tokio::test]
async fn customers_create_only_pending_payments_and_change_none() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let create = "mutation($o: Int!, $s: PaymentStatus) { createPayment(input: { orderId: $o, amount: \"5.00\", paymentMethod: \"Cash\", status: $s }) { status paidAt order { id } } }";
    for status in [Value::Null, json!("PENDING")] {
        check(
            &app,
            "pending payment on own order",
            create,
            json!({ "o": d.order, "s": status }),
            Some(&d.user),
            &Data(json!({ "createPayment": { "status": "PENDING", "paidAt": null, "order": { "id": d.order } } })),
        )
        .await;
    }
    for status in ["COMPLETED", "FAILED", "REFUNDED"] {
        check(
            &app,
            status,
            create,
            json!({ "o": d.order, "s": status }),
            Some(&d.user),
            &Code("FORBIDDEN"),
        )
        .await;
    }
    for (why, input) in [
        ("status", json!({ "status": "COMPLETED" })),
        ("status failed", json!({ "status": "FAILED" })),
        ("amount", json!({ "amount": "1.00" })),
        ("method", json!({ "paymentMethod": "Voucher" })),
        ("paidAt", json!({ "paidAt": "2025-01-01T00:00:00Z" })),
    ] {
        check(
            &app,
            why,
            "mutation($id: Int!, $i: UpdatePaymentInput!) { updatePayment(id: $id, input: $i) { id } }",
            json!({ "id": d.payment, "i": input }),
            Some(&d.user),
            &Code("FORBIDDEN"),
        )
        .await;
    }
    check(
        &app,
        "delete",
        "mutation($id: Int!) { deletePayment(id: $id) }",
        json!({ "id": d.payment }),
        Some(&d.user),
        &Code("FORBIDDEN"),
    )
    .await;
    let r = app
        .gql(
            "{ payments { totalCount nodes { status amount paymentMethod paidAt } } }",
            json!({}),
            Some(&d.user),
        )
        .await;
    let all = &data(&r)["payments"];
    assert_eq!(
        all["totalCount"], 3,
        "the demo payment and the two pending ones"
    );
    assert_eq!(
        all["nodes"][2],
        json!({ "status": "PENDING", "amount": "999.99", "paymentMethod": "Credit Card", "paidAt": null }),
        "the demo payment is unchanged"
    );
}

#[tokio::test]
async fn catalog_and_stock_writes_are_staff_only() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    for (name, query, vars) in catalog_writes(&d) {
        check(&app, name, query, vars, Some(&d.user), &Code("FORBIDDEN")).await;
    }
    assert_demo_untouched(&app, &d).await;
    // and staff may do every one of them
    let loc = app
        .gql(
            "mutation { w: createWarehouse(name: \"Other WH\") { id } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    let wh = data(&loc)["w"]["id"].as_i64().unwrap();
    for (name, query, vars) in catalog_writes(&d) {
        let (query, vars) = if name == "createLocation" {
            (
                "mutation($w: Int!) { createLocation(warehouseId: $w, code: \"Z9\") { id } }",
                json!({ "w": wh }),
            )
        } else if name == "createStock" {
            // the demo location already holds a Laptop row: stock the new product instead
            continue;
        } else {
            (query, vars)
        };
        let r = app.gql(query, vars, Some(&d.admin)).await;
        data(&r);
    }
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 50);
}

#[tokio::test]
async fn legacy_authz_lets_any_authenticated_user_do_everything() {
    let app = spawn_app_with(|s| s.authz = AuthzMode::Legacy).await;
    let d = demo(&app).await;
    let (other_id, other) = customer(&app, "other").await;
    // reads: everything
    let r = app
        .gql(
            "query($o: Int!, $p: Int!) { order(id: $o) { id } payment(id: $p) { id } orders { totalCount } payments { totalCount } }",
            json!({ "o": d.order, "p": d.payment }),
            Some(&other),
        )
        .await;
    assert_eq!(
        data(&r),
        &json!({ "order": { "id": d.order }, "payment": { "id": d.payment }, "orders": { "totalCount": 1 }, "payments": { "totalCount": 1 } })
    );
    // writes a customer may not make under roles
    let r = app
        .gql(
            "mutation($i: CreateOrderInput!) { createOrder(input: $i) { status customer { id } } }",
            json!({ "i": { "customerId": d.user_id, "status": "CONFIRMED", "items": [{ "productId": d.laptop, "quantity": 1 }] } }),
            Some(&other),
        )
        .await;
    assert_eq!(
        data(&r)["createOrder"],
        json!({ "status": "CONFIRMED", "customer": { "id": d.user_id } })
    );
    let r = app
        .gql(
            "mutation($id: Int!, $c: Int!) { updateOrder(id: $id, input: { status: CONFIRMED, customerId: $c }) { status customer { id } } }",
            json!({ "id": d.order, "c": other_id }),
            Some(&other),
        )
        .await;
    assert_eq!(
        data(&r)["updateOrder"],
        json!({ "status": "CONFIRMED", "customer": { "id": other_id } })
    );
    let r = app
        .gql(
            "mutation($o: Int!) { createPayment(input: { orderId: $o, amount: \"1.00\", paymentMethod: \"Cash\", status: COMPLETED }) { status } }",
            json!({ "o": d.order }),
            Some(&d.user),
        )
        .await;
    assert_eq!(data(&r)["createPayment"]["status"], "COMPLETED");
    let r = app
        .gql(
            "mutation($id: Int!) { updatePayment(id: $id, input: { status: FAILED }) { status } }",
            json!({ "id": d.payment }),
            Some(&d.user),
        )
        .await;
    assert_eq!(data(&r)["updatePayment"]["status"], "FAILED");
    for (name, query, vars) in catalog_writes(&d) {
        if matches!(name, "createLocation" | "createStock") {
            continue; // need ids of their own; covered by createWarehouse/adjustStock's success
        }
        let r = app.gql(query, vars, Some(&d.user)).await;
        assert!(r.get("errors").is_none(), "{name} under legacy authz: {r}");
    }
    let r = app
        .gql(
            "mutation($id: Int!) { deletePayment(id: $id) }",
            json!({ "id": d.payment }),
            Some(&other),
        )
        .await;
    assert_eq!(data(&r)["deletePayment"], true);
    let r = app
        .gql(
            "mutation($id: Int!) { deleteOrder(id: $id) }",
            json!({ "id": d.order }),
            Some(&other),
        )
        .await;
    assert_eq!(data(&r)["deleteOrder"], true);
    // still no anonymous access
    for (name, query, vars) in writes(&d) {
        check(&app, name, query, vars, None, &Code("UNAUTHENTICATED")).await;
    }
    check(
        &app,
        "no token",
        "{ orders { totalCount } }",
        json!({}),
        None,
        &Code("UNAUTHENTICATED"),
    )
    .await;
}

/// Deactivates the user `idle` and deletes the user `ghost`, as the Django admin would after
/// their tokens were issued.
async fn idle_and_gone(app: &TestApp, idle: i64, ghost: i64) {
    app.set_active(idle, false).await;
    user::Entity::delete_by_id(ghost)
        .exec(app.db())
        .await
        .expect("delete the user");
}

/// An order's write looks its caller up in the references' statement: a user deactivated or
/// deleted after the token was issued is refused there, as SimpleJWT words it, on both faces,
/// also when no product of the order exists (no product row carries the lookup then) or the
/// order names none; nothing is written.
#[tokio::test]
async fn an_order_of_an_inactive_or_deleted_user_is_refused_whatever_it_names() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (idle_id, idle) = customer(&app, "idle").await;
    let (ghost_id, ghost) = customer(&app, "ghost").await;
    idle_and_gone(&app, idle_id, ghost_id).await;
    let create = "mutation($i: CreateOrderInput!, $k: String) { createOrder(input: $i, idempotencyKey: $k) { id } }";
    let inactive = json!({ "detail": "User is inactive", "code": "user_inactive" });
    let missing = json!({ "detail": "User not found", "code": "user_not_found" });
    for (token, detail) in [(&idle, &inactive), (&ghost, &missing)] {
        for product in [Some(d.laptop), Some(d.laptop + 1000), None] {
            let (gql_items, rest_items) = match product {
                Some(p) => (
                    json!([{ "productId": p, "quantity": 1, "stockId": d.stock }]),
                    json!([{ "product_id": p, "quantity": 1, "price": "999.99", "stock_id": d.stock }]),
                ),
                None => (json!([]), json!([])),
            };
            // without a key the lookup rides on the references; with one it comes first
            for key in [None, Some("k")] {
                let vars = json!({ "i": { "items": gql_items }, "k": key });
                let r = app.gql(create, vars, Some(token)).await;
                assert_eq!(
                    error_code(&r),
                    "UNAUTHENTICATED",
                    "{product:?} {key:?}: {r}"
                );
            }
            let r = app
                .post_json(
                    "/api/erp/oms/orders/",
                    &json!({ "items": rest_items }),
                    Some(token),
                )
                .await;
            assert_eq!(
                r.status,
                reqwest::StatusCode::UNAUTHORIZED,
                "{product:?}: {:?}",
                r.body
            );
            assert_eq!(&r.body, detail, "{product:?}");
        }
    }
    assert_demo_untouched(&app, &d).await;
}

#[tokio::test]
async fn tokens_of_inactive_or_deleted_users_are_refused() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (idle_id, idle) = customer(&app, "idle").await;
    let (ghost_id, ghost) = customer(&app, "ghost").await;
    // both work while the users are there and active
    for token in [&idle, &ghost] {
        check(
            &app,
            "live user",
            "{ orders { totalCount } }",
            json!({}),
            Some(token),
            &Data(json!({ "orders": { "totalCount": 0 } })),
        )
        .await;
    }
    idle_and_gone(&app, idle_id, ghost_id).await;
    for (who, token) in [("inactive", &idle), ("deleted", &ghost)] {
        for query in [
            "{ orders { totalCount } }",
            "{ me { id } }",
            "{ products { nodes { id } } }",
        ] {
            check(
                &app,
                who,
                query,
                json!({}),
                Some(token),
                &Code("UNAUTHENTICATED"),
            )
            .await;
        }
        for (name, query, vars) in writes(&d) {
            check(
                &app,
                &format!("{who}: {name}"),
                query,
                vars,
                Some(token),
                &Code("UNAUTHENTICATED"),
            )
            .await;
        }
    }
    assert_demo_untouched(&app, &d).await;
}
