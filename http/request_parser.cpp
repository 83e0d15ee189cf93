#include "http/request_parser.hpp"

#include <http_parser.h>

#include "core/text/casemap.hpp"

namespace chatops::http {

namespace {
constexpr std::uint64_t kReservedBody = 1024 * 1024;
constexpr std::size_t kParserPadding = 64;  // simdjson's SIMDJSON_PADDING
}  // namespace

struct RequestParser::Native {
  http_parser parser{};
};

namespace {
RequestParser& self(http_parser* p) { return *static_cast<RequestParser*>(p->data); }
}  // namespace

// http_parser calls plain functions; these forward to the parser object.
struct RequestParser::Callbacks {
  static int on_message_begin(http_parser* p) {
    self(p).started_ = true;
    return 0;
  }
  static int on_url(http_parser* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.started_ = true;
    if (s.request_.target.size() + n > s.limits_.max_request_line) return s.refuse_target();
    if (int refused = s.count_head(n)) return refused;
    s.request_.target.append(at, n);
    return 0;
  }
  static int on_header_field(http_parser* p, const char* at, std::size_t n) {
    auto& s = self(p);
    if (s.in_value_ || s.request_.headers.empty()) {
      if (++s.header_count_ > s.limits_.max_headers)
        return s.refuse(431, "more than " + std::to_string(s.limits_.max_headers) + " header fields");
      s.request_.headers.emplace_back();
      s.in_value_ = false;
    }
    if (int refused = s.count_head(n)) return refused;
    s.request_.headers.back().first.append(at, n);
    return 0;
  }
  static int on_header_value(http_parser* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.in_value_ = true;
    if (int refused = s.count_head(n)) return refused;
    s.request_.headers.back().second.append(at, n);
    return 0;
  }
  static int on_headers_complete(http_parser* p) {
    auto& s = self(p);
    s.head_complete_ = true;
    if (int refused = s.check_head()) return refused;
    http_parser_pause(p, 1);  // the caller checks the head before any body is read
    return 0;
  }
  static int on_body(http_parser* p, const char* at, std::size_t n) {
    auto& s = self(p);
    if (s.request_.body.size() + n > s.limits_.max_body)
      return s.refuse(413, "body over " + std::to_string(s.limits_.max_body) + " bytes");
    s.request_.body.append(at, n);
    return 0;
  }
  static int on_message_complete(http_parser* p) {
    auto& s = self(p);
    s.message_complete_ = true;
    http_parser_pause(p, 1);  // pipelined requests wait until this one is answered
    return 0;
  }
  static const http_parser_settings& settings() {
    static const http_parser_settings settings = [] {
      http_parser_settings st{};
      http_parser_settings_init(&st);
      st.on_message_begin = on_message_begin;
      st.on_url = on_url;
      st.on_header_field = on_header_field;
      st.on_header_value = on_header_value;
      st.on_headers_complete = on_headers_complete;
      st.on_body = on_body;
      st.on_message_complete = on_message_complete;
      return st;
    }();
    return settings;
  }
};

RequestParser::RequestParser(ParserLimits limits) : limits_(limits), native_(std::make_unique<Native>()) { reset(); }

RequestParser::~RequestParser() = default;

void RequestParser::reset() {
  http_parser_init(&native_->parser, HTTP_REQUEST);
  native_->parser.data = this;
  request_ = Request{};
  head_bytes_ = header_count_ = 0;
  announced_length_ = 0;
  in_value_ = started_ = head_complete_ = message_complete_ = false;
  error_status_ = 0;
  error_reason_.clear();
}

int RequestParser::refuse(int status, std::string reason) {
  if (error_status_ == 0) {
    error_status_ = status;
    error_reason_ = std::move(reason);
  }
  return 1;
}

int RequestParser::refuse_target() {
  return refuse(414, "request target over " + std::to_string(limits_.max_request_line) + " bytes");
}

int RequestParser::count_head(std::size_t n) {
  head_bytes_ += n;
  if (head_bytes_ > limits_.max_head)
    return refuse(431, "request head over " + std::to_string(limits_.max_head) + " bytes");
  return 0;
}

int RequestParser::check_head() {
  auto& p = native_->parser;
  request_.method = http_method_str(static_cast<http_method>(p.method));
  const auto question = request_.target.find('?');
  request_.path = request_.target.substr(0, question);
  if (question != std::string::npos) request_.query = request_.target.substr(question + 1);
  request_.head_only = true;
  for (auto& [name, value] : request_.headers)  // optional whitespace; rarely any: no copy then
    if (const auto kept = trim(value); kept.size() != value.size()) value = std::string(kept);
  announced_length_ = (p.flags & F_CONTENTLENGTH) ? p.content_length : 0;
  if (p.http_major != 1) return refuse(505, "only HTTP/1.0 and HTTP/1.1 are served");
  if (auto coding = request_.header("Content-Encoding");
      coding && !text::equal_folded(trim(*coding), "identity", text::CaseMapping::Ascii))
    return refuse(415, "Content-Encoding " + std::string(trim(*coding)) + " is not accepted; send the body as it is");
  if (auto coding = request_.header("Transfer-Encoding");
      coding && !text::equal_folded(trim(*coding), "chunked", text::CaseMapping::Ascii))
    return refuse(501, "Transfer-Encoding other than chunked is not supported");
  if (announced_length_ > limits_.max_body)
    return refuse(413, "body over " + std::to_string(limits_.max_body) + " bytes");
  // Room for the announced body, and the padding that parsers reading ahead (simdjson) need to
  // read it in place. Beyond a megabyte it grows as bytes come, so that a claim costs nothing.
  request_.body.reserve(std::min<std::uint64_t>(announced_length_, kReservedBody) + kParserPadding);
  return 0;
}

RequestParser::Step RequestParser::feed(std::string_view bytes) {
  auto& p = native_->parser;
  if (error_status_) return {Stop::Error, 0};
  if (HTTP_PARSER_ERRNO(&p) == HPE_PAUSED) http_parser_pause(&p, 0);
  const std::size_t consumed = http_parser_execute(&p, &Callbacks::settings(), bytes.data(), bytes.size());
  const auto error = HTTP_PARSER_ERRNO(&p);
  if (error_status_) return {Stop::Error, consumed};
  if (error != HPE_OK && error != HPE_PAUSED) {
    // The library's own bound on a head (80 KiB) can trip before a callback saw the data: inside
    // the request line it is the target that is too long.
    if (error == HPE_HEADER_OVERFLOW && request_.headers.empty()) refuse_target();
    else if (error == HPE_HEADER_OVERFLOW) count_head(limits_.max_head + 1);
    else refuse(400, std::string("malformed request: ") + http_errno_description(error));
    return {Stop::Error, consumed};
  }
  if (message_complete_) {
    request_.head_only = false;
    return {Stop::Message, consumed};
  }
  if (error == HPE_PAUSED) return {Stop::Head, consumed};
  return {Stop::NeedMore, consumed};
}

bool RequestParser::keep_alive() const { return http_should_keep_alive(&native_->parser) != 0; }

bool RequestParser::expects_continue() const {
  const auto expect = request_.header("Expect");
  return expect && text::equal_folded(trim(*expect), "100-continue", text::CaseMapping::Ascii) &&
         native_->parser.http_minor >= 1;
}

std::uint64_t RequestParser::content_length() const { return announced_length_; }

}  // namespace chatops::http
