//! TEMPORARY STAND-IN scheduler client, used by `offer_flood` until the real runtime
//! (`mesos_actix::scheduler::Framework`) is merged: one actor that subscribes with `awc`,
//! places queued tasks with the [stand-in first-fit](super::stand_in_matcher), ACCEPTs or
//! DECLINEs every offer and ACKs every update, each call spawned on its own so answers do
//! not wait for each other.
//!
//! Its handle mirrors the real one (`builder(info).master(url).encoding(e).start().await`,
//! `submit(spec).await`, `wait_subscribed(timeout).await`) so that swapping it for the real
//! `Framework` is a change of import.

use super::stand_in_matcher::{StandInFirstFit, StandInTask};
use crate::client::{StreamError, http_client, records};
use crate::codec::Encoding;
use crate::proto::scheduler::{Call, Event, call, event};
use crate::proto::{FrameworkId, FrameworkInfo, TaskId};
use crate::scheduler::TaskSpec;
use actix::prelude::*;
use bytes::Bytes;
use std::time::Duration;
use tokio::sync::watch;

/// Queue a task (answers its task id).
#[derive(Message, Debug)]
#[rtype(result = "TaskId")]
pub struct Submit(pub TaskSpec);

/// Why the stand-in failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StandInError {
    /// SUBSCRIBE failed.
    #[error("subscribe failed: {0}")]
    Subscribe(String),
    /// The actor is gone.
    #[error("stand-in scheduler stopped")]
    Stopped,
    /// Timed out.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}

/// Subscription progress as the handle sees it.
#[derive(Debug, Clone, PartialEq)]
enum Link {
    Connecting,
    Subscribed(FrameworkId),
    Failed(String),
}

/// The stand-in scheduler actor.
pub struct StandInScheduler {
    info: FrameworkInfo,
    url: String,
    encoding: Encoding,
    client: awc::Client,
    matcher: StandInFirstFit,
    framework_id: Option<FrameworkId>,
    stream_id: Option<String>,
    next_task: u64,
    link: watch::Sender<Link>,
}

impl Actor for StandInScheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let subscribe = Call {
            r#type: Some(call::Type::Subscribe as i32),
            subscribe: Some(call::Subscribe {
                framework_info: self.info.clone(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let request = self
            .client
            .post(format!("{}/api/v1/scheduler", self.url))
            .insert_header(("Content-Type", self.encoding.content_type()))
            .insert_header(("Accept", self.encoding.content_type()))
            .send_body(self.encoding.encode(&subscribe));
        ctx.spawn(
            request
                .into_actor(self)
                .map(|result, act, ctx| match result {
                    Ok(resp) if resp.status().is_success() => {
                        act.stream_id = resp
                            .headers()
                            .get("Mesos-Stream-Id")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string);
                        ctx.add_stream(records(Box::pin(resp), 64 << 20));
                    }
                    Ok(resp) => act.fail(ctx, format!("SUBSCRIBE answered {}", resp.status())),
                    Err(e) => act.fail(ctx, format!("SUBSCRIBE failed: {e}")),
                }),
        );
    }
}

impl StandInScheduler {
    fn fail(&mut self, ctx: &mut Context<Self>, why: String) {
        tracing::warn!("stand-in scheduler: {why}");
        let _ = self.link.send(Link::Failed(why));
        ctx.stop();
    }

    fn post(&self, call: Call) {
        let (Some(stream_id), true) = (&self.stream_id, call.framework_id.is_some()) else {
            return;
        };
        let request = self
            .client
            .post(format!("{}/api/v1/scheduler", self.url))
            .insert_header(("Content-Type", self.encoding.content_type()))
            .insert_header(("Mesos-Stream-Id", stream_id.as_str()))
            .send_body(self.encoding.encode(&call));
        actix_rt::spawn(async move {
            match request.await {
                Ok(mut resp) => {
                    let _ = resp.body().await;
                    if !resp.status().is_success() {
                        tracing::warn!("stand-in call answered {}", resp.status());
                    }
                }
                Err(e) => tracing::warn!("stand-in call failed: {e}"),
            }
        });
    }

    fn on_event(&mut self, event: Event, ctx: &mut Context<Self>) {
        match event.r#type.and_then(|t| event::Type::try_from(t).ok()) {
            Some(event::Type::Subscribed) => {
                if let Some(s) = event.subscribed {
                    self.framework_id = Some(s.framework_id.clone());
                    let _ = self.link.send(Link::Subscribed(s.framework_id));
                }
            }
            Some(event::Type::Offers) => {
                let (Some(fid), Some(offers)) = (&self.framework_id, event.offers) else {
                    return;
                };
                for call in self.matcher.answer(fid, &offers.offers) {
                    self.post(call);
                }
            }
            Some(event::Type::Update) => {
                let (Some(fid), Some(update)) = (&self.framework_id, event.update) else {
                    return;
                };
                let status = update.status;
                if let (Some(uuid), Some(agent_id)) = (status.uuid, status.agent_id) {
                    self.post(Call {
                        framework_id: Some(fid.clone()),
                        r#type: Some(call::Type::Acknowledge as i32),
                        acknowledge: Some(call::Acknowledge {
                            agent_id,
                            task_id: status.task_id,
                            uuid,
                        }),
                        ..Default::default()
                    });
                }
            }
            Some(event::Type::Error) => {
                let why = event.error.map(|e| e.message).unwrap_or_default();
                self.fail(ctx, format!("ERROR event: {why}"));
            }
            _ => {}
        }
    }
}

impl StreamHandler<Result<Bytes, StreamError>> for StandInScheduler {
    fn handle(&mut self, item: Result<Bytes, StreamError>, ctx: &mut Context<Self>) {
        let record = match item {
            Ok(r) => r,
            Err(e) => return self.fail(ctx, format!("stream: {e}")),
        };
        match self.encoding.decode::<Event>(&record) {
            Ok(event) => self.on_event(event, ctx),
            Err(e) => tracing::warn!("stand-in: undecodable event: {e}"),
        }
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        self.fail(ctx, "subscription stream ended".into());
    }
}

impl Handler<Submit> for StandInScheduler {
    type Result = MessageResult<Submit>;
    fn handle(&mut self, msg: Submit, _: &mut Context<Self>) -> Self::Result {
        let id = format!("{}-{}", msg.0.name, self.next_task);
        self.next_task += 1;
        self.matcher
            .push(StandInTask::from_spec(id.clone(), &msg.0));
        MessageResult(TaskId::new(id))
    }
}

/// Builds a [`StandInFramework`], shaped like the real `FrameworkBuilder`.
#[derive(Debug)]
pub struct StandInBuilder {
    info: FrameworkInfo,
    url: Option<String>,
    encoding: Encoding,
}

impl StandInBuilder {
    /// The master URL.
    pub fn master(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// The wire encoding.
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Starts the actor in the current actix system; it subscribes in the background.
    pub async fn start(self) -> Result<StandInFramework, StandInError> {
        let url = self
            .url
            .ok_or_else(|| StandInError::Subscribe("no master URL given".into()))?;
        let (link, link_rx) = watch::channel(Link::Connecting);
        let addr = StandInScheduler {
            info: self.info,
            url: url.trim_end_matches('/').to_string(),
            encoding: self.encoding,
            client: http_client(Duration::from_secs(30)),
            matcher: StandInFirstFit::new(),
            framework_id: None,
            stream_id: None,
            next_task: 0,
            link,
        }
        .start();
        Ok(StandInFramework {
            addr,
            link: link_rx,
        })
    }
}

/// The stand-in's handle, shaped like the real `Framework`.
#[derive(Debug, Clone)]
pub struct StandInFramework {
    addr: Addr<StandInScheduler>,
    link: watch::Receiver<Link>,
}

impl StandInFramework {
    /// Starts building (mirrors `Framework::builder`).
    pub fn builder(info: FrameworkInfo) -> StandInBuilder {
        StandInBuilder {
            info,
            url: None,
            encoding: Encoding::Protobuf,
        }
    }

    /// Queues a task.
    pub async fn submit(&self, spec: TaskSpec) -> Result<TaskId, StandInError> {
        self.addr
            .send(Submit(spec))
            .await
            .map_err(|_| StandInError::Stopped)
    }

    /// Waits for SUBSCRIBED.
    pub async fn wait_subscribed(&self, timeout: Duration) -> Result<FrameworkId, StandInError> {
        let mut link = self.link.clone();
        let wait = async {
            loop {
                match &*link.borrow_and_update() {
                    Link::Subscribed(id) => return Ok(id.clone()),
                    Link::Failed(e) => return Err(StandInError::Subscribe(e.clone())),
                    Link::Connecting => {}
                }
                if link.changed().await.is_err() {
                    return Err(StandInError::Stopped);
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| StandInError::Timeout(timeout))?
    }
}
