#include "tests/integration/support/redis.hpp"

#include <hiredis/hiredis.h>

#include <stdexcept>

namespace chatops::test {

namespace {

std::string reply_text(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      return std::to_string(r.integer);
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (std::size_t i = 0; i < r.elements; ++i) out += (i ? "\n" : "") + reply_text(*r.element[i]);
      return out;
    }
    case REDIS_REPLY_NIL:
      return "";
    default:
      return std::string(r.str, r.len);
  }
}

}  // namespace

RedisServer::RedisServer() {
  port_ = free_port();
  dir_.write("redis.conf", "port " + std::to_string(port_) +
                               "\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndaemonize no\nprotected-mode no\n"
                               "dir " + dir_.path().string() +
                               "\nuser default off\nuser " + user + " on >" + password + " ~* &* +@all\n");
  start();
}

RedisServer::~RedisServer() { stop(); }

void RedisServer::start() {
  if (process_ && process_->running()) return;
  if (client_) redisFree(client_);
  client_ = nullptr;
  process_ = std::make_unique<Process>(ProcessOptions{
      .argv = {"redis-server", (dir_ / "redis.conf").string()}, .log_dir = dir_.path(), .name = "redis"});
  if (!wait_for_port(port_, 10s))
    throw std::runtime_error("redis-server did not start (" + describe_status(process_->wait_status()) + "):\n" +
                             process_->output());
}

void RedisServer::stop() {
  if (client_) redisFree(client_);
  client_ = nullptr;
  if (process_) process_->stop(5s);
}

std::string RedisServer::command(const std::vector<std::string>& args) {
  if (!client_) {
    client_ = redisConnect("127.0.0.1", port_);
    if (!client_ || client_->err) throw std::runtime_error("redis: cannot connect");
    command({"AUTH", user, password});
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(client_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (!r) throw std::runtime_error(std::string("redis: ") + client_->errstr);
  const std::string text = reply_text(*r);
  const bool error = r->type == REDIS_REPLY_ERROR;
  freeReplyObject(r);
  if (error) throw std::runtime_error("redis " + args.at(0) + ": " + text);
  return text;
}

}  // namespace chatops::test
