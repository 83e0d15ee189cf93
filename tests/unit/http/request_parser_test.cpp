#include <catch2/catch.hpp>

#include <string>

#include "http/request_parser.hpp"

using namespace chatops::http;
using Stop = RequestParser::Stop;

namespace {

// Feeds `bytes` (in pieces of `piece` bytes, as a slow client would send them) until a stop
// other than NeedMore; returns it and leaves in `rest` what was not consumed.
Stop feed_until_stop(RequestParser& p, std::string bytes, std::string& rest, std::size_t piece = 1 << 20) {
  std::string buffered;
  std::size_t at = 0;
  while (true) {
    if (buffered.empty()) {
      if (at >= bytes.size()) {
        rest.clear();
        return Stop::NeedMore;
      }
      buffered = bytes.substr(at, piece);
      at += buffered.size();
    }
    const auto step = p.feed(buffered);
    buffered.erase(0, step.consumed);
    if (step.stop != Stop::NeedMore) {
      rest = buffered + bytes.substr(at);
      return step.stop;
    }
  }
}

// A whole request: head, then message; returns what came after it.
std::string parse_whole(RequestParser& p, const std::string& bytes, std::size_t piece = 1 << 20) {
  std::string rest;
  REQUIRE(feed_until_stop(p, bytes, rest, piece) == Stop::Head);
  REQUIRE(p.request().head_only);
  std::string after;
  REQUIRE(feed_until_stop(p, rest, after, piece) == Stop::Message);
  REQUIRE_FALSE(p.request().head_only);
  return after;
}

ParserLimits small_limits() {
  ParserLimits l;
  l.max_request_line = 64;
  l.max_head = 512;
  l.max_headers = 8;
  l.max_body = 100;
  return l;
}

Stop error_of(const std::string& bytes, RequestParser& p) {
  std::string rest;
  auto stop = feed_until_stop(p, bytes, rest);
  if (stop == Stop::Head) stop = feed_until_stop(p, rest, rest);
  return stop;
}

}  // namespace

TEST_CASE("a GET stops after its head, then completes", "[http]") {
  RequestParser p(small_limits());
  const auto rest = parse_whole(p, "GET /healthz?verbose=1 HTTP/1.1\r\nHost: x\r\nX-Thing:  spaced \r\n\r\n");
  REQUIRE(rest.empty());
  const auto& r = p.request();
  CHECK(r.method == "GET");
  CHECK(r.target == "/healthz?verbose=1");
  CHECK(r.path == "/healthz");
  CHECK(r.query == "verbose=1");
  CHECK(r.header("host") == "x");
  CHECK(r.header("x-thing") == "spaced");  // leading and trailing whitespace is not part of a value
  CHECK(p.keep_alive());
}

TEST_CASE("bodies by Content-Length and by chunks read alike, byte by byte too", "[http]") {
  for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{1000}}) {
    RequestParser p(small_limits());
    parse_whole(p, "POST /hook HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world", piece);
    CHECK(p.request().body == "hello world");
    CHECK(p.content_length() == 11);

    RequestParser q(small_limits());
    parse_whole(q, "POST /hook HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                piece);
    CHECK(q.request().body == "hello world");
  }
}

TEST_CASE("pipelined requests are taken one at a time", "[http]") {
  RequestParser p(small_limits());
  auto rest = parse_whole(p, "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nokGET /c HTTP/1.1\r\n\r\n");
  CHECK(p.request().path == "/a");
  p.reset();
  rest = parse_whole(p, rest);
  CHECK(p.request().path == "/b");
  CHECK(p.request().body == "ok");
  p.reset();
  rest = parse_whole(p, rest);
  CHECK(p.request().path == "/c");
  CHECK(rest.empty());
}

TEST_CASE("a request target over the limit is refused with 414 before the rest is read", "[http]") {
  RequestParser p(small_limits());
  const std::string target(1 << 20, 'a');  // 1 MiB
  auto step = p.feed("GET /" + target + " HTTP/1.1\r\n\r\n");
  REQUIRE(step.stop == Stop::Error);
  CHECK(p.error_status() == 414);
  CHECK(p.request().target.size() <= 64 + 1);  // nothing much kept beyond the limit
}

TEST_CASE("too many header fields, or too large a head, are refused with 431", "[http]") {
  SECTION("count") {
    RequestParser p(small_limits());
    std::string head = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 9; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
    REQUIRE(error_of(head + "\r\n", p) == Stop::Error);
    CHECK(p.error_status() == 431);
    CHECK_THAT(p.error_reason(), Catch::Contains("more than 8 header fields"));
  }
  SECTION("one enormous header line") {
    RequestParser p(small_limits());
    auto step = p.feed("GET / HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'v') + "\r\n\r\n");
    REQUIRE(step.stop == Stop::Error);
    CHECK(p.error_status() == 431);
    CHECK(p.request().headers.back().second.size() <= 512);
  }
  SECTION("the same field repeated") {
    RequestParser p(small_limits());
    std::string head = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 9; ++i) head += "X-Same: v\r\n";
    REQUIRE(error_of(head + "\r\n", p) == Stop::Error);
    CHECK(p.error_status() == 431);
  }
}

TEST_CASE("a body over the limit is refused with 413, announced or chunked", "[http]") {
  SECTION("Content-Length, refused at the head") {
    RequestParser p(small_limits());
    auto step = p.feed("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n");
    REQUIRE(step.stop == Stop::Error);
    CHECK(p.error_status() == 413);
  }
  SECTION("chunked, refused while reading, never buffered past the limit") {
    RequestParser p(small_limits());
    std::string rest;
    REQUIRE(feed_until_stop(p, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", rest) == Stop::Head);
    Stop stop = Stop::NeedMore;
    for (int i = 0; i < 100 && stop == Stop::NeedMore; ++i) stop = p.feed(rest + "10\r\n0123456789abcdef\r\n").stop, rest.clear();
    REQUIRE(stop == Stop::Error);
    CHECK(p.error_status() == 413);
    CHECK(p.body_size() <= 100);
  }
}

TEST_CASE("encoded bodies and unknown transfer codings are refused at the head", "[http]") {
  RequestParser gzip(small_limits());
  REQUIRE(gzip.feed("POST / HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc").stop == Stop::Error);
  CHECK(gzip.error_status() == 415);

  RequestParser identity(small_limits());
  std::string rest;
  CHECK(feed_until_stop(identity, "POST / HTTP/1.1\r\nContent-Encoding: Identity\r\nContent-Length: 3\r\n\r\nabc", rest) ==
        Stop::Head);

  RequestParser coding(small_limits());
  REQUIRE(coding.feed("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").stop == Stop::Error);
  CHECK(coding.error_status() == 501);
}

TEST_CASE("malformed and ambiguous requests are refused with 400", "[http]") {
  for (const std::string& bad : {
           std::string("\x16\x03\x01\x02\x00 garbage\r\n\r\n"),  // a TLS hello on a plain port
           std::string("GET / HTTP/1.1\r\nNo colon here\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"),
           // Both framings: a request smuggling attempt.
           std::string("POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
           std::string("POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde"),
       }) {
    RequestParser p(small_limits());
    INFO(bad);
    REQUIRE(error_of(bad, p) == Stop::Error);
    CHECK(p.error_status() == 400);
    CHECK_THAT(p.error_reason(), Catch::StartsWith("malformed request"));
  }
  RequestParser version(small_limits());
  REQUIRE(error_of("GET / HTTP/2.0\r\n\r\n", version) == Stop::Error);
  CHECK(version.error_status() == 505);
}

TEST_CASE("keep-alive and 100-continue follow the request's version and headers", "[http]") {
  RequestParser old(small_limits());
  parse_whole(old, "GET / HTTP/1.0\r\n\r\n");
  CHECK_FALSE(old.keep_alive());
  RequestParser old_kept(small_limits());
  parse_whole(old_kept, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  CHECK(old_kept.keep_alive());
  RequestParser closing(small_limits());
  parse_whole(closing, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK_FALSE(closing.keep_alive());

  RequestParser expecting(small_limits());
  std::string rest;
  REQUIRE(feed_until_stop(expecting, "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", rest) ==
          Stop::Head);
  CHECK(expecting.expects_continue());
  CHECK(expecting.started());
}

TEST_CASE("after an error the parser stays refused until reset", "[http]") {
  RequestParser p(small_limits());
  REQUIRE(p.feed("BAD\r\n\r\n").stop == Stop::Error);
  CHECK(p.feed("GET / HTTP/1.1\r\n\r\n").stop == Stop::Error);
  p.reset();
  std::string rest;
  CHECK(feed_until_stop(p, "GET / HTTP/1.1\r\n\r\n", rest) == Stop::Head);
}
