// The DuckDB wrapper: the only place that includes duckdb.h. DuckDB reads and writes files
// (Parquet, CSV, JSON Lines) and runs SQL sources; feature semantics never live here.
//
// Thread-safety: a DuckDb is one connection; use it from one thread at a time. Connect()
// gives further connections to the same database for other threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/column.h"

namespace sluice::io {

// A column as DuckDB describes it, with the sluice type it maps to (if any).
struct DescribedColumn {
  std::string name;
  std::string duckdb_type;       // e.g. "BIGINT", "TIMESTAMP WITH TIME ZONE", "DOUBLE[]"
  std::optional<DataType> type;  // nullopt when sluice has no equivalent (e.g. STRUCT)
};

// Options of one DuckDB instance. Defaults suit a CLI run on a small machine.
struct DuckDbOptions {
  int threads = 0;             // 0 = DuckDB's default (all cores)
  std::string memory_limit;    // "" = DuckDB's default (80% of RAM)
  std::string temp_directory;  // "" = DuckDB's default; where sorts spill
};

// How a Parquet file is laid out. kPortable: format version 1 pages (dictionary and plain
// encodings), what every reader takes; for files users read (datasets, quarantine parts).
// kCompact: version 2 pages with delta and byte-stream-split encodings, for files only sluice
// reads (segments): on sorted segments about 30% faster to write, 25% faster to read and 8%
// smaller (bench/pit's events).
enum class ParquetLayout { kPortable, kCompact };

class DuckDb {
 public:
  // An in-memory database with its session TimeZone set to UTC. Throws InternalError when
  // DuckDB cannot start.
  explicit DuckDb(const DuckDbOptions& options = {});
  ~DuckDb();
  DuckDb(const DuckDb&) = delete;
  DuckDb& operator=(const DuckDb&) = delete;

  // Another connection to the same database (same tables and settings), for running queries
  // concurrently from another thread. The database lives until its last connection closes.
  std::unique_ptr<DuckDb> Connect() const;

  // Runs a statement and discards its result. Throws InputError carrying DuckDB's message,
  // prefixed by `context` (e.g. "reading data/tx.parquet").
  void Execute(const std::string& sql, std::string_view context = {});

  // Schema of a query's result without reading its rows.
  std::vector<DescribedColumn> Describe(const std::string& sql, std::string_view context = {});

  // Runs `sql` and hands its result to `sink` in chunks of at most `chunk_rows` rows (rows in
  // DuckDB's result order; insertion order of a scan is preserved). Every result column must
  // map to a sluice type (use CanonicalSelect to get there); throws InputError otherwise.
  void QueryChunks(const std::string& sql, const std::function<void(Batch&&)>& sink,
                   std::string_view context = {}, size_t chunk_rows = 1 << 16);

  // Runs `sql` and returns its whole result as one Batch.
  Batch Query(const std::string& sql, std::string_view context = {});

  // The same, streamed chunk by chunk into columns sized for `expected_rows` (a hint): no
  // intermediate copy of the result, for single-threaded connections reading known files.
  Batch QueryStreamed(const std::string& sql, size_t expected_rows, std::string_view context = {});

  // A cursor over `sql`'s result, read a chunk at a time: DuckDB streams it, so memory holds
  // about one chunk whatever the result's size. The query runs on this connection, which must
  // run nothing else until the cursor is gone. Throws InputError as QueryChunks.
  class Cursor;
  std::unique_ptr<Cursor> OpenCursor(const std::string& sql, std::string_view context = {});

  // Writes the rows of `batch` to the Parquet file `path` (snappy): rows `*order` in that
  // order when given, else all rows in order. DuckDB reads the columns in place through the
  // table function sluice_rows, so nothing is copied into a table first. Overwrites `path`;
  // durability (fsync, rename) is the caller's business. `in_order[c]` != 0 marks column c as
  // already in output order (its row i is output row i; a sort may produce some columns
  // sorted), read sequentially instead of through `order`. `layout`: see ParquetLayout.
  void WriteParquet(const Batch& batch, const std::string& path,
                    const std::vector<uint32_t>* order = nullptr,
                    const std::vector<uint8_t>* in_order = nullptr,
                    ParquetLayout layout = ParquetLayout::kPortable);

 private:
  struct Handles;
  explicit DuckDb(std::unique_ptr<Handles> handles);
  std::unique_ptr<Handles> h_;
};

class DuckDb::Cursor {
 public:
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  // The result's columns.
  const Schema& schema() const { return schema_; }
  // Appends the next chunk's rows (at most DuckDB's vector size) to `out`, which holds the
  // schema's columns; false, with `out` unchanged, once the result is exhausted.
  bool Next(Batch& out);

 private:
  friend class DuckDb;
  struct Result;
  Cursor(std::unique_ptr<Result> result, Schema schema, std::string context);
  std::unique_ptr<Result> result_;
  Schema schema_;
  std::string context_;
};

// The DuckDB type that maps 1:1 onto sluice type `t` (BIGINT, DOUBLE, BOOLEAN, VARCHAR,
// TIMESTAMP, DOUBLE[]).
std::string_view DuckTypeOf(DataType t);
// SQL identifier quoting: "name" with embedded quotes doubled.
std::string QuoteIdent(std::string_view name);
// SQL string literal quoting: 'text' with embedded quotes doubled.
std::string QuoteLiteral(std::string_view text);
// `v` as a SQL literal: an integer, a quoted string (int64 and string values only; what key
// columns hold). Throws InternalError for other types.
std::string SqlLiteral(const Value& v);
// A SELECT list that casts each described column to the DuckDB type that maps 1:1 onto its
// sluice type (e.g. DATE → TIMESTAMP, DECIMAL → DOUBLE, FLOAT[] → DOUBLE[]). Columns without a
// sluice type are an InputError naming the column and `context`.
std::string CanonicalSelect(const std::vector<DescribedColumn>& columns, std::string_view context);
// The DuckDB table function that reads `paths` with the given format ("parquet", "csv",
// "json"), e.g. read_parquet(['a.parquet', 'b.parquet']).
std::string ReadFunction(std::string_view format, const std::vector<std::string>& paths);
// "parquet", "csv" or "json" from a path's extension (.parquet, .csv, .jsonl/.json/.ndjson);
// throws InputError for anything else.
std::string FormatOfPath(std::string_view path);

}  // namespace sluice::io
