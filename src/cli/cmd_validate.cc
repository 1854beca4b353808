// `sluice validate SOURCE`: run a source's check suites on its deliveries without committing
// anything (SPEC §7).
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/fs.h"
#include "offline/ingest.h"
#include "quality/report.h"
#include "sluice/error.h"

namespace sluice::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct ValidateOptions {
  std::string source;
  std::string path;  // --path: this one file instead of the files of the source's path
  std::string html;  // --html FILE: also write the report as an HTML document
};

CLI::App* RegisterValidate(CLI::App& app, ValidateOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "validate", "Run a source's check suites on its deliveries without committing anything");
  cmd->add_option("source", o.source, "Source name")->required();
  cmd->add_option("--path", o.path,
                  "Validate this one file instead of the files of the source's path");
  cmd->add_option("--html", o.html,
                  "Also write the report (rule results, examples, per-column profiles "
                  "with histograms) to this self-contained HTML file");
  cmd->footer(
      "Every file matching the source's path is judged, committed or not. Exit 0 when no rule "
      "with severity fail failed, 1 otherwise.");
  return cmd;
}

// Throws UsageError when the --html file's directory does not exist: checked before the
// (possibly long) run rather than failing after it.
void CheckHtmlDirectory(const std::string& html) {
  const fs::path dir = fs::path(html).parent_path();
  if (!dir.empty() && !fs::is_directory(dir)) {
    throw UsageError("--html " + html + ": directory " + dir.string() + " does not exist");
  }
}

void PrintValidatedJson(const offline::IngestResult& r, const std::string& html) {
  json j = {{"source", r.source},
            {"rows_read", r.rows_read},
            {"rows_quarantined", r.rows_quarantined},
            {"failed", r.rejected},
            {"checks", ChecksJson(r.checks)}};
  if (!html.empty()) j["html"] = html;
  PrintJson(j);
}

void PrintValidated(const offline::IngestResult& r, const std::string& html) {
  PrintChecks(r.checks);
  const std::string verdict = r.rejected           ? "a fail rule failed: ingest would reject it"
                              : r.rows_quarantined ? fmt::format("ingest would quarantine {} rows",
                                                                 WithThousands(r.rows_quarantined))
                                                   : "ingest would commit every row";
  std::printf("%s: %s rows judged; %s\n", r.source.c_str(), WithThousands(r.rows_read).c_str(),
              verdict.c_str());
  if (!html.empty()) std::printf("wrote the report to %s\n", html.c_str());
}

// Exit 1 when a rule with severity fail failed.
int RunValidate(const GlobalOptions& g, const ValidateOptions& o) {
  const repo::RepoDefinition repo = LoadApplied(g);
  const repo::SourceDef& src = SourceOrThrow(repo, o.source);
  // Without a suite the delivery is still read, with ingest's own rules (every value parses,
  // no null timestamp or join key) and a profile: a dry run of the ingest.
  const bool no_suite = repo.SuitesOf(src.name).empty();
  if (no_suite && !g.json) {
    std::printf("source '%s' has no check suite: only ingest's own rules are applied (values "
                "parse, no null timestamp or join key); add one under checks: with source: %s\n",
                src.name.c_str(), src.name.c_str());
  }
  if (!o.html.empty()) CheckHtmlDirectory(o.html);
  offline::IngestOptions options;
  options.path = o.path;
  options.validate_only = true;
  const offline::IngestResult r = offline::Ingest(repo, src.name, options);
  if (!o.html.empty()) {
    // Written whether or not a rule failed: the exit code alone tells that.
    WriteFileAtomic(
        o.html, quality::HtmlReport("Validation of source " + r.source, r.checks, r.delivery_names,
                                    r.profiles, NowMicros(), r.delivery_rows));
  }
  if (g.json) {
    PrintValidatedJson(r, o.html);
  } else {
    PrintValidated(r, o.html);
  }
  return r.rejected ? 1 : 0;
}

}  // namespace

void AddValidateCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterValidate, RunValidate);
}

}  // namespace sluice::cli
