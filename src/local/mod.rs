//! The embedded local cluster: a master and N agents in one process, speaking the same v1
//! scheduler and executor HTTP APIs as Apache Mesos and launching executors as real OS
//! processes.
