//! `POST /api/accounts/token/refresh/`: rotation with a persisted blacklist shared by replicas,
//! and its cost. Forged, expired, used and wrongly typed tokens are in `token_attacks`.

use migration::sea_orm::{ConnectionTrait, DbBackend, Statement};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, jwt_payload, spawn_app, token_not_valid};

/// How many blacklist rows hold this jti.
async fn blacklisted(app: &TestApp, jti: &str) -> i64 {
    let backend = app.db().get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT COUNT(*) AS n FROM gateway_token_blacklist WHERE jti = $1",
        _ => "SELECT COUNT(*) AS n FROM gateway_token_blacklist WHERE jti = ?",
    };
    let row = app
        .db()
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [jti.into()]))
        .await
        .expect("query the blacklist")
        .expect("one row");
    row.try_get::<i64>("", "n").expect("a count")
}

#[tokio::test]
async fn refresh_rotates_and_blacklists_the_used_token() {
    let app = spawn_app().await;
    let id = app.create_user("frank", "frank-password", false).await;
    let (_, first_refresh) = app.login("frank", "frank-password").await;
    let first_jti = jwt_payload(&first_refresh)["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(blacklisted(&app, &first_jti).await, 0);

    let reply = app.refresh(&first_refresh).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let keys: Vec<&str> = reply
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["access", "refresh"]);
    let access = reply.body["access"].as_str().unwrap().to_owned();
    let second_refresh = reply.body["refresh"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first_refresh, "a new refresh token");
    let a = jwt_payload(&access);
    let r = jwt_payload(&second_refresh);
    assert_eq!(a["token_type"], "access");
    assert_eq!(r["token_type"], "refresh");
    assert_eq!(a["user_id"], json!(id.to_string()));
    assert_eq!(r["user_id"], json!(id.to_string()));
    assert_ne!(r["jti"], json!(first_jti));

    // the used token is recorded in the database, once
    assert_eq!(blacklisted(&app, &first_jti).await, 1);

    // the new access token works
    let me = app
        .gql("{ me { username } }", json!({}), Some(&access))
        .await;
    assert_eq!(me["data"]["me"]["username"], "frank");

    // the old refresh token is refused from now on; the new one still rotates
    app.refresh(&first_refresh)
        .await
        .assert_unauthorized(token_not_valid("Token is blacklisted"));
    let reply = app.refresh(&second_refresh).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn the_blacklist_is_shared_by_every_replica() {
    let app = spawn_app().await;
    app.create_user("grace", "grace-password", false).await;
    let (_, refresh_token) = app.login("grace", "grace-password").await;
    let other = app.replica().await;

    let reply = app.refresh(&refresh_token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    other
        .refresh(&refresh_token)
        .await
        .assert_unauthorized(token_not_valid("Token is blacklisted"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_of_one_token_succeed_exactly_once() {
    let app = spawn_app().await;
    app.create_user("heidi", "heidi-password", false).await;

    for round in 0..3 {
        let (_, token) = app.login("heidi", "heidi-password").await;
        let attempts = (0..4).map(|_| app.refresh(&token));
        let replies = futures_util::future::join_all(attempts).await;
        let ok = replies
            .iter()
            .filter(|r| r.status == StatusCode::OK)
            .count();
        assert_eq!(ok, 1, "round {round}: {replies:#?}");
        for reply in replies.iter().filter(|r| r.status != StatusCode::OK) {
            reply.assert_unauthorized(token_not_valid("Token is blacklisted"));
        }
    }
}

#[tokio::test]
async fn refresh_costs_two_sql_statements() {
    let app = spawn_app().await;
    app.create_user("ken", "ken-password", false).await;
    let (_, token) = app.login("ken", "ken-password").await;

    let before = app.sql_count();
    let reply = app.refresh(&token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        app.sql_count() - before,
        2,
        "INSERT into the blacklist, SELECT of the user"
    );

    let before = app.sql_count();
    app.refresh("garbage").await;
    assert_eq!(
        app.sql_count(),
        before,
        "a forged token reaches no database"
    );
}
