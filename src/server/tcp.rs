//! TCP_NODELAY on every accepted socket: event chunks must not wait for the peer's delayed
//! ACK (Nagle), which stalls event streams by ~40 ms. Pass [`on_connect`] to
//! `HttpServer::on_connect`.

use actix_web::dev::Extensions;
use std::any::Any;

/// Sets TCP_NODELAY on an accepted connection (actix-web's `on_connect` hook; the
/// connection is a tokio `TcpStream` for plain TCP listeners).
pub fn on_connect(conn: &dyn Any, _ext: &mut Extensions) {
    let Some(stream) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    if let Err(e) = stream.set_nodelay(true) {
        tracing::warn!(error = %e, "could not set TCP_NODELAY on an accepted socket");
    }
    #[cfg(test)]
    probe::record(stream);
}

/// Test probe: what each accepted socket reported for TCP_NODELAY, read back from the
/// server side with getsockopt, keyed by the client's address.
#[cfg(test)]
pub mod probe {
    use std::collections::HashMap;
    use std::io::{Read, Write};
    use std::net::SocketAddr;
    use std::sync::Mutex;
    use std::time::Duration;

    static SEEN: Mutex<Option<HashMap<SocketAddr, bool>>> = Mutex::new(None);

    pub(super) fn record(stream: &actix_web::rt::net::TcpStream) {
        if let (Ok(peer), Ok(nodelay)) = (stream.peer_addr(), stream.nodelay()) {
            let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
            seen.get_or_insert_with(HashMap::new).insert(peer, nodelay);
        }
    }

    /// Connects to `addr`, sends `GET path`, reads the answer's first bytes, and returns
    /// whether the server's side of that connection has TCP_NODELAY set (`None`: the hook
    /// never saw it).
    pub fn nodelay_of_accepted(addr: SocketAddr, path: &str) -> Option<bool> {
        let mut client = std::net::TcpStream::connect(addr).ok()?;
        client
            .set_read_timeout(Some(Duration::from_secs(30)))
            .ok()?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        client.write_all(request.as_bytes()).ok()?;
        // The hook runs before the request is served: an answer means it has run.
        let mut first = [0u8; 12];
        client.read_exact(&mut first).ok()?;
        let me = client.local_addr().ok()?;
        let seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
        seen.as_ref().and_then(|m| m.get(&me).copied())
    }
}
