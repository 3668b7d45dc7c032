//! The follower's answer to master-only requests (the scheduler API, `/state` and the other
//! master endpoints), as Apache Mesos masters behind ZooKeeper give it: `307` with
//! `Location: //leader-host:port/master/...` (no scheme) while another master leads, `503`
//! while no leader is known. Agent paths, `/health`, `/version` and the web page are served
//! by every master.

use super::AppState;
use crate::local::leadership::Route;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, http::header, web};

/// The paths only the leader answers (with and without the `/master` prefix).
const MASTER_ONLY: [&str; 9] = [
    "/api/v1/scheduler",
    "/state",
    "/state.json",
    "/frameworks",
    "/tasks",
    "/slaves",
    "/flags",
    "/teardown",
    "/redirect",
];

/// Whether only the leading master answers `path`.
pub(crate) fn master_only(path: &str) -> bool {
    let bare = path.strip_prefix("/master").unwrap_or(path);
    MASTER_ONLY.contains(&bare)
}

/// Middleware: passes the request on unless this master follows (or knows no leader) and the
/// path is master-only.
pub(crate) async fn leader_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let route = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.leadership.as_ref().map(|l| l.route()))
        .unwrap_or(Route::Serve);
    if route == Route::Serve || !master_only(req.path()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let response = match route {
        Route::Redirect { authority } => {
            let location = leader_location(&authority, req.path(), req.query_string());
            HttpResponse::TemporaryRedirect()
                .insert_header((header::LOCATION, location))
                .finish()
        }
        _ => HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("No leader elected"),
    };
    Ok(req.into_response(response).map_into_right_body())
}

/// `//authority/master/<path>[?query]`: the leader's copy of `path`, under `/master` as
/// Apache Mesos redirects.
pub(crate) fn leader_location(authority: &str, path: &str, query: &str) -> String {
    let path = if path.starts_with("/master/") {
        path.to_string()
    } else {
        format!("/master{path}")
    };
    if query.is_empty() {
        format!("//{authority}{path}")
    } else {
        format!("//{authority}{path}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_scheme_less_under_master() {
        assert_eq!(
            leader_location("localhost:5262", "/api/v1/scheduler", ""),
            "//localhost:5262/master/api/v1/scheduler"
        );
        assert_eq!(
            leader_location("localhost:5262", "/master/state", "jsonp=x"),
            "//localhost:5262/master/state?jsonp=x"
        );
    }

    #[test]
    fn agent_and_health_paths_are_not_master_only() {
        assert!(master_only("/master/api/v1/scheduler"));
        assert!(master_only("/state"));
        assert!(!master_only("/slave(1)/api/v1/executor"));
        assert!(!master_only("/api/v1/executor"));
        assert!(!master_only("/health"));
        assert!(!master_only("/"));
    }
}
