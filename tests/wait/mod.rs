//! Bounded polling, shared by every test helper module: check a condition every
//! [`EVERY`] until it holds or a deadline passes. Included by each `*_support` module with
//! `#[path = "../wait/mod.rs"] mod wait;` (each test crate compiles its own copy).
#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

/// How often a condition is checked.
pub const EVERY: Duration = Duration::from_millis(10);

/// Runs `check` every [`EVERY`] until it yields `Some`, for at most `limit` (checked once
/// more at the deadline); `None` when it never did.
pub async fn poll_within<T, F, Fut>(limit: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        actix_rt::time::sleep(EVERY).await;
    }
}

/// Whether `check` holds within `limit`.
pub async fn holds_within(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    poll_within(limit, || std::future::ready(check().then_some(())))
        .await
        .is_some()
}

/// Like [`poll_within`], but panics naming `what` when `limit` passes.
pub async fn until<T, F, Fut>(what: &str, limit: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    match poll_within(limit, check).await {
        Some(value) => value,
        None => panic!("timed out after {limit:?} waiting for {what}"),
    }
}

/// Waits until `check` holds; panics naming `what` when `limit` passes.
pub async fn until_true(what: &str, limit: Duration, check: impl FnMut() -> bool) {
    assert!(
        holds_within(limit, check).await,
        "timed out after {limit:?} waiting for {what}"
    );
}

/// Waits until the async `check` answers `true`; panics naming `what` when `limit` passes.
pub async fn until_async<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    until(what, limit, || {
        let answer = check();
        async move { answer.await.then_some(()) }
    })
    .await
}
