//! The streaming mapping against the prost-reflect reference on real Apache Mesos
//! documents and on the corners the generated fuzz inputs rarely reach: JSON names, keys
//! given twice, oneofs, maps, URL-safe base64, nesting caps.

use super::*;
use crate::codec::Encoding;
use crate::proto::{ResourceQuantities, TaskInfo, executor, scheduler};
use serde_json::Value;

/// `raw` decodes to the same `T` (or the same kind of error) both ways, and the message
/// encodes to the same JSON both ways.
fn same<T: Message + Name + Default + PartialEq + std::fmt::Debug>(
    raw: &str,
) -> Result<T, JsonError> {
    let ours = decode::<T>(raw.as_bytes());
    let theirs = reference::decode::<T>(raw.as_bytes());
    match (&ours, &theirs) {
        // Bytes too: a NaN is equal to itself only bit for bit.
        (Ok(a), Ok(b)) => assert!(a == b || a.encode_to_vec() == b.encode_to_vec(), "{raw}"),
        (Err(a), Err(b)) => assert_eq!(
            std::mem::discriminant(a),
            std::mem::discriminant(b),
            "{raw}: {a} vs {b}"
        ),
        _ => panic!("{raw}: ours {ours:?}, the reference {theirs:?}"),
    }
    if let Ok(message) = &ours {
        let (a, b) = (
            encode(message).unwrap(),
            reference::encode(message).unwrap(),
        );
        let parse = |b: &[u8]| serde_json::from_slice::<Value>(b).unwrap();
        if a != b {
            // Only map entries may come in another (hash) order.
            assert_eq!(parse(&a), parse(&b), "{raw}");
        }
    }
    ours
}

const MASTER_EVENTS: &[&str] = &[
    r#"{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"x-0001"},"heartbeat_interval_seconds":15.0,"master_info":{"id":"x","ip":16777343,"port":5151,"pid":"master@127.0.0.1:5151","hostname":"localhost","version":"1.11.0","address":{"hostname":"localhost","ip":"127.0.0.1","port":5151},"capabilities":[{"type":"AGENT_UPDATE"},{"type":"AGENT_DRAINING"},{}]}}}"#,
    r#"{"type":"HEARTBEAT"}"#,
    r#"{"type":"OFFERS","offers":{"offers":[{"id":{"value":"x-O1"},"framework_id":{"value":"x-0001"},"agent_id":{"value":"x-S0"},"hostname":"localhost","url":{"scheme":"http","address":{"hostname":"localhost","ip":"127.0.0.1","port":5151},"path":"/slave(1)"},"resources":[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]},"role":"*","allocation_info":{"role":"*"}},{"name":"cpus","type":"SCALAR","scalar":{"value":2.0},"role":"*","allocation_info":{"role":"*"}},{"name":"mem","type":"SCALAR","scalar":{"value":23081.0},"role":"*","allocation_info":{"role":"*"}},{"name":"disk","type":"SCALAR","scalar":{"value":252899.0},"role":"*","allocation_info":{"role":"*"}}],"allocation_info":{"role":"*"}}]}}"#,
    r#"{"type":"UPDATE","update":{"status":{"task_id":{"value":"t1"},"state":"TASK_STARTING","source":"SOURCE_EXECUTOR","agent_id":{"value":"x-S0"},"executor_id":{"value":"t1"},"timestamp":1795547662.775977,"uuid":"GxRCH4TcTriZaGtZk6nj4w==","container_status":{"container_id":{"value":"52c26897"},"network_infos":[{"ip_addresses":[{"protocol":"IPv4","ip_address":"127.0.0.1"}]}],"executor_pid":1861}}}}"#,
    r#"{"type":"MESSAGE","message":{"agent_id":{"value":"x-S0"},"executor_id":{"value":"rawexec"},"data":"aGVsbG8gc2NoZWR1bGVy"}}"#,
];

const AGENT_EVENTS: &[&str] = &[
    r#"{"type":"LAUNCH","launch":{"task":{"name":"x1","task_id":{"value":"x1"},"agent_id":{"value":"x-S0"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.1},"allocation_info":{"role":"*"}}],"executor":{"type":"CUSTOM","executor_id":{"value":"rawexec"},"framework_id":{"value":"x-0000"},"command":{"shell":true,"value":"python3 rawexec.py"},"resources":[{"name":"mem","type":"SCALAR","scalar":{"value":32.0},"allocation_info":{"role":"*"}}]},"data":"cGluZw=="}}}"#,
    r#"{"type":"ACKNOWLEDGED","acknowledged":{"task_id":{"value":"x1"},"uuid":"K4eB/nH7SwCz01v5VgislA=="}}"#,
    r#"{"type":"MESSAGE","message":{"data":"dG8tZXhlYw=="}}"#,
    r#"{"type":"SHUTDOWN"}"#,
];

#[test]
fn real_mesos_documents_read_and_write_as_the_reference_does() {
    for raw in MASTER_EVENTS {
        same::<scheduler::Event>(raw).unwrap();
    }
    for raw in AGENT_EVENTS {
        same::<executor::Event>(raw).unwrap();
    }
}

#[test]
fn json_names_and_keys_given_twice() {
    let event: scheduler::Event = same(
        r#"{"type":"SUBSCRIBED","subscribed":{"frameworkId":{"value":"f"},"heartbeatIntervalSeconds":"15"}}"#,
    )
    .unwrap();
    assert_eq!(event.subscribed.unwrap().framework_id.value, "f");
    // The last of a key given twice wins, also for messages and lists, and `null` unsets.
    let event: scheduler::Event = same(
        r#"{"type":"HEARTBEAT","type":"OFFERS","offers":{"offers":[{"id":{"value":"a"}}]},"offers":{"offers":[{"id":{"value":"b"}},{"id":{"value":"c"}}]}}"#,
    )
    .unwrap();
    assert_eq!(event.r#type(), scheduler::event::Type::Offers);
    let ids: Vec<_> = event
        .offers
        .unwrap()
        .offers
        .into_iter()
        .map(|o| o.id.value)
        .collect();
    assert_eq!(ids, ["b", "c"]);
    let t: TaskInfo = same(r#"{"name":"x","data":"AA==","name":null}"#).unwrap();
    assert_eq!((t.name.as_str(), t.data), ("", Some(vec![0])));
}

#[test]
fn oneof_members_and_maps() {
    let selector = r#"{"selector":{"attribute_name":"rack"},"predicate":{"exists":{}}}"#;
    same::<crate::proto::scheduler::AttributeConstraint>(selector).unwrap();
    let both = r#"{"selector":{"attribute_name":"rack","pseudoattribute_type":"HOSTNAME"},"predicate":{}}"#;
    assert!(matches!(
        same::<crate::proto::scheduler::AttributeConstraint>(both),
        Err(JsonError::Schema { .. })
    ));
    let q: ResourceQuantities =
        same(r#"{"quantities":{"cpus":{"value":1.5},"mem":{},"gpus":{"value":"2"}}}"#).unwrap();
    assert_eq!(q.quantities.len(), 3);
    assert!(same::<ResourceQuantities>(r#"{"quantities":{"cpus":null}}"#).is_err());
    assert!(same::<ResourceQuantities>(r#"{"quantities":[]}"#).is_err());
}

#[test]
fn numbers_bytes_and_enums_in_every_accepted_form() {
    for raw in [
        r#"{"name":"n","data":"-_8"}"#,
        r#"{"name":"n","data":"+/8="}"#,
        r#"{"name":"n","data":"+/8"}"#,
        r#"{"name":"n","data":"*"}"#,
        r#"{"name":"n","data":12}"#,
        r#"{"name":5}"#,
        r#"{"name":"n","kill_policy":{"grace_period":{"nanoseconds":"-7"}}}"#,
        r#"{"name":"n","kill_policy":{"grace_period":{"nanoseconds":1e3}}}"#,
        r#"{"name":"n","kill_policy":{"grace_period":{"nanoseconds":1.5}}}"#,
        r#"{"name":"n","kill_policy":{"grace_period":{"nanoseconds":18446744073709551615}}}"#,
        r#"{"name":"n","resources":[{"name":"cpus","type":1,"scalar":{"value":"NaN"}}]}"#,
        r#"{"name":"n","resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":"-Infinity"}}]}"#,
        r#"{"name":"n","resources":[{"name":"cpus","type":"BOGUS","scalar":{"value":1e400}}]}"#,
        r#"{"name":"n","resources":[{"name":"cpus","type":1.0}]}"#,
        r#"{"name":"n","resources":[{"name":"cpus","type":99}]}"#,
        r#"{"name":"n","resources":[null]}"#,
        r#"{"name":"n","resources":null,"labels":{"labels":[]}}"#,
        r#"{"name":"n","check":{"type":"COMMAND","command":{"command":{"shell":"yes"}}}}"#,
    ] {
        let _ = same::<TaskInfo>(raw);
    }
}

#[test]
fn caps_count_unknown_keys_and_tell_errors_apart() {
    let nested = |n: usize| "{\"a\":".repeat(n) + "1" + &"}".repeat(n);
    assert!(same::<scheduler::Event>(&nested(100)).is_ok());
    assert!(matches!(
        same::<scheduler::Event>(&nested(110)),
        Err(JsonError::TooDeep)
    ));
    assert!(matches!(
        same::<scheduler::Event>(&nested(200)),
        Err(JsonError::Syntax(_))
    ));
    // A schema error early in a document that is not JSON further on is a syntax error.
    assert!(matches!(
        same::<scheduler::Event>(r#"{"type":[],"x":tru}"#),
        Err(JsonError::Syntax(_))
    ));
    assert!(matches!(
        same::<scheduler::Event>(r#"{"type":[]}"#),
        Err(JsonError::Schema { .. })
    ));
    assert!(matches!(
        same::<scheduler::Event>("{} x"),
        Err(JsonError::Syntax(_))
    ));
    assert!(matches!(
        same::<scheduler::Event>("{\"x\":\"\u{0}\"}"),
        Err(JsonError::Syntax(_))
    ));
}

#[test]
fn accepts_from_protobuf_bytes_are_written_as_the_reference_writes_them() {
    use crate::proto::offer::{Operation, operation};
    let task = |n: usize| TaskInfo {
        name: format!("task-{n}"),
        task_id: format!("t-{n}").into(),
        agent_id: "agent".into(),
        resources: vec![
            crate::proto::Resource::scalar("cpus", 0.5),
            crate::proto::Resource::scalar("mem", 64.0),
        ],
        data: Some(vec![7; n * 50]),
        ..Default::default()
    };
    let call = scheduler::Call {
        framework_id: Some("fw".into()),
        r#type: Some(scheduler::call::Type::Accept as i32),
        accept: Some(scheduler::call::Accept {
            offer_ids: vec!["o1".into()],
            operations: vec![Operation {
                r#type: Some(crate::proto::offer::operation::Type::Launch as i32),
                launch: Some(operation::Launch {
                    task_infos: (0..12).map(task).collect(),
                }),
                ..Default::default()
            }],
            filters: None,
        }),
        ..Default::default()
    };
    let json = Encoding::Json.encode_call(&call);
    assert_eq!(json, reference::encode(&call).unwrap());
    assert_eq!(
        Encoding::Json.transcode_call(call.encode_to_vec()).unwrap(),
        json
    );
    assert!(Encoding::Json.transcode_call(vec![0x0a, 0x05, 1]).is_err());
}
