//! The web page at `/`: agents, frameworks and tasks of the cluster, rendered on the
//! server from the `/state` document and refreshed by the browser every 2 seconds.

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

/// The HTML page for a `/state` document.
pub fn render(state: &Value) -> String {
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
            } else if f["completed_tasks"].is_array()
                && completed.iter().any(|c| c["id"] == f["id"])
            {
                "removed".into()
            } else {
                "disconnected".into()
            },
            resources(&f["used_resources"]),
            f["tasks"].as_array().map_or(0, Vec::len).to_string(),
        ]
    });
    let tasks: Vec<Value> = frameworks
        .iter()
        .chain(completed.iter())
        .flat_map(|f| {
            let mut t = f["tasks"].as_array().cloned().unwrap_or_default();
            t.extend(f["completed_tasks"].as_array().cloned().unwrap_or_default());
            t
        })
        .collect();
    let task_rows = rows(tasks.iter(), |t| {
        vec![
            text(&t["id"]),
            text(&t["name"]),
            format!("<span class=\"state\">{}</span>", text(&t["state"])),
            text(&t["framework_id"]),
            text(&t["slave_id"]),
            resources(&t["resources"]),
        ]
    });
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>mesos-local {version}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:2em}}
td,th{{border:1px solid #ccc;padding:4px 8px;font-size:13px}}th{{background:#eee}}.state{{font-weight:bold}}</style>
</head><body>
<h1>mesos-local</h1>
<p>Master <code>{pid}</code>, version {version}. This page refreshes every 2 seconds.</p>
<h2 id="agents">Agents ({n_agents})</h2>
<table><tr><th>ID</th><th>PID</th><th>Resources</th><th>Used</th><th>Attributes</th></tr>{agent_rows}</table>
<h2 id="frameworks">Frameworks ({n_fw})</h2>
<table><tr><th>ID</th><th>Name</th><th>Status</th><th>Used</th><th>Active tasks</th></tr>{fw_rows}</table>
<h2 id="tasks">Tasks ({n_tasks})</h2>
<table><tr><th>ID</th><th>Name</th><th>State</th><th>Framework</th><th>Agent</th><th>Resources</th></tr>{task_rows}</table>
</body></html>"#,
        version = text(&state["version"]),
        pid = text(&state["pid"]),
        n_agents = agents.len(),
        n_fw = frameworks.len() + completed.len(),
        n_tasks = tasks.len(),
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
                "tasks": [{"id": "t1", "state": "TASK_RUNNING", "resources": {}}], "completed_tasks": []}],
            "completed_frameworks": []
        });
        let html = super::render(&state);
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(html.contains("TASK_RUNNING"));
        assert!(html.contains("a-S0"));
    }
}
