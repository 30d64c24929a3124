//! Writing to a client that may stop reading: [`StallGuard`] gives up on a frame that cannot be
//! written for a while, so that a vanished client holds nothing for long.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Sink;
use tokio::time::Sleep;

/// A sink that fails when a frame cannot be written for `timeout` (a client that stopped
/// reading with full socket buffers), so that the connection is given up instead of held.
pub struct StallGuard<S> {
    inner: S,
    timeout: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> StallGuard<S> {
    pub fn new(inner: S, timeout: Duration) -> Self {
        StallGuard {
            inner,
            timeout,
            stalled: None,
        }
    }

    fn wait(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
        let timeout = self.timeout;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                metrics::counter!("oms_ws_stalled_total").increment(1);
                tracing::warn!(
                    timeout_s = timeout.as_secs_f64(),
                    "a WebSocket client stopped reading; closing its connection"
                );
                Poll::Ready(Err(axum::Error::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the client stopped reading",
                ))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn progress<T>(&mut self, polled: Poll<T>, cx: &mut Context<'_>) -> Poll<T>
    where
        T: From<Result<(), axum::Error>>,
    {
        match polled {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => match self.wait(cx) {
                Poll::Ready(e) => Poll::Ready(e.into()),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl<S, I> Sink<I> for StallGuard<S>
where
    S: Sink<I, Error = axum::Error> + Unpin,
{
    type Error = axum::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_ready(cx);
        this.progress(polled, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: I) -> Result<(), Self::Error> {
        Pin::new(&mut self.get_mut().inner).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.progress(polled, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_close(cx);
        this.progress(polled, cx)
    }
}

/// Runs `f` when dropped.
pub fn scopeguard(f: impl FnOnce()) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::ws::Message;
    use futures_util::SinkExt;

    /// A sink that never accepts anything.
    struct Stuck;

    impl Sink<Message> for Stuck {
        type Error = axum::Error;
        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Pending
        }
        fn start_send(self: Pin<&mut Self>, _: Message) -> Result<(), Self::Error> {
            Ok(())
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Pending
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_stalled_send_fails_after_the_timeout() {
        let mut sink = StallGuard::new(Stuck, Duration::from_millis(50));
        let sent =
            tokio::time::timeout(Duration::from_secs(5), sink.send(Message::Text("x".into())))
                .await;
        assert!(matches!(sent, Ok(Err(_))));
    }
}
