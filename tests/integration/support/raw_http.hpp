// A raw HTTP/1.1 client for tests that must misbehave: send any bytes, at any pace, from any
// loopback address (127.0.0.2 is "another client"), and read what the server answers or whether it
// hung up. Blocking, with deadlines.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace chatops::test {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers{};  // names lower-cased
  std::string body{};
};

class RawConnection {
 public:
  // Connects to 127.0.0.1:port from `source` (bound before connecting); nullopt if it fails.
  static std::optional<RawConnection> open(int port, const std::string& source = "127.0.0.1",
                                           std::chrono::milliseconds timeout = std::chrono::seconds(30));
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection();

  // Writes everything (blocking); false when the server closed or reset the connection.
  bool send(std::string_view bytes);
  // Reads one response (head, then a Content-Length body unless it answers a HEAD); nullopt on
  // timeout or close first.
  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                           bool answers_head = false);
  // Waits until the server closes the connection (EOF or reset), discarding what it sends.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  int fd() const { return fd_; }

 private:
  explicit RawConnection(int fd) : fd_(fd) {}
  // Reads into buffer_ until `done` says enough; false on timeout or close.
  template <class Done>
  bool read_until(Done done, std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::string buffer_;
};

// One whole request and its response on a fresh connection; nullopt when none came back.
std::optional<RawResponse> raw_exchange(int port, std::string_view request,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                        const std::string& source = "127.0.0.1");

// "POST <path> HTTP/1.1" with Host, Content-Length, the given header lines and the body.
std::string post_request(std::string_view path, std::string_view body, std::string_view header_lines = "");

}  // namespace chatops::test
