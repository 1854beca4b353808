// Output shared by commands: aligned tables, number formatting, progress bars, JSON, check
// results.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quality/suite.h"
#include "sluice/column.h"

namespace sluice::cli {

// Prints rows under a header with columns padded to their widest cell.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

// Prints a batch as a table: its field names, then each row's values as text.
void PrintBatch(const Batch& batch);

// Prints `j` (pretty) to stdout.
void PrintJson(const nlohmann::json& j);

// Check results as a table (status, suite, rule, severity, message), grouped by delivery.
void PrintChecks(const std::vector<quality::CheckResult>& checks);

// Check results as the JSON list of `ingest --json` and `validate --json`.
nlohmann::json ChecksJson(const std::vector<quality::CheckResult>& checks);

// 1234567 → "1,234,567".
std::string WithThousands(int64_t n);

// A one-line progress bar on stderr, drawn only when both stdout and stderr are terminals
// (SPEC §9); otherwise every call is a no-op. Erases itself when destroyed.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  // Redraws at `fraction` (0..1), at most every 100 ms.
  void Update(double fraction);

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace sluice::cli
