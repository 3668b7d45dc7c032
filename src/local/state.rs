//! The `/state` document in the shape the real master uses for the keys it shares with it
//! (v0 naming: `slaves`, `slave_id`; resources as flat objects).

use super::attributes::attributes_json;
use super::master::{Framework, LocalMaster, TaskRecord, VERSION};
use crate::proto::framework_info::Capability;
use crate::resources::Resources;
use serde_json::{Value, json};

fn task_json(fw: &Framework, t: &TaskRecord, agent_id: &str) -> Value {
    let statuses: Vec<Value> = t
        .statuses
        .iter()
        .map(|(s, ts)| json!({"state": s.as_str_name(), "timestamp": ts}))
        .collect();
    json!({
        "id": t.info.task_id.value,
        "name": t.info.name,
        "framework_id": fw.id,
        "executor_id": if t.info.command.is_some() && t.info.executor.is_none() { String::new() } else { t.executor_id.clone() },
        "slave_id": agent_id,
        "state": t.state.as_str_name(),
        "resources": flat_json(&Resources::unreserved(&t.info.resources)),
        "role": t.role,
        "statuses": statuses,
        "user": fw.info.user,
    })
}

fn capabilities(caps: &[Capability]) -> Vec<String> {
    caps.iter()
        .filter_map(|c| c.r#type)
        .filter_map(|t| crate::proto::framework_info::capability::Type::try_from(t).ok())
        .map(|t| t.as_str_name().to_string())
        .collect()
}

fn framework_json(master: &LocalMaster, fw: &Framework) -> Value {
    let agent_id = |i: usize| master.agent_id_for(i);
    let tasks: Vec<Value> = fw
        .tasks
        .values()
        .map(|t| task_json(fw, t, &agent_id(t.agent)))
        .collect();
    let completed: Vec<Value> = fw
        .completed_tasks
        .iter()
        .map(|t| task_json(fw, t, &agent_id(t.agent)))
        .collect();
    let mut offered = Resources::new();
    let offers: Vec<Value> = master
        .offers
        .values()
        .filter(|o| o.framework_id == fw.id)
        .map(|o| {
            offered.merge(&o.resources);
            json!({
                "id": o.offer.id.value,
                "framework_id": fw.id,
                "slave_id": agent_id(o.agent),
                "resources": flat_json(&o.resources),
                "allocation_info": {"role": fw.role()},
            })
        })
        .collect();
    let executors: Vec<Value> = fw
        .executors
        .iter()
        .map(|((a, e), r)| json!({"executor_id": e, "slave_id": agent_id(*a), "resources": flat_json(&r.resources)}))
        .collect();
    let mut out = json!({
        "id": fw.id,
        "name": fw.info.name,
        "user": fw.info.user,
        "hostname": fw.info.hostname.clone().unwrap_or_default(),
        "webui_url": fw.info.webui_url.clone().unwrap_or_default(),
        "failover_timeout": fw.info.failover_timeout.unwrap_or(0.0),
        "checkpoint": fw.info.checkpoint.unwrap_or(false),
        "capabilities": capabilities(&fw.info.capabilities),
        "active": fw.active && fw.connected(),
        "connected": fw.connected(),
        "recovered": false,
        "registered_time": fw.registered_time,
        "unregistered_time": fw.unregistered_time,
        "used_resources": flat_json(&fw.used()),
        "offered_resources": flat_json(&offered),
        "tasks": tasks,
        "unreachable_tasks": [],
        "completed_tasks": completed,
        "offers": offers,
        "executors": executors,
    });
    if let Value::Object(map) = &mut out {
        if let Some(t) = fw.reregistered_time {
            map.insert("reregistered_time".into(), json!(t));
        }
        if let Some(p) = &fw.info.principal {
            map.insert("principal".into(), json!(p));
        }
        if fw
            .info
            .has_capability(crate::proto::framework_info::capability::Type::MultiRole)
        {
            map.insert("roles".into(), json!(fw.info.roles));
        } else {
            map.insert("role".into(), json!(fw.role()));
        }
    }
    out
}

/// The `/state` JSON of the master.
pub fn state_json(master: &LocalMaster) -> Value {
    let pid = master.info.pid.clone().unwrap_or_default();
    let hostname = master.info.hostname.clone().unwrap_or_default();
    let slaves: Vec<Value> = master
        .agents
        .iter()
        .map(|a| {
            json!({
                "id": a.info.id.as_ref().map(|i| i.value.clone()).unwrap_or_default(),
                "hostname": a.info.hostname,
                "port": master.info.port,
                "pid": a.pid,
                "attributes": attributes_json(&a.info.attributes),
                "registered_time": a.registered_time,
                "resources": flat_json(&a.total),
                "used_resources": flat_json(&a.used),
                "offered_resources": flat_json(&a.offered),
                "reserved_resources": {},
                "unreserved_resources": flat_json(&a.total),
                "active": true,
                "deactivated": false,
                "version": VERSION,
                "capabilities": ["MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT"],
            })
        })
        .collect();
    let frameworks: Vec<Value> = master
        .frameworks
        .values()
        .map(|f| framework_json(master, f))
        .collect();
    let completed: Vec<Value> = master
        .completed_frameworks
        .iter()
        .map(|f| framework_json(master, f))
        .collect();
    json!({
        "version": VERSION,
        "build_date": "",
        "build_time": 0,
        "build_user": "mesos-actix",
        "start_time": master.start_time,
        "elected_time": master.start_time,
        "id": master.info.id,
        "pid": pid,
        "hostname": hostname,
        "capabilities": ["AGENT_UPDATE", "AGENT_DRAINING"],
        "activated_slaves": master.agents.len(),
        "deactivated_slaves": 0,
        "unreachable_slaves": 0,
        "leader": pid,
        "leader_info": {
            "id": master.info.id,
            "pid": pid,
            "port": master.info.port,
            "hostname": hostname,
        },
        "flags": {
            "heartbeat_interval": crate::local::wire::stout_duration(master.config.heartbeat_interval),
            "authenticate_http_frameworks": master.config.credentials.is_some().to_string(),
        },
        "slaves": slaves,
        "recovered_slaves": [],
        "frameworks": frameworks,
        "completed_frameworks": completed,
        "orphan_tasks": [],
        "unregistered_frameworks": [],
    })
}

/// The flat object of `/state`: scalars by name (`cpus`, `gpus`, `mem`, `disk` always
/// present), ranges as `"[31000-32000]"`, sets as `"{a,b}"`.
fn flat_json(resources: &Resources) -> serde_json::Value {
    use crate::resources::Amount;
    let mut map = serde_json::Map::new();
    for name in ["cpus", "gpus", "mem", "disk"] {
        map.insert(name.into(), json!(resources.scalar(name).to_f64()));
    }
    for (meta, amount) in resources.iter() {
        let value = match amount {
            Amount::Scalar(_) => json!(resources.scalar(&meta.name).to_f64()),
            Amount::Ranges(r) => {
                let text: Vec<String> = r.pairs().iter().map(|(b, e)| format!("{b}-{e}")).collect();
                format!("[{}]", text.join(", ")).into()
            }
            Amount::Set(items) => {
                let text: Vec<&str> = items.iter().map(String::as_str).collect();
                format!("{{{}}}", text.join(", ")).into()
            }
        };
        map.insert(meta.name.clone(), value);
    }
    serde_json::Value::Object(map)
}

/// `/state` plus, on every task that has one, `message` (its latest status message): only
/// for the web page, `/state` keeps to Apache Mesos's keys.
pub fn ui_state_json(master: &LocalMaster) -> Value {
    let mut doc = state_json(master);
    let all = master
        .frameworks
        .values()
        .chain(master.completed_frameworks.iter());
    let mut messages = std::collections::HashMap::new();
    for fw in all {
        for t in fw.tasks.values().chain(fw.completed_tasks.iter()) {
            if let Some(m) = &t.message {
                messages.insert((fw.id.as_str(), t.info.task_id.value.as_str()), m.as_str());
            }
        }
    }
    for key in ["frameworks", "completed_frameworks"] {
        let Some(fws) = doc.get_mut(key).and_then(Value::as_array_mut) else {
            continue;
        };
        for fw in fws {
            let fid = fw["id"].as_str().unwrap_or_default().to_string();
            for list in ["tasks", "completed_tasks"] {
                let Some(tasks) = fw.get_mut(list).and_then(Value::as_array_mut) else {
                    continue;
                };
                for t in tasks {
                    let tid = t["id"].as_str().unwrap_or_default().to_string();
                    if let (Some(m), Value::Object(map)) =
                        (messages.get(&(fid.as_str(), tid.as_str())), &mut *t)
                    {
                        map.insert("message".into(), json!(m));
                    }
                }
            }
        }
    }
    doc
}
