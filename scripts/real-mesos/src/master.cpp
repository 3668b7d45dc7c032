// mesos-master: a real Apache Mesos 1.11.0 master from the artifact's libmesos.
//
// It runs what the `mesos-local` program runs with no agents: libprocess with the
// delegate `master`, the /version process, then mesos::internal::local::launch with
// num_slaves = 0 (a standalone leading master, allocator, registrar). The master reads its
// flags from MESOS_* variables (e.g. MESOS_REGISTRY=in_memory); libprocess binds to
// LIBPROCESS_IP:LIBPROCESS_PORT. Usage: mesos-master WORK_DIR
#include <unistd.h>

#include "mesos_abi.hpp"

using real_mesos::block;
using real_mesos::die;
using real_mesos::process_base;

int main(int argc, char** argv) {
  if (argc != 2) {
    die("usage: mesos-master WORK_DIR");
  }
  const std::string workDir = argv[1];

  Option<std::string> delegate(std::string("master"));
  Option<std::string> none;
  if (!process::initialize(delegate, none, none)) {
    die("process::initialize was not the first initialization");
  }

  void* version = block();
  new (version) mesos::internal::VersionProcess();
  process::spawn(process_base(version), true);

  // local::Flags: std::string work_dir at offset 8, int num_slaves at offset 40.
  void* flags = block();
  new (flags) mesos::internal::local::Flags();
  *reinterpret_cast<std::string*>(static_cast<char*>(flags) + 8) = workDir;
  *reinterpret_cast<int*>(static_cast<char*>(flags) + 40) = 0;

  mesos::internal::local::launch(*static_cast<mesos::internal::local::Flags*>(flags), nullptr);
  std::fprintf(stderr, "real-mesos: master launched\n");

  for (;;) {
    pause();
  }
}
