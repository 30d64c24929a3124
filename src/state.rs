//! `AppState`: what every handler and resolver shares (database, settings, token keys, event
//! bus, statement counter). Cheap to clone: every field is a handle.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::TokenKeys;
use crate::auth::blacklist::Blacklist;
use crate::auth::pending::LastScopes;
use crate::config::Settings;
use crate::db::{self, ConnectError, SqlCounter};
use crate::events::EventBus;
use crate::ratelimit::RateLimiter;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub tokens: Arc<TokenKeys>,
    pub events: EventBus,
    /// SQL statements sent by this instance (tests read it around a request).
    pub sql: SqlCounter,
    /// Per-client rate limits (`OMS_RATE_LIMIT`).
    pub limiter: RateLimiter,
    /// Where used refresh tokens are recorded (the gateway's table or SimpleJWT's).
    pub blacklist: Blacklist,
    /// The read scope of each user's last lookup, which reads that look their caller up in
    /// their own statement assume (`auth::riding`).
    pub scopes: Arc<LastScopes>,
}

impl AppState {
    /// Connects to the database of `settings` and assembles the state (on PostgreSQL with the
    /// LISTEN/NOTIFY event transport, listening before this returns).
    pub async fn connect(settings: Settings) -> Result<AppState, ConnectError> {
        let sql = SqlCounter::default();
        let db = db::connect(&settings, sql.clone()).await?;
        let events = EventBus::connect(&settings).await?;
        Ok(AppState::assemble(db, settings, sql, events))
    }

    fn assemble(
        db: DatabaseConnection,
        settings: Settings,
        sql: SqlCounter,
        events: EventBus,
    ) -> AppState {
        let tokens = Arc::new(TokenKeys::from_settings(&settings));
        let limiter = RateLimiter::new(&settings.rate_limit);
        AppState {
            db,
            settings: Arc::new(settings),
            tokens,
            events,
            sql,
            limiter,
            blacklist: Blacklist::default(),
            scopes: Arc::default(),
        }
    }
}
