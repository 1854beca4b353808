// Stored profiles (quality/profile.h): bytes a crash or a bad disk may have left. Either an
// InputError, or a profile whose JSON renders and whose bytes round-trip identically.
#include "fuzz_util.h"
#include "quality/profile.h"
#include "sluice/error.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  quality::Profile p;
  try {
    p = quality::Profile::Deserialize(fuzz::AsText(data, size), "fuzz");
  } catch (const Error&) {
    return 0;
  }
  (void)p.ToJson();
  // What sluice writes it must read back, byte for byte (no catch: a throw is a finding).
  const std::string again = p.Serialize();
  if (quality::Profile::Deserialize(again, "again").Serialize() != again) __builtin_trap();
  return 0;
}
