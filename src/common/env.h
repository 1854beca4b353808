// Tuning knobs read from the environment (docs/guide.md, "Environment").
#pragma once

#include <cstdint>

namespace sluice {

// The positive integer in environment variable `name`, or `fallback` when it is unset or
// empty. Throws InputError naming the variable when it holds anything else (`abc`, `0`, `-3`,
// `12x`, a number beyond int64): a knob set by hand is never ignored in silence.
int64_t PositiveEnv(const char* name, int64_t fallback);

// Reads every numeric SLUICE_* knob once (docs/guide.md, "Environment"), so that a bad value
// is an error before a command does any work rather than midway, on whichever thread first
// reads it. Throws InputError as PositiveEnv does.
void CheckEnvironment();

}  // namespace sluice
