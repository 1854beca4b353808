#include "io/duckdb.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "sluice/error.h"
#include "test_util.h"

namespace sluice::io {
namespace {

TEST(DuckDb, ParquetRoundTripKeepsEveryTypeAndNull) {
  TempDir dir;
  Batch b;
  Column ids(DataType::kInt64), xs(DataType::kFloat64), flags(DataType::kBool),
      names(DataType::kString), ts(DataType::kTimestamp), emb(DataType::kFloat64List);
  ids.Append(Value::Int(-7));
  ids.AppendNull();
  xs.Append(Value::Float(1.25));
  xs.AppendNull();
  flags.Append(Value::Bool(true));
  flags.AppendNull();
  names.Append(Value::String("a long string beyond twelve bytes"));
  names.AppendNull();
  ts.Append(Value::Timestamp(-1));
  ts.AppendNull();
  emb.Append(Value::List({1.5, -2.0}));
  emb.AppendNull();
  b.AddColumn("id", ids);
  b.AddColumn("x", xs);
  b.AddColumn("flag", flags);
  b.AddColumn("name", names);
  b.AddColumn("ts", ts);
  b.AddColumn("emb", emb);

  DuckDb db;
  const std::string path = (dir.path() / "out.parquet").string();
  db.WriteParquet(b, path);
  Batch back = db.Query("SELECT * FROM read_parquet(" + QuoteLiteral(path) + ")");
  ASSERT_EQ(back.num_rows, 2u);
  ASSERT_EQ(back.schema, b.schema);
  for (size_t c = 0; c < b.columns.size(); ++c) {
    for (size_t r = 0; r < 2; ++r) {
      EXPECT_EQ(back.columns[c].Get(r), b.columns[c].Get(r)) << b.schema[c].name << " row " << r;
    }
  }
}

TEST(DuckDb, WriteParquetFollowsARowOrderAcrossVectorBoundaries) {
  TempDir dir;
  // 5000 rows span three DuckDB vectors; written in reverse through `order`, with a null
  // every seventh row and strings both inline (<= 12 bytes) and not.
  Batch b;
  Column ids(DataType::kInt64), names(DataType::kString);
  for (int i = 0; i < 5000; ++i) {
    if (i % 7 == 0) {
      ids.AppendNull();
      names.AppendNull();
    } else {
      ids.Append(Value::Int(i));
      names.Append(
          Value::String(i % 2 ? "short" : "a string longer than twelve " + std::to_string(i)));
    }
  }
  b.AddColumn("id", ids);
  b.AddColumn("name", names);
  std::vector<uint32_t> order;
  for (int i = 4999; i >= 0; --i) order.push_back(static_cast<uint32_t>(i));
  DuckDb db;
  const std::string path = (dir.path() / "rev.parquet").string();
  db.WriteParquet(b, path, &order);
  Batch back = db.Query("SELECT * FROM read_parquet(" + QuoteLiteral(path) + ")");
  ASSERT_EQ(back.num_rows, 5000u);
  for (size_t r = 0; r < 5000; ++r) {
    EXPECT_EQ(back.columns[0].Get(r), b.columns[0].Get(4999 - r)) << r;
    EXPECT_EQ(back.columns[1].Get(r), b.columns[1].Get(4999 - r)) << r;
  }
}

TEST(DuckDb, SluiceRowsRejectsAnUnknownHandle) {
  TempDir dir;
  DuckDb db;
  Batch b;
  Column one(DataType::kInt64);
  one.Append(Value::Int(1));
  b.AddColumn("a", one);
  db.WriteParquet(b, (dir.path() / "x.parquet").string());  // registers sluice_rows
  try {
    db.Query("SELECT * FROM sluice_rows(987654321)");
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no rows registered"), std::string::npos) << e.what();
  }
}

TEST(DuckDb, CanonicalSelectMapsDatesDecimalsAndTimeZones) {
  DuckDb db;
  const std::string inner =
      "SELECT 3::INTEGER AS i, 2.5::DECIMAL(4,2) AS dec, DATE '1970-01-02' AS d, "
      "TIMESTAMPTZ '1970-01-01 01:00:00+01:00' AS tz, [1, 2]::FLOAT[] AS f";
  auto cols = db.Describe(inner);
  ASSERT_EQ(cols.size(), 5u);
  EXPECT_EQ(cols[0].type, DataType::kInt64);
  EXPECT_EQ(cols[1].type, DataType::kFloat64);
  EXPECT_EQ(cols[2].type, DataType::kTimestamp);
  EXPECT_EQ(cols[3].type, DataType::kTimestamp);
  EXPECT_EQ(cols[4].type, DataType::kFloat64List);
  Batch b = db.Query("SELECT " + CanonicalSelect(cols, "test") + " FROM (" + inner + ")");
  EXPECT_EQ(b.columns[0].Get(0), Value::Int(3));
  EXPECT_EQ(b.columns[1].Get(0), Value::Float(2.5));
  EXPECT_EQ(b.columns[2].Get(0), Value::Timestamp(86400LL * 1000000));
  EXPECT_EQ(b.columns[3].Get(0), Value::Timestamp(0));
  EXPECT_EQ(b.columns[4].Get(0), Value::List({1.0, 2.0}));
}

// TIMESTAMP WITH TIME ZONE is read in place as UTC microseconds (no cast per value): the same
// instants as the plain timestamps, before the epoch, across offsets, with nulls.
TEST(DuckDb, TimestampsWithTimeZoneReadAsUtcMicros) {
  DuckDb db;
  const std::string inner =
      "SELECT * FROM (VALUES (TIMESTAMPTZ '1969-12-31 23:59:59.999999+00'), "
      "(TIMESTAMPTZ '2026-03-29 02:30:00.000001+05:30'), (NULL::TIMESTAMPTZ)) t(tz)";
  auto cols = db.Describe(inner);
  ASSERT_EQ(cols.size(), 1u);
  EXPECT_EQ(cols[0].type, DataType::kTimestamp);
  EXPECT_EQ(CanonicalSelect(cols, "test"), "\"tz\"");  // no cast
  Batch b = db.Query("SELECT " + CanonicalSelect(cols, "test") + " FROM (" + inner + ")");
  ASSERT_EQ(b.num_rows, 3u);
  EXPECT_EQ(b.columns[0].type, DataType::kTimestamp);
  EXPECT_EQ(b.columns[0].Get(0), Value::Timestamp(-1));
  // 2026-03-28T21:00:00.000001Z
  EXPECT_EQ(b.columns[0].Get(1), Value::Timestamp(1774731600000001LL));
  EXPECT_TRUE(b.columns[0].IsNull(2));
}

TEST(DuckDb, UnsupportedColumnTypeNamesTheColumn) {
  DuckDb db;
  auto cols = db.Describe("SELECT {'a': 1} AS s");
  try {
    CanonicalSelect(cols, "reading x.parquet");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("reading x.parquet: column 's'"), std::string::npos)
        << e.what();
  }
}

TEST(DuckDb, SqlErrorIsInputErrorWithContext) {
  DuckDb db;
  try {
    db.Query("SELECT * FROM read_parquet('/nonexistent/x.parquet')", "source tx");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("source tx: ")) << e.what();
  }
}

TEST(DuckDb, QueryChunksSplitsLargeResultsAndKeepsOrder) {
  DuckDb db;
  std::vector<size_t> sizes;
  int64_t expect = 0;
  bool ordered = true;
  db.QueryChunks(
      "SELECT range AS v FROM range(10000)",
      [&](Batch&& b) {
        sizes.push_back(b.num_rows);
        for (size_t r = 0; r < b.num_rows; ++r) ordered &= b.columns[0].i64[r] == expect++;
      },
      {}, 4096);
  EXPECT_TRUE(ordered);
  EXPECT_EQ(expect, 10000);
  ASSERT_GE(sizes.size(), 2u);
}

}  // namespace
}  // namespace sluice::io
