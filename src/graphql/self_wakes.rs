//! Runs a future without handing the runtime the wake-ups it gives itself while it is polled.
//!
//! async-graphql resolves the fields of an object in a `FuturesUnordered`, which, whenever a
//! field is still waiting (for the database), wakes its own task and returns `Pending` ("yield
//! to avoid starving other tasks"). Tokio reschedules such a task at the back of the run queue
//! and wakes another worker thread to steal it: for a page of orders that was ten futex calls
//! and as many context switches per request, and the request's task moving between cores,
//! while nothing had happened but the wait itself. [`AbsorbSelfWakes`] polls the future again
//! at once when it woke itself during the poll (at most [`REPOLLS`] times in a row, so that a
//! future that really yields, e.g. on Tokio's cooperative budget, still yields), and forwards
//! every other wake-up (the database answering) to the task.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

/// Polls in a row for a future that keeps waking itself, before its wake goes to the runtime.
pub const REPOLLS: usize = 16;

const IDLE: u8 = 0;
const POLLING: u8 = 1;
const WOKEN_WHILE_POLLING: u8 = 2;

/// `future`, polled with its own wake-ups absorbed (see the module's doc).
pub fn absorb_self_wakes<F: Future>(future: F) -> AbsorbSelfWakes<F> {
    let shared = Arc::new(Shared {
        state: AtomicU8::new(IDLE),
        task: AtomicWaker::new(),
    });
    AbsorbSelfWakes {
        future: Box::pin(future),
        waker: Waker::from(Arc::clone(&shared)),
        shared,
    }
}

/// The future of [`absorb_self_wakes`].
pub struct AbsorbSelfWakes<F> {
    future: Pin<Box<F>>,
    shared: Arc<Shared>,
    waker: Waker,
}

struct Shared {
    state: AtomicU8,
    /// The waker of the task polling us, for the wake-ups from elsewhere.
    task: AtomicWaker,
}

impl Wake for Shared {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // during a poll: only noted (the poll loop sees it); otherwise: the task's wake-up
        match self.state.compare_exchange(
            POLLING,
            WOKEN_WHILE_POLLING,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) | Err(WOKEN_WHILE_POLLING) => {}
            Err(_) => self.task.wake(),
        }
    }
}

impl<F: Future> Future for AbsorbSelfWakes<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        this.shared.task.register(cx.waker());
        for _ in 0..REPOLLS {
            this.shared.state.store(POLLING, Ordering::Release);
            let mut inner = Context::from_waker(&this.waker);
            if let Poll::Ready(output) = this.future.as_mut().poll(&mut inner) {
                this.shared.state.store(IDLE, Ordering::Release);
                return Poll::Ready(output);
            }
            // no wake-up during the poll: wait for one from elsewhere
            if this
                .shared
                .state
                .compare_exchange(POLLING, IDLE, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return Poll::Pending;
            }
        }
        // it keeps yielding: let the runtime run something else first
        this.shared.state.store(IDLE, Ordering::Release);
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Pending `yields` times, waking itself each time, then ready.
    struct Yielding {
        yields: usize,
    }

    impl Future for Yielding {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.yields == 0 {
                return Poll::Ready(());
            }
            self.yields -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    /// Counts the wake-ups the task receives.
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll_once<F: Future>(f: &mut AbsorbSelfWakes<F>, counter: &Arc<Counter>) -> Poll<F::Output> {
        let waker = Waker::from(Arc::clone(counter));
        Pin::new(f).poll(&mut Context::from_waker(&waker))
    }

    #[test]
    fn self_wakes_are_polled_again_at_once() {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let mut f = absorb_self_wakes(Yielding { yields: 5 });
        assert!(poll_once(&mut f, &counter).is_ready());
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_future_that_keeps_yielding_still_yields() {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let mut f = absorb_self_wakes(Yielding {
            yields: REPOLLS + 3,
        });
        assert!(poll_once(&mut f, &counter).is_pending());
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "the task is woken");
        assert!(poll_once(&mut f, &counter).is_ready());
    }

    #[tokio::test]
    async fn wakes_from_elsewhere_reach_the_task() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let waiting = tokio::spawn(absorb_self_wakes(async move { rx.await.unwrap() + 1 }));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        tx.send(41).unwrap();
        let answer = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("woken")
            .unwrap();
        assert_eq!(answer, 42);
    }
}
