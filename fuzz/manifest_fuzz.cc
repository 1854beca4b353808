// Manifests as sluice reads them back from disk: snapshot manifests through SourceLog::Load
// (every reader of the offline log) and dataset manifests through dataset::List and Show (as
// `dataset list`, `gc` and `reproduce` read them). The first byte picks which.
#include "dataset/dataset.h"
#include "fuzz_util.h"
#include "offline/snapshot.h"
#include "sluice/error.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& root = fuzz::ScratchDir();
  const std::string_view bytes = fuzz::AsText(data + 1, size - 1);
  try {
    if (data[0] % 2 == 0) {
      fuzz::WriteFile(root / "offline/src/snapshots/00000001.json", bytes);
      const offline::SnapshotManifest m = offline::SourceLog(root / "offline", "src").Load(1);
      (void)m.ToJson();
    } else {
      fuzz::WriteFile(root / "datasets/d/manifest.json", bytes);
      for (const dataset::ListedDataset& d : dataset::List(root)) {
        if (d.problem.empty() == d.manifest.is_null()) __builtin_trap();
      }
      (void)dataset::Show(root, "d");
    }
  } catch (const Error&) {
  }
  return 0;
}
