//! The catalog and stock through GraphQL: creating categories, products, warehouses, locations
//! and stock rows; unique violations and unknown references as field errors; `adjustStock`
//! never below zero, also concurrently; `stocks` filters; the stock label.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::fixtures::{Demo, data, demo, error_code};
use crate::helpers::{TestApp, spawn_app};

/// Asserts a `BAD_USER_INPUT` whose `extensions.fields` has exactly these keys; returns them.
#[track_caller]
fn assert_fields(r: &Value, keys: &[&str]) -> Value {
    assert_eq!(error_code(r), "BAD_USER_INPUT", "{r}");
    let fields = r["errors"][0]["extensions"]["fields"].clone();
    let mut got: Vec<&str> = fields
        .as_object()
        .unwrap_or_else(|| panic!("no fields: {r}"))
        .keys()
        .map(String::as_str)
        .collect();
    got.sort_unstable();
    let mut want = keys.to_vec();
    want.sort_unstable();
    assert_eq!(got, want, "{r}");
    fields
}

/// Row counts of the catalog tables, as staff sees them.
async fn catalog_counts(app: &TestApp, d: &Demo) -> Value {
    let r = app
        .gql(
            "{ products { nodes { id } } warehouses { nodes { id } } stocks { nodes { id quantity } } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    data(&r).clone()
}

#[tokio::test]
async fn the_catalog_is_built_through_graphql() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let r = app
        .gql(
            "mutation { createCategory(name: \"Home Office\") { id name slug } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    let category = &data(&r)["createCategory"];
    assert_eq!(category["name"], "Home Office");
    assert_eq!(category["slug"], "home-office");
    let category_id = category["id"].as_i64().unwrap();

    let r = app
        .gql(
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id name sku price description category { id name } } }",
            json!({ "i": { "name": "Desk", "sku": "DESK-1", "price": 199.5, "categoryId": category_id, "description": "Oak" } }),
            Some(&d.admin),
        )
        .await;
    let product = data(&r)["createProduct"].clone();
    let product_id = product["id"].as_i64().unwrap();
    assert_eq!(
        product,
        json!({ "id": product_id, "name": "Desk", "sku": "DESK-1", "price": "199.50", "description": "Oak", "category": { "id": category_id, "name": "Home Office" } })
    );

    let r = app
        .gql("mutation { createWarehouse(name: \"North WH\", address: \"9 Lane\") { id name address } }", json!({}), Some(&d.admin))
        .await;
    let warehouse = data(&r)["createWarehouse"].clone();
    let warehouse_id = warehouse["id"].as_i64().unwrap();
    assert_eq!(
        warehouse,
        json!({ "id": warehouse_id, "name": "North WH", "address": "9 Lane" })
    );

    let r = app
        .gql(
            "mutation($w: Int!) { createLocation(warehouseId: $w, code: \"N-01\", description: \"Bay 1\") { id code description warehouse { id name } } }",
            json!({ "w": warehouse_id }),
            Some(&d.admin),
        )
        .await;
    let location = data(&r)["createLocation"].clone();
    let location_id = location["id"].as_i64().unwrap();
    assert_eq!(
        location,
        json!({ "id": location_id, "code": "N-01", "description": "Bay 1", "warehouse": { "id": warehouse_id, "name": "North WH" } })
    );

    let r = app
        .gql(
            "mutation($p: Int!, $l: Int!) { createStock(productId: $p, locationId: $l, quantity: 7) { id quantity label product { name } location { code warehouse { name } } } }",
            json!({ "p": product_id, "l": location_id }),
            Some(&d.admin),
        )
        .await;
    let stock = data(&r)["createStock"].clone();
    assert_eq!(
        stock,
        json!({ "id": stock["id"], "quantity": 7, "label": "North WH - N-01", "product": { "name": "Desk" }, "location": { "code": "N-01", "warehouse": { "name": "North WH" } } })
    );

    // the lists, in id order; the demo stock's label is "Main WH - A1"
    let r = app
        .gql(
            "{ products { nodes { name price } } warehouses { nodes { name address } } stocks { nodes { label quantity } } }",
            json!({}),
            Some(&d.user),
        )
        .await;
    assert_eq!(
        data(&r),
        &json!({
            "products": { "nodes": [{ "name": "Laptop", "price": "999.99" }, { "name": "Desk", "price": "199.50" }] },
            "warehouses": { "nodes": [{ "name": "Main WH", "address": "123 Street" }, { "name": "North WH", "address": "9 Lane" }] },
            "stocks": { "nodes": [{ "label": "Main WH - A1", "quantity": 49 }, { "label": "North WH - N-01", "quantity": 7 }] },
        })
    );
    // the label of an order item's stock too
    let r = app
        .gql(
            "query($id: Int!) { order(id: $id) { items { stock { label } } } }",
            json!({ "id": d.order }),
            Some(&d.user),
        )
        .await;
    assert_eq!(
        data(&r)["order"]["items"][0]["stock"]["label"],
        "Main WH - A1"
    );
}

#[tokio::test]
async fn unique_violations_are_field_errors() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let before = catalog_counts(&app, &d).await;
    let product = "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }";
    let new_product = |name: &str, sku: &str| json!({ "i": { "name": name, "sku": sku, "price": "1.00", "categoryId": d.category } });

    let r = app
        .gql(
            "mutation { createCategory(name: \"Electronics\") { id } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    assert_fields(&r, &["name"]);
    let r = app
        .gql(product, new_product("Laptop", "NEW-SKU"), Some(&d.admin))
        .await;
    let fields = assert_fields(&r, &["name"]);
    assert!(
        fields["name"][0]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{r}"
    );
    let r = app
        .gql(product, new_product("Tablet", "SKU123"), Some(&d.admin))
        .await;
    let fields = assert_fields(&r, &["sku"]);
    assert!(
        fields["sku"][0]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{r}"
    );
    let r = app
        .gql(product, new_product("Laptop", "SKU123"), Some(&d.admin))
        .await;
    assert_fields(&r, &["name", "sku"]);
    let r = app
        .gql(
            "mutation { createWarehouse(name: \"Main WH\") { id } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    let fields = assert_fields(&r, &["name"]);
    assert!(
        fields["name"][0]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{r}"
    );
    // a location code is unique (legacy schema: across all warehouses)
    let r = app
        .gql(
            "mutation { createWarehouse(name: \"Annex\") { id } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    let annex = data(&r)["createWarehouse"]["id"].as_i64().unwrap();
    let location =
        "mutation($w: Int!, $c: String!) { createLocation(warehouseId: $w, code: $c) { id } }";
    let main_wh = {
        let r = app
            .gql(
                "{ warehouses { nodes { id name } } }",
                json!({}),
                Some(&d.admin),
            )
            .await;
        data(&r)["warehouses"]["nodes"][0]["id"].as_i64().unwrap()
    };
    for w in [main_wh, annex] {
        let r = app
            .gql(location, json!({ "w": w, "c": "A1" }), Some(&d.admin))
            .await;
        assert_fields(&r, &["code"]);
    }
    // one stock row per product and location
    let r = app
        .gql(
            "mutation($p: Int!, $l: Int!) { createStock(productId: $p, locationId: $l, quantity: 1) { id } }",
            json!({ "p": d.laptop, "l": d.location }),
            Some(&d.admin),
        )
        .await;
    assert_fields(&r, &["locationId"]);

    let after = catalog_counts(&app, &d).await;
    assert_eq!(
        after["products"], before["products"],
        "no product was written"
    );
    assert_eq!(
        after["stocks"], before["stocks"],
        "no stock row was written"
    );
    assert_eq!(
        after["warehouses"]["nodes"].as_array().unwrap().len(),
        2,
        "Main WH and Annex only"
    );
}

#[tokio::test]
async fn unknown_references_and_bad_values_are_field_errors() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let before = catalog_counts(&app, &d).await;
    let r = app
        .gql(
            "mutation { createProduct(input: { name: \"Pen\", sku: \"PEN\", price: \"1.00\", categoryId: 999999 }) { id } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    let fields = assert_fields(&r, &["categoryId"]);
    assert_eq!(
        fields["categoryId"],
        json!(["no object with id 999999 exists"])
    );
    // every bad field of a product at once
    let r = app
        .gql(
            "mutation { createProduct(input: { name: \"\", sku: \" \", price: \"-1.005\", categoryId: 999999 }) { id } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    assert_fields(&r, &["categoryId", "name", "price", "sku"]);
    let r = app
        .gql(
            "mutation { createLocation(warehouseId: 999999, code: \"Q1\") { id } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    let fields = assert_fields(&r, &["warehouseId"]);
    assert_eq!(
        fields["warehouseId"],
        json!(["no object with id 999999 exists"])
    );
    let r = app
        .gql(
            "mutation { createStock(productId: 999999, locationId: 888888, quantity: -1) { id } }",
            json!({}),
            Some(&d.admin),
        )
        .await;
    let fields = assert_fields(&r, &["locationId", "productId", "quantity"]);
    assert_eq!(
        fields["productId"],
        json!(["no object with id 999999 exists"])
    );
    assert_eq!(
        fields["locationId"],
        json!(["no object with id 888888 exists"])
    );
    assert_eq!(fields["quantity"], json!(["must be at least 0"]));
    for query in [
        "mutation { createWarehouse(name: \"  \") { id } }",
        "mutation { createCategory(name: \"\") { id } }",
    ] {
        let r = app.gql(query, json!({}), Some(&d.admin)).await;
        let fields = assert_fields(&r, &["name"]);
        assert_eq!(fields["name"], json!(["must not be blank"]));
    }
    assert_eq!(
        catalog_counts(&app, &d).await,
        before,
        "nothing was written"
    );
}

#[tokio::test]
async fn adjust_stock_never_goes_below_zero() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let adjust =
        "mutation($id: Int!, $d: Int!) { adjustStock(id: $id, delta: $d) { id quantity label } }";
    let r = app
        .gql(adjust, json!({ "id": d.stock, "d": 5 }), Some(&d.admin))
        .await;
    assert_eq!(
        data(&r)["adjustStock"],
        json!({ "id": d.stock, "quantity": 54, "label": "Main WH - A1" })
    );
    let r = app
        .gql(adjust, json!({ "id": d.stock, "d": -54 }), Some(&d.admin))
        .await;
    assert_eq!(data(&r)["adjustStock"]["quantity"], 0);
    let r = app
        .gql(adjust, json!({ "id": d.stock, "d": -1 }), Some(&d.admin))
        .await;
    assert_eq!(error_code(&r), "CONFLICT", "{r}");
    assert!(
        r["errors"][0]["extensions"]["fields"]["delta"].is_array(),
        "{r}"
    );
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 0, "unchanged");
    let r = app
        .gql(adjust, json!({ "id": d.stock, "d": 3 }), Some(&d.admin))
        .await;
    assert_eq!(data(&r)["adjustStock"]["quantity"], 3);
    let r = app
        .gql(adjust, json!({ "id": d.stock, "d": -4 }), Some(&d.admin))
        .await;
    assert_eq!(error_code(&r), "CONFLICT");
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 3, "unchanged");
    // too many to fit the column: refused too, and said so
    let r = app
        .gql(
            adjust,
            json!({ "id": d.stock, "d": i32::MAX }),
            Some(&d.admin),
        )
        .await;
    assert_eq!(error_code(&r), "CONFLICT", "{r}");
    let message = r["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("at most 2147483647"), "{message}");
    assert_eq!(app.stock_quantity(&d.admin, d.stock).await, 3, "unchanged");
    let r = app
        .gql(adjust, json!({ "id": d.stock, "d": -4 }), Some(&d.admin))
        .await;
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("3 units held, cannot take out 4"),
        "{r}"
    );
    // a no-op adjustment and a missing row
    let r = app
        .gql(adjust, json!({ "id": d.stock, "d": 0 }), Some(&d.admin))
        .await;
    assert_eq!(data(&r)["adjustStock"]["quantity"], 3);
    let r = app
        .gql(adjust, json!({ "id": 987_654, "d": 1 }), Some(&d.admin))
        .await;
    assert_eq!(error_code(&r), "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_adjustments_never_go_below_zero() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (_, stock) = app.product_with_stock(&d, "Scarce", "1.00", 10).await;
    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..30 {
        let app = app.clone();
        let token = d.admin.clone();
        tasks.push(tokio::spawn(async move {
            // 26 takers of one unit and 4 of three units: 38 asked for, 10 there
            let delta = if i % 8 == 0 { -3 } else { -1 };
            let r = app
                .gql(
                    "mutation($id: Int!, $d: Int!) { adjustStock(id: $id, delta: $d) { quantity } }",
                    json!({ "id": stock, "d": delta }),
                    Some(&token),
                )
                .await;
            (delta, r)
        }));
    }
    let mut taken = 0;
    for t in tasks {
        let (delta, r) = t.await.expect("task");
        match r.get("errors") {
            None => taken -= delta,
            Some(_) => assert_eq!(error_code(&r), "CONFLICT", "{r}"),
        }
    }
    // a one-unit taker is refused only at zero, and 26 of them cannot all succeed: all 10 go
    assert_eq!(app.stock_quantity(&d.admin, stock).await, 0);
    assert_eq!(taken, 10, "exactly the units that were there were taken");
}

#[tokio::test]
async fn stocks_filter_by_product_and_location() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    // a second product at A1, and a second location holding both products
    let (desk, desk_a1) = app.product_with_stock(&d, "Desk", "10.00", 3).await;
    let r = app
        .gql("{ warehouses { nodes { id } } }", json!({}), Some(&d.admin))
        .await;
    let wh = data(&r)["warehouses"]["nodes"][0]["id"].as_i64().unwrap();
    let r = app
        .gql(
            "mutation($w: Int!) { createLocation(warehouseId: $w, code: \"B2\") { id } }",
            json!({ "w": wh }),
            Some(&d.admin),
        )
        .await;
    let b2 = data(&r)["createLocation"]["id"].as_i64().unwrap();
    let stock = "mutation($p: Int!, $l: Int!) { createStock(productId: $p, locationId: $l, quantity: 1) { id } }";
    let r = app
        .gql(stock, json!({ "p": desk, "l": b2 }), Some(&d.admin))
        .await;
    let desk_b2 = data(&r)["createStock"]["id"].as_i64().unwrap();
    let r = app
        .gql(stock, json!({ "p": d.laptop, "l": b2 }), Some(&d.admin))
        .await;
    let laptop_b2 = data(&r)["createStock"]["id"].as_i64().unwrap();

    let cases: Vec<(Value, Vec<i64>)> = vec![
        (json!({}), vec![d.stock, desk_a1, desk_b2, laptop_b2]),
        (json!({ "p": d.laptop }), vec![d.stock, laptop_b2]),
        (json!({ "p": desk }), vec![desk_a1, desk_b2]),
        (json!({ "l": d.location }), vec![d.stock, desk_a1]),
        (json!({ "l": b2 }), vec![desk_b2, laptop_b2]),
        (json!({ "p": desk, "l": b2 }), vec![desk_b2]),
        (json!({ "p": d.laptop, "l": d.location }), vec![d.stock]),
        (json!({ "p": 999_999 }), vec![]),
        (json!({ "l": 999_999 }), vec![]),
    ];
    for (vars, want) in cases {
        let r = app
            .gql(
                "query($p: Int, $l: Int) { stocks(productId: $p, locationId: $l) { totalCount nodes { id } } }",
                vars.clone(),
                Some(&d.user),
            )
            .await;
        assert_eq!(data(&r)["stocks"]["totalCount"], want.len(), "{vars}");
        let got: Vec<i64> = data(&r)["stocks"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect();
        assert_eq!(got, want, "{vars}");
    }
    let r = app
        .gql(
            "query($l: Int) { stocks(locationId: $l) { nodes { label } } }",
            json!({ "l": b2 }),
            Some(&d.user),
        )
        .await;
    assert_eq!(
        data(&r)["stocks"]["nodes"],
        json!([{ "label": "Main WH - B2" }, { "label": "Main WH - B2" }])
    );
}
