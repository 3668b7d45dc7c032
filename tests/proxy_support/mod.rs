//! A fault-injecting HTTP/1.1 proxy for the `faults_*` tests: it sits between a framework
//! and the local cluster, forwards every request and answer byte for byte, and does one
//! scripted thing to the next ACCEPT (see [`Fault`]). It can also cut the event streams or
//! every connection. Requests are parsed (head with `httparse`, body by `Content-Length`) to
//! find the calls; pipelined requests are forwarded in order.
#![allow(dead_code)]

use actix_rt::net::{TcpListener, TcpStream};
use bytes::{Buf, BytesMut};
use mesos_actix::Encoding;
use mesos_actix::proto::scheduler::{Call, call};
use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

/// What the proxy does to the next ACCEPT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Nothing: forward it.
    None,
    /// Forward it with a wrong `Mesos-Stream-Id`: the master refuses it (400).
    StaleStreamId,
    /// Forward it, then relay no more answers on its connection (until [`Proxy::cut_all`]).
    SwallowAnswer,
    /// Hold it until [`Proxy::release`], then forward it unchanged.
    Hold,
}

#[derive(Default)]
struct State {
    fault: Option<Fault>,
    accepts: usize,
    subscribes: usize,
    /// The agent of the tasks in the ACCEPT held by [`Fault::Hold`].
    held_agent: Option<String>,
    /// Connection tasks, with whether each carries an event stream.
    conns: Vec<(actix_rt::task::JoinHandle<()>, Rc<RefCell<bool>>)>,
}

/// The proxy; stops with the test's runtime.
pub struct Proxy {
    addr: SocketAddr,
    state: Rc<RefCell<State>>,
    release: Rc<Notify>,
    accept_seen: Rc<Notify>,
}

impl Proxy {
    /// A proxy on 127.0.0.1:0 in front of `upstream` (`host:port`).
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Rc::new(RefCell::new(State::default()));
        let release = Rc::new(Notify::new());
        let accept_seen = Rc::new(Notify::new());
        let (s, r, a) = (state.clone(), release.clone(), accept_seen.clone());
        actix_rt::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let streaming = Rc::new(RefCell::new(false));
                let task = actix_rt::spawn(serve(
                    client,
                    upstream,
                    s.clone(),
                    streaming.clone(),
                    r.clone(),
                    a.clone(),
                ));
                s.borrow_mut().conns.push((task, streaming));
            }
        });
        Proxy {
            addr,
            state,
            release,
            accept_seen,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Arms `fault` for the next ACCEPT.
    pub fn on_next_accept(&self, fault: Fault) {
        self.state.borrow_mut().fault = Some(fault);
    }

    /// Resolves once an ACCEPT met the armed fault.
    pub async fn fault_hit(&self) {
        self.accept_seen.notified().await;
    }

    /// Forwards a held ACCEPT.
    pub fn release(&self) {
        self.release.notify_one();
    }

    /// The agent id the held ACCEPT launches on (its first task's), once held.
    pub fn held_agent(&self) -> Option<String> {
        self.state.borrow().held_agent.clone()
    }

    /// SUBSCRIBE requests seen.
    pub fn subscribes(&self) -> usize {
        self.state.borrow().subscribes
    }

    /// ACCEPT requests seen.
    pub fn accepts(&self) -> usize {
        self.state.borrow().accepts
    }

    /// Closes the connections that carry an event stream (calls stay connected).
    pub fn cut_streams(&self) {
        let mut st = self.state.borrow_mut();
        st.conns.retain(|(task, streaming)| {
            if *streaming.borrow() {
                task.abort();
                false
            } else {
                true
            }
        });
    }

    /// Closes every connection (streams and calls).
    pub fn cut_all(&self) {
        for (task, _) in self.state.borrow_mut().conns.drain(..) {
            task.abort();
        }
    }
}

/// One request parsed off the front of `buf`: its bytes (head possibly rewritten) and
/// the call it carries; `None` if incomplete.
fn take_request(buf: &mut BytesMut) -> Option<(Vec<u8>, Option<Call>, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    let head = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => return None,
    };
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
            .map(str::to_owned)
    };
    let length: usize = header("content-length")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    if buf.len() < head + length {
        return None;
    }
    let call = header("content-type")
        .and_then(|ct| Encoding::from_content_type(&ct))
        .and_then(|enc| enc.decode::<Call>(&buf[head..head + length]).ok());
    let bytes = buf[..head + length].to_vec();
    buf.advance(head + length);
    Some((bytes, call, head))
}

/// The agent of the first task an ACCEPT launches.
fn agent_of(call: &Call) -> Option<String> {
    let ops = &call.accept.as_ref()?.operations;
    ops.iter()
        .flat_map(|op| {
            let single = op.launch.iter().flat_map(|l| &l.task_infos);
            let group = op.launch_group.iter().flat_map(|g| &g.task_group.tasks);
            single.chain(group)
        })
        .map(|t| t.agent_id.value.clone())
        .next()
}

/// The request with its `Mesos-Stream-Id` value replaced.
fn with_stale_stream_id(bytes: &[u8], head: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(&bytes[..head]).into_owned();
    let mut out = String::new();
    for line in text.split_inclusive("\r\n") {
        if line.to_ascii_lowercase().starts_with("mesos-stream-id:") {
            out.push_str("Mesos-Stream-Id: stale-stream-id\r\n");
        } else {
            out.push_str(line);
        }
    }
    let mut v = out.into_bytes();
    v.extend_from_slice(&bytes[head..]);
    v
}

async fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    state: Rc<RefCell<State>>,
    streaming: Rc<RefCell<bool>>,
    release: Rc<Notify>,
    accept_seen: Rc<Notify>,
) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let swallow = Rc::new(RefCell::new(false));
    let swallowing = swallow.clone();
    let answers = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if *swallowing.borrow() {
                continue;
            }
            if cw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let requests = async move {
        let mut buf = BytesMut::with_capacity(16 * 1024);
        loop {
            while let Some((mut bytes, call, head)) = take_request(&mut buf) {
                let kind = call.as_ref().and_then(|c| c.r#type);
                if kind == Some(call::Type::Subscribe as i32) {
                    *streaming.borrow_mut() = true;
                    state.borrow_mut().subscribes += 1;
                }
                let mut after = Fault::None;
                if kind == Some(call::Type::Accept as i32) {
                    let mut st = state.borrow_mut();
                    st.accepts += 1;
                    after = st.fault.take().unwrap_or(Fault::None);
                }
                match after {
                    Fault::None => {}
                    Fault::StaleStreamId => bytes = with_stale_stream_id(&bytes, head),
                    Fault::SwallowAnswer => *swallow.borrow_mut() = true,
                    Fault::Hold => {
                        state.borrow_mut().held_agent = call.as_ref().and_then(agent_of);
                        accept_seen.notify_one();
                        release.notified().await;
                    }
                }
                if sw.write_all(&bytes).await.is_err() {
                    return;
                }
                if matches!(after, Fault::StaleStreamId | Fault::SwallowAnswer) {
                    accept_seen.notify_one();
                }
            }
            buf.reserve(16 * 1024);
            match cr.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    futures_util::future::join(answers, requests).await;
}
