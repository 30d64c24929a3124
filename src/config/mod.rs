//! Checked settings: what `cli::SettingsArgs` holds as text, parsed once at start-up.
//!
//! Every refusal names the setting (its environment variable and its flag), so a bad value
//! ends the process with one clear line.
//!
//! Here: the settings' types; `load` reads them all from the command line's text
//! (`Settings::from_args`), `values` parses one value of each kind.

mod load;
pub(crate) mod trusted_documents;
mod values;

pub use trusted_documents::TrustedDocuments;
pub use values::redact_url;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How permissions are decided (CONTRACT §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthzMode {
    /// Staff may do everything; customers see and touch only their own orders.
    Roles,
    /// As the original application: any authenticated user may do anything.
    Legacy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Where the JWT signing key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtSecret {
    Configured(String),
    /// Random per process: tokens die with the process.
    Ephemeral(String),
}

impl JwtSecret {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            JwtSecret::Configured(s) | JwtSecret::Ephemeral(s) => s.as_bytes(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: SocketAddr,
    pub jwt_secret: JwtSecret,
    pub access_token_lifetime: Duration,
    pub refresh_token_lifetime: Duration,
    pub authz: AuthzMode,
    pub anonymous_read: bool,
    pub rest_page_size: Option<u64>,
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_fields: usize,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    /// How long an idempotency key is remembered; older keys count as new.
    pub idempotency_ttl: Duration,
    pub cors_origins: Vec<String>,
    pub db_pool_size: Option<u32>,
    pub password_iterations: u32,
    pub log_format: LogFormat,
    pub rate_limit: RateLimitSettings,
    /// Longest a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// `OMS_TRUSTED_DOCUMENTS`: when set, only these documents run.
    pub trusted_documents: Option<Arc<TrustedDocuments>>,
    /// Staff may run any document even so (GraphiQL).
    pub trusted_documents_staff_any: bool,
}

/// Per-client rate limits (`OMS_RATE_LIMIT` and its companions).
#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    pub enabled: bool,
    /// Points of a client's GraphQL cost bucket.
    pub graphql_bucket: u64,
    /// Points restored per second.
    pub graphql_restore: u64,
    /// REST requests per minute.
    pub rest_per_minute: u64,
    pub redis_url: Option<String>,
    pub redis_prefix: String,
}

/// A setting that could not be used; `Display` is the one line printed before exiting.
#[derive(Debug, thiserror::Error)]
#[error("invalid {env} (--{flag}) {value:?}: {reason}")]
pub struct ConfigError {
    pub env: &'static str,
    pub flag: &'static str,
    pub value: String,
    pub reason: String,
}
