// Declarations that reach into the artifact's libmesos 1.11.0 without its headers.
//
// Each class and function below is declared under the namespace and signature that libmesos
// exports, so the compiler emits the same mangled name and the linker binds it to libmesos.
// Our declarations carry no members: objects are built with placement new into zeroed
// buffers far larger than the real classes, and the few fields we touch are reached by the
// offsets measured in that build (see ../README.md). Return values that are classes
// (Try<...>, UPID, std::string) are returned through a hidden pointer in the Itanium ABI
// because the real classes are not trivially copyable; `Returned` declares a non-trivial
// destructor so that our calls use the same convention, and gives room for the real object.
#pragma once

#include <cxxabi.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <typeinfo>

#undef unix

// stout's Option<T>: { int state; /* SOME = 0, NONE = 1 */ union { T value; }; }.
template <typename T>
class Option {
 public:
  Option() : state(1) {}
  explicit Option(const T& value) : state(0) { new (storage) T(value); }
  ~Option() {
    if (state == 0) {
      reinterpret_cast<T*>(storage)->~T();
    }
  }
  Option(const Option&) = delete;
  Option& operator=(const Option&) = delete;

  int state;
  alignas(T) unsigned char storage[sizeof(T)];
};

// stout's Duration: nanoseconds in an int64.
class Duration {
 public:
  explicit Duration(int64_t nanos) : nanos_(nanos) {}
  int64_t nanos_;
};

// Room for a class returned by value; the callee constructs it in place. It is never
// destroyed (the launchers keep what they create until they exit).
struct Returned {
  alignas(16) unsigned char bytes[4096];
  Returned() { std::memset(bytes, 0, sizeof(bytes)); }
  ~Returned() {}

  // Try<T> = { Option<T> data; Option<Error> error; } with Error = { std::string message; }.
  // `data_size` is sizeof(Option<T>): 16 for a pointer, 32 for flags::Warnings (a vector).
  bool try_is_error(size_t data_size) const { return at<int>(data_size) == 0; }
  std::string try_error(size_t data_size) const { return at<std::string>(data_size + 8); }
  void* try_pointer() const { return at<void*>(8); }

  template <typename T>
  const T& at(size_t offset) const {
    return *reinterpret_cast<const T*>(bytes + offset);
  }
};

namespace process {
class ProcessBase;
template <typename T>
class Owned {
 public:
  void* shared[2] = {nullptr, nullptr};  // std::shared_ptr<T>, empty
};
namespace network {
namespace unix {
class Address;
}  // namespace unix
namespace internal {
template <typename AddressType>
class Socket;
}  // namespace internal
}  // namespace network

bool initialize(const Option<std::string>& delegate,
                const Option<std::string>& readwriteAuthenticationRealm,
                const Option<std::string>& readonlyAuthenticationRealm);
Returned spawn(ProcessBase* process, bool manage);
namespace ID {
std::string generate(const std::string& prefix);
}  // namespace ID
}  // namespace process

namespace flags {
class FlagsBase {
 public:
  Returned load(const Option<std::string>& prefix, int argc, const char* const* argv,
                bool unknowns, bool duplicates);
};
}  // namespace flags

namespace mesos {
class Authorizer;
class SecretGenerator;
class SecretResolver {
 public:
  static Returned create(const Option<std::string>& type);
};
namespace allocator {
class Allocator;
}  // namespace allocator
namespace slave {
class ResourceEstimator {
 public:
  static Returned create(const Option<std::string>& type);
};
class QoSController {
 public:
  static Returned create(const Option<std::string>& type);
};
}  // namespace slave
namespace master {
namespace detector {
class MasterDetector {
 public:
  static Returned create(const Option<std::string>& master,
                         const Option<std::string>& masterDetectorModule,
                         const Option<Duration>& zkSessionTimeout);
};
}  // namespace detector
}  // namespace master

namespace internal {
class PendingFutureTracker;
class VersionProcess {
 public:
  VersionProcess();
};
class Files {
 public:
  Files(const Option<std::string>& authenticationRealm, const Option<mesos::Authorizer*>& authorizer);
};

namespace local {
class Flags {
 public:
  Flags();
};
Returned launch(const Flags& flags, mesos::allocator::Allocator* allocator);
}  // namespace local

namespace slave {
class Flags {
 public:
  Flags();
};
class Fetcher {
 public:
  explicit Fetcher(const Flags& flags);
};
class GarbageCollector {
 public:
  explicit GarbageCollector(const std::string& workDir);
};
class VolumeGidManager;
class CSIServer;
class Containerizer {
 public:
  static Returned create(const Flags& flags, bool local, Fetcher* fetcher, GarbageCollector* gc,
                         mesos::SecretResolver* secretResolver,
                         VolumeGidManager* volumeGidManager,
                         mesos::internal::PendingFutureTracker* futureTracker,
                         CSIServer* csiServer);
};
class TaskStatusUpdateManager {
 public:
  explicit TaskStatusUpdateManager(const Flags& flags);
};
class Slave {
 public:
  Slave(const std::string& id, const Flags& flags,
        mesos::master::detector::MasterDetector* detector, Containerizer* containerizer,
        mesos::internal::Files* files, GarbageCollector* gc,
        TaskStatusUpdateManager* taskStatusUpdateManager,
        mesos::slave::ResourceEstimator* resourceEstimator,
        mesos::slave::QoSController* qosController, mesos::SecretGenerator* secretGenerator,
        VolumeGidManager* volumeGidManager, mesos::internal::PendingFutureTracker* futureTracker,
        process::Owned<CSIServer>&& csiServer,
        const Option<process::network::internal::Socket<process::network::unix::Address>>&
            executorSocket,
        const Option<mesos::Authorizer*>& authorizer);
};
class MesosContainerizerLaunch {
 public:
  class Flags {
   public:
    Flags();
  };
  int execute();
  flags::FlagsBase* getFlags();
};
}  // namespace slave
}  // namespace internal
}  // namespace mesos

namespace real_mesos {

// A zeroed heap block far larger than any class it will hold. Never freed, except by
// libprocess for the processes it manages (their deleting destructor frees it).
inline void* block(size_t size = 1 << 16) {
  void* p = ::operator new(size);
  std::memset(p, 0, size);
  return p;
}

// The subobject of type `want` (a mangled class name, as std::type_info::name gives it) in
// the object at `object` whose dynamic type is `type`, found by walking the Itanium ABI class
// type information: a virtual base's offset is read from the subobject's vtable.
inline void* find_base(void* object, const std::type_info* type, const char* want) {
  const char* name = type->name();
  if (std::strcmp(name[0] == '*' ? name + 1 : name, want) == 0) {
    return object;
  }
  if (auto* single = dynamic_cast<const abi::__si_class_type_info*>(type)) {
    return find_base(object, single->__base_type, want);
  }
  if (auto* multiple = dynamic_cast<const abi::__vmi_class_type_info*>(type)) {
    for (unsigned i = 0; i < multiple->__base_count; i++) {
      const abi::__base_class_type_info& base = multiple->__base_info[i];
      ptrdiff_t offset = base.__offset();
      if (base.__is_virtual_p()) {
        const char* vptr = *reinterpret_cast<const char* const*>(object);
        offset = *reinterpret_cast<const ptrdiff_t*>(vptr + offset);
      }
      void* found = find_base(static_cast<char*>(object) + offset, base.__base_type, want);
      if (found != nullptr) {
        return found;
      }
    }
  }
  return nullptr;
}

// `object`'s base subobject named `want`, starting from the most derived type named in the
// object's vtable (a virtual base's place depends on the most derived class).
inline void* upcast(void* object, const char* want) {
  const void* const* vptr = *reinterpret_cast<const void* const**>(object);
  auto* mostDerived = static_cast<const std::type_info*>(vptr[-1]);
  void* found = find_base(object, mostDerived, want);
  if (found == nullptr) {
    std::fprintf(stderr, "real-mesos: %s has no base %s\n", mostDerived->name(), want);
    std::abort();
  }
  return found;
}

inline flags::FlagsBase* flags_base(void* flags) {
  return static_cast<flags::FlagsBase*>(upcast(flags, "N5flags9FlagsBaseE"));
}

inline process::ProcessBase* process_base(void* process) {
  return static_cast<process::ProcessBase*>(upcast(process, "N7process11ProcessBaseE"));
}

[[noreturn]] inline void die(const std::string& message) {
  std::fprintf(stderr, "real-mesos: %s\n", message.c_str());
  std::exit(1);
}

inline const char* env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value == nullptr || *value == '\0' ? fallback : value;
}

}  // namespace real_mesos
