//! Checked settings: what `cli::SettingsArgs` holds as text, parsed once at start-up.
//!
//! Every refusal names the setting (its environment variable and its flag), so a bad value
//! ends the process with one clear line.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::SettingsArgs;
use crate::graphql::trusted::TrustedDocuments;

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

fn bad(
    env: &'static str,
    flag: &'static str,
    value: &str,
    reason: impl Into<String>,
) -> ConfigError {
    ConfigError {
        env,
        flag,
        value: value.to_owned(),
        reason: reason.into(),
    }
}

impl Settings {
    pub fn from_args(a: &SettingsArgs) -> Result<Settings, ConfigError> {
        let database_url = check_database_url(&a.database_url)?;
        let bind = a.bind.parse::<SocketAddr>().map_err(|_| {
            bad(
                "OMS_BIND",
                "bind",
                &a.bind,
                "expected an address such as 127.0.0.1:8000",
            )
        })?;
        let jwt_secret = match a.jwt_secret.as_deref() {
            Some(s) if !s.is_empty() => JwtSecret::Configured(s.to_owned()),
            _ => JwtSecret::Ephemeral(random_secret()),
        };
        let access_token_lifetime = lifetime(
            "OMS_ACCESS_TOKEN_LIFETIME",
            "access-token-lifetime",
            &a.access_token_lifetime,
        )?;
        let refresh_token_lifetime = lifetime(
            "OMS_REFRESH_TOKEN_LIFETIME",
            "refresh-token-lifetime",
            &a.refresh_token_lifetime,
        )?;
        let authz = match a.authz.trim().to_ascii_lowercase().as_str() {
            "roles" => AuthzMode::Roles,
            "legacy" => AuthzMode::Legacy,
            _ => {
                return Err(bad(
                    "OMS_AUTHZ",
                    "authz",
                    &a.authz,
                    "expected `roles` or `legacy`",
                ));
            }
        };
        let anonymous_read = boolean("OMS_ANONYMOUS_READ", "anonymous-read", &a.anonymous_read)?;
        let rest_page_size = match a.rest_page_size.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v) => Some(
                v.parse::<u64>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        bad(
                            "OMS_REST_PAGE_SIZE",
                            "rest-page-size",
                            v,
                            "expected a number from 1 to 1000",
                        )
                    })?,
            ),
        };
        let max_depth = positive("OMS_MAX_DEPTH", "max-depth", &a.max_depth)?;
        let max_complexity = positive("OMS_MAX_COMPLEXITY", "max-complexity", &a.max_complexity)?;
        let max_aliases = positive("OMS_MAX_ALIASES", "max-aliases", &a.max_aliases)?;
        let max_fields = positive("OMS_MAX_FIELDS", "max-fields", &a.max_fields)?;
        let max_body_bytes = positive("OMS_MAX_BODY_BYTES", "max-body-bytes", &a.max_body_bytes)?;
        let request_timeout =
            lifetime("OMS_REQUEST_TIMEOUT", "request-timeout", &a.request_timeout)?;
        let idempotency_ttl =
            lifetime("OMS_IDEMPOTENCY_TTL", "idempotency-ttl", &a.idempotency_ttl)?;
        let cors_origins = a
            .cors_origins
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|origin| {
                if origin == "*" || url::Url::parse(origin).is_ok_and(|u| u.has_host()) {
                    Ok(origin.trim_end_matches('/').to_owned())
                } else {
                    Err(bad(
                        "OMS_CORS_ORIGINS",
                        "cors-origins",
                        origin,
                        "expected origins such as https://app.example.com, comma-separated",
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let db_pool_size = match a.db_pool_size.as_deref() {
            None | Some("") => None,
            Some(v) => Some(positive("OMS_DB_POOL_SIZE", "db-pool-size", v)? as u32),
        };
        let password_iterations = positive(
            "OMS_PASSWORD_ITERATIONS",
            "password-iterations",
            &a.password_iterations,
        )? as u32;
        let log_format = match a.log_format.trim().to_ascii_lowercase().as_str() {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            _ => {
                return Err(bad(
                    "OMS_LOG_FORMAT",
                    "log-format",
                    &a.log_format,
                    "expected `pretty` or `json`",
                ));
            }
        };
        let rate_limit = RateLimitSettings {
            enabled: boolean("OMS_RATE_LIMIT", "rate-limit", &a.rate_limit)?,
            graphql_bucket: positive(
                "OMS_GRAPHQL_COST_BUCKET",
                "graphql-cost-bucket",
                &a.graphql_cost_bucket,
            )? as u64,
            graphql_restore: positive(
                "OMS_GRAPHQL_COST_RESTORE",
                "graphql-cost-restore",
                &a.graphql_cost_restore,
            )? as u64,
            rest_per_minute: positive("OMS_REST_RATE", "rest-rate", &a.rest_rate)? as u64,
            redis_url: match a.redis_url.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(v) => match url::Url::parse(v) {
                    Ok(u) if u.scheme() == "redis" => Some(v.to_owned()),
                    _ => {
                        return Err(bad(
                            "OMS_REDIS_URL",
                            "redis-url",
                            &redact_url(v),
                            "expected redis://HOST:PORT[/DB]",
                        ));
                    }
                },
            },
            redis_prefix: a.redis_prefix.clone(),
        };
        let header_timeout = lifetime("OMS_HEADER_TIMEOUT", "header-timeout", &a.header_timeout)?;
        let trusted_documents = match a.trusted_documents.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(path) => Some(Arc::new(TrustedDocuments::load(path).map_err(
                |reason| bad("OMS_TRUSTED_DOCUMENTS", "trusted-documents", path, reason),
            )?)),
        };
        let trusted_documents_staff_any = boolean(
            "OMS_TRUSTED_DOCUMENTS_STAFF_ANY",
            "trusted-documents-staff-any",
            &a.trusted_documents_staff_any,
        )?;
        Ok(Settings {
            database_url,
            bind,
            jwt_secret,
            access_token_lifetime,
            refresh_token_lifetime,
            authz,
            anonymous_read,
            rest_page_size,
            max_depth,
            max_complexity,
            max_aliases,
            max_fields,
            max_body_bytes,
            request_timeout,
            idempotency_ttl,
            cors_origins,
            db_pool_size,
            password_iterations,
            log_format,
            rate_limit,
            header_timeout,
            trusted_documents,
            trusted_documents_staff_any,
        })
    }

    /// Settings for tests and tools: every default, on the given database.
    pub fn for_database(database_url: &str) -> Settings {
        use clap::Parser;
        let cli = crate::cli::Cli::parse_from(["oms-gateway", "--database-url", database_url]);
        Settings::from_args(&cli.settings).expect("default settings are valid")
    }
}

fn check_database_url(raw: &str) -> Result<String, ConfigError> {
    let refuse = |reason: &str| bad("DATABASE_URL", "database-url", &redact_url(raw), reason);
    let parsed = url::Url::parse(raw).map_err(|e| refuse(&format!("not a URL ({e})")))?;
    match parsed.scheme() {
        "sqlite" => Ok(raw.to_owned()),
        "postgres" | "postgresql" => {
            if parsed.host_str().is_none_or(str::is_empty) && !raw.contains("host=") {
                return Err(refuse("a postgres URL needs a host"));
            }
            Ok(raw.to_owned())
        }
        other => Err(refuse(&format!(
            "unsupported scheme `{other}`: use sqlite://FILE or postgres://USER@HOST/DB"
        ))),
    }
}

/// The URL with its password replaced, for messages and logs. Works on the text, so that URLs
/// the parser refuses or cannot rewrite (no host, a bad port) are redacted too.
pub fn redact_url(raw: &str) -> String {
    let Some(scheme_end) = raw.find("://") else {
        return raw.to_owned();
    };
    let start = scheme_end + 3;
    let rest = &raw[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let Some(at) = authority.rfind('@') else {
        return raw.to_owned();
    };
    let Some(colon) = authority[..at].find(':') else {
        return raw.to_owned();
    };
    format!("{}:***{}", &raw[..start + colon], &raw[start + at..])
}

fn lifetime(env: &'static str, flag: &'static str, raw: &str) -> Result<Duration, ConfigError> {
    let v = raw.trim();
    let parsed = if v.chars().all(|c| c.is_ascii_digit()) && !v.is_empty() {
        v.parse::<u64>().ok().map(Duration::from_secs)
    } else {
        humantime::parse_duration(v).ok()
    };
    match parsed {
        Some(d) if d >= Duration::from_secs(1) && d <= Duration::from_secs(10 * 365 * 86400) => {
            Ok(d)
        }
        Some(_) => Err(bad(env, flag, raw, "must be between 1s and 10 years")),
        None => Err(bad(
            env,
            flag,
            raw,
            "expected a duration such as 30s, 15m, 1h or 7d",
        )),
    }
}

fn boolean(env: &'static str, flag: &'static str, raw: &str) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(bad(env, flag, raw, "expected true or false")),
    }
}

fn positive(env: &'static str, flag: &'static str, raw: &str) -> Result<usize, ConfigError> {
    raw.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0 && *n <= u32::MAX as usize)
        .ok_or_else(|| bad(env, flag, raw, "expected a positive whole number"))
}

fn random_secret() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<Settings, ConfigError> {
        let mut argv = vec!["oms-gateway"];
        argv.extend_from_slice(args);
        let cli = crate::cli::Cli::try_parse_from(argv).unwrap();
        Settings::from_args(&cli.settings)
    }

    #[test]
    fn defaults_are_valid() {
        let s = parse(&[]).unwrap();
        assert_eq!(s.access_token_lifetime, Duration::from_secs(900));
        assert_eq!(s.refresh_token_lifetime, Duration::from_secs(7 * 86400));
        assert_eq!(s.authz, AuthzMode::Roles);
        assert!(!s.anonymous_read);
        assert!(s.cors_origins.is_empty());
        assert_eq!(s.idempotency_ttl, Duration::from_secs(86400));
        assert!(matches!(s.jwt_secret, JwtSecret::Ephemeral(_)));
        assert!(
            !s.rate_limit.enabled,
            "rate limits are off unless asked for"
        );
        assert_eq!(s.header_timeout, Duration::from_secs(10));
        assert!(
            s.trusted_documents.is_none(),
            "every document runs unless asked"
        );
        assert!(!s.trusted_documents_staff_any);
    }

    #[test]
    fn bad_values_name_their_setting() {
        let e = parse(&["--access-token-lifetime", "soon"]).unwrap_err();
        assert_eq!(e.env, "OMS_ACCESS_TOKEN_LIFETIME");
        assert!(e.to_string().contains("OMS_ACCESS_TOKEN_LIFETIME"));
        let e = parse(&["--database-url", "mysql://x/y"]).unwrap_err();
        assert_eq!(e.env, "DATABASE_URL");
        let e = parse(&["--database-url", "not a url"]).unwrap_err();
        assert_eq!(e.env, "DATABASE_URL");
        assert_eq!(parse(&["--authz", "admin"]).unwrap_err().env, "OMS_AUTHZ");
        assert_eq!(parse(&["--bind", "localhost"]).unwrap_err().env, "OMS_BIND");
        assert_eq!(
            parse(&["--rest-page-size", "0"]).unwrap_err().env,
            "OMS_REST_PAGE_SIZE"
        );
        assert_eq!(
            parse(&["--rate-limit", "maybe"]).unwrap_err().env,
            "OMS_RATE_LIMIT"
        );
        assert_eq!(
            parse(&["--redis-url", "http://cache:6379"])
                .unwrap_err()
                .env,
            "OMS_REDIS_URL"
        );
        assert_eq!(
            parse(&["--graphql-cost-bucket", "0"]).unwrap_err().env,
            "OMS_GRAPHQL_COST_BUCKET"
        );
        assert_eq!(
            parse(&["--header-timeout", "soon"]).unwrap_err().env,
            "OMS_HEADER_TIMEOUT"
        );
        assert_eq!(
            parse(&["--trusted-documents-staff-any", "maybe"])
                .unwrap_err()
                .env,
            "OMS_TRUSTED_DOCUMENTS_STAFF_ANY"
        );
    }

    #[test]
    fn passwords_never_appear_in_messages() {
        let e = parse(&["--database-url", "postgres://u:hunter2@/db"]).unwrap_err();
        assert!(!e.to_string().contains("hunter2"));
        assert_eq!(
            redact_url("postgres://oms:hunter2@db:5432/oms?sslmode=require"),
            "postgres://oms:***@db:5432/oms?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://u:p@ss@db/x"),
            "postgres://u:***@db/x"
        );
        assert_eq!(
            redact_url("postgres://u:hunter2@db:port/x"),
            "postgres://u:***@db:port/x"
        );
        assert_eq!(redact_url("postgres://u@db/x"), "postgres://u@db/x");
        assert_eq!(
            redact_url("sqlite://oms.db?mode=rwc"),
            "sqlite://oms.db?mode=rwc"
        );
    }
}
