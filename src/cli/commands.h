// The sluice command line: each group of commands registers its subcommands on the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <string>

#include "quality/suite.h"
#include "repo/definitions.h"

namespace sluice::cli {

// Options every command has (SPEC §9).
struct GlobalOptions {
  std::string repo = ".";
  bool json = false;
};

// What a command does once its arguments are parsed; returns the exit code.
using Action = std::function<int()>;

// Each registers subcommands on `app`; the chosen one stores its action in `action`.
void AddRepoCommands(CLI::App& app, const GlobalOptions& g, Action& action);
void AddOfflineCommands(CLI::App& app, const GlobalOptions& g, Action& action);
void AddDatasetCommands(CLI::App& app, const GlobalOptions& g, Action& action);
void AddOnlineCommands(CLI::App& app, const GlobalOptions& g, Action& action);
void AddQualityCommands(CLI::App& app, const GlobalOptions& g, Action& action);

// The applied definitions of the repository at g.repo (config from sluice.yaml, definitions
// from the registry).
repo::RepoDefinition LoadApplied(const GlobalOptions& g);
// Absolute repository root.
std::filesystem::path RepoRoot(const GlobalOptions& g);
// Prints `j` (pretty) to stdout.
void PrintJson(const nlohmann::json& j);
// Check results as a table (status, suite, rule, severity, message), grouped by delivery.
void PrintChecks(const std::vector<quality::CheckResult>& checks);
// Check results as the JSON list of `ingest --json` and `validate --json`.
nlohmann::json ChecksJson(const std::vector<quality::CheckResult>& checks);

}  // namespace sluice::cli
