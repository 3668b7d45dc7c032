// mesos-agent: a real Apache Mesos 1.11.0 agent from the artifact's libmesos.
//
// It follows the agent's own main sequence (src/slave/main.cpp of 1.11.0) for what a plain
// agent needs: flags from MESOS_* variables, libprocess with the delegate `slave(1)`, the
// /version process, fetcher, garbage collector, secret resolver, containerizer, master
// detector, files, task status update manager, resource estimator, QoS controller, then the
// Slave process. No modules, hooks, authorizer, systemd, cgroups, CSI, domain sockets or
// future tracker. Required variables: MESOS_MASTER (host:port), MESOS_WORK_DIR; MESOS_IP and
// MESOS_PORT set the libprocess address (default 127.0.0.1:5051).
#include <unistd.h>

#include "mesos_abi.hpp"

using real_mesos::block;
using real_mesos::die;
using real_mesos::env_or;
using real_mesos::flags_base;
using real_mesos::process_base;

namespace agent = mesos::internal::slave;

static void* created(const Returned& result, const char* what) {
  if (result.try_is_error(16)) {
    die(std::string("failed to create ") + what + ": " + result.try_error(16));
  }
  return result.try_pointer();
}

int main(int argc, char** argv) {
  const char* master = std::getenv("MESOS_MASTER");
  const char* workDir = std::getenv("MESOS_WORK_DIR");
  if (master == nullptr || workDir == nullptr) {
    die("MESOS_MASTER and MESOS_WORK_DIR must be set");
  }

  // slave::Flags, loaded like the agent does: prefix MESOS_, then the command line.
  void* flagsBlock = block();
  new (flagsBlock) agent::Flags();
  auto* flagsBase = flags_base(flagsBlock);
  Option<std::string> prefix(std::string("MESOS_"));
  Returned load = flagsBase->load(prefix, argc, argv, false, false);
  if (load.try_is_error(32)) {
    die("bad agent flags: " + load.try_error(32));
  }
  const agent::Flags& flags = *static_cast<agent::Flags*>(flagsBlock);

  setenv("LIBPROCESS_IP", env_or("MESOS_IP", "127.0.0.1"), 1);
  setenv("LIBPROCESS_PORT", env_or("MESOS_PORT", "5051"), 1);

  const std::string id = process::ID::generate("slave");
  Option<std::string> delegate(id);
  Option<std::string> readwrite(std::string("mesos-agent-readwrite"));
  Option<std::string> readonly(std::string("mesos-agent-readonly"));
  if (!process::initialize(delegate, readwrite, readonly)) {
    die("process::initialize was not the first initialization");
  }

  void* version = block();
  new (version) mesos::internal::VersionProcess();
  process::spawn(process_base(version), true);

  auto* fetcher = new (block()) agent::Fetcher(flags);
  auto* gc = new (block()) agent::GarbageCollector(workDir);

  Option<std::string> none;
  auto* secretResolver =
      static_cast<mesos::SecretResolver*>(created(mesos::SecretResolver::create(none), "secret resolver"));

  auto* containerizer = static_cast<agent::Containerizer*>(created(
      agent::Containerizer::create(flags, false, fetcher, gc, secretResolver, nullptr, nullptr,
                                   nullptr),
      "containerizer"));

  Option<std::string> masterAddress{std::string(master)};
  Option<Duration> zkSessionTimeout(Duration(10LL * 1000 * 1000 * 1000));
  auto* detector = static_cast<mesos::master::detector::MasterDetector*>(created(
      mesos::master::detector::MasterDetector::create(masterAddress, none, zkSessionTimeout),
      "master detector"));

  Option<mesos::Authorizer*> noAuthorizer;
  auto* files = new (block()) mesos::internal::Files(readonly, noAuthorizer);
  auto* statusUpdates = new (block()) agent::TaskStatusUpdateManager(flags);
  auto* estimator = static_cast<mesos::slave::ResourceEstimator*>(
      created(mesos::slave::ResourceEstimator::create(none), "resource estimator"));
  auto* qos = static_cast<mesos::slave::QoSController*>(
      created(mesos::slave::QoSController::create(none), "QoS controller"));

  process::Owned<agent::CSIServer> noCsiServer;
  void* socketBlock = block();
  *static_cast<int*>(socketBlock) = 1;  // Option<Socket>: NONE

  void* slave = block();
  new (slave) agent::Slave(
      id, flags, detector, containerizer, files, gc, statusUpdates, estimator, qos, nullptr,
      nullptr, nullptr, std::move(noCsiServer),
      *static_cast<Option<process::network::internal::Socket<process::network::unix::Address>>*>(
          socketBlock),
      noAuthorizer);
  process::spawn(process_base(slave), false);
  std::fprintf(stderr, "real-mesos: agent %s started\n", id.c_str());

  for (;;) {
    pause();
  }
}
