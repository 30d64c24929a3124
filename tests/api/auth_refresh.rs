//! `POST /api/accounts/token/refresh/`: rotation with a persisted blacklist, and SimpleJWT's
//! refusals for used, forged, expired and wrongly typed tokens.

use migration::sea_orm::{ConnectionTrait, DbBackend, Statement};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, TestApp, jwt_payload, now_secs, sign, spawn_app};

const REFRESH: &str = "/api/accounts/token/refresh/";

fn token_not_valid(detail: &str) -> Value {
    json!({ "detail": detail, "code": "token_not_valid" })
}

async fn refresh(app: &TestApp, token: &str) -> crate::helpers::Reply {
    app.post_json(REFRESH, &json!({ "refresh": token }), None)
        .await
}

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

    let reply = refresh(&app, &first_refresh).await;
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
    refresh(&app, &first_refresh)
        .await
        .assert_unauthorized(token_not_valid("Token is blacklisted"));
    let reply = refresh(&app, &second_refresh).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn the_blacklist_is_shared_by_every_replica() {
    let app = spawn_app().await;
    app.create_user("grace", "grace-password", false).await;
    let (_, refresh_token) = app.login("grace", "grace-password").await;
    let other = app.replica().await;

    let reply = refresh(&app, &refresh_token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    refresh(&other, &refresh_token)
        .await
        .assert_unauthorized(token_not_valid("Token is blacklisted"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_of_one_token_succeed_exactly_once() {
    let app = spawn_app().await;
    app.create_user("heidi", "heidi-password", false).await;

    for round in 0..3 {
        let (_, token) = app.login("heidi", "heidi-password").await;
        let attempts = (0..4).map(|_| refresh(&app, &token));
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
async fn garbage_forged_expired_and_access_tokens_are_refused() {
    let app = spawn_app().await;
    let id = app.create_user("ivan", "ivan-password", false).await;
    let (access, refresh_token) = app.login("ivan", "ivan-password").await;

    let invalid = token_not_valid("Token is invalid");
    refresh(&app, "garbage")
        .await
        .assert_unauthorized(invalid.clone());
    refresh(&app, "a.b.c")
        .await
        .assert_unauthorized(invalid.clone());

    // an access token is not a refresh token
    refresh(&app, &access)
        .await
        .assert_unauthorized(invalid.clone());

    // signed with another key
    let mut claims = jwt_payload(&refresh_token);
    let forged = sign(&claims, b"not-the-secret", jsonwebtoken::Algorithm::HS256);
    refresh(&app, &forged)
        .await
        .assert_unauthorized(invalid.clone());

    // another algorithm with the right key
    let hs512 = sign(
        &claims,
        JWT_SECRET.as_bytes(),
        jsonwebtoken::Algorithm::HS512,
    );
    refresh(&app, &hs512)
        .await
        .assert_unauthorized(invalid.clone());

    // expired, with the right key
    claims["iat"] = json!(now_secs() - 8 * 86400);
    claims["exp"] = json!(now_secs() - 86400);
    claims["jti"] = json!(uuid::Uuid::new_v4().simple().to_string());
    let expired = sign(
        &claims,
        JWT_SECRET.as_bytes(),
        jsonwebtoken::Algorithm::HS256,
    );
    refresh(&app, &expired)
        .await
        .assert_unauthorized(token_not_valid("Token is expired"));

    // the same claims, still valid, with the right key: accepted (so the refusals above were
    // about the key, the algorithm and the time)
    claims["iat"] = json!(now_secs());
    claims["exp"] = json!(now_secs() + 3600);
    claims["user_id"] = json!(id.to_string());
    let good = sign(
        &claims,
        JWT_SECRET.as_bytes(),
        jsonwebtoken::Algorithm::HS256,
    );
    let reply = refresh(&app, &good).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);

    // a missing field is a field error, not a 401
    let reply = app.post_json(REFRESH, &json!({}), None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body,
        json!({ "refresh": ["This field is required."] })
    );
}

#[tokio::test]
async fn refresh_for_a_deleted_or_inactive_user_is_refused() {
    let app = spawn_app().await;
    let id = app.create_user("judy", "judy-password", false).await;
    let (_, first) = app.login("judy", "judy-password").await;
    let (_, second) = app.login("judy", "judy-password").await;

    app.set_active(id, false).await;
    // SimpleJWT 5.5's TokenRefreshSerializer answer for a user who is gone or inactive
    let no_account = json!({
        "detail": "No active account found for the given token.",
        "code": "no_active_account",
    });
    refresh(&app, &first)
        .await
        .assert_unauthorized(no_account.clone());

    use entity::user;
    use migration::sea_orm::EntityTrait;
    user::Entity::delete_by_id(id).exec(app.db()).await.unwrap();
    refresh(&app, &second).await.assert_unauthorized(no_account);
}

#[tokio::test]
async fn refresh_costs_two_sql_statements() {
    let app = spawn_app().await;
    app.create_user("ken", "ken-password", false).await;
    let (_, token) = app.login("ken", "ken-password").await;

    let before = app.sql_count();
    let reply = refresh(&app, &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        app.sql_count() - before,
        2,
        "INSERT into the blacklist, SELECT of the user"
    );

    let before = app.sql_count();
    refresh(&app, "garbage").await;
    assert_eq!(
        app.sql_count(),
        before,
        "a forged token reaches no database"
    );
}
