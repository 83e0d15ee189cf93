// A real Redis (Debian's redis-server) for tests: on a free port of 127.0.0.1, no persistence,
// data in a temporary directory, with the ACL user `chatops` (password below) allowed everything
// and the default user off. The test's own commands go through hiredis as that user.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/support/process.hpp"

struct redisContext;

namespace chatops::test {

class RedisServer {
 public:
  RedisServer();  // throws std::runtime_error when it does not start
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  static constexpr const char* user = "chatops";
  static constexpr const char* password = "redis-s3cret";

  // Runs one command (as `user`); returns the reply as text: a string or status as it is, an
  // integer in decimal, an array as its elements' text separated by newlines, nil as "".
  // Throws with Redis's message on an error reply.
  std::string command(const std::vector<std::string>& args);

  void start();  // (re)starts on the same port; waits until it accepts connections
  void stop();

 private:
  TempDir dir_{"chatops-redis"};
  int port_ = 0;
  std::unique_ptr<Process> process_;
  redisContext* client_ = nullptr;
};

}  // namespace chatops::test
