// A set of 64-bit hashes in one flat array (open addressing, linear probing): 8 bytes per slot
// at a load factor of at most 1/2, about 16 bytes per member, against 40 or more for
// std::unordered_set's nodes. The `unique` and `referential` rules hold one hash per distinct
// key in it.
#pragma once

#include <cstddef>
#include <cstdint>
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

}  // namespace sluice::quality
