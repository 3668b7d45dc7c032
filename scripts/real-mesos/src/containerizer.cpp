// mesos-containerizer: the agent's launch helper from the artifact's libmesos.
//
// The agent runs `$MESOS_LAUNCHER_DIR/mesos-containerizer launch` for every executor with its
// flags in MESOS_CONTAINERIZER_* variables. This does what stout's Subcommand::dispatch does
// for the `launch` subcommand: build a MesosContainerizerLaunch, load its flags (prefix
// MESOS_CONTAINERIZER_, then the command line after the subcommand) and execute it. Other
// subcommands (`mount`, `network-cni-setup`) belong to the linux launcher and are refused.
#include "mesos_abi.hpp"

using real_mesos::block;
using real_mesos::die;

// The class's vtable (exported by libmesos); an object's vptr points 16 bytes into it.
extern "C" char _ZTVN5mesos8internal5slave24MesosContainerizerLaunchE[];

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != "launch") {
    die("mesos-containerizer: only the `launch` subcommand is available here");
  }

  // MesosContainerizerLaunch: Subcommand { vptr; std::string name_ at 8; FlagsBase flags_ }
  // then its own Flags at offset 0xE0. execute() reads only the latter.
  char* launch = static_cast<char*>(block());
  *reinterpret_cast<void**>(launch) = _ZTVN5mesos8internal5slave24MesosContainerizerLaunchE + 16;
  new (launch + 8) std::string("launch");
  new (launch + 0xE0) mesos::internal::slave::MesosContainerizerLaunch::Flags();

  auto* command = reinterpret_cast<mesos::internal::slave::MesosContainerizerLaunch*>(launch);
  Option<std::string> prefix(std::string("MESOS_CONTAINERIZER_"));
  Returned load = command->getFlags()->load(prefix, argc - 1, argv + 1, false, false);
  if (load.try_is_error(32)) {
    die("mesos-containerizer: failed to parse the flags: " + load.try_error(32));
  }
  return command->execute();
}
