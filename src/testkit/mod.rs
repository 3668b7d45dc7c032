//! Test kit for framework authors: [`FakeMaster`], a scriptable loopback server for
//! `/api/v1/scheduler`.
