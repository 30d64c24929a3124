//! `Settings::from_args`: every setting read and checked from `cli::SettingsArgs`' text.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::cli::SettingsArgs;
use crate::config::TrustedDocuments;
use crate::config::values::{
    bad, boolean, check_database_url, lifetime, positive, random_secret, redact_url,
};
use crate::config::{AuthzMode, ConfigError, JwtSecret, LogFormat, RateLimitSettings, Settings};

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::time::Duration;

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
