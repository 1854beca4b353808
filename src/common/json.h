// JSON text out of nlohmann::json, the one way sluice writes it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace sluice {

// `j` as JSON text (`indent` < 0: one line). Bytes that are not UTF-8 (a file name, a request
// that echoes back in an error) become U+FFFD instead of throwing: writing an answer or a
// report never fails on what it quotes.
inline std::string JsonText(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sluice
