//! `GET /api/openapi.json`: parsed strictly as OpenAPI 3.1 (the `oas3` crate), every path and
//! method of OMS.md present with its request and response schemas, and every `$ref` resolving.

use axum::http::Method;
use oas3::spec::{ObjectOrReference, ObjectSchema, Schema, Spec};
use reqwest::StatusCode;
use serde_json::Value;

use crate::rest::support::spawn;

fn object(spec: &Spec, schema: &Schema, at: &str) -> ObjectSchema {
    match schema.resolve(spec) {
        Ok(Schema::Object(boxed)) => match *boxed {
            ObjectOrReference::Object(o) => o,
            ObjectOrReference::Ref { ref_path, .. } => panic!("{at}: unresolved {ref_path}"),
        },
        other => panic!("{at}: not an object schema: {other:?}"),
    }
}

fn property_names(o: &ObjectSchema) -> Vec<String> {
    o.properties.keys().cloned().collect()
}

/// Every `"$ref"` in the document.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(list) => list.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_documented_endpoint() {
    let app = spawn().await;
    let a = app.get("/api/openapi.json", None).await;
    assert_eq!(a.status, StatusCode::OK);
    let text = serde_json::to_string(&a.body).unwrap();
    let spec = oas3::from_json(&text).expect("a valid OpenAPI 3.1 document");
    let version = spec.validate_version().expect("a supported version");
    assert_eq!(version.major, 3);

    let collection = [Method::GET, Method::HEAD, Method::POST, Method::OPTIONS];
    let item = [
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ];
    let expected: [(&str, &[Method]); 5] = [
        (
            "/api/erp/oms/",
            &[Method::GET, Method::HEAD, Method::OPTIONS],
        ),
        ("/api/erp/oms/orders/", &collection),
        ("/api/erp/oms/orders/{id}/", &item),
        ("/api/erp/oms/payments/", &collection),
        ("/api/erp/oms/payments/{id}/", &item),
    ];
    for (path, methods) in expected {
        for method in methods {
            let op = spec
                .operation(method, path)
                .unwrap_or_else(|| panic!("{method} {path} is documented"));
            let responses = op.responses.as_ref().expect("responses");
            let (code, _) = responses
                .iter()
                .find(|(code, _)| code.starts_with('2'))
                .unwrap_or_else(|| panic!("{method} {path} has a success response"));
            let success = responses[code]
                .resolve(&spec)
                .unwrap_or_else(|e| panic!("{method} {path} {code}: {e}"));
            if *method == Method::DELETE {
                assert_eq!(code, "204");
                continue;
            }
            let media = success
                .content
                .get("application/json")
                .unwrap_or_else(|| panic!("{method} {path} {code} answers JSON"));
            let schema = media.schema.as_ref().expect("a response schema");
            schema
                .resolve(&spec)
                .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
            if matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
                assert_eq!(
                    code,
                    if *method == Method::POST {
                        "201"
                    } else {
                        "200"
                    }
                );
                let body = op
                    .request_body
                    .as_ref()
                    .unwrap_or_else(|| panic!("{method} {path} takes a body"))
                    .resolve(&spec)
                    .expect("the request body resolves");
                for media_type in ["application/json", "application/x-www-form-urlencoded"] {
                    let schema = body.content[media_type]
                        .schema
                        .as_ref()
                        .expect("a request schema");
                    object(&spec, schema, path);
                }
                let error_codes: Vec<&String> = responses.keys().collect();
                assert!(error_codes.iter().any(|c| *c == "400"), "{method} {path}");
            }
            if path.contains("{id}") {
                assert_eq!(
                    op.parameters.len(),
                    1,
                    "{method} {path} declares its {{id}} (schemathesis refuses the document otherwise)"
                );
            }
            if *method != Method::OPTIONS {
                let codes: Vec<&String> = responses.keys().collect();
                assert!(
                    codes.iter().any(|c| *c == "401"),
                    "{method} {path} documents 401"
                );
            }
        }
    }

    // the representations are the documented ones
    let components = spec.components.as_ref().expect("components");
    let schema = |name: &str| {
        let s = components
            .schemas
            .get(name)
            .unwrap_or_else(|| panic!("schema {name}"));
        property_names(&object(&spec, s, name))
    };
    assert_eq!(
        schema("Order"),
        [
            "id",
            "customer",
            "status",
            "total_amount",
            "created_at",
            "updated_at",
            "items",
            "payments"
        ]
    );
    assert_eq!(
        schema("OrderItem"),
        ["id", "product", "quantity", "price", "stock"]
    );
    assert_eq!(
        schema("OrderPayment"),
        [
            "id",
            "amount",
            "payment_method",
            "status",
            "paid_at",
            "created_at"
        ]
    );
    assert_eq!(
        schema("Payment"),
        [
            "id",
            "order",
            "amount",
            "payment_method",
            "status",
            "paid_at",
            "created_at"
        ]
    );
    assert_eq!(schema("OrderWrite"), ["customer_id", "status", "items"]);
    assert_eq!(
        schema("OrderItemWrite"),
        ["product_id", "quantity", "price", "stock_id"]
    );
    assert_eq!(
        schema("PaymentWrite"),
        ["order_id", "amount", "payment_method", "status", "paid_at"]
    );
    let order_write = object(&spec, &components.schemas["OrderWrite"], "OrderWrite");
    assert_eq!(order_write.required, ["customer_id", "items"]);
    // `PATCH` bodies: the write bodies' fields (the same types read them), none required
    for (patch, write) in [
        ("OrderPatch", "OrderWrite"),
        ("PaymentPatch", "PaymentWrite"),
    ] {
        assert_eq!(schema(patch), schema(write));
        let patch = object(&spec, &components.schemas[patch], patch);
        assert!(patch.required.is_empty(), "{:?}", patch.required);
    }

    // bearer tokens
    let jwt = components
        .security_schemes
        .get("jwt")
        .expect("the jwt security scheme");
    let jwt = serde_json::to_value(jwt).unwrap();
    assert_eq!(jwt["type"], "http");
    assert_eq!(jwt["scheme"], "bearer");
    assert!(!spec.security.is_empty(), "every operation needs the token");

    // every reference resolves
    let mut all = Vec::new();
    refs(&a.body, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r} points into the schemas"));
        assert!(components.schemas.contains_key(name), "{r} resolves");
    }
}
