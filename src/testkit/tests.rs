use super::FakeMaster;
use crate::server::tcp::probe::nodelay_of_accepted;
use std::net::SocketAddr;

#[actix_rt::test]
async fn accepted_sockets_have_nodelay() {
    let master = FakeMaster::start().await.expect("fake master starts");
    let addr = SocketAddr::from(([127, 0, 0, 1], master.port()));
    let nodelay =
        tokio::task::spawn_blocking(move || nodelay_of_accepted(addr, "/api/v1/scheduler"))
            .await
            .expect("probe thread");
    assert_eq!(nodelay, Some(true));
}
