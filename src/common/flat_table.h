// FlatTable: the one hash table of quality/ and sketch/ (the key sets of `unique` and
// `referential`, the string verdicts of `accepted_values` and `regex`, TopK's counters and the
// counting index of TopK::UpdateBatch). Open addressing with linear probing over one
// power-of-two array of small slots, at a load factor of at most 1/2: a lookup in a large
// table costs one cache miss, where Abseil's Swiss tables (control bytes apart from the slots)
// cost two; bench/hash_bench measured both (docs/architecture.md, "Data quality").
//
// A slot type S is small and trivially copyable, with `bool empty() const` (S{} is empty). A
// slot may be the value itself (a 64-bit hash) or an index into the caller's own vector of
// values, whose hashes the caller keeps: lookups take a predicate `match(slot)` that compares
// hash and value, and growth and erasure take `hash_of(slot)`, the hash the slot was placed by.
// So each table keeps the layout that suits it (4 bytes per slot for an index). Nothing
// iterates the table: callers that need an order keep it in their vector.
//
// Not thread-safe: one table per thread or per owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace sluice {

template <typename Slot>
class FlatTable {
  static_assert(std::is_trivially_copyable_v<Slot>);

 public:
  FlatTable() = default;
  // Empties the table, sized to hold `expected` slots without growing (at least 16).
  void Reset(size_t expected) {
    size_t size = 16;
    while (size < 2 * expected) size *= 2;
    slots_.assign(size, Slot{});
    size_ = 0;
  }

  // The position of the slot (placed by `hash`) for which `match(slot)` holds, else of the
  // empty slot where it would go; kNone in a table never Reset nor inserted into. Valid until
  // the next Insert or Erase.
  template <typename Match>
  size_t Probe(uint64_t hash, Match match) const {
    if (slots_.empty()) return kNone;
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.empty() || match(s)) return i;
    }
  }
  // The slot at a position from Probe, or nullptr when it is empty.
  const Slot* At(size_t at) const {
    return at == kNone || slots_[at].empty() ? nullptr : &slots_[at];
  }
  // The slot Probe finds, or nullptr.
  template <typename Match>
  const Slot* Find(uint64_t hash, Match match) const {
    return At(Probe(hash, match));
  }
  // Places `s` (not empty) at `at`: the empty position Probe returned for its hash (kNone
  // included). May grow past a load factor of 1/2, which moves every slot.
  template <typename HashOf>
  void Insert(size_t at, const Slot& s, HashOf hash_of) {
    if (at == kNone) {
      Reset(0);
      at = Probe(hash_of(s), [](const Slot&) { return false; });
    }
    slots_[at] = s;
    if (2 * ++size_ > slots_.size()) Grow(hash_of);
  }
  // Empties position `at` (holding a slot), moving later slots of its probe run back.
  template <typename HashOf>
  void Erase(size_t at, HashOf hash_of) {
    const size_t mask = slots_.size() - 1;
    slots_[at] = Slot{};
    --size_;
    for (size_t j = (at + 1) & mask; !slots_[j].empty(); j = (j + 1) & mask) {
      const size_t home = hash_of(slots_[j]) & mask;
      // The slot at j may move to the hole when the hole lies cyclically within [home, j).
      if (((j - home) & mask) >= ((j - at) & mask)) {
        slots_[at] = slots_[j];
        slots_[j] = Slot{};
        at = j;
      }
    }
  }
  size_t size() const { return size_; }
  // Heap bytes of the slot array.
  size_t size_bytes() const { return slots_.capacity() * sizeof(Slot); }

  static constexpr size_t kNone = SIZE_MAX;

 private:
  template <typename HashOf>
  void Grow(HashOf hash_of) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(2 * old.size(), Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.empty()) continue;
      size_t i = hash_of(s) & mask;
      while (!slots_[i].empty()) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace sluice
