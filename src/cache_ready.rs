//! Cache readiness that any number of tasks may wait for or check.
//!
//! kube-runtime 5's `Store::wait_until_ready` sits on a oneshot receiver, which keeps
//! one waker: of several tasks waiting at once only the one that polled last is
//! woken when the first list arrives, the others wait forever, and a `now_or_never`
//! check swaps a real waiter's waker for a no-op one. (That stalled the manager: a
//! reconcile that waited for the policy cache never returned, and the controller held
//! every later change of that job behind it.) So a store gets exactly one waiter, a
//! task of its own, which publishes the outcome on a watch channel for everyone else.
//!
//! A `Controller` already waits on its own store; never wrap `Controller::store()`.

use kube::runtime::reflector::Store;
use tokio::sync::watch;

/// Whether a reflector store has had its first complete list.
#[derive(Clone, Debug)]
/// `None` until the one waiter hears; then whether the list came (`false`: the
/// store's writer was dropped first, i.e. its watch ended).
pub struct CacheReady(watch::Receiver<Option<bool>>);

impl CacheReady {
    /// Start the one waiter of `store` on the current tokio runtime.
    pub fn of<K>(store: &Store<K>) -> Self
    where
        K: kube::Resource + Clone + Send + Sync + 'static,
        K::DynamicType: std::hash::Hash + Eq + Clone + Send + Sync,
    {
        let store = store.clone();
        let (tx, rx) = watch::channel(None);
        tokio::spawn(async move {
            let listed = store.wait_until_ready().await.is_ok();
            let _ = tx.send(Some(listed));
        });
        Self(rx)
    }

    /// The first list is in (false while it is not, or if the watch ended before it).
    pub fn is_ready(&self) -> bool {
        *self.0.borrow() == Some(true)
    }

    /// Resolves once the first list is in (true) or the store's watch ended before
    /// it (false).
    pub async fn wait(&self) -> bool {
        let mut rx = self.0.clone();
        // Err: the waiter task is gone without a word, only if the runtime shuts down.
        rx.wait_for(Option::is_some)
            .await
            .is_ok_and(|listed| *listed == Some(true))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::runtime::reflector::store;
    use kube::runtime::watcher::Event;

    use super::*;

    const LONG_ENOUGH: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn every_waiter_is_woken_by_the_first_list() {
        let (reader, mut writer) = store::<ConfigMap>();
        let ready = CacheReady::of(&reader);
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let ready = ready.clone();
                tokio::spawn(async move { ready.wait().await })
            })
            .collect();
        tokio::task::yield_now().await;
        assert!(!ready.is_ready());
        writer.apply_watcher_event(&Event::Init);
        writer.apply_watcher_event(&Event::InitDone);
        for w in waiters {
            let woke = tokio::time::timeout(LONG_ENOUGH, w).await;
            assert!(matches!(woke, Ok(Ok(true))), "a waiter was not woken");
        }
        assert!(ready.is_ready());
    }

    #[tokio::test]
    async fn a_dropped_writer_is_reported_not_waited_for() {
        let (reader, writer) = store::<ConfigMap>();
        let ready = CacheReady::of(&reader);
        drop(writer);
        let outcome = tokio::time::timeout(LONG_ENOUGH, ready.wait()).await;
        assert!(matches!(outcome, Ok(false)));
        assert!(!ready.is_ready());
    }

    /// Why this module exists. When kube-runtime wakes every waiter itself this test
    /// fails, and `CacheReady` can go.
    #[tokio::test]
    async fn kube_wakes_only_the_last_of_two_waiters() {
        let (reader, mut writer) = store::<ConfigMap>();
        let first = {
            let reader = reader.clone();
            tokio::spawn(async move { reader.wait_until_ready().await })
        };
        tokio::task::yield_now().await;
        let second = {
            let reader = reader.clone();
            tokio::spawn(async move { reader.wait_until_ready().await })
        };
        tokio::task::yield_now().await;
        writer.apply_watcher_event(&Event::Init);
        writer.apply_watcher_event(&Event::InitDone);
        assert!(tokio::time::timeout(LONG_ENOUGH, second).await.is_ok());
        assert!(
            tokio::time::timeout(Duration::from_millis(500), first)
                .await
                .is_err(),
            "kube-runtime woke the first waiter too: CacheReady is no longer needed"
        );
    }
}
