// sluice: the command-line entry point. Errors are caught here, once; each kind carries its exit
// code (include/sluice/error.h): 0 success, 1 failed check or mismatch, 2 bad usage or bad
// input, 3 internal, 4 a store unavailable.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/env.h"
#include "common/text.h"
#include "sluice/error.h"

#ifdef SLUICE_JEMALLOC
// The sluice binary allocates through jemalloc (linked in CMakeLists.txt). Bucket-at-a-time
// work allocates and frees tens of MB per bucket; on a virtual machine a first-touch page
// fault costs ~15 µs, more than the work on the page. Transparent huge pages (2 MB) cut the
// faults by ~4x: `dataset create` and `ingest` on bench/pit's 10M events run ~20% faster.
// glibc can do the same only through a tunable read at process start (glibc.malloc.hugetlb).
// Freed memory is never handed back (no decay, no separate arena for large blocks that
// purges at once): the next bucket reuses pages already faulted in, and peak RSS stays the
// peak of live memory (another ~10% off `dataset create`). A long-running `serve` should turn
// decay back on through mallctl("arenas.dirty_decay_ms").
// One arena for every thread (thread caches in front of it): with one arena per thread group
// (jemalloc's default is 4 per CPU), memory a pipeline stage or a short-lived worker freed sat
// in its own arena while the next phase's threads faulted in fresh pages. `ingest` of
// bench/pit's 10M tz events, 5 interleaved pairs: 4.39 s, 0.34 GB, 35k page faults → 3.99 s,
// 0.31 GB, 33k faults.
extern "C" {
// NOLINTNEXTLINE(readability-identifier-naming): jemalloc reads this exact symbol.
const char* malloc_conf =
    "narenas:1,thp:always,metadata_thp:auto,oversize_threshold:0,dirty_decay_ms:-1,"
    "muzzy_decay_ms:-1";
}
#endif

namespace {

// Every command, in the order of `sluice --help`: each unit (src/cli/cmd_*.cc) adds its own.
void AddCommands(CLI::App& app, const sluice::cli::GlobalOptions& g, sluice::cli::Action& action) {
  using namespace sluice::cli;
  AddInitCommand(app, g, action);
  AddPlanCommand(app, g, action);
  AddApplyCommand(app, g, action);
  AddListCommand(app, g, action);
  AddDescribeCommand(app, g, action);
  AddIngestCommand(app, g, action);
  AddSnapshotsCommand(app, g, action);
  AddGcCommand(app, g, action);
  CLI::App& dataset =
      AddCommandGroup(app, "dataset", "Build, reproduce and inspect training datasets");
  AddDatasetCreateCommand(dataset, g, action);
  AddDatasetReproduceCommand(dataset, g, action);
  AddDatasetListCommand(dataset, g, action);
  AddDatasetShowCommand(dataset, g, action);
  AddDatasetDeleteCommand(dataset, g, action);
  AddMaterializeCommand(app, g, action);
  AddConsistencyCheckCommand(app, g, action);
  AddServeCommand(app, g, action);
  AddGetOnlineCommand(app, g, action);
  AddValidateCommand(app, g, action);
  AddProfileCommand(app, g, action);
  CLI::App& quarantine =
      AddCommandGroup(app, "quarantine", "Rows that check suites quarantined at ingest");
  AddQuarantineListCommand(quarantine, g, action);
  AddQuarantineShowCommand(quarantine, g, action);
}

// The subcommand of `app` the command line names next (after `from`), or "" when it names
// none; `unknown` gets the first word that is not one (`sluice injest`).
const CLI::App* NextCommand(const CLI::App& app, const std::vector<std::string>& words,
                            size_t& from, std::string& unknown) {
  for (; from < words.size(); ++from) {
    const std::string& w = words[from];
    if (w == "--repo") {  // the one global option with a value
      ++from;
      continue;
    }
    if (w.starts_with("-")) continue;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == w) {
        ++from;
        return sub;
      }
    }
    unknown = w;
    return nullptr;
  }
  return nullptr;
}

// What a command line that does not parse gets: "error: …" with a hint (the closest command
// for an unknown one), exit 2; with --json also the JSON error object of every command.
int ReportParseError(const CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  const std::vector<std::string> words(argv + 1, argv + argc);
  std::string message = e.what();
  // The command named, down the groups (`dataset create`), and a word that names none.
  const CLI::App* at = &app;
  std::string path = "sluice", unknown;
  size_t from = 0;
  while (const CLI::App* next = NextCommand(*at, words, from, unknown)) {
    at = next;
    path += " " + next->get_name();
  }
  std::vector<std::string> names;
  for (const CLI::App* sub : at->get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  if (!unknown.empty() && !names.empty()) {
    const std::string near = sluice::ClosestName(unknown, names);
    message = fmt::format("unknown command '{}' for `{}`{}", unknown, path,
                          near.empty() ? "" : "; did you mean '" + near + "'?");
  } else if (!names.empty() && at->get_subcommands().empty()) {
    message = fmt::format("`{}` needs a command: {}", path, fmt::join(names, ", "));
  }
  // A value echoed back is cut short (a 300-digit number is not worth reading back): each
  // word of more than 48 characters keeps its first 40.
  std::string shortened;
  for (size_t i = 0; i < message.size();) {
    const size_t end = std::min(message.find_first_of(" \t\n", i), message.size());
    const std::string_view word(message.data() + i, end - i);
    shortened += word.size() > 48 ? std::string(word.substr(0, 40)) + "..." : std::string(word);
    if (end < message.size()) shortened += message[end];
    i = end + 1;
  }
  message = std::move(shortened);
  const bool json = std::find(words.begin(), words.end(), "--json") != words.end();
  if (json) {
    sluice::cli::PrintJson({{"error", {{"message", message}, {"exit_code", 2}}}});
  }
  std::fprintf(stderr, "error: %s\nRun `%s --help` for more information.\n", message.c_str(),
               path.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sluice;
  cli::GlobalOptions g;
  CLI::App app{
      "sluice: point-in-time correct features for training and serving.\n"
      "Define entities, sources and features in YAML, `sluice apply`, `sluice ingest`,\n"
      "then `sluice dataset create`. Docs: docs/guide.md.",
      "sluice"};
  app.set_version_flag("--version", "sluice 0.1.0");
  app.option_defaults()->always_capture_default();
  app.add_option("--repo", g.repo, "Feature repository directory")->capture_default_str();
  app.add_flag("--json", g.json, "Machine-readable JSON output (a stable contract, docs/json.md)");
  app.require_subcommand(1);
  app.fallthrough();
  cli::Action action;
  AddCommands(app, g, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return ReportParseError(app, e, argc, argv);
  }
  try {
    CheckEnvironment();  // a SLUICE_* knob that is not a number fails here, before any work
    return action ? action() : 2;
  } catch (const Error& e) {
    if (g.json) {
      cli::PrintJson({{"error", {{"message", e.what()}, {"exit_code", e.exit_code()}}}});
    }
    std::fprintf(stderr, "error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    if (g.json) cli::PrintJson({{"error", {{"message", e.what()}, {"exit_code", 3}}}});
    std::fprintf(stderr, "internal error: %s\n", e.what());
    return 3;
  }
}
