// A set of 64-bit hashes in one flat array (open addressing, linear probing): 8 bytes per slot
// at a load factor of at most 1/2, about 16 bytes per member, against 40 or more for
// std::unordered_set's nodes. The `unique` and `referential` rules hold one hash per distinct
// key in it. StringVerdicts: a verdict (pass or fail) per string value, for `accepted_values`
// and the memo of `regex`, in one flat table probed by XXH3 hash.
#pragma once

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::quality {

class HashSet {
 public:
  // Adds `h`; true when it was not there yet.
  bool Insert(uint64_t h) {
    if (h == 0) h = 1;  // 0 marks an empty slot
    if (2 * (size_ + 1) > slots_.size()) Grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i] == h) return false;
      if (slots_[i] == 0) {
        slots_[i] = h;
        ++size_;
        return true;
      }
    }
  }
  bool Contains(uint64_t h) const {
    if (slots_.empty()) return false;
    if (h == 0) h = 1;
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i] == h) return true;
      if (slots_[i] == 0) return false;
    }
  }
  size_t size() const { return size_; }

 private:
  void Grow() {
    std::vector<uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : 2 * old.size(), 0);
    size_ = 0;
    for (uint64_t h : old) {
      if (h != 0) Insert(h);
    }
  }
  std::vector<uint64_t> slots_;
  size_t size_ = 0;
};

// String values with a verdict each; Find answers kUnknown for a value not added.
class StringVerdicts {
 public:
  enum Verdict : int8_t { kUnknown = -1, kFail = 0, kPass = 1 };

  // Adds `value` with `pass` (a value already there keeps its verdict).
  void Add(std::string_view value, bool pass) {
    if (2 * (values_.size() + 1) > slots_.size()) Grow();
    const uint64_t h = XXH3_64bits(value.data(), value.size());
    const size_t at = Probe(value, h);
    if (slots_[at].index != kEmpty) return;
    slots_[at] = {h, static_cast<uint32_t>(values_.size()), pass};
    values_.emplace_back(value);
  }
  Verdict Find(std::string_view value) const {
    if (values_.empty()) return kUnknown;
    const Slot& s = slots_[Probe(value, XXH3_64bits(value.data(), value.size()))];
    return s.index == kEmpty ? kUnknown : s.pass ? kPass : kFail;
  }
  size_t size() const { return values_.size(); }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint64_t hash = 0;
    uint32_t index = kEmpty;  // into values_
    bool pass = false;
  };
  // The slot holding `value`, or the empty slot where it would go.
  size_t Probe(std::string_view value, uint64_t h) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.index == kEmpty || (s.hash == h && values_[s.index] == value)) return i;
    }
  }
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : 2 * old.size(), Slot{});
    for (const Slot& s : old) {
      if (s.index != kEmpty) slots_[Probe(values_[s.index], s.hash)] = s;
    }
  }
  std::vector<Slot> slots_;
  std::vector<std::string> values_;
};

}  // namespace sluice::quality
