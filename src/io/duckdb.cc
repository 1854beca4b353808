#include "io/duckdb.h"

#include <duckdb.h>
#include <fmt/format.h>

#include <cstring>
#include <mutex>
#include <unordered_map>

#include "sluice/error.h"

namespace sluice::io {

// The database is shared by every connection opened on it (Connect); it closes with the last.
struct Database {
  duckdb_database db = nullptr;
  std::once_flag rows_function;  // sluice_rows registered (see WriteParquet)
  ~Database() {
    if (db) duckdb_close(&db);
  }
};

struct DuckDb::Handles {
  std::shared_ptr<Database> database = std::make_shared<Database>();
  duckdb_connection con = nullptr;
  ~Handles() {
    if (con) duckdb_disconnect(&con);
  }
};

namespace {

std::string WithContext(std::string_view context, std::string_view message) {
  if (context.empty()) return std::string(message);
  return fmt::format("{}: {}", context, message);
}

// Owns a duckdb_result.
struct ResultGuard {
  duckdb_result result{};
  ~ResultGuard() { duckdb_destroy_result(&result); }
};

struct ChunkGuard {
  duckdb_data_chunk chunk;
  ~ChunkGuard() { duckdb_destroy_data_chunk(&chunk); }
};

struct LogicalTypeGuard {
  duckdb_logical_type type;
  ~LogicalTypeGuard() { duckdb_destroy_logical_type(&type); }
};

// Maps a DuckDB type name (as DESCRIBE prints it) to a sluice type.
std::optional<DataType> MapTypeName(std::string_view t) {
  static constexpr std::string_view kInts[] = {"BIGINT",    "INTEGER",  "SMALLINT",
                                               "TINYINT",   "UBIGINT",  "UINTEGER",
                                               "USMALLINT", "UTINYINT", "HUGEINT"};
  for (auto i : kInts) {
    if (t == i) return DataType::kInt64;
  }
  if (t == "DOUBLE" || t == "FLOAT" || t.starts_with("DECIMAL")) return DataType::kFloat64;
  if (t == "BOOLEAN") return DataType::kBool;
  if (t == "VARCHAR") return DataType::kString;
  if (t == "TIMESTAMP" || t == "TIMESTAMP WITH TIME ZONE" || t == "TIMESTAMP_S" ||
      t == "TIMESTAMP_MS" || t == "TIMESTAMP_NS" || t == "DATE") {
    return DataType::kTimestamp;
  }
  const size_t bracket = t.find('[');
  if (bracket != std::string_view::npos && t.back() == ']') {
    auto child = MapTypeName(t.substr(0, bracket));
    if (child && IsNumeric(*child)) return DataType::kFloat64List;
  }
  return std::nullopt;
}

std::string_view CanonicalDuckType(DataType t) {
  switch (t) {
    case DataType::kInt64:
      return "BIGINT";
    case DataType::kFloat64:
      return "DOUBLE";
    case DataType::kBool:
      return "BOOLEAN";
    case DataType::kString:
      return "VARCHAR";
    case DataType::kTimestamp:
      return "TIMESTAMP";
    case DataType::kFloat64List:
      return "DOUBLE[]";
  }
  return "";
}

duckdb_logical_type CreateLogicalType(DataType t) {
  switch (t) {
    case DataType::kInt64:
      return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    case DataType::kFloat64:
      return duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
    case DataType::kBool:
      return duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
    case DataType::kString:
      return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    case DataType::kTimestamp:
      return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP);
    case DataType::kFloat64List: {
      LogicalTypeGuard child{duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE)};
      return duckdb_create_list_type(child.type);
    }
  }
  return nullptr;
}

std::optional<DataType> MapTypeId(duckdb_logical_type lt) {
  switch (duckdb_get_type_id(lt)) {
    case DUCKDB_TYPE_BIGINT:
      return DataType::kInt64;
    case DUCKDB_TYPE_DOUBLE:
      return DataType::kFloat64;
    case DUCKDB_TYPE_BOOLEAN:
      return DataType::kBool;
    case DUCKDB_TYPE_VARCHAR:
      return DataType::kString;
    case DUCKDB_TYPE_TIMESTAMP:
      return DataType::kTimestamp;
    // The same physical value: int64 microseconds since the epoch, UTC.
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return DataType::kTimestamp;
    case DUCKDB_TYPE_LIST: {
      LogicalTypeGuard child{duckdb_list_type_child_type(lt)};
      if (duckdb_get_type_id(child.type) == DUCKDB_TYPE_DOUBLE) return DataType::kFloat64List;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

inline bool RowValid(const uint64_t* validity, idx_t row) {
  return validity == nullptr || (validity[row / 64] >> (row % 64)) & 1;
}

// Appends `n` rows of DuckDB vector `v` to `col`.
void AppendVector(duckdb_vector v, idx_t n, Column& col) {
  const uint64_t* validity = duckdb_vector_get_validity(v);
  const size_t base = col.size();
  col.valid.resize(base + n);
  for (idx_t r = 0; r < n; ++r) col.valid[base + r] = RowValid(validity, r) ? 1 : 0;
  void* data = duckdb_vector_get_data(v);
  switch (col.type) {
    case DataType::kInt64:
    case DataType::kTimestamp: {
      const int64_t* src = static_cast<const int64_t*>(data);
      col.i64.insert(col.i64.end(), src, src + n);
      for (idx_t r = 0; r < n; ++r) {
        if (!col.valid[base + r]) col.i64[base + r] = 0;
      }
      break;
    }
    case DataType::kBool: {
      const bool* src = static_cast<const bool*>(data);
      col.i64.resize(base + n);
      for (idx_t r = 0; r < n; ++r) col.i64[base + r] = col.valid[base + r] && src[r] ? 1 : 0;
      break;
    }
    case DataType::kFloat64: {
      const double* src = static_cast<const double*>(data);
      col.f64.insert(col.f64.end(), src, src + n);
      for (idx_t r = 0; r < n; ++r) {
        if (!col.valid[base + r]) col.f64[base + r] = 0;
      }
      break;
    }
    case DataType::kString: {
      auto* src = static_cast<duckdb_string_t*>(data);
      col.str.resize(base + n);
      for (idx_t r = 0; r < n; ++r) {
        if (!col.valid[base + r]) continue;
        const uint32_t len = duckdb_string_t_length(src[r]);
        col.str[base + r].assign(duckdb_string_t_data(&src[r]), len);
      }
      break;
    }
    case DataType::kFloat64List: {
      auto* entries = static_cast<const duckdb_list_entry*>(data);
      duckdb_vector child = duckdb_list_vector_get_child(v);
      const double* values = static_cast<const double*>(duckdb_vector_get_data(child));
      const uint64_t* child_validity = duckdb_vector_get_validity(child);
      col.list.resize(base + n);
      for (idx_t r = 0; r < n; ++r) {
        if (!col.valid[base + r]) continue;
        auto& out = col.list[base + r];
        out.resize(entries[r].length);
        for (uint64_t k = 0; k < entries[r].length; ++k) {
          const idx_t at = entries[r].offset + k;
          // A null element inside an embedding has no float64 meaning; it reads as NaN.
          out[k] = RowValid(child_validity, at) ? values[at] : std::nan("");
        }
      }
      break;
    }
  }
}

// Fills DuckDB vector `v` with `n` rows of `col`: rows order[begin..begin+n) when `order` is
// given, else rows [begin, begin + n).
// Rows [begin, begin + n) of the output (through `order` when given) of `col` into `v`. A
// column without nulls gets an all-valid mask without reading its validity bytes.
void FillVector(const Column& col, const uint32_t* order, size_t begin, idx_t n, bool no_nulls,
                duckdb_vector v) {
  auto row = [&](idx_t r) -> size_t { return order ? order[begin + r] : begin + r; };
  // Rows picked through `order` are scattered in memory: fetch a few rows ahead.
  constexpr idx_t kAhead = 16;
  auto prefetch = [&](idx_t r, const void* base, size_t width) {
    if (order && r + kAhead < n) {
      __builtin_prefetch(static_cast<const char*>(base) + order[begin + r + kAhead] * width);
    }
  };
  // Fixed-width payloads: one memcpy in order, else a prefetching gather.
  auto copy_fixed = [&](const auto* src, auto* dst) {
    if (!order) {
      std::memcpy(dst, src + begin, n * sizeof(*src));
      return;
    }
    for (idx_t r = 0; r < n; ++r) {
      prefetch(r, src, sizeof(*src));
      dst[r] = src[order[begin + r]];
    }
  };
  duckdb_vector_ensure_validity_writable(v);
  uint64_t* validity = duckdb_vector_get_validity(v);
  for (idx_t w = 0; no_nulls && w * 64 < n; ++w) validity[w] = ~uint64_t{0};
  for (idx_t w = 0; !no_nulls && w * 64 < n; ++w) {
    uint64_t bits = 0;
    const idx_t end = std::min<idx_t>(64, n - w * 64);
    for (idx_t j = 0; j < end; ++j) {
      prefetch(w * 64 + j, col.valid.data(), 1);
      bits |= static_cast<uint64_t>(col.valid[row(w * 64 + j)] != 0) << j;
    }
    validity[w] = bits;
  }
  void* data = duckdb_vector_get_data(v);
  switch (col.type) {
    case DataType::kInt64:
    case DataType::kTimestamp:
      copy_fixed(col.i64.data(), static_cast<int64_t*>(data));
      break;
    case DataType::kBool: {
      bool* dst = static_cast<bool*>(data);
      for (idx_t r = 0; r < n; ++r) dst[r] = col.i64[row(r)] != 0;
      break;
    }
    case DataType::kFloat64:
      copy_fixed(col.f64.data(), static_cast<double*>(data));
      break;
    case DataType::kString:
      for (idx_t r = 0; r < n; ++r) {
        prefetch(r, col.str.data(), sizeof(std::string));
        const size_t i = row(r);
        if (!no_nulls && !col.valid[i]) continue;
        const std::string& s = col.str[i];
        duckdb_vector_assign_string_element_len(v, r, s.data(), s.size());
      }
      break;
    case DataType::kFloat64List: {
      idx_t total = 0;
      for (idx_t r = 0; r < n; ++r) total += col.list[row(r)].size();
      duckdb_list_vector_reserve(v, total);
      duckdb_list_vector_set_size(v, total);
      auto* entries = static_cast<duckdb_list_entry*>(data);
      duckdb_vector child = duckdb_list_vector_get_child(v);
      double* values = static_cast<double*>(duckdb_vector_get_data(child));
      idx_t offset = 0;
      for (idx_t r = 0; r < n; ++r) {
        const auto& l = col.list[row(r)];
        entries[r] = {offset, l.size()};
        std::copy(l.begin(), l.end(), values + offset);
        offset += l.size();
      }
      break;
    }
  }
}

// The table function sluice_rows(handle): streams the rows of a Batch registered under
// `handle` into a query, so that COPY writes Parquet straight from sluice's columns (no
// intermediate table). Handles are ids in a process-wide registry, never pointers, so a query
// naming an unknown handle gets a bind error instead of reading stray memory.
struct RowsSource {
  const Batch* batch;
  const std::vector<uint32_t>* order;  // nullptr = all rows in order
  std::vector<uint8_t> in_order;       // per column: read sequentially, not through `order`
  std::vector<uint8_t> no_nulls;       // per column: every row valid
  size_t rows() const { return order ? order->size() : batch->num_rows; }
};

std::mutex rows_sources_mutex;
std::unordered_map<int64_t, RowsSource> rows_sources;
int64_t next_rows_handle = 1;

struct RowsScanState {
  size_t position = 0;
};

void RowsBind(duckdb_bind_info info) {
  duckdb_value param = duckdb_bind_get_parameter(info, 0);
  const int64_t handle = duckdb_get_int64(param);
  duckdb_destroy_value(&param);
  std::optional<RowsSource> source;
  {
    std::lock_guard<std::mutex> lock(rows_sources_mutex);
    auto it = rows_sources.find(handle);
    if (it != rows_sources.end()) source = it->second;
  }
  if (!source) {
    duckdb_bind_set_error(info, "sluice_rows: no rows registered under this handle");
    return;
  }
  for (const Field& f : source->batch->schema) {
    LogicalTypeGuard lt{CreateLogicalType(f.type)};
    duckdb_bind_add_result_column(info, f.name.c_str(), lt.type);
  }
  duckdb_bind_set_cardinality(info, source->rows(), true);
  duckdb_bind_set_bind_data(info, new RowsSource(*source),
                            [](void* p) { delete static_cast<RowsSource*>(p); });
}

void RowsInit(duckdb_init_info info) {
  duckdb_init_set_init_data(info, new RowsScanState,
                            [](void* p) { delete static_cast<RowsScanState*>(p); });
}

void RowsScan(duckdb_function_info info, duckdb_data_chunk output) {
  const auto* source = static_cast<const RowsSource*>(duckdb_function_get_bind_data(info));
  auto* state = static_cast<RowsScanState*>(duckdb_function_get_init_data(info));
  const size_t n = std::min<size_t>(duckdb_vector_size(), source->rows() - state->position);
  const uint32_t* order = source->order ? source->order->data() : nullptr;
  for (size_t c = 0; c < source->batch->columns.size(); ++c) {
    FillVector(source->batch->columns[c], source->in_order[c] ? nullptr : order,
               state->position, n, source->no_nulls[c] != 0,
               duckdb_data_chunk_get_vector(output, c));
  }
  duckdb_data_chunk_set_size(output, n);
  state->position += n;
}

void RegisterRowsFunction(duckdb_connection con) {
  duckdb_table_function f = duckdb_create_table_function();
  duckdb_table_function_set_name(f, "sluice_rows");
  LogicalTypeGuard handle{duckdb_create_logical_type(DUCKDB_TYPE_BIGINT)};
  duckdb_table_function_add_parameter(f, handle.type);
  duckdb_table_function_set_bind(f, RowsBind);
  duckdb_table_function_set_init(f, RowsInit);
  duckdb_table_function_set_function(f, RowsScan);
  const duckdb_state state = duckdb_register_table_function(con, f);
  duckdb_destroy_table_function(&f);
  if (state == DuckDBError) throw InternalError("duckdb: cannot register sluice_rows");
}

// The sluice schema of a result; InputError naming a column of a type sluice cannot read.
Schema ResultSchema(duckdb_result* rp, std::string_view context) {
  Schema schema;
  const idx_t ncol = duckdb_column_count(rp);
  for (idx_t c = 0; c < ncol; ++c) {
    LogicalTypeGuard lt{duckdb_column_logical_type(rp, c)};
    const char* name = duckdb_column_name(rp, c);
    auto type = MapTypeId(lt.type);
    if (!type) {
      char* tn = duckdb_logical_type_get_alias(lt.type);
      std::string tname = tn ? tn : std::to_string(duckdb_get_type_id(lt.type));
      duckdb_free(tn);
      throw InputError(WithContext(
          context,
          fmt::format("column '{}' has a type sluice cannot read (type id {})", name, tname)));
    }
    schema.push_back({name, *type});
  }
  return schema;
}

// Runs a prepared statement streaming into `result`; InputError with DuckDB's message.
void ExecuteStreaming(duckdb_connection con, const std::string& sql, std::string_view context,
                      duckdb_result* result) {
  duckdb_prepared_statement stmt = nullptr;
  if (duckdb_prepare(con, sql.c_str(), &stmt) == DuckDBError) {
    std::string message = duckdb_prepare_error(stmt);
    duckdb_destroy_prepare(&stmt);
    throw InputError(WithContext(context, message));
  }
  duckdb_pending_result pending = nullptr;
  const duckdb_state pstate = duckdb_pending_prepared_streaming(stmt, &pending);
  duckdb_destroy_prepare(&stmt);
  if (pstate == DuckDBError) {
    std::string message = duckdb_pending_error(pending);
    duckdb_destroy_pending(&pending);
    throw InputError(WithContext(context, message));
  }
  const duckdb_state estate = duckdb_execute_pending(pending, result);
  duckdb_destroy_pending(&pending);
  if (estate == DuckDBError) {
    throw InputError(WithContext(context, duckdb_result_error(result)));
  }
}

// Converts a DuckDB result into Batches of at most `chunk_rows` rows handed to `sink`;
// `reserve_rows` > 0 pre-sizes the first batch (a materialized result knows its row count).
void ConvertResult(duckdb_result& result, const std::function<void(Batch&&)>& sink,
                   std::string_view context, size_t chunk_rows, size_t reserve_rows) {
  duckdb_result* rp = &result;
  const Schema schema = ResultSchema(rp, context);
  const idx_t ncol = schema.size();
  auto fresh_batch = [&] {
    Batch b;
    b.schema = schema;
    for (const Field& f : schema) {
      b.columns.emplace_back(f.type);
      if (reserve_rows > 0) b.columns.back().Reserve(std::min(reserve_rows, chunk_rows));
    }
    return b;
  };
  Batch batch = fresh_batch();
  bool any = false;
  while (true) {
    ChunkGuard chunk{duckdb_fetch_chunk(result)};
    if (chunk.chunk == nullptr) {
      if (const char* err = duckdb_result_error(rp); err && *err) {
        throw InputError(WithContext(context, err));
      }
      break;
    }
    const idx_t n = duckdb_data_chunk_get_size(chunk.chunk);
    if (n == 0) break;
    for (idx_t c = 0; c < ncol; ++c) {
      AppendVector(duckdb_data_chunk_get_vector(chunk.chunk, c), n, batch.columns[c]);
    }
    batch.num_rows += n;
    if (batch.num_rows >= chunk_rows) {
      sink(std::move(batch));
      any = true;
      batch = fresh_batch();
    }
  }
  if (batch.num_rows > 0 || !any) sink(std::move(batch));
}

}  // namespace

DuckDb::DuckDb(const DuckDbOptions& options) : h_(std::make_unique<Handles>()) {
  duckdb_config config;
  if (duckdb_create_config(&config) == DuckDBError)
    throw InternalError("duckdb: cannot create config");
  if (options.threads > 0) {
    duckdb_set_config(config, "threads", std::to_string(options.threads).c_str());
  }
  if (!options.memory_limit.empty()) {
    duckdb_set_config(config, "memory_limit", options.memory_limit.c_str());
  }
  if (!options.temp_directory.empty()) {
    duckdb_set_config(config, "temp_directory", options.temp_directory.c_str());
  }
  char* error = nullptr;
  const duckdb_state state = duckdb_open_ext(nullptr, &h_->database->db, config, &error);
  duckdb_destroy_config(&config);
  if (state == DuckDBError) {
    std::string message = error ? error : "unknown error";
    duckdb_free(error);
    throw InternalError("duckdb: cannot open an in-memory database: " + message);
  }
  if (duckdb_connect(h_->database->db, &h_->con) == DuckDBError) {
    throw InternalError("duckdb: cannot connect");
  }
  Execute("SET TimeZone = 'UTC'", "configuring DuckDB");
}

DuckDb::~DuckDb() = default;

DuckDb::DuckDb(std::unique_ptr<Handles> handles) : h_(std::move(handles)) {}

std::unique_ptr<DuckDb> DuckDb::Connect() const {
  auto handles = std::make_unique<Handles>();
  handles->database = h_->database;
  if (duckdb_connect(handles->database->db, &handles->con) == DuckDBError) {
    throw InternalError("duckdb: cannot open another connection");
  }
  return std::unique_ptr<DuckDb>(new DuckDb(std::move(handles)));
}

void DuckDb::Execute(const std::string& sql, std::string_view context) {
  ResultGuard g;
  if (duckdb_query(h_->con, sql.c_str(), &g.result) == DuckDBError) {
    throw InputError(WithContext(context, duckdb_result_error(&g.result)));
  }
}

std::vector<DescribedColumn> DuckDb::Describe(const std::string& sql, std::string_view context) {
  Batch described = Query("DESCRIBE " + sql, context);
  const Column& names = described.Get("column_name");
  const Column& types = described.Get("column_type");
  std::vector<DescribedColumn> out;
  for (size_t r = 0; r < described.num_rows; ++r) {
    out.push_back({names.str[r], types.str[r], MapTypeName(types.str[r])});
  }
  return out;
}

namespace {
// Runs `sql` as a streaming query and converts its result (see ConvertResult).
void Stream(duckdb_connection con, const std::string& sql, const std::function<void(Batch&&)>& sink,
            std::string_view context, size_t chunk_rows, size_t reserve_rows) {
  ResultGuard g;
  ExecuteStreaming(con, sql, context, &g.result);
  ConvertResult(g.result, sink, context, chunk_rows, reserve_rows);
}
}  // namespace

void DuckDb::QueryChunks(const std::string& sql, const std::function<void(Batch&&)>& sink,
                         std::string_view context, size_t chunk_rows) {
  Stream(h_->con, sql, sink, context, chunk_rows, 0);
}

Batch DuckDb::QueryStreamed(const std::string& sql, size_t expected_rows,
                            std::string_view context) {
  Batch out;
  Stream(
      h_->con, sql, [&](Batch&& b) { out = std::move(b); }, context, SIZE_MAX, expected_rows);
  return out;
}

Batch DuckDb::Query(const std::string& sql, std::string_view context) {
  // Materialized: DuckDB runs the whole query in parallel, and the row count lets the columns
  // be sized once instead of growing chunk by chunk.
  ResultGuard g;
  if (duckdb_query(h_->con, sql.c_str(), &g.result) == DuckDBError) {
    throw InputError(WithContext(context, duckdb_result_error(&g.result)));
  }
  Batch out;
  ConvertResult(
      g.result, [&](Batch&& b) { out = std::move(b); }, context, SIZE_MAX,
      duckdb_row_count(&g.result));
  return out;
}

struct DuckDb::Cursor::Result {
  duckdb_result result{};
  ~Result() { duckdb_destroy_result(&result); }
};

DuckDb::Cursor::Cursor(std::unique_ptr<Result> result, Schema schema, std::string context)
    : result_(std::move(result)), schema_(std::move(schema)), context_(std::move(context)) {}

DuckDb::Cursor::~Cursor() = default;

bool DuckDb::Cursor::Next(Batch& out) {
  ChunkGuard chunk{duckdb_fetch_chunk(result_->result)};
  if (chunk.chunk == nullptr) {
    if (const char* err = duckdb_result_error(&result_->result); err && *err) {
      throw InputError(WithContext(context_, err));
    }
    return false;
  }
  const idx_t n = duckdb_data_chunk_get_size(chunk.chunk);
  if (n == 0) return false;
  for (idx_t c = 0; c < schema_.size(); ++c) {
    AppendVector(duckdb_data_chunk_get_vector(chunk.chunk, c), n, out.columns[c]);
  }
  out.num_rows += n;
  return true;
}

std::unique_ptr<DuckDb::Cursor> DuckDb::OpenCursor(const std::string& sql,
                                                   std::string_view context) {
  auto result = std::make_unique<Cursor::Result>();
  ExecuteStreaming(h_->con, sql, context, &result->result);
  Schema schema = ResultSchema(&result->result, context);
  return std::unique_ptr<Cursor>(new Cursor(std::move(result), std::move(schema), std::string(context)));
}

void DuckDb::WriteParquet(const Batch& batch, const std::string& path,
                          const std::vector<uint32_t>* order,
                          const std::vector<uint8_t>* in_order, ParquetLayout layout) {
  std::call_once(h_->database->rows_function, [&] { RegisterRowsFunction(h_->con); });
  RowsSource source{&batch, order, {}, {}};
  for (size_t c = 0; c < batch.columns.size(); ++c) {
    const std::vector<uint8_t>& valid = batch.columns[c].valid;
    source.in_order.push_back(in_order ? (*in_order)[c] : 0);
    source.no_nulls.push_back(std::find(valid.begin(), valid.end(), 0) == valid.end());
  }
  int64_t handle = 0;
  {
    std::lock_guard<std::mutex> lock(rows_sources_mutex);
    handle = next_rows_handle++;
    rows_sources[handle] = std::move(source);
  }
  struct Unregister {
    int64_t handle;
    ~Unregister() {
      std::lock_guard<std::mutex> lock(rows_sources_mutex);
      rows_sources.erase(handle);
    }
  } unregister{handle};
  Execute(fmt::format("COPY (SELECT * FROM sluice_rows({})) TO {} (FORMAT parquet, COMPRESSION "
                      "snappy{})",
                      handle, QuoteLiteral(path),
                      layout == ParquetLayout::kCompact ? ", PARQUET_VERSION v2" : ""),
          "writing " + path);
}

std::string_view DuckTypeOf(DataType t) { return CanonicalDuckType(t); }

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string SqlLiteral(const Value& v) {
  if (v.type == DataType::kString) return QuoteLiteral(v.s);
  if (v.type == DataType::kInt64) return std::to_string(v.i);
  throw InternalError("SqlLiteral: a value of type " + std::string(TypeName(v.type)));
}

std::string CanonicalSelect(const std::vector<DescribedColumn>& columns, std::string_view context) {
  std::string out;
  for (const DescribedColumn& c : columns) {
    if (!c.type) {
      throw InputError(WithContext(
          context, fmt::format("column '{}' has type {}, which sluice does not support "
                               "(supported: integers, floats, decimals, boolean, varchar, "
                               "timestamps, dates, numeric lists)",
                               c.name, c.duckdb_type)));
    }
    if (!out.empty()) out += ", ";
    const std::string target(CanonicalDuckType(*c.type));
    if (c.duckdb_type == target || c.duckdb_type == "TIMESTAMP WITH TIME ZONE") {
      // TIMESTAMP WITH TIME ZONE holds UTC microseconds, as sluice's timestamps do: read in
      // place (ConvertResult copies the int64s). A CAST to TIMESTAMP would go through ICU's
      // calendar for every value (4x slower ingest of Spark's and tz-aware pandas' Parquet).
      out += QuoteIdent(c.name);
    } else {
      out += fmt::format("CAST({0} AS {1}) AS {0}", QuoteIdent(c.name), target);
    }
  }
  return out;
}

std::string ReadFunction(std::string_view format, const std::vector<std::string>& paths) {
  std::string list = "[";
  for (size_t i = 0; i < paths.size(); ++i) {
    if (i) list += ", ";
    list += QuoteLiteral(paths[i]);
  }
  list += "]";
  if (format == "parquet") return "read_parquet(" + list + ")";
  if (format == "csv") return "read_csv(" + list + ", header = true)";
  // Types inferred 3 levels deep at most (a list of numbers needs 2; deeper is JSON, which
  // sluice reports as unsupported): DuckDB's type inference and type names recurse once per
  // level, and a file nested ~15,000 deep overflowed the stack.
  if (format == "json") {
    return "read_json(" + list + ", format = 'newline_delimited', maximum_depth = 3)";
  }
  throw InternalError("unknown file format " + std::string(format));
}

std::string FormatOfPath(std::string_view path) {
  auto ends = [&](std::string_view ext) { return path.ends_with(ext); };
  if (ends(".parquet") || ends(".pq")) return "parquet";
  if (ends(".csv") || ends(".csv.gz") || ends(".tsv")) return "csv";
  if (ends(".jsonl") || ends(".ndjson") || ends(".json") || ends(".jsonl.gz")) return "json";
  throw InputError(fmt::format(
      "{}: unknown file format (expected .parquet, .csv or .jsonl/.ndjson/.json)", path));
}

}  // namespace sluice::io
