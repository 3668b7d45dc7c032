//! The web pages: `/` (agents, frameworks, live and completed tasks with links to their
//! sandbox files, rendered on the server from the `/state` document and refreshed by the
//! browser every 2 seconds), `/ui/browse` (a sandbox directory) and `/ui/tail` (a file that
//! follows as it grows).

use serde_json::Value;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => esc(s),
        Value::Null => String::new(),
        other => esc(&other.to_string()),
    }
}

fn attributes(v: &Value) -> String {
    match v.as_object() {
        Some(map) if !map.is_empty() => map
            .iter()
            .map(|(k, v)| format!("{}:{}", esc(k), text(v)))
            .collect::<Vec<_>>()
            .join("; "),
        _ => "–".to_string(),
    }
}

fn resources(v: &Value) -> String {
    format!(
        "cpus {} · mem {} MB · disk {} MB",
        text(&v["cpus"]),
        text(&v["mem"]),
        text(&v["disk"])
    )
}

fn rows<'a>(
    items: impl Iterator<Item = &'a Value>,
    cells: impl Fn(&Value) -> Vec<String>,
) -> String {
    items
        .map(|item| {
            let tds: String = cells(item)
                .into_iter()
                .map(|c| format!("<td>{c}</td>"))
                .collect();
            format!("<tr>{tds}</tr>")
        })
        .collect()
}

/// How many completed tasks the page lists (the most recent first).
pub const COMPLETED_SHOWN: usize = 100;

/// A query-string value, percent-encoded.
fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The sandbox of a task: `<root>/<agent>/frameworks/<fw>/executors/<ex>/runs/latest`
/// (`root` is `<work_dir>/slaves`; a command task's executor id is its task id).
fn sandbox_of(root: &str, t: &Value) -> String {
    let executor = match t["executor_id"].as_str() {
        Some(e) if !e.is_empty() => e,
        _ => t["id"].as_str().unwrap_or_default(),
    };
    format!(
        "{root}/{}/frameworks/{}/executors/{executor}/runs/latest",
        t["slave_id"].as_str().unwrap_or_default(),
        t["framework_id"].as_str().unwrap_or_default(),
    )
}

fn task_links(root: Option<&str>, t: &Value) -> String {
    let Some(root) = root else {
        return String::new();
    };
    let dir = sandbox_of(root, t);
    format!(
        "<a class=\"sandbox\" href=\"/ui/browse?path={d}\">sandbox</a> · \
         <a class=\"stdout\" href=\"/ui/tail?path={o}\">stdout</a> · \
         <a class=\"stderr\" href=\"/ui/tail?path={e}\">stderr</a>",
        d = esc(&enc(&dir)),
        o = esc(&enc(&format!("{dir}/stdout"))),
        e = esc(&enc(&format!("{dir}/stderr"))),
    )
}

/// Counts of a framework's tasks (live and completed) by state: `TASK_RUNNING 2 · ...`.
fn counts_by_state(f: &Value) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for list in ["tasks", "completed_tasks"] {
        for t in f[list].as_array().into_iter().flatten() {
            *counts
                .entry(t["state"].as_str().unwrap_or("?").to_string())
                .or_insert(0u64) += 1;
        }
    }
    if counts.is_empty() {
        return "–".into();
    }
    counts
        .iter()
        .map(|(s, n)| format!("{} {n}", esc(s)))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn last_timestamp(t: &Value) -> f64 {
    t["statuses"]
        .as_array()
        .and_then(|s| s.last())
        .and_then(|s| s["timestamp"].as_f64())
        .unwrap_or(0.0)
}

/// The HTML page for a `/state` document (with the tasks' `message`s when the master added
/// them); `sandbox_root` (`<work_dir>/slaves`) enables the links to the tasks' files.
pub fn render(state: &Value, sandbox_root: Option<&str>) -> String {
    let empty = Vec::new();
    let list = |key: &str| state[key].as_array().unwrap_or(&empty).clone();
    let agents = list("slaves");
    let frameworks = list("frameworks");
    let completed = list("completed_frameworks");
    let agent_rows = rows(agents.iter(), |a| {
        vec![
            text(&a["id"]),
            text(&a["pid"]),
            resources(&a["resources"]),
            resources(&a["used_resources"]),
            attributes(&a["attributes"]),
        ]
    });
    let fw_rows = rows(frameworks.iter().chain(completed.iter()), |f| {
        vec![
            text(&f["id"]),
            text(&f["name"]),
            if f["connected"].as_bool() == Some(true) {
                "connected".into()
            } else if completed.iter().any(|c| c["id"] == f["id"]) {
                "removed".into()
            } else {
                "disconnected".into()
            },
            resources(&f["used_resources"]),
            f["tasks"].as_array().map_or(0, Vec::len).to_string(),
            counts_by_state(f),
        ]
    });
    let all_fws = || frameworks.iter().chain(completed.iter());
    let live: Vec<Value> = all_fws()
        .flat_map(|f| f["tasks"].as_array().cloned().unwrap_or_default())
        .collect();
    let mut done: Vec<Value> = all_fws()
        .flat_map(|f| f["completed_tasks"].as_array().cloned().unwrap_or_default())
        .collect();
    done.sort_by(|a, b| last_timestamp(b).total_cmp(&last_timestamp(a)));
    let n_done = done.len();
    done.truncate(COMPLETED_SHOWN);
    let task_cells = |t: &Value| {
        vec![
            text(&t["id"]),
            text(&t["name"]),
            format!("<span class=\"state\">{}</span>", text(&t["state"])),
            format!("<span class=\"message\">{}</span>", text(&t["message"])),
            text(&t["framework_id"]),
            text(&t["slave_id"]),
            resources(&t["resources"]),
            task_links(sandbox_root, t),
        ]
    };
    let live_rows = rows(live.iter(), task_cells);
    let done_rows = rows(done.iter(), task_cells);
    let task_head = "<tr><th>ID</th><th>Name</th><th>State</th><th>Message</th><th>Framework</th>\
        <th>Agent</th><th>Resources</th><th>Files</th></tr>";
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>mesos-local {version}</title>
<style>{STYLE}</style>
</head><body>
<h1>mesos-local</h1>
<p>Master <code>{pid}</code>, version {version}. This page refreshes every 2 seconds.
<a href="/metrics/snapshot">metrics</a></p>
<h2 id="agents">Agents ({n_agents})</h2>
<table><tr><th>ID</th><th>PID</th><th>Resources</th><th>Used</th><th>Attributes</th></tr>{agent_rows}</table>
<h2 id="frameworks">Frameworks ({n_fw})</h2>
<table><tr><th>ID</th><th>Name</th><th>Status</th><th>Used</th><th>Active tasks</th><th>Tasks by state</th></tr>{fw_rows}</table>
<h2 id="tasks">Tasks ({n_live})</h2>
<table id="live-tasks">{task_head}{live_rows}</table>
<h2 id="completed-tasks">Completed tasks ({n_done}{shown})</h2>
<table id="completed">{task_head}{done_rows}</table>
</body></html>"#,
        version = text(&state["version"]),
        pid = text(&state["pid"]),
        n_agents = agents.len(),
        n_fw = frameworks.len() + completed.len(),
        n_live = live.len(),
        shown = if n_done > COMPLETED_SHOWN {
            format!(", the last {COMPLETED_SHOWN} shown")
        } else {
            String::new()
        },
    )
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}\
td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}th{background:#eee}.state{font-weight:bold}\
pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;word-break:break-all}";

/// The page of a sandbox directory (`/ui/browse?path=`): its entries from the files API,
/// directories linking to their own listing, files to their tail view.
pub fn browse_page(path: &str, listing: &Value) -> String {
    let parent = path
        .trim_end_matches('/')
        .rsplit_once('/')
        .map(|(p, _)| p)
        .unwrap_or("");
    let entries = rows(listing.as_array().into_iter().flatten(), |e| {
        let p = e["path"].as_str().unwrap_or_default();
        let name = p.rsplit('/').next().unwrap_or(p);
        let mode = e["mode"].as_str().unwrap_or_default();
        let target = if mode.starts_with('d') {
            "browse"
        } else {
            "tail"
        };
        vec![
            text(&e["mode"]),
            text(&e["size"]),
            format!(
                "<a href=\"/ui/{target}?path={}\">{}</a>",
                esc(&enc(p)),
                esc(name)
            ),
        ]
    });
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head><body>
<p><a href="/">cluster</a> · <a href="/ui/browse?path={up}">parent</a></p>
<h1>{title}</h1>
<table><tr><th>Mode</th><th>Size</th><th>Name</th></tr>{entries}</table>
</body></html>"#,
        title = esc(path),
        up = esc(&enc(parent)),
    )
}

/// The tail view of a file (`/ui/tail?path=`): `data` (its last bytes) rendered on the
/// server, then the browser polls `/files/read` from `next_offset` every second and
/// appends what the file grew by, so it follows a running task's output.
pub fn tail_page(path: &str, data: &str, next_offset: u64) -> String {
    let js_path = serde_json::to_string(path).unwrap_or_else(|_| "\"\"".into());
    // `</` inside the script would end it early.
    let js_path = js_path.replace("</", "<\\/");
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head><body>
<p><a href="/">cluster</a> · <a href="/ui/browse?path={dir}">sandbox</a> · following (polls every second)</p>
<h1>{title}</h1>
<pre id="log">{data}</pre>
<script>
(function() {{
  var path = {js_path}, offset = {next_offset}, log = document.getElementById('log');
  function poll() {{
    fetch('/files/read?path=' + encodeURIComponent(path) + '&offset=' + offset + '&length=65536')
      .then(function(r) {{ return r.ok ? r.json() : null; }})
      .then(function(j) {{
        if (j && j.data) {{
          log.appendChild(document.createTextNode(j.data));
          offset = j.offset + new TextEncoder().encode(j.data).length;
          window.scrollTo(0, document.body.scrollHeight);
        }}
      }})
      .catch(function() {{}})
      .then(function() {{ setTimeout(poll, 1000); }});
  }}
  setTimeout(poll, 1000);
}})();
</script>
</body></html>"#,
        title = esc(path),
        dir = esc(&enc(path
            .rsplit_once('/')
            .map(|(d, _)| d)
            .unwrap_or_default())),
        data = esc(data),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_and_lists() {
        let state = serde_json::json!({
            "version": "1.11.0", "pid": "master@127.0.0.1:1",
            "slaves": [{"id": "a-S0", "resources": {"cpus": 1}}],
            "frameworks": [{"id": "f", "name": "<b>x</b>", "connected": true,
                "tasks": [{"id": "t1", "state": "TASK_RUNNING", "resources": {}, "slave_id": "a-S0", "framework_id": "f", "executor_id": ""}], "completed_tasks": []}],
            "completed_frameworks": []
        });
        let html = super::render(&state, Some("/w/slaves"));
        assert!(html.contains("/ui/tail?path=%2Fw%2Fslaves%2Fa-S0"));
        assert!(html.contains("TASK_RUNNING 1"));
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(html.contains("TASK_RUNNING"));
        assert!(html.contains("a-S0"));
    }
}
