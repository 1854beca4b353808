// Little-endian byte encoding helpers for the portable encodings (aggregate states, online
// records). sluice runs on little-endian hosts only; values are written in host order.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "sluice/error.h"

namespace sluice {

template <typename T>
void PutRaw(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

inline void PutBytes(std::string& out, std::string_view bytes) {
  PutRaw(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
}

// Reads from the front of `in`, advancing it. Throws InputError("<what>: truncated encoding").
template <typename T>
T TakeRaw(std::string_view& in, const char* what) {
  if (in.size() < sizeof(T)) throw InputError(std::string(what) + ": truncated encoding");
  T v;
  std::memcpy(&v, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return v;
}

inline std::string_view TakeN(std::string_view& in, size_t n, const char* what) {
  if (in.size() < n) throw InputError(std::string(what) + ": truncated encoding");
  std::string_view out = in.substr(0, n);
  in.remove_prefix(n);
  return out;
}

// A u32 length, then that many bytes.
inline std::string_view TakeBytes(std::string_view& in, const char* what) {
  return TakeN(in, TakeRaw<uint32_t>(in, what), what);
}

}  // namespace sluice
