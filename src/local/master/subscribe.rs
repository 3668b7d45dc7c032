//! SUBSCRIBE, disconnection, failover timeouts and framework removal.

use super::{Framework, LocalMaster, SchedulerReply, SchedulerRequest};
use crate::local::agent::{FrameworkResubscribed, ShutdownFramework};
use crate::local::wire::{ApiError, ClosedSignal, Subscriber, event_stream};
use crate::proto::{FrameworkInfo, TaskState, framework_info::capability::Type as Cap, scheduler};
use actix::prelude::*;
use std::time::Duration;

/// The subscription stream `stream_id` of a framework ended.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub(super) struct SubscriptionClosed {
    framework_id: String,
    stream_id: String,
}

impl Handler<SubscriptionClosed> for LocalMaster {
    type Result = ();
    fn handle(&mut self, msg: SubscriptionClosed, ctx: &mut Self::Context) {
        let current = self.frameworks.get(&msg.framework_id).is_some_and(|f| {
            f.stream_id.as_deref() == Some(msg.stream_id.as_str()) && f.connected()
        });
        if current {
            self.disconnected(&msg.framework_id, ctx);
        }
    }
}

fn error_event(message: &str) -> scheduler::Event {
    scheduler::Event {
        r#type: Some(scheduler::event::Type::Error as i32),
        error: Some(scheduler::event::Error {
            message: message.to_string(),
        }),
        ..Default::default()
    }
}

/// FrameworkInfo checks whose failure is answered with 200 + ERROR.
#[allow(deprecated)]
fn validate_framework_info(info: &FrameworkInfo, suppressed: &[String]) -> Result<(), String> {
    let multi_role = info.has_capability(Cap::MultiRole);
    #[allow(deprecated)]
    let role_set = info.role.is_some();
    if multi_role && role_set {
        return Err(
            "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable".into(),
        );
    }
    if !multi_role && !info.roles.is_empty() {
        return Err(
            "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"
                .into(),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for role in &info.roles {
        if !seen.insert(role) {
            return Err(format!(
                "'FrameworkInfo.roles' contains duplicate role '{role}'"
            ));
        }
    }
    #[allow(deprecated)]
    let roles: Vec<&String> = info.roles.iter().chain(info.role.iter()).collect();
    for role in &roles {
        if role.is_empty()
            || role.as_str() == "."
            || role.as_str() == ".."
            || role.starts_with('-')
            || role.contains(|c: char| c.is_whitespace() || c == '\u{7f}' || c.is_control())
            || (role.as_str() != "*" && role.contains('*'))
        {
            return Err(format!("Invalid role '{role}'"));
        }
    }
    let effective: Vec<String> = if multi_role {
        info.roles.clone()
    } else {
        vec![info.role.clone().unwrap_or_else(|| "*".into())]
    };
    if let Some(bad) = suppressed.iter().find(|r| !effective.contains(r)) {
        return Err(format!(
            "Suppressed role '{bad}' is not contained in the list of roles"
        ));
    }
    if let Some(t) = info.failover_timeout {
        if !t.is_finite() || t < 0.0 {
            return Err("Invalid failover_timeout".into());
        }
    }
    Ok(())
}

impl LocalMaster {
    /// A stream that carries one ERROR event and then ends.
    fn error_stream(&self, accept: crate::codec::Encoding, message: &str) -> SchedulerReply {
        let (sub, stream, _closed) = event_stream(accept);
        sub.send(&error_event(message));
        SchedulerReply::Stream {
            stream_id: uuid::Uuid::new_v4().to_string(),
            stream,
        }
    }

    pub(super) fn subscribe(
        &mut self,
        msg: SchedulerRequest,
        ctx: &mut Context<Self>,
    ) -> Result<SchedulerReply, ApiError> {
        let subscribe = msg
            .call
            .subscribe
            .ok_or_else(|| ApiError::bad_request("Expecting 'subscribe' to be present"))?;
        let mut info = subscribe.framework_info;
        if let Some(p) = &msg.principal {
            match &info.principal {
                Some(set) if set != p => {
                    return Err(ApiError::bad_request(format!(
                        "Authenticated principal '{p}' does not match principal '{set}' set in `FrameworkInfo`"
                    )));
                }
                Some(_) => {}
                None => info.principal = Some(p.clone()),
            }
        }
        if let Err(e) = validate_framework_info(&info, &subscribe.suppressed_roles) {
            return Ok(self.error_stream(msg.accept, &e));
        }
        let requested = info.id.as_ref().map(|i| i.value.clone());
        if let Some(id) = &requested {
            if self.removed.contains(id) {
                return Ok(self.error_stream(msg.accept, "Framework has been removed"));
            }
            if !crate::local::wire::valid_id(id) {
                return Ok(self.error_stream(msg.accept, "Invalid FrameworkID"));
            }
            if let Some(existing) = self.frameworks.get(id) {
                if existing.info.principal != info.principal {
                    return Ok(self.error_stream(
                        msg.accept,
                        "Changing framework's principal is not allowed",
                    ));
                }
                if existing.info.user != info.user || existing.info.checkpoint != info.checkpoint {
                    return Ok(self.error_stream(
                        msg.accept,
                        "Updating 'FrameworkInfo.user' or 'FrameworkInfo.checkpoint' is unsupported",
                    ));
                }
            }
        }
        let id = requested.unwrap_or_else(|| {
            let id = format!("{}-{:04}", self.info.id, self.next_framework);
            self.next_framework += 1;
            id
        });
        info.id = Some(id.as_str().into());
        let (subscriber, stream, closed) = event_stream(msg.accept);
        let stream_id = uuid::Uuid::new_v4().to_string();
        let suppressed = !subscribe.suppressed_roles.is_empty();
        match self.frameworks.get_mut(&id) {
            Some(fw) => {
                if let Some(old) = fw.subscriber.take() {
                    if !fw.silenced {
                        old.send(&error_event("Framework failed over"));
                    }
                }
                fw.info = info.clone();
                fw.reregistered_time = Some(crate::proto::now_seconds());
                fw.unregistered_time = 0.0;
                tracing::info!(framework = %id, "framework re-subscribed");
            }
            None => {
                self.frameworks
                    .insert(id.clone(), Framework::new(id.clone(), info.clone()));
                tracing::info!(framework = %id, name = %info.name, "framework subscribed");
            }
        }
        self.discard_offers(&id);
        self.allocator.clear_filters(&id);
        self.attach(&id, subscriber, stream_id.clone(), closed, suppressed, ctx);
        for agent in &self.agents {
            agent.addr.do_send(FrameworkResubscribed {
                framework_info: info.clone(),
            });
        }
        self.schedule_allocation(ctx);
        Ok(SchedulerReply::Stream { stream_id, stream })
    }

    fn attach(
        &mut self,
        id: &str,
        subscriber: Subscriber,
        stream_id: String,
        closed: ClosedSignal,
        suppressed: bool,
        ctx: &mut Context<Self>,
    ) {
        let heartbeat = self.config.heartbeat_interval.as_secs_f64();
        let master_info = self.info.clone();
        let Some(fw) = self.frameworks.get_mut(id) else {
            return;
        };
        subscriber.send(&scheduler::Event {
            r#type: Some(scheduler::event::Type::Subscribed as i32),
            subscribed: Some(scheduler::event::Subscribed {
                framework_id: id.into(),
                heartbeat_interval_seconds: Some(heartbeat),
                master_info: Some(master_info),
            }),
            ..Default::default()
        });
        subscriber.send(&scheduler::Event {
            r#type: Some(scheduler::event::Type::Heartbeat as i32),
            ..Default::default()
        });
        fw.subscriber = Some(subscriber);
        fw.silenced = false;
        fw.stream_id = Some(stream_id.clone());
        fw.epoch += 1;
        fw.suppressed = suppressed;
        let framework_id = id.to_string();
        ctx.spawn(
            async move {
                let _ = closed.await;
            }
            .into_actor(self)
            .map(move |_, _, ctx| {
                ctx.notify(SubscriptionClosed {
                    framework_id,
                    stream_id,
                })
            }),
        );
    }

    /// The subscription closed: offers go back, and the framework is removed unless it
    /// re-subscribes within its failover timeout.
    fn disconnected(&mut self, id: &str, ctx: &mut Context<Self>) {
        let Some(fw) = self.frameworks.get_mut(id) else {
            return;
        };
        fw.subscriber = None;
        fw.epoch += 1;
        fw.unregistered_time = crate::proto::now_seconds();
        let epoch = fw.epoch;
        let incarnation = self.incarnation;
        let timeout = fw.info.failover_timeout.unwrap_or(0.0);
        let timeout = Duration::from_secs_f64(timeout.clamp(0.0, 1e9));
        tracing::info!(framework = %id, failover_timeout = ?timeout, "framework disconnected");
        self.discard_offers(id);
        let id = id.to_string();
        ctx.run_later(timeout, move |master, ctx| {
            let expired = master.incarnation == incarnation
                && master
                    .frameworks
                    .get(&id)
                    .is_some_and(|f| f.epoch == epoch && !f.connected());
            if expired {
                tracing::info!(framework = %id, "failover timeout expired; removing framework");
                master.remove_framework(&id, ctx);
            }
        });
        self.schedule_allocation(ctx);
    }

    /// Removes a framework: its executors and tasks are killed on the agents, its stream is
    /// closed and its id can never be used again.
    pub(super) fn remove_framework(&mut self, id: &str, ctx: &mut Context<Self>) {
        self.discard_offers(id);
        self.allocator.clear_filters(id);
        let Some(mut fw) = self.frameworks.remove(id) else {
            return;
        };
        for agent in &self.agents {
            agent.addr.do_send(ShutdownFramework {
                framework_id: id.to_string(),
            });
        }
        let now = crate::proto::now_seconds();
        let tasks: Vec<_> = fw.tasks.drain().map(|(_, t)| t).collect();
        for mut task in tasks {
            if !task.released {
                if let Some(agent) = self.agent_mut(task.agent) {
                    agent.used.subtract_present(&task.resources);
                }
                task.released = true;
            }
            if !task.state.is_terminal() {
                task.state = TaskState::TaskKilled;
                task.statuses.push((TaskState::TaskKilled, now));
            }
            fw.completed_tasks.push(task);
        }
        for ((agent, _), ex) in fw.executors.drain() {
            if let Some(a) = self.agent_mut(agent) {
                a.used.subtract_present(&ex.resources);
            }
        }
        fw.subscriber = None;
        fw.active = false;
        fw.unregistered_time = now;
        self.removed.insert(id.to_string());
        self.completed_frameworks.push(fw);
        let excess = self.completed_frameworks.len().saturating_sub(50);
        self.completed_frameworks.drain(..excess);
        self.schedule_allocation(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_info_rules() {
        let mut info = FrameworkInfo::new("x");
        assert!(validate_framework_info(&info, &[]).is_ok());
        info.roles = vec!["a".into()];
        assert!(
            validate_framework_info(&info, &[]).is_err(),
            "roles without MULTI_ROLE"
        );
        info.add_capability(Cap::MultiRole);
        assert!(validate_framework_info(&info, &[]).is_ok());
        assert!(validate_framework_info(&info, &["b".into()]).is_err());
        info.roles.push("a".into());
        assert!(validate_framework_info(&info, &[]).is_err(), "duplicate");
    }
}
