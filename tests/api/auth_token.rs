//! `POST /api/accounts/token/`: SimpleJWT's token pair, its claims, and its refusals, word for
//! word; and the SQL it costs.

use entity::user;
use migration::sea_orm::{ActiveModelTrait, Set};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    JWT_SECRET, TOKEN, jwt_header, jwt_payload, now_secs, spawn_app, verify_hs256,
};

fn no_active_account() -> serde_json::Value {
    json!({ "detail": "No active account found with the given credentials" })
}

#[tokio::test]
async fn login_returns_a_simplejwt_pair_with_string_user_id() {
    let app = spawn_app().await;
    let id = app.create_user("alice", "wonderland-42", false).await;

    let before = now_secs();
    let reply = app
        .post_json(
            TOKEN,
            &json!({ "username": "alice", "password": "wonderland-42" }),
            None,
        )
        .await;
    let after = now_secs();

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let keys: Vec<&str> = reply
        .body
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["refresh", "access"],
        "SimpleJWT's keys, in its order"
    );

    let access = reply.body["access"].as_str().unwrap();
    let refresh = reply.body["refresh"].as_str().unwrap();
    for (token, kind, lifetime) in [(access, "access", 15 * 60), (refresh, "refresh", 7 * 86400)] {
        assert_eq!(jwt_header(token)["alg"], "HS256");
        let claims = verify_hs256(token, JWT_SECRET.as_bytes());
        assert_eq!(claims, jwt_payload(token));
        assert_eq!(claims["token_type"], kind);
        assert_eq!(
            claims["user_id"],
            json!(id.to_string()),
            "user_id is a string"
        );
        assert_eq!(claims["username"], "alice");
        assert_eq!(claims["email"], "alice@example.com");
        let jti = claims["jti"].as_str().expect("a jti");
        assert_eq!(jti.len(), 32, "{jti}");
        assert!(
            jti.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        let iat = claims["iat"].as_i64().expect("an integer iat");
        let exp = claims["exp"].as_i64().expect("an integer exp");
        assert!(
            (before..=after).contains(&iat),
            "iat {iat} not in [{before}, {after}]"
        );
        assert_eq!(exp - iat, lifetime, "{kind} lifetime");
    }
    assert_ne!(
        jwt_payload(access)["jti"],
        jwt_payload(refresh)["jti"],
        "each token has its own jti"
    );
}

#[tokio::test]
async fn login_refuses_missing_fields_with_a_field_map() {
    let app = spawn_app().await;

    let reply = app.post_json(TOKEN, &json!({}), None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body,
        json!({
            "username": ["This field is required."],
            "password": ["This field is required."],
        })
    );

    let reply = app
        .post_json(TOKEN, &json!({ "username": "alice" }), None)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body,
        json!({ "password": ["This field is required."] })
    );

    let reply = app
        .post_json(TOKEN, &json!({ "username": "", "password": "x" }), None)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body,
        json!({ "username": ["This field may not be blank."] })
    );
}

#[tokio::test]
async fn wrong_password_unknown_user_and_inactive_user_get_the_same_401() {
    let app = spawn_app().await;
    let id = app.create_user("bob", "right-password", false).await;
    let inactive = app.create_user("carol", "her-password", false).await;
    app.set_active(inactive, false).await;

    for (username, password) in [
        ("bob", "wrong-password"),
        ("nobody", "right-password"),
        ("carol", "her-password"),
        ("BOB", "right-password"),
    ] {
        let reply = app
            .post_json(
                TOKEN,
                &json!({ "username": username, "password": password }),
                None,
            )
            .await;
        reply.assert_unauthorized(no_active_account());
    }

    // and the right credentials still work, so the refusals above were about them
    let (access, _) = app.login("bob", "right-password").await;
    assert_eq!(jwt_payload(&access)["user_id"], json!(id.to_string()));
}

#[tokio::test]
async fn login_accepts_a_form_encoded_body() {
    let app = spawn_app().await;
    app.create_user("dora", "explorer-pass", false).await;

    let response = app
        .client
        .post(app.url(TOKEN))
        .form(&[("username", "dora"), ("password", "explorer-pass")])
        .send()
        .await
        .unwrap();
    let reply = crate::helpers::Reply::read(response).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        jwt_payload(reply.body["access"].as_str().unwrap())["username"],
        "dora"
    );

    // the path without the trailing slash answers the same way
    let reply = app
        .post_json(
            "/api/accounts/token",
            &json!({ "username": "dora", "password": "explorer-pass" }),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn login_refuses_other_media_types_and_malformed_json() {
    let app = spawn_app().await;

    let reply = app
        .post_raw(TOKEN, "text/plain", b"username=a&password=b".to_vec())
        .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        reply.body,
        json!({ "detail": "Unsupported media type \"text/plain\" in request." })
    );

    let reply = app
        .post_raw(TOKEN, "application/json", b"{\"username\": ".to_vec())
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let detail = reply.body["detail"].as_str().expect("a detail");
    assert!(
        detail.starts_with("JSON parse error - ") && detail.len() > "JSON parse error - ".len(),
        "{detail}"
    );
    assert_eq!(
        reply.body.as_object().unwrap().len(),
        1,
        "only `detail`: {}",
        reply.text
    );
}

#[tokio::test]
async fn a_user_with_a_django_made_hash_logs_in() {
    let app = spawn_app().await;
    let now = oms_gateway::time::now();
    let legacy = user::ActiveModel {
        password: Set(
            "pbkdf2_sha256$870000$ZkzyoqNRiAQ3J6Tq8hbYBE$bUr/OSYFy9KGKgdZ1O+HSo/fnZ2/gTSnpwP8U9h7UN0="
                .to_owned(),
        ),
        last_login: Set(None),
        is_superuser: Set(true),
        username: Set("legacyadmin".to_owned()),
        first_name: Set(String::new()),
        last_name: Set(String::new()),
        is_staff: Set(true),
        is_active: Set(true),
        date_joined: Set(now),
        email: Set("admin@inventoryhub.example".to_owned()),
        phone: Set(None),
        date_of_birth: Set(None),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("insert the legacy user");

    let reply = app
        .post_json(
            TOKEN,
            &json!({ "username": "legacyadmin", "password": "admin12345" }),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let claims = jwt_payload(reply.body["access"].as_str().unwrap());
    assert_eq!(claims["user_id"], json!(legacy.id.to_string()));
    assert_eq!(claims["email"], "admin@inventoryhub.example");

    let reply = app
        .post_json(
            TOKEN,
            &json!({ "username": "legacyadmin", "password": "admin1234" }),
            None,
        )
        .await;
    reply.assert_unauthorized(no_active_account());
}

#[tokio::test]
async fn login_costs_exactly_one_sql_statement() {
    let app = spawn_app().await;
    app.create_user("erin", "erin-password", false).await;

    let before = app.sql_count();
    app.login("erin", "erin-password").await;
    assert_eq!(app.sql_count() - before, 1, "one SELECT of the user");

    let before = app.sql_count();
    let reply = app
        .post_json(
            TOKEN,
            &json!({ "username": "nobody", "password": "x" }),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.sql_count() - before,
        1,
        "an unknown user costs the same SELECT"
    );

    let before = app.sql_count();
    let reply = app.post_json(TOKEN, &json!({}), None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.sql_count(),
        before,
        "a refused body reaches no database"
    );
}
