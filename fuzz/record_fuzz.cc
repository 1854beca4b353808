// Online records as the store holds them: bytes a crash, a bad disk or another writer may
// have left. Decoding (RecordView::Parse, which serving uses, then a copy) either throws
// InputError or gives a record that encodes and decodes back to the same bytes.
#include "fuzz_util.h"
#include "online/record.h"
#include "sluice/error.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  online::ViewRecord record;
  try {
    record = online::ViewRecord::Decode(fuzz::AsText(data, size), "fuzz");
  } catch (const Error&) {
    return 0;
  }
  // No catch from here: what sluice encodes it must decode.
  const std::string again = record.Encode();
  const online::ViewRecord back = online::ViewRecord::Decode(again, "re-encoded");
  if (back.Encode() != again) __builtin_trap();
  return 0;
}
