#include "ingestion/file/snapshot.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace chatops::ingestion::file {

namespace {

bool same_file_state(const struct ::stat& a, const struct ::stat& b) {
  return a.st_size == b.st_size && mtime_ns_of(a) == mtime_ns_of(b) && a.st_ino == b.st_ino;
}

}  // namespace

std::int64_t mtime_ns_of(const struct ::stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

bool Snapshot::same_stat(const struct ::stat& st) const {
  return size == static_cast<std::uint64_t>(st.st_size) && mtime_ns == mtime_ns_of(st);
}

std::string encode(const Snapshot& s) { return fmt::format("{} {} {}", s.size, s.mtime_ns, s.hash); }

std::optional<Snapshot> decode_snapshot(std::string_view text) {
  Snapshot s;
  const auto first = text.find(' ');
  const auto second = first == std::string_view::npos ? first : text.find(' ', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto number = [](std::string_view part, auto& out) {
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc() && end == part.data() + part.size();
  };
  if (!number(text.substr(0, first), s.size) || !number(text.substr(first + 1, second - first - 1), s.mtime_ns))
    return std::nullopt;
  s.hash = text.substr(second + 1);
  return s;
}

std::string content_hash(std::string_view content) {
  return fmt::format("{:016x}", XXH3_64bits(content.data(), content.size()));
}

FileRead read_file(const std::string& path, std::uint64_t max_size) {
  FileRead r;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno != ENOENT && errno != ENOTDIR) {
      r.outcome = FileRead::Outcome::Unreadable;
      r.error = std::strerror(errno);
    }
    return r;
  }
  struct ::stat before{};
  if (::fstat(fd, &before) != 0 || !S_ISREG(before.st_mode)) {
    ::close(fd);
    return r;
  }
  r.st = before;
  if (static_cast<std::uint64_t>(before.st_size) > max_size) {
    ::close(fd);
    r.outcome = FileRead::Outcome::TooLarge;
    return r;
  }
  // One byte more than the size: a file that grew while it is read shows it.
  r.text.resize(static_cast<std::size_t>(before.st_size) + 1);
  std::size_t got = 0;
  for (ssize_t n = 0; got < r.text.size(); got += static_cast<std::size_t>(n)) {
    n = ::read(fd, r.text.data() + got, r.text.size() - got);
    if (n < 0 && errno == EINTR) n = 0;
    else if (n <= 0) break;
  }
  struct ::stat after{};
  const bool stat_ok = ::fstat(fd, &after) == 0;
  ::close(fd);
  r.text.resize(got);
  struct ::stat now{};
  if (::stat(path.c_str(), &now) != 0) {
    r.text.clear();
    return r;  // deleted while read
  }
  if (!stat_ok || got != static_cast<std::size_t>(before.st_size) || !same_file_state(before, after) ||
      !same_file_state(before, now)) {
    r.outcome = FileRead::Outcome::Changing;  // written, or replaced, while read: later
    r.text.clear();
    return r;
  }
  r.outcome = FileRead::Outcome::Read;
  return r;
}

}  // namespace chatops::ingestion::file
