// `sluice validate SOURCE`: run a source's check suites on its deliveries without committing
// anything (SPEC §7).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fnmatch.h>

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
  std::vector<std::string> select;  // --select SUITE[:RULE]: only these suites or rules
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
  cmd->add_option("--select", o.select,
                  "Run only these checks: SUITE, or SUITE:RULE where RULE is a rule kind "
                  "(range) or the column a rule checks (amount); shell globs allowed "
                  "('*:amount'); repeatable")
      ->option_text("SELECTOR");
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

bool Glob(const std::string& pattern, const std::string& text) {
  return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

// Keeps, of the suites on `source`, the rules that a selector names (SUITE or SUITE:RULE, RULE a
// rule kind or the column it checks); a suite left without rules is dropped. Throws UsageError
// for a selector that matches nothing.
void SelectChecks(repo::RepoDefinition& repo, const std::string& source,
                  const std::vector<std::string>& selectors) {
  std::vector<bool> used(selectors.size(), false);
  std::vector<std::string> suites;
  for (repo::CheckSuiteDef& suite : repo.checks) {
    if (suite.source != source) continue;
    suites.push_back(suite.name);
    std::erase_if(suite.rules, [&](const repo::RuleDef& rule) {
      bool keep = false;
      for (size_t i = 0; i < selectors.size(); ++i) {
        const std::string& sel = selectors[i];
        const size_t colon = sel.find(':');
        if (!Glob(sel.substr(0, colon), suite.name)) continue;
        const std::string rule_part = colon == std::string::npos ? "*" : sel.substr(colon + 1);
        // The columns a rule checks: `column`, or each of `columns` (unique) or `schema`.
        bool matches = Glob(rule_part, rule.kind);
        for (const char* key : {"column", "columns", "schema"}) {
          const auto it = rule.params.find(key);
          if (it == rule.params.end()) continue;
          if (it->is_string()) matches = matches || Glob(rule_part, it->get<std::string>());
          if (it->is_array()) {
            for (const auto& c : *it) {  // names, or {name, type} (schema)
              const auto name = c.is_object() ? c.value("name", json()) : c;
              matches = matches || (name.is_string() && Glob(rule_part, name));
            }
          }
          if (it->is_object()) {  // schema: {column: type}
            for (const auto& [c, type] : it->items()) matches = matches || Glob(rule_part, c);
          }
        }
        if (matches) used[i] = keep = true;
      }
      return !keep;
    });
  }
  std::erase_if(repo.checks, [&](const repo::CheckSuiteDef& suite) {
    return suite.source == source && suite.rules.empty();
  });
  for (size_t i = 0; i < selectors.size(); ++i) {
    if (!used[i]) {
      throw UsageError(fmt::format(
          "--select {} matches no check of source '{}' (its suites: {}; a selector is SUITE or "
          "SUITE:RULE, RULE a rule kind or a column)",
          selectors[i], source, suites.empty() ? "none" : fmt::format("{}", fmt::join(suites, ", "))));
    }
  }
}

// Exit 1 when a rule with severity fail failed.
int RunValidate(const GlobalOptions& g, const ValidateOptions& o) {
  repo::RepoDefinition repo = LoadApplied(g);
  const repo::SourceDef& src = SourceOrThrow(repo, o.source);
  if (!o.select.empty()) SelectChecks(repo, src.name, o.select);
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
