//! Read-only endpoints: `/state`, `/health`, `/version`, `/redirect`, the files API
//! (`/files/browse`, `/files/read`), `/metrics/snapshot` and `/metrics`, and the web pages.

use super::AppState;
use crate::local::files::{self, FilesError};
use crate::local::master::{GetMetrics, GetState, GetUiState, VERSION};
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
    let doc = match state.master.send(GetUiState).await {
        Ok(v) => v,
        Err(e) => return HttpResponse::ServiceUnavailable().body(e.to_string()),
    };
    let root = sandbox_root(&state).await;
    let root = root.as_ref().map(|r| r.display().to_string());
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(crate::local::ui::render(&doc, root.as_deref()))
}

/// The sandboxes' root (`<work_dir>/slaves`, the same for every agent).
async fn sandbox_root(state: &AppState) -> Option<std::path::PathBuf> {
    let agent = state.agents.first()?;
    agent.send(crate::local::agent::SandboxRoot).await.ok()
}

type Query = std::collections::HashMap<String, String>;

fn query(req: &HttpRequest) -> Result<Query, FilesError> {
    web::Query::<Query>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| FilesError::Invalid(format!("Malformed query: {e}.\n")))
}

fn files_error(e: FilesError) -> HttpResponse {
    match e {
        FilesError::Invalid(m) => HttpResponse::BadRequest().body(m),
        FilesError::NotFound(m) => HttpResponse::NotFound().body(m),
        FilesError::Internal(m) => HttpResponse::InternalServerError().body(m),
    }
}

/// Runs a files-API call on the blocking pool with the sandboxes' root and the query.
async fn with_files<T, F>(req: &HttpRequest, state: &AppState, call: F) -> Result<T, FilesError>
where
    T: Send + 'static,
    F: FnOnce(&std::path::Path, &Query) -> Result<T, FilesError> + Send + 'static,
{
    let q = query(req)?;
    let root = sandbox_root(state)
        .await
        .ok_or_else(|| FilesError::NotFound(String::new()))?;
    web::block(move || call(&root, &q))
        .await
        .map_err(|e| FilesError::Internal(e.to_string()))?
}

fn path_of(q: &Query) -> &str {
    q.get("path").map_or("", String::as_str)
}

/// JSON, or `f(JSON);` with `?jsonp=f`.
fn json_reply(q: &Query, body: &serde_json::Value) -> HttpResponse {
    match q.get("jsonp").filter(|f| {
        !f.is_empty()
            && f.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    }) {
        Some(f) => HttpResponse::Ok()
            .content_type("text/javascript")
            .body(format!("{f}({body});")),
        None => HttpResponse::Ok().json(body),
    }
}

/// `GET /files/browse?path=`: a sandbox directory's entries, as Apache Mesos lists them.
pub async fn files_browse(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let reply = with_files(&req, &state, |root, q| files::browse(root, path_of(q))).await;
    match (reply, query(&req)) {
        (Ok(v), Ok(q)) => json_reply(&q, &v),
        (Err(e), _) | (_, Err(e)) => files_error(e),
    }
}

/// `GET /files/read?path=&offset=&length=`: `{data, offset}` of a sandbox file.
pub async fn files_read(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let reply = with_files(&req, &state, |root, q| {
        let (offset, length) = (q.get("offset"), q.get("length"));
        files::read(
            root,
            path_of(q),
            offset.map(String::as_str),
            length.map(String::as_str),
        )
    })
    .await;
    match (reply, query(&req)) {
        (Ok(v), Ok(q)) => json_reply(&q, &v),
        (Err(e), _) | (_, Err(e)) => files_error(e),
    }
}

/// `GET /ui/browse?path=`: the HTML listing of a sandbox directory.
pub async fn ui_browse(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let reply = with_files(&req, &state, |root, q| {
        let path = path_of(q);
        files::browse(root, path).map(|v| crate::local::ui::browse_page(path, &v))
    })
    .await;
    match reply {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => files_error(e),
    }
}

/// `GET /ui/tail?path=`: the last 64 KiB of a sandbox file, following it as it grows.
pub async fn ui_tail(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let reply = with_files(&req, &state, |root, q| {
        let path = path_of(q);
        let size = files::read(root, path, None, None)?["offset"]
            .as_u64()
            .unwrap_or(0);
        let start = size.saturating_sub(files::MAX_READ);
        let window = files::read(root, path, Some(&start.to_string()), None)?;
        let data = window["data"].as_str().unwrap_or_default();
        Ok(crate::local::ui::tail_page(path, data, size))
    })
    .await;
    match reply {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => files_error(e),
    }
}

/// `GET /metrics/snapshot`: the master's counters, Apache Mesos names (`master/...`).
pub async fn metrics_snapshot(state: web::Data<AppState>) -> HttpResponse {
    match state.master.send(GetMetrics).await {
        Ok(m) => HttpResponse::Ok().json(serde_json::Value::Object(m)),
        Err(e) => HttpResponse::ServiceUnavailable().body(e.to_string()),
    }
}

/// `GET /metrics`: the same counters in the Prometheus text format.
pub async fn metrics_prometheus(state: web::Data<AppState>) -> HttpResponse {
    match state.master.send(GetMetrics).await {
        Ok(m) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(crate::local::master::prometheus(&m)),
        Err(e) => HttpResponse::ServiceUnavailable().body(e.to_string()),
    }
}
