//! The command line: one binary, a few subcommands, every flag also read from the environment.
//!
//! Settings are taken as text here and checked in `config`, so that a bad value ends the
//! process with one line naming the setting instead of clap's usage dump.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "oms-gateway",
    version,
    about = "GraphQL gateway and InventoryHub REST compatibility layer for order management",
    long_about = None
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate (unless --no-migrate), then serve (the default command).
    Serve(ServeArgs),
    /// Apply, revert or inspect the schema migrations.
    Migrate {
        #[arg(value_enum, default_value_t = MigrateAction::Up)]
        action: MigrateAction,
        /// With `up`: also install the PostgreSQL triggers that announce every change of an
        /// order, item or payment to the subscriptions, whoever writes it (Django, plain SQL).
        #[arg(long, env = "OMS_WITH_TRIGGERS")]
        with_triggers: bool,
        /// With `down`: revert every migration and remove the triggers and `gateway_migrations`
        /// too (the legacy tables stay unless the gateway created them and Django has not
        /// taken them over).
        #[arg(long)]
        all: bool,
    },
    /// Load the demo data (idempotent).
    Seed,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Print an access token for a user (signed with OMS_JWT_SECRET, as the server's).
    Token {
        #[arg(long, env = "OMS_USERNAME")]
        username: String,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Load the demo data first and print ready access tokens for `admin` and `user`.
    #[arg(long, env = "OMS_DEMO")]
    pub demo: bool,
    /// Do not apply pending migrations before serving.
    #[arg(long, env = "OMS_NO_MIGRATE")]
    pub no_migrate: bool,
    /// Install the change triggers while migrating (see `migrate --with-triggers`).
    #[arg(long, env = "OMS_WITH_TRIGGERS")]
    pub with_triggers: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the last applied migration (`--all`: every one, and what the gateway added).
    Down,
    /// List the migrations and whether each is applied.
    Status,
    /// Drop every table of the database, then apply all migrations (destructive).
    Fresh,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password comes from --password, OMS_PASSWORD or standard input.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, env = "OMS_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Make the user staff (may do everything).
        #[arg(long)]
        staff: bool,
    },
}

/// Every setting of CONTRACT §2, as text; `config::Settings::from_args` checks them.
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// SQLite file or postgres:// URL.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://oms.db?mode=rwc"
    )]
    pub database_url: String,
    /// Listen address.
    #[arg(
        long,
        global = true,
        env = "OMS_BIND",
        default_value = "127.0.0.1:8000"
    )]
    pub bind: String,
    /// HS256 key of the tokens (the Django SECRET_KEY to share tokens with a legacy deployment).
    #[arg(long, global = true, env = "OMS_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Lifetime of access tokens (e.g. 15m, 1h).
    #[arg(
        long,
        global = true,
        env = "OMS_ACCESS_TOKEN_LIFETIME",
        default_value = "15m"
    )]
    pub access_token_lifetime: String,
    /// Lifetime of refresh tokens (e.g. 7d).
    #[arg(
        long,
        global = true,
        env = "OMS_REFRESH_TOKEN_LIFETIME",
        default_value = "7d"
    )]
    pub refresh_token_lifetime: String,
    /// `roles` (staff and customers) or `legacy` (any authenticated user may do anything).
    #[arg(long, global = true, env = "OMS_AUTHZ", default_value = "roles")]
    pub authz: String,
    /// `true`: reads need no token.
    #[arg(
        long,
        global = true,
        env = "OMS_ANONYMOUS_READ",
        default_value = "false"
    )]
    pub anonymous_read: String,
    /// Page size of REST lists; unset: bare arrays unless ?page= or ?page_size= is given.
    #[arg(long, global = true, env = "OMS_REST_PAGE_SIZE")]
    pub rest_page_size: Option<String>,
    /// Maximum depth of a GraphQL query.
    #[arg(long, global = true, env = "OMS_MAX_DEPTH", default_value = "15")]
    pub max_depth: String,
    /// Maximum complexity (cost) of a GraphQL query; a list costs its `first`/`last` times its selection.
    #[arg(
        long,
        global = true,
        env = "OMS_MAX_COMPLEXITY",
        default_value = "20000"
    )]
    pub max_complexity: String,
    /// Maximum number of aliased fields in one GraphQL document.
    #[arg(long, global = true, env = "OMS_MAX_ALIASES", default_value = "50")]
    pub max_aliases: String,
    /// Maximum number of fields selected in one GraphQL document.
    #[arg(long, global = true, env = "OMS_MAX_FIELDS", default_value = "500")]
    pub max_fields: String,
    /// Maximum size of a request body in bytes.
    #[arg(
        long,
        global = true,
        env = "OMS_MAX_BODY_BYTES",
        default_value = "1048576"
    )]
    pub max_body_bytes: String,
    /// Time a request may take before it is answered 408/503 (e.g. 30s).
    #[arg(
        long,
        global = true,
        env = "OMS_REQUEST_TIMEOUT",
        default_value = "30s"
    )]
    pub request_timeout: String,
    /// How long an `Idempotency-Key` / `idempotencyKey` is remembered (e.g. 24h).
    #[arg(
        long,
        global = true,
        env = "OMS_IDEMPOTENCY_TTL",
        default_value = "24h"
    )]
    pub idempotency_ttl: String,
    /// Origins allowed by CORS, comma-separated (none by default; `*` for any).
    #[arg(long, global = true, env = "OMS_CORS_ORIGINS", default_value = "")]
    pub cors_origins: String,
    /// Maximum number of database connections.
    #[arg(long, global = true, env = "OMS_DB_POOL_SIZE")]
    pub db_pool_size: Option<String>,
    /// PBKDF2 iterations for new password hashes (Django 5.2 uses 1000000).
    #[arg(
        long,
        global = true,
        env = "OMS_PASSWORD_ITERATIONS",
        default_value = "1000000"
    )]
    pub password_iterations: String,
    /// `pretty` or `json`.
    #[arg(long, global = true, env = "OMS_LOG_FORMAT", default_value = "pretty")]
    pub log_format: String,
    /// `on`: per-client rate limits (GraphQL by cost, REST by request count); `off` (default).
    #[arg(long, global = true, env = "OMS_RATE_LIMIT", default_value = "off")]
    pub rate_limit: String,
    /// Points in each client's GraphQL cost bucket (a request costs its complexity).
    #[arg(
        long,
        global = true,
        env = "OMS_GRAPHQL_COST_BUCKET",
        default_value = "20000"
    )]
    pub graphql_cost_bucket: String,
    /// Points restored to each client's GraphQL cost bucket per second.
    #[arg(
        long,
        global = true,
        env = "OMS_GRAPHQL_COST_RESTORE",
        default_value = "1000"
    )]
    pub graphql_cost_restore: String,
    /// REST requests (and token requests) each client may send per minute.
    #[arg(long, global = true, env = "OMS_REST_RATE", default_value = "600")]
    pub rest_rate: String,
    /// Redis holding the rate-limit buckets, shared by every replica (unset: in the process).
    #[arg(long, global = true, env = "OMS_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Prefix of the rate-limit keys in Redis.
    #[arg(
        long,
        global = true,
        env = "OMS_REDIS_PREFIX",
        default_value = "oms:ratelimit:"
    )]
    pub redis_prefix: String,
    /// Time a client may take to send a request's headers before its connection is closed.
    #[arg(long, global = true, env = "OMS_HEADER_TIMEOUT", default_value = "10s")]
    pub header_timeout: String,
    /// A trusted-documents manifest (JSON, document id -> document): only its operations run.
    #[arg(long, global = true, env = "OMS_TRUSTED_DOCUMENTS")]
    pub trusted_documents: Option<String>,
    /// `true`: with trusted documents, staff may still run any document (GraphiQL).
    #[arg(
        long,
        global = true,
        env = "OMS_TRUSTED_DOCUMENTS_STAFF_ANY",
        default_value = "false"
    )]
    pub trusted_documents_staff_any: String,
}
