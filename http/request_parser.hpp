#pragma once
// HTTP/1.x request parsing within limits, without I/O: bytes go in, a request comes out, or the
// status a bad request earns. The parsing itself is the http_parser library's (Debian's
// libhttp-parser, the parser Node.js used for a decade); this class adds the limits, the stops
// (after the head, so that it can be checked before a byte of the body is buffered, and after each
// message, so that pipelined requests wait their turn) and the mapping of errors to statuses.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace chatops::http {

struct ParserLimits {
  std::size_t max_request_line = 8 * 1024;  // the target (URL) → 414
  std::size_t max_head = 64 * 1024;         // request line and headers together → 431
  std::size_t max_headers = 100;            // header fields → 431
  std::size_t max_body = 25 * 1024 * 1024;  // Content-Length or chunked alike → 413
};

class RequestParser {
 public:
  enum class Stop {
    NeedMore,  // every byte given was consumed; the request is not complete
    Head,      // the head is complete (request() has it, head_only); no body byte consumed yet
    Message,   // the request is complete; bytes after it belong to the next one
    Error,     // the request is refused: error_status() / error_reason()
  };
  struct Step {
    Stop stop;
    std::size_t consumed;  // bytes of the input used; feed the rest again after a Head or Message
  };

  explicit RequestParser(ParserLimits limits);
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  Step feed(std::string_view bytes);

  // Starts over for the next request on the same connection.
  void reset();
  // Any byte of the current request seen (an idle keep-alive connection has none).
  bool started() const { return started_; }
  bool head_complete() const { return head_complete_; }
  // Bytes of the body read so far (chunk framing excluded).
  std::size_t body_size() const { return request_.body.size(); }

  Request& request() { return request_; }
  // After the head: whether the client lets the connection stay open, and whether it waits for
  // "100 Continue" before sending the body.
  bool keep_alive() const;
  bool expects_continue() const;
  // The Content-Length announced (0 when absent or chunked).
  std::uint64_t content_length() const;

  int error_status() const { return error_status_; }
  const std::string& error_reason() const { return error_reason_; }

 private:
  struct Callbacks;
  int refuse(int status, std::string reason);  // records the error; returns http_parser's "stop"
  int refuse_target();
  int count_head(std::size_t n);  // adds header bytes; refuses past max_head
  int check_head();

  ParserLimits limits_;
  struct Native;
  std::unique_ptr<Native> native_;
  Request request_;
  std::size_t head_bytes_ = 0;
  std::size_t header_count_ = 0;
  std::uint64_t announced_length_ = 0;
  bool in_value_ = false;  // the last header callback was a value: the next field is a new header
  bool started_ = false, head_complete_ = false, message_complete_ = false;
  int error_status_ = 0;
  std::string error_reason_;
};

}  // namespace chatops::http
