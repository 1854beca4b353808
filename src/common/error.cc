#include "sluice/error.h"

namespace sluice {

DefinitionError::DefinitionError(std::string file, int line, std::string message,
                                 std::string hint)
    : InputError(file + ":" + std::to_string(line) + ": " + message +
                 (hint.empty() ? "" : "\n  hint: " + hint)),
      file_(std::move(file)),
      line_(line),
      message_(std::move(message)),
      hint_(std::move(hint)) {}

}  // namespace sluice
