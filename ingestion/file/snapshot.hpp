#pragma once
// What a file source knows of one file: its size, modification time and a hash of its content,
// kept in the source's state in the journal (key: the path) and committed with the events that
// announce the change; and reading a file whole, within a size cap, only when no one wrote to it
// while it was read.
#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chatops::ingestion::file {

struct Snapshot {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string hash;  // XXH3-64 of the content in hex; "size:<n>:<mtime>" above the size cap

  bool same_stat(const struct ::stat& st) const;
};

std::int64_t mtime_ns_of(const struct ::stat& st);
std::string encode(const Snapshot& s);                    // "<size> <mtime_ns> <hash>"
std::optional<Snapshot> decode_snapshot(std::string_view text);  // nullopt when malformed
std::string content_hash(std::string_view content);

struct FileRead {
  enum class Outcome { Read, TooLarge, Changing, Gone, Unreadable } outcome = Outcome::Gone;
  std::string text;  // Read: the content
  struct ::stat st {};  // as it was while read
  std::string error;    // Unreadable: why
};

// Reads `path` whole if it is at most max_size bytes and did not change while it was read.
FileRead read_file(const std::string& path, std::uint64_t max_size);

}  // namespace chatops::ingestion::file
