//! The refresh-token blacklist, in one of two places, detected once per process:
//! - SimpleJWT's tables (`token_blacklist_outstandingtoken`, `token_blacklist_blacklistedtoken`)
//!   when Django's `rest_framework_simplejwt.token_blacklist` app created them: the gateway then
//!   records and checks rotations there exactly as SimpleJWT does (an outstanding row for every
//!   refresh token issued, a blacklisted row for every one used), so a refresh token used at
//!   either application cannot be used again at the other, and Django's admin and
//!   `flushexpiredtokens` see the gateway's tokens too;
//! - otherwise its own `gateway_token_blacklist` (one row per used `jti`).
//!
//! Either way a rotation is atomic: of two concurrent refreshes of one token, wherever they
//! arrive, at most one gets a new pair (a unique key, `ON CONFLICT DO NOTHING`, and the rows
//! the insert affected decide).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};
use tokio::sync::OnceCell;

use crate::auth::principal::{Principal, UserLookup, load_user};
use crate::auth::token::{Claims, TokenError};
use crate::error::{AppError, AppResult, AuthError, unique_violation_field};

/// SimpleJWT's table of issued refresh tokens.
pub const OUTSTANDING: &str = "token_blacklist_outstandingtoken";
/// SimpleJWT's table of used (blacklisted) refresh tokens.
pub const BLACKLISTED: &str = "token_blacklist_blacklistedtoken";
/// The gateway's own table, used where SimpleJWT's are absent.
pub const GATEWAY: &str = "gateway_token_blacklist";

/// Where used refresh tokens are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `gateway_token_blacklist`.
    Gateway,
    /// SimpleJWT's two tables, shared with the Django application.
    SimpleJwt,
}

/// The blacklist of this process: which store, detected on first use (and logged once).
/// Cheap to clone.
#[derive(Clone, Default)]
pub struct Blacklist {
    store: Arc<OnceCell<Store>>,
}

impl Blacklist {
    /// The store in use, detected on the first call: SimpleJWT's when both its tables exist.
    pub async fn store(&self, db: &DatabaseConnection) -> Result<Store, DbErr> {
        self.store
            .get_or_try_init(|| async {
                let store = if table_exists(db, OUTSTANDING).await?
                    && table_exists(db, BLACKLISTED).await?
                {
                    let moved = adopt_own_entries(db).await?;
                    tracing::info!(
                        moved_from_gateway_table = moved,
                        tables = %format!("{OUTSTANDING}, {BLACKLISTED}"),
                        "refresh-token blacklist: SimpleJWT's tables, shared with the Django application"
                    );
                    Store::SimpleJwt
                } else {
                    tracing::info!(
                        table = GATEWAY,
                        "refresh-token blacklist: the gateway's own table (SimpleJWT's token_blacklist tables are absent)"
                    );
                    Store::Gateway
                };
                Ok(store)
            })
            .await
            .copied()
    }
}

/// Moves the entries of the gateway's own table into SimpleJWT's (an outstanding row with an
/// empty `token`, and its blacklisted row), so that tokens used before the Django blacklist app
/// was installed stay refused. Returns how many were moved.
async fn adopt_own_entries(db: &DatabaseConnection) -> Result<u64, DbErr> {
    if !table_exists(db, GATEWAY).await? {
        return Ok(0);
    }
    let txn = db.begin().await?;
    txn.execute_unprepared(&format!(
        "INSERT INTO {OUTSTANDING} (token, created_at, expires_at, user_id, jti) \
         SELECT '', g.blacklisted_at, g.expires_at, u.id, g.jti FROM {GATEWAY} g \
         LEFT JOIN accounts_user u ON u.id = g.user_id WHERE true \
         ON CONFLICT (jti) DO NOTHING"
    ))
    .await?;
    txn.execute_unprepared(&format!(
        "INSERT INTO {BLACKLISTED} (blacklisted_at, token_id) \
         SELECT g.blacklisted_at, o.id FROM {GATEWAY} g JOIN {OUTSTANDING} o ON o.jti = g.jti \
         WHERE true ON CONFLICT (token_id) DO NOTHING"
    ))
    .await?;
    let moved = txn
        .execute_unprepared(&format!("DELETE FROM {GATEWAY}"))
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(moved)
}

/// Whether a table of that name exists in the connection's schema.
async fn table_exists(db: &DatabaseConnection, table: &str) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT 1 AS present FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
        _ => "SELECT 1 AS present FROM sqlite_master WHERE type = 'table' AND name = ?",
    };
    let stmt = Statement::from_sql_and_values(backend, sql, [table.into()]);
    Ok(db.query_one_raw(stmt).await?.is_some())
}

/// What a rotation hands out: `value` (the pair), and its refresh token with its claims, to
/// be recorded as outstanding.
pub struct Minted<T> {
    pub value: T,
    pub refresh_token: String,
    pub refresh_claims: Claims,
}

/// A refresh token (issued, or presented for rotation).
#[derive(Clone, Copy)]
pub struct Issued<'a> {
    pub token: &'a str,
    pub claims: &'a Claims,
}

/// Records a refresh token just issued at login (SimpleJWT's `for_user`: an outstanding row),
/// where SimpleJWT's tables are the store; nothing otherwise.
pub async fn record_issued(
    db: &DatabaseConnection,
    store: Store,
    user_id: i64,
    issued: Issued<'_>,
) -> AppResult<()> {
    if store == Store::SimpleJwt {
        db.execute(&outstanding_insert(
            issued,
            Some(user_id),
            crate::time::now(),
        ))
        .await?;
    }
    Ok(())
}

/// Rotates a verified refresh token: records it as used and checks its user, atomically, then
/// lets `mint` make the new pair (whose refresh token is recorded in the same transaction on
/// SimpleJWT's tables). A token already used answers "Token is blacklisted"; a user gone or
/// inactive, "No active account found for the given token." (and the token stays unused, as
/// SimpleJWT leaves it).
pub async fn rotate<T>(
    db: &DatabaseConnection,
    store: Store,
    used: Issued<'_>,
    user_id: i64,
    mint: impl FnOnce(&Principal) -> Minted<T>,
) -> AppResult<T> {
    match store {
        Store::Gateway => rotate_gateway(db, used.claims, user_id, mint).await,
        Store::SimpleJwt => rotate_simplejwt(db, used, user_id, mint).await,
    }
}

fn blacklisted() -> AppError {
    AppError::Unauthenticated(AuthError::InvalidRefreshToken(TokenError::Blacklisted))
}

fn no_active_account() -> AppError {
    AppError::Unauthenticated(AuthError::NoActiveAccountForToken)
}

fn expiry(claims: &Claims) -> DateTime<Utc> {
    DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now)
}

async fn rotate_gateway<T>(
    db: &DatabaseConnection,
    claims: &Claims,
    user_id: i64,
    mint: impl FnOnce(&Principal) -> Minted<T>,
) -> AppResult<T> {
    let insert = Query::insert()
        .into_table(GATEWAY)
        .columns(["jti", "user_id", "expires_at", "blacklisted_at"])
        .values_panic([
            claims.jti.as_str().into(),
            user_id.into(),
            expiry(claims).into(),
            crate::time::now().into(),
        ])
        .to_owned();
    match db.execute(&insert).await {
        Ok(_) => {}
        Err(e) if unique_violation_field(&e, &[("jti", "jti")]).is_some() => {
            return Err(blacklisted());
        }
        Err(e) => return Err(e.into()),
    }
    match load_user(db, user_id).await? {
        UserLookup::Active(principal) => Ok(mint(&principal).value),
        UserLookup::Inactive | UserLookup::Missing => Err(no_active_account()),
    }
}

async fn rotate_simplejwt<T>(
    db: &DatabaseConnection,
    used: Issued<'_>,
    user_id: i64,
    mint: impl FnOnce(&Principal) -> Minted<T>,
) -> AppResult<T> {
    let now = crate::time::now();
    let txn = crate::db::begin_write(db).await?;
    let user = load_user(&txn, user_id).await?;
    let known_user = (!matches!(user, UserLookup::Missing)).then_some(user_id);
    // get_or_create of the outstanding row by jti, then of its blacklisted row
    txn.execute(&outstanding_insert(used, known_user, now))
        .await?;
    let select = Query::select()
        .expr(Expr::val(now))
        .column("id")
        .from(OUTSTANDING)
        .and_where(Expr::col("jti").eq(used.claims.jti.as_str()))
        .to_owned();
    let blacklist = Query::insert()
        .into_table(BLACKLISTED)
        .columns(["blacklisted_at", "token_id"])
        .select_from(select)
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?
        .on_conflict(OnConflict::column("token_id").do_nothing().to_owned())
        .to_owned();
    if txn.execute(&blacklist).await?.rows_affected() == 0 {
        txn.rollback().await?;
        return Err(blacklisted());
    }
    let UserLookup::Active(principal) = user else {
        txn.rollback().await?;
        return Err(no_active_account());
    };
    let made = mint(&principal);
    let issued = Issued {
        token: &made.refresh_token,
        claims: &made.refresh_claims,
    };
    txn.execute(&outstanding_insert(issued, Some(principal.id), now))
        .await?;
    txn.commit().await?;
    Ok(made.value)
}

/// `INSERT` of an outstanding row (SimpleJWT's `get_or_create` by jti: nothing if it exists).
fn outstanding_insert(
    issued: Issued<'_>,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> sea_orm::sea_query::InsertStatement {
    Query::insert()
        .into_table(OUTSTANDING)
        .columns(["token", "created_at", "expires_at", "user_id", "jti"])
        .values_panic([
            issued.token.into(),
            now.into(),
            expiry(issued.claims).into(),
            user_id.into(),
            issued.claims.jti.as_str().into(),
        ])
        .on_conflict(OnConflict::column("jti").do_nothing().to_owned())
        .to_owned()
}

/// What one purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Rows of `gateway_token_blacklist`.
    pub gateway: u64,
    /// Outstanding rows of SimpleJWT's tables (with their blacklisted rows).
    pub outstanding: u64,
}

/// Deletes the entries whose tokens have expired anyway: the gateway's own rows, and, where
/// SimpleJWT's tables are the store, what its `flushexpiredtokens` deletes (every outstanding
/// token whose `expires_at` has passed, its blacklisted row first).
pub async fn purge(db: &DatabaseConnection, store: Store) -> AppResult<Purged> {
    let now = crate::time::now();
    let gateway = Query::delete()
        .from_table(GATEWAY)
        .and_where(Expr::col("expires_at").lt(now))
        .to_owned();
    let mut purged = Purged {
        gateway: db.execute(&gateway).await?.rows_affected(),
        outstanding: 0,
    };
    if store == Store::SimpleJwt {
        let expired = Query::select()
            .column("id")
            .from(OUTSTANDING)
            .and_where(Expr::col("expires_at").lte(now))
            .to_owned();
        let txn = db.begin().await?;
        txn.execute(
            &Query::delete()
                .from_table(BLACKLISTED)
                .and_where(Expr::col("token_id").in_subquery(expired))
                .to_owned(),
        )
        .await?;
        purged.outstanding = txn
            .execute(
                &Query::delete()
                    .from_table(OUTSTANDING)
                    .and_where(Expr::col("expires_at").lte(now))
                    .to_owned(),
            )
            .await?
            .rows_affected();
        txn.commit().await?;
    }
    Ok(purged)
}
