// The HTML quality report on hand-built results and profiles: a self-contained document
// (no script, no external URL), every rule's message and status, escaping of values that
// come from data, one <svg> per profiled column, exact histogram bins from the KLL sketch,
// top values, and the summary's row counts.
#include "quality/report.h"

#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "column_util.h"
#include "common/time.h"

namespace sluice::quality {
namespace {

constexpr const char* kEvil = "<script>alert(1)</script>";
constexpr const char* kEvilEscaped = "&lt;script&gt;alert(1)&lt;/script&gt;";


Profile ProfileOf(const Batch& b) {
  Profile p(b.schema);
  p.Update(b);
  return p;
}

// Twenty rows: n = 1..20 (int64), x = 1.0..20.0 (float64, row 20 null), t = 20 hours from
// 2026-03-01, s = a string column with the evil value 3 times, f = a bool, c = constant 7.
Batch Twenty() {
  std::vector<std::optional<int64_t>> n, t, c;
  std::vector<std::optional<double>> x;
  std::vector<std::optional<std::string>> s;
  std::vector<std::optional<bool>> f;
  const Micros t0 = *ParseTimestamp("2026-03-01T00:00:00");
  for (int i = 1; i <= 20; ++i) {
    n.push_back(i);
    x.push_back(i == 20 ? std::nullopt : std::optional<double>(i));
    t.push_back(t0 + (i - 1) * 3600 * kMicrosPerSecond);
    s.push_back(i <= 3 ? std::string(kEvil) : i <= 10 ? "food" : "travel");
    f.push_back(i % 4 != 0);
    c.push_back(7);
  }
  Batch b;
  b.AddColumn("n", Ints(n));
  b.AddColumn("x", Floats(x));
  b.AddColumn("t", Ints(t, DataType::kTimestamp));
  b.AddColumn("s", Strings(s));
  b.AddColumn("f", Bools(f));
  b.AddColumn("c", Ints(c));
  return b;
}

CheckResult Result(const std::string& rule, const std::string& column, const std::string& status,
                   const std::string& message) {
  CheckResult c;
  c.delivery = "data/a.csv";
  c.suite = "gate";
  c.rule = rule;
  c.column = column;
  c.severity = status == "pass" ? "fail" : status;
  c.status = status;
  c.message = message;
  return c;
}

std::vector<CheckResult> Checks() {
  std::vector<CheckResult> checks;
  CheckResult accepted =
      Result("accepted_values", "s", "warn", "3 of 20 values not an accepted value");
  accepted.element_count = 20;
  accepted.unexpected_count = 3;
  accepted.unexpected_percent = 15;
  accepted.observed = 0.85;
  accepted.examples = nlohmann::json::array({{{"row", 1}, {"value", kEvil}},
                                             {{"row", 2}, {"value", kEvil}},
                                             {{"row", 3}, {"value", kEvil}}});
  checks.push_back(accepted);
  CheckResult rows = Result("row_count", "", "pass", "20 rows, expected >= 5");
  rows.observed = 20;
  rows.element_count = 20;
  checks.push_back(rows);
  CheckResult mean = Result("mean", "x", "fail", "mean 10, expected <= 5 & > 0");
  mean.observed = 10;
  mean.element_count = 19;
  checks.push_back(mean);
  return checks;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The card of column `name` (from its <article> to the next).
std::string Card(const std::string& html, const std::string& name) {
  const std::string head = "<article class=\"card\"><h4><span>" + name + "</span>";
  const size_t from = html.find(head);
  EXPECT_NE(from, std::string::npos) << "no card for " << name;
  if (from == std::string::npos) return "";
  const size_t to = html.find("</article>", from);
  return html.substr(from, to - from);
}

// The value of `attr` of every <rect class="cls" …>, in document order.
std::vector<std::string> RectAttr(const std::string& html, const std::string& cls,
                                  const std::string& attr) {
  std::vector<std::string> out;
  const std::regex rect("<rect class=\"" + cls + "\"[^>]*>");
  const std::regex value(" " + attr + "=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), rect); it != std::sregex_iterator();
       ++it) {
    std::smatch m;
    const std::string tag = it->str();
    if (std::regex_search(tag, m, value)) out.push_back(m[1]);
  }
  return out;
}

TEST(HtmlEscape, EscapesTheFiveCharacters) {
  EXPECT_EQ(HtmlEscape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
  EXPECT_EQ(HtmlEscape(kEvil), kEvilEscaped);
  EXPECT_EQ(HtmlEscape("plain ünïcode"), "plain ünïcode");
  EXPECT_EQ(HtmlEscape(""), "");
}

TEST(HtmlReport, IsASelfContainedDocumentWithEveryRule) {
  const Profile p = ProfileOf(Twenty());
  const std::vector<CheckResult> checks = Checks();
  const Micros at = *ParseTimestamp("2026-03-02T10:30:00");
  const std::string html = HtmlReport("Validation of <tx>", checks, {"data/a.csv"}, {p}, at);

  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<SCRIPT"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  // The title, escaped, and the generation time.
  EXPECT_NE(html.find("<title>Validation of &lt;tx&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("2026-03-02T10:30:00Z"), std::string::npos);
  EXPECT_NE(html.find("data/a.csv"), std::string::npos);

  for (const CheckResult& c : checks) {
    EXPECT_NE(html.find(HtmlEscape(c.message)), std::string::npos) << c.message;
    EXPECT_NE(html.find("<span class=\"badge " + c.status + "\">" + c.status + "</span>"),
              std::string::npos)
        << c.status;
  }
  EXPECT_NE(html.find("mean 10, expected &lt;= 5 &amp; &gt; 0"), std::string::npos);
  EXPECT_NE(html.find("<code>accepted_values(s)</code>"), std::string::npos);
  // Observed values, formatted by rule.
  EXPECT_NE(html.find("85% passed"), std::string::npos);
  EXPECT_NE(html.find("20 rows</td>"), std::string::npos);
  // The examples, in a <details>.
  EXPECT_NE(html.find("<details><summary>3 examples</summary>"), std::string::npos);
  // Summary: one rule of each status; a fail verdict.
  EXPECT_NE(html.find("<b>1</b><span>passed</span>"), std::string::npos);
  EXPECT_NE(html.find("<b>1</b><span>warned</span>"), std::string::npos);
  EXPECT_NE(html.find("<b>1</b><span>failed</span>"), std::string::npos);
  EXPECT_NE(html.find("<b>20</b><span>rows judged</span>"), std::string::npos);
  EXPECT_NE(html.find("<b>0</b><span>rows ingest would quarantine</span>"), std::string::npos);
  EXPECT_NE(html.find("verdict fail"), std::string::npos);
}

TEST(HtmlReport, EscapesValuesFromData) {
  Batch b = Twenty();
  Profile p = ProfileOf(b);
  // A column name with quotes, too.
  Batch odd;
  odd.AddColumn("we\"ird'<col>", Strings({kEvil, "x"}));
  const Profile q = ProfileOf(odd);
  const std::string html = HtmlReport("r", Checks(), {"data/a.csv", "data/<b>.csv"}, {p, q}, 0);
  EXPECT_EQ(html.find(kEvil), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // In the examples (3), and as top values (the full value in the bar's title).
  EXPECT_GE(Count(html, std::string("<td>") + kEvilEscaped + "</td>"), 3u);
  const std::string s = Card(html, "s");
  EXPECT_NE(s.find(std::string("<title>") + kEvilEscaped + ": 3</title>"), std::string::npos) << s;
  EXPECT_EQ(s.find(kEvil), std::string::npos);
  EXPECT_NE(html.find("we&quot;ird&#39;&lt;col&gt;"), std::string::npos);
  EXPECT_EQ(html.find("we\"ird"), std::string::npos);
  EXPECT_NE(html.find("data/&lt;b&gt;.csv"), std::string::npos);
}

TEST(HtmlReport, OneSvgPerProfiledColumn) {
  const Profile p = ProfileOf(Twenty());
  Batch nulls;
  nulls.AddColumn("empty", Floats({std::nullopt, std::nullopt}));
  const Profile q = ProfileOf(nulls);
  const std::string html = HtmlReport("r", Checks(), {"data/a.csv", "data/b.csv"}, {p, q}, 0);
  EXPECT_EQ(Count(html, "<svg"), p.columns().size() + q.columns().size());
  EXPECT_EQ(Count(html, "</svg>"), p.columns().size() + q.columns().size());
  EXPECT_EQ(Count(html, "<article class=\"card\">"), p.columns().size() + q.columns().size());
  EXPECT_NE(Card(html, "empty").find("no non-null values"), std::string::npos);
}

TEST(HtmlReport, HistogramBinsComeFromTheSketch) {
  const Profile p = ProfileOf(Twenty());
  const std::string html = HtmlReport("r", {}, {"data/a.csv"}, {p}, 0);

  // n = 1..20: 20 bins of width 0.95 between 1 and 20, one value each, equal heights.
  const std::string n = Card(html, "n");
  const std::vector<std::string> counts = RectAttr(n, "bin", "data-count");
  ASSERT_EQ(counts.size(), 20u) << n;
  for (const std::string& c : counts) EXPECT_EQ(c, "1");
  for (const std::string& h : RectAttr(n, "bin", "height")) EXPECT_EQ(h, "100");
  EXPECT_NE(n.find("<text class=\"axis-min\" x=\"8\" y=\"130\">1</text>"), std::string::npos) << n;
  EXPECT_NE(n.find(">20</text></g>"), std::string::npos) << n;
  // int64 also has top values: ten bars of count 1 (and 10 other rows).
  const std::vector<std::string> top = RectAttr(n, "top", "data-count");
  ASSERT_EQ(top.size(), 10u);
  for (const std::string& c : top) EXPECT_EQ(c, "1");
  EXPECT_NE(n.find("other values: 10"), std::string::npos);
  // Quantiles and moments.
  EXPECT_NE(n.find("<th>p01</th><th>p25</th><th>p50</th><th>p75</th><th>p99</th>"),
            std::string::npos);
  EXPECT_NE(n.find("<dt>mean</dt><dd>10.5</dd>"), std::string::npos) << n;

  // x = 1.0..19.0 (one null): bins of width 0.9 with edges 1, 1.9, …, 10, 10.9, …: bin 9
  // (9.1, 10] holds 10, bin 10 (10, 10.9] nothing, every other bin one value.
  const std::string x = Card(html, "x");
  const std::vector<std::string> xc = RectAttr(x, "bin", "data-count");
  ASSERT_EQ(xc.size(), 20u);
  EXPECT_EQ(xc[9], "1");
  EXPECT_EQ(xc[10], "0");
  int64_t sum = 0, empty = 0;
  for (const std::string& c : xc) {
    sum += std::stoll(c);
    empty += c == "0";
    EXPECT_TRUE(c == "0" || c == "1") << c;
  }
  EXPECT_EQ(sum, 19);
  EXPECT_EQ(empty, 1);
  EXPECT_EQ(RectAttr(x, "top", "data-count").size(), 0u);  // float64: no top values
  EXPECT_NE(x.find("<dt>nulls</dt><dd>1 (5%)</dd>"), std::string::npos) << x;

  // Timestamps: axis labels as ISO text.
  const std::string t = Card(html, "t");
  EXPECT_EQ(RectAttr(t, "bin", "data-count"), std::vector<std::string>(20, "1"));
  EXPECT_NE(t.find(">2026-03-01T00:00:00Z</text>"), std::string::npos) << t;
  EXPECT_NE(t.find(">2026-03-01T19:00:00Z</text></g>"), std::string::npos) << t;

  // A constant column: one bar holding every value.
  const std::string c = Card(html, "c");
  EXPECT_EQ(RectAttr(c, "bin", "data-count"), std::vector<std::string>{"20"});

  // Strings and bools: top values only, by count.
  const std::string s = Card(html, "s");
  EXPECT_TRUE(RectAttr(s, "bin", "data-count").empty());
  EXPECT_EQ(RectAttr(s, "top", "data-count"), (std::vector<std::string>{"10", "7", "3"}));
  const std::string f = Card(html, "f");
  EXPECT_EQ(RectAttr(f, "top", "data-count"), (std::vector<std::string>{"15", "5"}));
  EXPECT_NE(f.find("<dt>true</dt><dd>75%</dd>"), std::string::npos) << f;
}

TEST(HtmlReport, SkewedHistogramAddsUpToN) {
  std::vector<std::optional<double>> v;
  for (int i = 0; i < 1000; ++i) v.push_back(i < 900 ? i * 0.001 : 100.0 + i);
  Batch b;
  b.AddColumn("v", Floats(v));
  const std::string html = HtmlReport("r", {}, {"d"}, {ProfileOf(b)}, 0);
  const std::vector<std::string> counts = RectAttr(html, "bin", "data-count");
  ASSERT_EQ(counts.size(), 20u);
  int64_t sum = 0;
  for (const std::string& c : counts) sum += std::stoll(c);
  EXPECT_EQ(sum, 1000);
  // 0 … 0.899 fall into the first bin (the sketch is approximate beyond 200 values).
  EXPECT_NEAR(std::stod(counts.front()), 900, 20);
  EXPECT_EQ(RectAttr(html, "bin", "height").front(), "100");
}

TEST(HtmlReport, QuarantinedRowsAreBoundedByThePerRuleCounts) {
  // Three rows: row 2 broken by both quarantine rules, row 3 by range; one row kept.
  Batch kept;
  kept.AddColumn("amount", Floats({10.5}));
  const Profile p = ProfileOf(kept);
  CheckResult range = Result("range", "amount", "warn", "2 of 3 values outside the range");
  range.severity = "quarantine";
  range.element_count = 3;
  range.unexpected_count = 2;
  range.quarantined = 2;
  CheckResult unique = Result("unique", "txn_id", "warn", "1 of 3 values repeating");
  unique.severity = "quarantine";
  unique.element_count = 3;
  unique.unexpected_count = 1;
  unique.quarantined = 1;
  // Kept 1, quarantined between 2 and 3; the element counts say at least 3 rows, but a
  // column with nulls could hide a fourth: a range.
  const std::string loose = HtmlReport("r", {range, unique}, {"data/a.csv"}, {p}, 0);
  EXPECT_NE(loose.find("<b>3–4</b><span>rows judged</span>"), std::string::npos);
  EXPECT_NE(loose.find("<b>2–3</b><span>rows ingest would quarantine</span>"), std::string::npos);
  EXPECT_NE(loose.find("verdict warn"), std::string::npos);
  EXPECT_NE(loose.find("quarantined once"), std::string::npos);  // the note explaining it

  // A not_null rule judges every row: 3 rows, so 2 quarantined.
  CheckResult not_null = Result("not_null", "user_id", "pass", "0 of 3 values null");
  not_null.element_count = 3;
  const std::string exact = HtmlReport("r", {not_null, range, unique}, {"data/a.csv"}, {p}, 0);
  EXPECT_NE(exact.find("<b>3</b><span>rows judged</span>"), std::string::npos);
  EXPECT_NE(exact.find("<b>2</b><span>rows ingest would quarantine</span>"), std::string::npos);
  EXPECT_EQ(exact.find("quarantined once"), std::string::npos);
  EXPECT_NE(exact.find("quarantine 2 rows"), std::string::npos);

  // Without a profile: the not_null count alone.
  const std::string bare = HtmlReport("r", {not_null, range, unique}, {"data/a.csv"}, {}, 0);
  EXPECT_NE(bare.find("<b>3</b><span>rows judged</span>"), std::string::npos);
  EXPECT_NE(bare.find("No profile of this delivery."), std::string::npos);
  EXPECT_EQ(bare.find("<svg"), std::string::npos);
}

}  // namespace
}  // namespace sluice::quality
