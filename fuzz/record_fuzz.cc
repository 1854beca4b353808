// Online records as the store holds them: bytes a crash, a bad disk or another writer may
// have left. Decoding either throws InputError or gives a record that encodes and decodes
// back to itself; the in-place parser agrees with the copying decoder.
#include "fuzz_util.h"
#include "online/record.h"
#include "sluice/error.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = fuzz::AsText(data, size);
  online::ViewRecord record;
  try {
    record = online::ViewRecord::Decode(bytes, "fuzz");
  } catch (const Error&) {
    online::RecordView view;
    try {
      view.Parse(bytes, "fuzz");
    } catch (const Error&) {
      return 0;
    }
    __builtin_trap();  // the parser accepted what the decoder refused
  }
  online::RecordView view;
  view.Parse(bytes, "fuzz");  // must not throw: Decode accepted the same bytes
  if (view.view_version != record.view_version || view.has_row != record.has_row ||
      view.windows.size() != record.windows.size()) {
    __builtin_trap();
  }
  const std::string again = record.Encode();
  const online::ViewRecord back = online::ViewRecord::Decode(again, "re-encoded");
  if (back.Encode() != again) __builtin_trap();
  return 0;
}
