//! What detection and registration share: [`ZkOptions`], the [`ZkError`] they report, the
//! session set-up (digest credentials, bounded wait) and the retry [`Backoff`].

use super::leader::MasterInfoError;
use super::url::ZkUrl;
use std::future::Future;
use std::time::Duration;
use zookeeper_client as zk;

/// Timing and addressing knobs of detection and registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkOptions {
    /// ZooKeeper session timeout asked for (the server may clamp it). Default 10 s, as the
    /// Mesos scheduler driver's `--zk_session_timeout`.
    pub session_timeout: Duration,
    /// First wait before retrying after a failure. Default 250 ms.
    pub backoff_initial: Duration,
    /// Longest wait between retries (the wait doubles up to it). Default 10 s.
    pub backoff_max: Duration,
    /// `https` when the masters serve TLS, else `http` (the MasterInfo does not say).
    pub scheme: LeaderScheme,
}

impl Default for ZkOptions {
    fn default() -> Self {
        ZkOptions {
            session_timeout: Duration::from_secs(10),
            backoff_initial: Duration::from_millis(250),
            backoff_max: Duration::from_secs(10),
            scheme: LeaderScheme::Http,
        }
    }
}

impl ZkOptions {
    /// How long one ZooKeeper request (or the connection set-up) may take before the session
    /// is given up: twice the session timeout, at least one second.
    pub(crate) fn request_timeout(&self) -> Duration {
        (self.session_timeout * 2).max(Duration::from_secs(1))
    }
}

/// The scheme of a detected leader's URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeaderScheme {
    /// `http://`
    #[default]
    Http,
    /// `https://`
    Https,
}

impl LeaderScheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LeaderScheme::Http => "http",
            LeaderScheme::Https => "https",
        }
    }
}

/// A ZooKeeper failure, as detection and registration report it (cloneable, so it can sit
/// in a `watch`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZkError {
    /// No session could be set up with any server.
    #[error("cannot reach ZooKeeper at {servers}: {reason}")]
    Unreachable {
        /// The connect string.
        servers: String,
        /// The client's reason.
        reason: String,
    },
    /// The session lost its connection; the client is reconnecting and the last leader is
    /// kept meanwhile.
    #[error("disconnected from ZooKeeper")]
    Disconnected,
    /// The session expired, or stayed disconnected for its whole timeout (after which the
    /// server expires it) and was given up; a new one is being set up.
    #[error("ZooKeeper session expired")]
    SessionExpired,
    /// ZooKeeper refused the session's credentials.
    #[error("ZooKeeper authentication failed")]
    AuthFailed,
    /// The credentials (or their absence) do not allow this request.
    #[error("not authorized for {path} (check the zk:// credentials)")]
    NoAuth {
        /// The node.
        path: String,
    },
    /// The node does not exist.
    #[error("{path} does not exist")]
    NoNode {
        /// The node.
        path: String,
    },
    /// ZooKeeper did not answer within the request timeout (twice the session timeout).
    #[error("ZooKeeper did not answer within {0:?}")]
    Timeout(Duration),
    /// Any other failed request.
    #[error("ZooKeeper request on {path} failed: {reason}")]
    Request {
        /// The node.
        path: String,
        /// The client's reason.
        reason: String,
    },
    /// The leader's node holds no usable MasterInfo; no leader is known until the group
    /// changes.
    #[error("leader node {node}: {error}")]
    LeaderInfo {
        /// The node.
        node: String,
        /// What is wrong with its data.
        error: MasterInfoError,
    },
    /// Our registration node disappeared (session expired or deleted); registering again.
    #[error("registration node {node} is gone")]
    MembershipLost {
        /// The node that was ours.
        node: String,
    },
}

impl ZkError {
    /// Maps a client error on `path` to a [`ZkError`].
    pub(crate) fn from_client(error: zk::Error, path: &str) -> ZkError {
        match error {
            zk::Error::SessionExpired => ZkError::SessionExpired,
            zk::Error::AuthFailed => ZkError::AuthFailed,
            zk::Error::ConnectionLoss => ZkError::Disconnected,
            zk::Error::NoAuth => ZkError::NoAuth { path: path.into() },
            zk::Error::NoNode => ZkError::NoNode { path: path.into() },
            other => ZkError::Request {
                path: path.into(),
                reason: other.to_string(),
            },
        }
    }

    /// The error a terminal session state stands for.
    pub(crate) fn from_state(state: zk::SessionState) -> ZkError {
        match state {
            zk::SessionState::AuthFailed => ZkError::AuthFailed,
            zk::SessionState::Disconnected => ZkError::Disconnected,
            _ => ZkError::SessionExpired,
        }
    }
}

/// Sets up a session with the URL's servers and digest credentials, trying each server once
/// and giving up after [`ZkOptions::request_timeout`].
pub(crate) async fn connect(url: &ZkUrl, options: &ZkOptions) -> Result<zk::Client, ZkError> {
    let mut connector = zk::Client::connector()
        .with_session_timeout(options.session_timeout)
        .with_fail_eagerly();
    if let Some(credentials) = url.credentials() {
        connector = connector.with_auth("digest", &credentials.digest_auth());
    }
    let servers = url.connect_string();
    let unreachable = |reason: String| ZkError::Unreachable {
        servers: servers.clone(),
        reason,
    };
    match tokio::time::timeout(options.request_timeout(), connector.connect(&servers)).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(zk::Error::AuthFailed)) => Err(ZkError::AuthFailed),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable("timed out".into())),
    }
}

/// Runs one request with the options' request timeout, mapping its error on `path`.
pub(crate) async fn request<T>(
    options: &ZkOptions,
    path: &str,
    call: impl Future<Output = Result<T, zk::Error>>,
) -> Result<T, ZkError> {
    match tokio::time::timeout(options.request_timeout(), call).await {
        Ok(result) => result.map_err(|e| ZkError::from_client(e, path)),
        Err(_) => Err(ZkError::Timeout(options.request_timeout())),
    }
}

/// What ended a wait on a group watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// The watched node changed.
    GroupChanged,
    /// The session lost its connection (it may come back).
    Disconnected,
    /// The session came back after a disconnection.
    Reconnected,
}

/// Waits for the watch to fire or the session state to change; `Err` when the session ended.
pub(crate) async fn next_wake(
    watcher: zk::OneshotWatcher,
    state: &mut zk::StateWatcher,
) -> Result<Wake, ZkError> {
    tokio::select! {
        event = watcher.changed() => match event.event_type {
            zk::EventType::Session => Err(ZkError::from_state(event.session_state)),
            _ => Ok(Wake::GroupChanged),
        },
        new_state = state.changed() => match new_state {
            zk::SessionState::Disconnected => Ok(Wake::Disconnected),
            zk::SessionState::SyncConnected | zk::SessionState::ConnectedReadOnly => {
                Ok(Wake::Reconnected)
            }
            terminal => Err(ZkError::from_state(terminal)),
        },
    }
}

/// Waits for a disconnected session to connect again (`Ok`), for no longer than its session
/// timeout: past it the server has expired the session, so it is given up (`Err`), as is a
/// session that ends.
pub(crate) async fn ride_out(
    client: &zk::Client,
    state: &mut zk::StateWatcher,
) -> Result<(), ZkError> {
    let reconnected = async {
        loop {
            match state.peek_state() {
                zk::SessionState::SyncConnected | zk::SessionState::ConnectedReadOnly => {
                    return Ok(());
                }
                zk::SessionState::Disconnected => {}
                terminal => return Err(ZkError::from_state(terminal)),
            }
            state.changed().await;
        }
    };
    let timeout = client.session_timeout().max(Duration::from_millis(100));
    match tokio::time::timeout(timeout, reconnected).await {
        Ok(result) => result,
        Err(_) => Err(ZkError::SessionExpired),
    }
}

/// Doubling retry waits, from the options' initial wait up to their cap.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// Starts at `options.backoff_initial`.
    pub(crate) fn new(options: &ZkOptions) -> Self {
        let initial = options.backoff_initial.max(Duration::from_millis(1));
        Backoff {
            initial,
            max: options.backoff_max.max(initial),
            next: initial,
        }
    }

    /// The wait to take now; the one after it is twice as long (capped).
    pub(crate) fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
    }

    /// Back to the initial wait (after a success).
    pub(crate) fn reset(&mut self) {
        self.next = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_and_resets() {
        let options = ZkOptions {
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_millis(350),
            ..ZkOptions::default()
        };
        let mut backoff = Backoff::new(&options);
        let waits: Vec<u128> = (0..4).map(|_| backoff.next_wait().as_millis()).collect();
        assert_eq!(waits, [100, 200, 350, 350]);
        backoff.reset();
        assert_eq!(backoff.next_wait().as_millis(), 100);
    }

    #[test]
    fn zero_backoff_is_not_a_busy_loop() {
        let options = ZkOptions {
            backoff_initial: Duration::ZERO,
            backoff_max: Duration::ZERO,
            ..ZkOptions::default()
        };
        assert!(Backoff::new(&options).next_wait() > Duration::ZERO);
    }
}
