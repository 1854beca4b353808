#include "common/alloc.h"

#include <dlfcn.h>

#include <cstddef>
#include <string>

namespace sluice {

void SetFreedMemoryDecay(long ms) {
  using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
  // Looked up at run time: only the sluice executable links jemalloc.
  auto mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (mallctl == nullptr) return;
  // Dirty pages after `ms`, then straight back to the kernel (no lazily-freed "muzzy" stage,
  // which still counts in RSS): the default for arenas created later, and every existing one.
  ssize_t dirty = ms, muzzy = ms < 0 ? -1 : 0;
  auto set = [&](const std::string& prefix) {
    mallctl((prefix + "dirty_decay_ms").c_str(), nullptr, nullptr, &dirty, sizeof dirty);
    mallctl((prefix + "muzzy_decay_ms").c_str(), nullptr, nullptr, &muzzy, sizeof muzzy);
  };
  set("arenas.");
  unsigned narenas = 0;
  size_t len = sizeof narenas;
  if (mallctl("arenas.narenas", &narenas, &len, nullptr, 0) != 0) return;
  for (unsigned i = 0; i < narenas; ++i) set("arena." + std::to_string(i) + ".");
}

}  // namespace sluice
