#pragma once
// One bot per journal: an exclusive lock on a file beside the database (<journal>.lock), held
// for the life of the process and released by the kernel when it ends, however it ends. A second
// instance on the same journal would split webhooks between two configurations and say events
// twice; it is refused with the holder's PID instead.
#include <string>
#include <utility>

#include "core/error.hpp"

namespace chatops::ingestion {

class InstanceLock {
 public:
  // Takes the lock of the journal at `journal_path` (creating its directory and the lock file as
  // needed) and writes this process's PID into it. Fails, naming the holder's PID, while another
  // process holds it.
  static Result<InstanceLock> acquire(const std::string& journal_path);

  InstanceLock(InstanceLock&& other) noexcept;
  InstanceLock& operator=(InstanceLock&& other) noexcept;
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;
  ~InstanceLock();

  const std::string& path() const { return path_; }

 private:
  InstanceLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace chatops::ingestion
