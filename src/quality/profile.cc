#include "quality/profile.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/bytes.h"
#include "common/hash.h"
#include "common/time.h"
#include "io/duckdb.h"
#include "sluice/error.h"

namespace sluice::quality {
namespace {

// 2: the KLL sketches carry their sampler's state. Format 1 (without it) is still read.
constexpr uint8_t kFormat = 3;  // 3: exact int64 min/max

// The distinct-count hash of a non-null cell: XXH3 of the value's bytes, seeded by its type
// (-0.0 counts as 0.0). Stored profiles merge only with profiles of the same hash (formats 1
// and 2 share it).
uint64_t CellHash(const Column& c, size_t r) {
  switch (c.type) {
    case DataType::kString: return XXH3_64bits_withSeed(c.str[r].data(), c.str[r].size(), 1);
    case DataType::kFloat64: {
      double d = c.f64[r];
      if (d == 0) d = 0;
      return XXH3_64bits_withSeed(&d, 8, 2);
    }
    case DataType::kFloat64List: {
      const auto& l = c.list[r];
      return XXH3_64bits_withSeed(l.data(), l.size() * sizeof(double), 3);
    }
    default: return XXH3_64bits_withSeed(&c.i64[r], 8, 4);
  }
}

}  // namespace

bool ColumnProfile::numeric() const {
  return type == DataType::kInt64 || type == DataType::kFloat64 || type == DataType::kTimestamp ||
         type == DataType::kBool;
}

bool ColumnProfile::categorical() const {
  return type == DataType::kString || type == DataType::kInt64 || type == DataType::kBool;
}

Profile::Profile(const Schema& schema) {
  for (const Field& f : schema) {
    ColumnProfile c;
    c.name = f.name;
    c.type = f.type;
    columns_.push_back(std::move(c));
  }
}

void Profile::Update(const Batch& batch, const std::vector<uint8_t>* skip) {
  const size_t n = batch.num_rows;
  size_t kept = n;
  if (skip) {
    kept = 0;
    for (size_t r = 0; r < n; ++r) kept += (*skip)[r] == 0;
  }
  rows_ += static_cast<int64_t>(kept);
  // Per column: the kept non-null rows, then each summary over all of them at once.
  thread_local std::vector<uint32_t> rows;
  thread_local std::vector<double> numbers;
  thread_local std::vector<std::string_view> texts;
  thread_local std::string digits;
  thread_local std::vector<uint32_t> ends;
  for (ColumnProfile& p : columns_) {
    const Column& c = batch.Get(p.name);
    p.count += static_cast<int64_t>(kept);
    rows.clear();
    for (uint32_t r = 0; r < n; ++r) {
      if ((skip && (*skip)[r]) || c.IsNull(r)) continue;
      rows.push_back(r);
    }
    p.nulls += static_cast<int64_t>(kept - rows.size());
    for (uint32_t r : rows) p.distinct.Add(CellHash(c, r));
    if (p.numeric()) {
      numbers.clear();
      if (c.type == DataType::kFloat64) {
        for (uint32_t r : rows) numbers.push_back(c.f64[r]);
      } else {
        for (uint32_t r : rows) numbers.push_back(static_cast<double>(c.i64[r]));
      }
      p.moments.UpdateBatch(numbers);
      if ((c.type == DataType::kInt64 || c.type == DataType::kTimestamp) && !rows.empty()) {
        const auto [lo, hi] = std::minmax_element(
            rows.begin(), rows.end(), [&](uint32_t a, uint32_t b) { return c.i64[a] < c.i64[b]; });
        p.int_min = p.has_int_range ? std::min(p.int_min, c.i64[*lo]) : c.i64[*lo];
        p.int_max = p.has_int_range ? std::max(p.int_max, c.i64[*hi]) : c.i64[*hi];
        p.has_int_range = true;
      }
      if (p.type != DataType::kBool) {
        for (double x : numbers) p.quantiles.Update(x);
      }
    }
    if (p.categorical()) {
      texts.clear();
      if (c.type == DataType::kString) {
        for (uint32_t r : rows) texts.emplace_back(c.str[r]);
      } else if (c.type == DataType::kBool) {
        for (uint32_t r : rows) texts.emplace_back(c.i64[r] ? "true" : "false");
      } else {
        // Decimal text of every value in one buffer first: views into it stay valid.
        digits.resize(rows.size() * 20);
        ends.clear();
        char* out = digits.data();
        for (uint32_t r : rows) {
          out = std::to_chars(out, digits.data() + digits.size(), c.i64[r]).ptr;
          ends.push_back(static_cast<uint32_t>(out - digits.data()));
        }
        uint32_t begin = 0;
        for (uint32_t end : ends) {
          texts.emplace_back(digits.data() + begin, end - begin);
          begin = end;
        }
      }
      p.top.UpdateBatch(texts);
    }
  }
}

void Profile::Merge(const Profile& other) {
  if (columns_.empty() && rows_ == 0) {
    *this = other;
    return;
  }
  if (other.columns_.size() != columns_.size()) {
    throw InputError(fmt::format("cannot merge profiles of {} and {} columns", columns_.size(),
                                 other.columns_.size()));
  }
  // Check every column first, so a failed merge leaves this profile as it was.
  for (size_t i = 0; i < columns_.size(); ++i) {
    const ColumnProfile& a = columns_[i];
    const ColumnProfile& b = other.columns_[i];
    if (a.name != b.name || a.type != b.type) {
      throw InputError(fmt::format("cannot merge profiles: column {} is {} {} in one, {} {} in "
                                   "the other",
                                   i + 1, a.name, TypeName(a.type), b.name, TypeName(b.type)));
    }
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    ColumnProfile& a = columns_[i];
    const ColumnProfile& b = other.columns_[i];
    const bool a_values = a.moments.count > 0, b_values = b.moments.count > 0;
    a.count += b.count;
    a.nulls += b.nulls;
    a.moments.Merge(b.moments);
    a.quantiles.Merge(b.quantiles);
    a.distinct.Merge(b.distinct);
    a.top.Merge(b.top);
    // The exact range holds only when every part that saw values kept one (a profile stored
    // before format 3 did not): otherwise the moments' min and max stand for the whole.
    if ((a_values && !a.has_int_range) || (b_values && !b.has_int_range)) {
      a.has_int_range = false;
    } else if (b.has_int_range) {
      a.int_min = a.has_int_range ? std::min(a.int_min, b.int_min) : b.int_min;
      a.int_max = a.has_int_range ? std::max(a.int_max, b.int_max) : b.int_max;
      a.has_int_range = true;
    }
  }
  rows_ += other.rows_;
}

const ColumnProfile* Profile::Find(std::string_view name) const {
  for (const ColumnProfile& c : columns_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string Profile::Serialize() const {
  std::string out;
  PutRaw<uint8_t>(out, kFormat);
  PutRaw(out, rows_);
  PutRaw(out, static_cast<uint32_t>(columns_.size()));
  for (const ColumnProfile& c : columns_) {
    PutBytes(out, c.name);
    PutRaw<uint8_t>(out, static_cast<uint8_t>(c.type));
    PutRaw(out, c.count);
    PutRaw(out, c.nulls);
    c.moments.Serialize(out);
    c.quantiles.Serialize(out);
    c.distinct.Serialize(out);
    c.top.Serialize(out);
    PutRaw<uint8_t>(out, c.has_int_range ? 1 : 0);
    PutRaw(out, c.int_min);
    PutRaw(out, c.int_max);
  }
  return out;
}

Profile Profile::Deserialize(std::string_view in, const std::string& what) {
  const char* w = what.c_str();
  Profile p;
  const auto format = TakeRaw<uint8_t>(in, w);
  if (format < 1 || format > kFormat) {
    throw InputError(fmt::format("{}: unknown profile format {} (this sluice reads {})", what,
                                 format, kFormat));
  }
  p.rows_ = TakeRaw<int64_t>(in, w);
  if (p.rows_ < 0) throw InputError(fmt::format("{}: {} rows", what, p.rows_));
  const auto n = TakeRaw<uint32_t>(in, w);
  if (n > in.size()) throw InputError(what + ": truncated encoding");
  for (uint32_t i = 0; i < n; ++i) {
    ColumnProfile c;
    c.name = std::string(TakeBytes(in, w));
    const auto type = TakeRaw<uint8_t>(in, w);
    if (type > static_cast<uint8_t>(DataType::kFloat64List)) {
      throw InputError(fmt::format("{}: unknown column type {}", what, type));
    }
    c.type = static_cast<DataType>(type);
    c.count = TakeRaw<int64_t>(in, w);
    c.nulls = TakeRaw<int64_t>(in, w);
    if (c.count < 0 || c.nulls < 0 || c.nulls > c.count || c.count > p.rows_) {
      throw InputError(fmt::format("{}: column '{}' counts {} values, {} null, of {} rows", what,
                                   c.name, c.count, c.nulls, p.rows_));
    }
    c.moments = sketch::Moments::Deserialize(in, w);
    c.quantiles = sketch::KllSketch::Deserialize(in, w, format >= 2);
    c.distinct = sketch::HyperLogLog::Deserialize(in, w);
    c.top = sketch::TopK::Deserialize(in, w);
    if (format >= 3) {
      c.has_int_range = TakeRaw<uint8_t>(in, w) != 0;
      c.int_min = TakeRaw<int64_t>(in, w);
      c.int_max = TakeRaw<int64_t>(in, w);
    }
    p.columns_.push_back(std::move(c));
  }
  if (!in.empty()) throw InputError(fmt::format("{}: {} trailing bytes", what, in.size()));
  return p;
}

nlohmann::json Profile::ToJson(size_t top_n) const {
  nlohmann::json cols = nlohmann::json::array();
  for (const ColumnProfile& c : columns_) {
    nlohmann::json j = {{"name", c.name},
                        {"type", TypeName(c.type)},
                        {"count", c.count},
                        {"nulls", c.nulls},
                        {"null_rate", c.count ? static_cast<double>(c.nulls) / c.count : 0.0},
                        // An estimate: never more than the non-null values counted.
                        {"distinct", std::min(c.distinct.Estimate(), c.count - c.nulls)}};
    const bool time = c.type == DataType::kTimestamp;
    const bool integer = c.type == DataType::kInt64;
    // A value of the column's own type: timestamps as text, int64 as integers.
    auto number = [&](double x) -> nlohmann::json {
      if (time) {
        return FormatTimestamp(static_cast<Micros>(
            std::llround(std::clamp(x, -9223372036854775808.0, 9223372036854774784.0))));
      }
      if (!std::isfinite(x)) return nullptr;
      if (integer) {  // doubles of int64 values: within range but for the rounding at 2^63
        if (x >= 9223372036854775807.0) return INT64_MAX;
        if (x <= -9223372036854775808.0) return INT64_MIN;
        return static_cast<int64_t>(std::llround(x));
      }
      return x;
    };
    auto exact = [&](int64_t v) -> nlohmann::json {
      if (time) return FormatTimestamp(v);
      return v;
    };
    if (c.numeric() && c.moments.count > 0) {
      j["min"] = c.has_int_range ? exact(c.int_min) : number(c.moments.min);
      j["max"] = c.has_int_range ? exact(c.int_max) : number(c.moments.max);
      if (!time) {
        j["mean"] = c.moments.mean;
        j["stddev"] = c.moments.Stddev();
      }
      if (!c.quantiles.empty()) {
        nlohmann::json q = nlohmann::json::object();
        for (const auto& [name, at] : {std::pair{"p01", 0.01}, {"p05", 0.05}, {"p25", 0.25},
                                       {"p50", 0.5}, {"p75", 0.75}, {"p95", 0.95}, {"p99", 0.99}}) {
          q[name] = number(c.quantiles.Quantile(at));
        }
        j["quantiles"] = q;
      }
    }
    if (c.categorical() && c.top.n() > 0 && top_n > 0) {
      nlohmann::json top = nlohmann::json::array();
      for (const sketch::TopK::Item& item : c.top.Items(top_n)) {
        // Counted as text; shown as values of the column's type.
        nlohmann::json value = item.value;
        int64_t i = 0;
        if (integer && std::from_chars(item.value.data(), item.value.data() + item.value.size(), i)
                               .ec == std::errc()) {
          value = i;
        } else if (c.type == DataType::kBool) {
          value = item.value == "true";
        }
        top.push_back({{"value", value}, {"count", item.count}});
      }
      j["top"] = top;
      j["top_exact"] = c.top.exact();
    }
    cols.push_back(std::move(j));
  }
  return {{"rows", rows_}, {"columns", cols}};
}

Profile ProfileFile(const std::string& path) {
  io::DuckDb db;
  // JSON through sluice's own reader (its nesting depth bounded: DuckDB's type inference
  // recurses per level); other files as DuckDB reads them by their extension.
  const bool json = path.ends_with(".jsonl") || path.ends_with(".ndjson") ||
                    path.ends_with(".jsonl.gz");
  const std::string from =
      "SELECT * FROM " + (json ? io::ReadFunction("json", {path}) : io::QuoteLiteral(path));
  const std::string context = "reading " + path;
  Schema schema;
  std::string select;
  for (const io::DescribedColumn& c : db.Describe(from, context)) {
    if (!c.type) continue;  // a type sluice has no equivalent for (e.g. STRUCT): not profiled
    schema.push_back({c.name, *c.type});
    select += (select.empty() ? "" : ", ") + io::QuoteIdent(c.name);
  }
  if (schema.empty()) throw InputError(context + ": no column of a type sluice profiles");
  Profile profile(schema);
  db.QueryChunks("SELECT " + select + " FROM " + io::QuoteLiteral(path),
                 [&](Batch&& b) { profile.Update(b); }, context);
  return profile;
}

}  // namespace sluice::quality
