// The HTTP server on real loopback sockets: routing, keep-alive, answers from other threads, and
// what slow, greedy or malformed clients get.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "http/server.hpp"
#include "tests/integration/support/raw_http.hpp"
#include "tests/integration/support/test_ca.hpp"
#include "tests/integration/support/process.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

http::ServerOptions fast_options() {
  http::ServerOptions o;
  o.port = 0;
  o.head_timeout = 500ms;
  o.body_timeout = 500ms;
  o.idle_timeout = 2s;
  o.answer_timeout = 500ms;
  o.write_timeout = 1s;
  o.parser.max_body = 64 * 1024;
  return o;
}

// A server with an echo route (POST /echo answers the body) and GET /ping.
struct Fixture {
  explicit Fixture(http::ServerOptions o = fast_options()) : server(std::move(o)) {
    REQUIRE(server.add_route("/echo", {"POST"}, http::handler([](http::Request r, http::Responder answer) {
      answer.send({200, "text/plain", "echo:" + r.body, {}});
    })).has_value());
    REQUIRE(server.add_route("/ping", {"GET", "HEAD"}, http::handler([](http::Request, http::Responder answer) {
      answer.send({200, "text/plain", "pong", {}});
    })).has_value());
    REQUIRE(server.start().has_value());
  }
  int port() const { return server.port(); }
  http::Server server;
};

std::string get(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n" + std::string(extra) + "\r\n";
}

}  // namespace

TEST_CASE("requests are routed by path and method", "[http]") {
  Fixture f;
  auto pong = raw_exchange(f.port(), get("/ping"));
  REQUIRE(pong);
  CHECK(pong->status == 200);
  CHECK(pong->body == "pong");
  CHECK(pong->headers.contains("date"));

  auto echo = raw_exchange(f.port(), post_request("/echo", "hello"));
  REQUIRE(echo);
  CHECK(echo->body == "echo:hello");

  auto missing = raw_exchange(f.port(), get("/nope"));
  REQUIRE(missing);
  CHECK(missing->status == 404);

  auto wrong = raw_exchange(f.port(), get("/echo"));
  REQUIRE(wrong);
  CHECK(wrong->status == 405);
  CHECK(wrong->headers["allow"] == "POST");

  auto head = raw_exchange(f.port(), "HEAD /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->headers["content-length"] == "4");
  CHECK(head->body.empty());
  CHECK_FALSE(f.server.add_route("/ping", {"GET"}, http::handler([](http::Request, http::Responder) {})).has_value());
}

TEST_CASE("a connection is kept alive across requests, pipelined ones answered in order", "[http]") {
  Fixture f;
  auto c = RawConnection::open(f.port());
  REQUIRE(c);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(c->send(post_request("/echo", std::to_string(i))));
    auto r = c->read_response();
    REQUIRE(r);
    CHECK(r->body == "echo:" + std::to_string(i));
    CHECK_FALSE(r->headers.contains("connection"));
  }
  REQUIRE(c->send(post_request("/echo", "a") + get("/ping") + post_request("/echo", "b")));
  CHECK(c->read_response()->body == "echo:a");
  CHECK(c->read_response()->body == "pong");
  CHECK(c->read_response()->body == "echo:b");
  REQUIRE(c->send(get("/ping", "Connection: close\r\n")));
  auto last = c->read_response();
  REQUIRE(last);
  CHECK(last->headers["connection"] == "close");
  CHECK(c->wait_closed());
  CHECK(f.server.stats().connections_accepted == 1);
}

TEST_CASE("an answer may come later from another thread, a missing one becomes 503 or 500", "[http]") {
  Fixture f;
  std::vector<std::thread> answerers;
  std::promise<http::Responder> held;
  auto held_future = held.get_future();
  REQUIRE(f.server.add_route("/later", {"POST"}, http::handler([&](http::Request r, http::Responder answer) {
    answerers.emplace_back([answer, body = r.body] {
      std::this_thread::sleep_for(50ms);
      answer.send({202, "text/plain", "later:" + body, {}});
      answer.send({500, "text/plain", "a second answer is ignored", {}});
    });
  })).has_value());
  REQUIRE(f.server.add_route("/never", {"POST"}, http::handler([&](http::Request, http::Responder answer) {
    held.set_value(answer);  // kept, never answered: the deadline answers
  })).has_value());
  REQUIRE(f.server.add_route("/dropped", {"POST"}, http::handler([](http::Request, http::Responder) {})).has_value());

  auto c = RawConnection::open(f.port());
  REQUIRE(c);
  REQUIRE(c->send(post_request("/later", "x")));
  auto later = c->read_response();
  REQUIRE(later);
  CHECK(later->status == 202);
  CHECK(later->body == "later:x");

  REQUIRE(c->send(post_request("/never", "x")));
  auto timed_out = c->read_response(30s);
  REQUIRE(timed_out);
  CHECK(timed_out->status == 503);
  CHECK(timed_out->headers.contains("retry-after"));
  held_future.get().send({200, "text/plain", "too late", {}});  // dropped: the exchange is over
  REQUIRE(c->send(get("/ping")));  // the connection is still usable
  CHECK(c->read_response()->body == "pong");

  auto dropped = raw_exchange(f.port(), post_request("/dropped", "x"));
  REQUIRE(dropped);
  CHECK(dropped->status == 500);
  for (auto& t : answerers) t.join();
  CHECK(f.server.stats().timeouts.at("answer") == 1);
}

TEST_CASE("slow clients time out without holding up others", "[http]") {
  // A head timeout long enough that "not behind the slow ones" can be told from "after their
  // timeout" on a loaded machine too.
  auto o = fast_options();
  o.head_timeout = 4s;
  Fixture f(o);
  // Eight slowloris clients: a header line at a time, never finishing.
  std::vector<RawConnection> slow;
  for (int i = 0; i < 8; ++i) {
    auto c = RawConnection::open(f.port());
    REQUIRE(c);
    REQUIRE(c->send("POST /echo HTTP/1.1\r\nHost: x\r\n"));
    slow.push_back(std::move(*c));
  }
  for (auto& c : slow) REQUIRE(c.send("X-Slow: 1\r\n"));
  const auto start = std::chrono::steady_clock::now();
  auto quick = raw_exchange(f.port(), post_request("/echo", "quick"));
  REQUIRE(quick);
  CHECK(quick->body == "echo:quick");
  CHECK(std::chrono::steady_clock::now() - start < 2s);  // not behind the slow ones (4 s)

  // Their head deadline (from the first byte) passes even though they keep sending.
  for (auto& c : slow) {
    c.send("X-Slow: 2\r\n");
    auto r = c.read_response(30s);
    REQUIRE(r);
    CHECK(r->status == 408);
    CHECK(c.wait_closed());
  }
  // A body that stalls gets 408 too.
  auto stalled = RawConnection::open(f.port());
  REQUIRE(stalled);
  REQUIRE(stalled->send("POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly some"));
  auto r = stalled->read_response(30s);
  REQUIRE(r);
  CHECK(r->status == 408);
  CHECK(f.server.stats().timeouts.at("head") == 8);
  CHECK(f.server.stats().timeouts.at("body") == 1);
}

TEST_CASE("an idle connection is closed after the idle timeout", "[http]") {
  auto o = fast_options();
  o.idle_timeout = 200ms;
  Fixture f(o);
  auto c = RawConnection::open(f.port());
  REQUIRE(c);
  CHECK(c->wait_closed(30s));
  auto kept = RawConnection::open(f.port());
  REQUIRE(kept->send(get("/ping")));
  REQUIRE(kept->read_response());
  CHECK(kept->wait_closed(30s));  // after its request, kept alive only for the idle timeout
}

TEST_CASE("connections are limited in total and per client address", "[http]") {
  auto o = fast_options();
  o.max_connections = 16;
  o.max_connections_per_address = 4;
  Fixture f(o);
  std::vector<RawConnection> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(*RawConnection::open(f.port(), "127.0.0.2"));
    REQUIRE(held.back().send(get("/ping")));
    REQUIRE(held.back().read_response());
  }
  auto fifth = RawConnection::open(f.port(), "127.0.0.2");
  REQUIRE(fifth);
  auto refused = fifth->read_response();
  REQUIRE(refused);
  CHECK(refused->status == 503);
  CHECK(refused->headers.contains("retry-after"));
  // Another address is still served.
  auto other = raw_exchange(f.port(), get("/ping"), 30s, "127.0.0.3");
  REQUIRE(other);
  CHECK(other->status == 200);

  for (int a = 4; a < 7; ++a)
    for (int i = 0; i < 4; ++i) held.push_back(*RawConnection::open(f.port(), "127.0.0." + std::to_string(a)));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (f.server.stats().connections_open < 16 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  REQUIRE(f.server.stats().connections_open == 16);
  auto over = raw_exchange(f.port(), get("/ping"), 30s, "127.0.0.8");
  REQUIRE(over);
  CHECK(over->status == 503);
  CHECK(f.server.stats().refused_per_address == 1);
  CHECK(f.server.stats().refused_max_connections == 1);
}

TEST_CASE("a handler refuses at the head: the body is never read", "[http]") {
  Fixture f;
  struct NeedsToken final : http::Handler {
    std::optional<http::Response> check_head(const http::Request& r) const override {
      if (r.header("X-Token") != "s3cret") return http::Response::json(401, R"({"status":"rejected"})");
      return std::nullopt;
    }
    void handle(http::Request r, http::Responder answer) override { answer.send({202, "text/plain", r.body, {}}); }
  };
  REQUIRE(f.server.add_route("/guarded", {"POST"}, std::make_shared<NeedsToken>()).has_value());
  auto c = RawConnection::open(f.port());
  REQUIRE(c);
  // Announces 400 MiB, chunked, and sends the first of it: refused as soon as the head is in.
  REQUIRE(c->send("POST /guarded HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n"));
  auto r = c->read_response();
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->headers["connection"] == "close");
  CHECK(c->wait_closed());
  CHECK(f.server.stats().buffered_bytes == 0);

  auto ok = raw_exchange(f.port(), post_request("/guarded", "body", "X-Token: s3cret\r\n"));
  REQUIRE(ok);
  CHECK(ok->status == 202);
}

TEST_CASE("Expect: 100-continue is answered once the head is accepted", "[http]") {
  Fixture f;
  auto c = RawConnection::open(f.port());
  REQUIRE(c);
  REQUIRE(c->send("POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  std::this_thread::sleep_for(50ms);
  REQUIRE(c->send("hello"));
  auto r = c->read_response();  // skips the 100
  REQUIRE(r);
  CHECK(r->body == "echo:hello");
}

TEST_CASE("limit violations get their status and close the connection", "[http]") {
  auto o = fast_options();
  o.parser.max_request_line = 1024;
  o.parser.max_head = 8 * 1024;
  o.parser.max_headers = 20;
  Fixture f(o);
  struct Case {
    std::string request;
    int status;
  };
  std::string many_headers = "GET /ping HTTP/1.1\r\n";
  for (int i = 0; i < 21; ++i) many_headers += "X-" + std::to_string(i) + ": v\r\n";
  const Case cases[] = {
      {"GET /" + std::string(2000, 'a') + " HTTP/1.1\r\n\r\n", 414},
      {many_headers + "\r\n", 431},
      {"GET /ping HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'b') + "\r\n\r\n", 431},
      {"POST /echo HTTP/1.1\r\nContent-Length: 70000\r\n\r\n", 413},
      {"POST /echo HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc", 415},
      {"PO ST / HTTP/1.1\r\n\r\n", 400},
  };
  for (const auto& c : cases) {
    INFO(c.request.substr(0, 60));
    auto conn = RawConnection::open(f.port());
    REQUIRE(conn);
    conn->send(c.request);
    auto r = conn->read_response();
    REQUIRE(r);
    CHECK(r->status == c.status);
    CHECK(conn->wait_closed());
  }
  // A chunked body is held to the limit while it is read.
  auto chunked = RawConnection::open(f.port());
  REQUIRE(chunked->send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "1000\r\n" + std::string(4096, 'z') + "\r\n";
  for (int i = 0; i < 17; ++i) chunked->send(chunk);
  auto r = chunked->read_response();
  REQUIRE(r);
  CHECK(r->status == 413);
}

TEST_CASE("request bodies held at once are bounded server-wide", "[http]") {
  auto o = fast_options();
  o.max_buffered = 100 * 1024;
  o.parser.max_body = 80 * 1024;
  o.body_timeout = 5s;
  Fixture f(o);
  auto first = RawConnection::open(f.port());
  REQUIRE(first->send("POST /echo HTTP/1.1\r\nContent-Length: 81920\r\n\r\n" + std::string(60 * 1024, 'a')));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (f.server.stats().buffered_bytes < 60 * 1024 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  auto second = RawConnection::open(f.port());
  REQUIRE(second->send("POST /echo HTTP/1.1\r\nContent-Length: 81920\r\n\r\n" + std::string(60 * 1024, 'b')));
  auto refused = second->read_response();
  REQUIRE(refused);
  CHECK(refused->status == 503);
  REQUIRE(first->send(std::string(20 * 1024, 'a')));
  auto done = first->read_response();
  REQUIRE(done);
  CHECK(done->status == 200);
  CHECK(done->body.size() == 5 + 80 * 1024);
}

TEST_CASE("HTTPS with a certificate and key", "[http]") {
  TempDir dir;
  TestCa ca(dir.path());
  const auto cert = ca.issue_server("http");
  auto o = fast_options();
  o.tls = std::pair{cert.cert.string(), cert.key.string()};
  Fixture f(o);
  // openssl s_client is the independent TLS client.
  const auto out = dir / "out.txt";
  Process client({.argv = {"sh", "-c",
                           "printf 'GET /ping HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' | "
                           "openssl s_client -quiet -verify_return_error -CAfile " + ca.ca_cert().string() +
                               " -connect 127.0.0.1:" + std::to_string(f.port()) + " -servername localhost > " +
                               out.string() + " 2>&1"},
                  .log_dir = dir.path(),
                  .name = "s_client"});
  REQUIRE(client.wait_exit(10s));
  const auto text = read_file(out);
  CHECK_THAT(text, Catch::Contains("HTTP/1.1 200 OK"));
  CHECK_THAT(text, Catch::EndsWith("pong"));

  auto plain = raw_exchange(f.port(), get("/ping"), 2s);  // plain HTTP on the TLS port: no answer
  CHECK_FALSE(plain.has_value());
}

TEST_CASE("a held path answers 503 with Retry-After until its route is there, then 404 once released", "[http]") {
  Fixture f;
  f.server.hold_route("/hooks/coming");
  f.server.hold_route("/hooks/coming");  // two holders: a source and its successor at a reload
  const auto early = raw_exchange(f.port(), post_request("/hooks/coming", "x"));
  REQUIRE(early);
  CHECK(early->status == 503);
  CHECK(early->headers.at("retry-after") == "1");
  CHECK(raw_exchange(f.port(), get("/nope"))->status == 404);  // only held paths
  CHECK(raw_exchange(f.port(), get("/ping"))->status == 200);   // routes are served as before
  REQUIRE(f.server.add_route("/hooks/coming", {"POST"}, http::handler([](http::Request, http::Responder answer) {
    answer.send({202, "text/plain", "taken", {}});
  })));
  CHECK(raw_exchange(f.port(), post_request("/hooks/coming", "x"))->status == 202);
  f.server.remove_route("/hooks/coming");
  f.server.release_route("/hooks/coming");
  CHECK(raw_exchange(f.port(), post_request("/hooks/coming", "x"))->status == 503);  // one holder left
  f.server.release_route("/hooks/coming");
  f.server.release_route("/hooks/coming");  // one too many: nothing to release
  CHECK(raw_exchange(f.port(), post_request("/hooks/coming", "x"))->status == 404);
}
