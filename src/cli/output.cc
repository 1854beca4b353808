// Output shared by commands: tables, numbers, progress bars, JSON, check results.
#include "cli/output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "common/json.h"

namespace sluice::cli {

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], r[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& r) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      line += r[c];
      if (c + 1 < r.size()) line += std::string(width[c] - r[c].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  };
  print_row(header);
  for (const auto& r : rows) print_row(r);
}

void PrintBatch(const Batch& batch) {
  std::vector<std::string> header;
  for (const Field& f : batch.schema) header.push_back(f.name);
  std::vector<std::vector<std::string>> rows;
  for (size_t r = 0; r < batch.num_rows; ++r) {
    std::vector<std::string> row;
    for (const Column& c : batch.columns) row.push_back(c.Get(r).ToString());
    rows.push_back(std::move(row));
  }
  PrintTable(header, rows);
}

void PrintJson(const nlohmann::json& j) { std::printf("%s\n", JsonText(j, 2).c_str()); }

void PrintChecks(const std::vector<quality::CheckResult>& checks) {
  std::string delivery;
  std::vector<quality::CheckResult> group;
  auto flush = [&] {
    if (group.empty()) return;
    std::printf("checks of %s:\n", delivery.c_str());
    PrintTable({"STATUS", "SUITE", "RULE", "SEVERITY", "DETAIL"}, quality::CheckRows(group));
    group.clear();
  };
  for (const quality::CheckResult& c : checks) {
    if (c.delivery != delivery) flush();
    delivery = c.delivery;
    group.push_back(c);
  }
  flush();
}

nlohmann::json ChecksJson(const std::vector<quality::CheckResult>& checks) {
  nlohmann::json out = nlohmann::json::array();
  for (const quality::CheckResult& c : checks) out.push_back(c.ToJson());
  return out;
}

std::string WithThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), enabled_(::isatty(1) && ::isatty(2)) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
}

void ProgressBar::Update(double fraction) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && fraction < 1.0 && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  drawn_ = true;
  const int width = 30;
  const int filled = std::clamp(static_cast<int>(fraction * width), 0, width);
  std::fprintf(stderr, "\r%s [%s%s] %3d%%", label_.c_str(), std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), static_cast<int>(fraction * 100));
  std::fflush(stderr);
}

}  // namespace sluice::cli
