//! MessageRouter: MESSAGE events fanned out to every user recipient, SendMessage as a
//! MESSAGE call.

use actix::prelude::*;
use mesos_actix::__internals::master_connection::{CallError, SendCall};
use mesos_actix::__internals::message_router::{MessageRouter, SendMessage};
use mesos_actix::proto::scheduler::call;
use mesos_actix::proto::{AgentId, ExecutorId};
use mesos_actix::scheduler::ExecutorMessage;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Conn {
    calls: Arc<Mutex<Vec<mesos_actix::proto::scheduler::Call>>>,
    answer: Result<(), CallError>,
}
impl Actor for Conn {
    type Context = Context<Self>;
}
impl Handler<SendCall> for Conn {
    type Result = Result<(), CallError>;
    fn handle(&mut self, SendCall(call): SendCall, _: &mut Context<Self>) -> Self::Result {
        self.calls.lock().unwrap().push(call);
        self.answer.clone()
    }
}

struct User {
    got: Arc<Mutex<Vec<ExecutorMessage>>>,
}
impl Actor for User {
    type Context = Context<Self>;
}
impl Handler<ExecutorMessage> for User {
    type Result = ();
    fn handle(&mut self, msg: ExecutorMessage, _: &mut Context<Self>) {
        self.got.lock().unwrap().push(msg);
    }
}

fn message(n: u8) -> ExecutorMessage {
    ExecutorMessage {
        agent_id: AgentId::new("agent-1"),
        executor_id: ExecutorId::new("boards"),
        data: vec![n],
    }
}

#[actix_rt::test]
async fn messages_reach_every_user_in_order() {
    let calls = Arc::default();
    let conn = Conn {
        calls,
        answer: Ok(()),
    }
    .start();
    let inboxes: Vec<Arc<Mutex<Vec<ExecutorMessage>>>> = vec![Arc::default(), Arc::default()];
    let users = inboxes
        .iter()
        .map(|got| User { got: got.clone() }.start().recipient())
        .collect();
    let router = MessageRouter::new(conn.recipient(), users).start();
    for n in 0..50 {
        router.do_send(message(n));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while inboxes.iter().any(|i| i.lock().unwrap().len() < 50) {
        assert!(Instant::now() < deadline, "messages not delivered");
        actix_rt::time::sleep(Duration::from_millis(10)).await;
    }
    for inbox in &inboxes {
        let got = inbox.lock().unwrap();
        assert_eq!(*got, (0..50).map(message).collect::<Vec<_>>());
    }
}

#[actix_rt::test]
async fn send_message_is_a_message_call_and_answers_its_result() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let conn = Conn {
        calls: calls.clone(),
        answer: Ok(()),
    }
    .start();
    let router = MessageRouter::new(conn.recipient(), Vec::new()).start();
    let msg = SendMessage {
        agent_id: AgentId::new("agent-1"),
        executor_id: ExecutorId::new("profile"),
        data: b"crawl /user".to_vec(),
    };
    router.send(msg.clone()).await.unwrap().unwrap();
    let sent = calls.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].r#type, Some(call::Type::Message as i32));
    let m = sent[0].message.clone().unwrap();
    assert_eq!(m.agent_id.value, "agent-1");
    assert_eq!(m.executor_id.value, "profile");
    assert_eq!(m.data, b"crawl /user");
    // A message event with no user recipient is dropped quietly.
    router.send(message(1)).await.unwrap();

    let refusing = Conn {
        calls: Arc::default(),
        answer: Err(CallError::NotSubscribed),
    }
    .start();
    let router = MessageRouter::new(refusing.recipient(), Vec::new()).start();
    assert_eq!(
        router.send(msg).await.unwrap(),
        Err(CallError::NotSubscribed)
    );
}
