//! The Django REST Framework behaviours of legacy-schema.md §4: error bodies and wording, field
//! errors all at once (items nested by position), 415, JSON parse errors, 404/405, HEAD,
//! OPTIONS, the API root, trailing slashes, and the clear 400s where the original failed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::rest::support::spawn;

#[tokio::test]
async fn item_errors_are_nested_by_position_and_reported_at_once() {
    let app = spawn().await;
    let token = app.admin().await;
    let a = app
        .post(
            "/api/erp/oms/orders/",
            Some(&token),
            &json!({
                "customer_id": 999,
                "status": "bogus",
                "items": [
                    {"product_id": 1, "quantity": 1, "price": "999.99", "stock_id": 1},
                    {"product_id": 1, "quantity": "two", "price": "1.005"},
                    {"product_id": 12345, "quantity": 1, "price": "abc", "stock_id": 777},
                    "not an item",
                ],
            }),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.body,
        json!({
            "customer_id": ["Invalid pk \"999\" - object does not exist."],
            "items": [
                {},
                {
                    "price": ["Ensure that there are no more than 2 decimal places."],
                    "product_id": ["This product is already in the order."],
                    "quantity": ["A valid integer is required."],
                },
                {
                    "price": ["A valid number is required."],
                    "product_id": ["Invalid pk \"12345\" - object does not exist."],
                    "stock_id": ["Invalid pk \"777\" - object does not exist."],
                },
                {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]},
            ],
            "status": ["\"bogus\" is not a valid choice."],
        })
    );
    // nothing was written
    let orders = app.get("/api/erp/oms/orders/", Some(&token)).await;
    assert_eq!(orders.body.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn required_null_and_type_errors_use_drf_wording() {
    let app = spawn().await;
    let token = app.admin().await;
    let a = app
        .post("/api/erp/oms/orders/", Some(&token), &json!({}))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.body,
        json!({"customer_id": ["This field is required."], "items": ["This field is required."]})
    );
    let a = app
        .post(
            "/api/erp/oms/orders/",
            Some(&token),
            &json!({"customer_id": null, "items": {"product_id": 1}}),
        )
        .await;
    assert_eq!(
        a.body,
        json!({
            "customer_id": ["This field may not be null."],
            "items": {"non_field_errors": ["Expected a list of items but got type \"dict\"."]},
        })
    );
    let a = app
        .post(
            "/api/erp/oms/payments/",
            Some(&token),
            &json!({"order_id": "x", "amount": "1234567890123.5", "payment_method": "  "}),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.body,
        json!({
            "amount": ["Ensure that there are no more than 12 digits in total."],
            "order_id": ["Incorrect type. Expected pk value, received str."],
            "payment_method": ["This field may not be blank."],
        })
    );
    let a = app
        .post("/api/erp/oms/payments/", Some(&token), &json!([1]))
        .await;
    assert_eq!(
        a.body,
        json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    );
}

#[tokio::test]
async fn a_payment_for_a_missing_order_is_an_invalid_pk() {
    let app = spawn().await;
    let a = app
        .post(
            "/api/erp/oms/payments/",
            Some(&app.admin().await),
            &json!({"order_id": 999, "amount": "5.00", "payment_method": "Cash", "status": "nope"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.body,
        json!({
            "order_id": ["Invalid pk \"999\" - object does not exist."],
            "status": ["\"nope\" is not a valid choice."],
        })
    );
}

#[tokio::test]
async fn numbers_and_numeric_strings_are_read_exactly() {
    let app = spawn().await;
    let a = app
        .post(
            "/api/erp/oms/orders/",
            Some(&app.admin().await),
            &json!({
                "customer_id": "2",
                "items": [{"product_id": "1", "quantity": "3", "price": 0.1, "stock_id": "1"}],
            }),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["total_amount"], "0.30");
    assert_eq!(a.body["items"][0]["price"], "0.10");
    assert_eq!(a.body["status"], "pending");
}

#[tokio::test]
async fn the_originals_500s_are_clear_400s() {
    let app = spawn().await;
    let token = app.admin().await;
    let line = json!({"product_id": 1, "quantity": 1, "price": "999.99", "stock_id": 1});
    let twice = app
        .post(
            "/api/erp/oms/orders/",
            Some(&token),
            &json!({"customer_id": 2, "items": [line, line]}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        twice.body,
        json!({"items": [{}, {"product_id": ["This product is already in the order."]}]})
    );
    let oversell = app
        .post(
            "/api/erp/oms/orders/",
            Some(&token),
            &json!({"customer_id": 2, "items": [{"product_id": 1, "quantity": 50, "price": "1.00", "stock_id": 1}]}),
        )
        .await;
    assert_eq!(
        oversell.status,
        StatusCode::BAD_REQUEST,
        "{}",
        oversell.body
    );
    let message = oversell.body["items"][0]["quantity"][0]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.starts_with("Insufficient stock"),
        "{}",
        oversell.body
    );
    let empty = app
        .post(
            "/api/erp/oms/orders/",
            Some(&token),
            &json!({"customer_id": 2, "items": []}),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        empty.body,
        json!({"items": ["This list may not be empty."]})
    );

    // items of an existing order: sent back unchanged, accepted; changed, refused
    let path = format!("/api/erp/oms/orders/{}/", app.demo.order);
    let current = app.get(&path, Some(&token)).await.body;
    let same = json!([{"product_id": 1, "quantity": 1, "price": "999.99", "stock_id": 1}]);
    let echoed = app
        .patch(
            &path,
            Some(&token),
            &json!({"status": "confirmed", "items": same}),
        )
        .await;
    assert_eq!(echoed.status, StatusCode::OK, "{}", echoed.body);
    assert_eq!(echoed.body["items"], current["items"]);
    let changed = app
        .patch(
            &path,
            Some(&token),
            &json!({"items": [{"product_id": 1, "quantity": 5, "price": "999.99"}]}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        changed.body,
        json!({"items": ["The items of an existing order cannot be changed."]})
    );
    let illegal = app
        .patch(&path, Some(&token), &json!({"status": "delivered"}))
        .await;
    assert_eq!(illegal.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        illegal.body,
        json!({"status": ["An order cannot go from confirmed to delivered."]})
    );
}

#[tokio::test]
async fn put_is_a_full_update() {
    let app = spawn().await;
    let token = app.admin().await;
    let path = format!("/api/erp/oms/orders/{}/", app.demo.order);
    let partial = app
        .put(&path, Some(&token), &json!({"status": "confirmed"}))
        .await;
    assert_eq!(partial.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        partial.body,
        json!({"customer_id": ["This field is required."], "items": ["This field is required."]})
    );
    let full = app
        .put(
            &path,
            Some(&token),
            &json!({
                "customer_id": app.demo.user,
                "status": "cancelled",
                "items": [{"product_id": 1, "quantity": 1, "price": 999.99, "stock_id": 1}],
            }),
        )
        .await;
    assert_eq!(full.status, StatusCode::OK, "{}", full.body);
    assert_eq!(full.body["status"], "cancelled");

    let payment = format!("/api/erp/oms/payments/{}/", app.demo.payment);
    let partial = app
        .put(&payment, Some(&token), &json!({"status": "failed"}))
        .await;
    assert_eq!(
        partial.body,
        json!({
            "amount": ["This field is required."],
            "order_id": ["This field is required."],
            "payment_method": ["This field is required."],
        })
    );
    let full = app
        .put(
            &payment,
            Some(&token),
            &json!({"order_id": app.demo.order, "amount": "10.50", "payment_method": "Cash", "status": "failed"}),
        )
        .await;
    assert_eq!(full.status, StatusCode::OK, "{}", full.body);
    assert_eq!(full.body["amount"], "10.50");
    assert_eq!(full.body["payment_method"], "Cash");
    assert_eq!(full.body["status"], "failed");
}

#[tokio::test]
async fn media_types_and_parse_errors() {
    let app = spawn().await;
    let token = app.admin().await;
    let a = app
        .raw(
            Method::POST,
            "/api/erp/oms/orders/",
            Some(&token),
            "text/plain",
            "hello",
        )
        .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        a.body,
        json!({"detail": "Unsupported media type \"text/plain\" in request."})
    );
    let a = app
        .raw(
            Method::POST,
            "/api/erp/oms/orders/",
            Some(&token),
            "application/json",
            "{\"customer_id\": 2,",
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let detail = a.body["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with("JSON parse error - "), "{}", a.body);
    // a form body works like JSON for flat fields
    let a = app
        .raw(
            Method::POST,
            "/api/erp/oms/payments/",
            Some(&token),
            "application/x-www-form-urlencoded",
            &format!(
                "order_id={}&amount=12.5&payment_method=Bank+Transfer",
                app.demo.order
            ),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["amount"], "12.50");
    assert_eq!(a.body["payment_method"], "Bank Transfer");
    // an unreadable body on a missing item: DRF looks the item up first
    let a = app
        .raw(
            Method::PATCH,
            "/api/erp/oms/orders/999/",
            Some(&token),
            "text/plain",
            "x",
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    // an unauthenticated caller hears 401 before anything about the body
    let a = app
        .raw(
            Method::POST,
            "/api/erp/oms/orders/",
            None,
            "application/json",
            "{",
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn ids_that_are_missing_or_not_integers_are_404() {
    let app = spawn().await;
    let token = app.admin().await;
    for (path, model) in [
        ("/api/erp/oms/orders/999/", "Order"),
        ("/api/erp/oms/orders/abc/", "Order"),
        ("/api/erp/oms/orders/99999999999999999999/", "Order"),
        ("/api/erp/oms/payments/999/", "Payment"),
        ("/api/erp/oms/payments/x1", "Payment"),
    ] {
        let expected = json!({"detail": format!("No {model} matches the given query.")});
        let a = app.get(path, Some(&token)).await;
        assert_eq!(
            (a.status, &a.body),
            (StatusCode::NOT_FOUND, &expected),
            "GET {path}"
        );
        let a = app
            .patch(path, Some(&token), &json!({"status": "pending"}))
            .await;
        assert_eq!(
            (a.status, &a.body),
            (StatusCode::NOT_FOUND, &expected),
            "PATCH {path}"
        );
        let a = app.delete(path, Some(&token)).await;
        assert_eq!(
            (a.status, &a.body),
            (StatusCode::NOT_FOUND, &expected),
            "DELETE {path}"
        );
    }
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow() {
    let app = spawn().await;
    let token = app.admin().await;
    let collection = "GET, POST, HEAD, OPTIONS";
    let item = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS";
    let order = format!("/api/erp/oms/orders/{}/", app.demo.order);
    for (method, path, allow) in [
        (Method::PUT, "/api/erp/oms/orders/", collection),
        (Method::DELETE, "/api/erp/oms/orders", collection),
        (Method::PATCH, "/api/erp/oms/payments/", collection),
        (Method::POST, order.as_str(), item),
        (Method::POST, "/api/erp/oms/payments/1", item),
        (Method::POST, "/api/erp/oms/", "GET, HEAD, OPTIONS"),
    ] {
        let a = app
            .request(method.clone(), path, Some(&token), Some(&json!({})))
            .await;
        assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(
            a.body,
            json!({"detail": format!("Method \"{method}\" not allowed.")})
        );
        assert_eq!(a.header("allow"), Some(allow), "{method} {path}");
    }
    // every answer of a view says what it allows, as DRF's do
    let a = app.get("/api/erp/oms/orders/", Some(&token)).await;
    assert_eq!(a.header("allow"), Some(collection));
    assert_eq!(a.header("vary"), Some("Accept"));
}

#[tokio::test]
async fn head_options_and_trailing_slashes() {
    let app = spawn().await;
    let token = app.admin().await;
    let order = format!("/api/erp/oms/orders/{}", app.demo.order);
    let payment = format!("/api/erp/oms/payments/{}", app.demo.payment);
    for path in [
        "/api/erp/oms/orders",
        "/api/erp/oms/payments",
        order.as_str(),
        payment.as_str(),
    ] {
        let with = app.get(&format!("{path}/"), Some(&token)).await;
        let without = app.get(path, Some(&token)).await;
        assert_eq!(with.status, StatusCode::OK, "{path}/");
        assert_eq!(with.body, without.body, "{path} with and without the slash");
        let head = app
            .request(Method::HEAD, &format!("{path}/"), Some(&token), None)
            .await;
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.body, Value::Null, "HEAD has no body");
        assert_eq!(head.header("content-type"), Some("application/json"));
    }
    let options = app
        .request(Method::OPTIONS, "/api/erp/oms/orders/", Some(&token), None)
        .await;
    assert_eq!(options.status, StatusCode::OK);
    assert_eq!(options.body["name"], "Order List");
    assert!(options.body["description"].is_string());
    assert_eq!(options.body["renders"], json!(["application/json"]));
    assert_eq!(
        options.body["parses"],
        json!(["application/json", "application/x-www-form-urlencoded"])
    );
    assert_eq!(options.header("allow"), Some("GET, POST, HEAD, OPTIONS"));
    let options = app
        .request(Method::OPTIONS, &format!("{payment}/"), Some(&token), None)
        .await;
    assert_eq!(options.body["name"], "Payment Instance");
    let anonymous = app
        .request(Method::OPTIONS, "/api/erp/oms/orders/", None, None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_api_root_lists_absolute_urls() {
    let app = spawn().await;
    let token = app.admin().await;
    for path in ["/api/erp/oms/", "/api/erp/oms"] {
        let a = app.get(path, Some(&token)).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(
            a.body,
            json!({
                "orders": app.url("/api/erp/oms/orders/"),
                "payments": app.url("/api/erp/oms/payments/"),
            })
        );
    }
    assert_eq!(
        app.get("/api/erp/oms/", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn bodies_that_are_not_objects_and_huge_numbers() {
    let app = spawn().await;
    let token = app.admin().await;
    let a = app
        .raw(
            Method::POST,
            "/api/erp/oms/orders/",
            Some(&token),
            "application/json",
            "null",
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.body,
        json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got NoneType."]})
    );
    let a = app
        .raw(
            Method::POST,
            "/api/erp/oms/orders/",
            Some(&token),
            "application/json",
            r#"{"customer_id": 2, "items": [{"product_id": 1, "quantity": 99999999999999999999, "price": "-1"}]}"#,
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.body,
        json!({"items": [{
            "price": ["Ensure this value is greater than or equal to 0."],
            "quantity": ["Ensure this value is less than or equal to 2147483647."],
        }]})
    );
}
