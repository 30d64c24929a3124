//! Every attack on the tokens, in one table: each forged, stale or misused token is tried on
//! the REST layer (`GET /api/erp/oms/orders/`), on GraphQL (`{ me }`) and on the refresh
//! endpoint where it applies. REST and refresh answer 401 with SimpleJWT's body and
//! `WWW-Authenticate`; GraphQL answers as it always does, 200 with an `UNAUTHENTICATED` error
//! and no user; nothing answers 5xx.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    JWT_SECRET, REFRESH, TestApp, access_refused, jwt_payload, now_secs, sign, spawn_app,
    token_not_valid,
};

const ME: &str = "{ me { username } }";
const ORDERS: &str = "/api/erp/oms/orders/";

/// Where a token is presented.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Face {
    /// `Authorization: Bearer` on a REST list.
    Rest,
    /// `Authorization: Bearer` on GraphQL `{ me }`.
    Graphql,
    /// The body of `POST /api/accounts/token/refresh/`.
    Refresh,
}

use Face::{Graphql, Refresh, Rest};

/// What the refresh endpoint answers for a user gone or inactive (DRF's own
/// `AuthenticationFailed`: no `code`).
fn no_active_account() -> Value {
    json!({ "detail": "No active account found for the given token." })
}

struct Attack {
    name: &'static str,
    token: String,
    faces: &'static [Face],
    /// The REST answer to it as an access token.
    rest: Value,
    /// The refresh endpoint's answer to it.
    refresh: Value,
}

fn part(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

/// A token whose header claims `alg` but whose signature is HMAC-SHA256 with the real key
/// (algorithm confusion: an RS256 verifier given the HMAC key as its "public key").
fn hmac_signed_with_header(header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", part(header), part(claims));
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, JWT_SECRET.as_bytes());
    let signature = ring::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

fn without(claims: &Value, key: &str) -> Value {
    let mut c = claims.clone();
    c.as_object_mut().unwrap().remove(key);
    c
}

fn hs256(claims: &Value) -> String {
    sign(claims, JWT_SECRET.as_bytes(), Algorithm::HS256)
}

/// Tries one attack on one face; returns a description of what went wrong, if anything.
async fn attempt(app: &TestApp, attack: &Attack, face: Face) -> Option<String> {
    let token = attack.token.as_str();
    let reply = match face {
        Rest => app.get(ORDERS, Some(token)).await,
        Graphql => app.gql_reply(ME, json!({}), Some(token)).await,
        Refresh => {
            app.post_json(REFRESH, &json!({ "refresh": token }), None)
                .await
        }
    };
    let what = format!(
        "{} on {face:?}: {} {}",
        attack.name, reply.status, reply.text
    );
    if reply.status.is_server_error() {
        return Some(format!("5xx: {what}"));
    }
    match face {
        Graphql => {
            let code = &reply.body["errors"][0]["extensions"]["code"];
            let ok = reply.status == StatusCode::OK
                && code == "UNAUTHENTICATED"
                && reply.body["data"]["me"].is_null();
            (!ok).then_some(what)
        }
        Rest | Refresh => {
            let expected = if face == Rest {
                attack.rest.clone()
            } else {
                attack.refresh.clone()
            };
            let ok = reply.status == StatusCode::UNAUTHORIZED
                && reply.header("www-authenticate") == Some("Bearer realm=\"api\"")
                && reply.body == expected;
            (!ok).then(|| format!("{what} (expected 401 {expected})"))
        }
    }
}

#[tokio::test]
async fn every_token_attack_is_refused_with_401_never_5xx() {
    let app = spawn_app().await;
    app.create_user("mallory", "mallory-password", false).await;
    let victim = app.create_user("victim", "victim-password", true).await;
    let gone = app.create_user("gone", "gone-password", false).await;
    let idle = app.create_user("idle", "idle-password", false).await;
    let (access, refresh) = app.login("mallory", "mallory-password").await;
    let (_, used_refresh) = app.login("mallory", "mallory-password").await;
    let (gone_access, gone_refresh) = app.login("gone", "gone-password").await;
    let (idle_access, idle_refresh) = app.login("idle", "idle-password").await;
    let access_claims = jwt_payload(&access);
    let refresh_claims = jwt_payload(&refresh);

    // sanity: the genuine tokens and re-signed copies of their claims are accepted, so every
    // refusal below is about the one thing each attack changes
    let me = app.gql(ME, json!({}), Some(&access)).await;
    assert_eq!(me["data"]["me"]["username"], "mallory");
    let me = app.gql(ME, json!({}), Some(&hs256(&access_claims))).await;
    assert_eq!(me["data"]["me"]["username"], "mallory");
    assert_eq!(app.get(ORDERS, Some(&access)).await.status, StatusCode::OK);
    for token in [&gone_access, &idle_access] {
        assert_eq!(app.get(ORDERS, Some(token)).await.status, StatusCode::OK);
    }
    // a used refresh token: rotation blacklists it
    let rotated = app
        .post_json(REFRESH, &json!({ "refresh": used_refresh }), None)
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    // a user deleted, another made inactive
    {
        use entity::user;
        use migration::sea_orm::EntityTrait;
        user::Entity::delete_by_id(gone)
            .exec(app.db())
            .await
            .unwrap();
    }
    app.set_active(idle, false).await;

    let mut attacks = Vec::new();
    let mut add = |name, token: String, faces: &'static [Face], rest, refresh| {
        attacks.push(Attack {
            name,
            token,
            faces,
            rest,
            refresh,
        });
    };
    let invalid = || {
        (
            access_refused("Token is invalid"),
            token_not_valid("Token is invalid"),
        )
    };
    const ACCESS: &[Face] = &[Rest, Graphql];
    const REFRESH_ONLY: &[Face] = &[Refresh];
    const ALL: &[Face] = &[Rest, Graphql, Refresh];

    for (claims, faces) in [(&access_claims, ACCESS), (&refresh_claims, REFRESH_ONLY)] {
        add(
            "alg none",
            format!(
                "{}.{}.",
                part(&json!({ "alg": "none", "typ": "JWT" })),
                part(claims)
            ),
            faces,
            invalid().0,
            invalid().1,
        );
        add(
            "alg none with a signature",
            hmac_signed_with_header(&json!({ "alg": "none", "typ": "JWT" }), claims),
            faces,
            invalid().0,
            invalid().1,
        );
        add(
            "HS384 with the right key",
            sign(claims, JWT_SECRET.as_bytes(), Algorithm::HS384),
            faces,
            invalid().0,
            invalid().1,
        );
        add(
            "HS512 with the right key",
            sign(claims, JWT_SECRET.as_bytes(), Algorithm::HS512),
            faces,
            invalid().0,
            invalid().1,
        );
        add(
            "RS256 header, HMAC signature (algorithm confusion)",
            hmac_signed_with_header(&json!({ "alg": "RS256", "typ": "JWT" }), claims),
            faces,
            invalid().0,
            invalid().1,
        );
        add(
            "wrong key",
            sign(claims, b"not-the-secret", Algorithm::HS256),
            faces,
            invalid().0,
            invalid().1,
        );
        let mut tampered = claims.clone();
        tampered["user_id"] = json!(victim.to_string());
        let genuine = if claims == &access_claims {
            &access
        } else {
            &refresh
        };
        let parts: Vec<&str> = genuine.split('.').collect();
        add(
            "tampered payload (another user, the original signature)",
            format!("{}.{}.{}", parts[0], part(&tampered), parts[2]),
            faces,
            invalid().0,
            invalid().1,
        );
        let mut expired = claims.clone();
        expired["iat"] = json!(now_secs() - 8 * 86400);
        expired["exp"] = json!(now_secs() - 60);
        add(
            "expired",
            hs256(&expired),
            faces,
            access_refused("Token is expired"),
            token_not_valid("Token is expired"),
        );
        let mut early = claims.clone();
        early["nbf"] = json!(now_secs() + 3600);
        add(
            "not yet valid (nbf)",
            hs256(&early),
            faces,
            invalid().0,
            invalid().1,
        );
        // SimpleJWT's reason for each missing claim
        for (name, claim, message) in [
            ("missing exp", "exp", "Token has no 'exp' claim"),
            ("missing token_type", "token_type", "Token has no type"),
            ("missing jti", "jti", "Token has no id"),
        ] {
            add(
                name,
                hs256(&without(claims, claim)),
                faces,
                access_refused(message),
                token_not_valid(message),
            );
        }
        let unidentified = token_not_valid("Token contained no recognizable user identification");
        add(
            "missing user_id",
            hs256(&without(claims, "user_id")),
            faces,
            unidentified.clone(),
            unidentified,
        );
        let mut bad_id = claims.clone();
        bad_id["user_id"] = json!("1 OR 1=1");
        add(
            "user_id not an id",
            hs256(&bad_id),
            faces,
            json!({ "detail": "User not found", "code": "user_not_found" }),
            no_active_account(),
        );
    }
    add(
        "refresh token used as access",
        refresh.clone(),
        ACCESS,
        access_refused("Token has wrong type"),
        Value::Null,
    );
    add(
        "access token used as refresh",
        access.clone(),
        REFRESH_ONLY,
        Value::Null,
        token_not_valid("Token has wrong type"),
    );
    add(
        "blacklisted refresh",
        used_refresh.clone(),
        REFRESH_ONLY,
        Value::Null,
        token_not_valid("Token is blacklisted"),
    );
    let user_not_found = json!({ "detail": "User not found", "code": "user_not_found" });
    add(
        "deleted user",
        gone_access.clone(),
        ACCESS,
        user_not_found,
        Value::Null,
    );
    add(
        "deleted user",
        gone_refresh.clone(),
        REFRESH_ONLY,
        Value::Null,
        no_active_account(),
    );
    let user_inactive = json!({ "detail": "User is inactive", "code": "user_inactive" });
    add(
        "inactive user",
        idle_access.clone(),
        ACCESS,
        user_inactive,
        Value::Null,
    );
    add(
        "inactive user",
        idle_refresh.clone(),
        REFRESH_ONLY,
        Value::Null,
        no_active_account(),
    );
    add(
        "not a JWT",
        "not-a-jwt".to_owned(),
        ALL,
        invalid().0,
        invalid().1,
    );
    add(
        "three empty parts",
        "..".to_owned(),
        ALL,
        invalid().0,
        invalid().1,
    );
    add(
        "oversized (64 KiB)",
        format!(
            "{}.{}.{}",
            "e".repeat(1024),
            "A".repeat(64 * 1024),
            "s".repeat(64)
        ),
        ALL,
        invalid().0,
        invalid().1,
    );

    let mut failures = Vec::new();
    let mut tried = 0;
    for attack in &attacks {
        for face in attack.faces {
            tried += 1;
            if let Some(failure) = attempt(&app, attack, *face).await {
                failures.push(failure);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {tried} attempts were not refused properly:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // the attacks changed nothing: mallory is still mallory, the unused refresh still works
    let me = app.gql(ME, json!({}), Some(&access)).await;
    assert_eq!(me["data"]["me"]["username"], "mallory");
    let reply = app
        .post_json(REFRESH, &json!({ "refresh": refresh }), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);

    // a refresh body without the token is a field error, not a 401
    let reply = app.post_json(REFRESH, &json!({}), None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body,
        json!({ "refresh": ["This field is required."] })
    );
}

/// An `Authorization` header larger than the HTTP server reads (hyper's header buffer) never
/// reaches the gateway: the connection answers 431 or is closed, never a 5xx.
#[tokio::test]
async fn a_header_too_large_for_the_server_is_never_a_5xx() {
    let app = spawn_app().await;
    let huge = format!("Bearer {}", "A".repeat(1024 * 1024));
    let sent = app
        .client
        .get(app.url(ORDERS))
        .header("Authorization", huge)
        .send()
        .await;
    match sent {
        Ok(response) => assert!(
            response.status() == StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
                || response.status() == StatusCode::UNAUTHORIZED,
            "{}",
            response.status()
        ),
        Err(e) => assert!(!e.is_status(), "the connection was closed: {e}"),
    }
    // and the server still serves
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}
