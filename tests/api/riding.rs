//! Reads of orders that look their caller up in their own statement (`auth::riding`): a lone
//! GraphQL `order`/`orders`, a REST order, a REST list's chunks. The read is made under the
//! scope the user's last lookup gave; the lookup of the same statement decides. A user
//! deactivated, deleted, demoted or promoted in the database (by the legacy application, say)
//! since that last lookup is answered as the row now says, on both faces.

use entity::user;
use migration::sea_orm::EntityTrait;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{Demo, data, demo, error_code};
use crate::helpers::{TestApp, spawn_app};

const ONE: &str = "query($id: Int!) { order(id: $id) { id customer { username } } }";
const PAGE: &str = "{ orders(first: 50) { nodes { id } } }";

/// Runs `query` as `token`: (answer, statements sent).
async fn counted(app: &TestApp, query: &str, vars: Value, token: &str) -> (Value, u64) {
    let before = app.sql_count();
    let r = app.gql(query, vars, Some(token)).await;
    (r, app.sql_count() - before)
}

/// The ids of a GraphQL page of orders.
fn ids(r: &Value) -> Vec<i64> {
    data(r)["orders"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|o| o["id"].as_i64().expect("an id"))
        .collect()
}

/// The ids of a REST list.
fn listed(body: &Value) -> Vec<i64> {
    body.as_array()
        .expect("the bare list")
        .iter()
        .map(|o| o["id"].as_i64().expect("an id"))
        .collect()
}

/// A user with a token, staff or not, and one order of theirs: (user id, token, order id).
async fn user_with_order(app: &TestApp, d: &Demo, name: &str, staff: bool) -> (i64, String, i64) {
    let password = format!("{name}-password");
    let id = app.create_user(name, &password, staff).await;
    let (token, _) = app.login(name, &password).await;
    let r = app
        .create_order(&d.admin, Some(id), &[(d.laptop, 1, Some(d.stock))])
        .await;
    let order = data(&r)["createOrder"]["id"].as_i64().expect("the order");
    (id, token, order)
}

/// A read of each kind, as `token`: (status or GraphQL code, body, statements sent).
async fn refused(app: &TestApp, kind: usize, order: i64, token: &str) -> (String, Value, u64) {
    let before = app.sql_count();
    let (outcome, body) = match kind {
        0 | 1 => {
            let (query, vars) = match kind {
                0 => (ONE, json!({ "id": order })),
                _ => (PAGE, json!({})),
            };
            let r = app.gql(query, vars, Some(token)).await;
            let leaked = r["data"]
                .as_object()
                .is_some_and(|o| o.values().any(|v| !v.is_null()));
            assert!(!leaked, "data next to the error: {r}");
            (error_code(&r).to_owned(), r)
        }
        _ => {
            let path = match kind {
                2 => format!("/api/erp/oms/orders/{order}/"),
                _ => "/api/erp/oms/orders/".to_owned(),
            };
            let r = app.get(&path, Some(token)).await;
            (r.status.to_string(), r.body)
        }
    };
    (outcome, body, app.sql_count() - before)
}

/// The four reads that look their caller up in their own statement.
const KINDS: [&str; 4] = ["order", "orders", "REST order", "REST list"];

/// Checks that a read of `kind` was refused by the lookup that rode on it (one statement,
/// nothing read again), with `detail` on REST.
#[track_caller]
fn assert_refused((outcome, body, n): (String, Value, u64), kind: usize, detail: &Value) {
    let name = KINDS[kind];
    assert_eq!(n, 1, "{name}");
    match kind {
        0 | 1 => assert_eq!(outcome, "UNAUTHENTICATED", "{name}: {body}"),
        _ => {
            assert!(outcome.starts_with("401"), "{name}: {outcome} {body}");
            assert_eq!(&body, detail, "{name}");
        }
    }
}

#[tokio::test]
async fn a_user_deactivated_or_deleted_since_the_last_read_is_refused_by_the_next() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (idle_id, idle, idle_order) = user_with_order(&app, &d, "idle", false).await;
    // the first read looks its user up first; the second within its statement
    for statements in [2, 1] {
        let (r, n) = counted(&app, ONE, json!({ "id": idle_order }), &idle).await;
        assert_eq!(data(&r)["order"]["id"], idle_order);
        assert_eq!(n, statements);
    }
    let inactive = json!({ "detail": "User is inactive", "code": "user_inactive" });
    let missing = json!({ "detail": "User not found", "code": "user_not_found" });
    for kind in 0..KINDS.len() {
        // active when its scope was remembered, inactive by the next read
        app.set_active(idle_id, true).await;
        app.remember_caller(&idle).await;
        app.set_active(idle_id, false).await;
        assert_refused(
            refused(&app, kind, idle_order, &idle).await,
            kind,
            &inactive,
        );
        // staff deleted (by the legacy application, say) since their last read
        let ghost = format!("ghost{kind}");
        let ghost_id = app.create_user(&ghost, "ghost-password", true).await;
        let (token, _) = app.login(&ghost, "ghost-password").await;
        app.remember_caller(&token).await;
        user::Entity::delete_by_id(ghost_id)
            .exec(app.db())
            .await
            .expect("delete the user");
        assert_refused(refused(&app, kind, d.order, &token).await, kind, &missing);
    }
}

#[tokio::test]
async fn a_demoted_or_promoted_user_is_read_for_under_the_scope_they_now_have() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (boss_id, boss, own) = user_with_order(&app, &d, "boss", true).await;
    let (clerk_id, clerk, theirs) = user_with_order(&app, &d, "clerk", false).await;
    let everything = ids(&app.gql(PAGE, json!({}), Some(&d.admin)).await);
    assert!(
        everything.contains(&own) && everything.contains(&theirs) && everything.contains(&d.order)
    );
    // staff reads everything, a customer their own (and their scopes are remembered)
    assert_eq!(
        ids(&app.gql(PAGE, json!({}), Some(&boss)).await),
        everything
    );
    assert_eq!(ids(&app.gql(PAGE, json!({}), Some(&clerk)).await), [theirs]);

    app.set_staff(boss_id, false).await;
    app.set_staff(clerk_id, true).await;
    // read under the remembered scope with the lookup along, then again under the new one
    let (r, n) = counted(&app, PAGE, json!({}), &boss).await;
    assert_eq!(ids(&r), [own]);
    assert_eq!(n, 2, "the read made again");
    // a count asked beside the page counts under the scope the caller now has
    let r = app
        .gql("{ orders { totalCount } }", json!({}), Some(&boss))
        .await;
    assert_eq!(data(&r)["orders"]["totalCount"], 1);
    let (r, n) = counted(&app, PAGE, json!({}), &clerk).await;
    assert_eq!(ids(&r), everything);
    assert_eq!(n, 2, "the read made again");
    // the new scopes are remembered: one statement each
    let (r, n) = counted(&app, ONE, json!({ "id": theirs }), &boss).await;
    assert!(data(&r)["order"].is_null(), "another customer's order: {r}");
    assert_eq!(n, 1);
    let (r, n) = counted(&app, ONE, json!({ "id": own }), &clerk).await;
    assert_eq!(data(&r)["order"]["customer"]["username"], "boss");
    assert_eq!(n, 1);

    // on REST as well, back again: a demoted user's detail of another's order is a 404
    app.set_staff(boss_id, true).await;
    app.set_staff(clerk_id, false).await;
    let before = app.sql_count();
    let r = app
        .get(&format!("/api/erp/oms/orders/{theirs}/"), Some(&boss))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["customer"], "clerk");
    assert_eq!(app.sql_count() - before, 2, "the read made again");
    let r = app
        .get(&format!("/api/erp/oms/orders/{own}/"), Some(&clerk))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let r = app.get("/api/erp/oms/orders/", Some(&clerk)).await;
    assert_eq!(listed(&r.body), [theirs]);
    let r = app.get("/api/erp/oms/orders/", Some(&boss)).await;
    assert_eq!(listed(&r.body), everything);
}

/// A read refused before its statement came back (a bad cursor, a bad filter) still answers
/// who may not ask first, as when the caller is looked up before the read.
#[tokio::test]
async fn a_refused_read_of_an_inactive_user_is_a_401_first() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    let (idle_id, idle, _) = user_with_order(&app, &d, "idle", false).await;
    let bad_cursor = "{ orders(first: 1, after: \"not a cursor\") { nodes { id } } }";
    let refusals = [
        ("BAD_USER_INPUT", StatusCode::BAD_REQUEST),
        ("UNAUTHENTICATED", StatusCode::UNAUTHORIZED),
    ];
    for (code, status) in refusals {
        if status == StatusCode::UNAUTHORIZED {
            // remembered, then deactivated
            app.remember_caller(&idle).await;
            app.set_active(idle_id, false).await;
        }
        let r = app.gql(bad_cursor, json!({}), Some(&idle)).await;
        assert_eq!(error_code(&r), code, "{r}");
        let r = app
            .get("/api/erp/oms/orders/?status=bogus", Some(&idle))
            .await;
        assert_eq!(r.status, status, "{:?}", r.body);
    }
    let r = app
        .get("/api/erp/oms/orders/?status=bogus", Some(&idle))
        .await;
    assert_eq!(r.body["code"], "user_inactive");
}

/// A lone read that does not run (skipped) reads nothing, the caller's lookup included.
#[tokio::test]
async fn a_skipped_lone_read_sends_no_statement() {
    let app = spawn_app().await;
    let d = demo(&app).await;
    app.remember_caller(&d.user).await;
    let skipped = "query($s: Boolean!) { orders @skip(if: $s) { nodes { id } } }";
    let (r, n) = counted(&app, skipped, json!({ "s": true }), &d.user).await;
    assert!(data(&r)["orders"].is_null(), "{r}");
    assert_eq!(n, 0);
    let (r, n) = counted(&app, skipped, json!({ "s": false }), &d.user).await;
    assert_eq!(ids(&r), [d.order]);
    assert_eq!(n, 1);
}
