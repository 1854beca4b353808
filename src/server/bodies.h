// The JSON bodies of the server's requests, read into typed values: every field checked, and
// every error an HttpError with its status (400, or 404 for an unknown push source) and a
// message that quotes request values only briefly. Separate from the handlers so that the
// fuzz targets (fuzz/) reach them without sockets.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "online/materialize.h"
#include "online/push.h"
#include "repo/definitions.h"
#include "sluice/column.h"

namespace sluice::server {

// An HTTP error with its status.
struct HttpError {
  int status;
  std::string message;
};

// A request value quoted in an error answer: short, and an array or object only named (a
// deep or large value is never written back whole).
std::string Quote(const nlohmann::json& v);

// A JSON array of values as a column of `type` (null: a null value); HttpError 400 naming
// `what` and the first value of the wrong type or range.
Column ToColumn(const nlohmann::json& values, DataType type, const std::string& what);

// A request body that must be a JSON object (UTF-8); HttpError 400 otherwise.
nlohmann::json ParseObject(const std::string& body);

struct PushRequest {
  std::string source;
  Batch rows;
  online::PushTo to = online::PushTo::kOnline;
};

// Feast's push body: {"push_source_name": S, "df": {column: [values]}, "to": mode}. Every
// column of the source's schema, no other, equal lengths, no null timestamp or join key.
PushRequest ParsePushBody(const std::string& body, const repo::RepoDefinition& defs);

// POST /materialize: {"views": [names], "until": timestamp}, both optional; "" is {}.
online::MaterializeOptions ParseMaterializeBody(const std::string& body);

}  // namespace sluice::server
