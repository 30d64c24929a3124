//! The gateway beside a real Django application (the replica under `tests/django/`: Django
//! 5.1, DRF 3.16, SimpleJWT 5.5 with its blacklist app) on one PostgreSQL database, driven with
//! `python manage.py ...`:
//! - the replica's models emit legacy-postgres.sql (`sqlmigrate`), and its `migrate` creates
//!   SimpleJWT's tables as `tests/fixtures/simplejwt-blacklist-postgres.sql` does;
//! - Django takes over tables the gateway created with `manage.py migrate --fake-initial`;
//! - a refresh token used at either application is refused at the other;
//! - `migrate down --all` afterwards keeps the tables Django now owns.
//!
//! Needs PostgreSQL (`OMS_TEST_DATABASE_URL`) and a Python with the pinned packages
//! (`OMS_DJANGO_PYTHON`, default `python3`; `tests/django/requirements.txt`); without them it
//! prints a note and passes, unless `OMS_REQUIRE_DJANGO=1` (CI) makes a missing Django fail.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestDatabase, postgres_admin_url};
use crate::helpers::{JWT_SECRET, TestApp, spawn_app_on, test_settings, token_not_valid};
use crate::legacy::{LEGACY_SQL, SIMPLEJWT_POSTGRES, run};

/// `python manage.py ...` of the replica, on one database.
struct Django {
    python: String,
    database_url: String,
}

impl Django {
    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/django")
    }

    /// The replica's Python, if it has the pinned packages; `None` (with a note) if not.
    fn find(database_url: &str) -> Option<Django> {
        let python = std::env::var("OMS_DJANGO_PYTHON").unwrap_or_else(|_| "python3".into());
        let ready = Command::new(&python)
            .args([
                "-c",
                "import django, rest_framework, rest_framework_simplejwt, mptt, psycopg; \
                 assert django.VERSION[:2] == (5, 1)",
            ])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ready {
            let note = format!(
                "{python} lacks Django 5.1 and the packages of tests/django/requirements.txt"
            );
            if std::env::var("OMS_REQUIRE_DJANGO").is_ok_and(|v| v == "1") {
                panic!("OMS_REQUIRE_DJANGO=1 but {note}");
            }
            eprintln!("note: the Django neighbour test is skipped: {note} (set OMS_DJANGO_PYTHON)");
            return None;
        }
        Some(Django {
            python,
            database_url: database_url.to_owned(),
        })
    }

    /// Runs `manage.py args`; panics with its output unless it succeeds. Returns stdout.
    fn manage(&self, args: &[&str]) -> String {
        let output = Command::new(&self.python)
            .arg("manage.py")
            .args(args)
            .current_dir(Self::dir())
            .env("OMS_DJANGO_DATABASE_URL", &self.database_url)
            .env("OMS_DJANGO_SECRET_KEY", JWT_SECRET)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONWARNINGS", "ignore")
            .output()
            .expect("run python");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "manage.py {args:?} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    /// One request to the Django application: (status, JSON body).
    fn call(&self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        let out = self.manage(&["oms_call", method, path, &body.to_string()]);
        let line: Value = serde_json::from_str(out.trim()).expect("oms_call prints JSON");
        (
            line["status"].as_u64().unwrap() as u16,
            line["body"].clone(),
        )
    }

    fn login(&self, username: &str, password: &str) -> String {
        let (status, body) = self.call(
            "POST",
            "/api/accounts/token/",
            &json!({ "username": username, "password": password }),
        );
        assert_eq!(status, 200, "Django login: {body}");
        body["refresh"].as_str().unwrap().to_owned()
    }

    fn refresh(&self, token: &str) -> (u16, Value) {
        self.call(
            "POST",
            "/api/accounts/token/refresh/",
            &json!({ "refresh": token }),
        )
    }
}

/// The statements of a DDL script, one per line, without comments and BEGIN/COMMIT.
fn ddl_lines(script: &str) -> std::collections::BTreeSet<String> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("--") && *l != "BEGIN;" && *l != "COMMIT;")
        .map(str::to_owned)
        .collect()
}

/// Columns, constraints and indexes of SimpleJWT's tables, as text (column positions aside:
/// Django's migration history dropped and re-added `jti`, which leaves a gap).
async fn simplejwt_schema(db: &DatabaseConnection) -> Vec<String> {
    let sql = "SELECT concat_ws('|', table_name, column_name, data_type, \
                 coalesce(character_maximum_length::text, '-'), is_nullable, is_identity) AS j \
               FROM information_schema.columns \
               WHERE table_schema = current_schema() AND table_name LIKE 'token_blacklist%' \
             UNION ALL \
             SELECT concat_ws('|', r.relname, c.conname, pg_get_constraintdef(c.oid), \
                 c.condeferrable, c.condeferred) FROM pg_constraint c \
               JOIN pg_class r ON r.oid = c.conrelid \
               WHERE r.relname LIKE 'token_blacklist%' \
             UNION ALL \
             SELECT indexname || '|' || indexdef FROM pg_indexes \
               WHERE schemaname = current_schema() AND tablename LIKE 'token_blacklist%' \
             ORDER BY 1";
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("the schema")
        .iter()
        .map(|r| r.try_get::<String>("", "j").unwrap())
        .collect()
}

async fn gateway_refresh(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let reply = app
        .post_json(
            "/api/accounts/token/refresh/",
            &json!({ "refresh": token }),
            None,
        )
        .await;
    (reply.status, reply.body)
}

#[tokio::test]
async fn django_takes_over_the_gateways_tables_and_shares_one_blacklist() {
    let Some(admin) = postgres_admin_url() else {
        eprintln!(
            "note: the Django neighbour test needs PostgreSQL (OMS_TEST_DATABASE_URL): skipped"
        );
        return;
    };
    let database = Arc::new(TestDatabase::postgres(&admin).await);
    let Some(django) = Django::find(&database.url) else {
        return;
    };

    // the replica is faithful: its models emit the legacy DDL (plus the auth M2M tables)
    let mut emitted = std::collections::BTreeSet::new();
    for app in ["accounts", "products", "wms", "oms"] {
        emitted.extend(ddl_lines(&django.manage(&["sqlmigrate", app, "0001"])));
    }
    let legacy = ddl_lines(LEGACY_SQL);
    let missing: Vec<_> = legacy.difference(&emitted).collect();
    assert!(
        missing.is_empty(),
        "not emitted by the replica: {missing:#?}"
    );
    let extra: Vec<_> = emitted
        .difference(&legacy)
        .filter(|l| !l.contains("accounts_user_groups") && !l.contains("accounts_user_user_p"))
        .collect();
    assert!(
        extra.is_empty(),
        "emitted beyond the legacy DDL: {extra:#?}"
    );

    // the gateway creates the tables on the empty database; Django takes them over
    let db = database.connect().await;
    migration::up(&db, false)
        .await
        .expect("the gateway migrates");
    let out = django.manage(&["migrate", "--fake-initial", "--no-input"]);
    assert!(out.contains("oms.0001_initial... FAKED"), "{out}");
    django.manage(&["migrate", "--check"]);

    // its blacklist tables are the fixture's
    let reference = TestDatabase::postgres(&admin).await;
    let reference_db = reference.connect().await;
    run(&reference_db, LEGACY_SQL).await;
    run(&reference_db, SIMPLEJWT_POSTGRES).await;
    assert_eq!(
        simplejwt_schema(&db).await,
        simplejwt_schema(&reference_db).await
    );

    // one blacklist for both applications
    let app = spawn_app_on(database.clone(), test_settings(&database.url)).await;
    app.create_user("uma", "uma-password", false).await;
    let from_django = django.login("uma", "uma-password");
    let (status, body) = gateway_refresh(&app, &from_django).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let from_gateway = body["refresh"].as_str().unwrap().to_owned();
    assert_eq!(
        django.refresh(&from_django),
        (401, token_not_valid("Token is blacklisted")),
        "used at the gateway, refused by Django"
    );
    let (status, body) = django.refresh(&from_gateway);
    assert_eq!(status, 200, "Django rotates the gateway's token: {body}");
    assert_eq!(
        gateway_refresh(&app, &from_gateway).await,
        (
            StatusCode::UNAUTHORIZED,
            token_not_valid("Token is blacklisted")
        ),
        "used at Django, refused by the gateway"
    );
    let (_, issued_here) = app.login("uma", "uma-password").await;
    assert_eq!(django.refresh(&issued_here).0, 200);
    assert_eq!(
        gateway_refresh(&app, &issued_here).await,
        (
            StatusCode::UNAUTHORIZED,
            token_not_valid("Token is blacklisted")
        )
    );
    django.manage(&["flushexpiredtokens"]);

    // the gateway leaves; the tables Django owns now stay, and Django still works
    drop(app);
    assert_eq!(
        migration::down_all(&db).await.expect("down --all"),
        migration::Remains::LegacyTables
    );
    django.manage(&["migrate", "--check"]);
    django.login("uma", "uma-password");
}
