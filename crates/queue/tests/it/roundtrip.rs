//! Payloads, kinds and keys come back from the store exactly as they went in, whatever characters they hold.

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use queue::{NewJob, Store};
use serde_json::Value;

use crate::support::TempStore;

fn odd_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\x00-\\x1f\"\\\\'%_\u{7f}\u{2028}\u{2029}\u{feff}\u{fffd}\u{1F600}é漢]{0,12}",
        Just("'); DROP TABLE jobs; --".to_owned()),
        Just(String::new()),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Quarter steps are exact in binary and in short decimal, so they survive any JSON text round trip.
        any::<i32>().prop_map(|n| Value::from(f64::from(n) / 4.0)),
        odd_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(odd_string(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

#[test]
fn payloads_round_trip_through_the_store() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let temp = TempStore::new(10);
    let store = &temp.store;
    let case = std::cell::Cell::new(0u32);
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    let inputs = (json_value(), odd_string(), proptest::option::of(odd_string()));
    runner
        .run(&inputs, |(payload, kind, key)| {
            case.set(case.get() + 1);
            // Keys must be unique to be accepted; the case number keeps them so without hiding odd characters.
            let key = key.map(|key| format!("{key}#{}", case.get()));
            let job = NewJob {
                kind: kind.clone(),
                payload: payload.clone().into(),
                idempotency_key: key.clone(),
            };
            runtime.block_on(async {
                let id = store.enqueue(job).await.unwrap().id();
                let claimed = store
                    .claim(Duration::from_secs(30))
                    .await
                    .unwrap()
                    .expect("the job just enqueued");
                store.complete(id).await.unwrap();
                prop_assert_eq!(claimed.id, id);
                prop_assert_eq!(&claimed.payload.read::<serde_json::Value>().unwrap(), &payload);
                prop_assert_eq!(&claimed.kind, &kind);
                prop_assert_eq!(&claimed.idempotency_key, &key);
                Ok(())
            })
        })
        .unwrap();
}
