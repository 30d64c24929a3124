//! Starting and stopping: migrate, optionally seed, bind, serve until SIGTERM or Ctrl-C, and
//! let in-flight requests finish.

use std::net::SocketAddr;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use migration::{Migrator, MigratorTrait};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::Service;

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
    let header_timeout = state.settings.header_timeout;
    let app = build_app(state);
    serve_router(listener, app, header_timeout, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the connections finish
/// their requests. As `axum::serve` (HTTP/1 and HTTP/2, upgrades for WebSockets,
/// `ConnectInfo<SocketAddr>`), and a client that has not sent a request's headers within
/// `header_timeout` (a slowloris) is disconnected.
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
            if !first_bytes(&stream, header_timeout).await {
                drop(open);
                return;
            }
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            builder.http2().enable_connect_protocol();
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
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

/// Waits until the client has sent enough to tell HTTP/1 from HTTP/2 (hyper's detection has no
/// timeout of its own): false when it sends nothing useful within `timeout` or hangs up.
async fn first_bytes(stream: &tokio::net::TcpStream, timeout: Duration) -> bool {
    const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = [0u8; 24];
    loop {
        match tokio::time::timeout_at(deadline, stream.peek(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return false,
            Ok(Ok(n)) if n >= H2_PREFACE.len() || buf[..n] != H2_PREFACE[..n] => return true,
            // a beginning of the HTTP/2 preface: wait for the rest
            Ok(Ok(_)) => {
                if tokio::time::timeout_at(deadline, tokio::time::sleep(Duration::from_millis(10)))
                    .await
                    .is_err()
                {
                    return false;
                }
            }
        }
    }
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
