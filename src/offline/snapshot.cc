#include "offline/snapshot.h"

#include <fmt/format.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/time.h"
#include "repo/definitions.h"
#include "sluice/error.h"

namespace sluice::offline {
namespace fs = std::filesystem;
using nlohmann::json;

int64_t SnapshotManifest::TotalRows() const {
  int64_t n = 0;
  for (const Segment& s : segments) n += s.rows;
  return n;
}

json SnapshotManifest::ToJson() const {
  json j = {{"format_version", 1},
            {"source", source},
            {"snapshot", snapshot},
            {"parent", parent},
            {"source_version", source_version},
            {"created_at", FormatTimestamp(created_at)},
            {"created_at_us", created_at},
            {"schema", repo::SchemaToJson(schema)},
            {"partition_keys", partition_keys},
            {"bucket_count", bucket_count},
            {"next_seq", next_seq},
            {"rows", TotalRows()}};
  j["deliveries"] = json::array();
  for (const Delivery& d : deliveries) {
    json x = {{"content_hash", d.content_hash},
              {"file", d.file},
              {"rows", d.rows},
              {"snapshot", d.snapshot}};
    if (d.quarantined) {
      x["quarantined"] = d.quarantined;
      x["quarantine_paths"] = d.quarantine_paths;
    }
    if (!d.profile_path.empty()) x["profile_path"] = d.profile_path;
    j["deliveries"].push_back(std::move(x));
  }
  j["segments"] = json::array();
  for (const Segment& s : segments) {
    j["segments"].push_back({{"path", s.path},
                             {"bucket", s.bucket},
                             {"rows", s.rows},
                             {"min_ts", s.min_ts},
                             {"max_ts", s.max_ts},
                             {"sha256", s.sha256},
                             {"snapshot", s.snapshot}});
  }
  return j;
}

SnapshotManifest SnapshotManifest::FromJson(const json& j) {
  SnapshotManifest m;
  m.snapshot = j.at("snapshot");
  m.parent = j.at("parent");
  m.source = j.at("source");
  m.source_version = j.at("source_version");
  m.created_at = j.at("created_at_us");
  m.schema = repo::SchemaFromJson(j.at("schema"));
  m.partition_keys = j.at("partition_keys").get<std::vector<std::string>>();
  m.bucket_count = j.at("bucket_count");
  m.next_seq = j.at("next_seq");
  for (const json& d : j.at("deliveries")) {
    m.deliveries.push_back({d.at("content_hash"), d.at("file"), d.at("rows"), d.at("snapshot"),
                            d.value("quarantined", int64_t{0}),
                            d.value("quarantine_paths", std::vector<std::string>{}),
                            d.value("profile_path", "")});
  }
  for (const json& s : j.at("segments")) {
    m.segments.push_back({s.at("path"), s.at("bucket"), s.at("rows"), s.at("min_ts"),
                          s.at("max_ts"), s.at("sha256"), s.at("snapshot")});
  }
  return m;
}

SourceLog::SourceLog(const fs::path& offline_root, const std::string& source)
    : dir_(offline_root / source), source_(source) {}

fs::path SourceLog::ManifestPath(int64_t snapshot) const {
  return dir_ / "snapshots" / fmt::format("{:08d}.json", snapshot);
}

void SourceLog::CreateDirectories() const {
  fs::create_directories(dir_ / "segments");
  fs::create_directories(dir_ / "snapshots");
}

std::vector<int64_t> SourceLog::ListSnapshots() const {
  std::vector<int64_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_ / "snapshots", ec)) {
    const std::string name = e.path().filename().string();
    // Only complete manifests count: "<8 digits>.json". Temp files of a crashed commit don't.
    if (name.size() != 13 || !name.ends_with(".json")) continue;
    if (name.find_first_not_of("0123456789") != 8) continue;
    out.push_back(std::stoll(name.substr(0, 8)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<SnapshotManifest> SourceLog::Latest() const {
  auto all = ListSnapshots();
  if (all.empty()) return std::nullopt;
  return Load(all.back());
}

SnapshotManifest SourceLog::Load(int64_t n) const {
  const fs::path p = ManifestPath(n);
  if (!fs::exists(p)) {
    throw InputError(fmt::format("source '{}' has no snapshot {} (see `sluice snapshots {}`)",
                                 source_, n, source_));
  }
  try {
    return SnapshotManifest::FromJson(json::parse(ReadFile(p)));
  } catch (const json::exception& e) {
    throw InputError(fmt::format("corrupt snapshot manifest {}: {}", p.string(), e.what()));
  }
}

void SourceLog::Commit(const SnapshotManifest& m) const {
  const fs::path p = ManifestPath(m.snapshot);
  fs::create_directories(p.parent_path());
  if (fs::exists(p)) {
    throw InternalError(
        fmt::format("snapshot {} of source '{}' already exists", m.snapshot, source_));
  }
  WriteFileAtomic(p, JsonText(m.ToJson(), 1));
}

}  // namespace sluice::offline
