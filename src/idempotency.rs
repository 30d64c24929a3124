//! Idempotent retries: a client names a create (`Idempotency-Key` on REST, `idempotencyKey` in
//! GraphQL) so that sending it again, after a timeout or a lost answer, returns what the first
//! request created instead of creating it twice.
//!
//! Keys are per user and per operation (`orders.create`, `payments.create`), shared by both
//! faces. The key row is written first in the write's own transaction and completed with the
//! created id (and the face's answer) before the commit: a refused or rolled-back write leaves no
//! key, a committed one always has it. A concurrent duplicate waits on that row (PostgreSQL's
//! `ON CONFLICT` waits for the holder to finish; SQLite's `BEGIN IMMEDIATE` queues the writers)
//! and then replays it. Keys older than `OMS_IDEMPOTENCY_TTL` (a day) count as new and are
//! purged.

use std::fmt;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, QueryResult};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use crate::events::Event;
use crate::state::AppState;

const TABLE: &str = "gateway_idempotency";

/// A client's idempotency key: 1 to 255 printable ASCII characters (surrounding spaces are
/// ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

/// Why a key was refused; `Display` is the rule, for both faces to word around.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidKey;

impl fmt::Display for InvalidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "must be 1 to {} printable ASCII characters",
            IdempotencyKey::MAX_LEN
        )
    }
}

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    pub fn parse(raw: &str) -> Result<IdempotencyKey, InvalidKey> {
        let key = raw.trim_matches(' ');
        let printable = key.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if key.is_empty() || key.len() > Self::MAX_LEN || !printable {
            return Err(InvalidKey);
        }
        Ok(IdempotencyKey(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The operations a key can guard; a key is only ever compared within one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    CreateOrder,
    CreatePayment,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::CreateOrder => "orders.create",
            Operation::CreatePayment => "payments.create",
        }
    }
}

/// What an earlier request with the same key created, and the answer its face stored (the REST
/// body; `None` when it came through GraphQL, which answers from the id).
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub resource_id: i64,
    pub answer: Option<Value>,
}

/// How a keyed (or unkeyed) create ended.
#[derive(Debug, Clone)]
pub enum Outcome<T> {
    /// Done by this request; `answer` is what the face rendered inside the transaction.
    Done { value: T, answer: Option<Value> },
    /// Done by an earlier request with the same key and the same input: nothing was written.
    Replayed(Replay),
}

/// A face that stores no answer (GraphQL answers a replay from the created id).
pub async fn no_answer<T>(_: &DatabaseTransaction, _: &T) -> AppResult<Option<Value>> {
    Ok(None)
}

/// One keyed request: who, which operation, the key, and a digest of the input as the domain
/// understood it (defaults resolved, decimals normalised), so that both faces agree on what
/// "the same request" is.
#[derive(Debug, Clone)]
pub struct Keyed {
    user_id: i64,
    operation: Operation,
    key: String,
    fingerprint: String,
}

impl Keyed {
    pub fn new(
        user_id: i64,
        operation: Operation,
        key: &IdempotencyKey,
        canonical_input: &Value,
    ) -> Keyed {
        let digest = Sha256::digest(canonical_input.to_string().as_bytes());
        Keyed {
            user_id,
            operation,
            key: key.0.clone(),
            fingerprint: format!("{digest:x}"),
        }
    }

    fn this_row(&self) -> sea_orm::sea_query::Condition {
        sea_orm::sea_query::Condition::all()
            .add(Expr::col("user_id").eq(self.user_id))
            .add(Expr::col("operation").eq(self.operation.as_str()))
            .add(Expr::col("idempotency_key").eq(self.key.as_str()))
    }

    /// The replay of a live earlier request with this key, if any (one read, first thing in
    /// the write's transaction, where the caller was looked up). The same key with another
    /// input is refused.
    pub async fn earlier<C: ConnectionTrait>(
        &self,
        db: &C,
        state: &AppState,
    ) -> AppResult<Option<Replay>> {
        let cutoff = cutoff(state);
        let select = Query::select()
            .columns(["fingerprint", "resource_id", "response"])
            .from(TABLE)
            .cond_where(self.this_row())
            .and_where(Expr::col("created_at").gte(cutoff))
            .to_owned();
        match db.query_one(&select).await? {
            Some(row) => self.replay(&row).map(Some),
            None => Ok(None),
        }
    }

    /// Claims the key, first thing in the write's transaction. `Some`: a request with the same
    /// key committed meanwhile (this one waited for it): replay it and write nothing. An
    /// expired row of the same key is taken over.
    pub async fn reserve(
        &self,
        txn: &DatabaseTransaction,
        state: &AppState,
    ) -> AppResult<Option<Replay>> {
        let insert = Query::insert()
            .into_table(TABLE)
            .columns([
                "user_id",
                "operation",
                "idempotency_key",
                "fingerprint",
                "resource_id",
                "response",
                "created_at",
            ])
            .values_panic([
                self.user_id.into(),
                self.operation.as_str().into(),
                self.key.as_str().into(),
                self.fingerprint.as_str().into(),
                Option::<i64>::None.into(),
                Option::<String>::None.into(),
                crate::time::now().into(),
            ])
            .on_conflict(
                OnConflict::columns(["user_id", "operation", "idempotency_key"])
                    .update_columns(["fingerprint", "resource_id", "response", "created_at"])
                    .action_and_where(Expr::col((TABLE, "created_at")).lt(cutoff(state)))
                    .to_owned(),
            )
            .to_owned();
        if txn.execute(&insert).await?.rows_affected() > 0 {
            return Ok(None);
        }
        let select = Query::select()
            .columns(["fingerprint", "resource_id", "response"])
            .from(TABLE)
            .cond_where(self.this_row())
            .to_owned();
        match txn.query_one(&select).await? {
            Some(row) => self.replay(&row).map(Some),
            None => Err(AppError::internal(anyhow::anyhow!(
                "an idempotency key conflicted but cannot be read"
            ))),
        }
    }

    /// Records what the write created (and the face's answer), before the commit.
    pub async fn complete(
        &self,
        txn: &DatabaseTransaction,
        resource_id: i64,
        answer: Option<&Value>,
    ) -> AppResult<()> {
        let update = Query::update()
            .table(TABLE)
            .values([
                ("resource_id", resource_id.into()),
                ("response", answer.map(Value::to_string).into()),
            ])
            .cond_where(self.this_row())
            .to_owned();
        txn.execute(&update).await?;
        Ok(())
    }

    fn replay(&self, row: &QueryResult) -> AppResult<Replay> {
        let fingerprint: String = row.try_get("", "fingerprint")?;
        if fingerprint != self.fingerprint {
            return Err(AppError::IdempotencyKeyReused);
        }
        let resource_id: Option<i64> = row.try_get("", "resource_id")?;
        let response: Option<String> = row.try_get("", "response")?;
        let resource_id = resource_id.ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "a committed idempotency key without its id"
            ))
        })?;
        let answer = response
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(AppError::internal)?;
        metrics::counter!("oms_idempotent_replays_total", "operation" => self.operation.as_str())
            .increment(1);
        Ok(Replay {
            resource_id,
            answer,
        })
    }
}

/// The end of a create, keyed or not: its answer (REST's body; GraphQL stores none) rendered
/// inside the transaction, so that if rendering fails nothing was written and a client told to
/// retry (503) never creates twice; the answer recorded with the key; the change event sent with
/// the commit, unless the write's own statement carried it (`noticed`, see `EventBus::notice`);
/// then expired keys purged.
pub async fn finish_create<T>(
    state: &AppState,
    txn: DatabaseTransaction,
    keyed: Option<&Keyed>,
    (id, created): (i64, T),
    answer: impl AsyncFnOnce(&DatabaseTransaction, &T) -> AppResult<Option<Value>>,
    event: Event,
    noticed: bool,
) -> AppResult<Outcome<T>> {
    let answered = answer(&txn, &created).await?;
    if let Some(keyed) = keyed {
        keyed.complete(&txn, id, answered.as_ref()).await?;
    }
    state.events.commit_after(txn, &[event], noticed).await?;
    if keyed.is_some() {
        purge(state).await;
    }
    Ok(Outcome::Done {
        value: created,
        answer: answered,
    })
}

/// Keys created before this instant no longer count.
fn cutoff(state: &AppState) -> DateTime<Utc> {
    let ttl = chrono::Duration::from_std(state.settings.idempotency_ttl)
        .unwrap_or(chrono::Duration::days(1));
    crate::time::now() - ttl
}

/// Deletes expired keys. Runs after a keyed write commits, outside its transaction; a failure is
/// only logged (the rows merely wait for the next purge).
pub async fn purge(state: &AppState) {
    let delete = Query::delete()
        .from_table(TABLE)
        .and_where(Expr::col("created_at").lt(cutoff(state)))
        .to_owned();
    if let Err(e) = state.db.execute(&delete).await {
        tracing::warn!(error = %crate::error::short_db_error(&e), "purging idempotency keys failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_short_printable_ascii() {
        assert_eq!(
            IdempotencyKey::parse(" abc-123 ").unwrap().as_str(),
            "abc-123"
        );
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert_eq!(IdempotencyKey::parse(&"k".repeat(256)), Err(InvalidKey));
        assert_eq!(IdempotencyKey::parse(""), Err(InvalidKey));
        assert_eq!(IdempotencyKey::parse("   "), Err(InvalidKey));
        assert_eq!(IdempotencyKey::parse("a\tb"), Err(InvalidKey));
        assert_eq!(IdempotencyKey::parse("clé"), Err(InvalidKey));
    }

    #[test]
    fn the_fingerprint_is_of_the_input() {
        let key = IdempotencyKey::parse("k").unwrap();
        let a = Keyed::new(1, Operation::CreateOrder, &key, &json!({"a": 1}));
        let b = Keyed::new(1, Operation::CreateOrder, &key, &json!({"a": 1}));
        let c = Keyed::new(1, Operation::CreateOrder, &key, &json!({"a": 2}));
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, c.fingerprint);
        assert_eq!(a.fingerprint.len(), 64);
    }
}
