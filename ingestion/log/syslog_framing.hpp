#pragma once
// Syslog messages out of a TCP stream, as RFC 6587 frames them: octet-counting ("LEN SP MSG", what
// rsyslog's forwarding and `logger --tcp --octet-count` send) or non-transparent framing (a
// message ends with LF), chosen per frame by its first byte (a digit: octet-counting). Trailing CR,
// LF and NUL are dropped from a message (rsyslog ends even octet-counted frames with an LF).
// Hostile input is bounded: a message longer than `max_message` is cut there and the rest of it
// skipped (never held); a length of more than 9 digits, a 0, or one without its space is an error
// that ends the connection.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chatops::ingestion::log {

struct Frame {
  std::string text;
  bool cut = false;  // longer than max_message: the rest was skipped
};

class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_message) : max_(max_message) {}

  // Feeds bytes; complete messages go to `out`. False on a framing error (the connection should
  // be closed): error() says what.
  bool feed(std::string_view bytes, std::vector<Frame>& out);
  // At the end of the stream: a last non-transparent message without its LF.
  void finish(std::vector<Frame>& out);
  const std::string& error() const { return error_; }
  std::size_t buffered() const { return message_.size() + length_text_.size(); }
  std::uint64_t cut() const { return cut_; }

 private:
  enum class State { Start, Length, Counted, Line };
  void emit(std::vector<Frame>& out);
  // Appends what fits under max_message; the rest is dropped and the message marked cut.
  void append_capped(std::string_view piece);

  const std::size_t max_;
  State state_ = State::Start;
  std::string length_text_;
  std::uint64_t remaining_ = 0;  // octets of a counted frame still to come
  std::string message_;
  bool cut_message_ = false;
  std::uint64_t cut_ = 0;
  std::string error_;
};

}  // namespace chatops::ingestion::log
