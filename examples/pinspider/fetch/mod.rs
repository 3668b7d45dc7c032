//! Polite, guarded fetching with `awc`.
//!
//! - connect and response timeouts, and a body timeout;
//! - a byte cap: `Content-Length` is checked first, then awc's body limit is set to the cap
//!   (awc's own default is 2 MiB; we never inherit it);
//! - redirects followed by hand (awc's are disabled), at most `max_redirects`, and every
//!   hop goes through the same checks again (scheme, address guard, robots.txt);
//! - [`netguard`]: resolved addresses are checked and then connected to directly;
//! - [`robots`]: `robots.txt` fetched once per origin and cached;
//! - a per-host rate limit; an identifying User-Agent;
//! - `429` with `Retry-After` waited out when the wait is within a bound, a few times;
//! - `404`/`410` reported as [`FetchError::NotFound`].
//!
//! A [`Fetcher`] holds an awc client, so it belongs to the actix thread that made it
//! (it is not `Send`); its caches use `RefCell`s that are never held across an await.

pub mod netguard;
pub mod robots;

#[cfg(test)]
mod tests;

use crate::model::FetchSettings;
use awc::http::header::{self, HeaderMap};
pub use netguard::NetGuard;
use robots::Robots;
use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime};
use url::Url;

/// The product token matched against `robots.txt` groups.
pub const ROBOTS_AGENT: &str = "pinspider";

/// The User-Agent sent with every request.
pub const USER_AGENT: &str = concat!(
    "pinspider/",
    env!("CARGO_PKG_VERSION"),
    " (mesos-actix example crawler; +https://github.com/mesos-actix/mesos-actix)"
);

/// What went wrong fetching a page.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// The URL cannot be fetched (no host, bad syntax).
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// Only `http` and `https` are fetched.
    #[error("unsupported URL scheme: {0}")]
    UnsupportedScheme(String),
    /// The address is private, loopback, link-local, ...
    #[error(
        "refused to fetch from {host} ({addr}): {reason} address (use --allow-private-network to permit)"
    )]
    Blocked {
        /// The host as written in the URL.
        host: String,
        /// The address it resolved to.
        addr: SocketAddr,
        /// Which kind of address.
        reason: &'static str,
    },
    /// DNS failed.
    #[error("cannot resolve {0}: {1}")]
    Resolve(String, String),
    /// `robots.txt` forbids the URL.
    #[error("robots.txt disallows {0}")]
    RobotsDisallowed(String),
    /// More redirects than allowed.
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    /// A redirect without a usable `Location`.
    #[error("bad redirect: {0}")]
    BadRedirect(String),
    /// 404 or 410.
    #[error("not found (HTTP {status}): {url}")]
    NotFound {
        /// The URL.
        url: String,
        /// 404 or 410.
        status: u16,
    },
    /// 429 and the server's wait was too long, or retries ran out.
    #[error("rate limited by the server (HTTP 429, Retry-After {retry_after:?} s)")]
    RateLimited {
        /// What the server asked for, in seconds, if it said.
        retry_after: Option<u64>,
    },
    /// Another unexpected status.
    #[error("HTTP {0}")]
    Status(u16),
    /// The body is over the byte cap.
    #[error("body larger than the {0}-byte cap")]
    TooLarge(usize),
    /// A timeout (connect, response or body).
    #[error("timed out")]
    Timeout,
    /// The connection could not be made.
    #[error("connect failed: {0}")]
    Connect(String),
    /// Something else on the wire.
    #[error("transport error: {0}")]
    Transport(String),
}

impl FetchError {
    /// Whether trying again later may work (timeouts, connection failures, 5xx, 429).
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Status(s) => *s >= 500,
            FetchError::Resolve(..)
            | FetchError::RateLimited { .. }
            | FetchError::Timeout
            | FetchError::Connect(_)
            | FetchError::Transport(_) => true,
            _ => false,
        }
    }
}

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Sent as `User-Agent`.
    pub user_agent: String,
    /// Bound on connecting (TCP + TLS).
    pub connect_timeout: Duration,
    /// Bound on waiting for response headers.
    pub response_timeout: Duration,
    /// Bound on reading the body.
    pub body_timeout: Duration,
    /// The byte cap on bodies.
    pub max_body_bytes: usize,
    /// Most redirects followed per fetch.
    pub max_redirects: usize,
    /// Requests per second per host (`<= 0`: unlimited).
    pub rate_per_sec: f64,
    /// Longest `Retry-After` waited out.
    pub max_retry_after: Duration,
    /// How many 429s are waited out per fetch.
    pub max_429_retries: u32,
    /// Honour `robots.txt`.
    pub respect_robots: bool,
    /// The address guard.
    pub guard: NetGuard,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: USER_AGENT.to_string(),
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(15),
            body_timeout: Duration::from_secs(30),
            max_body_bytes: 4 * 1024 * 1024,
            max_redirects: 5,
            rate_per_sec: 2.0,
            max_retry_after: Duration::from_secs(30),
            max_429_retries: 2,
            respect_robots: true,
            guard: NetGuard::default(),
        }
    }
}

impl FetchConfig {
    /// The configuration an executor uses for the settings the scheduler sent.
    pub fn from_settings(s: &FetchSettings) -> Self {
        FetchConfig {
            max_body_bytes: s.max_body_bytes,
            rate_per_sec: s.rate_per_sec,
            guard: NetGuard {
                allow_private_network: s.allow_private_network,
                allow_addrs: s.allow_addrs.clone(),
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

/// A fetched page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The URL the body came from (after redirects).
    pub url: Url,
    /// The HTTP status (2xx).
    pub status: u16,
    /// The body, decoded as UTF-8 (invalid sequences replaced).
    pub body: String,
}

/// One hop's outcome.
enum Hop {
    Page(Page),
    Redirect(Url),
}

/// Fetches pages politely. Not `Send`: use it on one actix thread.
pub struct Fetcher {
    cfg: FetchConfig,
    client: awc::Client,
    robots: RefCell<HashMap<String, Rc<Robots>>>,
    next_slot: RefCell<HashMap<String, Instant>>,
}

impl Fetcher {
    /// A fetcher with its own awc client (redirects disabled, timeouts set).
    pub fn new(cfg: FetchConfig) -> Self {
        let client = awc::Client::builder()
            .disable_redirects()
            .timeout(cfg.response_timeout)
            .connector(awc::Connector::new().timeout(cfg.connect_timeout))
            .finish();
        Fetcher {
            cfg,
            client,
            robots: RefCell::new(HashMap::new()),
            next_slot: RefCell::new(HashMap::new()),
        }
    }

    /// The configuration.
    #[cfg(test)]
    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    /// Fetches `url`: robots.txt, guard, rate limit, redirects, 429 handling, byte cap.
    pub async fn get(&self, url: &Url) -> Result<Page, FetchError> {
        self.follow(url, self.cfg.respect_robots, self.cfg.max_body_bytes)
            .await
    }

    /// Whether `robots.txt` lets us fetch `url` (always, when robots are not honoured).
    /// `robots.txt` that cannot be read for now counts as a no.
    pub async fn robots_allows(&self, url: &Url) -> bool {
        !self.cfg.respect_robots || self.robots_allow(url).await.unwrap_or(false)
    }

    async fn follow(&self, url: &Url, robots: bool, cap: usize) -> Result<Page, FetchError> {
        let mut current = url.clone();
        let mut hops = 0;
        loop {
            if !matches!(current.scheme(), "http" | "https") {
                return Err(FetchError::UnsupportedScheme(current.scheme().to_string()));
            }
            if robots && !self.robots_allow(&current).await? {
                return Err(FetchError::RobotsDisallowed(current.to_string()));
            }
            match self.hop(&current, cap).await? {
                Hop::Page(page) => return Ok(page),
                Hop::Redirect(next) => {
                    hops += 1;
                    if hops > self.cfg.max_redirects {
                        return Err(FetchError::TooManyRedirects(self.cfg.max_redirects));
                    }
                    tracing::debug!(from = %current, to = %next, hops, "redirect");
                    current = next;
                }
            }
        }
    }

    /// Whether robots.txt of `url`'s origin allows it (fetched once per origin). A
    /// transient failure to get robots.txt is returned (and not cached), so the page
    /// fetch fails in a way that is retried later.
    async fn robots_allow(&self, url: &Url) -> Result<bool, FetchError> {
        let origin = url.origin().ascii_serialization();
        let cached = self.robots.borrow().get(&origin).cloned();
        let rules = match cached {
            Some(r) => r,
            None => {
                let rules = Rc::new(self.load_robots(url).await?);
                self.robots.borrow_mut().insert(origin, rules.clone());
                rules
            }
        };
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        Ok(rules.allowed(&path))
    }

    async fn load_robots(&self, url: &Url) -> Result<Robots, FetchError> {
        let robots_url = url
            .join("/robots.txt")
            .map_err(|e| FetchError::InvalidUrl(e.to_string()))?;
        // Boxed: `follow` calls this function (never for robots.txt itself).
        let fetched = Box::pin(self.follow(&robots_url, false, robots::MAX_ROBOTS_BYTES)).await;
        match fetched {
            Ok(page) => Ok(Robots::parse(&page.body, ROBOTS_AGENT)),
            // No robots.txt (4xx): no restrictions (RFC 9309 2.3.1.3).
            Err(FetchError::NotFound { .. }) => Ok(Robots::allow_all()),
            Err(FetchError::Status(s)) if (400..500).contains(&s) => Ok(Robots::allow_all()),
            // Unreachable for now (5xx, network): try again later. A refused address is
            // reported as such (the page is on the same origin, so it is refused too).
            Err(e) if e.is_transient() || matches!(e, FetchError::Blocked { .. }) => Err(e),
            // Too many redirects, too large, ...: assume complete disallow.
            Err(e) => {
                tracing::warn!(%robots_url, error = %e, "robots.txt unusable; not crawling this site");
                Ok(Robots::disallow_all())
            }
        }
    }

    /// Waits for this host's next request slot.
    async fn rate_limit(&self, url: &Url) {
        if !(self.cfg.rate_per_sec > 0.0 && self.cfg.rate_per_sec.is_finite()) {
            return;
        }
        let interval = Duration::from_secs_f64(1.0 / self.cfg.rate_per_sec.max(0.001));
        let key = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(0)
        );
        let now = Instant::now();
        let slot = {
            let mut slots = self.next_slot.borrow_mut();
            let next = slots.entry(key).or_insert(now);
            let slot = (*next).max(now);
            *next = slot + interval;
            slot
        };
        if slot > now {
            tokio::time::sleep(slot - now).await;
        }
    }

    /// One request (waiting out 429s): a page, or where it redirects to.
    async fn hop(&self, url: &Url, cap: usize) -> Result<Hop, FetchError> {
        let mut rate_limited = 0;
        loop {
            let addr = self.cfg.guard.check(url).await?;
            self.rate_limit(url).await;
            let resp = self
                .client
                .get(url.as_str())
                .address(addr)
                .insert_header((header::USER_AGENT, self.cfg.user_agent.as_str()))
                .insert_header((
                    header::ACCEPT,
                    "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5",
                ))
                .timeout(self.cfg.response_timeout)
                .send()
                .await
                .map_err(|e| match e {
                    awc::error::SendRequestError::Timeout => FetchError::Timeout,
                    awc::error::SendRequestError::Connect(c) => FetchError::Connect(c.to_string()),
                    other => FetchError::Transport(other.to_string()),
                })?;
            let status = resp.status().as_u16();
            match status {
                301 | 302 | 303 | 307 | 308 => {
                    let location = resp
                        .headers()
                        .get(header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .ok_or_else(|| {
                            FetchError::BadRedirect(format!("HTTP {status} without Location"))
                        })?;
                    let next = url
                        .join(location)
                        .map_err(|e| FetchError::BadRedirect(format!("{location:?}: {e}")))?;
                    return Ok(Hop::Redirect(next));
                }
                429 => {
                    let wait = retry_after(resp.headers());
                    rate_limited += 1;
                    match wait {
                        Some(w)
                            if rate_limited <= self.cfg.max_429_retries
                                && w <= self.cfg.max_retry_after =>
                        {
                            tracing::info!(%url, wait_s = w.as_secs(), "429: waiting as Retry-After asks");
                            tokio::time::sleep(w).await;
                            continue;
                        }
                        _ => {
                            return Err(FetchError::RateLimited {
                                retry_after: wait.map(|w| w.as_secs()),
                            });
                        }
                    }
                }
                404 | 410 => {
                    return Err(FetchError::NotFound {
                        url: url.to_string(),
                        status,
                    });
                }
                200..=299 => {}
                _ => return Err(FetchError::Status(status)),
            }
            let declared = resp
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > cap as u64) {
                return Err(FetchError::TooLarge(cap));
            }
            let mut resp = resp.timeout(self.cfg.body_timeout);
            let body = resp.body().limit(cap).await.map_err(|e| match e {
                awc::error::PayloadError::Overflow => FetchError::TooLarge(cap),
                other => {
                    let text = other.to_string();
                    if text.to_ascii_lowercase().contains("timeout") {
                        FetchError::Timeout
                    } else {
                        FetchError::Transport(text)
                    }
                }
            })?;
            return Ok(Hop::Page(Page {
                url: url.clone(),
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
            }));
        }
    }
}

/// `Retry-After` as a duration: delta-seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date: header::HttpDate = value.parse().ok()?;
    let when: SystemTime = date.into();
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}
