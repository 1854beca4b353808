// Stored profiles (quality/profile.h): bytes a crash or a bad disk may have left. Either an
// InputError, or a profile whose JSON renders and whose bytes round-trip identically.
#include "fuzz_util.h"
#include "quality/profile.h"
#include "sluice/error.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const quality::Profile p = quality::Profile::Deserialize(fuzz::AsText(data, size), "fuzz");
    (void)p.ToJson();
    const std::string again = p.Serialize();
    if (quality::Profile::Deserialize(again, "again").Serialize() != again) __builtin_trap();
  } catch (const Error&) {
  }
  return 0;
}
