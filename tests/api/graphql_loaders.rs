//! DataLoaders (CONTRACT §4): the SQL statements of a nested query do not grow with the rows it
//! returns. Each count below is derived from how `Loaders::prefetch_orders` plans a page: one
//! statement to resolve the token's user, one for the page (or the single row), then one for
//! all the relations of the orders under it (`orders::relations`), for the whole page at once.
//! A lone `orders` or `order` reads the page (or the order) with its relations and the token's
//! user in one statement (`auth::riding`), once the user's scope is remembered.

use serde_json::{Value, json};

use crate::fixtures::{Demo, data, demo};
use crate::helpers::TestApp;
use crate::helpers::spawn_app;

/// Statements one token check costs (`load_principal`).
const AUTH: u64 = 1;
/// Statements a lone read of orders costs once its caller's scope is remembered: the page (or
/// the order) with its relations and the token's user.
const LONE_READ: u64 = 1;
/// Statements the page itself costs (no cursor given, so no look behind it).
const PAGE: u64 = 1;

const NESTED_ORDER: &str = "id customer { id username } items { id quantity product { id name } stock { id quantity location { id code warehouse { id name } } } } payments { id amount }";

/// Runs `query` and returns (answer, SQL statements it sent).
async fn counted(app: &TestApp, query: &str, vars: Value, token: &str) -> (Value, u64) {
    let before = app.sql_count();
    let r = app.gql(query, vars, Some(token)).await;
    let after = app.sql_count();
    data(&r);
    (r, after - before)
}

/// A new warehouse with one location of that code: the location's id.
async fn warehouse_with_location(app: &TestApp, d: &Demo, name: &str, code: &str) -> i64 {
    let w = app.warehouse(d, name).await;
    let r = app
        .gql(
            "mutation($w: Int!, $c: String!) { createLocation(warehouseId: $w, code: $c) { id } }",
            json!({ "w": w, "c": code }),
            Some(&d.admin),
        )
        .await;
    data(&r)["createLocation"]["id"].as_i64().unwrap()
}

/// 60 orders of three customers, each with a Laptop from Main WH - A1 and a Mouse from
/// Side WH - S1, and one payment each: (first order id, newest order id).
async fn sixty_orders(app: &TestApp, d: &Demo) -> (i64, i64) {
    let r = app
        .gql(
            "mutation($s: Int!) { adjustStock(id: $s, delta: 100) { quantity } }",
            json!({ "s": d.stock }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(data(&r)["adjustStock"]["quantity"], 149);
    let s1 = warehouse_with_location(app, d, "Side WH", "S1").await;
    let mouse = app.product(d, "Mouse", "20.00").await;
    let r = app
        .gql(
            "mutation($p: Int!, $l: Int!) { createStock(productId: $p, locationId: $l, quantity: 500) { id } }",
            json!({ "p": mouse, "l": s1 }),
            Some(&d.admin),
        )
        .await;
    let mouse_stock = data(&r)["createStock"]["id"].as_i64().unwrap();
    let customers = [
        d.user_id,
        app.create_user("carol", "carol-password", false).await,
        app.create_user("dave", "dave-password", false).await,
    ];
    let mut ids = Vec::new();
    for i in 0..60 {
        let r = app
            .create_order(
                &d.admin,
                Some(customers[i % 3]),
                &[(d.laptop, 1, Some(d.stock)), (mouse, 2, Some(mouse_stock))],
            )
            .await;
        let id = data(&r)["createOrder"]["id"].as_i64().unwrap();
        let p = app
            .gql(
                "mutation($o: Int!) { createPayment(input: { orderId: $o, amount: \"1.00\", paymentMethod: \"Cash\" }) { id } }",
                json!({ "o": id }),
                Some(&d.admin),
            )
            .await;
        data(&p);
        ids.push(id);
    }
    (ids[0], ids[59])
}

#[tokio::test]
async fn nested_orders_cost_the_same_for_one_order_and_for_fifty() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (_, newest) = sixty_orders(&app, &d).await;
    // the page with its customers, payments, and the items with their products, stock rows,
    // locations and warehouses: one statement (a UNION ALL) for the page and 6 relations
    let expected = LONE_READ;
    let query = format!("query($n: Int!) {{ orders(first: $n) {{ nodes {{ {NESTED_ORDER} }} }} }}");
    app.remember_caller(&d.admin).await;
    app.remember_caller(&d.user).await;

    let (r, fifty) = counted(&app, &query, json!({ "n": 50 }), &d.admin).await;
    let nodes = r["data"]["orders"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 50);
    assert_eq!(nodes[0]["id"], newest);
    for o in nodes {
        let items = o["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{o}");
        assert_eq!(items[0]["product"]["name"], "Laptop");
        assert_eq!(
            items[0]["stock"]["location"]["warehouse"]["name"],
            "Main WH"
        );
        assert_eq!(items[1]["product"]["name"], "Mouse");
        assert_eq!(items[1]["stock"]["location"]["code"], "S1");
        assert_eq!(
            items[1]["stock"]["location"]["warehouse"]["name"],
            "Side WH"
        );
        assert_eq!(o["payments"].as_array().unwrap().len(), 1);
        assert!(o["customer"]["username"].is_string());
    }
    let (_, one) = counted(&app, &query, json!({ "n": 1 }), &d.admin).await;
    assert_eq!(fifty, one, "statements for 50 orders and for 1");
    assert_eq!(
        fifty, expected,
        "one for the page with its relations and the caller"
    );

    // through edges, and as a customer (whose scope is part of the page's statement)
    let query = format!(
        "query($n: Int!) {{ orders(first: $n) {{ edges {{ cursor node {{ {NESTED_ORDER} }} }} }} }}"
    );
    let (r, n) = counted(&app, &query, json!({ "n": 50 }), &d.user).await;
    assert_eq!(
        r["data"]["orders"]["edges"].as_array().unwrap().len(),
        21,
        "the user's 20 + the demo order"
    );
    assert_eq!(n, expected);

    // one order by id: the order read by the relations' statement itself
    let query = format!("query($id: Int!) {{ order(id: $id) {{ {NESTED_ORDER} }} }}");
    let (r, n) = counted(&app, &query, json!({ "id": newest }), &d.admin).await;
    assert_eq!(r["data"]["order"]["items"].as_array().unwrap().len(), 2);
    assert_eq!(n, LONE_READ, "order(id)");
}

/// A page's relations come in one form (the rows the items refer to once each, shared by the
/// page) and one order's in another (joined onto its items): both must answer alike, on both
/// faces, every field of every relation included.
#[tokio::test]
async fn a_page_of_orders_and_each_order_alone_answer_alike() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    // rows no order uses, so that the Mouse's product and stock ids differ, and so do Side
    // WH's and its location's: a branch or join reading the wrong table's id answers wrongly
    for name in ["X1", "X2", "X3"] {
        app.warehouse(&d, name).await;
    }
    for name in ["Spare 1", "Spare 2"] {
        app.product(&d, name, "1.00").await;
    }
    sixty_orders(&app, &d).await;
    // and lines without a stock row, of a product of its own
    let (pen, _) = app.product_with_stock(&d, "Pen", "1.50", 10).await;
    let r = app
        .create_order(
            &d.admin,
            Some(d.user_id),
            &[(pen, 3, None), (d.laptop, 1, None)],
        )
        .await;
    data(&r);
    let fields = "id status totalAmount createdAt updatedAt amountPaid balanceDue customer { id username email isStaff } items { id quantity price subtotal product { id name sku price description category { id name } } stock { id quantity label product { id name } location { id code description warehouse { id name address } } } } payments { id amount paymentMethod status paidAt createdAt }";
    let page = app
        .gql(
            &format!("{{ orders(first: 20) {{ nodes {{ {fields} }} }} }}"),
            json!({}),
            Some(&d.admin),
        )
        .await;
    let nodes = data(&page)["orders"]["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 20);
    assert!(nodes[0]["items"][0]["stock"].is_null(), "the pen's, newest");
    let mouse = &nodes[1]["items"][1];
    assert_eq!(mouse["product"]["name"], "Mouse");
    assert_ne!(mouse["product"]["id"], mouse["stock"]["id"]);
    let side = &mouse["stock"]["location"];
    assert_eq!(side["warehouse"]["name"], "Side WH");
    assert_ne!(side["id"], side["warehouse"]["id"]);
    for node in &nodes {
        let alone = app
            .gql(
                &format!("query($id: Int!) {{ order(id: $id) {{ {fields} }} }}"),
                json!({ "id": node["id"] }),
                Some(&d.admin),
            )
            .await;
        assert_eq!(&data(&alone)["order"], node);
    }
    let list = app.get("/api/erp/oms/orders/", Some(&d.admin)).await;
    let listed = list.body.as_array().expect("the bare list").clone();
    assert_eq!(listed.len(), 62, "the demo order, sixty, and the pen's");
    for shown in &listed {
        let detail = app
            .get(
                &format!("/api/erp/oms/orders/{}/", shown["id"]),
                Some(&d.admin),
            )
            .await;
        assert_eq!(&detail.body, shown);
    }
}

#[tokio::test]
async fn nested_payments_cost_the_same_for_one_payment_and_for_fifty() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    sixty_orders(&app, &d).await;
    // their orders, then the orders' customers and the items joined with their products in
    // one statement: 2
    let expected = AUTH + PAGE + 2;
    let query = "query($n: Int!) { payments(first: $n) { nodes { id amount order { id customer { username } items { quantity product { name } } } } } }";
    let (r, fifty) = counted(&app, query, json!({ "n": 50 }), &d.admin).await;
    let nodes = r["data"]["payments"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 50);
    for p in nodes {
        let items = p["order"]["items"].as_array().unwrap();
        assert_eq!(items[0]["product"]["name"], "Laptop", "{p}");
        assert_eq!(items[1]["product"]["name"], "Mouse", "{p}");
        assert!(p["order"]["customer"]["username"].is_string());
    }
    let (_, one) = counted(&app, query, json!({ "n": 1 }), &d.admin).await;
    assert_eq!(fifty, one, "statements for 50 payments and for 1");
    assert_eq!(fifty, expected, "auth + page + orders + their relations");

    let (r, n) = counted(
        &app,
        "query($id: Int!) { payment(id: $id) { id order { id customer { username } items { quantity product { name } } } } }",
        json!({ "id": d.payment }),
        &d.admin,
    )
    .await;
    assert_eq!(r["data"]["payment"]["order"]["id"], d.order);
    assert_eq!(n, expected, "payment(id)");
}

/// The loaders cache for one request; the mutations of a request run one after the other, and
/// each must see what the earlier ones wrote.
#[tokio::test]
async fn later_mutations_of_a_request_see_the_earlier_writes() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let r = app
        .gql(
            "mutation($o: Int!, $s: Int!) {
               a: createPayment(input: { orderId: $o, amount: \"1.00\", paymentMethod: \"Cash\" }) { order { status amountPaid } }
               b: updateOrder(id: $o, input: { status: CONFIRMED }) { status payments { order { status } } }
               c: adjustStock(id: $s, delta: 5) { quantity }
               d: updateOrder(id: $o, input: { status: CANCELLED }) { items { stock { quantity } } payments { status order { status } } }
             }",
            json!({ "o": d.order, "s": d.stock }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(
        data(&r),
        &json!({
            "a": { "order": { "status": "PENDING", "amountPaid": "0.00" } },
            "b": { "status": "CONFIRMED", "payments": [{ "order": { "status": "CONFIRMED" } }, { "order": { "status": "CONFIRMED" } }] },
            "c": { "quantity": 54 },
            "d": {
                "items": [{ "stock": { "quantity": 55 } }],
                "payments": [{ "status": "PENDING", "order": { "status": "CANCELLED" } }, { "status": "PENDING", "order": { "status": "CANCELLED" } }],
            },
        })
    );
}
