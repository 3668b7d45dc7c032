//! Fuzz target of the executor API's request parsing (see `crate::fuzzing`).

use super::executor_api::validate;
use crate::fuzzing::run;
use crate::proto::executor::Call;
use crate::server::call::decode_call;
use crate::server::call::fuzz_tests::{body, headers};
use proptest::prelude::*;

/// Any headers and body as an `executor::Call`: a validated call or a 400/415, never a
/// panic.
#[test]
fn fuzz_executor_call_request() {
    run(
        "executor_call_request",
        (headers(), body::<Call>()),
        |(headers, body)| {
            match decode_call::<Call>(&headers, &body, "Executor::Call", validate) {
                Err(e) => prop_assert!(
                    matches!(e.status, 400 | 415),
                    "unexpected status {}",
                    e.status
                ),
                Ok((_, call)) => prop_assert!(validate(&call).is_ok()),
            }
            Ok(())
        },
    );
}
