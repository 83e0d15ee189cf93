#pragma once
// Where a log source is in each file it follows, saved as the source's cursor in the same journal
// transaction as the events of the lines read: a file is known by its device and inode together
// with a fingerprint of its first bytes (so a reused inode or a file truncated and rewritten is not
// taken for the file it replaced), and the offset after the last line said.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace chatops::ingestion::log {

// The first bytes of a file, hashed: at most kFingerprintBytes; fewer while the file is shorter.
inline constexpr std::size_t kFingerprintBytes = 256;
struct Fingerprint {
  std::uint64_t hash = 0;
  std::uint32_t length = 0;  // how many first bytes `hash` covers
  bool operator==(const Fingerprint&) const = default;
};
Fingerprint fingerprint_of(std::string_view first_bytes);

struct Checkpoint {
  std::string path;  // where the file was found (it may since have been renamed)
  std::uint64_t device = 0, inode = 0;
  Fingerprint fingerprint;
  std::uint64_t offset = 0;  // bytes consumed: up to the end of the last whole line said
  bool discarding = false;   // inside a line longer than the maximum, whose rest is dropped
  bool operator==(const Checkpoint&) const = default;
};

// `rate_cap`: the rate cap's window and counts (RateCap::state), saved with the offsets.
std::string encode_checkpoints(const std::vector<Checkpoint>& files, const nlohmann::json& rate_cap = nullptr);
Result<std::vector<Checkpoint>> decode_checkpoints(std::string_view cursor);
// The rate cap's state saved in a cursor (null when none).
nlohmann::json decode_rate_cap(std::string_view cursor);

}  // namespace chatops::ingestion::log
