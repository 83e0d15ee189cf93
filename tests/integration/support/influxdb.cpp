#include "tests/integration/support/influxdb.hpp"

#include <stdexcept>
#include <thread>

#include "tests/integration/support/url_encoded.hpp"

namespace chatops::test {

InfluxDb::InfluxDb(std::string database) : database_(std::move(database)) {
  port_ = free_port();
  const int rpc_port = free_port();
  const auto dir = dir_.path().string();
  dir_.write("influxdb.conf", "reporting-disabled = true\n"
                              "bind-address = \"127.0.0.1:" + std::to_string(rpc_port) + "\"\n"
                              "[meta]\n  dir = \"" + dir + "/meta\"\n"
                              "[data]\n  dir = \"" + dir + "/data\"\n  wal-dir = \"" + dir + "/wal\"\n"
                              "  query-log-enabled = false\n"
                              "[http]\n  bind-address = \"127.0.0.1:" + std::to_string(port_) + "\"\n"
                              "  log-enabled = false\n"
                              "[monitor]\n  store-enabled = false\n");
  process_ = std::make_unique<Process>(ProcessOptions{.argv = {"influxd", "-config", dir + "/influxdb.conf"},
                                                      .env = {},
                                                      .log_dir = dir_.path(),
                                                      .name = "influxd",
                                                      .cwd = {},
                                                      .run_as = {}});
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (http_request("GET", port_, "/ping").status != 204) {
    if (!process_->running() || std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("InfluxDB did not become ready (" + describe_status(process_->wait_status()) + "):\n" +
                               process_->output());
    std::this_thread::sleep_for(50ms);
  }
  if (query("CREATE DATABASE \"" + database_ + "\"").status != 200)
    throw std::runtime_error("InfluxDB did not create the database " + database_);
}

InfluxDb::~InfluxDb() {
  if (process_) process_->stop(5s);
}

HttpResult InfluxDb::write(const std::string& lines) {
  return http_request("POST", port_, "/write?db=" + url_encoded(database_), lines);
}

HttpResult InfluxDb::query(const std::string& statement) {
  return http_request("POST", port_, "/query?q=" + url_encoded(statement));
}

}  // namespace chatops::test
