// Semantic checks of a loaded repository: names resolve, join keys and timestamp fields exist
// with usable types, expressions type-check, source schemas are inferred (through DuckDB) when
// not declared. After CheckRepo every FeatureDef has its type and every definition a version.
// Check suites are checked above repo, by the rule classes (quality::CheckSuites).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/duckdb.h"
#include "repo/definitions.h"

namespace sluice::repo {

// Throws DefinitionError (file:line, hint) for the first problem found; changes nothing on disk.
// Check suites are not checked here (their rules are quality's): call quality::CheckSuites
// after it.
void CheckRepo(RepoDefinition& repo, io::DuckDb& db);

// The files a `file` source's path (a glob relative to `root`; *, ? and [..] within one
// directory level) matches now, absolute and sorted. Empty when none match.
std::vector<std::string> SourceFiles(const SourceDef& source, const std::filesystem::path& root);

// SQL selecting a source's raw rows with canonical column types: from `files` (file source;
// all of SourceFiles when empty) or from its query (sql source). Rows come in file order and,
// within a file, in stored order.
std::string SourceSql(const SourceDef& source, const std::filesystem::path& root,
                      const std::vector<std::string>& files, io::DuckDb& db);

// The result type of aggregate `fn` over values of type `input` (SPEC §5.2); nullopt when the
// function is unknown or does not accept `input`.
std::optional<DataType> AggregateResultType(std::string_view fn, std::optional<DataType> input);

}  // namespace sluice::repo
