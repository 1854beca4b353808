// HashSet: the 64-bit hashes that the `unique` and `referential` rules hold, one per distinct
// key: 8 bytes per slot at a load factor between 1/4 and 1/2, 16-32 bytes per key.
// StringVerdicts: a verdict (pass or fail) per string value, for `accepted_values` and the
// memo of `regex`, probed by XXH3. Both are FlatTables (common/flat_table.h).
#pragma once

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/flat_table.h"

namespace sluice::quality {

class HashSet {
 public:
  // Adds `h`; true when it was not there yet.
  bool Insert(uint64_t h) {
    if (h == 0) h = 1;  // 0 marks an empty slot
    const size_t at = table_.Probe(h, [h](const Slot& s) { return s.h == h; });
    if (table_.At(at)) return false;
    table_.Insert(at, Slot{h}, [](const Slot& s) { return s.h; });
    return true;
  }
  bool Contains(uint64_t h) const {
    if (h == 0) h = 1;
    return table_.Find(h, [h](const Slot& s) { return s.h == h; }) != nullptr;
  }
  size_t size() const { return table_.size(); }

 private:
  struct Slot {
    uint64_t h = 0;  // the member itself
    bool empty() const { return h == 0; }
  };
  FlatTable<Slot> table_;
};

// String values with a verdict each; Find answers kUnknown for a value not added.
class StringVerdicts {
 public:
  enum Verdict : int8_t { kUnknown = -1, kFail = 0, kPass = 1 };

  // Adds `value` with `pass` (a value already there keeps its verdict).
  void Add(std::string_view value, bool pass) {
    const uint64_t h = XXH3_64bits(value.data(), value.size());
    const size_t at = table_.Probe(h, Is{h, value, values_});
    if (table_.At(at)) return;
    table_.Insert(at, Slot{h, static_cast<uint32_t>(values_.size()), pass}, HashOf);
    values_.emplace_back(value);
  }
  Verdict Find(std::string_view value) const {
    const uint64_t h = XXH3_64bits(value.data(), value.size());
    const Slot* s = table_.Find(h, Is{h, value, values_});
    return !s ? kUnknown : s->pass ? kPass : kFail;
  }
  size_t size() const { return values_.size(); }

 private:
  struct Slot {
    uint64_t h = 0;
    uint32_t index = UINT32_MAX;  // into values_; UINT32_MAX: empty
    bool pass = false;
    bool empty() const { return index == UINT32_MAX; }
  };
  static uint64_t HashOf(const Slot& s) { return s.h; }
  // Matches the slot of `value`, whose hash is `h`.
  struct Is {
    uint64_t h;
    std::string_view value;
    const std::vector<std::string>& values;
    bool operator()(const Slot& s) const { return s.h == h && values[s.index] == value; }
  };
  FlatTable<Slot> table_;
  std::vector<std::string> values_;
};

}  // namespace sluice::quality
