//! Starting and stopping: migrate, optionally seed, bind, serve until SIGTERM or Ctrl-C, and
//! let in-flight requests finish.

use std::net::SocketAddr;

use migration::{Migrator, MigratorTrait};
use tokio::net::TcpListener;

use crate::app::build_app;
use crate::state::AppState;

/// Applies every pending migration.
pub async fn migrate(state: &AppState) -> anyhow::Result<()> {
    Migrator::up(&state.db, None)
        .await
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))
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
    let app = build_app(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("stopped");
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
