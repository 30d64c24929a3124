//! Access tokens on a protected call (`POST /graphql` `{ me }`): the valid one identifies its
//! user; a malformed header is `UNAUTHENTICATED`. And the REST 401 bodies of the error
//! catalogue, one per `AuthError`. Every attack on the tokens is in `token_attacks`.

use axum::response::IntoResponse;
use oms_gateway::auth::token::TokenError;
use oms_gateway::error::{AppError, AuthError};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{access_refused, spawn_app};

const ME: &str = "{ me { username isStaff } }";

#[tokio::test]
async fn a_valid_access_token_identifies_its_user() {
    let app = spawn_app().await;
    app.create_user("staffer", "staff-password", true).await;
    app.create_user("customer", "customer-password", false)
        .await;

    let (staff, _) = app.login("staffer", "staff-password").await;
    let (customer, _) = app.login("customer", "customer-password").await;

    let body = app.gql(ME, json!({}), Some(&staff)).await;
    assert_eq!(
        body,
        json!({ "data": { "me": { "username": "staffer", "isStaff": true } } })
    );
    let body = app.gql(ME, json!({}), Some(&customer)).await;
    assert_eq!(
        body,
        json!({ "data": { "me": { "username": "customer", "isStaff": false } } })
    );
}

#[tokio::test]
async fn without_a_token_me_is_null() {
    let app = spawn_app().await;
    let body = app.gql(ME, json!({}), None).await;
    assert_eq!(body, json!({ "data": { "me": null } }));

    // another scheme is no credential at all, as in SimpleJWT
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    let reply = crate::helpers::Reply::read(response).await;
    assert_eq!(reply.body, json!({ "data": { "me": null } }));
}

#[tokio::test]
async fn a_malformed_authorization_header_is_unauthenticated() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("Authorization", "Bearer two tokens")
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    let reply = crate::helpers::Reply::read(response).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.body["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

/// The REST face of every `AuthError`: 401, SimpleJWT's body, and the `WWW-Authenticate` header.
#[tokio::test]
async fn rest_401_bodies_follow_simplejwt() {
    let cases = [
        (
            AuthError::NotProvided,
            json!({ "detail": "Authentication credentials were not provided." }),
        ),
        (
            AuthError::InvalidAccessToken(TokenError::Invalid),
            access_refused("Token is invalid"),
        ),
        (
            AuthError::InvalidAccessToken(TokenError::Expired),
            access_refused("Token is expired"),
        ),
        (
            AuthError::InvalidAccessToken(TokenError::WrongType),
            access_refused("Token has wrong type"),
        ),
        (
            AuthError::InvalidAccessToken(TokenError::NoExp),
            access_refused("Token has no 'exp' claim"),
        ),
        (
            AuthError::InvalidAccessToken(TokenError::NoId),
            access_refused("Token has no id"),
        ),
        (
            AuthError::InvalidAccessToken(TokenError::NoType),
            access_refused("Token has no type"),
        ),
        (
            AuthError::BadCredentials,
            json!({ "detail": "No active account found with the given credentials" }),
        ),
        (
            AuthError::InvalidRefreshToken(TokenError::Invalid),
            json!({ "detail": "Token is invalid", "code": "token_not_valid" }),
        ),
        (
            AuthError::InvalidRefreshToken(TokenError::Expired),
            json!({ "detail": "Token is expired", "code": "token_not_valid" }),
        ),
        (
            AuthError::InvalidRefreshToken(TokenError::Blacklisted),
            json!({ "detail": "Token is blacklisted", "code": "token_not_valid" }),
        ),
        (
            AuthError::InvalidRefreshToken(TokenError::WrongType),
            json!({ "detail": "Token has wrong type", "code": "token_not_valid" }),
        ),
        (
            AuthError::NoUserIdentification,
            json!({
                "detail": "Token contained no recognizable user identification",
                "code": "token_not_valid",
            }),
        ),
        (
            AuthError::UserNotFound,
            json!({ "detail": "User not found", "code": "user_not_found" }),
        ),
        (
            AuthError::UserInactive,
            json!({ "detail": "User is inactive", "code": "user_inactive" }),
        ),
        (
            // DRF's own AuthenticationFailed in SimpleJWT's refresh serializer: no code
            AuthError::NoActiveAccountForToken,
            json!({ "detail": "No active account found for the given token." }),
        ),
        (
            AuthError::BadAuthorizationHeader,
            json!({
                "detail": "Authorization header must contain two space-delimited values",
                "code": "bad_authorization_header",
            }),
        ),
        (
            AuthError::Unavailable,
            json!({ "detail": "The database is unavailable; try again shortly." }),
        ),
    ];
    for (reason, expected) in cases {
        let response = AppError::Unauthenticated(reason.clone()).into_response();
        assert_eq!(
            response.status(),
            axum::http::StatusCode::UNAUTHORIZED,
            "{reason:?}"
        );
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer realm=\"api\""),
            "{reason:?}"
        );
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "{reason:?}"
        );
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body, expected, "{reason:?}");
        // SimpleJWT's key order: detail first
        assert_eq!(
            body.as_object().unwrap().keys().next().map(String::as_str),
            Some("detail"),
            "{reason:?}"
        );
    }

    // no other error carries the header
    let response = AppError::forbidden().into_response();
    assert_eq!(response.status(), axum::http::StatusCode::FORBIDDEN);
    assert!(response.headers().get("www-authenticate").is_none());
}
