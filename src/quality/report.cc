#include "quality/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>

#include "common/json.h"
#include "common/time.h"
#include "quality/report_text.h"
#include "quality/rules/rule_table.h"

namespace sluice::quality {
namespace {

using nlohmann::json;

constexpr const char* kStyle = R"css(
:root{--fg:#1f2328;--muted:#59636e;--line:#d8dee4;--soft:#f6f8fa;--pass:#1a7f37;--pass-bg:#dafbe1;
--warn:#8a5a00;--warn-bg:#fff3c4;--fail:#c9252d;--fail-bg:#ffe6e4}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:24px;color:var(--fg);background:#fff;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
h1{font-size:22px;margin:0 0 2px}
h2{font-size:18px;margin:36px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line);
  overflow-wrap:anywhere}
h3{font-size:15px;margin:22px 0 8px}
h4{font-size:14px;margin:0 0 8px;display:flex;justify-content:space-between;gap:8px;
  overflow-wrap:anywhere}
code,.mono,table.examples td{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
  font-size:12.5px}
.meta,.note{color:var(--muted)}
.note{font-size:12.5px;margin:4px 0 8px}
.summary{display:flex;flex-wrap:wrap;gap:8px;margin:14px 0 8px}
.stat{border:1px solid var(--line);border-radius:6px;padding:6px 14px;min-width:120px;
  background:var(--soft)}
.stat b{display:block;font-size:20px;font-variant-numeric:tabular-nums}
.stat span{color:var(--muted);font-size:12px}
.stat.pass b{color:var(--pass)}.stat.warn b{color:var(--warn)}.stat.fail b{color:var(--fail)}
.verdict{font-weight:600;margin:10px 0}
.verdict.pass{color:var(--pass)}.verdict.warn{color:var(--warn)}.verdict.fail{color:var(--fail)}
nav ol{margin:8px 0;padding-left:22px}
nav a{color:inherit}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}
th{font-size:12px;font-weight:600;color:var(--muted);background:var(--soft)}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.msg{overflow-wrap:anywhere;min-width:220px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:11.5px;font-weight:700;
  letter-spacing:.04em;text-transform:uppercase}
.badge.pass{color:var(--pass);background:var(--pass-bg)}
.badge.warn{color:var(--warn);background:var(--warn-bg)}
.badge.fail{color:var(--fail);background:var(--fail-bg)}
.sub{display:block;color:var(--muted);font-size:12px}
details{margin-top:4px}
summary{cursor:pointer;color:var(--muted);font-size:12px}
table.examples{width:auto;margin-top:4px}
table.examples td,table.examples th{padding:2px 10px;border-bottom:1px solid var(--soft)}
.empty{color:var(--muted);font-style:italic}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:6px;padding:12px;break-inside:avoid}
.type{font-weight:400;color:var(--muted);
  font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;
  white-space:nowrap}
dl.kv{display:grid;grid-template-columns:auto 1fr auto 1fr;gap:1px 10px;margin:0 0 6px;
  font-size:13px}
dl.kv.wide{grid-template-columns:auto 1fr}
dl.kv dt{color:var(--muted)}
dl.kv dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
table.q{margin:4px 0}
table.q th,table.q td{padding:2px 6px;font-size:12px;text-align:right;
  font-variant-numeric:tabular-nums}
table.q.wide th,table.q.wide td{text-align:left}
svg{display:block;width:100%;height:auto;margin-top:6px}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:10px;
  fill:#59636e}
footer{margin-top:40px;color:var(--muted);font-size:12px}
@media print{body{padding:0;max-width:none}}
)css";

// A value of a column of type `type` (moments and sketches hold doubles).
std::string ValueText(double x, DataType type) {
  if (!std::isfinite(x)) return Number(x);
  switch (type) {
    case DataType::kTimestamp:
      return FormatTimestamp(AsMicros(x));
    case DataType::kInt64:
      if (std::fabs(x) < 9e15) return fmt::format("{}", std::llround(x));
      return Number(x);
    case DataType::kBool:
      return x != 0 ? "true" : "false";
    default:
      return Number(x);
  }
}

// At most `max_chars` code points of UTF-8 `s`, with "…" when cut.
std::string Truncate(const std::string& s, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (chars++ == max_chars) return s.substr(0, i) + "…";
  }
  return s;
}

// An example value: strings as they are, other JSON values as JSON.
std::string ExampleText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return sluice::JsonText(v);
}

struct Counts {
  int64_t pass = 0, warn = 0, fail = 0;
  void Add(const std::string& status) {
    switch (ParseStatus(status).value_or(Status::kFail)) {
      case Status::kPass: ++pass; break;
      case Status::kWarn: ++warn; break;
      case Status::kFail: ++fail; break;
    }
  }
};

// The class of a result's rule, for its parts of the report; nullptr for a kind this build
// does not know.
std::unique_ptr<Rule> RuleOf(const CheckResult& c) {
  const RuleKind* kind = FindRuleKind(c.rule);
  return kind ? kind->make() : nullptr;
}

// What a delivery's rows were, as far as the results and the profile tell. The profile is of
// the kept rows; a row broken by several quarantine rules is quarantined once but counted by
// each rule, so the quarantined rows are between the largest and the sum of the per-rule
// counts. The rows judged are at least any rule's element count, and exactly a not_null
// rule's (it judges every row).
struct RowCounts {
  std::optional<int64_t> kept;  // nullopt: no profile
  int64_t quarantined_lo = 0, quarantined_hi = 0;
  int64_t judged_lo = 0;
  std::optional<int64_t> judged_hi;  // nullopt: unknown
};

RowCounts CountRows(const std::vector<const CheckResult*>& checks, const Profile* profile) {
  RowCounts r;
  if (profile) r.kept = profile->rows();
  int64_t max_q = 0, sum_q = 0, min_judged = 0;
  std::optional<int64_t> exact;
  for (const CheckResult* c : checks) {
    max_q = std::max(max_q, c->quarantined);
    sum_q += c->quarantined;
    const std::unique_ptr<Rule> rule = RuleOf(*c);
    if (!rule || rule->counts_rows()) min_judged = std::max(min_judged, c->element_count);
    if (rule && rule->judges_every_row()) exact = c->element_count;
  }
  r.quarantined_lo = max_q;
  r.quarantined_hi = sum_q;
  if (r.kept) {
    r.quarantined_lo = std::max(r.quarantined_lo, min_judged - *r.kept);
    if (exact) {
      r.quarantined_lo = std::max(r.quarantined_lo, *exact - *r.kept);
      r.quarantined_hi = std::min(r.quarantined_hi, *exact - *r.kept);
    }
    r.quarantined_hi = std::max(r.quarantined_hi, r.quarantined_lo);
    r.judged_lo = *r.kept + r.quarantined_lo;
    r.judged_hi = *r.kept + r.quarantined_hi;
  } else {
    r.quarantined_hi = std::max(r.quarantined_hi, r.quarantined_lo);
    r.judged_lo = exact.value_or(min_judged);
    r.judged_hi = exact;
  }
  return r;
}

std::string RangeText(int64_t lo, std::optional<int64_t> hi) {
  if (!hi) return "≥ " + Thousands(lo);
  if (*hi == lo) return Thousands(lo);
  return Thousands(lo) + "–" + Thousands(*hi);
}

std::string Badge(const std::string& status) {
  const std::string_view cls = StatusName(ParseStatus(status).value_or(Status::kFail));
  return fmt::format("<span class=\"badge {}\">{}</span>", cls, HtmlEscape(status));
}

std::string Observed(const CheckResult& c, const ColumnProfile* col) {
  if (!c.observed) return "—";
  const std::unique_ptr<Rule> rule = RuleOf(c);
  if (rule) return rule->ObservedText(*c.observed, col);
  if (col && col->type == DataType::kTimestamp) return FormatTimestamp(AsMicros(*c.observed));
  return Number(*c.observed);
}

std::string Unexpected(const CheckResult& c) {
  const std::unique_ptr<Rule> rule = RuleOf(c);
  std::string out = rule ? rule->UnexpectedHtml(c) : "—";
  if (c.quarantined)
    out += fmt::format("<span class=\"sub\">{} quarantined</span>", Thousands(c.quarantined));
  return out;
}

void ChecksTable(std::string& out, const std::vector<const CheckResult*>& checks,
                 const Profile* profile) {
  if (checks.empty()) {
    out += "<p class=\"note\">No rule judged this delivery.</p>\n";
    return;
  }
  out +=
      "<table class=\"checks\">\n<thead><tr><th>Status</th><th>Suite</th><th>Rule</th>"
      "<th>Severity</th><th class=\"num\">Observed</th><th class=\"num\">Unexpected</th>"
      "<th>Message</th></tr></thead>\n<tbody>\n";
  auto it = std::back_inserter(out);
  for (const CheckResult* c : checks) {
    const std::string rule = c->column.empty() ? c->rule : c->rule + "(" + c->column + ")";
    const ColumnProfile* col = profile && !c->column.empty() ? profile->Find(c->column) : nullptr;
    fmt::format_to(it,
                   "<tr class=\"{}\"><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td>"
                   "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"msg\">{}",
                   HtmlEscape(c->status), Badge(c->status), HtmlEscape(c->suite), HtmlEscape(rule),
                   HtmlEscape(c->severity), HtmlEscape(Observed(*c, col)), Unexpected(*c),
                   HtmlEscape(c->message));
    if (c->examples.is_array() && !c->examples.empty()) {
      fmt::format_to(it,
                     "<details><summary>{} example{}</summary><table class=\"examples\">"
                     "<tr><th class=\"num\">Row</th><th>Value</th></tr>",
                     c->examples.size(), c->examples.size() == 1 ? "" : "s");
      for (const json& e : c->examples) {
        const json row = e.is_object() ? e.value("row", json()) : json();
        const json value = e.is_object() ? e.value("value", json()) : e;
        std::string text = ExampleText(value);
        std::string cell = value.is_null() ? "<span class=\"empty\">null</span>"
                           : value.is_string() && text.empty()
                               ? "<span class=\"empty\">empty string</span>"
                               : HtmlEscape(text);
        fmt::format_to(it, "<tr><td class=\"num\">{}</td><td>{}</td></tr>",
                       HtmlEscape(ExampleText(row)), cell);
      }
      out += "</table></details>";
    }
    out += "</td></tr>\n";
  }
  out += "</tbody>\n</table>\n";
}

// --- SVG charts. The view box is kWidth wide; parts stack vertically. ---

constexpr double kWidth = 360, kLeft = 8, kPlot = 344;  // plot from kLeft to kLeft + kPlot
constexpr int kBins = 20;
constexpr double kBarArea = 100;  // height of the tallest bar
constexpr const char* kBarFill = "#4a6fa5";

std::string Px(double x) {
  std::string s = fmt::format("{:.2f}", x);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// The histogram of a numeric column whose sketch is not empty and has finite min and max, at
// vertical offset `y`; returns its height.
double Histogram(std::string& out, const ColumnProfile& col, double y) {
  auto it = std::back_inserter(out);
  const sketch::KllSketch& k = col.quantiles;
  const double lo = k.min(), hi = k.max();
  const auto n = static_cast<int64_t>(k.n());
  const double base = y + 16 + kBarArea;
  std::vector<int64_t> counts;
  std::vector<double> edges;
  if (lo == hi) {
    counts.push_back(n);
    edges = {lo, hi};
  } else {
    // Cumulative rounding: bin i holds round(n·Rank(e[i+1])) − round(n·Rank(e[i])), with
    // Rank(e[0]) taken as 0 so the first bin includes min; the bins add up to n.
    for (int i = 0; i <= kBins; ++i) edges.push_back(i == kBins ? hi : lo + (hi - lo) * i / kBins);
    int64_t before = 0;
    for (int i = 0; i < kBins; ++i) {
      const int64_t upto =
          i == kBins - 1 ? n : std::llround(static_cast<double>(n) * k.Rank(edges[i + 1]));
      counts.push_back(std::max<int64_t>(0, upto - before));
      before = std::max(before, upto);
    }
  }
  const int64_t peak = std::max<int64_t>(1, *std::max_element(counts.begin(), counts.end()));
  fmt::format_to(it,
                 "<g class=\"histogram\"><text x=\"{}\" y=\"{}\">distribution of {} value{}</text>"
                 "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">tallest bar {}</text>\n",
                 Px(kLeft), Px(y + 10), Thousands(n), n == 1 ? "" : "s", Px(kLeft + kPlot),
                 Px(y + 10), Thousands(peak));
  const DataType t = col.type;
  if (counts.size() == 1) {
    const double w = kPlot / 6;
    fmt::format_to(it,
                   "<rect class=\"bin\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" "
                   "data-count=\"{}\"><title>{}: {}</title></rect>\n",
                   Px(kLeft + (kPlot - w) / 2), Px(base - kBarArea), Px(w), Px(kBarArea), kBarFill,
                   n, HtmlEscape(ValueText(lo, t)), Thousands(n));
    fmt::format_to(it, "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#8c959f\"/>\n",
                   Px(kLeft), Px(kLeft + kPlot), Px(base + 0.5), Px(base + 0.5));
    fmt::format_to(it, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>\n",
                   Px(kLeft + kPlot / 2), Px(base + 14), HtmlEscape(ValueText(lo, t)));
    return 16 + kBarArea + 20;
  }
  const double bw = kPlot / kBins;
  for (int i = 0; i < kBins; ++i) {
    const double h = kBarArea * static_cast<double>(counts[i]) / static_cast<double>(peak);
    fmt::format_to(it,
                   "<rect class=\"bin\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" "
                   "data-count=\"{}\"><title>{}{}, {}]: {}</title></rect>\n",
                   Px(kLeft + i * bw + 0.5), Px(base - h), Px(bw - 1), Px(h), kBarFill, counts[i],
                   i == 0 ? "[" : "(", HtmlEscape(ValueText(edges[i], t)),
                   HtmlEscape(ValueText(edges[i + 1], t)), Thousands(counts[i]));
  }
  fmt::format_to(it, "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#8c959f\"/>\n",
                 Px(kLeft), Px(kLeft + kPlot), Px(base + 0.5), Px(base + 0.5));
  fmt::format_to(it,
                 "<text class=\"axis-min\" x=\"{}\" y=\"{}\">{}</text>"
                 "<text class=\"axis-max\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text></g>\n",
                 Px(kLeft), Px(base + 14), HtmlEscape(ValueText(lo, t)), Px(kLeft + kPlot),
                 Px(base + 14), HtmlEscape(ValueText(hi, t)));
  return 16 + kBarArea + 20;
}

// Horizontal bars of the (up to 10) most frequent values at vertical offset `y`; returns the
// height used.
double TopBars(std::string& out, const ColumnProfile& col, double y) {
  auto it = std::back_inserter(out);
  const std::vector<sketch::TopK::Item> items = col.top.Items(10);
  uint64_t shown = 0, peak = 1;
  for (const sketch::TopK::Item& item : items) {
    shown += item.count;
    peak = std::max(peak, item.count);
  }
  fmt::format_to(it, "<g class=\"top-values\"><text x=\"{}\" y=\"{}\">top {} value{}{}</text>\n",
                 Px(kLeft), Px(y + 10), items.size(), items.size() == 1 ? "" : "s",
                 col.top.exact() ? "" : " (counts are upper bounds)");
  constexpr double kLabel = 124, kBarMax = 176, kRow = 16;
  double row_y = y + 16;
  for (const sketch::TopK::Item& item : items) {
    const double w =
        std::max(1.0, kBarMax * static_cast<double>(item.count) / static_cast<double>(peak));
    const bool empty = item.value.empty();
    fmt::format_to(it,
                   "<g><title>{}: {}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\"{}>{}</text>"
                   "<rect class=\"top\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" "
                   "data-count=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text></g>\n",
                   empty ? "(empty string)" : HtmlEscape(item.value), Thousands(item.count),
                   Px(kLabel - 4), Px(row_y + 10.5), empty ? " font-style=\"italic\"" : "",
                   empty ? "(empty)" : HtmlEscape(Truncate(item.value, 20)), Px(kLabel),
                   Px(row_y + 2), Px(w), Px(kRow - 4), kBarFill, item.count, Px(kLabel + w + 4),
                   Px(row_y + 10.5), Thousands(item.count));
    row_y += kRow;
  }
  if (col.top.n() > shown) {
    fmt::format_to(it, "<text x=\"{}\" y=\"{}\">other values: {}</text>\n", Px(kLabel),
                   Px(row_y + 10.5), Thousands(static_cast<int64_t>(col.top.n() - shown)));
    row_y += kRow;
  }
  out += "</g>\n";
  return row_y - y + 4;
}

// The one <svg> of a column card: a histogram and/or top values, or a note why there is none.
void ColumnChart(std::string& out, const ColumnProfile& col) {
  const bool number = col.type == DataType::kInt64 || col.type == DataType::kFloat64 ||
                      col.type == DataType::kTimestamp;
  const bool has_values = col.count > col.nulls;
  const bool finite = !col.quantiles.empty() && std::isfinite(col.quantiles.min()) &&
                      std::isfinite(col.quantiles.max());
  const bool histogram = number && finite;
  const bool top = col.categorical() && col.top.n() > 0;
  std::string body;
  double height = 0;
  if (histogram) height += Histogram(body, col, height);
  if (number && !finite && has_values && !col.quantiles.empty()) {
    fmt::format_to(std::back_inserter(body),
                   "<text x=\"{}\" y=\"{}\">values include infinities: no histogram</text>\n",
                   Px(kLeft), Px(height + 14));
    height += 22;
  }
  if (top) {
    if (histogram) height += 8;
    height += TopBars(body, col, height);
  }
  if (height == 0) {
    const char* why = !has_values                          ? "no non-null values"
                      : col.type == DataType::kFloat64List ? "no chart for list values"
                                                           : "no chart";
    fmt::format_to(std::back_inserter(body), "<text x=\"{}\" y=\"14\">{}</text>\n", Px(kLeft), why);
    height = 22;
  }
  fmt::format_to(std::back_inserter(out),
                 "<svg viewBox=\"0 0 {} {}\" role=\"img\" "
                 "aria-label=\"{}\">\n{}</svg>\n",
                 Px(kWidth), Px(height),
                 HtmlEscape(histogram ? "histogram of " + col.name : "top values of " + col.name),
                 body);
}

void ColumnCard(std::string& out, const ColumnProfile& col) {
  auto it = std::back_inserter(out);
  const DataType t = col.type;
  const bool time = t == DataType::kTimestamp;
  fmt::format_to(it,
                 "<article class=\"card\"><h4><span>{}</span><span class=\"type\">{}</span></h4>\n",
                 HtmlEscape(col.name), HtmlEscape(std::string(TypeName(t))));
  std::vector<std::pair<std::string, std::string>> kv;
  kv.emplace_back("rows", Thousands(col.count));
  kv.emplace_back(
      "nulls",
      fmt::format("{} ({})", Thousands(col.nulls),
                  Percent(col.count ? 100.0 * static_cast<double>(col.nulls) / col.count : 0)));
  const int64_t distinct = col.distinct.Estimate();
  kv.emplace_back("distinct", (distinct > 256 ? "≈ " : "") + Thousands(distinct));
  if (col.numeric() && col.moments.count > 0) {
    if (t == DataType::kBool) {
      kv.emplace_back("true", Percent(100 * col.moments.mean));
    } else {
      kv.emplace_back("min", ValueText(col.moments.min, t));
      kv.emplace_back("max", ValueText(col.moments.max, t));
      kv.emplace_back(
          "mean", time ? FormatTimestamp(AsMicros(col.moments.mean)) : Number(col.moments.mean));
      kv.emplace_back("stddev", time ? FormatDuration(AsMicros(col.moments.Stddev()))
                                     : Number(col.moments.Stddev()));
    }
  }
  fmt::format_to(it, "<dl class=\"kv{}\">", time ? " wide" : "");
  for (const auto& [k, v] : kv) {
    fmt::format_to(it, "<dt>{}</dt><dd>{}</dd>", HtmlEscape(k), HtmlEscape(v));
  }
  out += "</dl>\n";
  if (t != DataType::kBool && !col.quantiles.empty()) {
    static constexpr std::pair<const char*, double> kQ[] = {
        {"p01", 0.01}, {"p25", 0.25}, {"p50", 0.5}, {"p75", 0.75}, {"p99", 0.99}};
    if (time) {
      out += "<table class=\"q wide\">";
      for (const auto& [name, q] : kQ) {
        fmt::format_to(it, "<tr><th>{}</th><td>{}</td></tr>", name,
                       HtmlEscape(ValueText(col.quantiles.Quantile(q), t)));
      }
    } else {
      out += "<table class=\"q\"><tr>";
      for (const auto& [name, q] : kQ) fmt::format_to(it, "<th>{}</th>", name);
      out += "</tr><tr>";
      for (const auto& [name, q] : kQ) {
        fmt::format_to(it, "<td>{}</td>", HtmlEscape(ValueText(col.quantiles.Quantile(q), t)));
      }
      out += "</tr>";
    }
    out += "</table>\n";
  }
  ColumnChart(out, col);
  out += "</article>\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string HtmlReport(const std::string& title, const std::vector<CheckResult>& checks,
                       const std::vector<std::string>& delivery_names,
                       const std::vector<Profile>& profiles, Micros generated_at,
                       const std::vector<std::pair<int64_t, int64_t>>& counts) {
  // Deliveries in order: the named ones, then any other a result names.
  std::vector<std::string> names = delivery_names;
  for (const CheckResult& c : checks) {
    if (std::find(names.begin(), names.end(), c.delivery) == names.end())
      names.push_back(c.delivery);
  }
  struct Delivery {
    std::string name;
    std::vector<const CheckResult*> checks;
    const Profile* profile = nullptr;
    Counts counts;
    RowCounts rows;
  };
  std::vector<Delivery> deliveries;
  Counts total;
  int64_t judged_lo = 0, quarantined_lo = 0, quarantined_hi = 0;
  std::optional<int64_t> judged_hi = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    Delivery d;
    d.name = names[i];
    for (const CheckResult& c : checks) {
      if (c.delivery != d.name) continue;
      d.checks.push_back(&c);
      d.counts.Add(c.status);
      total.Add(c.status);
    }
    if (i < delivery_names.size() && i < profiles.size() &&
        !(profiles[i].columns().empty() && profiles[i].rows() == 0)) {
      d.profile = &profiles[i];
    }
    d.rows = CountRows(d.checks, d.profile);
    if (i < counts.size()) {  // known exactly
      const auto [read, quarantined] = counts[i];
      d.rows.kept = read - quarantined;
      d.rows.quarantined_lo = d.rows.quarantined_hi = quarantined;
      d.rows.judged_lo = read;
      d.rows.judged_hi = read;
    }
    judged_lo += d.rows.judged_lo;
    const std::optional<int64_t> hi = d.rows.judged_hi;
    judged_hi = judged_hi && hi ? std::optional<int64_t>(*judged_hi + *hi) : std::nullopt;
    quarantined_lo += d.rows.quarantined_lo;
    quarantined_hi += d.rows.quarantined_hi;
    deliveries.push_back(std::move(d));
  }

  std::string out;
  auto it = std::back_inserter(out);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  fmt::format_to(it, "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n", HtmlEscape(title),
                 kStyle);

  // Header and summary.
  fmt::format_to(it,
                 "<header>\n<h1>{}</h1>\n<p class=\"meta\">Generated {} · {} deliver{} · {} rule "
                 "result{}</p>\n",
                 HtmlEscape(title), HtmlEscape(FormatTimestamp(generated_at)), deliveries.size(),
                 deliveries.size() == 1 ? "y" : "ies", checks.size(),
                 checks.size() == 1 ? "" : "s");
  fmt::format_to(it,
                 "<div class=\"summary\">"
                 "<div class=\"stat pass\"><b>{}</b><span>passed</span></div>"
                 "<div class=\"stat warn\"><b>{}</b><span>warned</span></div>"
                 "<div class=\"stat fail\"><b>{}</b><span>failed</span></div>"
                 "<div class=\"stat\"><b>{}</b><span>rows judged</span></div>"
                 "<div class=\"stat\"><b>{}</b><span>rows ingest would quarantine</span></div>"
                 "</div>\n",
                 Thousands(total.pass), Thousands(total.warn), Thousands(total.fail),
                 RangeText(judged_lo, judged_hi), RangeText(quarantined_lo, quarantined_hi));
  if (total.fail) {
    out +=
        "<p class=\"verdict fail\">A rule with severity fail failed: ingest would reject this "
        "data and commit nothing.</p>\n";
  } else if (quarantined_hi > 0) {
    fmt::format_to(
        it, "<p class=\"verdict warn\">Ingest would commit the data and quarantine {} row{}.</p>\n",
        RangeText(quarantined_lo, quarantined_hi),
        quarantined_lo == 1 && quarantined_hi == 1 ? "" : "s");
  } else if (total.warn) {
    out += "<p class=\"verdict warn\">Ingest would commit every row; some rules warned.</p>\n";
  } else {
    out += "<p class=\"verdict pass\">Ingest would commit every row.</p>\n";
  }
  if (quarantined_lo != quarantined_hi) {
    out +=
        "<p class=\"note\">A row broken by several quarantine rules is quarantined once; "
        "the per-rule counts bound the number of rows, shown as a range.</p>\n";
  }
  if (deliveries.size() > 1) {
    out += "<nav><ol>\n";
    for (size_t i = 0; i < deliveries.size(); ++i) {
      const Delivery& d = deliveries[i];
      fmt::format_to(it, "<li><a href=\"#delivery-{}\">{}</a> — {} pass, {} warn, {} fail</li>\n",
                     i + 1, HtmlEscape(d.name), d.counts.pass, d.counts.warn, d.counts.fail);
    }
    out += "</ol></nav>\n";
  }
  out += "</header>\n<main>\n";

  for (size_t i = 0; i < deliveries.size(); ++i) {
    const Delivery& d = deliveries[i];
    fmt::format_to(it, "<section class=\"delivery\" id=\"delivery-{}\">\n<h2>{}</h2>\n", i + 1,
                   HtmlEscape(d.name));
    fmt::format_to(it,
                   "<p class=\"note\">{} rows judged · {} would be quarantined · {} pass, {} warn, "
                   "{} fail</p>\n",
                   RangeText(d.rows.judged_lo, d.rows.judged_hi),
                   RangeText(d.rows.quarantined_lo, d.rows.quarantined_hi), d.counts.pass,
                   d.counts.warn, d.counts.fail);
    out += "<h3>Rule results</h3>\n";
    ChecksTable(out, d.checks, d.profile);
    out += "<h3>Profile</h3>\n";
    if (!d.profile) {
      out += "<p class=\"note\">No profile of this delivery.</p>\n";
    } else {
      fmt::format_to(it,
                     "<p class=\"note\">The {} row{} ingest would keep (quarantined rows "
                     "left out), {} column{}.</p>\n<div class=\"cards\">\n",
                     Thousands(d.profile->rows()), d.profile->rows() == 1 ? "" : "s",
                     d.profile->columns().size(), d.profile->columns().size() == 1 ? "" : "s");
      for (const ColumnProfile& col : d.profile->columns()) ColumnCard(out, col);
      out += "</div>\n";
    }
    out += "</section>\n";
  }
  out +=
      "</main>\n<footer>sluice data quality report. Quantiles and histograms come from KLL "
      "sketches (exact up to 200 values per column, then within about 1% of rank); distinct "
      "counts from sketch::HyperLogLog (exact up to 256, then about 1.6% error).</footer>\n"
      "</body>\n</html>\n";
  return out;
}

}  // namespace sluice::quality
