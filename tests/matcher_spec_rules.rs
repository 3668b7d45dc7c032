//! `submit` rejects, with a typed `SpecError`, what Mesos would reject or silently ignore:
//! a role without MULTI_ROLE or outside the framework's roles, GPUs without the
//! GPU_RESOURCES capability, a task with no resources. Against the test kit's
//! `FakeMaster`, through the public API.

use mesos_actix::__internals::task_tracker::SubmitError;
use mesos_actix::proto::FrameworkInfo;
use mesos_actix::proto::framework_info::capability::Type as Capability;
use mesos_actix::scheduler::{
    Framework, FrameworkBuilder, FrameworkError, ShutdownMode, SpecError, TaskSpec,
};
use mesos_actix::testkit::FakeMaster;

fn spec() -> TaskSpec {
    TaskSpec::new("t").cpus(0.5).mem(32.0).command("true")
}

async fn with(
    build: impl FnOnce(FrameworkBuilder) -> FrameworkBuilder,
    check: impl AsyncFnOnce(&Framework),
) {
    let master = FakeMaster::start().await.unwrap();
    let builder = Framework::builder(FrameworkInfo::new("spec-rules")).master(master.url());
    let framework = build(builder).start().await.unwrap();
    check(&framework).await;
    framework.shutdown(ShutdownMode::Teardown).await;
}

fn spec_error(r: Result<impl std::fmt::Debug, FrameworkError>) -> SpecError {
    match r {
        Err(FrameworkError::Submit(SubmitError::Invalid(e))) => e,
        Err(FrameworkError::Submit(SubmitError::InvalidInBatch { error, .. })) => error,
        other => panic!("expected a spec error, got {other:?}"),
    }
}

#[actix_rt::test]
async fn role_needs_multi_role_and_one_of_the_roles() {
    with(
        |b| b,
        async |fw: &Framework| {
            let e = spec_error(fw.submit(spec().role("web")).await);
            assert!(
                matches!(e, SpecError::RoleWithoutMultiRole { ref role, .. } if role == "web"),
                "{e:?}"
            );
        },
    )
    .await;
    with(
        |b| b.roles(vec!["web".into()]),
        async |fw: &Framework| {
            let e = spec_error(fw.submit(spec().role("db")).await);
            assert!(
                matches!(e, SpecError::UnknownRole { ref role, .. } if role == "db"),
                "{e:?}"
            );
            fw.submit(spec().role("web"))
                .await
                .expect("a role of the framework");
            let e = spec_error(fw.submit_all(vec![spec(), spec().role("db")]).await);
            assert!(matches!(e, SpecError::UnknownRole { .. }), "{e:?}");
        },
    )
    .await;
}

#[actix_rt::test]
async fn gpus_need_the_gpu_capability() {
    with(
        |b| b,
        async |fw: &Framework| {
            let e = spec_error(fw.submit(spec().gpus(1.0)).await);
            assert!(
                matches!(e, SpecError::GpusWithoutCapability { .. }),
                "{e:?}"
            );
        },
    )
    .await;
    let mut info = FrameworkInfo::new("spec-rules-gpu");
    info.add_capability(Capability::GpuResources);
    let master = FakeMaster::start().await.unwrap();
    let fw = Framework::builder(info)
        .master(master.url())
        .start()
        .await
        .unwrap();
    fw.submit(spec().gpus(1.0))
        .await
        .expect("GPU_RESOURCES declared");
    fw.shutdown(ShutdownMode::Teardown).await;
}

#[actix_rt::test]
async fn a_task_needs_some_resource() {
    with(
        |b| b,
        async |fw: &Framework| {
            let e = spec_error(fw.submit(TaskSpec::new("bare").command("true")).await);
            assert_eq!(e, SpecError::NoResources("bare".into()));
            let e = spec_error(
                fw.submit(TaskSpec::new("zero").cpus(0.0).command("true"))
                    .await,
            );
            assert_eq!(e, SpecError::NoResources("zero".into()));
            fw.submit(TaskSpec::new("ported").ports(1).command("true"))
                .await
                .expect("a port is a resource");
        },
    )
    .await;
}
