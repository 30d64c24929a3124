//! Logs and metrics: the tracing subscriber (pretty or JSON), the Prometheus recorder, and the
//! middleware that counts requests by route and status and times them.
//!
//! Request logs carry method, route, status and latency: never headers, bodies or query
//! strings, so tokens and passwords cannot reach them.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global tracing subscriber (once; later calls are ignored).
pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info"))
        // statements and their parameters stay out of the logs whatever RUST_LOG says
        .add_directive("sqlx=warn".parse().expect("static directive"))
        .add_directive("sea_orm=warn".parse().expect("static directive"));
    // colours only for a terminal: a file or a journal gets plain text (and each line costs
    // about half the formatting: the escape codes were written around every field)
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// How often the recorder's pending histogram samples are folded into its buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process-wide Prometheus recorder (installed on first use), kept up by a thread of its
/// own: the recorder holds every recorded histogram sample until a scrape or an upkeep folds
/// it into the buckets, and `build_recorder` (unlike the exporter's own listener) starts no
/// upkeep; with `/metrics` never scraped the samples grew by the request (measured: the
/// gateway's resident memory rose by about 6 MiB over one benchmark run, BENCHMARKS.md).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(
                        "oms_http_request_duration_seconds".to_owned(),
                    ),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        5.0, 10.0,
                    ],
                )
                .expect("valid buckets")
                .build_recorder();
            let handle = recorder.handle();
            // a second installation (another app in the same process) keeps the first recorder
            let _ = metrics::set_global_recorder(recorder);
            let kept = handle.clone();
            // a thread, not a task: the recorder outlives any one runtime (tests start many)
            let upkeep = std::thread::Builder::new()
                .name("metrics-upkeep".to_owned())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_EVERY);
                        kept.run_upkeep();
                    }
                });
            if let Err(e) = upkeep {
                tracing::warn!(error = %e, "no metrics upkeep thread: histograms grow until scraped");
            }
            handle
        })
        .clone()
}

/// Counts and times every request by route template (`/api/erp/oms/orders/{id}/`), method and
/// status, and logs one line per request.
pub async fn track_requests(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().clone();
    let response = next.run(req).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let labels = [
        ("route", route.clone()),
        ("method", method.to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!("oms_http_requests_total", &labels).increment(1);
    metrics::histogram!("oms_http_request_duration_seconds", "route" => route.clone())
        .record(elapsed.as_secs_f64());
    if status >= 500 {
        tracing::warn!(%method, %route, status, latency_ms = elapsed.as_millis() as u64, "request");
    } else {
        tracing::info!(%method, %route, status, latency_ms = elapsed.as_millis() as u64, "request");
    }
    response
}
