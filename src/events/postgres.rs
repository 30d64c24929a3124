//! The PostgreSQL transport of events: LISTEN/NOTIFY, so that every gateway process on one
//! database hears every change, whichever process made it.
//!
//! - A write announces its changes with `pg_notify` on [`CHANNEL`] inside its transaction:
//!   as the last statement ([`notify_in`]), or within the write statement that assigns the
//!   changed row's id ([`notice`]). PostgreSQL delivers them at COMMIT, and not at all at a
//!   rollback.
//! - The notifier sends the events published outside a transaction (`EventBus::publish`) as
//!   JSON with `pg_notify` (those waiting at once in one statement), from its own connection
//!   (so it neither waits for nor counts against the request pool). Publishing only queues
//!   ([`NOTIFY_QUEUE`] events at most); an event that cannot be queued or sent is counted in
//!   `oms_events_dropped_total` and logged.
//! - The listener holds one dedicated connection (`application_name` [`LISTENER_APP_NAME`]) with
//!   `LISTEN oms_events`, and puts what it hears on this process's hub. When its connection is
//!   lost (database restart, `pg_terminate_backend`), it logs it and reconnects by itself with
//!   an exponential backoff from [`BACKOFF_MIN`] to [`BACKOFF_MAX`] (with jitter); changes made
//!   while it was away are not replayed (NOTIFY keeps nothing for absent listeners).

use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement, sqlx};
use tokio::sync::{broadcast, mpsc, oneshot};

use super::Event;
use super::bus::deliver;
use crate::config::redact_url;
use crate::db::ConnectError;

/// The NOTIFY channel of change events.
pub const CHANNEL: &str = "oms_events";
/// `application_name` of the listener's connection (to find it in `pg_stat_activity`).
pub const LISTENER_APP_NAME: &str = "oms-gateway events listener";
/// `application_name` of the notifier's connection.
pub const NOTIFIER_APP_NAME: &str = "oms-gateway events notifier";
/// Events waiting to be sent with `pg_notify`.
pub const NOTIFY_QUEUE: usize = 4096;
/// First wait before the listener reconnects.
pub const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Longest wait between two reconnection attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// How long start-up waits for the first `LISTEN` before going on without it.
const FIRST_LISTEN_WAIT: Duration = Duration::from_secs(5);

/// The publishing side: hands events to the notifier task.
pub(super) struct Notifier {
    tx: mpsc::Sender<Event>,
}

impl Notifier {
    pub(super) fn send(&self, event: Event) {
        match self.tx.try_send(event) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                metrics::counter!("oms_events_dropped_total", "reason" => "notify_queue_full")
                    .increment(1);
                tracing::warn!(
                    capacity = NOTIFY_QUEUE,
                    "the event notifier is behind (database slow or unreachable): an event was dropped"
                );
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                metrics::counter!("oms_events_dropped_total", "reason" => "notify_failed")
                    .increment(1);
            }
        }
    }
}

/// Starts the notifier and the listener for the database at `url`, waiting (briefly) until the
/// listener listens, so that a server that answers also hears.
pub(super) async fn start(
    url: &str,
    hub: broadcast::Sender<Event>,
) -> Result<Notifier, ConnectError> {
    let options = PgConnectOptions::from_str(url).map_err(|e| ConnectError {
        url: redact_url(url),
        reason: format!("cannot read the URL for the events listener: {e}"),
    })?;
    let notify_pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options.clone().application_name(NOTIFIER_APP_NAME));
    let (tx, rx) = mpsc::channel(NOTIFY_QUEUE);
    tokio::spawn(notify(notify_pool, rx));

    let listen_pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .max_lifetime(None)
        .idle_timeout(None)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options.application_name(LISTENER_APP_NAME));
    let (ready_tx, ready_rx) = oneshot::channel();
    tokio::spawn(listen(listen_pool, hub, ready_tx));
    if tokio::time::timeout(FIRST_LISTEN_WAIT, ready_rx)
        .await
        .is_err()
    {
        tracing::warn!(
            "the events listener is not listening yet; it keeps trying in the background"
        );
    }
    Ok(Notifier { tx })
}

/// Says who announces changes: the database's triggers (then for every writer), or the
/// gateway (its own writes only).
pub(super) fn log_triggers(installed: bool) {
    if installed {
        tracing::info!(
            channel = CHANNEL,
            "change events: sent by the database's triggers, for every writer (this process sends none of its own)"
        );
    } else {
        tracing::info!(
            channel = CHANNEL,
            "change events: sent by the gateway for its own writes (no change triggers installed)"
        );
    }
}

/// Most events sent with one statement.
const NOTIFY_BATCH: usize = 256;

/// The sequence number of the next payload (see `payload`).
static SEQ: AtomicU64 = AtomicU64::new(1);

/// An event as a notification's payload: its JSON with a sequence number (`seq`, ignored by
/// readers), because PostgreSQL folds identical payloads sent in one transaction into one
/// notification, and two equal changes in a row must stay two events.
fn payload(event: &Event) -> Option<String> {
    match serde_json::to_value(event) {
        Ok(serde_json::Value::Object(mut fields)) => {
            let seq = SEQ.fetch_add(1, Ordering::Relaxed);
            fields.insert("seq".into(), seq.into());
            Some(serde_json::Value::Object(fields).to_string())
        }
        Ok(_) | Err(_) => {
            tracing::error!("an event could not be encoded");
            None
        }
    }
}

/// The order id a payload is written with before the statement that carries it assigns the
/// real one (`notice`): no row id is negative, so its text occurs once in the payload.
const PENDING_ID: i64 = i64::MIN;

/// `pg_notify(channel, payload)` for a statement that assigns the event's id (`id`): the
/// payload is the event's own (`payload`), its id's text put in by PostgreSQL
/// (`concat(head, id, tail)`), so the encoding stays serde's alone.
pub(super) fn notice(event: impl Fn(i64) -> Event, id: Expr) -> Option<Expr> {
    let payload = payload(&event(PENDING_ID))?;
    let (head, tail) = payload.split_once(&PENDING_ID.to_string())?;
    let text = Func::cust("concat").args([Expr::val(head), id, Expr::val(tail)]);
    Some(
        Func::cust("pg_notify")
            .args([Expr::val(CHANNEL), text.into()])
            .into(),
    )
}

/// Announces `events` in the write transaction `txn`, in order, with one
/// `SELECT pg_notify($1, $2), pg_notify($1, $3), ...` per batch (one statement for a write's
/// usual one or two events). PostgreSQL sends them when `txn` commits.
pub(super) async fn notify_in(txn: &DatabaseTransaction, events: &[Event]) -> Result<(), DbErr> {
    for batch in events.chunks(NOTIFY_BATCH) {
        let mut sql = String::from("SELECT ");
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(batch.len() + 1);
        values.push(CHANNEL.into());
        for payload in batch.iter().filter_map(payload) {
            if values.len() > 1 {
                sql.push_str(", ");
            }
            values.push(payload.into());
            let _ = write!(sql, "pg_notify($1, ${})", values.len());
        }
        if values.len() > 1 {
            let stmt = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
            txn.execute_raw(stmt).await?;
        }
    }
    Ok(())
}

/// Sends queued events, in order, with `pg_notify`; retries a failed send a few times.
///
/// The events waiting at that moment go in one statement (`pg_notify` over an array), so a
/// burst costs the database one round trip per batch rather than two (the statement and the
/// pool's ping) per event.
async fn notify(pool: PgPool, mut rx: mpsc::Receiver<Event>) {
    const ATTEMPTS: u32 = 3;
    let mut events = Vec::with_capacity(NOTIFY_BATCH);
    while rx.recv_many(&mut events, NOTIFY_BATCH).await > 0 {
        let payloads: Vec<String> = events.drain(..).filter_map(|e| payload(&e)).collect();
        if payloads.is_empty() {
            continue;
        }
        for attempt in 1..=ATTEMPTS {
            let sent = sqlx::query(
                "SELECT pg_notify($1, payload) FROM unnest($2::text[]) WITH ORDINALITY AS e(payload, n) ORDER BY n",
            )
            .bind(CHANNEL)
            .bind(&payloads)
            .execute(&pool)
            .await;
            match sent {
                Ok(_) => break,
                Err(e) if attempt < ATTEMPTS => {
                    tracing::warn!(error = %e, attempt, "sending events failed; retrying");
                    tokio::time::sleep(BACKOFF_MIN * 2u32.pow(attempt)).await;
                }
                Err(e) => {
                    metrics::counter!("oms_events_dropped_total", "reason" => "notify_failed")
                        .increment(payloads.len() as u64);
                    tracing::error!(error = %e, lost = payloads.len(), "events could not be sent and are lost");
                }
            }
        }
    }
}

/// Listens for events for as long as the process lives, reconnecting after any loss.
async fn listen(pool: PgPool, hub: broadcast::Sender<Event>, ready: oneshot::Sender<()>) {
    let mut ready = Some(ready);
    let mut backoff = BACKOFF_MIN;
    let mut lost_since: Option<Instant> = None;
    loop {
        match subscribe(&pool).await {
            Ok(mut listener) => {
                match lost_since.take() {
                    Some(since) => {
                        metrics::counter!("oms_events_listener_reconnects_total").increment(1);
                        tracing::info!(
                            down_ms = since.elapsed().as_millis() as u64,
                            "the events listener reconnected; changes made while it was away \
                             were not delivered to this process's subscribers"
                        );
                    }
                    None => tracing::info!(channel = CHANNEL, "listening for change events"),
                }
                if let Some(r) = ready.take() {
                    let _ = r.send(());
                }
                backoff = BACKOFF_MIN;
                let why = receive(&mut listener, &hub).await;
                drop(listener);
                tracing::warn!(error = %why, "the events listener lost its connection; reconnecting");
                lost_since = Some(Instant::now());
            }
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    retry_in_ms = backoff.as_millis() as u64,
                    "the events listener cannot connect"
                );
                lost_since.get_or_insert_with(Instant::now);
            }
        }
        let jitter = rand::rng().random_range(0..=backoff.as_millis() as u64 / 4);
        tokio::time::sleep(backoff + Duration::from_millis(jitter)).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // reconnecting is ours to do (with backoff and a log line), not sqlx's
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Delivers notifications until the connection fails; returns why it stopped.
async fn receive(listener: &mut PgListener, hub: &broadcast::Sender<Event>) -> String {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => match serde_json::from_str::<Event>(notification.payload()) {
                Ok(event) => {
                    metrics::counter!("oms_events_received_total").increment(1);
                    deliver(hub, event);
                }
                Err(e) => {
                    metrics::counter!("oms_events_dropped_total", "reason" => "bad_payload")
                        .increment(1);
                    tracing::warn!(error = %e, "ignored a notification that is not an event");
                }
            },
            Ok(None) => return "connection closed".to_owned(),
            Err(e) => return e.to_string(),
        }
    }
}
