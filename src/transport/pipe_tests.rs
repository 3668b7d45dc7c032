use super::*;
use actix_rt::net::TcpListener;

fn parse(text: &[u8], eof: bool) -> Result<Option<Answer>, String> {
    parse_answer(&mut BytesMut::from(text), eof)
}

#[test]
fn accepted_answers_back_to_back() {
    let mut buf = BytesMut::from(
        &b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\nHTTP/1.1 20"[..],
    );
    for _ in 0..2 {
        let a = parse_answer(&mut buf, false).unwrap().unwrap();
        assert_eq!((a.status, a.close, a.body.len()), (202, false, 0));
    }
    assert_eq!(parse_answer(&mut buf, false), Ok(None));
    assert_eq!(&buf[..], b"HTTP/1.1 20");
}

#[test]
fn error_bodies_by_length_chunks_and_close() {
    let a = parse(
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\n\r\nnope!",
        false,
    )
    .unwrap()
    .unwrap();
    assert_eq!(a.status, 400);
    assert_eq!(
        a.result(),
        Err(CallError::Rejected {
            status: 400,
            body: "nope!".into()
        })
    );
    let a = parse(
        b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: v\r\n\r\n",
        false,
    )
    .unwrap()
    .unwrap();
    assert_eq!((a.status, &a.body[..]), (403, &b"abcde"[..]));
    assert_eq!(parse(b"HTTP/1.1 500 Oops\r\n\r\npartial", false), Ok(None));
    let a = parse(b"HTTP/1.1 500 Oops\r\n\r\nall of it", true)
        .unwrap()
        .unwrap();
    assert_eq!(
        (a.status, a.close, &a.body[..]),
        (500, true, &b"all of it"[..])
    );
    let a = parse(
        b"HTTP/1.1 202 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        false,
    )
    .unwrap()
    .unwrap();
    assert!(a.close);
    let a = parse(b"HTTP/1.0 202 OK\r\nContent-Length: 0\r\n\r\n", false)
        .unwrap()
        .unwrap();
    assert!(a.close, "HTTP/1.0 closes unless told otherwise");
}

#[test]
fn interim_answers_are_skipped_and_partial_input_waits() {
    let a = parse(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",
        false,
    )
    .unwrap()
    .unwrap();
    assert_eq!(a.status, 202);
    let full = b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n";
    for cut in 0..full.len() {
        assert_eq!(parse(&full[..cut], false), Ok(None), "cut at {cut}");
    }
}

#[test]
fn hostile_answers_are_errors_not_panics() {
    let huge_head = [
        b"HTTP/1.1 202 OK\r\nX: ".as_slice(),
        &vec![b'a'; MAX_HEAD + 10],
    ]
    .concat();
    assert!(parse(&huge_head, false).is_err());
    assert!(
        parse(
            b"HTTP/1.1 202 OK\r\nContent-Length: 99999999\r\n\r\n",
            false
        )
        .is_err()
    );
    assert!(parse(b"HTTP/1.1 202 OK\r\nContent-Length: -1\r\n\r\n", false).is_err());
    assert!(
        parse(
            b"HTTP/1.1 202 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            false
        )
        .is_err()
    );
    assert!(parse(b"garbage\r\n\r\n", false).is_err());
    let chunks = b"HTTP/1.1 400 X\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    assert!(parse(chunks, false).is_err());
    let big = b"HTTP/1.1 400 X\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n";
    assert!(parse(big, false).is_err());
    let no_crlf = b"HTTP/1.1 400 X\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXX0\r\n\r\n";
    assert!(parse(no_crlf, false).is_err());
    let long_line = [
        b"HTTP/1.1 400 X\r\nTransfer-Encoding: chunked\r\n\r\n".as_slice(),
        &[b'1'; 2000],
    ]
    .concat();
    assert!(parse(&long_line, false).is_err());
}

#[test]
fn targets_only_plain_http_and_refuse_header_injection() {
    let t = PipeTarget::new(
        "http://m1:5050/api/v1/scheduler",
        "application/x-protobuf",
        "s-1",
        Some("Basic eA=="),
    )
    .unwrap();
    assert_eq!(t.authority, "m1:5050");
    assert!(
        t.head
            .starts_with("POST /api/v1/scheduler HTTP/1.1\r\nHost: m1:5050\r\n")
    );
    assert!(t.head.contains("Mesos-Stream-Id: s-1\r\n"));
    assert!(t.head.contains("Authorization: Basic eA==\r\n"));
    let req = t.request(b"xyz");
    assert!(req.ends_with(b"Content-Length: 3\r\n\r\nxyz"));
    let v6 = PipeTarget::new(
        "http://[::1]/api/v1/scheduler",
        "application/json",
        "s",
        None,
    )
    .unwrap();
    assert_eq!(v6.authority, "[::1]:80");
    assert!(PipeTarget::new("https://m1:5050/api/v1/scheduler", "a/b", "s", None).is_none());
    assert!(PipeTarget::new("not a url", "a/b", "s", None).is_none());
    assert!(PipeTarget::new("http://m1/x", "a/b", "s\r\nX-Evil: 1", None).is_none());
}

/// A server that reads `n` requests, then answers them all in one write (pipelined), then
/// reads `m` more and closes without answering.
async fn pipelined_server(n: usize, m: usize) -> (String, actix_rt::task::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let task = actix_rt::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut seen = Vec::new();
        let count = |seen: &[u8]| seen.windows(4).filter(|w| *w == b"POST").count();
        let mut chunk = [0u8; 4096];
        while count(&seen) < n {
            let k = s.read(&mut chunk).await.unwrap();
            seen.extend_from_slice(&chunk[..k]);
        }
        let mut answers = Vec::new();
        for i in 0..n {
            if i == 1 {
                answers
                    .extend_from_slice(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad");
            } else {
                answers.extend_from_slice(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
            }
        }
        s.write_all(&answers).await.unwrap();
        while count(&seen) < n + m {
            let k = s.read(&mut chunk).await.unwrap();
            if k == 0 {
                break;
            }
            seen.extend_from_slice(&chunk[..k]);
        }
        count(&seen)
    });
    (addr, task)
}

#[actix_rt::test]
async fn answers_match_calls_in_order_and_a_closed_connection_fails_the_rest() {
    let (addr, server) = pipelined_server(3, 2).await;
    let url = format!("http://{addr}/api/v1/scheduler");
    let pipe = CallPipe::new(PipeTarget::new(&url, "application/json", "sid", None).unwrap());
    let calls: Vec<_> = (0..3)
        .map(|i| pipe.call(format!("{{\"n\":{i}}}").as_bytes()))
        .collect();
    let answers = futures_util::future::join_all(calls).await;
    assert_eq!(answers[0], Ok(()));
    assert!(matches!(&answers[1], Err(CallError::Rejected { status: 400, body }) if body == "bad"));
    assert_eq!(answers[2], Ok(()));
    let late: Vec<_> = (0..2).map(|_| pipe.call(b"{}")).collect();
    let late = futures_util::future::join_all(late).await;
    assert!(
        late.iter()
            .all(|a| matches!(a, Err(CallError::Transport(_)))),
        "{late:?}"
    );
    assert_eq!(server.await.unwrap(), 5);
    // The next call opens a new connection; nobody listens there now.
    assert!(matches!(pipe.call(b"{}").await, Err(CallError::NotSent(_))));
}

/// Many calls of mixed sizes (some over a batch) to an actix-web server, as the local
/// cluster and the test kit are: every one is answered, none is lost to a closed
/// connection, each reaches the server once.
#[cfg(feature = "testkit")]
#[actix_rt::test]
async fn an_actix_web_server_answers_every_pipelined_call_once() {
    use actix_web::{App, HttpResponse, HttpServer, web};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    let server = HttpServer::new(move || {
        let count = count.clone();
        App::new().route(
            "/api/v1/scheduler",
            web::post().to(move |body: web::Bytes| {
                let count = count.clone();
                async move {
                    count.fetch_add(1, Ordering::SeqCst);
                    if body.first() == Some(&b'!') {
                        HttpResponse::BadRequest().body("refused")
                    } else {
                        HttpResponse::Accepted().finish()
                    }
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_rt::spawn(server);
    let url = format!("http://{addr}/api/v1/scheduler");
    let pipe = CallPipe::new(PipeTarget::new(&url, "application/x-protobuf", "sid", None).unwrap());
    let sizes = [10usize, 700, 3000, 40_000, 16 * 1024, 5];
    let calls: Vec<_> = (0..600)
        .map(|i| {
            let mut body = vec![b'x'; sizes[i % sizes.len()]];
            if i % 97 == 0 {
                body[0] = b'!';
            }
            pipe.call(&body)
        })
        .collect();
    let answers = futures_util::future::join_all(calls).await;
    for (i, a) in answers.iter().enumerate() {
        if i % 97 == 0 {
            assert!(
                matches!(a, Err(CallError::Rejected { status: 400, .. })),
                "call {i}: {a:?}"
            );
        } else {
            assert_eq!(a, &Ok(()), "call {i}");
        }
    }
    assert_eq!(seen.load(Ordering::SeqCst), 600);
    handle.stop(false).await;
}

/// A master that takes connections and never answers: calls beyond the queue's bound fail
/// at once (never sent), and the queue takes calls again once the writer took some.
#[actix_rt::test]
async fn the_call_queue_is_bounded() {
    use futures_util::FutureExt;
    // Accepted by the kernel's backlog; nothing reads or answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v1/scheduler", listener.local_addr().unwrap());
    let pipe = CallPipe::new(PipeTarget::new(&url, "application/json", "sid", None).unwrap());
    // Queued without yielding: the writer has taken none yet.
    let mut calls: Vec<_> = (0..MAX_QUEUED_CALLS + 3)
        .map(|_| Box::pin(pipe.call(b"{}")))
        .collect();
    let refused: Vec<_> = calls.split_off(MAX_QUEUED_CALLS);
    for call in refused {
        let answer = call.now_or_never().expect("refused at once");
        assert!(
            matches!(&answer, Err(CallError::NotSent(m)) if m.contains("already wait")),
            "{answer:?}"
        );
    }
    assert_eq!(pipe.queued.get(), MAX_QUEUED_CALLS);
    // The writer takes a batch (then waits for answers that never come).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while pipe.queued.get() == MAX_QUEUED_CALLS {
        assert!(
            std::time::Instant::now() < deadline,
            "the writer took nothing"
        );
        actix_rt::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let mut later = Box::pin(pipe.call(b"{}"));
    assert!((&mut later).now_or_never().is_none(), "queued again");
    drop(listener);
}
