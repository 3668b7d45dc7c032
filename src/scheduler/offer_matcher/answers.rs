//! The answers to the matcher's calls. Each call is sent with `send` and its answer comes
//! back to the actor as one [`Resume`] per call (never per task):
//!
//! - ACCEPT (sent as protobuf bytes, [`SendEncoded`]) taken: its tasks' [`Launched`]
//!   notices go to the tracker in one [`LaunchedAll`]. Refused (a 4xx/5xx
//!   answer) or never sent: the matcher forgets the launches, DECLINEs the offers of a
//!   refused ACCEPT without a filter (the master still holds them for us), and the tracker
//!   queues the tasks again ([`AcceptFailed`]). Outcome unknown (a transport failure after
//!   the request left): the tasks count as launched and the tracker reconciles them.
//! - REVIVE failed: the matcher counts itself suppressed again and sends REVIVE again
//!   after the rate limit.
//! - DECLINE, SUPPRESS failed: logged (the offers come back after their filter).
//!
//! Every failure is logged once with its cause; the connection counts it by call type.

use super::OfferMatcher;
use super::engine::AcceptOffers;
use crate::proto::Filters;
use crate::proto::scheduler::{Call, call};
use crate::scheduler::calls::{self, EncodedCall, OutCall};
use crate::scheduler::master_connection::{CallError, SendCall, SendEncoded};
use crate::scheduler::resume::{Resume, await_then};
use crate::scheduler::task_tracker::{AcceptFailed, Launched, LaunchedAll};
use actix::prelude::*;
use foldhash::{HashMap, HashMapExt};
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

/// The answer to one call, as the matcher's future sees it.
type Answer = Result<Result<(), CallError>, MailboxError>;

fn is_type(c: &Call, t: call::Type) -> bool {
    c.r#type == Some(t as i32)
}

/// The error of a failed answer, `None` when the call was taken.
fn failure(answer: Answer) -> Option<CallError> {
    match answer {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(_) => Some(CallError::Stopped),
    }
}

/// Logs a failed call once: at debug while the runtime stops, else as a warning.
fn log_failure(what: &'static str, error: &CallError, tasks: usize) {
    if *error == CallError::Stopped {
        tracing::debug!(call = what, "call not sent: the runtime is stopping");
    } else {
        tracing::warn!(call = what, %error, tasks, "call failed");
    }
}

/// The launch notices of `launched` split by ACCEPT (one group per entry of `accepts`),
/// and those of no ACCEPT.
fn by_accept(
    launched: Vec<Launched>,
    accepts: &[AcceptOffers],
) -> (Vec<Vec<Launched>>, Vec<Launched>) {
    match accepts.len() {
        0 => (Vec::new(), launched),
        // The common case: every task of the outcome is in its one ACCEPT.
        1 => (vec![launched], Vec::new()),
        n => {
            let mut index: HashMap<&str, usize> = HashMap::with_capacity(n);
            for (i, a) in accepts.iter().enumerate() {
                if let Some(name) = &a.launch_offer {
                    index.insert(name, i);
                }
            }
            let mut groups: Vec<Vec<Launched>> = (0..n).map(|_| Vec::new()).collect();
            let mut stray = Vec::new();
            for l in launched {
                match index.get(&*l.offer_id).and_then(|&i| groups.get_mut(i)) {
                    Some(group) => group.push(l),
                    None => stray.push(l),
                }
            }
            (groups, stray)
        }
    }
}

impl OfferMatcher {
    /// Sends the calls routed out of one outcome; `launched` are the outcome's launch
    /// notices, handed to the tracker once their ACCEPT is answered, and `accepts` says
    /// what each ACCEPT (each encoded call, in order) names.
    pub(super) fn send_calls(
        &mut self,
        send: Vec<OutCall>,
        launched: Vec<Launched>,
        accepts: Vec<AcceptOffers>,
        ctx: &mut Context<Self>,
    ) {
        let (groups, stray) = by_accept(launched, &accepts);
        self.tell_launched(stray);
        let mut accepts = accepts.into_iter().zip(groups);
        for c in send {
            match c {
                OutCall::Encoded(e) => {
                    let (offers, tasks) = accepts.next().unwrap_or_else(|| {
                        let offers = AcceptOffers {
                            offer_ids: Vec::new(),
                            launch_offer: None,
                        };
                        (offers, Vec::new())
                    });
                    self.send_accept(e, offers, tasks, ctx);
                }
                OutCall::Message(c) => self.send_other(*c, ctx),
            }
        }
    }

    /// One [`LaunchedAll`] with `launched`, if any.
    fn tell_launched(&self, launched: Vec<Launched>) {
        if !launched.is_empty() {
            self.launched.do_send(LaunchedAll(launched));
        }
    }

    /// Sends an ACCEPT as its bytes (decoded when there is no recipient for bytes).
    fn send_accept(
        &mut self,
        e: EncodedCall,
        offers: AcceptOffers,
        tasks: Vec<Launched>,
        ctx: &mut Context<Self>,
    ) {
        let answer: Pin<Box<dyn Future<Output = Answer>>> = match &self.encoded {
            Some(to) => Box::pin(to.send(SendEncoded(e))),
            None => match e.decode() {
                Ok(c) => Box::pin(self.calls.send(SendCall(c))),
                Err(err) => {
                    let err = CallError::NotSent(format!("an encoded call does not decode: {err}"));
                    Box::pin(std::future::ready(Ok(Err(err))))
                }
            },
        };
        await_then(ctx, answer, move |act: &mut Self, answer, ctx| {
            act.accept_answered(answer, offers, tasks, ctx)
        });
    }

    fn accept_answered(
        &mut self,
        answer: Answer,
        offers: AcceptOffers,
        tasks: Vec<Launched>,
        ctx: &mut Context<Self>,
    ) {
        let offer_ids = offers.offer_ids;
        let Some(error) = failure(answer) else {
            self.metrics.offers_accepted(offer_ids.len());
            self.metrics.tasks_launched(tasks.len());
            return self.tell_launched(tasks);
        };
        log_failure("ACCEPT", &error, tasks.len());
        if error.outcome_unknown() {
            self.metrics.tasks_launched(tasks.len());
            return self.tell_failed(tasks, true);
        }
        if error == CallError::Stopped {
            return;
        }
        let now = Instant::now();
        for l in &tasks {
            let out = self.core.released(&l.task_id, now);
            self.apply(out, ctx);
        }
        if matches!(error, CallError::Rejected { .. }) && !offer_ids.is_empty() {
            // The master still holds the offers for us: give them back at once.
            let release = calls::decline(
                self.core.framework_id.clone(),
                offer_ids,
                Filters {
                    refuse_seconds: Some(0.0),
                },
            );
            self.send_other(release, ctx);
        }
        self.metrics.tasks_requeued(tasks.len());
        self.tell_failed(tasks, false);
    }

    fn tell_failed(&self, tasks: Vec<Launched>, outcome_unknown: bool) {
        match &self.accept_failed {
            Some(to) => to.do_send(AcceptFailed {
                tasks,
                outcome_unknown,
            }),
            None => {
                tracing::error!(
                    tasks = tasks.len(),
                    "no tracker for failed ACCEPTs: its tasks count as launched"
                );
                self.tell_launched(tasks);
            }
        }
    }

    fn send_other(&mut self, c: Call, ctx: &mut Context<Self>) {
        let revive = is_type(&c, call::Type::Revive);
        let (what, declined) = match c.decline.as_ref() {
            Some(d) if is_type(&c, call::Type::Decline) => ("DECLINE", d.offer_ids.len()),
            _ if revive => ("REVIVE", 0),
            _ if is_type(&c, call::Type::Suppress) => ("SUPPRESS", 0),
            _ => ("call", 0),
        };
        let answer = self.calls.send(SendCall(c));
        await_then(ctx, answer, move |act: &mut Self, answer, ctx| {
            let Some(error) = failure(answer) else {
                act.metrics.offers_declined(declined);
                return;
            };
            log_failure(what, &error, 0);
            if revive && error != CallError::Stopped {
                act.core.revive_failed(Instant::now());
                act.schedule(ctx);
            }
        });
    }
}

impl Handler<Resume<Self>> for OfferMatcher {
    type Result = ();

    fn handle(&mut self, resume: Resume<Self>, ctx: &mut Context<Self>) {
        resume.run(self, ctx);
    }
}
