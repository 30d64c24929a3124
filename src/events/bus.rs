//! The bus: an in-process hub that fans events out to the subscribers, fed after a commit
//! (SQLite) or by the PostgreSQL listener, which hears every process's changes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sea_orm::sea_query::Expr;
use sea_orm::{DatabaseTransaction, DbErr};
use tokio::sync::{broadcast, mpsc};

use super::subscriber::{Shared, Subscriber, forward};
use super::{Event, EventFilter, postgres};
use crate::config::Settings;
use crate::db::ConnectError;

/// In-process fan-out of events, with the PostgreSQL transport when the database is one.
/// Cheap to clone: one shared hub.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
}

struct Inner {
    hub: broadcast::Sender<Event>,
    transport: Transport,
    /// The database's change triggers announce every change (PostgreSQL): this process sends
    /// none of its own, or subscribers would hear its writes twice.
    triggers: AtomicBool,
    /// Whether `triggers` has been looked at yet (the first look is always logged).
    triggers_known: AtomicBool,
    subscriber_buffer: usize,
    /// Live `Subscriber`s.
    open: Arc<AtomicUsize>,
}

enum Transport {
    /// Events stay in this process (SQLite, tools).
    InProcess,
    /// Events go through PostgreSQL's LISTEN/NOTIFY to every process on the database.
    Postgres(postgres::Notifier),
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    /// Events the hub holds for the forwarding tasks (shared by all subscribers).
    pub const CAPACITY: usize = 1024;
    /// Undelivered events one subscriber may hold before it is dropped.
    pub const SUBSCRIBER_BUFFER: usize = 256;

    /// An in-process bus.
    pub fn new() -> Self {
        Self::build(Self::hub(), Transport::InProcess, Self::SUBSCRIBER_BUFFER)
    }

    /// An in-process bus whose subscribers may fall at most `subscriber_buffer` events behind.
    pub fn with_subscriber_buffer(subscriber_buffer: usize) -> Self {
        Self::build(Self::hub(), Transport::InProcess, subscriber_buffer.max(1))
    }

    fn hub() -> broadcast::Sender<Event> {
        broadcast::channel(Self::CAPACITY).0
    }

    fn build(
        hub: broadcast::Sender<Event>,
        transport: Transport,
        subscriber_buffer: usize,
    ) -> Self {
        EventBus {
            inner: Arc::new(Inner {
                hub,
                transport,
                triggers: AtomicBool::new(false),
                triggers_known: AtomicBool::new(false),
                subscriber_buffer,
                open: Arc::default(),
            }),
        }
    }

    /// The bus for the database of `settings`: through LISTEN/NOTIFY on PostgreSQL (waiting
    /// briefly for the listener so that a server that is up also hears), in-process otherwise.
    pub async fn connect(settings: &Settings) -> Result<EventBus, ConnectError> {
        let url = &settings.database_url;
        if !(url.starts_with("postgres:") || url.starts_with("postgresql:")) {
            return Ok(EventBus::new());
        }
        let hub = Self::hub();
        let notifier = postgres::start(url, hub.clone()).await?;
        Ok(Self::build(
            hub,
            Transport::Postgres(notifier),
            Self::SUBSCRIBER_BUFFER,
        ))
    }

    /// Open subscriptions on this bus.
    pub fn subscribers(&self) -> usize {
        self.inner.open.load(Ordering::SeqCst)
    }

    /// Commits a write transaction together with the changes it made (see the module's doc
    /// of `events`): on PostgreSQL the `pg_notify` goes as the transaction's last statement
    /// (unless the write's own statement carried it: `commit_after`), on the write's own
    /// connection (no second pool checkout, nothing to queue); in-process
    /// the events are published after the commit. Where the database's change triggers are
    /// installed they announce the changes instead. A failed `pg_notify` (PostgreSQL's
    /// notification queue full) fails the write, which is then rolled back.
    pub async fn commit(&self, txn: DatabaseTransaction, events: &[Event]) -> Result<(), DbErr> {
        self.commit_after(txn, events, false).await
    }

    /// `commit`, for a write whose own statement carried its events' notifications where
    /// `noticed` (see `notice`): nothing more is sent for them.
    pub async fn commit_after(
        &self,
        txn: DatabaseTransaction,
        events: &[Event],
        noticed: bool,
    ) -> Result<(), DbErr> {
        match &self.inner.transport {
            Transport::Postgres(_) if !self.triggers_announce() => {
                if !noticed {
                    postgres::notify_in(&txn, events).await?;
                }
                txn.commit().await?;
                metrics::counter!("oms_events_published_total").increment(events.len() as u64);
            }
            _ => {
                txn.commit().await?;
                if !noticed {
                    for event in events {
                        self.publish(event.clone());
                    }
                }
            }
        }
        Ok(())
    }

    /// The `pg_notify` of the event of a row that a write's statement inserts, as an
    /// expression of that statement (`id`: the new row's id there), so that the notification
    /// costs no statement of its own; `event` makes the event of an id. `None` where the
    /// gateway does not announce its writes with `pg_notify` (in process the events are
    /// published after the commit; the database's change triggers announce them
    /// themselves). A write whose statement carried it commits with `commit_after(.., true)`.
    pub fn notice(&self, event: impl Fn(i64) -> Event, id: Expr) -> Option<Expr> {
        match &self.inner.transport {
            Transport::Postgres(_) if !self.triggers_announce() => postgres::notice(event, id),
            _ => None,
        }
    }

    /// Publishes a committed change outside any transaction (call only after the commit).
    /// Never waits. Where the database's change triggers are installed they announce it
    /// instead.
    pub fn publish(&self, event: Event) {
        metrics::counter!("oms_events_published_total").increment(1);
        match &self.inner.transport {
            Transport::InProcess => deliver(&self.inner.hub, event),
            Transport::Postgres(_) if self.inner.triggers.load(Ordering::Relaxed) => {}
            Transport::Postgres(notifier) => notifier.send(event),
        }
    }

    /// Whether the database's change triggers announce the changes (so this process does not).
    pub fn triggers_announce(&self) -> bool {
        self.inner.triggers.load(Ordering::Relaxed)
    }

    /// Looks whether the change triggers are installed (`migrate up --with-triggers`), and
    /// from now on leaves the announcing to them if they are; logged at the first look and when
    /// it changes (the maintenance task looks again every hour).
    pub async fn detect_triggers(
        &self,
        db: &sea_orm::DatabaseConnection,
    ) -> Result<bool, sea_orm::DbErr> {
        let Transport::Postgres(_) = &self.inner.transport else {
            return Ok(false);
        };
        let installed = migration::triggers::installed(db).await?;
        let before = self.inner.triggers.swap(installed, Ordering::Relaxed);
        if !self.inner.triggers_known.swap(true, Ordering::Relaxed) || before != installed {
            postgres::log_triggers(installed);
        }
        Ok(installed)
    }

    /// A stream of the events `filter` wants, from now on. It ends with `Err(Dropped)` if the
    /// subscriber falls more than the subscriber buffer behind.
    pub fn subscribe(&self, filter: EventFilter) -> Subscriber {
        let limit = self.inner.subscriber_buffer;
        let (tx, rx) = mpsc::channel(limit);
        let shared = Arc::new(Shared::default());
        let hub = self.inner.hub.subscribe();
        tokio::spawn(forward(hub, filter, tx, shared.clone(), limit));
        metrics::gauge!("oms_subscriptions_open").increment(1.0);
        self.inner.open.fetch_add(1, Ordering::SeqCst);
        Subscriber {
            rx,
            shared,
            limit,
            finished: false,
            open: self.inner.open.clone(),
        }
    }
}

/// Puts an event on the hub for this process's subscribers.
pub(super) fn deliver(hub: &broadcast::Sender<Event>, event: Event) {
    // no receiver at all is fine: nobody subscribes
    let _ = hub.send(event);
}
