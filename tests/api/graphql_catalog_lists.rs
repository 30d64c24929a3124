//! The catalog lists as Relay connections (issue 13): `products`, `warehouses` and `stocks`
//! page by keyset in id order (first 20 by default, at most 100), walk forwards and backwards,
//! count what matches, search names and SKUs (`eq`, `contains`, `startsWith`, case-sensitive,
//! `%` and `_` taken literally) with `and`/`or`/`not`, filter stock by quantity and by its
//! product, and cost the same statements for a page of one row as for a page of fifty.

use oms_gateway::auth::{Access, Principal};
use oms_gateway::catalog::service::{self as catalog, NewProduct};
use serde_json::{Value, json};

use crate::fixtures::{Demo, data, demo, error_code};
use crate::helpers::{TestApp, spawn_app};

fn staff(d: &Demo) -> Access {
    Access::system(Principal {
        id: d.admin_id,
        username: "admin".into(),
        email: "admin@example.com".into(),
        is_staff: true,
    })
}

/// Products made through the domain (faster than HTTP for many), each with a stock row of
/// `quantity` units at the demo location when given; their ids in creation order.
async fn products(
    app: &TestApp,
    d: &Demo,
    made: &[(&str, &str)],
    quantity: Option<i64>,
) -> Vec<i64> {
    let mut ids = Vec::new();
    for (name, sku) in made {
        let p = catalog::create_product(
            &app.state,
            &staff(d),
            NewProduct {
                name: (*name).to_owned(),
                sku: (*sku).to_owned(),
                price: "1.00".parse().unwrap(),
                category_id: d.category,
                description: None,
            },
        )
        .await
        .expect("a product");
        if let Some(q) = quantity {
            catalog::create_stock(&app.state, &staff(d), p.id, d.location, q)
                .await
                .expect("a stock row");
        }
        ids.push(p.id);
    }
    ids
}

fn ids(list: &Value) -> Vec<i64> {
    list["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no nodes: {list}"))
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect()
}

const PRODUCTS: &str =
    "query($first: Int, $after: String, $last: Int, $before: String, $filter: ProductFilter) {
  list: products(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    totalCount nodes { id } edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

async fn product_page(app: &TestApp, d: &Demo, vars: Value) -> Value {
    let r = app.gql(PRODUCTS, vars, Some(&d.user)).await;
    let list = data(&r)["list"].clone();
    let edge_ids: Vec<i64> = list["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(edge_ids, ids(&list), "edges and nodes agree");
    list
}

#[tokio::test]
async fn catalog_lists_page_by_id_with_a_default_and_a_cap() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let names: Vec<(String, String)> = (1..=104)
        .map(|i| (format!("Item {i:03}"), format!("IT-{i:03}")))
        .collect();
    let made: Vec<(&str, &str)> = names
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_str()))
        .collect();
    let mut all = vec![d.laptop];
    all.extend(products(&app, &d, &made, None).await);

    // 20 by default, in id order, with the count of all pages
    let first = product_page(&app, &d, json!({})).await;
    assert_eq!(ids(&first), all[..20]);
    assert_eq!(first["totalCount"], 105);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);
    // at most 100
    let capped = product_page(&app, &d, json!({ "first": 1000 })).await;
    assert_eq!(ids(&capped), all[..100]);
    assert_eq!(capped["pageInfo"]["hasNextPage"], true);

    // forwards by 40: every product once, in order
    let (mut seen, mut after) = (Vec::new(), Value::Null);
    for page in 0.. {
        assert!(page < 5, "the walk ends");
        let p = product_page(&app, &d, json!({ "first": 40, "after": after })).await;
        assert_eq!(p["pageInfo"]["hasPreviousPage"], page > 0);
        seen.extend(ids(&p));
        after = p["pageInfo"]["endCursor"].clone();
        if p["pageInfo"]["hasNextPage"] == false {
            break;
        }
    }
    assert_eq!(seen, all);

    // backwards from the end, and on from there
    let tail = product_page(&app, &d, json!({ "last": 5 })).await;
    assert_eq!(ids(&tail), all[100..]);
    assert_eq!(tail["pageInfo"]["hasPreviousPage"], true);
    let before = tail["pageInfo"]["startCursor"].clone();
    let earlier = product_page(&app, &d, json!({ "last": 5, "before": before })).await;
    assert_eq!(ids(&earlier), all[95..100]);
    assert_eq!(earlier["pageInfo"]["hasNextPage"], true);

    // warehouses and stock rows page the same way
    let r = app
        .gql(
            "{ warehouses(first: 1) { totalCount nodes { name } pageInfo { hasNextPage } }
               stocks(last: 1) { totalCount nodes { id } pageInfo { hasPreviousPage } } }",
            json!({}),
            Some(&d.user),
        )
        .await;
    assert_eq!(
        data(&r),
        &json!({
            "warehouses": { "totalCount": 1, "nodes": [{ "name": "Main WH" }], "pageInfo": { "hasNextPage": false } },
            "stocks": { "totalCount": 1, "nodes": [{ "id": d.stock }], "pageInfo": { "hasPreviousPage": false } },
        })
    );

    // refusals name the argument
    for vars in [
        json!({ "first": -1 }),
        json!({ "after": "garbage" }),
        json!({ "before": "bm90IGEgY3Vyc29y" }),
    ] {
        let r = app.gql(PRODUCTS, vars.clone(), Some(&d.user)).await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{vars}: {r}");
    }
}

#[tokio::test]
async fn products_are_searched_by_name_and_sku() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let made = products(
        &app,
        &d,
        &[
            ("Desk Lamp", "LAMP-1"),
            ("Desk", "DESK-1"),
            ("desk organizer", "ORG-1"),
            ("100% Cotton", "COT_1"),
            ("Cot", "COTX1"),
        ],
        None,
    )
    .await;
    let [lamp, desk, organizer, cotton, cot] = made[..] else {
        unreachable!()
    };
    let laptop = d.laptop;
    let cases: Vec<(Value, Vec<i64>)> = vec![
        (json!({}), vec![laptop, lamp, desk, organizer, cotton, cot]),
        // case-sensitive: "desk organizer" is not a "Desk"
        (json!({ "name": { "contains": "Desk" } }), vec![lamp, desk]),
        (json!({ "name": { "contains": "desk" } }), vec![organizer]),
        (
            json!({ "name": { "startsWith": "Desk" } }),
            vec![lamp, desk],
        ),
        (json!({ "name": { "eq": "Desk" } }), vec![desk]),
        (json!({ "name": { "eq": "desk" } }), vec![]),
        (
            json!({ "name": { "ne": "Desk" } }),
            vec![laptop, lamp, organizer, cotton, cot],
        ),
        (
            json!({ "name": { "in": ["Desk", "Laptop", "Nothing"] } }),
            vec![laptop, desk],
        ),
        (json!({ "sku": { "startsWith": "DESK" } }), vec![desk]),
        (json!({ "sku": { "eq": "SKU123" } }), vec![laptop]),
        // LIKE's wildcards are taken literally
        (json!({ "name": { "contains": "%" } }), vec![cotton]),
        (json!({ "sku": { "contains": "T_" } }), vec![cotton]),
        (json!({ "sku": { "startsWith": "COT" } }), vec![cotton, cot]),
        (
            json!({ "name": { "startsWith": "Desk" }, "sku": { "contains": "LAMP" } }),
            vec![lamp],
        ),
        (
            json!({ "or": [{ "name": { "eq": "Laptop" } }, { "sku": { "eq": "ORG-1" } }] }),
            vec![laptop, organizer],
        ),
        (json!({ "or": [] }), vec![]),
        (
            json!({ "not": { "name": { "contains": "Desk" } } }),
            vec![laptop, organizer, cotton, cot],
        ),
        (
            json!({ "and": [{ "name": { "contains": "o" } }, { "not": { "id": { "eq": organizer } } }] }),
            vec![laptop, cotton, cot],
        ),
        (json!({ "id": { "gt": cotton } }), vec![cot]),
    ];
    for (filter, want) in cases {
        let p = product_page(&app, &d, json!({ "filter": filter })).await;
        assert_eq!(ids(&p), want, "{filter}");
        assert_eq!(p["totalCount"], want.len(), "{filter}");
    }
    // a filter and a cursor together: the second page of the desks
    let first = product_page(
        &app,
        &d,
        json!({ "first": 1, "filter": { "name": { "startsWith": "Desk" } } }),
    )
    .await;
    assert_eq!(ids(&first), [lamp]);
    let second = product_page(
        &app,
        &d,
        json!({ "first": 1, "after": first["pageInfo"]["endCursor"], "filter": { "name": { "startsWith": "Desk" } } }),
    )
    .await;
    assert_eq!(ids(&second), [desk]);
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    assert_eq!(second["totalCount"], 2);
}

#[tokio::test]
async fn warehouses_and_stock_rows_are_filtered() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    for name in ["North WH", "Annex"] {
        app.warehouse(&d, name).await;
    }
    let warehouses =
        "query($f: WarehouseFilter) { warehouses(filter: $f) { totalCount nodes { name } } }";
    for (filter, want) in [
        (
            json!({ "name": { "contains": "WH" } }),
            json!(["Main WH", "North WH"]),
        ),
        (
            json!({ "name": { "startsWith": "North" } }),
            json!(["North WH"]),
        ),
        (
            json!({ "not": { "name": { "eq": "Annex" } } }),
            json!(["Main WH", "North WH"]),
        ),
        (json!({ "name": { "contains": "wh" } }), json!([])),
    ] {
        let r = app
            .gql(warehouses, json!({ "f": filter }), Some(&d.user))
            .await;
        let list = &data(&r)["warehouses"];
        let names: Vec<&Value> = list["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| &n["name"])
            .collect();
        assert_eq!(json!(names), want, "{filter}");
        assert_eq!(list["totalCount"], want.as_array().unwrap().len());
    }

    // stock rows: the demo's 49 Laptops, an empty row and a full one
    let made = products(&app, &d, &[("Desk", "DESK-1")], Some(0)).await;
    let more = products(&app, &d, &[("Desk Lamp", "LAMP-1")], Some(3)).await;
    let (empty, lamps) = (
        stock_of(&app, &d, made[0]).await,
        stock_of(&app, &d, more[0]).await,
    );
    let stocks = "query($f: StockFilter, $p: Int) { stocks(filter: $f, productId: $p) { totalCount nodes { id } } }";
    for (filter, product, want) in [
        (
            json!({ "quantity": { "gt": 0 } }),
            None,
            vec![d.stock, lamps],
        ),
        (json!({ "quantity": { "eq": 0 } }), None, vec![empty]),
        (
            json!({ "product": { "sku": { "eq": "LAMP-1" } } }),
            None,
            vec![lamps],
        ),
        (
            json!({ "product": { "name": { "startsWith": "Desk" } } }),
            None,
            vec![empty, lamps],
        ),
        (
            json!({ "product": { "name": { "startsWith": "Desk" } }, "quantity": { "gte": 1 } }),
            None,
            vec![lamps],
        ),
        (
            json!({ "not": { "product": { "name": { "contains": "Desk" } } } }),
            None,
            vec![d.stock],
        ),
        (
            json!({ "or": [{ "quantity": { "gt": 10 } }, { "product": { "sku": { "eq": "DESK-1" } } }] }),
            None,
            vec![d.stock, empty],
        ),
        // the arguments and the filter together
        (json!({ "quantity": { "gt": 0 } }), Some(made[0]), vec![]),
        (
            json!({ "product": { "name": { "contains": "Lamp" } } }),
            Some(more[0]),
            vec![lamps],
        ),
    ] {
        let r = app
            .gql(stocks, json!({ "f": filter, "p": product }), Some(&d.user))
            .await;
        let list = &data(&r)["stocks"];
        assert_eq!(ids(list), want, "{filter} {product:?}");
        assert_eq!(list["totalCount"], want.len(), "{filter} {product:?}");
    }
}

/// The id of the stock row of a product.
async fn stock_of(app: &TestApp, d: &Demo, product: i64) -> i64 {
    let r = app
        .gql(
            "query($p: Int) { stocks(productId: $p) { nodes { id } } }",
            json!({ "p": product }),
            Some(&d.user),
        )
        .await;
    data(&r)["stocks"]["nodes"][0]["id"].as_i64().unwrap()
}

/// Runs `query` as staff and returns (answer, SQL statements it sent).
async fn counted(app: &TestApp, query: &str, vars: Value, token: &str) -> (Value, u64) {
    let before = app.sql_count();
    let r = app.gql(query, vars, Some(token)).await;
    let sent = app.sql_count() - before;
    data(&r);
    (r, sent)
}

/// The token's user, the page: what every list below costs before its relations.
const AUTH_AND_PAGE: u64 = 2;

#[tokio::test]
async fn a_catalog_page_costs_the_same_for_one_row_and_for_fifty() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let names: Vec<(String, String)> = (1..=60)
        .map(|i| (format!("Part {i:02}"), format!("P-{i:02}")))
        .collect();
    let made: Vec<(&str, &str)> = names
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_str()))
        .collect();
    products(&app, &d, &made, Some(5)).await;

    // (query, statements beyond the token and the page)
    let cases = [
        // the categories of the page's products: one statement
        (
            "query($n: Int!) { products(first: $n) { nodes { id name category { slug } } } }",
            1,
        ),
        (
            "query($n: Int!) { products(first: $n) { edges { node { sku category { name } } } } }",
            1,
        ),
        (
            "query($n: Int!) { products(first: $n) { nodes { id name } } }",
            0,
        ),
        // products, their categories, locations and warehouses: one statement each
        (
            "query($n: Int!) { stocks(first: $n) { edges { cursor node { id quantity label
               product { name category { name } } location { code warehouse { name } } } } } }",
            4,
        ),
        // the label needs the location and its warehouse
        (
            "query($n: Int!) { stocks(first: $n) { nodes { label } } }",
            2,
        ),
        (
            "query($n: Int!) { stocks(first: $n) { nodes { product { sku } } } }",
            1,
        ),
        // and `totalCount` one more, only when it is asked for
        (
            "query($n: Int!) { stocks(first: $n) { totalCount nodes { id } } }",
            1,
        ),
        (
            "query($n: Int!) { warehouses(first: $n) { totalCount nodes { name } } }",
            1,
        ),
        (
            "query($n: Int!) { warehouses(first: $n) { nodes { name } } }",
            0,
        ),
    ];
    for (query, relations) in cases {
        let (fifty, many) = counted(&app, query, json!({ "n": 50 }), &d.admin).await;
        let (_, one) = counted(&app, query, json!({ "n": 1 }), &d.admin).await;
        assert_eq!(many, one, "{query}: statements for 50 rows and for 1");
        assert_eq!(many, AUTH_AND_PAGE + relations, "{query}");
        let list = fifty["data"].as_object().unwrap().values().next().unwrap();
        let rows = list
            .get("nodes")
            .or_else(|| list.get("edges"))
            .and_then(Value::as_array)
            .unwrap();
        let expected = if query.contains("warehouses") { 1 } else { 50 };
        assert_eq!(rows.len(), expected, "{query}");
    }
    // the relations read from the page's graph are the rows themselves
    let r = app
        .gql(
            "{ stocks(first: 1) { nodes { label product { name category { name } } location { warehouse { name } } } } }",
            json!({}),
            Some(&d.user),
        )
        .await;
    assert_eq!(
        data(&r)["stocks"]["nodes"][0],
        json!({ "label": "Main WH - A1", "product": { "name": "Laptop", "category": { "name": "Electronics" } }, "location": { "warehouse": { "name": "Main WH" } } })
    );
}
