//! Refresh tokens on SimpleJWT's blacklist tables (a database the Django application's
//! `token_blacklist` app has migrated): every refresh token issued is recorded as outstanding,
//! every rotation blacklists the used one there, a token blacklisted by Django is refused here
//! and the other way round, concurrent rotations yield one pair, and the purge deletes what
//! `flushexpiredtokens` would. Without those tables the gateway's own table is used
//! (`auth_refresh`).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    TestApp, jwt_payload, spawn_app, spawn_app_on, test_settings, token_not_valid,
};
use crate::legacy::{count, legacy_database};

/// A gateway on a legacy database with SimpleJWT's tables.
async fn app_on_simplejwt_tables() -> TestApp {
    let database = legacy_database(true).await;
    let settings = test_settings(&database.url);
    spawn_app_on(database, settings).await
}

fn jti(token: &str) -> String {
    jwt_payload(token)["jti"].as_str().unwrap().to_owned()
}

async fn outstanding(app: &TestApp, token: &str) -> i64 {
    count(
        app.db(),
        &format!(
            "SELECT COUNT(*) AS n FROM token_blacklist_outstandingtoken WHERE jti = '{}' \
             AND token = '{token}'",
            jti(token)
        ),
    )
    .await
}

async fn blacklisted(app: &TestApp, token: &str) -> i64 {
    count(
        app.db(),
        &format!(
            "SELECT COUNT(*) AS n FROM token_blacklist_blacklistedtoken b \
             JOIN token_blacklist_outstandingtoken o ON o.id = b.token_id WHERE o.jti = '{}'",
            jti(token)
        ),
    )
    .await
}

async fn gateway_rows(app: &TestApp) -> i64 {
    count(
        app.db(),
        "SELECT COUNT(*) AS n FROM gateway_token_blacklist",
    )
    .await
}

#[tokio::test]
async fn rotations_are_recorded_in_simplejwts_tables() {
    let app = app_on_simplejwt_tables().await;
    let id = app.create_user("olga", "olga-password", false).await;
    let (_, first) = app.login("olga", "olga-password").await;

    // login records the refresh token as outstanding, with its user and expiry (for_user)
    assert_eq!(outstanding(&app, &first).await, 1);
    let expiry_matches = count(
        app.db(),
        &format!(
            "SELECT COUNT(*) AS n FROM token_blacklist_outstandingtoken WHERE jti = '{}' \
             AND user_id = {id} AND expires_at > created_at",
            jti(&first)
        ),
    )
    .await;
    assert_eq!(expiry_matches, 1);
    assert_eq!(blacklisted(&app, &first).await, 0);

    let reply = app.refresh(&first).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let second = reply.body["refresh"].as_str().unwrap().to_owned();
    assert_eq!(blacklisted(&app, &first).await, 1, "the used token");
    assert_eq!(outstanding(&app, &second).await, 1, "the new token");
    assert_eq!(blacklisted(&app, &second).await, 0);
    assert_eq!(
        gateway_rows(&app).await,
        0,
        "the gateway's own table is unused"
    );

    app.refresh(&first)
        .await
        .assert_unauthorized(token_not_valid("Token is blacklisted"));
    let reply = app.refresh(&second).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

/// SimpleJWT's blacklist() as Django runs it on rotation, on a token the gateway issued (an
/// outstanding row exists) and on one it never saw (get_or_create makes the row).
#[tokio::test]
async fn tokens_blacklisted_by_django_are_refused() {
    let app = app_on_simplejwt_tables().await;
    app.create_user("pavel", "pavel-password", false).await;
    let (_, issued_here) = app.login("pavel", "pavel-password").await;
    let now = "CURRENT_TIMESTAMP";
    let insert_blacklisted = |token: &str| {
        format!(
            "INSERT INTO token_blacklist_blacklistedtoken (blacklisted_at, token_id) \
             SELECT {now}, id FROM token_blacklist_outstandingtoken WHERE jti = '{}'",
            jti(token)
        )
    };
    use migration::sea_orm::ConnectionTrait;
    app.db()
        .execute_unprepared(&insert_blacklisted(&issued_here))
        .await
        .unwrap();
    app.refresh(&issued_here)
        .await
        .assert_unauthorized(token_not_valid("Token is blacklisted"));

    // a token minted elsewhere (Django's own login) with the shared key, then used there
    let (_, elsewhere) = app.login("pavel", "pavel-password").await;
    app.db()
        .execute_unprepared(&format!(
            "DELETE FROM token_blacklist_outstandingtoken WHERE jti = '{}'",
            jti(&elsewhere)
        ))
        .await
        .unwrap();
    app.db()
        .execute_unprepared(&format!(
            "INSERT INTO token_blacklist_outstandingtoken (token, created_at, expires_at, user_id, jti) \
             VALUES ('{elsewhere}', {now}, {now}, NULL, '{}')",
            jti(&elsewhere)
        ))
        .await
        .unwrap();
    app.db()
        .execute_unprepared(&insert_blacklisted(&elsewhere))
        .await
        .unwrap();
    app.refresh(&elsewhere)
        .await
        .assert_unauthorized(token_not_valid("Token is blacklisted"));
}

/// A refresh token of an inactive user is refused without being blacklisted (SimpleJWT checks
/// the user first): once the user is active again, it still rotates.
#[tokio::test]
async fn an_inactive_users_token_is_refused_and_stays_unused() {
    let app = app_on_simplejwt_tables().await;
    let id = app.create_user("quinn", "quinn-password", false).await;
    let (_, token) = app.login("quinn", "quinn-password").await;
    app.set_active(id, false).await;
    app.refresh(&token)
        .await
        .assert_unauthorized(json!({ "detail": "No active account found for the given token." }));
    assert_eq!(blacklisted(&app, &token).await, 0);
    app.set_active(id, true).await;
    let reply = app.refresh(&token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(blacklisted(&app, &token).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_rotations_at_two_replicas_yield_one_pair() {
    let app = app_on_simplejwt_tables().await;
    let other = app.replica().await;
    app.create_user("rosa", "rosa-password", false).await;
    for round in 0..3 {
        let (_, token) = app.login("rosa", "rosa-password").await;
        let attempts = (0..4).map(|i| {
            let at = if i % 2 == 0 { &app } else { &other };
            at.refresh(&token)
        });
        let replies = futures_util::future::join_all(attempts).await;
        let ok = replies
            .iter()
            .filter(|r| r.status == StatusCode::OK)
            .count();
        assert_eq!(ok, 1, "round {round}: {replies:#?}");
        for reply in replies.iter().filter(|r| r.status != StatusCode::OK) {
            reply.assert_unauthorized(token_not_valid("Token is blacklisted"));
        }
        assert_eq!(blacklisted(&app, &token).await, 1);
    }
}

#[tokio::test]
async fn a_rotation_on_simplejwts_tables_costs_four_statements() {
    let app = app_on_simplejwt_tables().await;
    app.create_user("sven", "sven-password", false).await;
    let before = app.sql_count();
    let (_, token) = app.login("sven", "sven-password").await;
    assert_eq!(
        app.sql_count() - before,
        2,
        "SELECT of the user, INSERT of the outstanding token"
    );
    let before = app.sql_count();
    let reply = app.refresh(&token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        app.sql_count() - before,
        4,
        "in one transaction: SELECT of the user, INSERT outstanding (the used token), INSERT \
         blacklisted, INSERT outstanding (the new one)"
    );
}

/// What `flushexpiredtokens` deletes (expired outstanding tokens, their blacklisted rows
/// first) goes; what has not expired stays; the gateway's own expired rows go too.
#[tokio::test]
async fn the_purge_deletes_expired_entries_of_both_stores() {
    use migration::sea_orm::ConnectionTrait;
    let app = app_on_simplejwt_tables().await;
    app.create_user("tara", "tara-password", false).await;
    let (_, live) = app.login("tara", "tara-password").await;
    let reply = app.refresh(&live).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let (_, expired) = app.login("tara", "tara-password").await;
    let reply = app.refresh(&expired).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let past = "'2020-01-01 00:00:00+00'";
    let past = if app.state.db.get_database_backend() == migration::sea_orm::DbBackend::Sqlite {
        "'2020-01-01 00:00:00'"
    } else {
        past
    };
    app.db()
        .execute_unprepared(&format!(
            "UPDATE token_blacklist_outstandingtoken SET expires_at = {past} WHERE jti = '{}'",
            jti(&expired)
        ))
        .await
        .unwrap();
    app.db()
        .execute_unprepared(&format!(
            "INSERT INTO gateway_token_blacklist (jti, user_id, expires_at, blacklisted_at) \
             VALUES ('old', 1, {past}, {past})"
        ))
        .await
        .unwrap();
    let outstanding_before = count(
        app.db(),
        "SELECT COUNT(*) AS n FROM token_blacklist_outstandingtoken",
    )
    .await;

    let purged = oms_gateway::auth::service::purge_blacklist(&app.state)
        .await
        .expect("the purge runs");
    assert_eq!(purged.outstanding, 1);
    assert_eq!(purged.gateway, 1);
    assert_eq!(blacklisted(&app, &expired).await, 0);
    assert_eq!(
        count(
            app.db(),
            "SELECT COUNT(*) AS n FROM token_blacklist_outstandingtoken"
        )
        .await,
        outstanding_before - 1
    );
    assert_eq!(blacklisted(&app, &live).await, 1, "unexpired entries stay");
    assert_eq!(gateway_rows(&app).await, 0);
    // the used token is still refused after the purge
    app.refresh(&live)
        .await
        .assert_unauthorized(token_not_valid("Token is blacklisted"));
}

/// The maintenance task of a serving process purges at start and then on its schedule.
#[tokio::test]
async fn the_maintenance_task_purges_on_its_schedule() {
    use migration::sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let past = if app.state.db.get_database_backend() == migration::sea_orm::DbBackend::Sqlite {
        "'2020-01-01 00:00:00'"
    } else {
        "'2020-01-01 00:00:00+00'"
    };
    let insert = |jti: &str| {
        format!(
            "INSERT INTO gateway_token_blacklist (jti, user_id, expires_at, blacklisted_at) \
             VALUES ('{jti}', 1, {past}, {past})"
        )
    };
    app.db()
        .execute_unprepared(&insert("before"))
        .await
        .unwrap();
    let task = oms_gateway::server::start_maintenance(
        app.state.clone(),
        std::time::Duration::from_millis(200),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while gateway_rows(&app).await > 0 {
        assert!(std::time::Instant::now() < deadline, "not purged at start");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // a later expired row goes at a later tick
    app.db().execute_unprepared(&insert("after")).await.unwrap();
    while gateway_rows(&app).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "not purged on schedule"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    task.abort();
}

/// The real binary says at start which blacklist it uses, and purges at start (debug log).
#[tokio::test]
async fn the_server_logs_its_blacklist_and_purges_at_start() {
    let database = legacy_database(true).await;
    let server = crate::process::ServerProcess::start(
        &database.url,
        &[
            ("RUST_LOG", "oms_gateway=debug"),
            ("OMS_LOG_FORMAT", "json"),
        ],
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let lines = [server.stdout_lines(), server.stderr_lines()].concat();
        let logged = |text: &str| lines.iter().any(|l| l.contains(text));
        if logged("refresh-token blacklist: SimpleJWT's tables")
            && logged("expired refresh-token blacklist entries purged")
        {
            let said = lines
                .iter()
                .filter(|l| l.contains("refresh-token blacklist:"))
                .count();
            assert_eq!(said, 1, "logged once: {lines:#?}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "start-up lines missing: {lines:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Tokens used while the gateway kept its own blacklist stay refused once Django's blacklist
/// app is installed: the next process moves its entries into SimpleJWT's tables.
#[tokio::test]
async fn entries_of_the_gateways_own_table_move_to_simplejwts() {
    let database = legacy_database(false).await;
    let settings = test_settings(&database.url);
    let before = spawn_app_on(database.clone(), settings.clone()).await;
    before.create_user("ulla", "ulla-password", false).await;
    let (_, used) = before.login("ulla", "ulla-password").await;
    let reply = before.refresh(&used).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(gateway_rows(&before).await, 1);

    // Django's token_blacklist app is installed, then the gateway restarts
    let fixture = if database.is_postgres() {
        crate::legacy::SIMPLEJWT_POSTGRES
    } else {
        crate::legacy::SIMPLEJWT_SQLITE
    };
    crate::legacy::run(before.db(), fixture).await;
    let after = spawn_app_on(database, settings).await;
    assert_eq!(gateway_rows(&after).await, 0, "moved");
    assert_eq!(blacklisted(&after, &used).await, 1);
    after
        .refresh(&used)
        .await
        .assert_unauthorized(token_not_valid("Token is blacklisted"));
}
