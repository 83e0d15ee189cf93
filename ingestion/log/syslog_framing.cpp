#include "ingestion/log/syslog_framing.hpp"

#include <algorithm>

namespace chatops::ingestion::log {

namespace {

// A length of 10 digits or more is no syslog message (and would not fit in memory anyway).
constexpr std::size_t kMaxLengthDigits = 9;

bool digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

void FrameDecoder::emit(std::vector<Frame>& out) {
  // A trailer means nothing: rsyslog's RFC 5424 template ends its octet-counted frames with an LF.
  while (message_.ends_with('\n') || message_.ends_with('\r') || message_.ends_with('\0')) message_.pop_back();
  if (!message_.empty() || cut_message_) out.push_back({std::move(message_), cut_message_});
  cut_ += cut_message_;
  message_.clear();
  cut_message_ = false;
  state_ = State::Start;
}

void FrameDecoder::append_capped(std::string_view piece) {
  const std::size_t room = max_ - std::min(max_, message_.size());
  message_.append(piece.substr(0, room));
  if (piece.size() > room) cut_message_ = true;
}

bool FrameDecoder::feed(std::string_view bytes, std::vector<Frame>& out) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::Start:
        if (bytes[0] == '\n' || bytes[0] == '\0') {  // an empty message, or a NUL trailer
          bytes.remove_prefix(1);
          continue;
        }
        state_ = digit(bytes[0]) ? State::Length : State::Line;
        continue;
      case State::Length: {
        const char c = bytes[0];
        bytes.remove_prefix(1);
        if (digit(c) && length_text_.size() < kMaxLengthDigits && !(length_text_.empty() && c == '0')) {
          length_text_ += c;
          continue;
        }
        if (c != ' ' || length_text_.empty()) {
          error_ = length_text_.size() >= kMaxLengthDigits ? "a frame length of more than 9 digits"
                                                           : "a frame length not followed by a space";
          return false;
        }
        remaining_ = std::stoull(length_text_);
        length_text_.clear();
        state_ = State::Counted;
        continue;
      }
      case State::Counted: {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
        append_capped(bytes.substr(0, n));
        bytes.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) emit(out);
        continue;
      }
      case State::Line: {
        const auto nl = bytes.find('\n');
        append_capped(bytes.substr(0, nl));
        if (nl == std::string_view::npos) return true;
        bytes.remove_prefix(nl + 1);
        emit(out);
        continue;
      }
    }
  }
  return true;
}

void FrameDecoder::finish(std::vector<Frame>& out) {
  if (state_ == State::Line) emit(out);
}

}  // namespace chatops::ingestion::log
