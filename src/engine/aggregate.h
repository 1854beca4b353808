// Aggregate functions of SPEC §5.2 behind one state interface, in the spirit of ClickHouse's
// IAggregateFunction: a function owns no data; its partial state lives in caller-provided
// memory (state_size() bytes, aligned to 8), so tile states sit in flat arrays.
//
//   Init(state)                    the state of no rows
//   Update(state, column, row)     add one non-null input value (callers skip nulls; `count`
//                                  without expr is fed any column, row by row)
//   Merge(into, later)             into := state of into's rows followed by later's rows
//   Finalize(state, out, row)      the feature value (count 0 and sum 0 over no rows; others
//                                  null)
//   Serialize / Deserialize        a portable byte encoding (docs/architecture.md) that the
//                                  online store and streams keep per (entity, tile)
//   Destroy(state)                 frees what Init/Update allocated
//
// Merge is order-aware: `later` holds rows that come after `into`'s in the shared row order
// (ts, created, seq), which is what `last` and `first` need and what makes float sums
// deterministic: the same rows in the same tiles always combine in the same order.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/column.h"

namespace sluice::engine {

class AggregateFunction {
 public:
  virtual ~AggregateFunction() = default;
  // "count", "sum", … as written in YAML.
  virtual std::string_view name() const = 0;
  virtual DataType result_type() const = 0;
  virtual size_t state_size() const = 0;
  virtual void Init(char* state) const = 0;
  virtual void Destroy(char* state) const = 0;
  virtual void Update(char* state, const Column& input, size_t row) const = 0;
  virtual void Merge(char* into, const char* later) const = 0;
  virtual void Finalize(const char* state, Column& out, size_t out_row) const = 0;
  virtual void Serialize(const char* state, std::string& out) const = 0;
  // Reads one state written by Serialize from the front of `in` (advancing it) into an
  // Init'ed `state`. Throws InputError on a malformed encoding.
  virtual void Deserialize(std::string_view& in, char* state) const = 0;
};

// The function `name` over inputs of type `input` (nullopt: `count` without expr). Returns
// nullptr for an unknown name or an input type the function does not take (the repo checker
// reports those at apply).
std::unique_ptr<AggregateFunction> MakeAggregate(std::string_view name,
                                                 std::optional<DataType> input);

// An owned state of one function (tests, the single-row path).
class AggregateState {
 public:
  explicit AggregateState(const AggregateFunction& fn);
  ~AggregateState();
  AggregateState(const AggregateState&) = delete;
  AggregateState& operator=(const AggregateState&) = delete;
  char* get() { return data_.get(); }
  const char* get() const { return data_.get(); }

 private:
  const AggregateFunction& fn_;
  std::unique_ptr<char[]> data_;
};

}  // namespace sluice::engine
