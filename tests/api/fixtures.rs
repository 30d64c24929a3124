//! Data for the domain tests: the demo data of CONTRACT §2 plus tokens, and small builders for
//! more catalog rows through the GraphQL API itself.

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// The demo data loaded into an app, with ids and ready tokens.
pub struct Demo {
    pub admin: String,
    pub user: String,
    pub user_id: i64,
    pub admin_id: i64,
    pub laptop: i64,
    pub stock: i64,
    pub location: i64,
    pub category: i64,
    pub order: i64,
    pub payment: i64,
}

/// Loads the demo data (admin/adminpass staff, user/userpass customer, Laptop at 999.99, 50 in
/// stock at Main WH - A1, one pending order of `user` with a pending payment) and logs in both.
pub async fn demo(app: &TestApp) -> Demo {
    oms_gateway::seed::load(&app.state)
        .await
        .expect("demo data loads");
    let (admin, _) = app.login("admin", "adminpass").await;
    let (user, _) = app.login("user", "userpass").await;
    let d = app
        .gql(
            "{ me { id } orders { nodes { id customer { id } items { product { id category { id } } stock { id location { id } } } payments { id } } } }",
            json!({}),
            Some(&admin),
        )
        .await;
    let order = &d["data"]["orders"]["nodes"][0];
    let me = app.gql("{ me { id } }", json!({}), Some(&admin)).await;
    Demo {
        admin_id: me["data"]["me"]["id"].as_i64().expect("admin id"),
        user_id: order["customer"]["id"].as_i64().expect("customer id"),
        laptop: order["items"][0]["product"]["id"]
            .as_i64()
            .expect("laptop id"),
        category: order["items"][0]["product"]["category"]["id"]
            .as_i64()
            .expect("category id"),
        stock: order["items"][0]["stock"]["id"].as_i64().expect("stock id"),
        location: order["items"][0]["stock"]["location"]["id"]
            .as_i64()
            .expect("location id"),
        order: order["id"].as_i64().expect("order id"),
        payment: order["payments"][0]["id"].as_i64().expect("payment id"),
        admin,
        user,
    }
}

/// The `data` of a GraphQL answer; panics with the errors if there are any.
#[track_caller]
pub fn data(body: &Value) -> &Value {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    &body["data"]
}

/// The `extensions.code` of the first error; panics if there is none.
#[track_caller]
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code: {body}"))
}

impl TestApp {
    /// A warehouse created by staff through GraphQL: its id.
    pub async fn warehouse(&self, demo: &Demo, name: &str) -> i64 {
        let r = self
            .gql(
                "mutation($n: String!) { createWarehouse(name: $n) { id } }",
                json!({ "n": name }),
                Some(&demo.admin),
            )
            .await;
        data(&r)["createWarehouse"]["id"]
            .as_i64()
            .expect("warehouse id")
    }

    /// A product of the demo category created by staff through GraphQL (SKU `SKU-<name>`):
    /// its id.
    pub async fn product(&self, demo: &Demo, name: &str, price: &str) -> i64 {
        let p = self
            .gql(
                "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
                json!({ "i": { "name": name, "sku": format!("SKU-{name}"), "price": price, "categoryId": demo.category } }),
                Some(&demo.admin),
            )
            .await;
        data(&p)["createProduct"]["id"]
            .as_i64()
            .expect("product id")
    }

    /// A product with its own stock row, created by staff through GraphQL; returns
    /// (product id, stock id).
    pub async fn product_with_stock(
        &self,
        demo: &Demo,
        name: &str,
        price: &str,
        quantity: i64,
    ) -> (i64, i64) {
        let product = self.product(demo, name, price).await;
        let s = self
            .gql(
                "mutation($p: Int!, $l: Int!, $q: Int!) { createStock(productId: $p, locationId: $l, quantity: $q) { id } }",
                json!({ "p": product, "l": demo.location, "q": quantity }),
                Some(&demo.admin),
            )
            .await;
        (
            product,
            data(&s)["createStock"]["id"].as_i64().expect("stock id"),
        )
    }

    /// `createOrder` with the given items (`[(product, quantity, stock)]`) as `token`.
    pub async fn create_order(
        &self,
        token: &str,
        customer: Option<i64>,
        items: &[(i64, i64, Option<i64>)],
    ) -> Value {
        let items: Vec<Value> = items
            .iter()
            .map(|(p, q, s)| json!({ "productId": p, "quantity": q, "stockId": s }))
            .collect();
        self.gql(
            "mutation($i: CreateOrderInput!) { createOrder(input: $i) { id status totalAmount customer { id } items { quantity price stock { quantity } } } }",
            json!({ "i": { "customerId": customer, "items": items } }),
            Some(token),
        )
        .await
    }

    /// The quantity a stock row holds now.
    pub async fn stock_quantity(&self, token: &str, stock: i64) -> i64 {
        let r = self
            .gql(
                "query($id: Int!) { stocks(filter: { id: { eq: $id } }) { nodes { quantity } } }",
                json!({ "id": stock }),
                Some(token),
            )
            .await;
        data(&r)["stocks"]["nodes"][0]["quantity"]
            .as_i64()
            .expect("the stock row")
    }
}
