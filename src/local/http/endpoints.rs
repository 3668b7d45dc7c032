//! Read-only endpoints: `/state`, `/health`, `/version`, `/redirect` and the web page.

use super::AppState;
use crate::local::master::{GetState, VERSION};
use actix_web::{HttpRequest, HttpResponse, web};

/// `GET /state` (also `/master/state`, `/state.json`); `?jsonp=f` wraps it in `f(...)`.
pub async fn state(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let doc = match state.master.send(GetState).await {
        Ok(v) => v,
        Err(e) => return HttpResponse::ServiceUnavailable().body(e.to_string()),
    };
    let jsonp =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("jsonp").cloned())
            .filter(|f| {
                !f.is_empty()
                    && f.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            });
    match jsonp {
        Some(f) => HttpResponse::Ok()
            .content_type("text/javascript")
            .body(format!("{f}({doc});")),
        None => HttpResponse::Ok().json(doc),
    }
}

/// `GET /frameworks`, `/tasks`, `/slaves`, `/flags`: subsets of `/state`.
pub async fn subset(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let doc = match state.master.send(GetState).await {
        Ok(v) => v,
        Err(e) => return HttpResponse::ServiceUnavailable().body(e.to_string()),
    };
    let name = req.path().rsplit('/').next().unwrap_or("");
    let body = match name {
        "frameworks" => serde_json::json!({
            "frameworks": doc["frameworks"],
            "completed_frameworks": doc["completed_frameworks"],
            "unregistered_frameworks": [],
        }),
        "slaves" => serde_json::json!({"slaves": doc["slaves"], "recovered_slaves": []}),
        "flags" => serde_json::json!({"flags": doc["flags"]}),
        _ => {
            let mut tasks = Vec::new();
            for key in ["frameworks", "completed_frameworks"] {
                for fw in doc[key].as_array().into_iter().flatten() {
                    for list in ["tasks", "completed_tasks"] {
                        tasks.extend(fw[list].as_array().into_iter().flatten().cloned());
                    }
                }
            }
            serde_json::json!({ "tasks": tasks })
        }
    };
    HttpResponse::Ok().json(body)
}

/// `POST /teardown` with the form field `frameworkId`: removes that framework.
pub async fn teardown(body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let form = web::Query::<std::collections::HashMap<String, String>>::from_query(
        std::str::from_utf8(&body).unwrap_or(""),
    );
    let Some(id) = form.ok().and_then(|f| f.get("frameworkId").cloned()) else {
        return HttpResponse::BadRequest()
            .body("Missing 'frameworkId' query parameter in the request body");
    };
    match state
        .master
        .send(crate::local::master::TeardownFramework {
            framework_id: id.clone(),
        })
        .await
    {
        Ok(true) => HttpResponse::Ok().finish(),
        Ok(false) => {
            HttpResponse::BadRequest().body(format!("No framework found with specified ID: {id}"))
        }
        Err(e) => HttpResponse::ServiceUnavailable().body(e.to_string()),
    }
}

/// `GET /health`: 200, empty.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// `GET /version`.
pub async fn version() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "version": VERSION,
        "build_date": "",
        "build_time": 0,
        "build_user": "mesos-actix",
    }))
}

/// `GET /redirect`: 307 to the leading master (this one), scheme-less.
pub async fn redirect(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::TemporaryRedirect()
        .insert_header((
            "Location",
            format!("//{}:{}", state.hostname, state.addr.port()),
        ))
        .finish()
}

/// `GET /`: the web page.
pub async fn index(state: web::Data<AppState>) -> HttpResponse {
    let doc = match state.master.send(GetState).await {
        Ok(v) => v,
        Err(e) => return HttpResponse::ServiceUnavailable().body(e.to_string()),
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(crate::local::ui::render(&doc))
}
