//! `POST /api/v1/scheduler` (also `/master/api/v1/scheduler`): authentication, method,
//! content type, body and call validation as the real master does them, then the master.

use super::AppState;
use super::common::{decode_call, error_response, response_encoding, stream_response};
use crate::local::master::{SchedulerReply, SchedulerRequest};
use crate::local::wire::ApiError;
use crate::proto::scheduler::{Call, call::Type};
use actix_web::{HttpRequest, HttpResponse, web};

/// The realm of scheduler authentication.
pub const REALM: &str = "mesos-master-scheduler";

/// Stateless `scheduler::Call` validation (the master's `validation::scheduler::call`).
pub fn validate(call: &Call) -> Result<(), String> {
    let Some(t) = call.r#type else {
        return Err("Expecting 'type' to be present".into());
    };
    let kind = Type::try_from(t).unwrap_or(Type::Unknown);
    if kind == Type::Subscribe {
        let sub = call
            .subscribe
            .as_ref()
            .ok_or("Expecting 'subscribe' to be present")?;
        // Our decoders cannot tell a missing proto2 `required` string from an empty one;
        // a FrameworkInfo with neither user nor name is what `{}` decodes to.
        if sub.framework_info.user.is_empty() && sub.framework_info.name.is_empty() {
            return Err("Missing required fields: framework_info.user, framework_info.name".into());
        }
        let info_id = sub.framework_info.id.as_ref().map(|i| &i.value);
        let call_id = call.framework_id.as_ref().map(|i| &i.value);
        if info_id != call_id {
            return Err("'framework_id' differs from 'subscribe.framework_info.id'".into());
        }
        return Ok(());
    }
    if kind == Type::Unknown {
        return Err("Unknown call type".into());
    }
    if call.framework_id.is_none() {
        return Err("Expecting 'framework_id' to be present".into());
    }
    let missing = |name: &str| Err(format!("Expecting '{name}' to be present"));
    match kind {
        Type::Accept if call.accept.is_none() => missing("accept"),
        Type::Decline if call.decline.is_none() => missing("decline"),
        Type::Kill if call.kill.is_none() => missing("kill"),
        Type::Shutdown if call.shutdown.is_none() => missing("shutdown"),
        Type::Reconcile if call.reconcile.is_none() => missing("reconcile"),
        Type::Message if call.message.is_none() => missing("message"),
        Type::Request if call.request.is_none() => missing("request"),
        Type::AcceptInverseOffers if call.accept_inverse_offers.is_none() => {
            missing("accept_inverse_offers")
        }
        Type::DeclineInverseOffers if call.decline_inverse_offers.is_none() => {
            missing("decline_inverse_offers")
        }
        Type::ReconcileOperations if call.reconcile_operations.is_none() => {
            missing("reconcile_operations")
        }
        Type::UpdateFramework => match &call.update_framework {
            None => missing("update_framework"),
            Some(u) if u.framework_info.id != call.framework_id => {
                Err("'framework_id' differs from 'update_framework.framework_info.id'".into())
            }
            Some(_) => Ok(()),
        },
        Type::Acknowledge => match &call.acknowledge {
            None => missing("acknowledge"),
            Some(a) if !crate::proto::is_valid_uuid(&a.uuid) => Err("Not a valid UUID".into()),
            Some(_) => Ok(()),
        },
        Type::AcknowledgeOperationStatus => match &call.acknowledge_operation_status {
            None => missing("acknowledge_operation_status"),
            Some(a) if !crate::proto::is_valid_uuid(&a.uuid) => Err("Not a valid UUID".into()),
            Some(a) if a.agent_id.is_none() => missing("agent_id"),
            Some(_) => Ok(()),
        },
        _ => Ok(()),
    }
}

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
    let (encoding, call) = match decode_call::<Call>(&req, &body, "scheduler::Call", validate) {
        Ok(decoded) => decoded,
        Err(resp) => return resp,
    };
    let stream_id = req
        .headers()
        .get("Mesos-Stream-Id")
        .map(|v| v.to_str().unwrap_or("").to_string());
    let mut accept = encoding;
    if call.r#type() == Type::Subscribe {
        accept = match response_encoding(&req) {
            Ok(e) => e,
            Err(resp) => return resp,
        };
        if stream_id.is_some() {
            return error_response(&ApiError::bad_request(
                "Subscribe calls should not include the 'Mesos-Stream-Id' header",
            ));
        }
    }
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
        Ok(Err(e)) => error_response(&e),
        Err(e) => error_response(&ApiError::new(503, format!("Master unavailable: {e}"))),
    }
}
