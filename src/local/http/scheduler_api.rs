//! `POST /api/v1/scheduler` (also `/master/api/v1/scheduler`): authentication, method,
//! content type, body and call validation as the real master does them ([`crate::server`]),
//! then the master.

use super::AppState;
use super::common::{decode_scheduler_call, error_response, stream_response};
use crate::local::master::{SchedulerReply, SchedulerRequest};
use crate::local::wire::ApiError;
use actix_web::{HttpRequest, HttpResponse, web};

/// The realm of scheduler authentication.
pub const REALM: &str = "mesos-master-scheduler";

/// The scheduler endpoint.
pub async fn handle(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let principal = match &state.credentials {
        Some(creds) => match creds.authenticate(&req, REALM) {
            Ok(p) => Some(p),
            Err(resp) => return resp,
        },
        None => None,
    };
    let (accept, call) = match decode_scheduler_call(&req, &body) {
        Ok(decoded) => decoded,
        Err(resp) => return resp,
    };
    let stream_id = req
        .headers()
        .get(crate::server::call::STREAM_ID)
        .map(|v| v.to_str().unwrap_or("").to_string());
    let kind = call.r#type();
    let request = SchedulerRequest {
        call,
        stream_id,
        principal,
        accept,
    };
    match state.master.send(request).await {
        Ok(Ok(SchedulerReply::Accepted)) => HttpResponse::Accepted().finish(),
        Ok(Ok(SchedulerReply::Ok)) => HttpResponse::Ok().finish(),
        Ok(Ok(SchedulerReply::Stream { stream_id, stream })) => {
            stream_response(accept, stream, Some(&stream_id))
        }
        Ok(Err(e)) => {
            // As the real master logs them: what a scheduler sent that was refused.
            tracing::info!(
                call = kind.as_str_name(),
                status = e.status,
                message = %e.message,
                "scheduler call refused"
            );
            error_response(&e)
        }
        Err(e) => error_response(&ApiError::new(503, format!("Master unavailable: {e}"))),
    }
}
