//! Starting and stopping: migrate, look at what the database holds beside the gateway (which
//! refresh-token blacklist, whether change triggers are installed), bind, serve until SIGTERM
//! or Ctrl-C with the maintenance task running, and let in-flight requests finish.

use std::net::SocketAddr;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::Service;

use crate::app::build_app;
use crate::state::AppState;

/// Applies every pending migration (on PostgreSQL the gateway's indexes are built
/// concurrently), then [`inspect`]s the database.
pub async fn migrate(state: &AppState) -> anyhow::Result<()> {
    migrate_with(state, false).await.map(|_| ())
}

/// [`migrate`], installing the change triggers too when `with_triggers`.
pub async fn migrate_with(
    state: &AppState,
    with_triggers: bool,
) -> anyhow::Result<migration::UpReport> {
    let report = migration::up(&state.db, with_triggers)
        .await
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    inspect(state).await?;
    Ok(report)
}

/// Detects, and logs once, what the database holds beside the gateway's own tables: SimpleJWT's
/// blacklist tables (then used for refresh tokens) and the change triggers (then the gateway
/// sends no NOTIFY of its own).
pub async fn inspect(state: &AppState) -> anyhow::Result<()> {
    state
        .blacklist
        .store(&state.db)
        .await
        .map_err(|e| anyhow::anyhow!("cannot inspect the database: {e}"))?;
    state
        .events
        .detect_triggers(&state.db)
        .await
        .map_err(|e| anyhow::anyhow!("cannot inspect the database: {e}"))?;
    Ok(())
}

/// How often expired refresh-token blacklist entries are purged (and once at start).
pub const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// The background maintenance of a serving process, at once and then every `every`: purges
/// the expired blacklist entries (so the blacklist tables stop growing) and looks again
/// whether the change triggers are installed (so that installing or removing them while the
/// process runs neither doubles nor loses events for long). Stops when aborted.
pub fn start_maintenance(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = crate::auth::service::purge_blacklist(&state).await {
                tracing::warn!(error = ?e, "purging the refresh-token blacklist failed; retrying later");
            }
            if let Err(e) = state.events.detect_triggers(&state.db).await {
                tracing::warn!(error = %e, "looking for the change triggers failed; retrying later");
            }
        }
    })
}

/// Binds `addr` (port 0 picks a free port) and returns the listener and its real address.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on OMS_BIND {addr}: {e}"))?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Serves until a shutdown signal, then drains in-flight requests.
pub async fn serve(state: AppState, listener: TcpListener) -> anyhow::Result<()> {
    let header_timeout = state.settings.header_timeout;
    let maintenance = start_maintenance(state.clone(), PURGE_EVERY);
    let app = build_app(state);
    let served = serve_router(listener, app, header_timeout, shutdown_signal()).await;
    maintenance.abort();
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the connections finish
/// their requests. As `axum::serve` (HTTP/1.1, upgrades for WebSockets,
/// `ConnectInfo<SocketAddr>`), and a client that has not sent a request's headers within
/// `header_timeout` (a slowloris, or a kept-alive connection left idle) is disconnected.
pub async fn serve_router(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(());
    let (open_tx, open_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // out of file descriptors and the like: wait a moment, keep serving
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().call(request.map(Body::new))
        });
        let mut stop = stop_rx.clone();
        let open = open_rx.clone();
        tokio::spawn(async move {
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.as_mut().await;
                }
            }
            drop(open);
        });
    }
    drop(listener);
    drop(open_rx);
    let _ = stop_tx.send(());
    // every connection task holds a receiver: wait until they are all gone
    open_tx.closed().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received: finishing in-flight requests");
}
