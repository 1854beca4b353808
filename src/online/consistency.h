// `sluice consistency-check`: samples entities and compares the online store's values with
// the offline engine's values for (entity, t) (SPEC §6: the mismatch rate must be 0). On-demand
// features are compared too, computed on both sides by repo::OnDemandFeatures from their
// inputs, when they need no request data.
#pragma once

#include <string>
#include <vector>

#include "online/store.h"
#include "repo/definitions.h"

namespace sluice::online {

struct ConsistencyOptions {
  std::string service;
  size_t sample = 1000;  // entities per feature view (all when fewer)
  Micros at = 0;         // the time both paths answer at
  uint64_t seed = 1;     // sampling seed (the same seed samples the same entities)
};

struct Mismatch {
  std::string view, feature, entity;  // entity: "key=value, …"
  std::string online, offline;        // values as text
  std::string status;                 // the online status
};

struct ConsistencyReport {
  std::string service;
  Micros at = 0;
  size_t entities = 0;  // sampled (entity, view) pairs; an on-demand view counts as a view
  size_t compared = 0;  // feature values compared
  size_t mismatches = 0;
  std::vector<Mismatch> examples;  // the first 20
  // On-demand features not compared: their views need request data (which only a request
  // carries), or no input view's source carries every entity key they need.
  std::vector<std::string> skipped;
};

// Throws InputError for an unknown service or a source without data.
ConsistencyReport CheckConsistency(const repo::RepoDefinition& repo, Store& store,
                                   const ConsistencyOptions& options);

}  // namespace sluice::online
