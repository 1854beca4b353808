// View records: the byte encoding round-trips every part, and malformed bytes are an error.
#include <gtest/gtest.h>

#include "online/record.h"
#include "sluice/error.h"

namespace sluice::online {
namespace {

ViewRecord Sample() {
  ViewRecord r;
  r.view_version = "0123456789abcdef";
  r.has_row = true;
  r.newest = {1'700'000'000'000'000, true, 1'700'000'000'000'123, 42};
  r.last_values = {Value::Int(-7), Value::Float(2.5), Value::String("o'hara"),
                   Value::Null(DataType::kString), Value::Bool(true),
                   Value::Timestamp(-1), Value::List({1.5, -0.0})};
  r.windows.resize(3);
  r.windows[0].tiles = {{-3, std::string("\x01\x02", 2)}, {5, std::string()}};
  r.windows[1].rows = {{10, Value::Float(1.25)}, {11, Value::Null(DataType::kFloat64)}};
  return r;  // windows[2]: no partials
}

TEST(ViewRecord, EncodingRoundTripsEveryPart) {
  const ViewRecord r = Sample();
  const ViewRecord back = ViewRecord::Decode(r.Encode(), "v/1");
  EXPECT_EQ(back.view_version, r.view_version);
  EXPECT_TRUE(back.has_row);
  EXPECT_EQ(back.newest.Compare(r.newest), 0);
  EXPECT_EQ(back.newest.created, r.newest.created);
  ASSERT_EQ(back.last_values.size(), r.last_values.size());
  for (size_t i = 0; i < r.last_values.size(); ++i) {
    EXPECT_EQ(back.last_values[i], r.last_values[i]) << i;
    EXPECT_EQ(back.last_values[i].type, r.last_values[i].type) << i;
  }
  ASSERT_EQ(back.windows.size(), 3u);
  ASSERT_EQ(back.windows[0].tiles.size(), 2u);
  EXPECT_EQ(back.windows[0].tiles[0].tile, -3);
  EXPECT_EQ(back.windows[0].tiles[0].state, std::string("\x01\x02", 2));
  EXPECT_EQ(back.windows[0].tiles[1].tile, 5);
  ASSERT_EQ(back.windows[1].rows.size(), 2u);
  EXPECT_EQ(back.windows[1].rows[0].first, 10);
  EXPECT_EQ(back.windows[1].rows[0].second, Value::Float(1.25));
  EXPECT_TRUE(back.windows[1].rows[1].second.is_null);
  EXPECT_TRUE(back.windows[2].tiles.empty());
  EXPECT_TRUE(back.windows[2].rows.empty());
  EXPECT_EQ(back.Encode(), r.Encode());
}

TEST(ViewRecord, RowOrderPutsNullCreatedFirst) {
  const RowKey a{5, false, 0, 9}, b{5, true, 1, 1}, c{5, true, 1, 2}, d{6, false, 0, 0};
  EXPECT_LT(a.Compare(b), 0);
  EXPECT_LT(b.Compare(c), 0);
  EXPECT_LT(c.Compare(d), 0);
  EXPECT_GT(d.Compare(a), 0);
  EXPECT_EQ(c.Compare(c), 0);
}

TEST(ViewRecord, MalformedBytesAreAnErrorNamingTheRecord) {
  const std::string bytes = Sample().Encode();
  // Every strict prefix is truncated; a trailing byte is extra.
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THROW(ViewRecord::Decode(bytes.substr(0, n), "v/1"), InputError) << n;
  }
  try {
    ViewRecord::Decode(bytes + "x", "user_stats/7");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "online record user_stats/7: 1 trailing bytes");
  }
  std::string other = bytes;
  other[0] = 9;  // a format this build does not know
  EXPECT_THROW(ViewRecord::Decode(other, "v/1"), InputError);
}

}  // namespace
}  // namespace sluice::online
